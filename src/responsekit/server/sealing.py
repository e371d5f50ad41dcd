"""Sealing: the authenticated encryption behind the default compaction's opaque items.

A sealed window is the ``encrypted_content`` of a ``compaction`` item: the items, as compressed
JSON, encrypted with AES-256-GCM. Only a process holding the same key opens it, and only for the
isolation scope (user key) it was sealed for: the scope is the cipher's associated data, so an
item sealed for one user is as foreign to another user as an item from another server.

Wire form (URL-safe base64, no padding) of::

    version (1 byte, 0x01) | nonce (12 random bytes) | ciphertext + GCM tag (16 bytes)

The version byte is authenticated too (it is part of the associated data), so a changed version is
refused like any other changed byte. The key is derived with HKDF-SHA256 from the configured
string (``ResponsesServerOptions.compaction_key``); without one, a random key is made per process.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import zlib
from typing import Any

# cryptography is imported where used: a server makes its Sealer at startup, so importing
# responsekit does not load it.

VERSION = 1
_NONCE_BYTES = 12
_TAG_BYTES = 16
_HEADER_BYTES = 1 + _NONCE_BYTES
_KDF_SALT = b"responsekit compaction key v1"
_AAD_LABEL = b"responsekit/compaction"
#: Most bytes a sealed window may inflate to (it was made by this server, so this only bounds a bug).
MAX_OPENED_BYTES = 512 * 1024 * 1024


class SealError(ValueError):
    """A sealed value that cannot be opened: altered, foreign (other key or scope) or not sealed at all.

    ``reason`` is one of ``"malformed"`` (not a sealed value), ``"version"`` (a format version this
    server does not know) or ``"unverified"`` (authentication failed: altered, or sealed with another
    key or for another scope; the cipher cannot tell these apart, by design).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def derive_key(secret: str) -> bytes:
    """The 256-bit AES key for a configured secret string (any length; use a long random one)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_KDF_SALT, info=b"aes-256-gcm")
    return hkdf.derive(secret.encode("utf-8"))


def _associated_data(version: int, scope: str | None) -> bytes:
    # "no user key" and the empty user key are different scopes: a marker byte tells them apart.
    tail = b"\x00" if scope is None else b"\x01" + scope.encode("utf-8", "surrogatepass")
    return _AAD_LABEL + bytes([version]) + tail


class Sealer:
    """Seals JSON values for an isolation scope, and opens them again (see the module docstring)."""

    def __init__(self, secret: str | None = None) -> None:
        #: True when no secret was configured: the key is random, so sealed values open only here.
        self.ephemeral = secret is None
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(os.urandom(32) if secret is None else derive_key(secret))

    def seal(self, value: Any, scope: str | None) -> str:
        """``value`` (any JSON value) as an opaque string that only this key opens, for ``scope``."""
        plain = zlib.compress(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plain, _associated_data(VERSION, scope))
        token = bytes([VERSION]) + nonce + sealed
        return base64.urlsafe_b64encode(token).rstrip(b"=").decode("ascii")

    def open(self, token: str, scope: str | None) -> Any:
        """The value sealed in ``token`` for ``scope``; raises SealError if it cannot be trusted."""
        if not isinstance(token, str):
            raise SealError("malformed", "the value is not a string")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise SealError("malformed", "the value is not URL-safe base64") from None
        # urlsafe_b64decode skips characters outside its alphabet; a token must be exactly canonical.
        if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != token:
            raise SealError("malformed", "the value is not canonical URL-safe base64")
        if len(raw) < _HEADER_BYTES + _TAG_BYTES:
            raise SealError("malformed", "the value is too short to be sealed")
        version = raw[0]
        if version != VERSION:
            raise SealError("version", f"the value has format version {version}; this server reads {VERSION}")
        nonce, sealed = raw[1:_HEADER_BYTES], raw[_HEADER_BYTES:]
        from cryptography.exceptions import InvalidTag

        try:
            compressed = self._aead.decrypt(nonce, sealed, _associated_data(version, scope))
        except InvalidTag:
            raise SealError(
                "unverified", "the value was altered, or sealed by another server or for another user"
            ) from None
        try:
            inflater = zlib.decompressobj()
            plain = inflater.decompress(compressed, MAX_OPENED_BYTES)
            if inflater.unconsumed_tail or not inflater.eof:
                raise SealError("malformed", "the sealed value does not inflate to a whole document")
            return json.loads(plain.decode("utf-8"))
        except (zlib.error, UnicodeDecodeError, json.JSONDecodeError):  # authentic, yet unreadable: a bug
            raise SealError("malformed", "the sealed value is not readable") from None
