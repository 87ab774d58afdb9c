"""Refunds on a real ERPNext 15 site: the simulator's refunds, delivered as WooCommerce does
(order.updated), run by the bench's own worker, become credit notes ERPNext accepts, each to the
cent of the shop's refund; a full refund leaves the invoiced Sales Order submitted."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest


pytestmark = pytest.mark.bench_site
D = Decimal


def cent(x) -> D:
    return D(str(x)).quantize(D("0.01"))


def done(bench, name):
    """The bench's live workers run the deliveries (never emptied, never taken from them)."""
    statuses = bench.run("process_queued", site=name, timeout=180)
    assert all(s and s[-1] in ("Done", "Skipped") for s in statuses.values()), statuses
    return statuses


def test_a_partial_then_a_full_refund_become_two_credit_notes(bench, sim):
    name = "tmp-" + uuid.uuid4().hex[:6]
    bench.run("make_site", name=name, url=sim.url, key="ck_test", secret="cs_test", host_url=bench.url,
              create_sales_invoice=1)
    bench.run("check_webhooks", name=name)
    try:
        order = sim.add_order(status="processing", customer_id=3, line_items=[{"product_id": 12, "quantity": 3}])
        sim.deliver_webhooks()
        done(bench, name)
        line = order["line_items"][0]
        tax = D(line["taxes"][0]["total"]) / 3
        first = sim.add_refund(order["id"], reason="Un article abîmé", line_items=[{
            "id": line["id"], "quantity": 1, "refund_total": str(cent(D(line["total"]) / 3)),
            "refund_tax": [{"id": line["taxes"][0]["id"], "refund_total": str(cent(tax))}]}])
        sim.deliver_webhooks()
        done(bench, name)
        state = bench.run("credit_notes_of", site=name)[str(order["id"])]
        (cn,) = state["credit_notes"]
        assert cn["docstatus"] == 1 and cn["is_return"] == 1 and cn["return_against"] == state["invoices"][0]["name"]
        assert cent(cn["grand_total"]) == -D(first["amount"])
        assert [(code, qty) for code, qty, _ in cn["items"]] == [(line["sku"], -1)]
        assert cent(state["invoices"][0]["outstanding_amount"]) == D(order["total"]) - D(first["amount"])
        rest = D(order["total"]) - D(first["amount"])
        second = sim.add_refund(order["id"], amount=str(rest))
        assert sim.get(f"orders/{order['id']}")["status"] == "refunded"
        sim.deliver_webhooks()
        done(bench, name)
        state = bench.run("credit_notes_of", site=name)[str(order["id"])]
        assert [cent(n["grand_total"]) for n in state["credit_notes"]] == [-D(first["amount"]), -D(second["amount"])]
        assert state["docstatus"] == 1  # not cancelled
        assert cent(state["refunded"]) == D(order["total"])
        assert cent(state["invoices"][0]["outstanding_amount"]) == 0
    finally:
        bench.run("set_enabled", name=name, enabled=0)


def test_a_restocked_refund_after_a_delivery_comes_back_by_a_delivery_note_return(bench, sim):
    """A delivered order, one unit refunded with Return stock: the invoice moved no stock, so the unit
    comes back by ERPNext's Delivery Note return into the warehouse it left; the order, with nothing
    else to deliver, is closed so ERPNext does not reserve the unit again."""
    name = "tmp-" + uuid.uuid4().hex[:6]
    bench.run("make_site", name=name, url=sim.url, key="ck_test", secret="cs_test", host_url=bench.url,
              create_sales_invoice=1)
    bench.run("check_webhooks", name=name)
    try:
        order = sim.add_order(status="processing", customer_id=3, line_items=[{"product_id": 13, "quantity": 3}])
        sim.deliver_webhooks()
        done(bench, name)
        (code, _, _), = bench.run("orders_of", site=name)[str(order["id"])]["items"]
        warehouse = bench.run("receive_stock", item_code=code, qty=10)["bins"]
        warehouse = next(b["warehouse"] for b in warehouse if b["warehouse"].startswith("Stores"))
        dn = bench.run("refund_checks:deliver_order", site=name, order_id=order["id"])
        line = order["line_items"][0]
        tax = D(line["taxes"][0]["total"]) / 3
        sim.add_refund(order["id"], api_restock=True, line_items=[{
            "id": line["id"], "quantity": 1, "refund_total": str(cent(D(line["total"]) / 3)),
            "refund_tax": [{"id": line["taxes"][0]["id"], "refund_total": str(cent(tax))}]}])
        sim.deliver_webhooks()
        done(bench, name)
        state = bench.run("refund_checks:restock_state", site=name, order_id=order["id"], item_code=code, warehouse=warehouse)
        # the unit back into the warehouse it left (the Bin is shared with the bench's other test
        # sites, which move the same items: the return's own ledger entry is what is checked)
        assert state["returns"] == [{"name": state["returns"][0]["name"], "return_against": dn,
                                     "items": [[code, -1.0, warehouse]], "ledger": [[code, 1.0, warehouse]]}]
        assert state["status"] == "Closed"  # reserves nothing: the shop's quantity counts the unit again
    finally:
        bench.run("set_enabled", name=name, enabled=0)
