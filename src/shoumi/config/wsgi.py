"""WSGI entry point for gunicorn, ``shoumi runserver`` and other servers.

Loading the application starts the audit checkpoint scheduler of the
serving process (see ``shoumi.audit.scheduler``).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shoumi.config.settings.production")

application = get_wsgi_application()

from shoumi.audit.scheduler import start_checkpoint_scheduler  # noqa: E402

start_checkpoint_scheduler()
