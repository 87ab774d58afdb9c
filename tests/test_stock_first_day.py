"""Stock, the first day (issue 11): never zero a shop by surprise.

An existing shop (quantities of its own) connected to an ERP whose stock is not loaded yet: until
the site's stock is set up, an item with no Stock Ledger Entry in the site's warehouses is held
(the shop keeps its quantity); two ways out, each with a preview; a variable product whose parent
manages no stock receives no quantity. Same shop and ERP as ``test_stock_push``.
"""

from __future__ import annotations

import pytest

from shopsync.erp import errors as E
from shopsync.sync import products as P
from shopsync.sync import stock
from shopsync.sync.site import SITE_DOCTYPE, SiteConfig
from tests.support.sites import add_site
from tests.test_stock_push import (  # noqa: F401 - fixtures
    HOODIE, SIMPLE, STORES, VARIANTS, batch_requests, client, erp, issue, link_all, link_of, make_erp, receive, sales_order,
    shop_qty, sim,
)


@pytest.fixture
def site(erp, sim):
    """A site on its first day: the shop counts 50 of RW-S-001..003; the ERP has no stock yet."""
    s = add_site(erp, "shop1", sim.url, "ck_test", "cs_test")
    link_all(erp, s)
    for pid in (10, 11, 12):
        sim.set_stock(pid, 50)
    return s


def reload(erp, site) -> SiteConfig:
    return SiteConfig.from_doc(erp.get(SITE_DOCTYPE, site.name), consumer_secret="cs_test")


# ------------------------------------------------------------------------------------------ held


def test_until_the_stock_is_set_up_an_item_with_no_stock_entry_keeps_the_shops_quantity(erp, site, client, sim):
    receive(erp, {"RW-S-001": 4})
    report = stock.push_all_stock(erp, site, client)
    assert report.pushed["RW-S-001"] == 4 and shop_qty(sim, 10) == 4
    assert "RW-S-002" not in report.pushed and "RW-S-002" in report.held
    assert shop_qty(sim, 11) == 50 and shop_qty(sim, 12) == 50
    assert "held" in report.summary()
    # an order's submission moves the reservation of an item with no stock yet: still nothing sent
    sales_order(erp, {"RW-S-002": 1})
    again = stock.push_stock(erp, site, client, ["RW-S-002"])
    assert again.pushed == {} and again.held == ["RW-S-002"]
    assert shop_qty(sim, 11) == 50
    assert not link_of(erp, site, "RW-S-002").get("last_pushed_at")


def test_an_item_is_set_up_by_its_first_entry_and_a_cancelled_one_does_not_count(erp, site, client, sim):
    receive(erp, {"RW-S-002": 3})
    assert stock.push_stock(erp, site, client, ["RW-S-002"]).pushed == {"RW-S-002": 3}
    issue(erp, {"RW-S-002": 3})  # 0 left, but the item has its ledger: 0 is the truth now
    assert stock.push_stock(erp, site, client, ["RW-S-002"]).pushed == {"RW-S-002": 0}
    assert shop_qty(sim, 11) == 0


def test_a_template_is_held_while_one_of_its_variants_has_no_stock(erp, site, client, sim):
    sim.update_product(HOODIE, manage_stock=True, stock_quantity=30)
    receive(erp, {"HOODIE-S": 2})
    report = stock.push_stock(erp, site, client, ["HOODIE-S"])
    assert report.pushed == {"HOODIE-S": 2} and report.held == ["HOODIE"]
    assert shop_qty(sim, HOODIE) == 30


def test_the_comparison_shows_held_products_apart_with_the_shops_quantity(erp, site, client, sim):
    receive(erp, {"RW-S-001": 4})
    rows = {r.item_code: r for r in stock.stock_comparison(erp, site, client)}
    assert rows["RW-S-002"].held and rows["RW-S-002"].shop_qty == 50 and rows["RW-S-002"].erp_qty == 0
    assert not rows["RW-S-001"].held
    held = [r.item_code for r in rows.values() if r.held]
    assert list(rows)[-len(held):] == held  # listed after the pushed ones
    report = stock.push_differences(erp, site, client)
    assert "RW-S-002" not in report.pushed and shop_qty(sim, 11) == 50
    assert report.pushed["RW-S-001"] == 4


def test_the_first_sync_preview_lists_the_products_that_keep_their_quantity(sim, client):
    erp = make_erp()  # the same items, not linked yet: the first sync associates them by SKU
    site = add_site(erp, "fresh", sim.url, "ck_test", "cs_test")
    sim.set_stock(10, 50)
    receive(erp, {"RW-S-002": 4})
    preview = P.preview_first_sync(erp, site, client)
    held = {r.item_code: r.detail for r in preview.stock_held}
    assert held["RW-S-001"] == "shop quantity 50"
    assert "RW-S-002" not in held  # it has stock in the ERP: pushed as usual
    assert preview.counts["stock_held"] == len(preview.stock_held) > 1
    assert preview.as_dict()["stock_held"][0]["detail"].startswith("shop quantity")


# ------------------------------------------------------------------------------------------ way out 1


def prices(erp):
    with erp.transaction():
        erp.update("Item", "RW-S-001", {"valuation_rate": 6.5})
        erp.insert({"doctype": "Item Price", "item_code": "RW-S-002", "price_list": "Standard Selling",
                    "price_list_rate": 19.9})


