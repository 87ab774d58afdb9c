"""Typed errors of the WooCommerce adapter.

Each error carries what WooCommerce said (``code``, ``message``, ``status``, ``data``) and which call
failed (``method``, ``path``: the endpoint relative to ``wc/v3``, never a query string). ``str()`` is
one plain-language sentence a shop manager can act on, followed by WooCommerce's own words.

No error ever holds the consumer key, the consumer secret or a signed URL: the client scrubs
everything it puts in one (see :func:`scrub`), and errors are raised outside the ``except`` block
of the transport error, so no chained ``requests`` exception (whose text holds the signed URL)
rides along in ``__context__``.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Iterable
from urllib.parse import unquote

__all__ = [
    "WooError",
    "AuthError",
    "NotFoundError",
    "WooValidationError",
    "RateLimited",
    "ServerError",
    "ConnectionFailed",
    "TooLarge",
    "scrub",
    "redact_url",
]

# query-string parameters that carry credentials or a signature
_SECRET_PARAM = re.compile(r"(?i)^(oauth_[a-z_]*|consumer_key|consumer_secret)$")
# a URL's query string inside a text
_QUERY = re.compile(r"\?[^\s'\"<>)#]*")


def _keep_param(pair: str) -> bool:
    return bool(pair) and not _SECRET_PARAM.match(unquote(pair.split("=", 1)[0]))


def _redact_query(match: re.Match) -> str:
    kept = [p for p in match.group(0)[1:].split("&") if _keep_param(p)]
    return "?" + "&".join(kept) if kept else ""


def redact_url(url: str) -> str:
    """``url`` without any ``oauth_*`` / ``consumer_*`` query parameter."""
    return _QUERY.sub(_redact_query, url)


def scrub(text: Any, secrets: Iterable[str] = ()) -> Any:
    """Remove credentials from ``text`` (a str, or a JSON-like structure of them).

    ``oauth_*``/``consumer_*`` parameters are cut out of any query string in it, and every literal
    occurrence of one of ``secrets`` (consumer key and secret) is replaced by ``***``.
    """
    secrets = [s for s in secrets if s]
    if isinstance(text, str):
        out = _QUERY.sub(_redact_query, text) if "?" in text else text
        for s in sorted(secrets, key=len, reverse=True):
            out = out.replace(s, "***")
        return out
    if isinstance(text, dict):
        return {scrub(k, secrets): scrub(v, secrets) for k, v in text.items()}
    if isinstance(text, (list, tuple)):
        return type(text)(scrub(v, secrets) for v in text)
    return text


class RedactingFilter(logging.Filter):
    """Strips ``oauth_*``/``consumer_*`` query parameters from log records.

    Installed on ``urllib3.connectionpool``, whose DEBUG lines hold every request's full URL: the
    signed OAuth URL (key, signature) over http, the secret itself with query-string auth.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "?" in record.msg:
            record.msg = scrub(record.msg)
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(scrub(a) if isinstance(a, str) and "?" in a else a for a in record.args)
        return True


def install_log_redaction(logger_names: Iterable[str] = ("urllib3.connectionpool",)) -> None:
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


class WooError(Exception):
    """Base of every error the adapter raises.

    - ``code``: WooCommerce's error code (``woocommerce_rest_product_invalid_id``…), or one of the
      adapter's own (``shopsync_…``) when the shop gave none.
    - ``message``: WooCommerce's message, as it sent it (or the adapter's plain text).
    - ``status``: the HTTP status, ``None`` when no answer came.
    - ``data``: WooCommerce's ``data`` object (``resource_id``, ``unique_sku``, ``params``…).
    - ``maybe_applied``: the request reached the shop and its outcome is unknown (a create may
      exist now: look before sending it again).
    """

    #: the plain-language lead of ``str(error)``
    lead = "The shop answered with an error"
    #: re-running the same call later may succeed
    transient = False
    #: seconds the shop asked to wait (``Retry-After``), when it did
    retry_after: float | None = None
    #: on an error that stopped :meth:`WooClient.batch`: what that batch did before it stopped
    partial_result: Any = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        data: Any = None,
        method: str | None = None,
        path: str | None = None,
        maybe_applied: bool = False,
        attempts: int = 1,
    ) -> None:
        self.message = message
        self.code = code
        self.status = status
        self.data = data if data is not None else {}
        self.method = method
        self.path = path
        self.maybe_applied = maybe_applied
        self.attempts = attempts
        super().__init__(self._text())

    def _text(self) -> str:
        text = f"{self.lead}: {self.message}" if self.message else self.lead
        detail = []
        if self.code:
            detail.append(self.code)
        if self.status:
            detail.append(f"HTTP {self.status}")
        if self.method and self.path is not None:
            detail.append(f"{self.method} {self.path}")
        if self.attempts > 1:
            detail.append(f"after {self.attempts} attempts")
        if detail:
            text += f" [{', '.join(detail)}]"
        if self.maybe_applied:
            text += " The shop may have carried it out anyway: check before sending it again."
        return text

    def __str__(self) -> str:  # kept in sync when attributes are changed after construction
        return self._text()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._text()!r})"

    def __reduce__(self):  # picklable (RQ keeps failed jobs' exceptions)
        return (
            _rebuild,
            (type(self), self.message, dict(self.__dict__)),
        )


def _rebuild(cls, message, state):
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class AuthError(WooError):
    """401/403: the key is wrong, revoked, lacks the permission, or the shop ignored it."""

    lead = "The shop refused the API credentials"


class NotFoundError(WooError):
    """404: the object (or the route) does not exist in the shop."""

    lead = "Not found in the shop"


class WooValidationError(WooError):
    """400 (and 409/422): the shop rejected the data (duplicate SKU, invalid parameter…)."""

    lead = "The shop rejected the data"


class TooLarge(WooError):
    """413: more than 100 objects in a batch, or a body over the host's size limit."""

    lead = "The request was too large for the shop"


class RateLimited(WooError):
    """429 still answered after the retries allowed; ``retry_after`` in seconds when given."""

    lead = "The shop is limiting requests (too many requests)"
    transient = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)


class ServerError(WooError):
    """5xx: the shop (PHP, the web server or a proxy in front of it) failed."""

    lead = "The shop had an internal error"
    transient = True


class ConnectionFailed(WooError):
    """No usable answer: refused, DNS, TLS, timeout, or the connection was cut.

    ``reason`` says in plain words what happened; ``kind`` is one of ``connect``, ``dns``,
    ``connect_timeout``, ``tls``, ``read_timeout``, ``dropped``, ``redirect``, ``invalid_url``,
    ``private_address`` (a loopback/private/link-local address, refused before connecting).
    """

    lead = "Could not talk to the shop"

    @property
    def transient(self) -> bool:  # type: ignore[override]
        return self.kind not in ("tls", "redirect", "invalid_url", "private_address")

    def __init__(self, reason: str, *, kind: str = "connect", **kw: Any) -> None:
        self.reason = reason
        self.kind = kind
        kw.setdefault("code", f"shopsync_{kind}")
        super().__init__(reason, **kw)
