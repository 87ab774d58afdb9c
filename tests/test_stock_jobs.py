"""Stock movements reach the shop through the after-commit hook, the pending set and one job per
site: real Redis, real RQ (``SimpleWorker`` in this process, sharing the ERP stand-in), the
simulator over real HTTP.

The hook used here is what the Frappe edge does on Stock Ledger Entry ``on_submit``/``on_cancel``
(and Sales Order submit/cancel, whose reservation moves ``reserved_qty`` without a ledger entry):
after the commit, ``stock.stock_moved(...)``; it never reads stock.
"""

from __future__ import annotations

import math

import pytest
import redis

from shopsync.sync import runtime as runtime_mod
from shopsync.sync import stock
from shopsync.sync.site import SITE_DOCTYPE, SiteConfig
from shopsync.woocommerce import WooClient
from tests.support.rq_runtime import RQEnqueuer, make_runtime
from tests.support.sites import add_site
from tests.test_stock_push import (
    BERLIN, STORES, issue, link_all, make_erp, receive, reconcile, sales_order, shop_qty, transfer,
)
from tests.woosim import WooSim


class Harness:
    def __init__(self, erp, redis_url, sims):
        self.erp = erp
        self.conn = redis.Redis.from_url(redis_url)
        self.enqueuer = RQEnqueuer(self.conn)
        self.pending = stock.PendingStock(self.conn)
        self.sims = sims  # site name -> WooSim
        self.queued: list[dict] = []
        self.clients: dict[str, WooClient] = {}

        def client_for(site: SiteConfig):
            if site.name not in self.clients:
                self.clients[site.name] = WooClient(site.woocommerce_url, site.consumer_key, site.consumer_secret)
            return self.clients[site.name]

        def enqueue(method, *, job_id, queue="default", **kwargs):
            ok = self.enqueuer(method, job_id=job_id, queue=queue, **kwargs)
            if ok:
                self.queued.append({"method": method, "job_id": job_id, **kwargs})
            return ok

        self.rt = make_runtime(erp, self.enqueuer, client_for)
        self.enqueue = enqueue
        self.hook_calls = 0
        self.bind()

    def bind(self):
        """The stock hooks, each calling :meth:`after_commit` after the commit."""
        for doctype, event in (("Stock Ledger Entry", "on_submit"), ("Stock Ledger Entry", "on_cancel"),
                               ("Sales Order", "on_submit"), ("Sales Order", "on_cancel")):
            self.erp.on(doctype, event, self.after_commit, after_commit=True)

    def sites(self):
        return [SiteConfig.from_doc(self.erp.get(SITE_DOCTYPE, r["name"])) for r in self.erp.find(SITE_DOCTYPE)]

    def after_commit(self, doc):
        self.hook_calls += 1
        stock.stock_moved(self.sites(), self.pending, self.enqueue, stock.voucher_moves(doc))

    def work(self) -> int:
        """Run the queued jobs in a real RQ worker; returns how many finished."""
        from rq.registry import FinishedJobRegistry

        finished = FinishedJobRegistry(queue=self.enqueuer.queue)
        before = len(finished.get_job_ids())
        self.enqueuer.work()
        return len(finished.get_job_ids()) - before

    def close(self):
        for c in self.clients.values():
            c.close()
        runtime_mod.install(None)


@pytest.fixture
def sim():
    s = WooSim().start()
    s.seed(products=6, variable_products=1, customers=0, orders=0)
    yield s
    s.stop()


@pytest.fixture
def erp():
    return make_erp()


@pytest.fixture
def site(erp, sim):
    s = add_site(erp, "shop1", sim.url, "ck_test", "cs_test")
    link_all(erp, s)
    return s


@pytest.fixture
def h(erp, sim, site, redis_url):
    harness = Harness(erp, redis_url, {"shop1": sim})
    yield harness
    harness.close()


def test_the_hook_reads_no_stock_and_the_job_pushes_after_the_commit(h, erp, sim):
    receive(erp, {"RW-S-001": 7})
    assert [j["site_name"] for j in h.queued] == ["shop1"]
    assert shop_qty(sim, 10) != 7  # the voucher's transaction never called the shop
    assert h.work() == 1
    assert shop_qty(sim, 10) == 7


