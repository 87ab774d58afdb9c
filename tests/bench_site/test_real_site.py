"""shopsync in a real Frappe 15 + ERPNext 15 site, against the WooCommerce simulator.

The simulator runs in this process on 127.0.0.1; the site's code (web server, jobs run by the
checks) calls it over HTTP, and the simulator delivers webhooks to the site's real endpoint.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests

from shopsync.sync.site import WEBHOOK_TOPICS

from shopsync.woocommerce.signature import sign

pytestmark = pytest.mark.bench_site


@pytest.fixture(scope="module")
def real_site(bench, sim):
    bench.run("forget_earlier_runs")
    name = "sim-" + uuid.uuid4().hex[:6]
    info = bench.run("make_site", name=name, url=sim.url, key="ck_test", secret="cs_test", host_url=bench.url)
    yield info
    bench.run("set_enabled", name=name, enabled=0)  # it holds links now: disabled, as a user would


def shop_webhooks(sim, endpoint):
    from shopsync.woocommerce import WooClient

    with WooClient(sim.url, "ck_test", "cs_test") as client:
        return [w for w in client.list_webhooks() if w["delivery_url"] == endpoint]


def test_app_and_doctypes_are_installed(bench):
    state = bench.run("install_state")
    assert "shopsync" in state["installed_apps"]
    assert {"WooCommerce Site", "WooCommerce Link", "WooCommerce Webhook Log", "WooCommerce Blacklist Entry"} <= set(state["doctypes"])
    assert "shopsync.events.stock_moved" in state["sle_hooks"]["on_submit"]


def test_the_port_over_frappe_translates_errors_and_rolls_back(bench):
    out = bench.run("port_roundtrip")
    assert "No Such Group" in out["link_error"]
    assert out["missing"] == "DoesNotExistError"
    assert out["rolled_back"] is True


def test_the_ports_direct_reads_read_what_frappe_get_all_reads(bench):
    # the job's lookups skip get_all's query builder; on the real schema they must read the same
    out = bench.run("plain_queries_agree")
    assert out["differ"] == [] and out["direct"] == out["cases"] and out["probe_found"]
    assert out["get_value"] and out["single"] and out["exists"] == [True, False]


def test_saving_a_site_makes_its_secret_endpoint_and_webhooks_once(bench, sim, real_site):
    assert real_site["endpoint_url"] == f"{bench.url}/api/method/shopsync.api.webhook?site={real_site['name']}"
    assert len(real_site["webhook_secret"]) >= 32 and real_site["secret_in_db_is_encrypted"]
    first = bench.run("check_webhooks", name=real_site["name"])
    hooks = shop_webhooks(sim, real_site["endpoint_url"])
    assert sorted(h["topic"] for h in hooks) == sorted(WEBHOOK_TOPICS)
    # the creation ping reached the real endpoint and was answered 200, so every webhook is active
    assert {h["status"] for h in hooks} == {"active"}
    # the save queued its own check, which a live worker may have run first: made once either way
    assert len(first["actions"]) in (0, len(WEBHOOK_TOPICS))
    again = bench.run("check_webhooks", name=real_site["name"])
    assert again["actions"] == [] and len(shop_webhooks(sim, real_site["endpoint_url"])) == len(WEBHOOK_TOPICS)
    rows = bench.run("webhook_rows", name=real_site["name"])
    assert {r["status"] for r in rows} == {"active"} and len(rows) == len(WEBHOOK_TOPICS)


def test_the_endpoint_answers_as_woocommerce_needs(bench, sim, real_site):
    url = real_site["endpoint_url"]
    ping = requests.post(url, data="webhook_id=99", headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert ping.status_code == 200
    body = json.dumps({"id": 777001, "date_modified_gmt": "2026-11-23T10:00:00", "status": "processing",
                       "order_key": "wc_order_x", "line_items": [], "billing": {}}).encode()
    bench.run("check_webhooks", name=real_site["name"])
    [hook] = [h for h in shop_webhooks(sim, url) if h["topic"] == "order.updated"]
    head = {"Content-Type": "application/json", "X-WC-Webhook-Topic": "order.updated", "X-WC-Webhook-Resource": "order",
            "X-WC-Webhook-Event": "updated", "X-WC-Webhook-ID": str(hook["id"])}
    assert requests.post(url, data=body, headers=head, timeout=10).status_code == 401
    forged = dict(head, **{"X-WC-Webhook-Signature": sign("another site's secret", body)})
    assert requests.post(url, data=body, headers=forged, timeout=10).status_code == 401
    unknown = url.replace(real_site["name"], "no-such-site")
    signed = dict(head, **{"X-WC-Webhook-Signature": sign(real_site["webhook_secret"], body)})
    # an unknown site answers as a forgery does: a guest cannot list the sites
    assert requests.post(unknown, data=body, headers=signed, timeout=10).status_code == 401
    assert requests.get(url, timeout=10).status_code in (403, 405)
    good = requests.post(url, data=body, headers=signed, timeout=10)
    assert good.status_code == 200, good.text
    repeat = requests.post(url, data=body, headers=signed, timeout=10)
    assert repeat.status_code == 200 and "duplicate" in repeat.text
    entries = [e for e in bench.run("log_entries", site=real_site["name"]) if e["resource_id"] == 777001]
    assert len(entries) == 1 and entries[0]["status"] in ("Queued", "Processing", "Done", "Skipped", "Failed")
    assert json.loads(entries[0]["payload"])["id"] == 777001


def test_deliveries_from_the_shop_are_logged(bench, sim, real_site):
    order = sim.add_order(status="processing", customer_id=2, line_items=[{"product_id": 10, "quantity": 1}])
    results = sim.deliver_webhooks()
    mine = [r for r in results if r.get("status_code") is not None]
    assert mine and all(r["status_code"] == 200 for r in mine), results
    entries = [e for e in bench.run("log_entries", site=real_site["name"]) if e["resource_id"] == order["id"]]
    assert entries and {e["topic"] for e in entries} <= {"order.created", "order.updated"}


def test_disabling_pauses_and_deleting_removes_the_webhooks(bench, sim):
    name = "tmp-" + uuid.uuid4().hex[:6]
    info = bench.run("make_site", name=name, url=sim.url, key="ck_test", secret="cs_test", host_url=bench.url)
    bench.run("check_webhooks", name=name)
    bench.run("set_enabled", name=name, enabled=0)
    assert {h["status"] for h in shop_webhooks(sim, info["endpoint_url"])} == {"paused"}
    bench.run("delete_site", name=name)
    assert shop_webhooks(sim, info["endpoint_url"]) == []


def test_orders_import_into_real_erpnext_to_the_cent(bench, sim, real_site):
    """The captured shop's orders (shipping, fee, coupon, TVA 20 % and 5.5 %, a guest) through the
    bench command, into real ERPNext: one Sales Order each, grand total equal to the shop's."""
    from shopsync.woocommerce import WooClient

    out = bench.cli("shopsync-import", real_site["name"], "--status", "processing,on-hold,completed,cancelled,pending")
    assert "WooCommerce Import" in out
    with WooClient(sim.url, "ck_test", "cs_test") as client:
        shop = {str(o["id"]): o for o in client.iter("orders")}
    imported = bench.run("orders_of", site=real_site["name"])
    assert {"45", "46", "47"} <= set(imported), out
    for oid, so in imported.items():
        order = shop[oid]
        assert f"{so['grand_total']:.2f}" == order["total"], (oid, so, order["total"])
        assert so["po_no"].startswith(order["number"])
        if order["status"] in ("processing", "on-hold", "completed"):
            assert so["docstatus"] == 1, (oid, so)
    # run again: nothing doubled
    bench.cli("shopsync-import", real_site["name"], "--status", "processing,on-hold,completed")
    assert bench.run("orders_of", site=real_site["name"]).keys() == imported.keys()


