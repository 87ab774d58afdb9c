"""What a job needs to run, whoever runs it.

A job (``shopsync.sync.deliveries.process_resource``, the stock push, the catch-ups) needs the ERP
port, the site's configuration, a WooCommerce client for the site and a way to queue more work.
The engine never reaches for the Frappe side: the Frappe side hands it what it needs. Inside a
bench, the Frappe edge registers with :func:`provide` how to build a ``Runtime`` from Frappe (one
per job) and names its own job entry points (``Runtime.edge_job``); in the project's tests and the
sandbox, a ``Runtime`` over the in-memory ERP and the simulator is installed with :func:`install`
and real RQ workers (``rq.SimpleWorker``, in the same process) run the very same job functions.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from typing import Any, Callable, Iterator, Protocol

from shopsync.erp.port import ERP
from shopsync.sync.attempts import BegunAttempts
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
    #: the dotted path of the edge's job called ``name`` (``check_webhooks``, ``catch_up_orders``...),
    #: which the engine queues without knowing where it lives (inside a bench: ``shopsync.jobs.<name>``)
    edge_job: Callable[[str], str] = lambda name: name
    #: what pushes wrote, to know their echoes (shopsync.sync.echoes.EchoMemory); None: not known
    echoes: Any = None
    #: attempts begun on log entries and not yet written on them (shopsync.sync.attempts): in the
    #: job's Redis inside a bench, in the process when none is given
    attempts: BegunAttempts = dataclasses.field(default_factory=BegunAttempts)


#: Queues, as a plain Frappe worker takes them: ``short`` first, then ``default``, then ``long``.
#: Orders and customers from the shop go on ``short``, so a worker that frees up takes an order
#: before any product or stock push (``default``) and any import or catch-up (``long``); a worker
#: started with ``--queue short`` serves orders alone.
ORDERS_QUEUE = "short"
PUSHES_QUEUE = "default"


def delivery_queue(resource: str) -> str:
    """The queue of a delivery's job: orders and customers never wait behind product or stock work."""
    return PUSHES_QUEUE if resource == "product" else ORDERS_QUEUE


_current: Runtime | None = None
_factory: Callable[[], Runtime] | None = None


def install(runtime: Runtime | None) -> None:
    """Use this runtime for every job of the process (tests, the sandbox); ``None`` removes it."""
    global _current
    _current = runtime


def provide(factory: Callable[[], Runtime] | None) -> None:
    """How to build a runtime for each job when none is installed: the Frappe edge registers its
    own when it is imported (every job of a bench runs through it)."""
    global _factory
    _factory = factory


class NoRuntime(RuntimeError):
    pass


def current() -> Runtime:
    if _current is not None:
        return _current
    if _factory is not None:
        return _factory()
    raise NoRuntime("no shopsync runtime: install() one, or run the job through the Frappe edge (shopsync.jobs.run_job)")


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


_writing: contextvars.ContextVar[int] = contextvars.ContextVar("shopsync_engine_writes", default=0)


@contextlib.contextmanager
def engine_writes() -> Iterator[None]:
    """Around the engine's own writes of Items and Item Prices (they come from the shop): the
    Item and Item Price hooks they fire note nothing, so no product push job echoes them back."""
    token = _writing.set(_writing.get() + 1)
    try:
        yield
    finally:
        _writing.reset(token)


def engine_writing() -> bool:
    """Is the engine writing (:func:`engine_writes`) in this thread right now?"""
    return _writing.get() > 0
