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
- a worker killed mid-job leaves the entry Queued, as it was: the work it had begun was inside
  ERP transactions that never committed, and the entry is written once, at the end of an attempt.
  The attempt it began is counted in Redis (:mod:`shopsync.sync.attempts`); the sweeper queues the
  entry again and the next job counts it, so such a delivery ends Failed after ``MAX_ATTEMPTS``.
  (Versions before that wrote *Processing* first: an entry they left so is queued again after
  ``STALE_PROCESSING``.)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
import logging
import random
import time
from typing import Any, Callable, Iterable

from shopsync.sync import outcome_codes
from shopsync.sync.failures import is_lost_race, is_transient
from shopsync.sync.intake import LOG_DOCTYPE, queue_resource
from shopsync.sync.outcome import FAILED, Outcome, recorded_by
from shopsync.sync.runtime import Runtime, current, shop_client
from shopsync.sync.site import SITE_DOCTYPE, SiteConfig
from shopsync.woocommerce.errors import NotFoundError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = (30, 120, 600, 1800)  # seconds before attempts 2, 3, 4, 5
STALE_PROCESSING = 15 * 60
SWEEP_AFTER = 60  # a Queued entry this old with no job behind it is queued again

#: resource -> "module:function" with signature (rt, site, event, payload) -> Outcome
#: (:mod:`shopsync.sync.outcome`: the type the log stores as it is)
HANDLERS = {
    "order": "shopsync.sync.orders:handle_delivery",
    "product": "shopsync.sync.products:handle_delivery",
    "customer": "shopsync.sync.customers:handle_delivery",
}


class PermanentError(Exception):
    """Raised by a handler for bad data: no retry will help."""


class TransientError(Exception):
    """Raised by a handler for a failure that may pass (the shop or the database busy): the entry
    is queued again with backoff (as for an Outcome that is ``retryable``)."""

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


RACE_RETRIES = 3  # a lost race is run again at once, on fresh reads, this many times


def verify_webhook(rt: Runtime, site: SiteConfig, entry: dict[str, Any]) -> str | None:
    """Why the delivery's webhook is not this site's webhook for its topic, or None.

    The intake already refused a webhook id the site knows under another topic; an id it does not
    know yet (a webhook made since the last check) is asked of the shop here: its delivery URL
    must be this site's endpoint and its topic the delivery's."""
    webhook_id = int(entry.get("webhook_id") or 0)
    known = site.webhook_topic(webhook_id)
    if known is not None:
        return None if known == entry.get("topic") else f"Webhook #{webhook_id} of site {site.name} is for {known}, not {entry.get('topic')}"
    try:
        with shop_client(rt, site) as client:
            hook = client.get_webhook(webhook_id)
    except NotFoundError:
        return f"Webhook #{webhook_id} does not exist in the shop of site {site.name}: nothing was done with the delivery."
    if (hook.get("delivery_url") or "") != site.endpoint_url:
        return f"Webhook #{webhook_id} of the shop delivers elsewhere, not to site {site.name}: nothing was done with the delivery."
    if hook.get("topic") != entry.get("topic"):
        return f"Webhook #{webhook_id} of site {site.name} is for {hook.get('topic')}, not {entry.get('topic')}: nothing was done with the delivery."
    return None


def _run_handler(rt: Runtime, site: SiteConfig, entry: dict[str, Any]) -> Outcome:
    handler = resolve_handler(entry["resource"])
    if handler is None:
        return Outcome("Skipped", f"No handler for {entry['resource']} deliveries")
    if not site.enabled:
        return Outcome("Skipped", "The site is disabled")
    problem = verify_webhook(rt, site, entry)
    if problem:
        return Outcome("Failed", problem)
    payload = json.loads(entry["payload"])
    for attempt in range(RACE_RETRIES + 1):
        try:
            outcome = handler(rt, site, entry.get("event") or "", payload)
        except Exception as exc:  # noqa: BLE001
            if not is_lost_race(exc) or attempt == RACE_RETRIES:
                raise
            # another job took the same key first: its transaction committed, ours rolled back
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
            continue
        if not isinstance(outcome, Outcome):
            raise TypeError(f"the {entry['resource']} handler answered {outcome!r}, not an Outcome")
        return outcome
    raise AssertionError("unreachable")


