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

A configuration error (ImproperlyConfigured, for example a ``SHOUMI_*``
variable out of range) is printed as one line on stderr with exit status 2
instead of a traceback: its message already names the variable and what to
fix. Translations cannot be used there, because the settings that enable
them are what failed to load, so the line is fixed Chinese plus Django's or
shoumi's own English message.
"""

from __future__ import annotations

import os
import sys

DEFAULT_SETTINGS = "shoumi.config.settings.production"
# Exit status for a configuration error, as for a usage error: the command never ran.
CONFIGURATION_ERROR_STATUS = 2
# Exit status after Ctrl-C, as shells report a process that SIGINT ended (128 + 2).
INTERRUPTED_STATUS = 130


def main(argv: list[str] | None = None) -> int:
    """Run one shoumi command and return its exit status."""
    arguments = list(sys.argv if argv is None else argv)
    if len(arguments) > 1 and arguments[1] == "scan":
        try:
            # Importing the scanner and NumPy takes about 0.3 s. A Ctrl-C meanwhile ends
            # the scan as one during it does, with a message and no traceback.
            from shoumi.scanner.cli import main as scan_main
        except KeyboardInterrupt:
            print("扫描已中断，没有输出报告。", file=sys.stderr)
            return INTERRUPTED_STATUS
        return scan_main(arguments[2:])

    if len(arguments) > 1 and not arguments[1].startswith("-"):
        arguments[1] = arguments[1].replace("-", "_")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)

    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(arguments)
    except ImproperlyConfigured as error:
        message = " ".join(str(error).split())
        print(f"shoumi: 配置错误（configuration error）：{message}", file=sys.stderr)
        return CONFIGURATION_ERROR_STATUS
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
