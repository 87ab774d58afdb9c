"""The engine's Runtime over real RQ on a real Redis, for the tests and the sandbox.

Jobs run in ``rq.SimpleWorker`` (no fork) so they share the in-memory ERP of the process; the
queue, the job ids, the serialisation of arguments and the worker loop are RQ's own.
"""

from __future__ import annotations

import signal
import threading
from typing import Any, Callable

import redis
import rq
from rq.job import Job, JobStatus
from rq.worker import StopRequested

from shopsync.sync import runtime as runtime_mod
from shopsync.sync.runtime import Runtime
from shopsync.sync.attempts import BegunAttempts
from shopsync.sync.site import SITE_DOCTYPE, SiteConfig


class RQEnqueuer:
    """``frappe.enqueue(..., job_id=..., deduplicate=True)`` as Frappe 15 does it over RQ:
    a job whose id is queued or started is not queued again; a finished one is replaced."""

    #: the order a plain Frappe worker (``bench worker``) takes its queues in
    FRAPPE_QUEUES = ("short", "default", "long")

    def __init__(self, conn: redis.Redis, queue_name: str = "shopsync", by_name: bool = False):
        """``by_name``: one RQ queue per queue name asked for (``<queue_name>:short``...), worked in
        Frappe's order; else every job goes on the one queue (``self.queue``)."""
        self.conn = conn
        self.queue = rq.Queue(queue_name, connection=conn)
        self.by_name = by_name
        self.queues = {q: rq.Queue(f"{queue_name}:{q}", connection=conn) for q in self.FRAPPE_QUEUES} if by_name else {}
        self.dropped = 0
        self.down = False  # tests set it to make the queue unreachable

    def __call__(self, method: str, *, job_id: str, queue: str = "default", **kwargs: Any) -> bool:
        if self.down:
            raise redis.ConnectionError("queue unreachable (test)")
        try:
            job = Job.fetch(job_id, connection=self.conn)
        except rq.exceptions.NoSuchJobError:
            job = None
        if job is not None:
            if job.get_status(refresh=True) in (JobStatus.QUEUED, JobStatus.STARTED):
                self.dropped += 1
                return False
            job.delete()
        target = self.queues[queue] if self.by_name else self.queue
        target.enqueue(method, job_id=job_id, kwargs=kwargs, result_ttl=60, failure_ttl=3600)
        return True

    def work(self, max_jobs: int | None = None) -> int:
        """Run queued jobs to the end in a real worker (burst mode); returns how many ran."""
        from rq.registry import FailedJobRegistry, FinishedJobRegistry

        queues = list(self.queues.values()) if self.by_name else [self.queue]

        def ran() -> int:
            return sum(FinishedJobRegistry(queue=q).count + FailedJobRegistry(queue=q).count for q in queues)

        before = ran()
        worker = rq.SimpleWorker(queues, connection=self.conn)
        # RQ takes SIGINT and SIGTERM for its warm shutdown (finish the job, then stop) and keeps
        # them: give them back, and let a Ctrl-C that stopped the worker stop the caller too
        main = threading.current_thread() is threading.main_thread()
        handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)} if main else {}
        try:
            worker.work(burst=True, max_jobs=max_jobs, logging_level="WARNING")
        except (SystemExit, StopRequested):  # a second Ctrl-C (cold shutdown), or one while it tidies up
            for sig in handlers:
                signal.signal(sig, signal.SIG_IGN)
            try:
                worker.unsubscribe()  # its listening thread, which the Ctrl-C may have left running
            except Exception:  # noqa: BLE001 - tidying up after an interrupt
                pass
            raise KeyboardInterrupt from None
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
        if worker._shutdown_requested_date is not None:
            raise KeyboardInterrupt
        return ran() - before


def make_runtime(erp: Any, enqueuer: RQEnqueuer, client_for: Callable[[SiteConfig], Any]) -> Runtime:
    def load_site(name: str) -> SiteConfig:
        return SiteConfig.from_doc(erp.get(SITE_DOCTYPE, name))

    def list_sites() -> list[str]:
        return [r["name"] for r in erp.find(SITE_DOCTYPE, {"enabled": 1})]

    rt = Runtime(erp=erp, load_site=load_site, client_for=client_for, enqueue=enqueuer, list_sites=list_sites,
                 attempts=BegunAttempts(enqueuer.conn))
    runtime_mod.install(rt)
    return rt
