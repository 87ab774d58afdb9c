"""Reserved quantity as ERPNext computes it, and how the shop's quantity stays right with it.

The default rule pushes actual minus reserved. ERPNext moves ``Bin.reserved_qty`` without any
Stock Ledger Entry: on a Sales Order's submit and cancel, and on Close, Hold, Re-open and Resume
(``update_status``: the status is written with ``db_set``, which fires ``on_change`` and nothing
else, and the Bins are rewritten straight, with no Bin event; golden j2). A Product Bundle line
reserves its components through the order's Packed Items, never the bundle's own non-stock item
(golden j3). So:

- at once: hooks.py's Sales Order ``on_change`` hook notes the order's lines and Packed Items,
  and the after-commit job pushes them (these tests wire the stand-in from hooks.py's own
  ``doc_events``, so a hook missing there fails here);
- within the hour, whatever no hook saw: the hourly catch-up takes every Bin whose ``modified``
  moved (``update_bin_qty`` moves it with the figure).

Real Redis, real RQ (``SimpleWorker`` in this process), the simulator over HTTP.
"""

from __future__ import annotations

import pytest

from shopsync import hooks
from shopsync.sync import stock
from shopsync.sync.links import Binder
from shopsync.woocommerce import WooClient
from tests.support.sites import add_site
from tests.test_stock_jobs import Harness
from tests.test_stock_push import SIMPLE, STORES, link_all, make_erp, receive, sales_order, shop_qty
from tests.woosim import WooSim

#: hooks.py handlers that note stock movements (shopsync/events.py): both end in voucher_moves
STOCK_HANDLERS = {"shopsync.events.stock_moved", "shopsync.events.reservation_changed"}
PART_A, PART_B, BUNDLE = "RW-S-001", "RW-S-002", "GIFT-BOX"  # products 10, 11 and 15 (instead of RW-S-006)


class HooksHarness(Harness):
    """The Frappe edge as hooks.py declares it: each doc event bound to a stock handler calls,
    after the commit, ``stock.stock_moved`` with the document's ``voucher_moves``."""

    def __init__(self, erp, redis_url):
        self.bound = []
        super().__init__(erp, redis_url, sims={})

    def bind(self):
        for doctype, events in hooks.doc_events.items():
            for event, target in events.items():
                for handler in [target] if isinstance(target, str) else target:
                    if handler in STOCK_HANDLERS:
                        self.erp.on(doctype, event, self.after_commit, after_commit=True)
                        self.bound.append((doctype, event))


@pytest.fixture
def sim():
    s = WooSim().start()
    s.seed(products=6, variable_products=1, customers=0, orders=0)
    yield s
    s.stop()


@pytest.fixture
def erp():
    erp = make_erp()
    with erp.transaction():
        erp.insert({"doctype": "Item", "item_code": BUNDLE, "item_group": "Products", "is_stock_item": 0})
        erp.insert({"doctype": "Product Bundle", "new_item_code": BUNDLE,
                    "items": [{"item_code": PART_A, "qty": 2}, {"item_code": PART_B, "qty": 1}]})
    return erp


@pytest.fixture
def site(erp, sim):
    s = add_site(erp, "shop1", sim.url, "ck_test", "cs_test", stock_set_up=1)
    link_all(erp, s, simple={code: pid for code, pid in SIMPLE.items() if pid != 15})
    with erp.transaction():
        Binder(erp, "shop1").bind("Item", 15, BUNDLE)
    return s


@pytest.fixture
def h(erp, sim, site, redis_url):
    harness = HooksHarness(erp, redis_url)
    yield harness
    harness.close()


def test_hooks_py_binds_sales_order_on_change(h):
    """update_status fires on_change only: the hook that sees Close / Hold / Re-open."""
    assert ("Sales Order", "on_change") in h.bound and ("Stock Ledger Entry", "on_submit") in h.bound


def test_close_hold_and_reopen_reach_the_shop_at_once(h, erp, sim):
    receive(erp, {PART_A: 10})
    h.work()
    so = sales_order(erp, {PART_A: 3})
    assert h.work() == 1 and shop_qty(sim, 10) == 7
    for status, expected in (("Closed", 10), ("Draft", 7), ("On Hold", 10), ("Draft", 7)):
        erp.update_status(so, status)
        assert h.work() == 1, status
        assert shop_qty(sim, 10) == expected, status
    assert erp.get("Sales Order", so)["status"] == "To Deliver and Bill"


def test_a_bundle_order_takes_its_components_off_the_shop(h, erp, sim):
    receive(erp, {PART_A: 10, PART_B: 10})
    h.work()
    sim.set_stock(15, 42)  # the bundle's own product: not a stock item, left to the shop
    so = sales_order(erp, {BUNDLE: 2})
    packed = erp.get("Sales Order", so)["packed_items"]
    assert [(p["item_code"], p["qty"], p["warehouse"]) for p in packed] == [(PART_A, 4.0, STORES), (PART_B, 2.0, STORES)]
    assert h.work() == 1
    assert (shop_qty(sim, 10), shop_qty(sim, 11), shop_qty(sim, 15)) == (6, 8, 42)
    erp.update_status(so, "Closed")
    h.work()
    assert (shop_qty(sim, 10), shop_qty(sim, 11)) == (10, 10)
    erp.update_status(so, "Draft")
    h.work()
    with erp.transaction():  # delivering the bundle issues its components
        dn = erp.insert(erp.make_delivery_note(so))
        erp.submit("Delivery Note", dn["name"])
    h.work()
    bins = {b["item_code"]: (b["actual_qty"], b["reserved_qty"]) for b in erp.bins([PART_A, PART_B, BUNDLE], [STORES])}
    assert bins == {PART_A: (6.0, 0.0), PART_B: (8.0, 0.0)}  # the bundle has no Bin
    assert (shop_qty(sim, 10), shop_qty(sim, 11), shop_qty(sim, 15)) == (6, 8, 42)


def test_a_draft_sales_order_queues_no_stock_job(h, erp):
    receive(erp, {PART_A: 10})
    h.work()
    with erp.transaction():
        so = erp.insert({"doctype": "Sales Order", "customer": "Jean Dupont", "delivery_date": "2026-12-31",
                         "company": "Test Shop", "items": [{"item_code": PART_A, "qty": 1, "rate": 10, "warehouse": STORES}]})
        erp.update("Sales Order", so["name"], {"items": [{"item_code": PART_A, "qty": 2, "rate": 10, "warehouse": STORES}]})
    assert h.queued == [] or h.work() == 0


def test_without_any_hook_the_hourly_catch_up_sees_a_closed_order(erp, site, sim):
    """A Close that reached no hook (a bench without workers, a patch writing the status): the
    Bin's modified moved with its reserved quantity, and the hourly job pushes it."""
    receive(erp, {PART_A: 10})
    so = sales_order(erp, {PART_A: 3})
    with WooClient(sim.url, "ck_test", "cs_test") as client:
        stock.push_stock(erp, site, client, [PART_A])
        assert shop_qty(sim, 10) == 7
        erp.clock.advance(hours=5)
        assert stock.catch_up_stock(erp, site, client).pushed == {}  # nothing moved in two hours
        erp.update_status(so, "Closed")
        assert stock.catch_up_stock(erp, site, client).pushed == {PART_A: 10}
    assert shop_qty(sim, 10) == 10
