"""Stock out (issue 5) against the WooCommerce simulator over real HTTP and the ERP stand-in.

Shop: ``sim.seed(products=6, variable_products=1)`` gives simple products 10-15 (RW-S-001..006)
and the variable product 16 (RW-V-HOODIE) with variations 17-19 (S/M/L). The ERP holds the items
RW-S-001..006 and the template HOODIE with its variants HOODIE-S/-M/-L, all linked to the site.
Quantities are read back from the shop through its REST representation.
"""

from __future__ import annotations

import math

import pytest

from shopsync.sync import stock
from shopsync.sync.links import Binder
from shopsync.woocommerce import WooClient
from tests.erp_stand_in import MemoryERP
from tests.support.sites import add_site
from tests.woosim import WooSim

SIMPLE = {f"RW-S-{i:03d}": 9 + i for i in range(1, 7)}  # item code -> product id 10..15
HOODIE = 16
VARIANTS = {"HOODIE-S": 17, "HOODIE-M": 18, "HOODIE-L": 19}
STORES, SHOP_WH, BERLIN = "Stores - TS", "Shop - TS", "Berlin - TS"


# ------------------------------------------------------------------------------------------ setup


@pytest.fixture
def sim():
    s = WooSim().start()
    s.seed(products=6, variable_products=1, customers=0, orders=0)
    yield s
    s.stop()


def make_erp() -> MemoryERP:
    erp = MemoryERP.with_test_shop()
    with erp.transaction():
        for wh in ("Shop", "Berlin"):
            erp.seed({"doctype": "Warehouse", "name": f"{wh} - TS", "warehouse_name": wh, "company": "Test Shop",
                      "parent_warehouse": "All Warehouses - TS"})
        for code in SIMPLE:
            erp.insert({"doctype": "Item", "item_code": code, "item_group": "Products"})
        erp.insert({"doctype": "Item", "item_code": "HOODIE", "item_group": "Products", "has_variants": 1,
                    "attributes": [{"attribute": "Size"}]})
        for size in ("Small", "Medium", "Large"):
            erp.insert(erp.make_variant("HOODIE", {"Size": size}))
        erp.insert({"doctype": "Customer", "customer_name": "Jean Dupont"})
    return erp


@pytest.fixture
def erp():
    return make_erp()


def link_all(erp, site, simple=SIMPLE, variants=VARIANTS, template=True):
    binder = Binder(erp, site.name)
    with erp.transaction():
        for code, pid in simple.items():
            binder.bind("Item", pid, code)
        if template:
            binder.bind("Item", HOODIE, "HOODIE")
        for code, vid in variants.items():
            binder.bind("Item", HOODIE, code, vid, woo_parent_id=HOODIE)


@pytest.fixture
def site(erp, sim):
    s = add_site(erp, "shop1", sim.url, "ck_test", "cs_test", stock_set_up=1)  # past its first day
    link_all(erp, s)
    return s


@pytest.fixture
def client(sim):
    c = WooClient(sim.url, "ck_test", "cs_test", max_retries=1, backoff=0.01, max_retry_seconds=2, timeout=5)
    yield c
    c.close()


def receive(erp, rows, wh=STORES, rate=5.0):
    """A submitted Material Receipt: ``rows`` is {item_code: qty}."""
    with erp.transaction():
        se = erp.insert({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt",
                         "items": [{"item_code": c, "qty": q, "t_warehouse": wh, "basic_rate": rate} for c, q in rows.items()]})
        erp.submit("Stock Entry", se["name"])
    return se["name"]


def issue(erp, rows, wh=STORES):
    with erp.transaction():
        se = erp.insert({"doctype": "Stock Entry", "stock_entry_type": "Material Issue",
                         "items": [{"item_code": c, "qty": q, "s_warehouse": wh} for c, q in rows.items()]})
        erp.submit("Stock Entry", se["name"])


