"""A site's upkeep: what follows its save, and what the hourly job does for it.

- After every save (a job, after the commit) and every hour, :func:`check_site` checks the shop's
  webhooks for the site and, the first time the shop answers, starts the order catch-up's cursor
  (:func:`shopsync.sync.catchup.start_cursor`): orders made between the save and the first hourly
  run are caught up by that run, none is lost to an outage in between.
- Every hour, :func:`hourly` looks at **enabled** sites only (a disabled site is left alone, its
  shop never called). For each, the check runs first; when the shop cannot be reached (the
  adapter's typed errors), the site gets one readable line and the hour's other jobs for it (order
  catch-up, stock catch-up, product resync) are not queued, so an unreachable shop costs one line
  an hour, never a traceback per job. When the shop answers, those jobs are queued.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from shopsync.sync import catchup
from shopsync.sync.runtime import Runtime, shop_client
from shopsync.sync.site import SiteConfig
from shopsync.woocommerce.errors import WooError

#: queued for an enabled site whose shop answered the hourly check
HOURLY_JOBS = ("catch_up_orders", "catch_up_stock", "resync_products")


@dataclasses.dataclass
class SiteCheck:
    site: str
    actions: list[str] = dataclasses.field(default_factory=list)
    #: one readable line when the shop could not be reached ("" when it answered)
    problem: str = ""
    #: the order cursor started by this check ("" when it was already set)
    cursor: str = ""
    queued: list[str] = dataclasses.field(default_factory=list)
    skipped: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def problem_line(exc: BaseException) -> str:
    return f"The shop could not be reached: {exc}"


def check_site(
    rt: Runtime,
    site_name: str,
    *,
    check: Callable[[SiteConfig, Any], list[str]],
    save_cursor: Callable[[str], None],
    hourly: bool = False,
) -> SiteCheck:
    """The webhook check of one site (``check(site, client)`` returns what it changed), then the
    cursor's start, then (``hourly``) the hour's jobs. Raises only what is not the shop's state."""
    site = rt.load_site(site_name)
    result = SiteCheck(site_name)
    if hourly and not site.enabled:
        result.skipped = "site disabled: left alone"
        return result
    try:
        with shop_client(rt, site) as client:
            result.actions = list(check(site, client) or [])
            if site.enabled:
                result.cursor = catchup.start_cursor(site, client)
                if result.cursor:
                    save_cursor(result.cursor)
    except WooError as exc:
        # the adapter's errors (no answer, 5xx, wrong key, REST API gone...) are the shop's state,
        # said in one line, not a bug of ours to trace; anything else is raised
        result.problem = problem_line(exc)
        return result
    if hourly:
        for job in HOURLY_JOBS:
            if rt.enqueue(rt.edge_job(job), job_id=f"shopsync:{job}:{site_name}", queue="long", site_name=site_name):
                result.queued.append(job)
    return result


def hourly(rt: Runtime) -> list[str]:
    """Queue the hourly check of every enabled site (``rt.list_sites()`` lists enabled ones only);
    the check queues the rest when the shop answers. Returns the sites queued."""
    queued = []
    for name in rt.list_sites():
        if rt.enqueue(rt.edge_job("check_webhooks"), job_id=f"shopsync:hourly:{name}", queue="long",
                      site_name=name, hourly=True):
            queued.append(name)
    return queued
