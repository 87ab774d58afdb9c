"""Turning stored deliveries into ERP work: the job behind every webhook, its retries, its sweeper.

One job per site + resource + id (``intake.job_id``). It takes every Queued log entry of that
resource, oldest first, and hands each to the handler of its resource (orders, products,
customers). Because a queue drops a job whose id is already queued or running (Frappe's
``deduplicate``), the job looks again for entries that arrived while it ran before it ends, and
the sweeper (every minute) queues whatever is still waiting.

Failures:
- transient (the shop unreachable, a 5xx or 429 after the adapter's own retries, a lock timeout):
  the entry goes back to Queued with ``next_attempt_at`` further each time (``BACKOFF``), at most
  ``MAX_ATTEMPTS`` attempts, then Failed;
- permanent (bad data, a product on the blacklist, a missing account): Failed at once with the
  reason. The payload stays on the entry; **Retry** re-queues it.
- a worker killed mid-job leaves the entry Processing: the sweeper re-queues it after
  ``STALE_PROCESSING``; the work it had begun was inside one ERP transaction and never landed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
import logging
from typing import Any, Callable, Iterable

from shopsync.sync.failures import is_transient
from shopsync.sync.intake import LOG_DOCTYPE, queue_resource
from shopsync.sync.runtime import Runtime, current
from shopsync.sync.site import SiteConfig

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = (30, 120, 600, 1800)  # seconds before attempts 2, 3, 4, 5
STALE_PROCESSING = 15 * 60
SWEEP_AFTER = 60  # a Queued entry this old with no job behind it is queued again

#: resource -> "module:function" with signature (rt, site, event, payload) -> Outcome
HANDLERS = {
    "order": "shopsync.sync.orders:handle_delivery",
    "product": "shopsync.sync.products:handle_delivery",
    "customer": "shopsync.sync.customers:handle_delivery",
}


@dataclasses.dataclass
class Outcome:
    status: str  # Done, Skipped or Failed
    message: str = ""


class PermanentError(Exception):
    """Raised by a handler for bad data: no retry will help."""


class TransientError(Exception):
    """Raised by a handler for a failure that may pass (the shop or the database busy): the entry
    is queued again with backoff."""

    transient = True


def _parse(ts: str) -> dt.datetime:
    return dt.datetime.strptime(ts[:19], "%Y-%m-%d %H:%M:%S")


def _plus(ts: str, seconds: int) -> str:
    return (_parse(ts) + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")


def resolve_handler(resource: str) -> Callable[..., Any] | None:
    target = HANDLERS.get(resource)
    if not target:
        return None
    module, _, func = target.partition(":")
    try:
        return getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError):
        return None


def run_resource_job(site_name: str, resource: str, resource_id: int) -> list[str]:
    """The RQ entry point queued by the intake and the sweeper."""
    return process_resource(current(), site_name, resource, resource_id)


def process_resource(rt: Runtime, site_name: str, resource: str, resource_id: int) -> list[str]:
    site = rt.load_site(site_name)
    seen: set[str] = set()
    statuses: list[str] = []
    while True:
        now = rt.erp.now()
        waiting = [
            e
            for e in rt.erp.find(
                LOG_DOCTYPE,
                {"site": site_name, "resource": resource, "resource_id": resource_id, "status": "Queued"},
                fields=("*",),
                order_by="received_at asc",
            )
            if e["name"] not in seen and (not e.get("next_attempt_at") or str(e["next_attempt_at"]) <= now)
        ]
        if not waiting:
            return statuses
        # Oldest state first; WooCommerce builds each body at send time, so a later date wins.
        # A deletion carries no date (its body is just the id): it goes last, so an update
        # waiting beside it can never bring the deleted resource back.
        waiting.sort(key=lambda e: (e.get("event") == "deleted", e.get("date_modified_gmt") or "", str(e.get("received_at") or "")))
        for entry in waiting:
            seen.add(entry["name"])
            statuses.append(process_entry(rt, site, entry))


def process_entry(rt: Runtime, site: SiteConfig, entry: dict[str, Any]) -> str:
    erp = rt.erp
    attempts = int(entry.get("attempts") or 0) + 1
    with erp.transaction():
        erp.update(LOG_DOCTYPE, entry["name"], {"status": "Processing", "attempts": attempts, "processing_started_at": erp.now()})
    values: dict[str, Any]
    try:
        handler = resolve_handler(entry["resource"])
        if handler is None:
            outcome = Outcome("Skipped", f"No handler for {entry['resource']} deliveries")
        elif not site.enabled:
            outcome = Outcome("Skipped", "The site is disabled")
        else:
            outcome = _as_outcome(handler(rt, site, entry.get("event") or "", json.loads(entry["payload"])))
        values = {"status": outcome.status, "error": outcome.message or None, "next_attempt_at": None}
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the entry
        message = str(exc) if isinstance(exc, PermanentError) else f"{type(exc).__name__}: {exc}"
        if is_transient(exc) and attempts < MAX_ATTEMPTS:
            delay = BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
            values = {"status": "Queued", "error": message, "next_attempt_at": _plus(erp.now(), delay)}
        else:
            values = {"status": "Failed", "error": message, "next_attempt_at": None}
        log.info("shopsync: delivery %s of %s: %s", entry["name"], site.name, values["status"])
    values["finished_at"] = erp.now()
    with erp.transaction():
        erp.update(LOG_DOCTYPE, entry["name"], values)
    return values["status"]


def _as_outcome(result: Any) -> Outcome:
    """Handlers may answer with an Outcome or with their own outcome object (status + message)."""
    if isinstance(result, Outcome):
        return result
    status = str(getattr(result, "status", "done")).lower()
    message = getattr(result, "message", None) or getattr(result, "reason", None) or ""
    if status in ("failed", "error"):
        raise PermanentError(message or "failed")
    if status in ("skipped", "stale", "ignored"):
        return Outcome("Skipped", message)
    return Outcome("Done", message or status)


def retry(rt: Runtime, names: Iterable[str]) -> int:
    """The desk's Retry: put Failed/Skipped entries back in the queue, payload as stored."""
    count = 0
    for name in names:
        entry = rt.erp.get(LOG_DOCTYPE, name)
        if entry["status"] in ("Processing",) or not entry.get("resource_id"):
            continue
        with rt.erp.transaction():
            rt.erp.update(LOG_DOCTYPE, name, {"status": "Queued", "next_attempt_at": None, "error": None, "attempts": 0})
        queue_resource(rt, entry["site"], entry["resource"], entry["resource_id"])
        count += 1
    return count


def sweep(rt: Runtime) -> int:
    """Queue again what waits with no job behind it. Runs every minute from the scheduler."""
    now = rt.erp.now()
    stale_before = _plus(now, -STALE_PROCESSING)
    for entry in rt.erp.find(LOG_DOCTYPE, {"status": "Processing"}, fields=("name", "processing_started_at")):
        if str(entry.get("processing_started_at") or "") <= stale_before:
            with rt.erp.transaction():
                rt.erp.update(LOG_DOCTYPE, entry["name"], {"status": "Queued", "error": "The worker stopped during the job; queued again"})
    queued_before = _plus(now, -SWEEP_AFTER)
    keys = set()
    for entry in rt.erp.find(
        LOG_DOCTYPE, {"status": "Queued"}, fields=("site", "resource", "resource_id", "received_at", "next_attempt_at")
    ):
        due = entry.get("next_attempt_at")
        if (due and str(due) <= now) or (not due and str(entry.get("received_at") or "") <= queued_before):
            keys.add((entry["site"], entry["resource"], entry["resource_id"]))
    for site, resource, resource_id in sorted(keys):
        queue_resource(rt, site, resource, resource_id)
    return len(keys)
