"""OAuth 1.0a one-legged signing, as WooCommerce checks it over plain http.

We keep the official client's signer (``woocommerce.oauth.OAuth`` 3.0.0: HMAC-SHA256 over
``METHOD&rawurlencode(base URL)&sorted, normalised params``, key ``secret&``) and change two
things in a subclass:

- the nonce: the official one is HMAC-SHA1 of 8 random decimal digits (``random.randint``), i.e.
  10^8 values from a non-cryptographic generator. WooCommerce rejects a nonce already used by the
  key within 15 minutes, so a busy sync (thousands of calls in that window) would sooner or later
  get a spurious 401. Ours is 20 bytes from :mod:`secrets`.
- value encoding: the official ``normalize_parameters`` uses ``urllib.parse.quote`` which leaves
  ``/`` unescaped, while WooCommerce normalises with PHP's ``rawurlencode`` (``/`` -> ``%2F``).
  Any parameter value holding a ``/`` (``rest_route=/wc/v3/...`` when pretty permalinks are off,
  a search term, a URL) would get "Invalid signature". We quote with ``safe=""`` like PHP.

Every request, and every retry of it, is signed afresh: new timestamp, new nonce.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from urllib.parse import quote, unquote

from woocommerce.oauth import OAuth


class Signer(OAuth):
    @staticmethod
    def generate_nonce() -> str:
        return secrets.token_hex(20)

    @staticmethod
    def normalize_parameters(params):
        normalized = OrderedDict()
        for key, value in (params or {}).items():
            if isinstance(value, bool):
                value = "1" if value else ""
            elif value is None:
                value = ""
            key = quote(unquote(str(key)), safe="").replace("%", "%25")
            value = quote(unquote(str(value)), safe="").replace("%", "%25")
            normalized[key] = value
        return normalized


def sign_url(url: str, method: str, consumer_key: str, consumer_secret: str, version: str = "wc/v3") -> str:
    """``url`` (with its query string) plus freshly signed ``oauth_*`` parameters."""
    return Signer(
        url=url,
        consumer_key=consumer_key,
        consumer_secret=consumer_secret,
        version=version,
        method=method.upper(),
        oauth_timestamp=int(time.time()),
    ).get_oauth_url()