def test_a_delivered_order_becomes_a_sales_order_through_the_job(bench, sim, real_site):
    order = sim.add_order(status="processing", customer_id=3, line_items=[{"product_id": 12, "quantity": 2}])
    sim.deliver_webhooks()
    processed = bench.run("process_queued", site=real_site["name"])
    assert any(s == ["Done"] or "Done" in s for s in processed.values()), processed
    so = bench.run("orders_of", site=real_site["name"])[str(order["id"])]
    assert f"{so['grand_total']:.2f}" == order["total"] and so["docstatus"] == 1
    # the same delivery again changes nothing
    sim.update_order(order["id"], customer_note="")  # a real update arrives as a new delivery
    sim.deliver_webhooks()
    bench.run("process_queued", site=real_site["name"])
    again = bench.run("orders_of", site=real_site["name"])
    assert again[str(order["id"])]["name"] == so["name"]


def test_products_link_and_a_submitted_stock_entry_reaches_the_shop(bench, sim, real_site):
    """The catalogue linked on a real site, then a Stock Entry submitted in ERPNext: its Stock
    Ledger Entry hook queues one push job after the commit, a real worker runs it, and the
    shop shows the ERP's quantity."""
    first = bench.run("product_first_sync", site=real_site["name"])
    by_item = {l["erp_name"]: l for l in first["links"]}
    assert "RW-S-001" in by_item and by_item["RW-S-001"]["woo_id"] == 10, first["summary"]
    # items the order import made earlier on this site are associated by SKU; where they differ
    # from the product, the link waits Out of sync for the user to choose (both ways)
    assert {l["state"] for l in first["links"]} <= {"In sync", "Out of sync"}
    rows = bench.run("sync_state_rows", site=real_site["name"])
    assert any(r["woo"] == "#Woo: 10" for r in rows)

    bench.run("receive_stock", item_code="RW-S-001", qty=50)
    # the site's own push job, queued after the commit, is run by the bench's live workers
    # the site's default rule: actual minus reserved (orders imported earlier reserve some), floored, never < 0
    bins = bench.run("bins_of", item_code="RW-S-001")
    expected = max(0, int(sum(b["actual_qty"] - b["reserved_qty"] for b in bins if b["warehouse"].startswith("Stores"))))
    assert any(b["actual_qty"] >= 50 for b in bins) and expected > 0
    deadline = time.monotonic() + 60
    while sim.get("products/10")["stock_quantity"] != expected and time.monotonic() < deadline:
        time.sleep(0.5)
    assert sim.get("products/10")["stock_quantity"] == expected


