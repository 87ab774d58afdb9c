"""Edited orders and deliveries on a real ERPNext 15 site, the simulator as the shop and the bench's
own workers running the jobs: a quantity changed in the shop before delivery amends the Sales
Order (SO-...-1, ERPNext's cancel and amend, the link moved, the reservation following); a partial
delivery with a tracking number becomes one order note in the shop, then the edited order needs
attention and Amend from the shop refuses, saying why."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal

import pytest


pytestmark = pytest.mark.bench_site
D = Decimal


def cent(x) -> D:
    return D(str(x)).quantize(D("0.01"))


def done(bench, name):
    statuses = bench.run("process_queued", site=name, timeout=180)
    assert all(s and s[-1] in ("Done", "Skipped", "Failed") for s in statuses.values()), statuses
    return statuses


def edit_quantity(sim, oid, qty):
    sim.advance_clock(2)
    line = sim.get(f"orders/{oid}")["line_items"][0]
    return sim.update_order(oid, line_items=[{"id": line["id"], "quantity": qty}])


def our_notes(sim, oid):
    return [n for n in sim.get(f"orders/{oid}/notes") if "Delivery Note" in n["note"]]


@pytest.fixture
def site_name(bench, sim):
    name = "tmp-" + uuid.uuid4().hex[:6]
    bench.run("make_site", name=name, url=sim.url, key="ck_test", secret="cs_test", host_url=bench.url, push_order_status=1)
    bench.run("check_webhooks", name=name)
    yield name
    bench.run("set_enabled", name=name, enabled=0)


def test_a_quantity_changed_before_delivery_amends_the_sales_order(bench, sim, site_name):
    order = sim.add_order(status="processing", customer_id=3, line_items=[{"product_id": 12, "quantity": 1}])
    sim.deliver_webhooks()
    done(bench, site_name)
    first = bench.run("amend_state", site=site_name, order_id=order["id"])
    so = first["sales_order"]
    edited = edit_quantity(sim, order["id"], 3)
    sim.deliver_webhooks()
    done(bench, site_name)
    state = bench.run("amend_state", site=site_name, order_id=order["id"])
    new = state["sales_order"]
    assert new["name"] == f"{so['name']}-1" and new["amended_from"] == so["name"] and new["docstatus"] == 1
    assert state["amended_from_docstatus"] == 2
    assert new["customer"] == so["customer"]
    assert [qty for _, qty, _ in new["items"]] == [3]
    assert cent(new["grand_total"]) == cent(edited["total"])
    assert [(link["erp_name"], link["state"]) for link in state["links"]] == [(new["name"], "In sync")]
    code = new["items"][0][0]
    assert state["reserved"][code] - first["reserved"][code] == 2  # the amendment's 3 in place of the cancelled 1


def test_a_partial_delivery_is_one_note_then_an_edit_needs_attention_and_the_button_says_why(bench, sim, site_name):
    order = sim.add_order(status="processing", customer_id=3, line_items=[{"product_id": 13, "quantity": 3}])
    sim.deliver_webhooks()
    done(bench, site_name)
    so = bench.run("amend_state", site=site_name, order_id=order["id"])["sales_order"]
    bench.run("receive_stock", item_code=so["items"][0][0], qty=10)
    dn = bench.run("ship", sales_order=so["name"], qty=1, lr_no="1Z999AA10123456784")
    assert bench.run("notes_sent", delivery_note=dn["name"], timeout=90), "the bench's worker sent no note"
    (note,) = our_notes(sim, order["id"])
    assert note["customer_note"] is False and f"(Delivery Note {dn['name']}): 1 ×" in note["note"]
    assert "Tracking number: 1Z999AA10123456784" in note["note"] and "Partial delivery" in note["note"]
    assert bench.run("push_delivery_again", site=site_name, delivery_note=dn["name"])["noted"] == []
    assert len(our_notes(sim, order["id"])) == 1
    assert sim.get(f"orders/{order['id']}")["status"] == "processing"
    sim.deliver_webhooks()  # the shop's own order.updated after the note, if any
    done(bench, site_name)
    edit_quantity(sim, order["id"], 2)
    sim.deliver_webhooks()
    done(bench, site_name)
    state = bench.run("amend_state", site=site_name, order_id=order["id"])
    assert state["sales_order"]["name"] == so["name"] and state["sales_order"]["docstatus"] == 1
    (link,) = state["links"]
    assert link["state"] == "Out of sync" and "qty 3 -> 2" in link["last_error"]
    refused = bench.run("amend_from_shop_button", sales_order=so["name"])
    assert "cannot be amended from the shop: it is delivered" in refused.get("refused", ""), refused
    # the user cancels the delivery, then the button queues the amendment for the bench's worker
    bench.run("cancel_doc", doctype="Delivery Note", name=dn["name"])
    assert bench.run("amend_from_shop_button", sales_order=so["name"]) == {"queued": True}
    state = bench.run("wait_for_amendment", site=site_name, order_id=order["id"], old_name=so["name"])
    assert state["sales_order"]["name"] == f"{so['name']}-1" and [q for _, q, _ in state["sales_order"]["items"]] == [2]
    assert [link["state"] for link in state["links"]] == ["In sync"]
    assert any("Amend from the shop: updated: changed in the shop" in c for c in state["comments"]), state["comments"]


def test_a_payment_in_full_marks_the_on_hold_order_paid_in_the_shop(bench, sim):
    name = "tmp-" + uuid.uuid4().hex[:6]
    bench.run("make_site", name=name, url=sim.url, key="ck_test", secret="cs_test", host_url=bench.url,
              create_sales_invoice=1, mark_paid_in_shop=1)
    bench.run("check_webhooks", name=name)
    try:
        order = sim.add_order(status="on-hold", customer_id=3, payment_method="bacs", line_items=[{"product_id": 14, "quantity": 2}])
        sim.deliver_webhooks()
        done(bench, name)
        so = bench.run("amend_state", site=name, order_id=order["id"])["sales_order"]
        pe = bench.run("pay_invoice_of", sales_order=so["name"])
        assert cent(pe["outstanding"]) == 0
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not sim.get(f"orders/{order['id']}")["date_paid"]:
            time.sleep(0.5)
        shop = sim.get(f"orders/{order['id']}")
        assert shop["date_paid"] and shop["status"] == "processing"
        sim.deliver_webhooks()  # the shop's order.updated: nothing more in the ERP
        done(bench, name)
        assert bench.run("amend_state", site=name, order_id=order["id"])["sales_order"]["name"] == so["name"]
    finally:
        bench.run("set_enabled", name=name, enabled=0)