def process_entry(rt: Runtime, site: SiteConfig, entry: dict[str, Any]) -> str:
    erp = rt.erp
    started = erp.now()
    # The attempt is counted in Redis as it begins, and written on the entry once, with what it
    # came to (shopsync.sync.attempts): no commit before the work only to say so. Attempts begun
    # before this one and never written were stopped mid-way with their worker.
    begun = rt.attempts.begin(entry["name"])
    attempts = int(entry.get("attempts") or 0) + begun
    stopped = [f"{started} attempt {n}: {WORKER_STOPPED}" for n in range(attempts - begun + 1, attempts)]
    written: dict[str, Any] = {}

    def values_of(outcome: Outcome, again: bool) -> dict[str, Any]:
        values = {**outcome.log_values(), "next_attempt_at": None, "attempts": attempts, "processing_started_at": started}
        # what happened, as a code and its values: the desk says it in the user's language
        values.update(outcome_codes.as_values(outcome.log_status, outcome.log_text))
        lines = list(stopped)
        if again:
            if outcome.retryable and attempts < MAX_ATTEMPTS:
                delay = BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
                values.update(status="Queued", next_attempt_at=_plus(erp.now(), delay))
            lines.append(f"{erp.now()} attempt {attempts}: {values['error']}")
        if lines:
            # every attempt's reason stays readable on the entry, not only the last one
            values["attempt_log"] = _attempt_lines(entry, lines)
        return values

    def record(outcome: Outcome) -> None:
        # called by the handler inside the transaction of its work (outcome.record_in_transaction):
        # the entry's bookkeeping is written straight to its row (set_values: one UPDATE, no
        # document load and save), in that transaction; only shopsync writes it
        values = values_of(outcome, outcome.failed and outcome.retryable)
        erp.set_values(LOG_DOCTYPE, entry["name"], {**values, "finished_at": erp.now()})
        written.clear()
        written.update(values)

    if stopped and attempts > MAX_ATTEMPTS:
        # a delivery whose job kills its worker every time (time limit, memory) is not run again
        outcome = Outcome(FAILED, f"{WORKER_STOPPED} {len(stopped)} times in a row: not run again (Retry runs it)")
        again = False
    else:
        try:
            with recorded_by(record):
                outcome = _run_handler(rt, site, entry)
            again = outcome.failed and outcome.retryable  # a failure that may pass: another attempt later
        except Exception as exc:  # noqa: BLE001 - every failure is recorded on the entry
            message = str(exc) if isinstance(exc, PermanentError) else f"{type(exc).__name__}: {exc}"
            outcome = Outcome(FAILED, message, retryable=is_transient(exc) or is_lost_race(exc), error=exc)
            again = True
            written.clear()  # whatever the handler wrote on the entry, this failure is written over it
    values = values_of(outcome, again)
    if again:
        log.info("shopsync: delivery %s of %s: %s after attempt %s", entry["name"], site.name, values["status"], attempts)
    if values != written:
        # not written with the work (or the work came to something else after): written now
        values["finished_at"] = erp.now()
        with erp.transaction():
            erp.set_values(LOG_DOCTYPE, entry["name"], values)
    rt.attempts.written(entry["name"])
    if values["status"] == "Done" and not site.connection_ok:
        _connected_again(rt, site, erp.now())
    return values["status"]


#: what the entry says of an attempt whose worker stopped before it could write anything
WORKER_STOPPED = "The worker stopped during the job"

#: the site's Connection status once a delivery from its shop was carried out after a failure
CONNECTED_BY_DELIVERY = "A delivery from the shop was received and carried out."


def _connected_again(rt: Runtime, site: SiteConfig, now: str) -> None:
    """A delivery carried out proves the shop and shopsync talk again: the site's Connection
    status stops saying it cannot connect (it said so until the next test or hourly check)."""
    try:
        with rt.erp.transaction():
            rt.erp.set_values(SITE_DOCTYPE, site.name, {"connection_ok": 1, "connection_status": CONNECTED_BY_DELIVERY,
                                                        "connection_checked_at": now})
        site.connection_ok = True
    except Exception as exc:  # noqa: BLE001 - a status line is never worth failing a delivery
        log.warning("shopsync: connection status of %s not updated (%s)", site.name, type(exc).__name__)


def _attempt_lines(entry: dict[str, Any], lines: list[str]) -> str:
    before = (entry.get("attempt_log") or "").rstrip("\n")
    return "\n".join([before] * bool(before) + [line[:1000] for line in lines])


#: Why Retry refuses an entry, by status.
RETRY_REFUSED = {
    "Done": "it was already applied; running an old delivery again could undo newer work "
            "(the next delivery or the hourly catch-up brings the shop's current state)",
    "Processing": "a job is on it",
    "Queued": "it is already waiting for its job",
}


@dataclasses.dataclass
class RetryReport:
    queued: list[str] = dataclasses.field(default_factory=list)
    refused: dict[str, str] = dataclasses.field(default_factory=dict)  # name -> why


def retry(rt: Runtime, names: Iterable[str]) -> RetryReport:
    """The desk's Retry: Failed and Skipped entries go back to the queue, payload as stored.

    An entry that already ran to Done is refused with the reason. What runs again is checked as
    a new delivery would be: a stale state is skipped, a deletion is confirmed with the shop."""
    report = RetryReport()
    for name in names:
        entry = rt.erp.get(LOG_DOCTYPE, name)
        why = RETRY_REFUSED.get(entry["status"])
        if why is None and not entry.get("resource_id"):
            why = "the delivery holds nothing to run (see its reason)"
        if why:
            report.refused[name] = why
            continue
        with rt.erp.transaction():
            rt.erp.update(LOG_DOCTYPE, name, {"status": "Queued", "next_attempt_at": None, "error": None, "outcome": None,
                                              "outcome_code": None, "outcome_args": None, "attempts": 0})
        queue_resource(rt, entry["site"], entry["resource"], entry["resource_id"])
        report.queued.append(name)
    return report


def sweep(rt: Runtime) -> int:
    """Queue again what waits with no job behind it. Runs every minute from the scheduler."""
    now = rt.erp.now()
    stale_before = _plus(now, -STALE_PROCESSING)
    for entry in rt.erp.find(LOG_DOCTYPE, {"status": "Processing"}, fields=("name", "processing_started_at")):
        if str(entry.get("processing_started_at") or "") <= stale_before:
            with rt.erp.transaction():
                rt.erp.update(LOG_DOCTYPE, entry["name"], {"status": "Queued", "error": "The worker stopped during the job; queued again",
                                                           **outcome_codes.as_values("Failed", "The worker stopped during the job")})
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
