"""The audit trail: every security-relevant event, appended through one service."""
