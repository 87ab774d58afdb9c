"""Deliveries and payments made in the ERP go back to the order in the shop: a partial delivery is
an order note with what was shipped (once per Delivery Note, and with its tracking number), a full
delivery completes the order, a payment in full marks an unpaid order paid when the site asks.
The shop is the simulator (real HTTP, WooCommerce's payment_complete rules), the ERP the in-memory
ERPNext."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopsync.sync import order_status
from tests.test_order_amend import deliver_order, ship, stock_up
from tests.test_orders_sim import client, erp, make_site, place, sim  # noqa: F401 - fixtures

D = Decimal
BACS = [{"woo_method": "bacs", "mode_of_payment": "Wire Transfer"}]


def our_notes(sim, oid):
    return [n for n in sim.get(f"orders/{oid}/notes") if "Delivery Note" in n["note"]]


def imported(erp, site, sim, order):
    outcome = deliver_order(erp, site, sim, order["id"])
    assert outcome.status == "created", outcome
    for row in erp.get("Sales Order", outcome.sales_order)["items"]:
        stock_up(erp, row["item_code"])
    return outcome.sales_order


def test_a_partial_delivery_is_one_note_with_the_shipped_lines_then_the_full_one_completes(erp, sim, client):
    site = make_site(erp, sim, push_order_status=1)
    order = place(sim, 10, qty=3)
    so = imported(erp, site, sim, order)
    item = erp.get("Sales Order", so)["items"][0]
    dn = ship(erp, so, qty=1)
    report = order_status.push_delivery(erp, site, client, dn)
    assert report.noted == [order["id"]] and report.completed == []
    (note,) = our_notes(sim, order["id"])
    assert note["customer_note"] is False
    assert f"Shipped (Delivery Note {dn}): 1 × {item['item_name']}" in note["note"]
    assert "Partial delivery: 33.33 %" in note["note"] and "Tracking" not in note["note"]
    assert sim.get(f"orders/{order['id']}")["status"] == "processing"
    # the same Delivery Note's event again (a retried job): no second note
    again = order_status.push_delivery(erp, site, client, dn)
    assert again.noted == [] and len(our_notes(sim, order["id"])) == 1
    # the rest, with a tracking number: its note carries it, and the order is completed
    rest = erp.make_delivery_note(so)
    rest.update(lr_no="1Z999AA10123456784", lr_date=rest.get("posting_date"))
    with erp.transaction():
        rest = erp.insert(rest)
        erp.submit("Delivery Note", rest["name"])
    report = order_status.push_delivery(erp, site, client, rest["name"])
    assert report.noted == [order["id"]] and report.completed == [order["id"]]
    notes = our_notes(sim, order["id"])
    assert len(notes) == 2
    last = next(n["note"] for n in notes if rest["name"] in n["note"])
    assert f"2 × {item['item_name']}" in last and "Tracking number: 1Z999AA10123456784" in last
    assert "delivered in full" in last
    assert sim.get(f"orders/{order['id']}")["status"] == "completed"


def test_a_note_already_in_the_shop_is_not_sent_again(erp, sim, client):
    """A job stopped after the shop took the note but before the ERP remembered it."""
    site = make_site(erp, sim, push_order_status=1)
    order = place(sim, 10, qty=2)
    so = imported(erp, site, sim, order)
    dn = ship(erp, so, qty=1)
    client.post(f"orders/{order['id']}/notes", {"note": f"Shipped (Delivery Note {dn}): 1 × something.", "customer_note": False})
    report = order_status.push_delivery(erp, site, client, dn)
    assert report.noted == [] and len(our_notes(sim, order["id"])) == 1
    assert f"shop1#{order['id']}:" in erp.get("Delivery Note", dn)["woocommerce_order_notes"]


def test_a_single_full_delivery_without_tracking_completes_without_a_note(erp, sim, client):
    site = make_site(erp, sim, push_order_status=1)
    order = place(sim, 10, qty=2)
    so = imported(erp, site, sim, order)
    report = order_status.push_delivery(erp, site, client, ship(erp, so))
    assert report.completed == [order["id"]] and our_notes(sim, order["id"]) == []
    assert sim.get(f"orders/{order['id']}")["status"] == "completed"


def test_nothing_goes_back_when_the_site_does_not_ask(erp, sim, client):
    site = make_site(erp, sim, push_order_status=0)
    order = place(sim, 10, qty=3)
    so = imported(erp, site, sim, order)
    report = order_status.push_delivery(erp, site, client, ship(erp, so, qty=1))
    assert report.noted == [] and our_notes(sim, order["id"]) == []


def pay(erp, dt, dn):
    pe = erp.get_payment_entry(dt, dn)
    pe.update(mode_of_payment="Wire Transfer", reference_no="VIR-1", reference_date=pe.get("posting_date"))
    with erp.transaction():
        pe = erp.insert(pe)
        erp.submit("Payment Entry", pe["name"])
    return pe["name"]


@pytest.mark.parametrize("asked", [True, False])
def test_a_payment_in_full_marks_an_unpaid_order_paid_only_when_the_site_asks(erp, sim, client, asked):
    site = make_site(erp, sim, create_sales_invoice=1, create_payment_entry=1, mark_paid_in_shop=int(asked), payment_methods=BACS)
    order = place(sim, 10, qty=2, status="on-hold", payment_method="bacs")
    assert sim.get(f"orders/{order['id']}")["date_paid"] is None
    so = imported(erp, site, sim, order)
    invoice = erp.find("Sales Invoice Item", {"sales_order": so, "parenttype": "Sales Invoice"}, fields=("parent",))[0]["parent"]
    report = order_status.push_payment(erp, site, client, pay(erp, "Sales Invoice", invoice))
    shop = sim.get(f"orders/{order['id']}")
    if asked:
        assert report.paid == [order["id"]]
        assert shop["date_paid"] and shop["status"] == "processing"  # WooCommerce's payment_complete
        # the shop's echo (order.updated, now paid) makes no second Payment Entry
        assert deliver_order(erp, site, sim, order["id"]).status in ("skipped", "updated")
        assert len(erp.find("Payment Entry", {"docstatus": 1}, fields=("name",))) == 1
        # and a second payment event finds it paid already
        assert order_status.push_payment(erp, site, client, pay_again_name(erp)).paid == []
    else:
        assert report.paid == [] and shop["date_paid"] is None and shop["status"] == "on-hold"


def pay_again_name(erp):
    return erp.find("Payment Entry", {"docstatus": 1}, fields=("name",))[0]["name"]


def test_an_advance_short_of_the_total_leaves_the_order_unpaid(erp, sim, client):
    site = make_site(erp, sim, mark_paid_in_shop=1, payment_methods=BACS)
    order = place(sim, 10, qty=2, status="on-hold", payment_method="bacs")
    so = imported(erp, site, sim, order)
    pe = erp.get_payment_entry("Sales Order", so)
    half = round(float(pe["paid_amount"]) / 2, 2)
    pe.update(mode_of_payment="Wire Transfer", reference_no="VIR-2", reference_date=pe.get("posting_date"),
              paid_amount=half, received_amount=half)
    pe["references"][0]["allocated_amount"] = half
    with erp.transaction():
        pe = erp.insert(pe)
        erp.submit("Payment Entry", pe["name"])
    report = order_status.push_payment(erp, site, client, pe["name"])
    assert report.paid == [] and "not paid in full" in report.left[0][1]
    assert sim.get(f"orders/{order['id']}")["date_paid"] is None
    rest = pay(erp, "Sales Order", so)
    assert order_status.push_payment(erp, site, client, rest).paid == [order["id"]]