def transfer(erp, rows, source, target):
    with erp.transaction():
        se = erp.insert({"doctype": "Stock Entry", "stock_entry_type": "Material Transfer",
                         "items": [{"item_code": c, "qty": q, "s_warehouse": source, "t_warehouse": target}
                                   for c, q in rows.items()]})
        erp.submit("Stock Entry", se["name"])


def reconcile(erp, rows, wh=STORES, rate=5.0):
    with erp.transaction():
        sr = erp.insert({"doctype": "Stock Reconciliation", "purpose": "Stock Reconciliation",
                         "items": [{"item_code": c, "warehouse": wh, "qty": q, "valuation_rate": rate}
                                   for c, q in rows.items()]})
        erp.submit("Stock Reconciliation", sr["name"])


def sales_order(erp, rows, wh=STORES):
    with erp.transaction():
        so = erp.insert({"doctype": "Sales Order", "customer": "Jean Dupont", "delivery_date": "2026-12-31",
                         "company": "Test Shop",
                         "items": [{"item_code": c, "qty": q, "rate": 10, "warehouse": wh} for c, q in rows.items()]})
        erp.submit("Sales Order", so["name"])
    return so["name"]


def shop_qty(sim, woo_id):
    with sim.lock:
        obj = sim.state.variations.get(woo_id) or sim.state.products[woo_id]
        return obj["stock_quantity"]


def batch_requests(sim):
    return [r for r in sim.requests if r["method"] == "POST" and r["path"].endswith("/batch")]


def link_of(erp, site, code):
    return Binder(erp, site.name).for_erp("Item", code)


# ------------------------------------------------------------------------------------------ the quantity


def test_decimals_are_floored_and_negatives_shown_as_zero(erp, site, client, sim):
    receive(erp, {"RW-S-002": 2})  # first: ERPNext takes a first-ever reconciliation for an opening entry
    reconcile(erp, {"RW-S-001": 2.7})  # ERPNext accepts 7.5 Nos in a reconciliation
    sales_order(erp, {"RW-S-002": 5})  # more sold than on the shelf: 2 - 5
    report = stock.push_stock(erp, site, client, ["RW-S-001", "RW-S-002"])
    assert report.pushed == {"RW-S-001": 2, "RW-S-002": 0}
    assert shop_qty(sim, 10) == 2
    assert shop_qty(sim, 11) == 0


def test_reserved_quantity_is_not_put_back_on_sale(erp, site, client, sim):
    """The overselling bug: the shop sold 3, the Sales Order is not delivered yet; pushing the bare
    actual quantity would offer those 3 units again."""
    receive(erp, {"RW-S-001": 10})
    stock.push_stock(erp, site, client, ["RW-S-001"])
    assert shop_qty(sim, 10) == 10
    sales_order(erp, {"RW-S-001": 3})
    stock.push_stock(erp, site, client, ["RW-S-001"])
    assert shop_qty(sim, 10) == 7


def test_the_site_rule_actual_or_projected(erp, sim, client):
    actual = add_site(erp, "actual", sim.url, "ck_test", "cs_test", stock_rule="Actual")
    link_all(erp, actual, simple={"RW-S-001": 10}, variants={}, template=False)
    receive(erp, {"RW-S-001": 10})
    sales_order(erp, {"RW-S-001": 3})
    assert stock.plan_push(erp, actual, ["RW-S-001"]).send[0].qty == 10
    projected = add_site(erp, "projected", sim.url, "ck_test", "cs_test", stock_rule="Projected")
    link_all(erp, projected, simple={"RW-S-001": 10}, variants={}, template=False)
    assert stock.plan_push(erp, projected, ["RW-S-001"]).send[0].qty == 7


