"""What a job needs to run, whoever runs it.

A job (``shopsync.sync.deliveries.process_resource``, the stock push, the catch-ups) needs the ERP
port, the site's configuration, a WooCommerce client for the site and a way to queue more work.
Inside a bench, ``shopsync.jobs`` builds a ``Runtime`` from Frappe for every job; in the project's
tests and the sandbox, a ``Runtime`` over the in-memory ERP and the simulator is installed with
``install()`` and real RQ workers (``rq.SimpleWorker``, in the same process) run the very same job
functions.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, Callable, Iterator, Protocol

from shopsync.erp.port import ERP
from shopsync.sync.site import SiteConfig


class Enqueuer(Protocol):
    def __call__(self, method: str, *, job_id: str, queue: str = "default", **kwargs: Any) -> bool:
        """Queue ``method`` (a dotted path) with ``kwargs``; at most one queued job per ``job_id``.
        Returns False when the job was not queued (one with that id is already waiting)."""


@dataclasses.dataclass
class Runtime:
    erp: ERP
    load_site: Callable[[str], SiteConfig]
    client_for: Callable[[SiteConfig], Any]
    enqueue: Enqueuer
    list_sites: Callable[[], list[str]] = lambda: []


_current: Runtime | None = None


def install(runtime: Runtime | None) -> None:
    global _current
    _current = runtime


def current() -> Runtime:
    if _current is None:
        # Inside a bench the Frappe edge provides it.
        from shopsync import jobs  # noqa: F401  (imports frappe; only reached inside a bench)

        return jobs.frappe_runtime()
    return _current


@contextlib.contextmanager
def shop_client(rt: Runtime, site: SiteConfig) -> Iterator[Any]:
    """The site's WooCommerce client for one piece of work, closed after it (its HTTP session)."""
    client = rt.client_for(site)
    try:
        yield client
    finally:
        close = getattr(client, "close", None)
        if callable(close):
            close()
