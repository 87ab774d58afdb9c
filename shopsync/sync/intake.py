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
from shopsync.sync.runtime import Runtime, delivery_queue
from shopsync.woocommerce.redacted import Headers, Payload
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


#: Keys every body of a resource carries (the real captures): an order body is an order, a
#: customer body a customer. A deletion's body is ``{"id": N}`` (or, tolerated, the full resource).
SHAPES = {
    "order": ("order_key", "line_items", "billing"),
    "customer": ("email", "username", "role"),
    "product": ("sku", "permalink", "manage_stock"),
    "coupon": ("code", "discount_type"),
}
MAX_ID = 2**31 - 1  # Frappe's Int columns are signed 32-bit
MAX_HEADER = 140  # what a Data column holds; a longer header value is cut, never fatal
MAX_DEPTH = 64  # a body nested deeper than any WooCommerce resource is refused as malformed
RECEIPT_DOCTYPE = "WooCommerce Delivery Receipt"
UNKNOWN_OR_FORGED = "Refused: unknown site or missing/invalid X-WC-Webhook-Signature"


def shape_problem(resource: str, event: str, payload: dict[str, Any]) -> str | None:
    """Why the signed body cannot be the resource its headers name, or None."""
    marks = SHAPES.get(resource)
    if not marks:
        return None
    if event == "deleted" and set(payload) <= {"id"}:
        return None
    missing = [k for k in marks if k not in payload]
    if missing:
        found = next((r for r, m in SHAPES.items() if r != resource and all(k in payload for k in m)), None)
        what = f"a {found} body" if found else f"a body without {', '.join(missing)}"
        return f"The headers say {resource}.{event} but the signed body is {what}: nothing was done with it."
    return None


def header_problem(site: Any, topic: str, resource_header: str, event_header: str, webhook_id: int) -> str | None:
    """The unsigned headers must agree with each other and with the site's own webhook."""
    resource, _, event = topic.partition(".")
    if resource not in RESOURCES or event not in EVENTS:
        return f"Unknown topic {topic!r}"
    if (resource_header and resource_header != resource) or (event_header and event_header != event):
        return (f"The headers disagree: topic {topic!r}, resource {resource_header!r}, event {event_header!r}; "
                "nothing was done with the delivery.")
    known = site.webhook_topic(webhook_id) if webhook_id else None
    if known is not None and known != topic:
        return (f"Webhook #{webhook_id} of site {site.name} is for {known}, not {topic}: "
                "the delivery was re-labelled; nothing was done with it.")
    return None


def _depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deep ``value`` nests (stops counting past ``limit``), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return deepest


def _parse(raw_body: bytes) -> tuple[Any, str | None]:
    try:
        payload = json.loads(raw_body)
    except RecursionError:
        return None, "Malformed JSON: nested too deeply"
    except ValueError as exc:
        return None, f"Malformed JSON: {exc}"
    if _depth(payload) > MAX_DEPTH:
        return None, f"Malformed JSON: nested deeper than {MAX_DEPTH} levels"
    return payload, None


def dedupe_key(site: str, resource: str, resource_id: int | str, date_modified_gmt: str, body_sha256: str) -> str:
    return hashlib.sha256("|".join([site, resource, str(resource_id or ""), date_modified_gmt or "", body_sha256]).encode()).hexdigest()


def receive(rt: Runtime, site_name: str | None, raw_body: bytes, headers: Mapping[str, str]) -> Answer:
    """One delivery. Never raises: an unexpected failure after the signature check answers 503 and
    logs one line without the payload, the headers or any secret (Frappe's Error Log would keep
    the buyer's details and a replayable signature)."""
    try:
        return _receive(rt, site_name, raw_body, headers)
    except Exception as exc:  # noqa: BLE001 - see the docstring
        log.error("shopsync: delivery for site %r not stored (%s); answered 503", str(site_name)[:60], type(exc).__name__)
        return Answer(503, "The delivery could not be stored now; nothing of it was kept.")