def test_several_warehouses_summed_and_others_ignored(erp, sim, client):
    site = add_site(erp, "multi", sim.url, "ck_test", "cs_test",
                    warehouses=[{"warehouse": STORES}, {"warehouse": SHOP_WH}])
    link_all(erp, site, simple={"RW-S-001": 10}, variants={}, template=False)
    receive(erp, {"RW-S-001": 4}, wh=STORES)
    receive(erp, {"RW-S-001": 3}, wh=SHOP_WH)
    receive(erp, {"RW-S-001": 100}, wh=BERLIN)  # not one of the site's
    stock.push_stock(erp, site, client, ["RW-S-001"])
    assert shop_qty(sim, 10) == 7


def test_two_sites_with_different_warehouses(erp, client):
    with WooSim() as fr, WooSim() as de:
        fr.seed(products=6, variable_products=0, customers=0, orders=0)
        de.seed(products=6, variable_products=0, customers=0, orders=0)
        site_fr = add_site(erp, "fr", fr.url, "ck_test", "cs_test")
        site_de = add_site(erp, "de", de.url, "ck_test", "cs_test", default_warehouse=BERLIN,
                           warehouses=[{"warehouse": BERLIN}])
        link_all(erp, site_fr, simple={"RW-S-001": 10}, variants={}, template=False)
        link_all(erp, site_de, simple={"RW-S-001": 10}, variants={}, template=False)
        receive(erp, {"RW-S-001": 5}, wh=STORES)
        receive(erp, {"RW-S-001": 8}, wh=BERLIN)
        with WooClient(fr.url, "ck_test", "cs_test") as c_fr, WooClient(de.url, "ck_test", "cs_test") as c_de:
            stock.push_stock(erp, site_fr, c_fr, ["RW-S-001"])
            stock.push_stock(erp, site_de, c_de, ["RW-S-001"])
        assert shop_qty(fr, 10) == 5
        assert shop_qty(de, 10) == 8
        # each site keeps its own last push
        assert link_of(erp, site_fr, "RW-S-001")["last_pushed_qty"] == 5
        assert link_of(erp, site_de, "RW-S-001")["last_pushed_qty"] == 8


# ------------------------------------------------------------------------------------------ what is pushed


def test_variants_go_to_their_variations_and_the_parent_gets_their_sum(erp, site, client, sim):
    sim.update_product(HOODIE, manage_stock=True, stock_quantity=0)
    sim.reset_request_log()
    receive(erp, {"HOODIE-S": 2, "HOODIE-M": 3, "HOODIE-L": 4})
    report = stock.push_stock(erp, site, client, ["HOODIE-M"])  # one variant moved
    # the moved variant, and its parent's new sum
    assert report.pushed == {"HOODIE-M": 3, "HOODIE": 9}
    assert shop_qty(sim, 18) == 3
    assert shop_qty(sim, HOODIE) == 9
    paths = sorted(r["path"] for r in batch_requests(sim))
    assert paths == ["/wp-json/wc/v3/products/16/variations/batch", "/wp-json/wc/v3/products/batch"]


def test_a_disabled_or_blacklisted_variant_leaves_the_parents_sum(erp, site, client, sim):
    sim.update_product(HOODIE, manage_stock=True, stock_quantity=0)
    receive(erp, {"HOODIE-S": 2, "HOODIE-M": 3, "HOODIE-L": 4})
    with erp.transaction():
        erp.update("Item", "HOODIE-S", {"disabled": 1})
        erp.insert({"doctype": "WooCommerce Blacklist Entry", "site": site.name, "woo_id": HOODIE,
                    "woo_variation_id": 19, "reason": "sold elsewhere"})
    report = stock.push_all_stock(erp, site, client)
    assert report.pushed["HOODIE"] == 3
    assert "HOODIE-S" not in report.pushed and "HOODIE-L" not in report.pushed
    assert report.skipped == {"HOODIE-S": "disabled", "HOODIE-L": "blacklisted"}


