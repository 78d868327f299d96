"""The embedded single-machine profile that ``make run`` serves on 127.0.0.1.

Plain HTTP on loopback, so the cookies cannot carry the Secure flag and HSTS
is off; ``shoumi check-deploy`` reports exactly that. Serve shoumi to other
machines only with the production profile behind TLS.
"""

from shoumi.config.settings.base import *  # noqa: F403