def sell(erp, doctype, rows, **extra):
    """A Delivery Note or a Sales Invoice that updates stock (POS-like), not from an order."""
    with erp.transaction():
        doc = erp.insert({"doctype": doctype, "customer": "Jean Dupont", "company": "Test Shop", **extra,
                          "items": [{"item_code": c, "qty": q, "rate": 10, "warehouse": STORES} for c, q in rows.items()]})
        erp.submit(doctype, doc["name"])


VOUCHERS = ["receipt", "issue", "transfer", "reconciliation", "delivery_note", "sales_invoice", "sales_order",
            "delivery_of_an_order", "cancelled_entry"]


@pytest.mark.parametrize("voucher", VOUCHERS)
def test_every_stock_voucher_reaches_the_shop(voucher, h, erp, sim, site):
    receive(erp, {"RW-S-001": 10, "HOODIE-M": 4})
    h.work()
    assert shop_qty(sim, 10) == 10 and shop_qty(sim, 18) == 4
    expected = {"RW-S-001": 10, "HOODIE-M": 4}
    if voucher == "receipt":
        receive(erp, {"RW-S-001": 2})
        expected["RW-S-001"] = 12
    elif voucher == "issue":
        issue(erp, {"RW-S-001": 3, "HOODIE-M": 1})
        expected = {"RW-S-001": 7, "HOODIE-M": 3}
    elif voucher == "transfer":
        transfer(erp, {"RW-S-001": 4}, STORES, BERLIN)  # leaves the site's warehouses
        expected["RW-S-001"] = 6
    elif voucher == "reconciliation":
        reconcile(erp, {"RW-S-001": 3.5})
        expected["RW-S-001"] = 3
    elif voucher == "delivery_note":
        sell(erp, "Delivery Note", {"RW-S-001": 2, "HOODIE-M": 1})
        expected = {"RW-S-001": 8, "HOODIE-M": 3}
    elif voucher == "sales_invoice":
        sell(erp, "Sales Invoice", {"RW-S-001": 3}, update_stock=1)
        expected["RW-S-001"] = 7
    elif voucher == "sales_order":
        # no ledger entry: the reservation moves reserved_qty, which the default rule subtracts
        so = sales_order(erp, {"RW-S-001": 2})
        h.work()
        assert shop_qty(sim, 10) == 8
        with erp.transaction():
            erp.cancel("Sales Order", so)
    elif voucher == "delivery_of_an_order":
        so = sales_order(erp, {"RW-S-001": 2})
        h.work()
        assert shop_qty(sim, 10) == 8
        sim.set_stock(10, 50)  # so that a push would show
        with erp.transaction():
            dn = erp.insert(erp.make_delivery_note(so))
            erp.submit("Delivery Note", dn["name"])
        # actual 8, reserved 0: what the shop was told already; the job sends nothing
        expected["RW-S-001"] = 50
    elif voucher == "cancelled_entry":
        name = receive(erp, {"RW-S-001": 5})
        h.work()
        assert shop_qty(sim, 10) == 15
        with erp.transaction():
            erp.cancel("Stock Entry", name)
    queued_before = len(h.queued)
    assert h.work() == 1
    assert shop_qty(sim, 10) == expected["RW-S-001"], voucher
    assert shop_qty(sim, 18) == expected["HOODIE-M"], voucher
    assert len(h.queued) == queued_before


def test_a_500_line_voucher_is_one_job_per_site(erp, redis_url):
    with WooSim() as big, WooSim() as other:
        big.seed(products=500, variable_products=0, customers=0, orders=0)
        other.seed(products=150, variable_products=0, customers=0, orders=0)
        codes = {f"BULK-{i:03d}": 10 + i for i in range(500)}
        with erp.transaction():
            for code in codes:
                erp.insert({"doctype": "Item", "item_code": code, "item_group": "Products"})
        s_big = add_site(erp, "big", big.url, "ck_test", "cs_test")
        s_other = add_site(erp, "other", other.url, "ck_test", "cs_test",
                           warehouses=[{"warehouse": STORES}, {"warehouse": BERLIN}])
        link_all(erp, s_big, simple=codes, variants={}, template=False)
        link_all(erp, s_other, simple=dict(list(codes.items())[:150]), variants={}, template=False)
        h = Harness(erp, redis_url, {"big": big, "other": other})
        try:
            receive(erp, {code: 1 + i % 5 for i, code in enumerate(codes)})
            assert h.hook_calls == 500  # one per Stock Ledger Entry
            assert sorted(j["site_name"] for j in h.queued) == ["big", "other"]
            assert h.work() == 2
            batches = lambda s: [r for r in s.requests if r["path"].endswith("/batch")]  # noqa: E731
            assert len(batches(big)) == math.ceil(500 / 100)
            assert len(batches(other)) == math.ceil(150 / 100)
            assert h.clients["big"].request_count == 5 and h.clients["other"].request_count == 2
            assert all(shop_qty(big, pid) == 1 + i % 5 for i, pid in enumerate(codes.values()))
            assert all(shop_qty(other, 10 + i) == 1 + i % 5 for i in range(150))
        finally:
            h.close()


