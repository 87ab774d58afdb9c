"""Webhook queue and delivery, as WooCommerce 9.9.5 does it (class-wc-webhook.php, wc-webhook-functions.php).

- An event queues one Action Scheduler action per (webhook, resource id) unless one is already pending
  for that pair: later events merge into it. Only active webhooks queue anything.
- The body is built when the action runs (WP-Cron here: ``deliver_webhooks()``), from the current state:
  a resource deleted meanwhile gives the REST 404 error body, still signed.
- The action delivers even if the webhook was paused or disabled after queueing (only a deleted
  webhook is skipped). There is no retry. A 2xx/301/302 answer resets failure_count; any other answer
  or error increments it, and the 7th consecutive failure sets status "disabled" (failure_count stays 6).
- Every save of an active webhook whose ping never got a 200 re-sends the unsigned ping.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import os
import ssl
from urllib.parse import urlsplit

from .util import local_and_gmt, wp_json

USER_AGENT = "WooCommerce/9.9.5 Hookshot (WordPress/6.9.4)"
ACCEPT_ENCODING = "deflate, gzip, br, zstd"
MAX_FAILURES = 5  # woocommerce_max_webhook_delivery_failures


def signature(secret: str, body: bytes) -> str:
    """X-WC-Webhook-Signature: base64(HMAC-SHA256(secret as UTF-8, raw body))."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def post(url: str, headers: list[tuple[str, str]], body: bytes, timeout: float) -> tuple[int | None, str | None]:
    """One HTTP/1.1 POST with exactly these headers, in this order. Host comes first; Content-Length
    goes where a ("Content-Length", None) placeholder is, else last. Returns (status, error)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host_header = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname, port, timeout=timeout,
                                           context=ssl._create_unverified_context())
    else:
        conn = http.client.HTTPConnection(parts.hostname, port, timeout=timeout)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        conn.putrequest("POST", target, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host_header)
        placed = False
        for name, value in headers:
            if name == "Content-Length":
                value, placed = str(len(body)), True
            conn.putheader(name, value)
        if not placed:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        resp.read()
        return resp.status, None
    except (OSError, http.client.HTTPException) as exc:
        return None, f"http_request_failed: {exc.__class__.__name__}: {exc}"
    finally:
        conn.close()


class WebhookEngine:
    def __init__(self, sim):
        self.sim = sim
        self.queue: list[dict] = []
        self.log: list[dict] = []  # every outgoing request: pings and deliveries
        self._salt = os.urandom(16)

    # ------------------------------------------------------------------ queueing (lock held)
    def on_event(self, resource: str, event: str, resource_id: int) -> None:
        for w in self.sim.state.webhooks.values():
            if w["status"] != "active" or w["resource"] != resource or w["event"] != event:
                continue
            if any(q["webhook_id"] == w["id"] and q["arg"] == resource_id for q in self.queue):
                continue
            self.queue.append({"webhook_id": w["id"], "arg": resource_id, "queued_at": self.sim.now()})

    def pending(self) -> list[dict]:
        with self.sim.lock:
            return [dict(q) for q in self.queue]

    # ------------------------------------------------------------------ ping
    def ping(self, webhook_id: int) -> int | None:
        """deliver_ping(): unsigned form POST ``webhook_id=N``; a 200 clears pending_delivery."""
        with self.sim.lock:
            w = self.sim.state.webhooks.get(webhook_id)
            if w is None:
                return None
            url = w["delivery_url"]
        headers = [("User-Agent", USER_AGENT), ("Accept", "*/*"), ("Accept-Encoding", ACCEPT_ENCODING),
                   ("Connection", "close"), ("Content-Length", None),
                   ("Content-Type", "application/x-www-form-urlencoded")]
        body = f"webhook_id={webhook_id}".encode()
        status, error = post(url, headers, body, self.sim.webhook_timeout)
        with self.sim.lock:
            sent = [(n, str(len(body)) if v is None else v) for n, v in headers]
            self.log.append({"kind": "ping", "webhook_id": webhook_id, "url": url, "status_code": status,
                             "error": error, "headers": sent, "body": body.decode()})
            w = self.sim.state.webhooks.get(webhook_id)
            if w is not None and status == 200:
                w["pending_delivery"] = False  # and the webhook is saved
                w["date_modified"], w["date_modified_gmt"] = local_and_gmt(self.sim.now())
        return status

    def after_save(self, webhook_id: int, url_changed: bool = False) -> None:
        """WC_Webhook_Data_Store::update(): ping when active and (pending or delivery_url changed)."""
        with self.sim.lock:
            w = self.sim.state.webhooks.get(webhook_id)
            if w is None:
                return
            local, gmt = local_and_gmt(self.sim.now())
            w["date_modified"], w["date_modified_gmt"] = local, gmt
            must_ping = w["status"] == "active" and (url_changed or w["pending_delivery"])
        if must_ping:
            self.ping(webhook_id)

    # ------------------------------------------------------------------ delivery
    def delivery_id(self, webhook_id: int) -> str:
        """wp_hash($id . strtotime('now')): same value for one webhook within one second."""
        msg = f"{webhook_id}{int(self.sim.now())}".encode()
        return hmac.new(self._salt, msg, hashlib.md5).hexdigest()

    def build_request(self, w: dict, arg: int) -> tuple[list[tuple[str, str]], bytes]:
        if w["event"] == "deleted":
            payload = {"id": arg}
        else:
            payload = self.sim.rest.resource_payload(w["resource"], arg)
        body = wp_json(payload).strip().encode("utf-8")
        headers = [
            ("User-Agent", USER_AGENT), ("Accept", "*/*"), ("Accept-Encoding", ACCEPT_ENCODING),
            ("Content-Type", "application/json"),
            ("X-WC-Webhook-Source", self.sim.url),
            ("X-WC-Webhook-Topic", w["topic"]),
            ("X-WC-Webhook-Resource", w["resource"]),
            ("X-WC-Webhook-Event", w["event"]),
            ("X-WC-Webhook-Signature", signature(w["secret"], body)),
            ("X-WC-Webhook-ID", str(w["id"])),
            ("X-WC-Webhook-Delivery-ID", self.delivery_id(w["id"])),
            ("Connection", "close"),
        ]
        return headers, body

    def deliver_all(self) -> list[dict]:
        results = []
        while True:
            with self.sim.lock:
                if not self.queue:
                    break
                item = self.queue.pop(0)
                w = self.sim.state.webhooks.get(item["webhook_id"])
                if w is None:
                    continue
                headers, body = self.build_request(w, item["arg"])
                url, topic = w["delivery_url"], w["topic"]
            status, error = post(url, headers, body, self.sim.webhook_timeout)
            result = {"webhook_id": item["webhook_id"], "topic": topic, "resource_id": item["arg"],
                      "status_code": status, "error": error, "delivery_id": dict(headers)["X-WC-Webhook-Delivery-ID"],
                      "body": body.decode("utf-8")}
            with self.sim.lock:
                self.log.append({"kind": "delivery", "webhook_id": item["webhook_id"], "url": url,
                                 "status_code": status, "error": error, "headers": headers,
                                 "body": body.decode("utf-8")})
                w = self.sim.state.webhooks.get(item["webhook_id"])
                if w is not None:
                    if status is not None and 200 <= status < 303:
                        w["failure_count"] = 0
                    elif w["failure_count"] > MAX_FAILURES:
                        w["status"] = "disabled"
                    else:
                        w["failure_count"] += 1
            if w is not None:
                self.after_save(item["webhook_id"])
            results.append(result)
        return results
