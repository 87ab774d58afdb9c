"""The intake: what happens to one HTTP delivery from a shop, before any job runs.

Order of work, each step before the next:
1. the site is named in the endpoint URL (``?site=<name>``): unknown -> 400;
2. a body over ``MAX_BODY`` -> 413, nothing read further;
3. WooCommerce's creation ping (form body ``webhook_id=N``, unsigned) -> exactly 200, nothing kept;
4. ``X-WC-Webhook-Signature`` checked against the raw bytes in constant time -> 401 when missing or
   wrong. Nothing of the payload is used before this point;
5. the delivery is written to the durable log ("WooCommerce Webhook Log"), keyed on site + resource
   + id + ``date_modified_gmt`` + the body's hash (a unique field: a repeat is answered 200 and
   not stored twice). Malformed JSON, an unknown topic or a payload without an id are kept as
   Failed with the reason, the payload included, for inspection;
6. one job per site + resource + id is queued (``deliveries.process_resource``), then 200.
   If queueing fails (Redis down) the log stays Queued and the sweeper queues it later.

WooCommerce never retries a failed delivery, so every signed delivery is answered 200 once it is
stored, whatever its content.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
from typing import Any, Mapping

from shopsync.erp.errors import DoesNotExistError, DuplicateEntryError, UniqueValidationError
from shopsync.sync.runtime import Runtime
from shopsync.woocommerce.signature import verify

log = logging.getLogger(__name__)

LOG_DOCTYPE = "WooCommerce Webhook Log"
MAX_BODY = 2 * 1024 * 1024
PING_RE = re.compile(rb"webhook_id=[0-9]{1,12}")
RESOURCES = ("order", "product", "customer", "coupon")
EVENTS = ("created", "updated", "deleted", "restored")


@dataclasses.dataclass
class Answer:
    status: int
    message: str
    log_name: str | None = None

    def body(self) -> dict[str, Any]:
        return {"status": self.status, "message": self.message}


def job_id(site: str, resource: str, resource_id: int | str) -> str:
    return f"shopsync:delivery:{site}:{resource}:{resource_id}"


def _header(headers: Mapping[str, str], name: str) -> str:
    lname = name.lower()
    for k, v in headers.items():
        if k.lower() == lname:
            return v
    return ""


def is_ping(raw_body: bytes, headers: Mapping[str, str]) -> bool:
    """The exact shape of WooCommerce's creation ping, and nothing else unsigned."""
    ctype = _header(headers, "Content-Type").split(";")[0].strip().lower()
    return (
        ctype == "application/x-www-form-urlencoded"
        and not _header(headers, "X-WC-Webhook-Signature")
        and not _header(headers, "X-WC-Webhook-Topic")
        and PING_RE.fullmatch(raw_body) is not None
    )


def receive(rt: Runtime, site_name: str | None, raw_body: bytes, headers: Mapping[str, str]) -> Answer:
    if not site_name:
        return Answer(400, "No site named in the endpoint URL (?site=...)")
    try:
        site = rt.load_site(site_name)
    except DoesNotExistError:
        return Answer(400, f"Unknown WooCommerce site {site_name!r}")
    if len(raw_body) > MAX_BODY:
        return Answer(413, f"Delivery body over {MAX_BODY} bytes refused")
    if is_ping(raw_body, headers):
        return Answer(200, "ping accepted")
    signature = _header(headers, "X-WC-Webhook-Signature")
    if not any(verify(secret, raw_body, signature) for secret in site.secrets_accepted(rt.erp.now())):
        log.warning("shopsync: refused a delivery with a missing or wrong signature for site %s", site.name)
        return Answer(401, "Missing or invalid X-WC-Webhook-Signature")

    # Signed by the shop: from here on, the delivery is kept whatever it holds.
    topic = _header(headers, "X-WC-Webhook-Topic")
    resource, _, event = topic.partition(".")
    entry: dict[str, Any] = {
        "doctype": LOG_DOCTYPE,
        "site": site.name,
        "topic": topic,
        "resource": _header(headers, "X-WC-Webhook-Resource") or resource,
        "event": _header(headers, "X-WC-Webhook-Event") or event,
        "webhook_id": _int(_header(headers, "X-WC-Webhook-ID")),
        "delivery_id": _header(headers, "X-WC-Webhook-Delivery-ID")[:64],
        "received_at": rt.erp.now(),
        "body_sha256": hashlib.sha256(raw_body).hexdigest(),
        "payload": raw_body.decode("utf-8", errors="replace"),
        "attempts": 0,
        "status": "Queued",
    }
    problem = None
    payload: Any = None
    try:
        payload = json.loads(raw_body)
    except ValueError as exc:
        problem = f"Malformed JSON: {exc}"
    if problem is None:
        if resource not in RESOURCES or event not in EVENTS:
            problem = f"Unknown topic {topic!r}"
        elif not isinstance(payload, dict):
            problem = "Payload is not a JSON object"
        elif "code" in payload and "id" not in payload:
            # WooCommerce built the body after the resource was deleted: its REST error, signed.
            entry["status"] = "Skipped"
            entry["error"] = f"The shop sent its error instead of the {resource}: {payload.get('code')} {payload.get('message', '')}".strip()
        elif not _int(payload.get("id")):
            problem = "Payload has no id"
        else:
            entry["resource_id"] = _int(payload["id"])
            entry["date_modified_gmt"] = str(payload.get("date_modified_gmt") or "")
    if problem:
        entry["status"] = "Failed"
        entry["error"] = problem
    entry["dedupe_key"] = hashlib.sha256(
        "|".join(
            [site.name, entry["resource"], str(entry.get("resource_id") or ""), entry.get("date_modified_gmt") or "", entry["body_sha256"]]
        ).encode()
    ).hexdigest()
    try:
        with rt.erp.transaction():
            stored = rt.erp.insert(entry)
    except (DuplicateEntryError, UniqueValidationError):
        return Answer(200, "duplicate delivery: already received")
    if stored["status"] != "Queued":
        return Answer(200, f"kept as {stored['status']}: {stored.get('error')}", stored["name"])
    queue_resource(rt, site.name, entry["resource"], entry["resource_id"])
    return Answer(200, "queued", stored["name"])


def queue_resource(rt: Runtime, site: str, resource: str, resource_id: int) -> bool:
    try:
        return rt.enqueue(
            "shopsync.sync.deliveries.run_resource_job",
            job_id=job_id(site, resource, resource_id),
            site_name=site,
            resource=resource,
            resource_id=resource_id,
        )
    except Exception as exc:  # the queue is down: the log stays Queued, the sweeper re-queues it
        log.warning("shopsync: could not queue %s %s of %s (%s); the sweeper will", resource, resource_id, site, type(exc).__name__)
        return False


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0
