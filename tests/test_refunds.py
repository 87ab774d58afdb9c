"""Refunds in the simulated shop (real HTTP) become credit notes in the in-memory ERPNext, each held
to the shop's own refund total: full, by quantity, by amount only, shipping, two refunds, a refund
delivered twice (and by two workers at once), a refund before the invoice then the invoice, the
money paid back."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from shopsync.sync import catchup, refunds
from shopsync.sync.links import Binder
from shopsync.sync.orders import handle_delivery
from tests.test_orders_sim import client, erp, make_site, place, runtime, sim  # noqa: F401 - fixtures

D = Decimal
CASH = [{"woo_method": "cod", "mode_of_payment": "Cash"}]


def cent(x) -> D:
    return D(str(x)).quantize(D("0.01"))


def deliver(erp, site, sim, oid):
    return handle_delivery(runtime(erp, site, sim), site, "updated", sim.get(f"orders/{oid}"))


def credit_notes(erp):
    rows = erp.find("Sales Invoice", {"is_return": 1, "docstatus": 1}, fields=("name",))
    return [erp.get("Sales Invoice", r["name"]) for r in rows]


def line_refund(line, qty=None):
    """A refund request for ``qty`` units of an order line, at its price and tax, as the admin
    screen computes it (to the cent)."""
    qty = line["quantity"] if qty is None else qty
    share = D(qty) / D(line["quantity"])
    return {"id": line["id"], "quantity": qty, "refund_total": str(cent(D(line["total"]) * share)),
            "refund_tax": [{"id": t["id"], "refund_total": str(cent(D(t["total"]) * share))} for t in line["taxes"]]}


def imported(erp, site, sim, oid):
    outcome = deliver(erp, site, sim, oid)
    assert outcome.status == "created", outcome
    return outcome.sales_order


def shop_refunds(sim, oid):
    return {r["id"]: D(r["amount"]) for r in sim.get(f"orders/{oid}/refunds")}


def test_full_refund_of_an_invoiced_order_is_a_credit_note_not_a_cancellation(erp, sim):
    site = make_site(erp, sim, create_sales_invoice=1)
    order = sim.get("orders/45")
    so = imported(erp, site, sim, 45)
    reqs = [line_refund(li) for li in order["line_items"]]
    reqs += [line_refund({**s, "quantity": 1}, 0) | {"refund_total": s["total"],
             "refund_tax": [{"id": t["id"], "refund_total": str(cent(t["total"]))} for t in s["taxes"]]}
             for s in order["shipping_lines"] + order["fee_lines"]]
    refund = sim.add_refund(45, amount=order["total"], line_items=reqs, reason="Annulée")
    assert sim.get("orders/45")["status"] == "refunded"
    outcome = deliver(erp, site, sim, 45)
    assert outcome.status == "updated", outcome
    (cn,) = credit_notes(erp)
    assert cent(cn["grand_total"]) == -D(refund["amount"]) == -D(order["total"])
    assert cn["return_against"] and sorted((r["item_code"], r["qty"]) for r in cn["items"] if r.get("item_code")) == \
        [("RW-S-001", -2), ("RW-V-HOODIE-M", -1)]
    assert erp.get("Sales Order", so)["docstatus"] == 1  # not cancelled
    invoice = erp.get("Sales Invoice", cn["return_against"])
    assert cent(invoice["outstanding_amount"]) == 0  # the credit note took what the invoice owed
    assert f"credit note {cn['name']}" in outcome.message
    assert cent(erp.get("Sales Order", so)["woocommerce_refunded_amount"]) == D(order["total"])


def test_partial_refund_by_quantity(erp, sim):
    site = make_site(erp, sim, create_sales_invoice=1)
    order = place(sim, 10, qty=3)
    imported(erp, site, sim, order["id"])
    refund = sim.add_refund(order["id"], line_items=[line_refund(order["line_items"][0], 1)], api_restock=False)
    assert deliver(erp, site, sim, order["id"]).status == "updated"
    (cn,) = credit_notes(erp)
    assert cent(cn["grand_total"]) == -D(refund["amount"])
    assert [(r["item_code"], r["qty"]) for r in cn["items"]] == [("RW-S-001", -1)]
    assert [cent(t["tax_amount"]) for t in cn["taxes"]] == [D(refund["tax_lines"][0]["tax_total"])]
    assert sim.get(f"orders/{order['id']}")["status"] == "processing"


def test_refund_by_amount_only(erp, sim):
    site = make_site(erp, sim, create_sales_invoice=1)
    order = place(sim, 10, qty=1)
    imported(erp, site, sim, order["id"])
    sim.add_refund(order["id"], amount="4.99", reason="Geste commercial")
    deliver(erp, site, sim, order["id"])
    (cn,) = credit_notes(erp)
    assert cent(cn["grand_total"]) == D("-4.99")
    assert [(r.get("item_code"), r["item_name"], r["qty"]) for r in cn["items"]] == [(None, "Geste commercial", -1)]


def test_shipping_refunded_with_its_tax(erp, sim):
    site = make_site(erp, sim, create_sales_invoice=1)
    order = sim.add_order(status="processing", line_items=[{"product_id": 10, "quantity": 2}],
                          shipping_lines=[{"method_id": "flat_rate", "method_title": "Colissimo", "total": "5.90"}],
                          billing={"first_name": "Inès", "last_name": "García", "email": "ines@example.test",
                                   "country": "FR"})
    imported(erp, site, sim, order["id"])
    ship = order["shipping_lines"][0]
    refund = sim.add_refund(order["id"], line_items=[{"id": ship["id"], "refund_total": "5.90",
                                                      "refund_tax": [{"id": 1, "refund_total": "1.18"}]}])
    assert refund["amount"] == "7.08"
    outcome = deliver(erp, site, sim, order["id"])
    assert outcome.status == "updated", outcome
    (cn,) = credit_notes(erp)
    assert cent(cn["grand_total"]) == D("-7.08")
    assert [(r["income_account"], cent(r["amount"])) for r in cn["items"]] == [("Shipping Income - TS", D("-5.90"))]
    assert [(t["account_head"], cent(t["tax_amount"])) for t in cn["taxes"]] == [("TVA 20% - TS", D("-1.18"))]


def test_two_refunds_on_one_order_and_a_delivery_twice(erp, sim):
    site = make_site(erp, sim, create_sales_invoice=1)
    order = place(sim, 10, qty=3)
    imported(erp, site, sim, order["id"])
    sim.add_refund(order["id"], line_items=[line_refund(order["line_items"][0], 1)])
    deliver(erp, site, sim, order["id"])
    sim.add_refund(order["id"], line_items=[line_refund(order["line_items"][0], 1)])
    sim.add_refund(order["id"], amount="1.00")
    for _ in range(2):
        deliver(erp, site, sim, order["id"])
    notes = credit_notes(erp)
    binder = Binder(erp, "shop1")
    assert {r: cent(-D(str(erp.get("Sales Invoice", binder.erp_name("Refund", r))["grand_total"])))
            for r in shop_refunds(sim, order["id"])} == shop_refunds(sim, order["id"])
    assert len(notes) == 3


def test_two_workers_on_one_refund_make_one_credit_note(erp, sim):
    site = make_site(erp, sim, create_sales_invoice=1)
    order = place(sim, 10, qty=2)
    imported(erp, site, sim, order["id"])
    sim.add_refund(order["id"], line_items=[line_refund(order["line_items"][0], 1)])
    body = sim.get(f"orders/{order['id']}")
    start = threading.Barrier(2)
    results = []

    def worker():
        start.wait()
        results.append(handle_delivery(runtime(erp, site, sim), site, "updated", body))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.status != "failed" for r in results), results
    assert len(credit_notes(erp)) == 1


def test_refund_before_the_invoice_is_recorded_then_credited_once_the_invoice_exists(erp, sim):
    site = make_site(erp, sim)  # no invoices
    order = place(sim, 10, qty=2)
    so = imported(erp, site, sim, order["id"])
    refund = sim.add_refund(order["id"], line_items=[line_refund(order["line_items"][0], 1)], reason="Abîmé")
    outcome = deliver(erp, site, sim, order["id"])
    assert "needs an invoice first" in outcome.message
    assert not credit_notes(erp)
    held = erp.get("Sales Order", so)
    assert cent(held["woocommerce_refunded_amount"]) == D(refund["amount"]) and held["woocommerce_refund_needs_invoice"] == 1
    assert erp.find("Sales Order", {"woocommerce_refund_needs_invoice": 1}) == [{"name": so}]
    comments = erp.find("Comment", {"reference_name": so}, fields=("content",))
    assert any(f"WooCommerce refund {refund['id']}" in c["content"] and "Abîmé" in c["content"] for c in comments)
    deliver(erp, site, sim, order["id"])  # again: one comment still
    assert len(erp.find("Comment", {"reference_name": so}, fields=("content",))) == len(comments)
    # the user makes the invoice; the hourly catch-up makes the credit note
    with erp.transaction():
        si = erp.insert(erp.make_sales_invoice(so))
        erp.submit("Sales Invoice", si["name"])
    notes = catchup.catch_up_orders(erp, make_site_cursor(erp, sim, site), runtime(erp, site, sim).client_for(site),
                                    save_cursor=lambda c: None).notes
    (cn,) = credit_notes(erp)
    assert cent(cn["grand_total"]) == -D(refund["amount"]) and any(cn["name"] in n for n in notes)
    assert erp.get("Sales Order", so)["woocommerce_refund_needs_invoice"] == 0


def make_site_cursor(erp, sim, site):
    import dataclasses

    return dataclasses.replace(site, orders_cursor="2100-01-01T00:00:00")


def test_a_paid_order_refunded_gets_a_pay_entry_against_its_credit_note(erp, sim):
    site = make_site(erp, sim, create_sales_invoice=1, create_payment_entry=1, payment_methods=CASH)
    order = sim.get("orders/47")  # completed, paid by cod
    so = imported(erp, site, sim, 47)
    refund = sim.add_refund(47, line_items=[line_refund(order["line_items"][0])], api_restock=True)
    outcome = deliver(erp, site, sim, 47)
    (cn,) = credit_notes(erp)
    assert cent(cn["grand_total"]) == -D(refund["amount"])
    pays = erp.find("Payment Entry", {"payment_type": "Pay", "docstatus": 1}, fields=("name", "paid_amount", "mode_of_payment"))
    assert [(cent(p["paid_amount"]), p["mode_of_payment"]) for p in pays] == [(D(refund["amount"]), "Cash")]
    assert cent(erp.get("Sales Invoice", cn["name"])["outstanding_amount"]) == 0
    # restocked in the shop: nothing was delivered and the invoice moved no stock, so nothing comes
    # back; the order's other line is still to deliver, so the refunded unit stays reserved, and it is said
    assert not int(cn.get("update_stock") or 0) and "restocked in the shop" in outcome.message
    assert erp.get("Sales Order", so)["docstatus"] == 1


def test_a_refunded_order_without_invoice_is_still_cancelled(erp, sim):
    site = make_site(erp, sim)
    order = place(sim, 10, qty=1)
    so = imported(erp, site, sim, order["id"])
    sim.add_refund(order["id"], amount=order["total"])
    outcome = deliver(erp, site, sim, order["id"])
    assert outcome.status == "cancelled" and erp.get("Sales Order", so)["docstatus"] == 2
    assert not credit_notes(erp)


def test_restock_allocation_follows_the_refunds_oldest_first():
    order = {"line_items": [{"id": 13, "meta_data": [{"key": "_restock_refunded_items", "value": "1"}]}]}
    one = {"id": 154, "line_items": [{"quantity": -1, "meta_data": [{"key": "_refunded_item_id", "value": "13"}]}]}
    two = {"id": 160, "line_items": [{"quantity": -1, "meta_data": [{"key": "_refunded_item_id", "value": "13"}]}]}
    assert refunds.restocked_by_refund(order, [two, one]) == {154: {13: D(1)}}


# ------------------------------------------------------------------ restock: where the goods left

def stocked_site(erp, sim, qty=10, **overrides):
    """An invoicing site on the test shop's Stores warehouse, with ``qty`` of product 10's item in it."""
    site = make_site(erp, sim, create_sales_invoice=1, default_warehouse="Stores - TS", **overrides)
    return site


def receive(erp, item_code, qty, warehouse="Stores - TS"):
    with erp.transaction():
        erp.insert({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt", "docstatus": 1,
                    "items": [{"item_code": item_code, "qty": qty, "t_warehouse": warehouse, "basic_rate": 8.0}]})


def bin_of(erp, code, warehouse="Stores - TS"):
    (row,) = erp.bins([code], [warehouse])
    return D(str(row["actual_qty"])), D(str(row["reserved_qty"]))


def ship(erp, so, qty=None):
    """A Delivery Note of the Sales Order (every undelivered unit, or ``qty`` of its first row)."""
    with erp.transaction():
        dn = erp.make_delivery_note(so)
        if qty is not None:
            dn["items"] = [dict(dn["items"][0], qty=qty)]
        return erp.submit("Delivery Note", erp.insert(dn)["name"])


def dn_returns(erp):
    rows = erp.find("Delivery Note", {"is_return": 1, "docstatus": 1}, fields=("name",))
    return [erp.get("Delivery Note", r["name"]) for r in rows]


def pushed(erp, site, sim, code):
    from shopsync.sync import stock
    from shopsync.woocommerce import WooClient

    report = stock.push_stock(erp, site, WooClient(sim.url, "ck_test", "cs_test"), [code], force=True)
    assert report.ok, report.summary()
    return int(sim.get("products/10")["stock_quantity"])


def stocked_order(erp, sim, qty):
    """An order of ``qty`` of product 10, imported into a site with stock: 10 units received."""
    site = stocked_site(erp, sim)
    order = place(sim, 10, qty=qty)
    so = imported(erp, site, sim, order["id"])
    code = erp.get("Sales Order", so)["items"][0]["item_code"]
    receive(erp, code, 10)
    return site, order, so, code


def test_a_restocked_partial_refund_after_a_delivery_comes_back_by_a_delivery_note_return(erp, sim):
    site, order, so, code = stocked_order(erp, sim, qty=3)
    dn = ship(erp, so)
    assert bin_of(erp, code) == (7, 0)
    refund = sim.add_refund(order["id"], line_items=[line_refund(order["line_items"][0], 1)], api_restock=True)
    outcome = deliver(erp, site, sim, order["id"])
    (cn,) = credit_notes(erp)
    assert cent(cn["grand_total"]) == -D(refund["amount"]) and not int(cn.get("update_stock") or 0)
    (ret,) = dn_returns(erp)
    assert ret["return_against"] == dn["name"]
    assert [(r["item_code"], r["qty"], r["warehouse"]) for r in ret["items"]] == [(code, -1, "Stores - TS")]
    # the unit is back in the warehouse; ERPNext would reserve it again for the order (golden k4),
    # which had nothing else to deliver: closed, so the shop sees it for sale
    assert bin_of(erp, code) == (8, 0)
    assert erp.get("Sales Order", so)["status"] == "Closed"
    assert "Delivery Note return" in outcome.message and "closed" in outcome.message
    assert pushed(erp, site, sim, code) == 8
    # delivered again: nothing more
    deliver(erp, site, sim, order["id"])
    assert len(dn_returns(erp)) == 1 and len(credit_notes(erp)) == 1 and bin_of(erp, code) == (8, 0)


def test_a_restocked_refund_of_an_undelivered_order_releases_its_reservation(erp, sim):
    site, order, so, code = stocked_order(erp, sim, qty=2)
    assert bin_of(erp, code) == (10, 2)
    sim.add_refund(order["id"], line_items=[line_refund(order["line_items"][0])], api_restock=True)
    outcome = deliver(erp, site, sim, order["id"])
    assert len(credit_notes(erp)) == 1 and not dn_returns(erp)
    assert bin_of(erp, code) == (10, 0)  # nothing moved: nothing had left; the reservation is gone
    assert erp.get("Sales Order", so)["status"] == "Closed" and "closed" in outcome.message
    assert pushed(erp, site, sim, code) == 10


def test_a_partly_restocked_undelivered_order_keeps_its_reservation_and_says_so(erp, sim):
    site, order, so, code = stocked_order(erp, sim, qty=3)
    sim.add_refund(order["id"], line_items=[line_refund(order["line_items"][0], 1)], api_restock=True)
    outcome = deliver(erp, site, sim, order["id"])
    assert len(credit_notes(erp)) == 1 and not dn_returns(erp)
    assert bin_of(erp, code) == (10, 3) and erp.get("Sales Order", so)["status"] != "Closed"
    assert "still reserves 1 unit" in outcome.message


def test_a_refund_without_restock_moves_nothing(erp, sim):
    site, order, so, code = stocked_order(erp, sim, qty=3)
    ship(erp, so)
    sim.add_refund(order["id"], line_items=[line_refund(order["line_items"][0], 1)], api_restock=False)
    deliver(erp, site, sim, order["id"])
    assert len(credit_notes(erp)) == 1 and not dn_returns(erp)
    assert bin_of(erp, code) == (7, 0) and erp.get("Sales Order", so)["status"] != "Closed"


def test_a_second_restocked_refund_of_a_closed_order_comes_back_too(erp, sim):
    site, order, so, code = stocked_order(erp, sim, qty=3)
    ship(erp, so)
    for _ in range(2):
        sim.add_refund(order["id"], line_items=[line_refund(order["line_items"][0], 1)], api_restock=True)
        deliver(erp, site, sim, order["id"])
    assert len(credit_notes(erp)) == 2 and [r["items"][0]["qty"] for r in dn_returns(erp)] == [-1, -1]
    assert bin_of(erp, code) == (9, 0) and erp.get("Sales Order", so)["status"] == "Closed"
    assert pushed(erp, site, sim, code) == 9
