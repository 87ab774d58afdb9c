"""WooCommerce webhook signatures.

WooCommerce signs each delivery with ``X-WC-Webhook-Signature: base64(HMAC-SHA256(secret, body))``
where ``secret`` is the webhook's secret as UTF-8 bytes, unchanged (a secret like
``Pa&ss<wörd>"'é`` was stored and used as typed, see the captures) and ``body`` is the raw
request body. Verify over the raw bytes, before parsing anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _secrets

__all__ = ["sign", "verify", "generate_secret"]


def _raw(raw_body: bytes | bytearray | memoryview) -> bytes:
    if isinstance(raw_body, str):
        raise TypeError("raw_body must be the request's raw bytes, not text: verify before decoding")
    return bytes(raw_body)


def sign(secret: str, raw_body: bytes) -> str:
    """The ``X-WC-Webhook-Signature`` WooCommerce sends for ``raw_body`` under ``secret``."""
    digest = hmac.new(secret.encode("utf-8"), _raw(raw_body), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(secret: str, raw_body: bytes, header: str | bytes | None) -> bool:
    """True when ``header`` is WooCommerce's signature of ``raw_body`` under ``secret``.

    Constant time. False for a missing or empty header, and for an empty secret (shopsync never
    creates a webhook without one, so an empty secret means a misconfigured site, not "anything
    goes").
    """
    if not secret or not header:
        return False
    if isinstance(header, str):
        header = header.encode("utf-8", "replace")
    header = header.strip()
    if not header:
        return False
    expected = sign(secret, raw_body).encode("ascii")
    return hmac.compare_digest(expected, header)


def generate_secret(nbytes: int = 32) -> str:
    """A new webhook secret: ``nbytes`` (>= 32) random bytes as URL-safe base64 text.

    Only letters, digits, ``-`` and ``_``: characters WordPress' sanitising and HTML-entity
    decoding leave alone, so the secret WooCommerce signs with is exactly the one we keep.
    """
    return _secrets.token_urlsafe(max(32, int(nbytes)))
