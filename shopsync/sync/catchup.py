"""Nothing missed: the order catch-up and the order import.

WooCommerce never retries a failed webhook delivery and disables a webhook after repeated
failures, so webhooks alone lose orders. Two pulls repair that, both through ``import_order`` (one
order's failure never stops the others):

``catch_up_orders`` (hourly and from the site form) asks the shop for the orders modified after
the site's cursor, ``dates_are_gmt=true`` (without it WooCommerce compares in the shop's local
time), ordered by ``modified`` ascending, and imports each. The cursor moves to the newest
``date_modified_gmt`` actually processed, never to the ERP's clock; it stops before the first
order that failed for a reason that may pass (the shop or the database busy), so the next run
sees it again. An order that failed for good (a blacklisted product, a deleted one) does not hold
the cursor back: its failure is in the summary and its webhook log. The query starts one second
before the cursor (WooCommerce's dates have one-second steps, and ``modified_after`` is strict):
orders seen again are skipped as unchanged. With no cursor, the site's "import orders from" date is
the start. With neither, the cursor is started (:func:`start_cursor`) as soon as the site first
reaches its shop, right after its first save (``shopsync.sync.upkeep``): at the shop's newest order
then, or at the beginning when the shop has none, so the first catch-up covers everything since.

``import_orders`` imports a date range (``date_created``) and status filter, optionally including
orders already imported, with a progress callback; it is resumable: the summary's ``state``
records the last page finished and the last order id done, and ``resume_from=summary.state``
continues from there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Callable, Iterable

from shopsync.erp.port import ERP
from shopsync.sync.links import Binder
from shopsync.sync.orders import (
    CANCELLED,
    CREATED,
    FAILED,
    NEEDS_ATTENTION,
    SKIPPED,
    UPDATED,
    OrderOutcome,
    import_order,
)
from shopsync.sync.site import SiteConfig

PER_PAGE = 100
SAVE_EVERY = 25
#: the cursor of a shop that had no order yet when the site first reached it: every order is after it
BEGINNING = "2000-01-01T00:00:00"


@dataclasses.dataclass
class Summary:
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    skipped: dict[str, int] = dataclasses.field(default_factory=dict)  # reason -> count
    failed: list[tuple[int, str]] = dataclasses.field(default_factory=list)  # (order id, reason)
    needs_attention: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    seen: int = 0
    #: orders in the listing, as the shop counts them (for a progress bar); 0 when unknown
    total: int = 0
    cursor: str = ""
    state: dict[str, Any] = dataclasses.field(default_factory=dict)  # for resume_from
    notes: list[str] = dataclasses.field(default_factory=list)
    outcomes: list[OrderOutcome] = dataclasses.field(default_factory=list, repr=False)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def add(self, outcome: OrderOutcome) -> None:
        self.seen += 1
        self.outcomes.append(outcome)
        if outcome.status == CREATED:
            self.created += 1
        elif outcome.status == UPDATED:
            self.updated += 1
        elif outcome.status == CANCELLED:
            self.cancelled += 1
        elif outcome.status == SKIPPED:
            reason = _reason_kind(outcome.reason)
            self.skipped[reason] = self.skipped.get(reason, 0) + 1
        elif outcome.status == NEEDS_ATTENTION:
            self.needs_attention.append((outcome.order_id, outcome.message))
        else:
            self.failed.append((outcome.order_id, outcome.message or outcome.reason))

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "cancelled": self.cancelled,
            "skipped": dict(self.skipped),
            "failed": [list(f) for f in self.failed],
            "needs_attention": [list(f) for f in self.needs_attention],
            "seen": self.seen,
            "cursor": self.cursor,
            "state": dict(self.state),
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        bits = [f"{self.created} created", f"{self.updated} updated", f"{self.cancelled} cancelled"]
        bits.append(f"{self.skipped_total} skipped" + (f" ({', '.join(f'{k}: {v}' for k, v in sorted(self.skipped.items()))})" if self.skipped else ""))
        bits.append(f"{len(self.failed)} failed")
        if self.needs_attention:
            bits.append(f"{len(self.needs_attention)} need attention")
        return ", ".join(bits)


def _reason_kind(reason: str) -> str:
    """Skip reasons grouped for counting ("stale: modified X ..." -> "stale")."""
    text = reason or "skipped"
    for head in ("stale", "already imported", "no change", "status"):
        if text.startswith(head):
            return text.split(":")[0] if head == "stale" else text.split(";")[0]
    return text


# --- dates ------------------------------------------------------------------------------------------

def _parse(ts: str) -> dt.datetime:
    return dt.datetime.fromisoformat(ts.replace(" ", "T")[:19])


def _wc(ts: dt.datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S")


def _start_of(day: str) -> str:
    return _wc(_parse(day[:10] + "T00:00:00")) if day else ""


# --- catch-up ---------------------------------------------------------------------------------------

def start_cursor(site: SiteConfig, client: Any) -> str:
    """Where a site's catch-up starts when it has neither cursor nor "import orders from" date: the
    shop's newest order (``date_modified_gmt``), or :data:`BEGINNING` when the shop has none.
    "" when the site already has a start. Asks the shop (the shop's clock, never the ERP's)."""
    if site.orders_cursor or site.import_orders_from:
        return ""
    newest = list(client.get("orders", {"orderby": "modified", "order": "desc", "per_page": 1, "dates_are_gmt": "true"}) or [])
    if newest and newest[0].get("date_modified_gmt"):
        return str(newest[0]["date_modified_gmt"])
    return BEGINNING


def catch_up_orders(
    erp: ERP,
    site: SiteConfig,
    client: Any,
    *,
    save_cursor: Callable[[str], None],
    importer: Callable[..., OrderOutcome] = import_order,
) -> Summary:
    summary = Summary(cursor=site.orders_cursor or "")
    start = site.orders_cursor or _start_of(site.import_orders_from)
    if not start:
        # a site that never reached its shop since it was saved (or saved before cursors started
        # at the first connection): start here, nothing older is imported
        summary.cursor = start_cursor(site, client)
        save_cursor(summary.cursor)
        summary.notes.append(f"first catch-up: orders modified after {summary.cursor} GMT will be caught up from now on")
        return summary
    cursor = saved = summary.cursor
    held = False  # a retryable failure holds the cursor where it is
    count = 0
    for order in _modified_since(client, start):
        outcome = importer(erp, site, order, client)
        summary.add(outcome)
        modified = str(order.get("date_modified_gmt") or "")
        if outcome.status == FAILED and outcome.retryable:
            held = True
        elif not held and modified and modified > cursor:
            cursor = modified
        count += 1
        if count % SAVE_EVERY == 0 and cursor != saved:
            save_cursor(cursor)
            saved = cursor
    if cursor != saved:
        save_cursor(cursor)
    summary.cursor = cursor
    from shopsync.sync.refunds import catch_up_refunds  # refunds that waited for an invoice

    summary.notes.extend(catch_up_refunds(erp, site, client))
    if held:
        summary.notes.append("the cursor stops before an order that may import later (the shop or the ERP was busy)")
    return summary


def _modified_since(client: Any, start: str) -> Iterable[dict[str, Any]]:
    """Orders modified after ``start`` (GMT), oldest first, each state once.

    Paged by key, not by page number: an order modified while the catch-up runs moves to the end
    of a ``modified`` listing, and page numbers would then skip the order after it. Each page asks
    again from the newest date seen (one second early: WooCommerce's dates have one-second steps
    and ``modified_after`` is strict); orders already seen in that state are passed over. Only
    when a whole page shares one second does it turn the page."""
    seen: dict[int, str] = {}
    after, page_no = start, 1
    while True:
        params = {"modified_after": _wc(_parse(after) - dt.timedelta(seconds=1)), "dates_are_gmt": "true",
                  "orderby": "modified", "order": "asc", "per_page": PER_PAGE, "page": page_no}
        page = list(client.get("orders", params) or [])
        for order in page:
            state = str(order.get("date_modified_gmt") or "")
            if seen.get(order.get("id")) == state:
                continue
            seen[order.get("id")] = state
            yield order
        if len(page) < PER_PAGE:
            return
        newest = max(str(o.get("date_modified_gmt") or "") for o in page)
        if newest > after:
            after, page_no = newest, 1
        else:
            page_no += 1


# --- import from a date range -----------------------------------------------------------------------

def import_orders(
    erp: ERP,
    site: SiteConfig,
    client: Any,
    date_from: str | None = None,
    date_to: str | None = None,
    statuses: Iterable[str] | None = None,
    include_existing: bool = False,
    progress: Callable[[int, Summary], None] | None = None,
    resume_from: dict[str, Any] | None = None,
    *,
    importer: Callable[..., OrderOutcome] = import_order,
) -> Summary:
    """Import the orders created between ``date_from`` and ``date_to`` (``YYYY-MM-DD``, the shop's
    days) with one of ``statuses`` (default: the site's). Orders already imported are skipped
    unless ``include_existing`` (then re-planned and updated by the rules of ``orders``).
    ``progress(done, summary)`` is called after each order. Resumable with ``resume_from``."""
    statuses = list(statuses or site.order_statuses)
    params: dict[str, Any] = {"orderby": "id", "order": "asc", "status": ",".join(statuses)}
    if date_from:
        params["after"] = _start_of(date_from)
    if date_to:
        params["before"] = _wc(_parse(date_to[:10] + "T00:00:00") + dt.timedelta(days=1))
    resume = dict(resume_from or {})
    last_id = int(resume.get("last_id") or 0)
    page = max(1, int(resume.get("page") or 1))
    summary = Summary()
    summary.state = {"last_id": last_id, "page": page, "done": False}
    binder = Binder(erp, site.name)
    done = 0
    # Restart one page early: orders deleted meanwhile shift the list back; ids already done are passed over.
    start_page = max(1, page - 1) if last_id else 1
    position = (start_page - 1) * PER_PAGE
    for order in client.iter("orders", {**params, "page": start_page}, per_page=PER_PAGE):
        position += 1
        oid = int(order.get("id") or 0)
        if oid and oid <= last_id:
            continue
        if not include_existing and binder.get("Order", oid) is not None:
            outcome = OrderOutcome(oid, SKIPPED, "already imported", modified_gmt=str(order.get("date_modified_gmt") or ""))
        else:
            outcome = importer(erp, site, order, client, force=include_existing)
        summary.add(outcome)
        done += 1
        summary.state = {"last_id": oid, "page": (position - 1) // PER_PAGE + 1, "done": False}
        summary.total = int(getattr(client, "last_total", 0) or 0)
        if progress is not None:
            progress(done, summary)
    summary.state["done"] = True
    return summary


@dataclasses.dataclass
class CustomerSummary:
    created: int = 0
    found: int = 0
    failed: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    seen: int = 0
    total: int = 0
    state: dict[str, Any] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "found": self.found, "failed": self.failed, "seen": self.seen, "state": self.state}

    def __str__(self) -> str:
        text = f"{self.seen} customers: {self.created} created, {self.found} already there, {len(self.failed)} failed"
        return text + "".join(f"\n  #{cid}: {why}" for cid, why in self.failed)


def import_customers(
    erp: ERP,
    site: SiteConfig,
    client: Any,
    progress: Callable[[int, CustomerSummary], None] | None = None,
    resume_from: dict[str, Any] | None = None,
) -> CustomerSummary:
    """Every customer of the shop into the ERP (matched by link, then e-mail; never duplicated).
    Resumable: ``resume_from=summary.state`` continues after the last customer id done."""
    from shopsync.sync.customers import import_customer
    from shopsync.sync.outcome import FAILED as LOG_FAILED
    from shopsync.sync.outcome import Outcome

    last_id = int((resume_from or {}).get("last_id") or 0)
    summary = CustomerSummary(state={"last_id": last_id, "done": False})
    for payload in client.iter("customers", {"orderby": "id", "order": "asc"}, per_page=PER_PAGE):
        cid = int(payload.get("id") or 0)
        if cid <= last_id:
            continue
        summary.seen += 1
        try:
            outcome = import_customer(erp, site, payload)
        except Exception as exc:  # noqa: BLE001 - one bad customer never stops the others
            outcome = Outcome(LOG_FAILED, f"{type(exc).__name__}: {exc}")
        if outcome.failed:
            summary.failed.append((cid, outcome.message))
        elif "created" in outcome.message.split(";")[0]:
            summary.created += 1
        else:
            summary.found += 1
        summary.state["last_id"] = cid
        summary.total = int(getattr(client, "last_total", 0) or 0)
        if progress:
            progress(summary.seen, summary)
    summary.state["done"] = True
    return summary
