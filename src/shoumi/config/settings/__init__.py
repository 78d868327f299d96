"""Settings profiles: ``local`` (make run), ``production`` and ``test``."""
