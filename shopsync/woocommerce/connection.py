"""The "Test connection" button: what works between us and the shop, and what to fix, in words.

Two requests at most (three or four when something needs a second look), no retries, nothing
left behind in the shop:

1. ``GET webhooks?per_page=1`` (a read any key with read rights may do): reachable? TLS? REST API
   present (else: pretty permalinks off -> ``?rest_route=``; WooCommerce missing)? key accepted?
2. ``POST webhooks`` with a topic WooCommerce does not know: a key with write rights passes the
   permission checks and gets ``400 woocommerce_rest_webhook_invalid_topic`` (nothing created); a
   read-only key gets ``401`` ("does not have write permissions"), which WooCommerce checks before
   anything else.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from shopsync.woocommerce.client import _NOT_JSON, WooClient, _decode_json
from shopsync.woocommerce.errors import ConnectionFailed, WooError

#: the body of the harmless write probe: rejected for its topic by a key allowed to write
WRITE_PROBE = {
    "name": "shopsync connection test (never created)",
    "topic": "shopsync.connection_test",
    "delivery_url": "https://example.invalid/shopsync-connection-test",
    "status": "disabled",
}

KEYS_PAGE = "WooCommerce \u2192 Settings \u2192 Advanced \u2192 REST API"


@dataclasses.dataclass
class ConnectionCheck:
    """The answer of :func:`check_connection`.

    ``None`` means "not found out" (an earlier step failed, or not applicable: ``tls_ok`` over
    http). ``problems`` say what is wrong and what to do; ``notes`` are things worth knowing that
    do not stop the sync.
    """

    url: str
    auth_method: str = ""
    reachable: bool = False
    tls_ok: bool | None = None
    rest_api: bool | None = None
    pretty_permalinks: bool | None = None
    auth_ok: bool | None = None
    can_read: bool | None = None
    can_write: bool | None = None
    problems: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.reachable and self.auth_ok and self.can_read and self.can_write is not False
                    and not self.problems)

    def summary(self) -> str:
        if self.ok:
            rights = "read and write rights" if self.can_write else "read rights (write rights not confirmed)"
            text = f"Connected to {self.url}: WooCommerce answered and accepted the key, with {rights}."
        else:
            text = " ".join(self.problems) or f"Could not confirm the connection to {self.url}."
        if self.notes:
            text += " " + " ".join(self.notes)
        return text

    @property
    def message(self) -> str:
        return self.summary()

    def __str__(self) -> str:
        return self.summary()

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["ok"] = self.ok
        out["summary"] = self.summary()
        return out


def _ask(client, method: str, path: str, **kw):
    """One request, no retry: the response (any status) or the ConnectionFailed."""
    try:
        return client._call(method, path, max_retries=0, raise_errors=False, **kw)
    except ConnectionFailed as exc:
        return exc


def _payload(resp) -> Any:
    value = _decode_json(resp)
    return None if value is _NOT_JSON else value


def _wc_error(resp) -> tuple[str, str]:
    body = _payload(resp)
    if isinstance(body, dict):
        return str(body.get("code") or ""), str(body.get("message") or "")
    return "", ""


def check_connection(client: WooClient) -> ConnectionCheck:
    """Reachable? TLS? REST API? Credentials? Write rights? See :class:`ConnectionCheck`.

    This module works on a client; the client knows nothing of it (one direction only)."""
    check = ConnectionCheck(url=client.url, auth_method=client.auth_method)
    if not client.https:
        check.notes.append(
            "The shop is on plain http: requests are signed (OAuth 1.0a) but travel unencrypted; "
            "use its https:// address if it has a certificate."
        )

    query_auth_before = client.query_string_auth
    resp = _ask(client, "GET", "webhooks", params={"per_page": 1})
    if isinstance(resp, ConnectionFailed):
        check.reachable = resp.kind in ("tls", "read_timeout", "dropped", "redirect")
        if resp.kind == "tls":
            check.tls_ok = False
        check.problems.append(client.scrub(resp.reason))
        return check
    check.reachable = True
    if client.https:
        check.tls_ok = True

    # pretty permalinks off: /wp-json/ is a 404 web page, ?rest_route= works
    if resp.status_code == 404 and _payload(resp) is None and not client.rest_route:
        if client._switch_to_rest_route(resp):
            resp = _ask(client, "GET", "webhooks", params={"per_page": 1})
            if isinstance(resp, ConnectionFailed):
                check.problems.append(client.scrub(resp.reason))
                return check
    if client.rest_route:
        check.pretty_permalinks = False
        check.notes.append(
            "Pretty permalinks are off in WordPress, so the REST API is reached through "
            "?rest_route=; this works, but Settings \u2192 Permalinks set to anything but "
            "\u201cPlain\u201d gives the usual /wp-json/ addresses."
        )

    if client.query_string_auth and not query_auth_before:
        check.auth_method = client.auth_method
        check.notes.append(
            "The web server drops the Authorization header (common with Apache + PHP as CGI), so "
            "the key is sent in the query string instead (over https)."
        )

    _read_check(client, check, resp)
    if not (check.auth_ok and check.can_read):
        return check

    probe = _ask(client, "POST", "webhooks", data=WRITE_PROBE)
    if isinstance(probe, ConnectionFailed):
        check.notes.append(f"Write rights could not be checked: {client.scrub(probe.reason)}")
        return check
    code, message = _wc_error(probe)
    if probe.status_code == 400:
        check.can_write = True
    elif probe.status_code in (401, 403):
        check.can_write = False
        if "write" in message.lower():
            check.problems.append(
                f"The API key is read-only: in {KEYS_PAGE}, edit the key and give it "
                "Read/Write permissions."
            )
        else:
            check.problems.append(
                "The key may read but not write (" + client.scrub(message or f"HTTP {probe.status_code}")
                + "): its user needs to be an administrator or shop manager, and the key Read/Write."
            )
    elif probe.status_code in (200, 201):
        check.can_write = True
        created = _payload(probe)
        if isinstance(created, dict) and created.get("id"):
            try:  # the shop accepted our made-up topic: take the webhook away again
                client.delete_webhook(created["id"])
            except WooError:
                check.notes.append(f"A test webhook #{created['id']} was left in the shop; delete it.")
    else:
        check.notes.append(f"Write rights could not be checked (HTTP {probe.status_code}).")
    return check


def _read_check(client, check: ConnectionCheck, resp) -> None:
    status = resp.status_code
    code, message = _wc_error(resp)
    body = _payload(resp)
    say = client.scrub(message)
    if 200 <= status < 300:
        if isinstance(body, list):
            check.rest_api = True
            if check.pretty_permalinks is None:
                check.pretty_permalinks = not client.rest_route
            check.auth_ok = check.can_read = True
        else:
            check.rest_api = False
            check.problems.append(
                "The address answers with a web page, not WooCommerce's REST API: check that it is "
                "the shop's home address and that nothing (a security plugin, a cache) blocks /wp-json/."
            )
        return
    if 300 <= status < 400:
        err = client._http_error("GET", "webhooks", resp, 1, True)
        check.problems.append(client.scrub(str(err.message)))
        return
    if status == 404:
        if code == "rest_no_route":
            check.rest_api = True
            check.problems.append(
                "WordPress answers, but WooCommerce's REST API (wc/v3) is not there: is WooCommerce "
                "installed and active, and recent enough (3.5 or later)?"
            )
        else:
            check.rest_api = False
            check.problems.append(
                "No WordPress REST API at this address (HTTP 404): check that it is the shop's home "
                "address, e.g. https://shop.example/ (not a page of the shop or of wp-admin)."
            )
        return
    if status in (401, 403):
        check.rest_api = body is not None
        low = message.lower()
        if code == "woocommerce_rest_authentication_error" or code.startswith("woocommerce_rest_") and "key" in low:
            if "read permission" in low:
                check.auth_ok, check.can_read = True, False
                check.problems.append(
                    f"The API key has no read permission: in {KEYS_PAGE}, give it Read/Write permissions."
                )
                return
            check.auth_ok = False
            if "consumer key is invalid" in low:
                check.problems.append(
                    f"The shop does not know this consumer key: copy it again from {KEYS_PAGE} "
                    "(it starts with ck_), or create a new key."
                )
            elif "signature" in low or "consumer secret is invalid" in low:
                check.problems.append(
                    "The consumer secret does not match the key: copy it again (it starts with cs_ "
                    "and is shown only once, when the key is created; if it is lost, create a new key)."
                )
            elif "timestamp" in low:
                check.problems.append(
                    "The shop refused the request's time stamp: the clock of this server or of the "
                    "shop's server is wrong by more than 15 minutes."
                )
            else:
                check.problems.append(f"The shop refused the API key: {say}")
            return
        if code in ("woocommerce_rest_cannot_view", "woocommerce_rest_cannot_create"):
            check.auth_ok = False
            hint = "" if client.https else (
                " Over plain http the key must be signed (OAuth 1.0a), which shopsync does; if the "
                "shop is really on https, enter its https:// address."
            )
            check.problems.append(
                f"The shop did not accept the key ({say}). Either the key's WordPress user may not "
                "manage WooCommerce (give the key to an administrator or shop manager), or the "
                f"credentials did not reach WooCommerce.{hint}"
            )
            return
        check.auth_ok = False
        check.problems.append(
            f"The shop refused access (HTTP {status}{': ' + say if say else ''}). A security plugin or "
            "a firewall may be blocking the REST API for this server."
        )
        return
    if status == 429:
        check.problems.append("The shop is limiting requests right now (HTTP 429): try again in a minute.")
        return
    if status >= 500:
        check.problems.append(f"The shop had an internal error (HTTP {status}{': ' + say if say else ''}).")
        return
    check.problems.append(f"Unexpected answer from the shop: HTTP {status}{': ' + say if say else ''}.")