def test_blacklisted_and_unlinked_items_are_not_pushed(erp, sim, client):
    site = add_site(erp, "partial", sim.url, "ck_test", "cs_test")
    link_all(erp, site, simple={"RW-S-001": 10, "RW-S-002": 11}, variants={}, template=False)
    with erp.transaction():
        erp.insert({"doctype": "WooCommerce Blacklist Entry", "site": site.name, "item_code": "RW-S-002"})
    before = {pid: shop_qty(sim, pid) for pid in (10, 11, 12)}
    receive(erp, {"RW-S-001": 1, "RW-S-002": 1, "RW-S-003": 1})
    report = stock.push_stock(erp, site, client, ["RW-S-001", "RW-S-002", "RW-S-003"])
    assert report.pushed == {"RW-S-001": 1}
    assert report.skipped == {"RW-S-002": "blacklisted", "RW-S-003": "not linked"}
    assert shop_qty(sim, 11) == before[11] and shop_qty(sim, 12) == before[12]


def test_services_and_deleted_items_are_not_pushed(erp, site, client, sim):
    erp.ignore_links_on_delete.add("WooCommerce Link")
    with erp.transaction():
        erp.update("Item", "RW-S-005", {"is_stock_item": 0})  # a service: no stock to show
        erp.delete("Item", "RW-S-006")  # its link is left behind
    before = shop_qty(sim, 14), shop_qty(sim, 15)
    report = stock.push_all_stock(erp, site, client)
    assert report.skipped["RW-S-005"] == "not a stock item"
    assert report.skipped["RW-S-006"] == "no such item"
    assert (shop_qty(sim, 14), shop_qty(sim, 15)) == before


def test_an_unchanged_quantity_is_not_sent_again_unless_forced(erp, site, client, sim):
    receive(erp, {"RW-S-001": 5})
    stock.push_stock(erp, site, client, ["RW-S-001"])
    sim.reset_request_log()
    again = stock.push_stock(erp, site, client, ["RW-S-001"])
    assert again.unchanged == ["RW-S-001"] and again.pushed == {} and again.requests == 0
    assert sim.requests == []
    forced = stock.push_stock(erp, site, client, ["RW-S-001"], force=True)
    assert forced.pushed == {"RW-S-001": 5} and forced.requests == 1


def test_250_items_take_three_batch_requests(erp, client):
    with WooSim() as big:
        big.seed(products=250, variable_products=0, customers=0, orders=0)
        site = add_site(erp, "big", big.url, "ck_test", "cs_test")
        codes = {f"BULK-{i:03d}": 10 + i for i in range(250)}
        with erp.transaction():
            for code in codes:
                erp.insert({"doctype": "Item", "item_code": code, "item_group": "Products"})
        link_all(erp, site, simple=codes, variants={}, template=False)
        receive(erp, {code: 1 + i % 7 for i, code in enumerate(codes)})
        progress = []
        with WooClient(big.url, "ck_test", "cs_test") as c:
            plan = stock.plan_push(erp, site, codes)
            assert plan.request_count == 3
            report = stock.push_stock(erp, site, c, codes, progress=lambda d, t: progress.append((d, t)))
        assert report.requests == 3 == math.ceil(250 / 100)
        assert [r["batch_size"] for r in batch_requests(big)] == [100, 100, 50]
        assert len(report.pushed) == 250
        assert progress[-1] == (250, 250)
        assert all(shop_qty(big, pid) == 1 + i % 7 for i, pid in enumerate(codes.values()))


# ------------------------------------------------------------------------------------------ failures