def test_a_movement_while_the_job_runs_is_pushed_by_that_job(h, erp, sim):
    """The job holds the site's flag; a voucher committed while it talks to the shop only adds
    to the pending set, and the same job pushes it before it ends."""
    receive(erp, {"RW-S-001": 3})
    late = {"done": False}
    log_request = sim._log_request

    def during_the_push(entry):
        log_request(entry)
        if not late["done"] and entry["path"].endswith("/batch"):
            late["done"] = True
            receive(erp, {"RW-S-002": 9})  # committed from another thread, mid-request

    sim._log_request = during_the_push
    h.work()
    assert late["done"]
    assert len(h.queued) == 1  # no second job: the running one took it
    assert shop_qty(sim, 10) == 3 and shop_qty(sim, 11) == 9
    assert h.pending.size("shop1") == 0 and h.pending.holder("shop1") is None


def test_a_shop_down_when_the_job_runs_is_repaired_by_the_hourly_job(h, erp, sim, site):
    sim.faults.add("503", count=1000)
    receive(erp, {"RW-S-001": 6})
    h.clients["shop1"] = WooClient(sim.url, "ck_test", "cs_test", max_retries=0, max_retry_seconds=1)
    h.work()
    assert shop_qty(sim, 10) != 6
    assert h.pending.holder("shop1") is None  # the job ended; the next movement may queue again
    sim.faults.clear()
    report = stock.catch_up_stock(erp, site, h.clients["shop1"])
    assert report.pushed == {"RW-S-001": 6}
    assert shop_qty(sim, 10) == 6


def test_a_rolled_back_voucher_queues_nothing(h, erp):
    with pytest.raises(Exception):
        issue(erp, {"RW-S-001": 5})  # NegativeStockError: nothing in stock
    assert h.queued == [] and h.pending.size("shop1") == 0


def test_a_movement_in_the_jobs_last_instant_is_not_lost(h, erp, sim, site):
    """The job found the set empty; a voucher commits before the job gives its flag back. The
    hook queued nothing (the flag was taken), so the job itself must push it."""
    receive(erp, {"RW-S-001": 3})
    token = h.queued[0]["token"]

    class LateMovement(stock.PendingStock):
        fired = False

        def release(self, site_name, tok):
            if not self.fired:
                self.fired = True
                receive(erp, {"RW-S-002": 4})  # the hook sees the flag taken: no new job
            return super().release(site_name, tok)

    pending = LateMovement(h.conn)
    with WooClient(sim.url, "ck_test", "cs_test") as client:
        report = stock.run_pending(erp, site, client, pending, token=token)
    assert pending.fired
    assert report.pushed == {"RW-S-001": 3, "RW-S-002": 4}
    assert len(h.queued) == 1
    assert shop_qty(sim, 11) == 4
    # the flag is free again: the next movement queues a job
    receive(erp, {"RW-S-003": 1})
    assert len(h.queued) == 2


def test_a_long_drain_hands_over_to_a_continuation_job(h, erp, sim, monkeypatch):
    """A job stops at its time budget and queues a continuation holding the site's flag, so a
    go-live reconciliation of thousands of lines never runs into the queue's timeout."""
    monkeypatch.setattr(stock, "JOB_BUDGET_SECONDS", 0)
    monkeypatch.setattr(stock, "DRAIN_LIMIT", 2)
    receive(erp, {"RW-S-001": 1, "RW-S-002": 2, "RW-S-003": 3, "RW-S-004": 4, "RW-S-005": 5})
    assert len(h.queued) == 1
    assert h.work() == 3  # 2 + 2 + 1 items
    assert [shop_qty(sim, pid) for pid in (10, 11, 12, 13, 14)] == [1, 2, 3, 4, 5]
    assert h.pending.size("shop1") == 0 and h.pending.holder("shop1") is None
