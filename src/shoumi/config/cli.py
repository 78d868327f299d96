"""The ``shoumi`` command: Django's management commands plus shoumi's own.

``shoumi migrate``, ``shoumi runserver`` and every other management command
work as with ``django-admin``; hyphenated names (``shoumi check-deploy``,
``shoumi import-clients``) map to the underscored command modules. ``shoumi
scan`` runs the plaintext scanner without starting Django, so it also works
on a machine where shoumi is installed but not configured. ``shoumi trace
FILE`` is an ordinary management command of the documents app, because it
looks the trace code up in the register of issued copies in the database.

Without ``DJANGO_SETTINGS_MODULE`` the production profile is used, because
an unconfigured command must not quietly run with local, plain-HTTP
settings.
"""

from __future__ import annotations

import os
import sys

DEFAULT_SETTINGS = "shoumi.config.settings.production"


def main(argv: list[str] | None = None) -> int:
    """Run one shoumi command and return its exit status."""
    arguments = list(sys.argv if argv is None else argv)
    if len(arguments) > 1 and arguments[1] == "scan":
        from shoumi.scanner.cli import main as scan_main

        return scan_main(arguments[2:])

    if len(arguments) > 1 and not arguments[1].startswith("-"):
        arguments[1] = arguments[1].replace("-", "_")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)

    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(arguments)
    except SystemExit as exit_request:
        code = exit_request.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
