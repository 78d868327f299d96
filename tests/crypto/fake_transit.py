"""A fake HashiCorp Vault Transit server on 127.0.0.1 for the Vault provider's tests.

It implements only what ``hvac`` calls for the provider: ``POST /v1/<mount>/encrypt/<name>``,
``/decrypt/<name>`` and ``/rewrap/<name>``, with the responses that Vault's API documentation
and Transit source show. Responses wrap results in ``{"data": {...}}``, ciphertexts are
``vault:v<version>:<base64(nonce || ciphertext || tag)>`` under AES-256-GCM, a derived
key uses HKDF-SHA256 with the context as info (Vault's default ``hkdf_sha256`` KDF),
a non-derived key ignores ``context``, and errors are ``{"errors": [...]}`` with 400
(bad request or decryption failure) or 403 (bad token). Key rotation is a Python
method, because the provider never calls Vault's rotate endpoint.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PATH = re.compile(r"/v1/(?P<mount>.+)/(?P<operation>encrypt|decrypt|rewrap)/(?P<name>[^/]+)")
_CIPHERTEXT = re.compile(r"vault:v(?P<version>\d+):(?P<body>.*)")
_MISSING_CONTEXT = (
    "missing 'context' for key derivation; the key was created using a derived key, which "
    "means additional, per-request information must be included in order to perform "
    "operations with the key"
)


class TransitError(Exception):
    """A request that Vault rejects with an ``errors`` list and a status code."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class TransitKey:
    """A named Transit key: its versions, newest last, and whether it derives per context."""

    derived: bool = False
    versions: dict[int, bytes] = field(default_factory=lambda: {1: os.urandom(32)})
    min_decryption_version: int = 1

    @property
    def latest_version(self) -> int:
        return max(self.versions)

    def key_for(self, version: int, context: bytes) -> bytes:
        key = self.versions[version]
        if not self.derived:
            return key
        if not context:
            raise TransitError(400, _MISSING_CONTEXT)
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=context).derive(key)

    def encrypt(self, plaintext: bytes, context: bytes, version: int | None = None) -> str:
        version = version or self.latest_version
        nonce = os.urandom(12)
        sealed = AESGCM(self.key_for(version, context)).encrypt(nonce, plaintext, None)
        return f"vault:v{version}:" + base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, ciphertext: str, context: bytes) -> bytes:
        if not ciphertext.startswith("vault:"):
            raise TransitError(400, "invalid ciphertext: no prefix")
        match = _CIPHERTEXT.fullmatch(ciphertext)
        if match is None:
            raise TransitError(400, "invalid ciphertext: wrong number of fields")
        version = int(match.group("version"))
        if version < self.min_decryption_version:
            raise TransitError(
                400, "ciphertext or signature version is disallowed by policy (too old)"
            )
        if version not in self.versions:
            raise TransitError(400, "invalid key version")
        try:
            raw = base64.b64decode(match.group("body"), validate=True)
        except binascii.Error:
            raise TransitError(400, "invalid ciphertext: could not decode base64") from None
        try:
            return AESGCM(self.key_for(version, context)).decrypt(raw[:12], raw[12:], None)
        except (InvalidTag, ValueError):
            raise TransitError(400, "cipher: message authentication failed") from None


class FakeTransit:
    """The fake server's state: its token, mounts and keys, and the requests it saw."""

    def __init__(self, token: str, mount: str = "transit") -> None:
        self.token = token
        self.mount = mount
        self.keys: dict[str, TransitKey] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def create_key(self, name: str, *, derived: bool = False) -> TransitKey:
        self.keys[name] = TransitKey(derived=derived)
        return self.keys[name]

    def rotate(self, name: str) -> int:
        key = self.keys[name]
        key.versions[key.latest_version + 1] = os.urandom(32)
        return key.latest_version

    def handle(self, path: str, token: str | None, body: dict[str, Any]) -> dict[str, Any]:
        """Handle one request and return the ``data`` object, or raise :class:`TransitError`."""
        if token != self.token:
            raise TransitError(403, "permission denied")
        match = _PATH.fullmatch(path)
        if match is None or match.group("mount") != self.mount:
            raise TransitError(404, f"no handler for route '{path.removeprefix('/v1/')}'")
        operation, name = match.group("operation"), match.group("name")
        with self._lock:
            self.requests.append((operation, body))
            context = _decode_optional(body.get("context"), "context")
            if operation == "encrypt":
                return self._encrypt(name, body, context)
            key = self.keys.get(name)
            if key is None:
                raise TransitError(400, "encryption key not found")
            ciphertext = body.get("ciphertext")
            if not isinstance(ciphertext, str) or not ciphertext:
                raise TransitError(400, "missing ciphertext to decrypt")
            plaintext = key.decrypt(ciphertext, context)
            if operation == "decrypt":
                return {"plaintext": base64.b64encode(plaintext).decode("ascii")}
            version = body.get("key_version") or key.latest_version
            rewrapped = key.encrypt(plaintext, context, version)
            return {"ciphertext": rewrapped, "key_version": version}

    def _encrypt(self, name: str, body: dict[str, Any], context: bytes) -> dict[str, Any]:
        plaintext_b64 = body.get("plaintext")
        if not isinstance(plaintext_b64, str):
            raise TransitError(400, "missing plaintext to encrypt")
        plaintext = _decode_optional(plaintext_b64, "plaintext")
        key = self.keys.get(name)
        if key is None:
            # Vault upserts when the token has the create capability, and derivation
            # follows whether a context was given.
            key = self.create_key(name, derived=bool(context))
        ciphertext = key.encrypt(plaintext, context)
        return {"ciphertext": ciphertext, "key_version": key.latest_version}


def _decode_optional(value: object, name: str) -> bytes:
    if value in (None, ""):
        return b""
    if not isinstance(value, str):
        raise TransitError(400, f"failed to base64-decode {name}")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise TransitError(400, f"failed to base64-decode {name}") from None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            data = self.server.transit.handle(self.path, self.headers.get("X-Vault-Token"), body)
        except TransitError as exc:
            self._send(exc.status, {"errors": [exc.message]})
            return
        except json.JSONDecodeError:
            self._send(400, {"errors": ["failed to parse JSON input"]})
            return
        self._send(
            200,
            {
                "request_id": str(uuid.uuid4()),
                "lease_id": "",
                "renewable": False,
                "lease_duration": 0,
                "data": data,
                "wrap_info": None,
                "warnings": None,
                "auth": None,
            },
        )

    def do_GET(self) -> None:
        self._send(405, {"errors": []})

    def log_message(self, format: str, *args: Any) -> None:
        # Keeps pytest output clean. FakeTransit records the requests instead.
        return

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        encoded = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(encoded)))
        self.end_headers()
        self.wfile.write(encoded)


class _Server(ThreadingHTTPServer):
    transit: FakeTransit


class FakeTransitServer:
    """Runs :class:`FakeTransit` on 127.0.0.1 on a free port in a background thread."""

    def __init__(self, token: str) -> None:
        self.transit = FakeTransit(token)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.transit = self.transit
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeTransitServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
