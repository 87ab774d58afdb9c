"""A tiny signed client for tests: requests + the official PyPI client's OAuth class.

It signs exactly like ``woocommerce.API`` does over http (oauth_* in the query string, HMAC-SHA256,
consumer secret + '&'), but sends the signed URL once (the PyPI client also repeats the params).
"""
from __future__ import annotations

import json as _json
from urllib.parse import urlencode

import requests
from woocommerce.oauth import OAuth


class SimClient:
    def __init__(self, base_url: str, consumer_key: str = "ck_test", consumer_secret: str = "cs_test",
                 timeout: float = 10.0):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.timeout = timeout
        self.session = requests.Session()

    def signed_url(self, method: str, route: str, params: dict | None = None, timestamp: int | None = None,
                   consumer_key: str | None = None, consumer_secret: str | None = None) -> str:
        url = f"{self.base_url}wp-json/wc/v3/{route.lstrip('/')}"
        if params:
            url = f"{url}?{urlencode(params)}"
        kwargs = {"version": "wc/v3", "method": method.upper()}
        if timestamp is not None:
            kwargs["oauth_timestamp"] = timestamp
        return OAuth(url, consumer_key or self.consumer_key, consumer_secret or self.consumer_secret,
                     **kwargs).get_oauth_url()

    def request(self, method: str, route: str, params: dict | None = None, json=None, **sign) -> requests.Response:
        url = self.signed_url(method, route, params, **sign)
        headers = {"Accept": "application/json"}
        data = None
        if json is not None:
            data = _json.dumps(json, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json;charset=utf-8"
        return self.session.request(method.upper(), url, data=data, headers=headers, timeout=self.timeout)

    def get(self, route, params=None, **kw):
        return self.request("GET", route, params, **kw)

    def post(self, route, json=None, params=None, **kw):
        return self.request("POST", route, params, json=json, **kw)

    def put(self, route, json=None, params=None, **kw):
        return self.request("PUT", route, params, json=json, **kw)

    def delete(self, route, params=None, **kw):
        return self.request("DELETE", route, params, **kw)

    def close(self):
        self.session.close()