def test_import_the_shops_stock_as_a_draft_opening_reconciliation(erp, site, client, sim):
    prices(erp)  # RW-S-003: no rate at all; RW-S-004: the shop has its seeded quantity
    sim.set_stock(13, 0)
    receive(erp, {"RW-S-005": 1})  # already stocked in the ERP: left alone
    preview = stock.preview_opening_stock(erp, site, client)
    assert {l.item_code: (l.qty, l.valuation_rate, l.rate_from) for l in preview.lines} == {
        "RW-S-001": (50, 6.5, "valuation rate"), "RW-S-002": (50, 19.9, "price list")}
    assert preview.no_rate["RW-S-003"] == 50 and "RW-S-001" not in preview.no_rate
    assert "RW-S-004" in preview.empty and "RW-S-005" in preview.already_stocked
    assert preview.counts["lines"] == 2 and preview.account == "Temporary Opening - TS"
    assert not erp.find("Stock Reconciliation")  # a preview writes nothing

    name, _ = stock.import_opening_stock(erp, site, client)
    draft = erp.get("Stock Reconciliation", name)
    assert draft["docstatus"] == 0 and draft["purpose"] == "Opening Stock"
    assert draft["expense_account"] == "Temporary Opening - TS"
    assert [(r["item_code"], r["warehouse"], r["qty"], r["valuation_rate"]) for r in draft["items"]] == [
        ("RW-S-001", STORES, 50, 6.5), ("RW-S-002", STORES, 50, 19.9)]
    site = reload(erp, site)
    assert site.opening_stock_reconciliation == name and not site.stock_set_up

    # a draft moves nothing: the shop keeps its quantities
    stock.push_all_stock(erp, site, client)
    assert shop_qty(sim, 10) == 50 and shop_qty(sim, 12) == 50
    # the user checks it and submits it: its items are set up and follow the ERP; the item
    # left out (no rate) still keeps the shop's quantity
    with erp.transaction():
        erp.submit("Stock Reconciliation", name)
    sales_order(erp, {"RW-S-001": 2})
    report = stock.push_all_stock(erp, site, client)
    assert report.pushed["RW-S-001"] == 48 and report.pushed["RW-S-002"] == 50
    assert shop_qty(sim, 10) == 48 and shop_qty(sim, 12) == 50 and "RW-S-003" in report.held


def test_an_opening_reconciliation_on_a_profit_and_loss_account_is_refused_as_erpnext_does(erp):
    with pytest.raises(E.ValidationError, match="Asset/Liability"):
        with erp.transaction():
            erp.insert({"doctype": "Stock Reconciliation", "company": "Test Shop", "purpose": "Opening Stock",
                        "items": [{"item_code": "RW-S-001", "warehouse": STORES, "qty": 5, "valuation_rate": 2}]})


def test_nothing_to_import_says_so(erp, site, client, sim):
    for pid in (10, 11, 12):
        sim.set_stock(pid, 0)
    with pytest.raises(stock.StockSetUpError):
        stock.import_opening_stock(erp, site, client)
    assert not erp.find("Stock Reconciliation")


# ------------------------------------------------------------------------------------------ way out 2


def test_push_erpnexts_quantities_says_how_many_go_to_zero_then_sets_the_site_up(erp, site, client, sim):
    receive(erp, {"RW-S-001": 4})
    preview = stock.preview_erp_quantities(erp, site, client)
    linked = {**SIMPLE, **VARIANTS}
    assert preview.to_zero == {c: shop_qty(sim, oid) for c, oid in linked.items() if c != "RW-S-001" and shop_qty(sim, oid)}
    assert preview.to_zero["RW-S-002"] == 50
    assert preview.counts["to_zero"] == len(preview.to_zero)
    assert shop_qty(sim, 11) == 50  # the preview sends nothing

    report = stock.push_erp_quantities(erp, site, client)
    assert shop_qty(sim, 10) == 4 and shop_qty(sim, 11) == 0 and not report.held
    site = reload(erp, site)
    assert site.stock_set_up and site.stock_set_up_on
    # from now on an item without stock is 0 like any other
    sim.set_stock(11, 7)
    assert stock.push_stock(erp, site, client, ["RW-S-002"], force=True).pushed == {"RW-S-002": 0}


# ------------------------------------------------------------------------------------------ variable parents


def test_a_variable_parent_that_manages_no_stock_receives_no_quantity(erp, sim, client):
    site = add_site(erp, "shop1", sim.url, "ck_test", "cs_test", stock_set_up=1)
    link_all(erp, site)
    sim.update_product(HOODIE, manage_stock=False)
    before = sim.state.products[HOODIE]["date_modified_gmt"]
    sent_before = len(batch_requests(sim))
    receive(erp, {"HOODIE-S": 2, "HOODIE-M": 3})
    report = stock.push_stock(erp, site, client, ["HOODIE-S", "HOODIE-M"])
    assert report.pushed == {"HOODIE-S": 2, "HOODIE-M": 3}
    assert report.skipped["HOODIE"] == stock.NO_MANAGE_STOCK
    # the parent is in no batch: the shop does not re-save it (no product.updated echo) and its
    # link records no quantity the shop never stored
    sent = batch_requests(sim)[sent_before:]
    assert all(r["path"].endswith(f"products/{HOODIE}/variations/batch") for r in sent)
    assert sim.state.products[HOODIE]["date_modified_gmt"] == before
    assert not link_of(erp, site, "HOODIE").get("last_pushed_at")
    # a parent that manages its stock still gets the sum
    sim.update_product(HOODIE, manage_stock=True, stock_quantity=0)
    assert stock.push_stock(erp, site, client, ["HOODIE-S"]).pushed["HOODIE"] == 5
