"""A Sales Order fully delivered in the ERP marks its order completed in the shop, when asked."""

from __future__ import annotations

import pytest

from shopsync.sync import order_status, orders
from shopsync.woocommerce import WooClient
from tests.erp_stand_in import MemoryERP
from tests.support.sites import add_site
from tests.woosim import WooSim


@pytest.fixture
def world():
    sim = WooSim().start().seed()
    erp = MemoryERP.with_test_shop()
    client = WooClient(sim.url, "ck_test", "cs_test")
    yield sim, erp, client
    sim.stop()


def deliver(erp, so_name, qty=None):
    dn = erp.make_delivery_note(so_name)
    for row in dn["items"]:
        if qty is not None:
            row["qty"] = qty
    with erp.transaction():
        dn = erp.insert(dn)
        erp.submit("Delivery Note", dn["name"])
    return dn["name"]


def stock_up(erp, item_code, qty=50):
    with erp.transaction():
        se = erp.insert({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt", "company": "Test Shop",
                         "items": [{"item_code": item_code, "qty": qty, "t_warehouse": "Stores - TS", "basic_rate": 5}]})
        erp.submit("Stock Entry", se["name"])


@pytest.mark.parametrize("asked", [True, False])
def test_a_delivered_order_is_completed_in_the_shop_only_when_the_site_asks(world, asked):
    sim, erp, client = world
    site = add_site(erp, "shop1", sim.url, "ck_test", "cs_test", push_order_status=int(asked),
                    freight_account="Shipping Income - TS")
    order = sim.add_order(status="processing", customer_id=3, line_items=[{"product_id": 11, "quantity": 2}])
    outcome = orders.import_order(erp, site, client.get(f"orders/{order['id']}"), client)
    so = outcome.sales_order
    for row in erp.get("Sales Order", so)["items"]:
        stock_up(erp, row["item_code"])
    half = deliver(erp, so, 1)
    report = order_status.push_delivered(erp, site, client, order_status.sales_orders_of_delivery(erp, half))
    assert client.get(f"orders/{order['id']}")["status"] == "processing"
    rest = deliver(erp, so)
    report = order_status.push_delivered(erp, site, client, order_status.sales_orders_of_delivery(erp, rest))
    expected = "completed" if asked else "processing"
    assert client.get(f"orders/{order['id']}")["status"] == expected
    assert report.completed == ([order["id"]] if asked else [])
