"""Staff accounts, roles, two-factor login, lockout and sessions."""
