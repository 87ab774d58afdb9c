"""Server side of WooCommerce's REST authentication (class-wc-rest-authentication.php, 9.9.5).

Over plain http only OAuth 1.0a "one-legged" is tried: the oauth_* parameters come from the query
string (and from a form-encoded body, like PHP's array_merge($_GET, $_POST)). The signature base
string is rebuilt exactly like WooCommerce does it: parameters sorted with strcmp, keys and values
rawurlencode()d, then every "key=value" pair rawurlencode()d again and joined with %26.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import quote, unquote, unquote_plus

VALID_WINDOW = 15 * 60
PARAM_NAMES = ("oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method")


class AuthFailure(Exception):
    def __init__(self, code: str, message: str, status: int = 401):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def rawurlencode(value) -> str:
    return quote(str(value), safe="-_.~")


def php_parse_qs(query: str) -> dict:
    """parse_str() as PHP fills $_GET: '+' is a space, a[b]=c nests, the last duplicate wins."""
    result: dict = {}
    for part in query.split("&"):
        if not part:
            continue
        raw_key, _, raw_value = part.partition("=")
        key = unquote_plus(raw_key)
        value = unquote_plus(raw_value)
        m = re.match(r"^([^\[]+)((?:\[[^\]]*\])*)", key)
        if not m:
            continue
        base = m.group(1).replace(".", "_").replace(" ", "_")
        subs = re.findall(r"\[([^\]]*)\]", m.group(2)) if m.group(2) else []
        if not subs:
            result[base] = value
            continue
        node = result.get(base)
        if not isinstance(node, dict):
            node = result[base] = {}
        for i, sub in enumerate(subs):
            if sub == "":
                ints = [int(k) for k in node if str(k).isdigit()]
                sub = str(max(ints) + 1 if ints else 0)
            if i == len(subs) - 1:
                node[sub] = value
            else:
                child = node.get(sub)
                if not isinstance(child, dict):
                    child = node[sub] = {}
                node = child
    return result


def parse_oauth_header(header: str) -> dict:
    """WC_REST_Authentication::parse_header(): oauth_* pairs of an 'Authorization: OAuth ...' header."""
    if not header or not header.startswith("OAuth "):
        return {}
    params = {}
    for m in re.finditer(r'(oauth_[a-z_-]*)=(:?"([^"]*)"|([^,]*))', header):
        params[m.group(1)] = unquote_plus(m.group(3) if m.group(3) else (m.group(4) or ""))
    return params


def _php_empty(value) -> bool:
    return value is None or value == "" or value == "0" or value == {} or value == []


def _normalize(value):
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    return rawurlencode(value).replace("%7E", "~")


def _join_with_equals_sign(params: dict, out: list, key: str = "") -> list:
    for param_key, param_value in params.items():
        if key:
            param_key = f"{key}%5B{param_key}%5D"
        if isinstance(param_value, dict):
            _join_with_equals_sign(param_value, out, param_key)
        else:
            out.append(rawurlencode(f"{param_key}={param_value}"))
    return out


def string_to_sign(method: str, base_request_uri: str, params: dict) -> str:
    params = {k: v for k, v in params.items() if k != "oauth_signature"}
    ordered = {rawurlencode(k): _normalize(params[k]) for k in sorted(params)}
    query = "%26".join(_join_with_equals_sign(ordered, []))
    return f"{method.upper()}&{rawurlencode(base_request_uri)}&{query}"


def oauth_parameters(params: dict) -> dict | None:
    """get_oauth_parameters(): None when OAuth was not even attempted."""
    missing = [name for name in PARAM_NAMES if _php_empty(params.get(name))]
    if len(missing) == len(PARAM_NAMES):
        return None
    if missing:
        word = "parameter" if len(missing) == 1 else "parameters"
        raise AuthFailure(
            "woocommerce_rest_authentication_missing_parameter",
            f"Missing OAuth {word} {', '.join(missing)}",
        )
    return params


class OAuthVerifier:
    """Holds the API keys and the used nonces (WooCommerce keeps them per key, keyed by timestamp)."""

    def __init__(self):
        self.keys: dict[str, dict] = {}
        self.nonces: dict[str, dict] = {}

    def add_key(self, consumer_key: str, consumer_secret: str, user_id: int = 1, permissions: str = "read_write"):
        self.keys[consumer_key] = {"secret": consumer_secret, "user_id": user_id, "permissions": permissions}
        self.nonces.setdefault(consumer_key, {})

    def verify(self, method: str, base_request_uris, params: dict, now: float) -> dict | None:
        """Returns the key record, None when no OAuth was attempted; raises AuthFailure.
        ``base_request_uris``: the URL (or URLs, any of which may have been signed) without query."""
        params = oauth_parameters(params)
        if params is None:
            return None
        ck = str(params["oauth_consumer_key"]).strip()
        key = self.keys.get(ck)
        if key is None:
            raise AuthFailure("woocommerce_rest_authentication_error", "Consumer key is invalid.")
        provided = unquote(str(params["oauth_signature"]).replace(" ", "+"))
        sig_method = params.get("oauth_signature_method")
        if isinstance(base_request_uris, str):
            base_request_uris = [base_request_uris]
        if sig_method not in ("HMAC-SHA1", "HMAC-SHA256"):
            raise AuthFailure(
                "woocommerce_rest_authentication_error", "Invalid signature - signature method is invalid."
            )
        algo = hashlib.sha1 if sig_method == "HMAC-SHA1" else hashlib.sha256
        matched = False
        for uri in base_request_uris:
            base = string_to_sign(method, uri, params)
            expected = base64.b64encode(
                hmac.new((key["secret"] + "&").encode("utf-8"), base.encode("utf-8"), algo).digest()
            ).decode("ascii")
            matched = matched or hmac.compare_digest(expected.encode(), provided.encode("utf-8", "surrogateescape"))
        if not matched:
            raise AuthFailure(
                "woocommerce_rest_authentication_error", "Invalid signature - provided signature does not match."
            )
        try:
            timestamp = int(float(str(params["oauth_timestamp"])))
        except ValueError:
            timestamp = 0
        if timestamp < now - VALID_WINDOW or timestamp > now + VALID_WINDOW:
            raise AuthFailure("woocommerce_rest_authentication_error", "Invalid timestamp.")
        nonce = str(params["oauth_nonce"])
        used = self.nonces.setdefault(ck, {})
        if nonce in used.values():
            raise AuthFailure("woocommerce_rest_authentication_error", "Invalid nonce - nonce has already been used.")
        used[timestamp] = nonce  # keyed by timestamp, as WooCommerce stores them
        for ts in [t for t in used if t < now - VALID_WINDOW]:
            del used[ts]
        return key

    def verify_basic(self, consumer_key: str, consumer_secret: str) -> dict | None:
        """perform_basic_authentication() (only when is_ssl())."""
        key = self.keys.get(consumer_key)
        if key is None:
            return None
        if not hmac.compare_digest(key["secret"].encode(), consumer_secret.encode()):
            raise AuthFailure("woocommerce_rest_authentication_error", "Consumer secret is invalid.")
        return key
