"""Display masks for sealed values.

Identifier kinds use shoumi.identifiers' masks (resident IDs first 3 + last
4, bank cards first 6 + last 4, mobiles first 3 + last 4, corporate accounts
last 4; the rules and their sources are in shoumi.identifiers.masking).
Names keep the surname. Credentials show nothing of their content, not even
their length.
"""

from __future__ import annotations

from shoumi import identifiers

SECRET_MASK = "******"  # noqa: S105 - a display mask, not a password

NON_IDENTIFIER_KINDS = frozenset({"person_name", "address", "secret", "secret_name"})


def mask_for(mask_kind: str, plaintext: str | None) -> str:
    """Return the list-view mask of ``plaintext``; never raises, never longer than the value."""
    if not plaintext:
        return ""
    if mask_kind == "person_name":
        return identifiers.mask_name(plaintext) or ""
    if mask_kind == "address":
        return identifiers.mask_address(plaintext) or ""
    if mask_kind == "secret":
        return SECRET_MASK
    if mask_kind == "secret_name":
        return plaintext[:1] + "*" * min(len(plaintext) - 1, 5)
    return identifiers.mask(mask_kind, plaintext) or ""
