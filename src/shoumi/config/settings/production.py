"""The production profile: served behind TLS, cookies Secure, HSTS on.

``SHOUMI_ALLOWED_HOSTS`` and ``SHOUMI_BASE_URL`` must name the real host.
Set ``SHOUMI_HTTPS=0`` only for a deliberate plain-HTTP deployment, which
``shoumi check-deploy`` then reports as a failure.
"""

from shoumi.config.env import env_bool
from shoumi.config.settings.base import *  # noqa: F403
from shoumi.config.settings.base import apply_https_settings

HTTPS = env_bool("SHOUMI_HTTPS", True)
apply_https_settings(globals(), HTTPS)
