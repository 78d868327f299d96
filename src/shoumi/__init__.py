"""shoumi (守密): client-information protection for Chinese accounting and registration agencies."""

__version__ = "0.1.0"
