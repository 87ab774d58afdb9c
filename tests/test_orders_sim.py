"""Orders from the simulated shop (real HTTP on 127.0.0.1) into the in-memory ERPNext: items made
from the shop's products, the catch-up after an intake outage, the resumable import, webhooks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shopsync.sync import catchup
from shopsync.sync.links import LINK_DOCTYPE, Binder
from shopsync.sync.orders import handle_delivery, import_order
from shopsync.sync.runtime import Runtime
from shopsync.woocommerce import WooClient
from tests.erp_stand_in import MemoryERP
from tests.support.sites import add_site
from tests.woosim import WooSim

D = Decimal
TAX_RATES = [{"woo_rate_id": 1, "label": "TVA 20%", "account": "TVA 20% - TS"},
             {"woo_rate_id": 2, "label": "TVA 5.5%", "account": "TVA 5.5% - TS"}]


@pytest.fixture
def sim():
    s = WooSim().start()
    s.seed()  # the captured shop: products 10-39, hoodie 40 (41-43), customers 2-5, orders 45-49
    yield s
    s.stop()


@pytest.fixture
def erp():
    erp = MemoryERP.with_test_shop()
    erp.ignore_links_on_delete.add(LINK_DOCTYPE)
    with erp.transaction():
        for group in ("Clothes", "Accessories"):
            erp.insert({"doctype": "Item Group", "item_group_name": group, "parent_item_group": "All Item Groups"})
    return erp


def make_site(erp, sim, **overrides):
    values = dict(freight_account="Shipping Income - TS", tax_rates=TAX_RATES, categories=[
        {"woo_category_id": 16, "woo_category_name": "Vêtements", "item_group": "Clothes"},
        {"woo_category_id": 18, "woo_category_name": "Accessoires", "item_group": "Accessories"},
    ])
    values.update(overrides)
    return add_site(erp, "shop1", sim.url, "ck_test", "cs_test", **values)


@pytest.fixture
def site(erp, sim):
    return make_site(erp, sim)


@pytest.fixture
def client(sim):
    c = WooClient(sim.url, "ck_test", "cs_test", max_retries=0)
    yield c
    c.close()


def runtime(erp, site, sim) -> Runtime:
    """What a job gets: a new client per job (the job closes it)."""
    return Runtime(erp=erp, load_site=lambda name: site, client_for=lambda s: WooClient(sim.url, "ck_test", "cs_test"),
                   enqueue=lambda *a, **k: True)


def sales_orders(erp):
    return erp.find("Sales Order", None, fields=("name", "po_no", "grand_total", "docstatus"))


def cursor_now(sim) -> str:
    """A cursor at the shop's present, a few seconds after the seeded orders."""
    sim.advance_clock(5)
    return dt.datetime.fromtimestamp(sim.now(), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def place(sim, product_id=10, qty=1, status="processing", **fields):
    sim.advance_clock(2)  # one order per shop second or more: dates have one-second steps
    line = {"product_id": product_id, "quantity": qty}
    if "variation_id" in fields:
        line["variation_id"] = fields.pop("variation_id")
    return sim.add_order(status=status, line_items=[line], billing={
        "first_name": "Inès", "last_name": "García", "email": "ines@example.test", "address_1": "5 rue Neuve",
        "city": "Lyon", "postcode": "69001", "country": "FR"}, **fields)


# ------------------------------------------------------------------------------------------ items

def test_items_made_from_the_shops_products_template_and_variant(erp, site, sim, client):
    order = sim.get("orders/45")  # a simple product (RW-S-001) and a variation (RW-V-HOODIE-M)
    outcome = import_order(erp, site, order, client)
    assert outcome.status == "created", outcome
    mug = erp.get("Item", "RW-S-001")
    assert mug["item_group"] == "Accessories" and not mug.get("variant_of")
    template = erp.get("Item", "RW-V-HOODIE")
    assert template["has_variants"] == 1 and [a["attribute"] for a in template["attributes"]] == ["Size"]
    assert template["item_group"] == "Clothes"
    variant = erp.get("Item", "RW-V-HOODIE-M")
    assert variant["variant_of"] == "RW-V-HOODIE"
    assert [(a["attribute"], a["attribute_value"]) for a in variant["attributes"]] == [("Size", "M")]
    binder = Binder(erp, "shop1")
    assert binder.erp_name("Item", 40) == "RW-V-HOODIE" and binder.erp_name("Item", 40, 42) == "RW-V-HOODIE-M"
    assert D(str(erp.get("Sales Order", outcome.sales_order)["grand_total"])) == D(order["total"])
    # another size later: a second variant of the same template, no second template
    other = place(sim, 40, variation_id=41)
    assert import_order(erp, site, other, client).status == "created"
    assert erp.get("Item", "RW-V-HOODIE-S")["variant_of"] == "RW-V-HOODIE"
    assert len(erp.find("Item", {"has_variants": 1})) == 1


def test_without_a_client_a_variation_becomes_a_plain_item(erp, site, sim):
    outcome = import_order(erp, site, sim.get("orders/45"))
    assert outcome.status == "created"
    assert not erp.get("Item", "RW-V-HOODIE-M").get("variant_of")


def test_the_shop_not_answering_for_a_product_is_a_retryable_failure(erp, site, sim, client):
    sim.faults.add("500", count=3, path="products")
    outcome = import_order(erp, site, sim.get("orders/46"), client)
    assert outcome.status == "failed" and outcome.retryable
    assert not sales_orders(erp)


# ------------------------------------------------------------------------------------------ catch-up

def test_orders_placed_while_the_intake_was_down_arrive_once(erp, sim, client):
    site = make_site(erp, sim, orders_cursor=cursor_now(sim))
    with erp.transaction():
        erp.insert({"doctype": "WooCommerce Blacklist Entry", "site": "shop1", "woo_id": 13, "reason": "recalled"})
    placed = [place(sim, 10), place(sim, 11, qty=2), place(sim, 13), place(sim, 12, status="on-hold"),
              place(sim, 40, variation_id=43, status="completed")]
    saved = []
    summary = catchup.catch_up_orders(erp, site, client, save_cursor=saved.append)
    assert (summary.created, len(summary.failed)) == (4, 1), summary
    assert summary.failed[0][0] == placed[2]["id"] and "recalled" in summary.failed[0][1]
    newest = max(o["date_modified_gmt"] for o in (sim.get(f"orders/{p['id']}") for p in placed))
    assert saved[-1] == summary.cursor == newest  # the shop's date, never the ERP's clock
    by_po = {so["po_no"]: so for so in sales_orders(erp)}
    for p in placed:
        if p["id"] != placed[2]["id"]:
            assert D(str(by_po[str(p["id"])]["grand_total"])) == D(p["total"])
    # the next run sees nothing new; the late webhooks change nothing either
    site.orders_cursor = saved[-1]
    again = catchup.catch_up_orders(erp, site, client, save_cursor=saved.append)
    assert again.created == 0 and not again.failed
    rt = runtime(erp, site, sim)
    for p in placed:
        if p["id"] != placed[2]["id"]:
            assert handle_delivery(rt, site, "updated", sim.get(f"orders/{p['id']}")).log_status == "Skipped"
    assert len(sales_orders(erp)) == 4


def test_a_change_after_the_cursor_is_caught_up(erp, sim, client):
    site = make_site(erp, sim, orders_cursor=cursor_now(sim))
    order = place(sim, 10, status="processing")
    saved = []
    catchup.catch_up_orders(erp, site, client, save_cursor=saved.append)
    sim.advance_clock(3)
    sim.update_order(order["id"], status="cancelled")
    site.orders_cursor = saved[-1]
    summary = catchup.catch_up_orders(erp, site, client, save_cursor=saved.append)
    assert summary.cancelled == 1
    (so,) = sales_orders(erp)
    assert so["docstatus"] == 2


def test_a_retryable_failure_holds_the_cursor_before_it(erp, sim, client):
    site = make_site(erp, sim, orders_cursor=cursor_now(sim))
    first = place(sim, 10)
    second = place(sim, 14)  # its product must be read from the shop: the shop fails then
    third = place(sim, 10)
    sim.faults.add("500", count=1, path="products/14")
    saved = []
    summary = catchup.catch_up_orders(erp, site, client, save_cursor=saved.append)
    assert summary.created == 2 and len(summary.failed) == 1
    assert summary.cursor == sim.get(f"orders/{first['id']}")["date_modified_gmt"]
    site.orders_cursor = summary.cursor
    summary = catchup.catch_up_orders(erp, site, client, save_cursor=saved.append)
    assert summary.created == 1 and summary.cursor == sim.get(f"orders/{third['id']}")["date_modified_gmt"]
    assert sorted(so["po_no"] for so in sales_orders(erp)) == sorted(str(o["id"]) for o in (first, second, third))


def test_first_catch_up_without_a_cursor_only_sets_it(erp, site, sim, client):
    saved = []
    summary = catchup.catch_up_orders(erp, site, client, save_cursor=saved.append)
    assert summary.seen == 0 and saved and not sales_orders(erp)
    newest = max(sim.get(f"orders/{i}")["date_modified_gmt"] for i in range(45, 50))
    assert saved[-1] == newest


# ------------------------------------------------------------------------------------------ import

def test_import_orders_by_date_and_status_resumes_after_an_interruption(erp, site, sim, client):
    for _ in range(5):
        place(sim, 10)
    statuses = ["processing", "on-hold", "completed"]
    wanted = sorted(o["id"] for o in sim.state.orders.values() if o["status"] in statuses)

    class Stop(Exception):
        pass

    progress = []

    def stop_after_three(done, summary):
        progress.append(done)
        state["last"] = dict(summary.state)
        if done == 3:
            raise Stop

    state = {}
    with pytest.raises(Stop):
        catchup.import_orders(erp, site, client, "2020-01-01", "2099-12-31", statuses, progress=stop_after_three)
    assert progress == [1, 2, 3] and len(sales_orders(erp)) == 3
    rest = catchup.import_orders(erp, site, client, "2020-01-01", "2099-12-31", statuses, resume_from=state["last"])
    assert rest.state["done"] and rest.created == len(wanted) - 3
    assert sorted(int(so["po_no"]) for so in sales_orders(erp)) == wanted
    # again, with and without the orders already imported
    skipped = catchup.import_orders(erp, site, client, "2020-01-01", "2099-12-31", statuses)
    assert skipped.created == 0 and skipped.skipped == {"already imported": len(wanted)}
    again = catchup.import_orders(erp, site, client, "2020-01-01", "2099-12-31", statuses, include_existing=True)
    assert again.created == 0 and again.skipped_total == len(wanted) and not again.failed
    assert len(sales_orders(erp)) == len(wanted)


def test_import_orders_one_bad_order_fails_alone(erp, site, sim, client):
    with erp.transaction():
        erp.insert({"doctype": "WooCommerce Blacklist Entry", "site": "shop1", "woo_id": 11})  # RW-S-002
    summary = catchup.import_orders(erp, site, client, None, None, ["processing", "on-hold", "completed"])
    failed_ids = [oid for oid, _ in summary.failed]
    assert failed_ids == [46]  # the on-hold order holds RW-S-002
    assert summary.created == 2 and "RW-S-002" in summary.failed[0][1]
    assert "1 failed" in str(summary)


# ------------------------------------------------------------------------------------------ webhooks

def test_order_webhook_job_and_deleted_order(erp, site, sim, client):
    rt = runtime(erp, site, sim)
    order = place(sim, 10)
    done = handle_delivery(rt, site, "created", sim.get(f"orders/{order['id']}"))
    assert done.log_status == "Done" and done.log_text.startswith("created: Sales Order")
    # a delivery carrying the id alone is read from the shop
    assert handle_delivery(rt, site, "updated", {"id": order["id"]}).log_status == "Skipped"
    # order.deleted while the shop still holds the order (a replay, a re-labelled body): the shop
    # is asked, nothing is cancelled
    kept = handle_delivery(rt, site, "deleted", {"id": order["id"]})
    assert kept.log_status in ("Skipped", "Done") and sales_orders(erp)[0]["docstatus"] == 1
    # order.deleted once the order is trashed in the shop cancels the Sales Order
    client.delete(f"orders/{order['id']}")
    gone = handle_delivery(rt, site, "deleted", {"id": order["id"]})
    assert gone.log_status == "Done" and gone.log_text.startswith("cancelled: ")
    (so,) = sales_orders(erp)
    assert so["docstatus"] == 2
    # a bad order is a Failed log entry with the reason, not an exception
    bad = place(sim, 999999)
    failed = handle_delivery(rt, site, "created", sim.get(f"orders/{bad['id']}"))
    assert failed.log_status == "Failed" and "product_id 0" in failed.log_text


def test_a_partial_refund_leaves_the_sales_order_a_full_one_cancels_it(erp, site, sim, client):
    order = place(sim, 10, qty=2, status="completed")
    first = import_order(erp, site, sim.get(f"orders/{order['id']}"), client)
    sim.advance_clock(2)
    sim.add_refund(order["id"], amount="5.00", reason="geste commercial")
    partial = import_order(erp, site, sim.get(f"orders/{order['id']}"), client)
    assert partial.status == "skipped" and partial.sales_order == first.sales_order
    assert erp.get("Sales Order", first.sales_order)["docstatus"] == 1
    sim.advance_clock(2)
    sim.update_order(order["id"], status="refunded")
    full = import_order(erp, site, sim.get(f"orders/{order['id']}"), client)
    assert full.status == "cancelled" and erp.get("Sales Order", first.sales_order)["docstatus"] == 2


def test_an_order_modified_during_the_catch_up_does_not_hide_another(erp, site, sim, client):
    """Listing by modified date, an order changed mid-run moves to the end: paging by page number
    would then skip the order after it, and the cursor would move past it for good."""
    from shopsync.sync.orders import SKIPPED, OrderOutcome

    start = sim.get("orders/49")["date_modified_gmt"]
    sim.advance_clock(5)
    created = [sim.add_order(status="processing", customer_id=3, line_items=[{"product_id": 10, "quantity": 1}])["id"]
               for _ in range(230)]
    site.orders_cursor = start.replace("T", " ")
    seen: list[int] = []

    def importer(erp_, site_, order, client_):
        seen.append(order["id"])
        if len(seen) == 20:  # a customer edits an order already caught up
            sim.advance_clock(5)
            sim.update_order(created[3], customer_note="changed during the run")
        return OrderOutcome(order_id=order["id"], status=SKIPPED, reason="counted only",
                            modified_gmt=order.get("date_modified_gmt") or "")

    summary = catchup.catch_up_orders(erp, site, client, save_cursor=lambda c: None, importer=importer)
    assert set(created) <= set(seen)  # none skipped
    assert seen.count(created[3]) == 2  # the changed one seen again, in its new state
    assert summary.cursor >= sim.get(f"orders/{created[3]}")["date_modified_gmt"]
