"""Items waiting for a product push: one pending set and one job per site, as the stock push.

Plain Python (no ``frappe``). The Item and Item Price hooks note the item in this transaction's
:class:`ItemEvents`; after the commit its codes join each enabled site's pending set in Redis and
a site with no push job scheduled gets one (:class:`PendingProducts`, the stock's
:class:`~shopsync.sync.stock.PendingStock` over other keys). The job (:func:`run_product_job`)
drains the set, pushes each item (:func:`~shopsync.sync.products.propagation.push_item`, which
sends nothing when the item's synced fields did not change) and drains again until the set stays
empty. A burst of N Item saves is one job per site, not N.

**Echoes.** What the engine writes itself (the Items and Item Prices a first sync, a pull or an
order's new item make, :func:`engine_writes`) is never noted: it came from the shop, pushing it
back would cost a job per item and send nothing. The hooks ask :func:`engine_writing`.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Callable, Iterable

from shopsync.sync.runtime import engine_writes, engine_writing  # noqa: F401 - the hooks' question
from shopsync.sync.site import SiteConfig
from shopsync.sync.shop_pause import gave_up
from shopsync.sync.stock import PendingStock, start_pending_job

log = logging.getLogger(__name__)

JOB_METHOD = "shopsync.sync.products.pending.run_product_job"
#: never the orders' queue (short): an order never waits behind product work
JOB_QUEUE = "default"
#: items a job takes from the set at a time
DRAIN_LIMIT = 500
#: past this, the job hands what is still pending to a continuation job (same flag)
JOB_BUDGET_SECONDS = 240.0

def product_job_id(site: str, token: str = "") -> str:
    return f"shopsync-products::{site}" + (f"::{token}" if token else "")


class PendingProducts(PendingStock):
    PENDING_KEY = "shopsync:products:pending:{site}"
    SCHEDULED_KEY = "shopsync:products:scheduled:{site}"
    JOB_METHOD = JOB_METHOD
    JOB_QUEUE = JOB_QUEUE

    def job_id(self, site: str, token: str = "") -> str:
        return product_job_id(site, token)


class ItemEvents:
    """The items one ERP transaction changed (Item saved, selling Item Price saved), collected by
    the hooks; flushed after the commit. The engine's own writes are left out."""

    def __init__(self) -> None:
        self.codes: set[str] = set()

    def record(self, item_code: str) -> bool:
        """Note ``item_code``; True when it is the transaction's first (register the flush then).
        A write of the engine itself notes nothing and answers False."""
        if engine_writing() or not item_code:
            return False
        first = not self.codes
        self.codes.add(item_code)
        return first

    def clear(self) -> None:
        self.codes.clear()

    def __bool__(self) -> bool:  # anything noted
        return bool(self.codes)

    def flush(self, sites: Iterable[SiteConfig | str], pending: PendingProducts,
              enqueue: Callable[..., Any]) -> dict[str, bool]:
        """After the commit: every enabled site's pending set takes the codes; a site with no
        job scheduled gets one. Returns site -> whether a job was queued."""
        codes, self.codes = self.codes, set()
        out: dict[str, bool] = {}
        if not codes:
            return out
        for site in sites:
            if isinstance(site, SiteConfig):
                if not site.enabled:
                    continue
                site = site.name
            out[site] = pending.add_and_schedule(site, codes, enqueue)
        return out


def run_pending(erp: Any, site: SiteConfig, client: Any, pending: PendingProducts, token: str = "",
                limit: int | None = DRAIN_LIMIT, budget: float | None = None, pause: Any = None) -> dict[str, Any]:
    """Drain the site's set and push each item, until it stays empty (the stock's loop). An item
    whose push fails is logged and left (its link stays out of sync: the hourly resync takes it);
    the others go on. Once a push could not connect to the shop through every retry the others
    are not tried: they would spend every retry again. With ``pause``
    (:class:`~shopsync.sync.shop_pause.ShopPause`) that starts the site's pause, nothing is tried
    while it lasts, and a push that reaches the shop ends it."""
    from shopsync.sync.products.propagation import push_item

    token = token or uuid.uuid4().hex[:16]
    report: dict[str, Any] = {"pushed": 0, "failed": {}, "more": False}
    paused_at_start = pause.paused(site.name) if pause is not None else None
    down = {"why": f"pushes to this shop pause {paused_at_start}" if paused_at_start else ""}

    def push(codes: set[str]) -> None:
        for code in sorted(codes):
            pending.touch(site.name, token)
            if down["why"]:
                report["failed"][code] = f"not sent: {down['why']}"
                continue
            try:
                push_item(erp, site, client, code)
            except Exception as exc:  # noqa: BLE001 - one item never stops the others
                report["failed"][code] = f"{type(exc).__name__}: {exc}"
                log.warning("shopsync: product push of %s to %s failed (%s)", code, site.name, type(exc).__name__)
                if gave_up(exc, server_errors=False):
                    down["why"] = f"the shop did not answer: {exc}"
                    if pause is not None:
                        pause.start(erp, site.name, str(exc))
                continue
            if not report["pushed"] and pause is not None:
                pause.end(erp, site.name)  # it answered
            report["pushed"] += 1

    report["more"] = pending.work_through(site.name, token, push, limit=limit, budget=budget)
    return report


def run_product_job(site_name: str, token: str = "", namespace: str = "") -> str:
    """The RQ entry point queued by :meth:`PendingProducts.add_and_schedule`."""
    from shopsync.sync.runtime import shop_client

    job = start_pending_job(PendingProducts, site_name, token, namespace)
    if job is None:
        return f"{site_name}: disabled, pending product pushes dropped"
    with shop_client(job.rt, job.site) as client:
        report = run_pending(job.rt.erp, job.site, client, job.pending, token=job.token, budget=JOB_BUDGET_SECONDS,
                             pause=job.pause)
    job.continue_if(report["more"])
    failed = report["failed"]
    return (f"{site_name}: {report['pushed']} item(s) pushed" + (f", {len(failed)} failed: {', '.join(sorted(failed))}"
                                                                if failed else "")
            + (" (continued in a new job)" if report["more"] else ""))