def test_a_batch_with_one_bad_item(erp, site, client, sim):
    receive(erp, {"RW-S-001": 1, "RW-S-002": 2, "RW-S-003": 3})
    sim.delete_product(11)  # gone from the shop, the link still points at it
    report = stock.push_stock(erp, site, client, ["RW-S-001", "RW-S-002", "RW-S-003"])
    assert report.pushed == {"RW-S-001": 1, "RW-S-003": 3}
    assert set(report.errors) == {"RW-S-002"}
    assert shop_qty(sim, 10) == 1 and shop_qty(sim, 12) == 3
    bad = link_of(erp, site, "RW-S-002")
    assert bad["last_error"].startswith(stock.ERROR_PREFIX) and "Invalid ID" in bad["last_error"]
    assert not bad.get("last_pushed_at")
    # the next run sends it again (and only it); once the product is back it goes through
    sim.reset_request_log()
    again = stock.push_stock(erp, site, client, ["RW-S-001", "RW-S-002", "RW-S-003"])
    assert set(again.errors) == {"RW-S-002"} and again.unchanged == ["RW-S-001", "RW-S-003"]
    assert [r["batch_size"] for r in batch_requests(sim)] == [1]


def test_the_shop_down_then_up_the_hourly_catch_up_repairs_it(erp, site, client, sim):
    receive(erp, {"RW-S-001": 4, "HOODIE-S": 2})
    sim.stop()  # nothing listens any more
    down = stock.push_stock(erp, site, client, ["RW-S-001", "HOODIE-S"])
    assert down.failed and down.pushed == {}
    assert sorted(down.not_sent) == ["HOODIE", "HOODIE-S", "RW-S-001"]
    assert not link_of(erp, site, "RW-S-001").get("last_pushed_at")  # nothing marked pushed
    sim.start()  # the shop is back (the simulator listens on a new port: a new client for it)
    # three hours later: nothing moved since, yet the hourly job sends what the shop never got
    erp.clock.advance(hours=3)
    with WooClient(sim.url, "ck_test", "cs_test") as again:
        report = stock.catch_up_stock(erp, site, again)
    # the seeded hoodie's parent manages no stock (its variations do): it gets nothing
    assert report.pushed == {"RW-S-001": 4, "HOODIE-S": 2}
    assert report.skipped["HOODIE"] == stock.NO_MANAGE_STOCK
    assert shop_qty(sim, 10) == 4 and shop_qty(sim, 17) == 2
    assert not link_of(erp, site, "RW-S-001").get("last_error")


def test_a_shop_failing_with_5xx_is_repaired_by_the_hourly_catch_up(erp, site, client, sim):
    receive(erp, {"RW-S-001": 4, "RW-S-002": 6})
    before = shop_qty(sim, 10)
    sim.faults.add("503", count=100)
    down = stock.push_stock(erp, site, client, ["RW-S-001", "RW-S-002"])
    assert down.failed and down.pushed == {}
    assert shop_qty(sim, 10) == before
    assert not link_of(erp, site, "RW-S-001").get("last_pushed_at")
    sim.faults.clear()
    report = stock.catch_up_stock(erp, site, client)  # within the two hours: moved items
    assert report.pushed == {"RW-S-001": 4, "RW-S-002": 6}
    assert shop_qty(sim, 10) == 4 and shop_qty(sim, 11) == 6


def test_catch_up_takes_bins_changed_without_any_hook(erp, site, client, sim):
    """A repost or a backdated entry changes a Bin with raw SQL: no Stock Ledger Entry event, but
    Bin.modified moves; the hourly job selects by it."""
    receive(erp, {"RW-S-001": 4})
    stock.push_stock(erp, site, client, ["RW-S-001"])
    erp.clock.advance(hours=5)
    assert stock.catch_up_stock(erp, site, client).pushed == {}  # nothing moved in two hours
    from tests.erp_stand_in import stock as stand_in_stock

    with erp.transaction():  # what a repost does to the Bin, behind every hook's back
        b = stand_in_stock.find_bin(erp, "RW-S-001", STORES)
        stand_in_stock.set_bin(erp, b, actual_qty=9.0)
    report = stock.catch_up_stock(erp, site, client)
    assert report.pushed == {"RW-S-001": 9}
    assert shop_qty(sim, 10) == 9


