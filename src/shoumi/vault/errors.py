from shoumi.errors import ShoumiError


class VaultError(ShoumiError):
    code = "vault_error"


class VaultUnavailableError(VaultError):
    """The master key or blind-index key could not be loaded; nothing may be sealed or opened."""

    code = "vault_unavailable"
