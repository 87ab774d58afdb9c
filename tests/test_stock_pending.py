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


def test_a_movement_during_the_jobs_last_instant_is_not_lost(redis_url):
    """The job found the set empty; a movement lands before it gives its flag back. The hook
    queued nothing (the flag was taken), so the job itself must take it."""
    r = conn(redis_url)
    pending = stock.PendingStock(r)
    enqueue = Recorder()
    assert pending.add_and_schedule("fr", ["A"], enqueue)
    token = enqueue.jobs[0]["token"]

    pushed = []

    class Erp:  # run_pending only needs push_stock: replace it for this protocol test
        pass

    original = stock.push_stock
    calls = {"n": 0}

    def fake_push(erp, site, client, codes, **kw):
        pushed.append(set(codes))
        return stock.PushReport(site=site.name, pushed={c: 1 for c in codes})

    real_release = pending.release

    def release_with_a_late_movement(site, tok):
        # the hook fires between the empty drain and the release
        if calls["n"] == 0:
            calls["n"] += 1
            assert not pending.add_and_schedule("fr", ["LATE"], enqueue)
        return real_release(site, tok)

    pending.release = release_with_a_late_movement
    stock.push_stock = fake_push
    try:
        site = SiteConfig("fr", "http://x/", "ck", "cs", warehouses=["Stores - TS"])
        report = stock.run_pending(Erp(), site, None, pending, token=token)
    finally:
        stock.push_stock = original
    assert pushed == [{"A"}, {"LATE"}]
    assert set(report.pushed) == {"A", "LATE"}
    assert len(enqueue.jobs) == 1
    # the job ended with its flag given back: the next movement queues a new job
    assert pending.holder("fr") is None
    assert pending.add_and_schedule("fr", ["NEXT"], enqueue)
    assert len(enqueue.jobs) == 2


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
