"""The stock exporter's pure parts: the quantity a shop shows, which object a link points at,
the blacklist, and which sites a movement concerns."""

from __future__ import annotations

import pytest

from shopsync.sync import stock
from shopsync.sync.site import SiteConfig


def b(item="A", wh="Stores - TS", actual=0, reserved=0, projected=None):
    return {
        "item_code": item,
        "warehouse": wh,
        "actual_qty": actual,
        "reserved_qty": reserved,
        "projected_qty": actual - reserved if projected is None else projected,
    }


def test_decimals_are_floored_as_the_shop_keeps_whole_units():
    assert stock.shop_quantity([b(actual=2.7)]) == 2
    assert stock.shop_quantity([b(actual=0.5)]) == 0


def test_float_noise_does_not_lose_a_unit():
    # 0.1 + 0.2 style noise: three units are three units
    assert stock.shop_quantity([b(actual=2.9999999999)]) == 3
    assert stock.shop_quantity([b(actual=0.1), b(wh="B", actual=0.2), b(wh="C", actual=2.7)]) == 3


def test_negative_stock_shows_as_zero():
    assert stock.shop_quantity([b(actual=-3)]) == 0
    assert stock.shop_quantity([b(actual=1, reserved=4)]) == 0


def test_warehouses_are_summed_before_flooring():
    assert stock.shop_quantity([b(actual=1.5), b(wh="Shop - TS", actual=1.5)]) == 3
    # a warehouse in the red lowers what the others offer
    assert stock.shop_quantity([b(actual=5), b(wh="Shop - TS", actual=-2)]) == 3


def test_the_site_rule_picks_the_figure():
    row = b(actual=10, reserved=3, projected=12)  # projected counts incoming purchase orders
    assert stock.shop_quantity([row]) == 7
    assert stock.shop_quantity([row], "Actual minus reserved") == 7
    assert stock.shop_quantity([row], "Actual") == 10
    assert stock.shop_quantity([row], "Projected") == 12
    with pytest.raises(ValueError):
        stock.shop_quantity([row], "Whatever")


def test_only_the_sites_warehouses_count():
    rows = [b("A", "Stores - TS", 4), b("A", "Returns - TS", 100), b("B", "Stores - TS", 1.2)]
    assert stock.quantities(rows, ["Stores - TS"]) == {"A": 4, "B": 1}


def test_link_targets():
    assert stock.link_target({"woo_id": 12}) == (12, 0)
    assert stock.link_target({"woo_id": 40, "woo_variation_id": 42}) == (40, 42)
    assert stock.link_target({"woo_id": 40, "woo_variation_id": 42, "woo_parent_id": 40}) == (40, 42)
    assert stock.link_target({"woo_id": 42, "woo_parent_id": 40}) == (40, 42)
    assert stock.endpoint_for(12, 0) == "products/batch"
    assert stock.endpoint_for(40, 42) == "products/40/variations/batch"


def test_blacklist_by_item_product_or_variation():
    bl = [{"item_code": "MUG"}, {"woo_id": 40, "woo_variation_id": 43}, {"woo_id": 77}]
    assert stock.is_blacklisted(bl, "MUG", 10, 0)
    assert stock.is_blacklisted(bl, "HOODIE-L", 40, 43)
    assert not stock.is_blacklisted(bl, "HOODIE-M", 40, 42)
    assert stock.is_blacklisted(bl, "X", 77, 0)
    assert stock.is_blacklisted(bl, "X-S", 77, 78)  # the whole product
    assert not stock.is_blacklisted(bl, "CAP", 12, 0)


def site(name, warehouses, enabled=True):
    return SiteConfig(name=name, woocommerce_url="http://x/", consumer_key="ck", consumer_secret="cs",
                      warehouses=list(warehouses), enabled=enabled)


def test_a_movement_concerns_the_enabled_sites_holding_its_warehouse():
    sites = [site("fr", ["Stores - TS"]), site("de", ["Berlin - TS", "Stores - TS"]),
             site("uk", ["London - TS"]), site("old", ["Stores - TS"], enabled=False)]
    moves = [("A", "Stores - TS"), ("B", "Berlin - TS"), ("C", "Returns - TS")]
    assert stock.sites_for_movements(sites, moves) == {"fr": {"A"}, "de": {"A", "B"}}


def test_a_500_line_voucher_is_one_flush():
    events = stock.StockEvents()
    firsts = [events.record(f"I{i:03}", "Stores - TS") for i in range(500)]
    # the edge registers its after-commit callback once
    assert firsts.count(True) == 1 and firsts[0]
    assert len(events.moves) == 500


def test_plan_requests_are_batches_of_a_hundred_per_endpoint():
    plan = stock.StockPlan(site="fr")
    plan.send = [stock.StockLine(f"I{i}", f"l{i}", "simple", 1000 + i, 0, i, None) for i in range(250)]
    plan.send += [stock.StockLine(f"V{i}", f"v{i}", "variation", 40, 41 + i, 1, None) for i in range(3)]
    reqs = plan.requests()
    assert [len(x) for x in reqs["products/batch"]] == [100, 100, 50]
    assert reqs["products/40/variations/batch"] == [[{"id": 41, "stock_quantity": 1}, {"id": 42, "stock_quantity": 1},
                                                     {"id": 43, "stock_quantity": 1}]]
    assert plan.request_count == 4
