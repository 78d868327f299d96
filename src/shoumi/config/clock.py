"""The one clock the Django apps read, so tests can move time without sleeping.

Code calls ``clock.now()`` through the module (``from shoumi.config import
clock``), never ``from ... import now``, so that a test can replace it.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    """Return the current aware UTC datetime."""
    return timezone.now()