def test_test_connection_and_rotate_secret_from_the_form(bench, sim, real_site):
    result = bench.run("test_connection", name=real_site["name"])
    assert result["ok"] is True and "read and write rights" in result["message"]
    rotated = bench.run("rotate", name=real_site["name"])
    assert rotated["changed"] and sum("new secret" in a for a in rotated["actions"]) == len(WEBHOOK_TOPICS)
    # the shop signs with the new secret and the real endpoint accepts it
    sim.add_customer(email="rotation@example.test", first_name="Rita", last_name="Tation")
    answers = [r["status_code"] for r in sim.deliver_webhooks() if r.get("topic") == "customer.created"]
    assert answers and set(answers) == {200}
    bench.run("check_webhooks", name=real_site["name"])  # leave the site as the other tests expect


def test_a_bad_key_is_reported_plainly(bench, sim):
    name = "tmp-" + uuid.uuid4().hex[:6]
    bench.run("make_site", name=name, url=sim.url, key="ck_test", secret="wrong-secret", host_url=bench.url)
    result = bench.run("test_connection", name=name)
    assert result["ok"] is False and "wrong-secret" not in result["message"]
    assert "secret" in result["message"].lower() or "key" in result["message"].lower()
    bench.run("delete_site", name=name, with_webhooks=False)


def test_the_erpnext_contract_is_the_real_sites(bench):
    """Every field the stand-in enforces (type, mandatory, link target, select options) is what a
    real ERPNext 15 site with shopsync installed reports."""
    out = bench.run("contract_against_live_meta")
    assert out["doctypes"] >= 60 and out["fields"] > 1500
    assert out["diffs"] == []


@pytest.mark.parametrize(
    "kind,qty",
    [("Purchase Receipt", 30), ("Material Issue", 2), ("Delivery Note", 1), ("Sales Invoice", 1), ("Stock Reconciliation", 17)],
)
def test_every_stock_voucher_reaches_the_shop(bench, sim, real_site, kind, qty):
    """Each voucher that moves stock goes through Stock Ledger Entry: after its commit one push job
    runs (a real worker) and the shop shows actual minus reserved. (A POS Invoice moves no stock
    itself in ERPNext 15: its stock moves with the Sales Invoice that the POS closing makes.)"""
    bench.run("product_first_sync", site=real_site["name"])
    # the test site keeps the orders of every earlier run, which reserve this item: top it up so
    # the voucher below changes what the shop must show (an unchanged 0 is rightly not re-sent)
    bins = bench.run("bins_of", item_code="RW-S-002")
    free = sum(b["actual_qty"] - b["reserved_qty"] for b in bins if b["warehouse"].startswith("Stores"))
    if free < 100:
        bench.run("submit_voucher", kind="Purchase Receipt", item_code="RW-S-002", qty=int(100 - free) + 10)
        bench.cli("worker", "--queue", "default,short,long", "--burst")
    if kind != "Purchase Receipt":
        bench.run("submit_voucher", kind="Purchase Receipt", item_code="RW-S-002", qty=40)
        bench.cli("worker", "--queue", "default,short,long", "--burst")  # that one's push, done
    sim.set_stock(11, 999)  # the shop's figure is wrong until this voucher's own push
    bench.run("submit_voucher", kind=kind, item_code="RW-S-002", qty=qty)
    bench.cli("worker", "--queue", "default,short,long", "--burst")
    bins = bench.run("bins_of", item_code="RW-S-002")
    expected = max(0, int(sum(b["actual_qty"] - b["reserved_qty"] for b in bins if b["warehouse"].startswith("Stores"))))
    assert sim.get("products/11")["stock_quantity"] == expected != 999
    if kind == "Stock Reconciliation":
        assert any(b["actual_qty"] == 17 for b in bins)


