"""Keep search text out of URLs: the client list carries an encrypted token instead.

A search for an ID number in ``/clients/?q=...`` would write the number into
the web server's access log, the proxy's log and the browser history. The
search form is therefore posted, and the result page's address carries
``s=<token>``: the query encrypted with AES-256-GCM under a key derived from
the secret key, bound to the user who searched. Paging and the export link
reuse the token; a token copied to another user opens nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

NONCE_BYTES = 12
TOKEN_PARAMETER = "s"  # noqa: S105 - the name of a URL parameter, not a secret


@lru_cache(maxsize=2)
def _keys(secret_key: str) -> tuple[AESGCM, bytes]:
    material = HKDF(
        algorithm=hashes.SHA256(),
        length=64,
        salt=None,
        info=b"shoumi client search token v1",
    ).derive(secret_key.encode("utf-8"))
    return AESGCM(material[:32]), material[32:]


def _associated_data(user_id: object) -> bytes:
    return f"user:{user_id}".encode("ascii")


def seal_query(query: str, *, user_id: object) -> str:
    """Return the URL-safe token for ``query``, readable only for ``user_id``."""
    cipher, _fingerprint_key = _keys(settings.SECRET_KEY)
    nonce = os.urandom(NONCE_BYTES)
    sealed = cipher.encrypt(nonce, query.encode("utf-8"), _associated_data(user_id))
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")


def open_query(token: str, *, user_id: object) -> str | None:
    """Return the query in ``token``, or None when it is malformed, altered or another user's."""
    cipher, _fingerprint_key = _keys(settings.SECRET_KEY)
    if len(token) > 1024:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plaintext = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated_data(user_id))
        return plaintext.decode("utf-8")
    except (binascii.Error, ValueError, InvalidTag, UnicodeDecodeError):
        return None


def query_fingerprint(query: str) -> str:
    """A keyed fingerprint of ``query``, for keys that must not hold the search text."""
    if not query:
        return ""
    _cipher, fingerprint_key = _keys(settings.SECRET_KEY)
    return hmac.new(fingerprint_key, query.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
