"""Test connection from the site form: which values are sent where, and what the result updates.

- The stored consumer secret goes only to the stored shop address, with the stored key. To test
  another address (or another key), type that shop's key and secret too; a typed address with the
  stored secret is refused before anything is sent.
- Only a test of the stored values speaks for the saved site (its "Connection status"); a test of
  typed, unsaved values answers the user and changes nothing saved.
- The message is plain text from the adapter, which quotes the shop's own words: ``as_dict``
  gives it HTML-escaped for the desk.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable
from urllib.parse import urlsplit

from shopsync.sync.desk_text import escape
from shopsync.sync.site import _stored
from shopsync.woocommerce.connection import check_connection

NEEDS_TYPED_SECRET = (
    "The stored consumer secret is only sent to the stored shop address, with the stored key. "
    "To test another address or key, type that shop's consumer key and secret as well."
)
NEEDS_SECRET = "Enter the consumer key and secret (from WooCommerce \u2192 Settings \u2192 Advanced \u2192 REST API)."


def normalise_url(url: str | None) -> str:
    """A shop address compared as the client uses it: scheme and host in lower case, no default
    port, no credentials, a trailing slash."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    if not parts.scheme or not parts.hostname:
        return text
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port and port != {"http": 80, "https": 443}.get(scheme):
        host += f":{port}"
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{scheme}://{host}{path}"


@dataclasses.dataclass
class ConnectionTest:
    ok: bool
    message: str  # plain text
    #: the stored values were tested: the result is the saved site's connection status
    stored: bool
    #: a request was sent to the shop
    sent: bool = False

    @property
    def html(self) -> str:
        return escape(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.html, "stored": self.stored}


class Refused(ValueError):
    pass


def choose_values(stored_url: str, stored_key: str, stored_secret: str,
                  url: str | None = None, key: str | None = None, secret: str | None = None):
    """``(url, key, secret, stored)`` to test, or :class:`Refused` (nothing may be sent)."""
    stored_url, stored_key, stored_secret = (stored_url or "").strip(), (stored_key or "").strip(), stored_secret or ""
    url = (url or "").strip() or stored_url
    key = (key or "").strip() or stored_key
    typed_secret = _stored(secret)
    same_place = bool(stored_url) and normalise_url(url) == normalise_url(stored_url) and key == stored_key
    if typed_secret:
        if not key:
            raise Refused(NEEDS_SECRET)
        return url, key, typed_secret, same_place and typed_secret == stored_secret
    if not stored_secret or not key:
        raise Refused(NEEDS_SECRET)
    if not same_place:
        raise Refused(NEEDS_TYPED_SECRET)
    return stored_url, stored_key, stored_secret, True


def run(make_client: Callable[[str, str, str], Any], *, stored_url: str = "", stored_key: str = "",
        stored_secret: str = "", url: str | None = None, key: str | None = None,
        secret: str | None = None) -> ConnectionTest:
    """Choose the values, call the shop (:func:`check_connection` on ``make_client(url, key, secret)``)."""
    try:
        url, key, secret, stored = choose_values(stored_url, stored_key, stored_secret, url, key, secret)
    except Refused as exc:
        return ConnectionTest(ok=False, message=str(exc), stored=False)
    try:
        client = make_client(url, key, secret)
    except ValueError as exc:  # not an http(s) address
        return ConnectionTest(ok=False, message=str(exc), stored=stored)
    try:
        check = check_connection(client)
    finally:
        close = getattr(client, "close", None)
        if close:
            close()
    return ConnectionTest(ok=check.ok, message=check.summary(), stored=stored, sent=True)