def test_customers_import_from_the_command_line(bench, sim, real_site):
    out = bench.cli("shopsync-import", real_site["name"], "--customers")
    assert "customers:" in out and "failed" in out
    again = bench.cli("shopsync-import", real_site["name"], "--customers")
    assert " 0 created" in again, again


def test_a_webhook_job_run_by_a_real_worker_makes_the_invoice_as_the_sites_user(bench, sim):
    """The delivery came from a guest request; its job must not run as Guest (ERPNext would refuse
    to map the Sales Invoice)."""
    name = "tmp-" + uuid.uuid4().hex[:6]
    bench.run("make_site", name=name, url=sim.url, key="ck_test", secret="cs_test", host_url=bench.url,
              create_sales_invoice=1)
    bench.run("check_webhooks", name=name)
    order = sim.add_order(status="processing", customer_id=3, line_items=[{"product_id": 12, "quantity": 1}])
    sim.deliver_webhooks()
    bench.cli("worker", "--queue", "default,short,long", "--burst")
    made = bench.run("invoices_of", site=name)[str(order["id"])]
    assert made["owner"] == "Administrator" and len(made["invoices"]) == 1, made
    bench.run("set_enabled", name=name, enabled=0)


def test_whole_catalogue_buttons_run_as_jobs_and_report_back(bench, sim, real_site):
    bench.run("product_first_sync", site=real_site["name"])
    text = bench.run("site_action", name=real_site["name"], action="associate_by_sku")
    assert text.startswith("Associate by sku:")
    text = bench.run("site_action", name=real_site["name"], action="push_differences")
    assert text.startswith("Push differences:")


def test_the_item_list_shows_each_items_link_and_state(bench, sim, real_site):
    bench.run("product_first_sync", site=real_site["name"])
    states = bench.run("item_list_states", item_codes=["RW-S-001", "RW-S-002", "NO-SUCH-ITEM"])
    mine = [l for l in states["RW-S-001"] if l["site"] == real_site["name"]]
    assert mine and mine[0]["label"] == "#Woo: 10" and mine[0]["state"] in ("In sync", "Out of sync")
    assert "NO-SUCH-ITEM" not in states


def test_hourly_leaves_disabled_sites_alone_and_says_an_unreachable_shop_in_one_line(bench):
    out = bench.run("hourly_with_shops_gone", host_url=bench.url)
    sites = {j["site"] for j in out["queued"]}
    assert "tmp-gone-off" not in sites and "tmp-gone-on" in sites
    assert out["off"]["skipped"] and not out["off"]["problem"]
    assert out["on"]["problem"].startswith("The shop could not be reached") and out["on"]["queued"] == []
    assert "The shop could not be reached" in out["status"]
    assert len([c for c in out["comments"] if "could not be reached" in c]) == 1  # not one per hour
    assert out["new_error_logs"] == 0


def test_the_first_save_starts_the_order_cursor_and_names_contacts_as_people(bench, sim):
    name = "tmp-" + uuid.uuid4().hex[:6]
    out = bench.run("cursor_after_first_save", name=name, url=sim.url, key="ck_test", secret="cs_test", host_url=bench.url)
    assert out["cursor"] and out["cursor"] == out["check"]["cursor"]
    order = sim.add_order(status="processing", line_items=[{"product_id": 12, "quantity": 1}], billing={
        "first_name": "Hélène", "last_name": "Bérubé", "email": f"{name}@example.test", "address_1": "1 rue Haute",
        "city": "Lyon", "postcode": "69001", "country": "FR"})
    bench.cli("execute", "shopsync.jobs.catch_up_orders", "--kwargs", json.dumps({"site_name": name}))
    made = bench.run("contact_of_order", site=name, order_id=order["id"])
    assert made["contact_person"].startswith("Hélène Bérubé") and "Bérubé-Hélène" not in made["contact_person"]
    bench.run("set_enabled", name=name, enabled=0)


def test_uninstalling_says_what_to_do_with_the_webhooks_and_removes_the_scheduled_jobs(bench, real_site):
    out = bench.run("uninstall_hooks")
    # before: each site's delivery URL, and the command that deletes them in the shops
    assert real_site["endpoint_url"] in out["said"] and "delete_shop_webhooks" in out["said"]
    # after, while the app is still installed (a dry run): nothing goes
    assert out["kept"] >= 2
    # once it is gone: the scheduled jobs that would fail every minute are removed (rolled back here)
    assert out["removed"] == out["kept"] and out["left"] == 0 and out["restored"] == out["kept"]


def test_import_progress_goes_to_everyone_with_the_form_open(bench, real_site):
    out = bench.run("import_progress_rooms", site=real_site["name"])
    assert out["rooms"], out  # progress was published, at least the end
    assert set(out["rooms"]) == {out["doc_room"]} and out["owner_room"] not in out["rooms"]