def _receive(rt: Runtime, site_name: str | None, raw_body: bytes, headers: Mapping[str, str]) -> Answer:
    raw_body = Payload(raw_body)
    headers = Headers(headers)
    if not site_name:
        return Answer(400, "No site named in the endpoint URL (?site=...)")
    try:
        site = rt.load_site(site_name)
    except DoesNotExistError:
        # Same answer and the same work as a forgery: a guest learns nothing of which sites exist.
        verify(_DECOY, raw_body, _header(headers, "X-WC-Webhook-Signature"))
        log.warning("shopsync: refused a delivery for an unknown site")
        return Answer(401, UNKNOWN_OR_FORGED)
    if len(raw_body) > MAX_BODY:
        return Answer(413, f"Delivery body over {MAX_BODY} bytes refused")
    if is_ping(raw_body, headers):
        return Answer(200, "ping accepted")
    signature = _header(headers, "X-WC-Webhook-Signature")
    if not any(verify(secret, raw_body, signature) for secret in site.secrets_accepted(rt.erp.now())):
        log.warning("shopsync: refused a delivery with a missing or wrong signature for site %s", site.name)
        return Answer(401, UNKNOWN_OR_FORGED)

    # Signed by the shop: from here on, the delivery is kept whatever it holds. WooCommerce signs
    # the body only: the headers are believed only where they agree with the body and the site.
    topic = _header(headers, "X-WC-Webhook-Topic")[:MAX_HEADER]
    resource, _, event = topic.partition(".")
    webhook_id = _int(_header(headers, "X-WC-Webhook-ID")[:20])
    entry: dict[str, Any] = {
        "doctype": LOG_DOCTYPE,
        "site": site.name,
        "topic": topic,
        "resource": resource[:MAX_HEADER],
        "event": event[:MAX_HEADER],
        "webhook_id": webhook_id if 0 < webhook_id <= MAX_ID else 0,
        "delivery_id": _header(headers, "X-WC-Webhook-Delivery-ID")[:64],
        "received_at": rt.erp.now(),
        "body_sha256": hashlib.sha256(raw_body).hexdigest(),
        "payload": raw_body.decode("utf-8", errors="replace"),
        "attempts": 0,
        "status": "Queued",
    }
    problem = header_problem(site, topic, _header(headers, "X-WC-Webhook-Resource")[:MAX_HEADER],
                             _header(headers, "X-WC-Webhook-Event")[:MAX_HEADER], webhook_id)
    if problem is None and not (0 < webhook_id <= MAX_ID):
        problem = "The delivery names no webhook of this site (X-WC-Webhook-ID)"
    payload, parse_problem = _parse(raw_body)
    problem = problem or parse_problem
    if problem is None:
        if not isinstance(payload, dict):
            problem = "Payload is not a JSON object"
        elif "code" in payload and "id" not in payload:
            # WooCommerce built the body after the resource was deleted: its REST error, signed.
            entry["status"] = "Skipped"
            entry["outcome"] = f"The shop sent its error instead of the {resource}: {payload.get('code')} {payload.get('message', '')}".strip()[:1000]
        elif not _int(payload.get("id")):
            problem = "Payload has no id"
        elif _int(payload.get("id")) > MAX_ID:
            problem = f"The {resource} id {str(payload.get('id'))[:30]} is out of range"
        else:
            problem = shape_problem(resource, event, payload)
            if problem is None:
                entry["resource_id"] = _int(payload["id"])
                entry["date_modified_gmt"] = str(payload.get("date_modified_gmt") or "")[:MAX_HEADER]
    if problem:
        entry["status"] = "Failed"
        entry["error"] = problem
    elif entry["status"] == "Queued" and topic == "product.updated" and rt.echoes is not None \
            and rt.echoes.is_echo(site.name, payload):
        # only what shopsync just pushed (shopsync.sync.echoes): nothing to store, no job
        return Answer(200, "echo of shopsync's own push: not kept")
    if entry["status"] != "Queued":  # what happened, as a code and its values (shopsync.sync.outcome_codes)
        from shopsync.sync import outcome_codes

        entry.update(outcome_codes.as_values(entry["status"], entry.get("error") or entry.get("outcome")))
    entry["dedupe_key"] = dedupe_key(site.name, entry["resource"], entry.get("resource_id") or "",
                                     entry.get("date_modified_gmt") or "", entry["body_sha256"])
    try:
        with rt.erp.transaction():
            # The receipt outlives the log entry (cleared after 30 days): a repeat is still known.
            # A bare row (named by its key, nothing to validate): a repeat stops here, at the key.
            rt.erp.insert_row({"doctype": RECEIPT_DOCTYPE, "dedupe_key": entry["dedupe_key"], "site": site.name,
                           "received_at": entry["received_at"]})
            # A bare row too: every field was built and bounded above, and a full document insert
            # (its events, its realtime notice) made half of an accepted delivery's time.
            name = rt.erp.insert_row(entry)
    except (DuplicateEntryError, UniqueValidationError):
        return Answer(200, "duplicate delivery: already received")
    if entry["status"] != "Queued":
        return Answer(200, f"kept as {entry['status']}: {entry.get('error') or entry.get('outcome')}", name)
    queue_resource(rt, site.name, entry["resource"], entry["resource_id"])
    return Answer(200, "queued", name)


_DECOY = "shopsync-decoy-secret-for-unknown-sites-000000"


def queue_resource(rt: Runtime, site: str, resource: str, resource_id: int) -> bool:
    try:
        return rt.enqueue(
            "shopsync.sync.deliveries.run_resource_job",
            job_id=job_id(site, resource, resource_id),
            queue=delivery_queue(resource),  # orders never wait behind product or stock pushes
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