def test_a_parent_gone_from_the_shop_does_not_stop_the_rest(erp, site, client, sim):
    receive(erp, {"RW-S-001": 1, "HOODIE-S": 2})
    sim.delete_product(HOODIE)
    report = stock.push_stock(erp, site, client, ["RW-S-001", "HOODIE-S"])
    assert report.pushed == {"RW-S-001": 1}
    assert set(report.errors) == {"HOODIE", "HOODIE-S"}
    assert not report.failed
    assert link_of(erp, site, "HOODIE-S")["last_error"].startswith(stock.ERROR_PREFIX)


def test_a_product_sync_error_on_the_link_is_left_alone(erp, site, client, sim):
    """last_error is shared with the product sync: a stock push clears only its own."""
    link = link_of(erp, site, "RW-S-001")
    with erp.transaction():
        Binder(erp, site.name).update(link, last_error="Price list missing")
    receive(erp, {"RW-S-001": 1})
    stock.push_stock(erp, site, client, ["RW-S-001"])
    assert link_of(erp, site, "RW-S-001")["last_error"] == "Price list missing"
    assert "RW-S-001" not in stock.items_to_catch_up(erp, site, "2030-01-01 00:00:00")


# ------------------------------------------------------------------------------------------ report


def test_stock_comparison_and_pushing_the_differences(erp, site, client, sim):
    sim.update_product(HOODIE, manage_stock=True, stock_quantity=0)
    receive(erp, {"RW-S-001": 4, "RW-S-002": 2, "HOODIE-S": 1, "HOODIE-M": 1, "HOODIE-L": 1})
    stock.push_all_stock(erp, site, client)
    sim.set_stock(10, 99)  # edited in wp-admin
    sim.set_stock(18, 0)
    sim.reset_request_log()
    rows = {r.item_code: r for r in stock.stock_comparison(erp, site, client)}
    # products in one include= page, the variations in one listing of their parent
    assert len(sim.requests) == 2
    assert set(rows) == set(SIMPLE) | {"HOODIE"} | set(VARIANTS)
    assert (rows["RW-S-001"].erp_qty, rows["RW-S-001"].shop_qty, rows["RW-S-001"].difference) == (4, 99, -95)
    assert rows["RW-S-001"].last_pushed_qty == 4 and rows["RW-S-001"].last_pushed_at
    assert rows["HOODIE-M"].difference == 1
    assert rows["RW-S-002"].difference == 0
    report = stock.push_differences(erp, site, client, rows.values())
    assert {"RW-S-001", "HOODIE-M"} <= set(report.pushed)
    assert shop_qty(sim, 10) == 4 and shop_qty(sim, 18) == 1
    assert not [r for r in stock.stock_comparison(erp, site, client) if r.shop_qty is not None and r.differs]


def test_large_pushes_read_in_bulk_and_plan_the_same(erp, site, monkeypatch):
    receive(erp, {"RW-S-001": 1, "RW-S-002": 2, "HOODIE-S": 3})
    codes = ["RW-S-001", "RW-S-002", "RW-S-009", "HOODIE-S"]
    by_in_lists = stock.plan_push(erp, site, codes)
    monkeypatch.setattr(stock, "BULK_READ", 1)
    in_bulk = stock.plan_push(erp, site, codes)
    assert in_bulk == by_in_lists
    assert {l.item_code: l.qty for l in in_bulk.send} == {"RW-S-001": 1, "RW-S-002": 2, "HOODIE-S": 3, "HOODIE": 3}
    assert in_bulk.skipped == {"RW-S-009": "not linked"}


def test_a_parent_that_does_not_manage_stock_never_shows_as_differing(erp, site, client, sim):
    sim.update_product(HOODIE, manage_stock=False)
    receive(erp, {"HOODIE-S": 2})
    stock.push_all_stock(erp, site, client)
    rows = {r.item_code: r for r in stock.stock_comparison(erp, site, client)}
    assert rows["HOODIE"].shop_qty is None and not rows["HOODIE"].differs
    assert [r.item_code for r in rows.values() if r.differs] == []
