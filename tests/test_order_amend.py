"""An order edited in the shop after its Sales Order was submitted: amended (SO-...-1) while nothing
of it is delivered, invoiced or paid; else it needs attention, and the Sales Order's "Amend from the
shop" does it once the deliveries and invoices are dealt with. The shop is the simulator (real
HTTP), the ERP the in-memory ERPNext, which computes totals, names and reservations itself."""

from __future__ import annotations

from decimal import Decimal

from shopsync.sync import orders
from shopsync.sync.links import LINK_DOCTYPE, Binder
from tests.test_order_status import deliver as ship, stock_up  # the same Delivery Note and Receipt
from tests.test_orders_sim import client, erp, make_site, place, runtime, sim, site  # noqa: F401 - fixtures

D = Decimal


def cent(x) -> D:
    return D(str(x)).quantize(D("0.01"))


def deliver_order(erp, site, sim, oid):
    return orders.handle_delivery(runtime(erp, site, sim), site, "updated", sim.get(f"orders/{oid}"))


def edit_quantity(sim, oid, qty):
    sim.advance_clock(2)
    line = sim.get(f"orders/{oid}")["line_items"][0]
    return sim.update_order(oid, line_items=[{"id": line["id"], "quantity": qty}])


def reserved(erp, item_code):
    return sum(b["reserved_qty"] for b in erp.bins([item_code], ["Stores - TS"]))


def order_links(erp, oid):
    return erp.find(LINK_DOCTYPE, {"site": "shop1", "link_type": "Order", "woo_id": oid}, fields=("name", "erp_name"))


def test_a_quantity_changed_before_delivery_amends_the_sales_order(erp, site, sim):
    order = place(sim, 10, qty=1)
    first = deliver_order(erp, site, sim, order["id"])
    assert first.status == "created", first
    so = erp.get("Sales Order", first.sales_order)
    item = so["items"][0]["item_code"]
    assert reserved(erp, item) == 1
    edited = edit_quantity(sim, order["id"], 3)
    outcome = deliver_order(erp, site, sim, order["id"])
    assert outcome.status == "updated", outcome
    assert outcome.sales_order == f"{so['name']}-1"
    new = erp.get("Sales Order", outcome.sales_order)
    assert (new["docstatus"], new["amended_from"], new["customer"]) == (1, so["name"], so["customer"])
    assert [r["qty"] for r in new["items"]] == [3]
    assert cent(new["grand_total"]) == cent(edited["total"])
    assert erp.get("Sales Order", so["name"])["docstatus"] == 2
    assert order_links(erp, order["id"]) == [{"name": f"shop1-order-{order['id']}", "erp_name": new["name"]}]
    assert Binder(erp, "shop1").get("Order", order["id"])["state"] == "In sync"
    assert reserved(erp, item) == 3  # the cancelled order's reservation went, the amendment's came
    assert f"amended {so['name']} as {new['name']}" in outcome.message and "qty 1 -> 3" in outcome.message
    # delivered again (the shop's echo, a retry): nothing more
    assert deliver_order(erp, site, sim, order["id"]).status == "skipped"
    # edited once more: the chain goes on, SO-...-2
    edit_quantity(sim, order["id"], 2)
    again = deliver_order(erp, site, sim, order["id"])
    assert again.sales_order == f"{so['name']}-2" and erp.get("Sales Order", again.sales_order)["amended_from"] == new["name"]
    assert len(erp.find("Sales Order", {"docstatus": 1}, fields=("name",))) == 1


def test_after_a_partial_delivery_it_needs_attention_and_amend_from_the_shop_says_why_until_returned(erp, site, sim, client):
    order = place(sim, 10, qty=3)
    so_name = deliver_order(erp, site, sim, order["id"]).sales_order
    stock_up(erp, erp.get("Sales Order", so_name)["items"][0]["item_code"])
    dn = ship(erp, so_name, qty=1)
    edit_quantity(sim, order["id"], 2)
    outcome = deliver_order(erp, site, sim, order["id"])
    assert outcome.status == "needs attention"
    assert "cannot be amended: it is delivered" in outcome.reason and "Amend from the shop" in outcome.reason
    assert any("qty 3 -> 2" in d for d in outcome.diff)
    assert erp.get("Sales Order", so_name)["docstatus"] == 1 and [r["qty"] for r in erp.get("Sales Order", so_name)["items"]] == [3]
    link = Binder(erp, "shop1").get("Order", order["id"])
    assert link["state"] == "Out of sync" and "qty 3 -> 2" in link["last_error"]
    refused = orders.amend_from_shop(erp, site, client, so_name)
    assert refused.status == "needs attention" and "it is delivered" in refused.reason
    assert erp.get("Sales Order", so_name)["docstatus"] == 1
    # the user deals with the delivery (here: cancels it), then the button amends
    with erp.transaction():
        erp.cancel("Delivery Note", dn)
    amended = orders.amend_from_shop(erp, site, client, so_name)
    assert amended.status == "updated" and amended.sales_order == f"{so_name}-1"
    assert [r["qty"] for r in erp.get("Sales Order", amended.sales_order)["items"]] == [2]
    assert Binder(erp, "shop1").erp_name("Order", order["id"]) == amended.sales_order


def test_an_invoiced_or_paid_order_is_not_amended(erp, sim):
    site = make_site(erp, sim, create_sales_invoice=1)
    order = place(sim, 10, qty=1)
    so_name = deliver_order(erp, site, sim, order["id"]).sales_order
    edit_quantity(sim, order["id"], 2)
    outcome = deliver_order(erp, site, sim, order["id"])
    assert outcome.status == "needs attention" and "it is invoiced" in outcome.reason
    assert erp.get("Sales Order", so_name)["docstatus"] == 1


def test_a_site_that_does_not_amend_keeps_the_needs_attention(erp, sim):
    site = make_site(erp, sim, amend_edited_orders=0)
    order = place(sim, 10, qty=1)
    so_name = deliver_order(erp, site, sim, order["id"]).sales_order
    edit_quantity(sim, order["id"], 2)
    outcome = deliver_order(erp, site, sim, order["id"])
    assert outcome.status == "needs attention" and "amend it in the ERP" in outcome.reason
    assert erp.get("Sales Order", so_name)["docstatus"] == 1
