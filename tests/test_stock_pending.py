"""The pending set between the Stock Ledger Entry hook and the site's stock job, on a real Redis.

What a user would notice: a movement that arrives at any moment — before the job, while it runs,
in the instant it ends — is pushed; and one site never has a pile of jobs for one voucher.
"""

from __future__ import annotations

import redis

from shopsync.sync import stock
from shopsync.sync.site import SiteConfig


def conn(url):
    return redis.Redis.from_url(url)


class Recorder:
    """An enqueue of the runtime's shape that only writes down what it was asked to queue."""

    def __init__(self):
        self.jobs = []

    def __call__(self, method, *, job_id, queue="default", **kwargs):
        self.jobs.append({"method": method, "job_id": job_id, "queue": queue, **kwargs})
        return True


def test_first_movement_schedules_the_site_later_ones_ride_along(redis_url):
    pending = stock.PendingStock(conn(redis_url))
    enqueue = Recorder()
    assert pending.add_and_schedule("fr", ["A", "B"], enqueue)
    assert not pending.add_and_schedule("fr", ["B", "C"], enqueue)
    assert pending.add_and_schedule("de", ["A"], enqueue)  # another site has its own job
    assert [j["site_name"] for j in enqueue.jobs] == ["fr", "de"]
    assert enqueue.jobs[0]["method"] == "shopsync.sync.stock.run_stock_job"
    assert pending.drain("fr") == {"A", "B", "C"}
    assert pending.drain("fr") == set()


def test_flush_of_a_500_line_voucher_queues_one_job_per_site(redis_url):
    pending = stock.PendingStock(conn(redis_url))
    enqueue = Recorder()
    sites = [SiteConfig("fr", "http://x/", "ck", "cs", warehouses=["Stores - TS"]),
             SiteConfig("de", "http://y/", "ck", "cs", warehouses=["Stores - TS", "Berlin - TS"])]
    events = stock.StockEvents()
    for i in range(500):
        events.record(f"I{i:03}", "Stores - TS" if i % 2 else "Berlin - TS")
    assert events.flush(sites, pending, enqueue) == {"fr": True, "de": True}
    assert len(enqueue.jobs) == 2
    assert pending.size("fr") == 250 and pending.size("de") == 500
    assert events.moves == set()  # a second commit in the same request starts afresh


def test_a_movement_after_the_job_ended_queues_a_new_job(redis_url):
    pending = stock.PendingStock(conn(redis_url))
    enqueue = Recorder()
    assert pending.add_and_schedule("fr", ["A"], enqueue)
    token = enqueue.jobs[0]["token"]
    assert pending.drain("fr") == {"A"}
    assert pending.release("fr", token)
    assert pending.add_and_schedule("fr", ["B"], enqueue)
    assert len(enqueue.jobs) == 2


def test_a_failed_enqueue_gives_the_flag_back(redis_url):
    pending = stock.PendingStock(conn(redis_url))

    def broken(method, **kw):
        raise ConnectionError("queue down")

    try:
        pending.add_and_schedule("fr", ["A"], broken)
    except ConnectionError:
        pass
    assert pending.holder("fr") is None
    assert pending.size("fr") == 1  # the item waits for the next movement or the hourly job
    enqueue = Recorder()
    assert pending.add_and_schedule("fr", ["B"], enqueue)
    assert pending.drain("fr") == {"A", "B"}


def test_a_dead_jobs_flag_expires(redis_url):
    pending = stock.PendingStock(conn(redis_url), ttl=1)
    enqueue = Recorder()
    assert pending.add_and_schedule("fr", ["A"], enqueue)
    # the worker died: nothing releases the flag; its time to live does
    pending.redis.pexpire(pending.scheduled_key("fr"), 1)
    import time

    deadline = time.monotonic() + 2
    while pending.holder("fr") and time.monotonic() < deadline:
        time.sleep(0.005)
    assert pending.add_and_schedule("fr", ["B"], enqueue)


def test_two_erps_on_one_redis_with_a_shop_of_the_same_name_keep_apart(redis_url):
    """A bench's Frappe sites share its queue Redis; each may call its shop "shop"."""
    one = stock.PendingStock(conn(redis_url), namespace="erp-one.local")
    two = stock.PendingStock(conn(redis_url), namespace="erp-two.local")
    enqueue = Recorder()
    assert one.add_and_schedule("shop", ["A"], enqueue)
    assert two.add_and_schedule("shop", ["B"], enqueue)  # not held by the other ERP's flag
    assert [j["namespace"] for j in enqueue.jobs] == ["erp-one.local", "erp-two.local"]
    assert one.drain("shop") == {"A"} and two.drain("shop") == {"B"}


def test_a_job_that_breaks_puts_its_items_back_and_frees_the_site(redis_url):
    pending = stock.PendingStock(conn(redis_url))
    enqueue = Recorder()
    assert pending.add_and_schedule("fr", ["A", "B"], enqueue)
    token = enqueue.jobs[0]["token"]
    site = SiteConfig("fr", "http://x/", "ck", "cs", warehouses=["Stores - TS"])

    class BrokenERP:
        def find(self, *a, **k):
            raise RuntimeError("database went away")

        def __getattr__(self, name):
            raise RuntimeError("database went away")

    try:
        stock.run_pending(BrokenERP(), site, client=None, pending=pending, token=token)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the job should have failed")
    assert pending.holder("fr") is None  # the next movement queues a job at once
    assert pending.add_and_schedule("fr", ["C"], enqueue) and len(enqueue.jobs) == 2
    assert pending.drain("fr") == {"A", "B", "C"}  # nothing lost
