"""Django side of the crypto package: the runtime keyring, sealed model fields, key commands."""
