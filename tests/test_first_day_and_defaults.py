"""Issue 11: no order lost between a site's save and its first hourly run; an order with a
blacklisted product imported on a placeholder item (or refused, per site); defaults that fit
ERPNext (a leaf Item Group, contacts named as a person's, disabled sites left alone, an
unreachable shop said in one line)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import redis

from shopsync.sync import catchup, deliveries, upkeep, webhooks
from shopsync.sync import runtime as runtime_mod
from shopsync.sync.links import LINK_DOCTYPE, Binder
from shopsync.sync.orders import import_order
from shopsync.woocommerce import WooClient
from tests.erp_stand_in import MemoryERP
from tests.support.intake_server import IntakeServer
from tests.support.rq_runtime import RQEnqueuer, make_runtime
from tests.support.sites import add_site
from tests.test_orders_builder import make_order
from tests.test_orders_sim import cursor_now, place, sales_orders
from tests.woosim import WooSim

D = Decimal
PLACEHOLDER = "Import on the placeholder item"
BLACKLIST = "WooCommerce Blacklist Entry"


@pytest.fixture
def sim():
    s = WooSim().start()
    s.seed()
    yield s
    s.stop()


@pytest.fixture
def erp():
    erp = MemoryERP.with_test_shop()
    erp.ignore_links_on_delete.add(LINK_DOCTYPE)
    return erp


@pytest.fixture
def client(sim):
    c = WooClient(sim.url, "ck_test", "cs_test", max_retries=0)
    yield c
    c.close()


def shop_site(erp, sim, name="shop1", **overrides):
    values = dict(freight_account="Shipping Income - TS")
    values.update(overrides)
    return add_site(erp, name, sim.url, "ck_test", "cs_test", **values)


def check(site, client):
    return webhooks.ensure_webhooks(site, client).actions


# ------------------------------------------------------------------ the first day: the order cursor

def test_orders_placed_between_the_save_and_the_first_hourly_run_are_caught_up(erp, sim, client, redis_url):
    site = shop_site(erp, sim, endpoint="http://127.0.0.1:9/api/method/shopsync.api.webhook?site=shop1")
    rt = make_runtime(erp, RQEnqueuer(redis.Redis.from_url(redis_url)), client_for=lambda s: WooClient(s.woocommerce_url, s.consumer_key, s.consumer_secret))
    saved = []
    before = place(sim, 12)  # the shop's newest order when the site is saved
    try:
        # the job after the first save reaches the shop: the cursor starts at its newest order
        first = upkeep.check_site(rt, "shop1", check=check, save_cursor=saved.append)
    finally:
        runtime_mod.install(None)
    newest = sim.get(f"orders/{before['id']}")["date_modified_gmt"]
    assert first.problem == "" and saved == [newest] and first.cursor == newest
    # the intake is down (the endpoint never answers): two orders are placed, no webhook arrives
    placed = [place(sim, 10), place(sim, 11, qty=2)]
    site.orders_cursor = saved[-1]
    summary = catchup.catch_up_orders(erp, site, client, save_cursor=saved.append)
    # the first hourly catch-up imports them (it used to only set its cursor, and lose them)
    imported = {so["po_no"] for so in sales_orders(erp)}
    assert {str(p["id"]) for p in placed} <= imported, summary
    # the orders the shop had before the site was saved are not imported (but the newest one, whose
    # second the cursor starts at: the catch-up looks one second back so as to lose none)
    assert imported == {str(p["id"]) for p in placed} | {str(before["id"])}


def test_a_shop_with_no_order_yet_loses_none_of_its_first_orders(erp):
    sim = WooSim().start().seed(orders=0)
    client = WooClient(sim.url, "ck_test", "cs_test", max_retries=0)
    site = shop_site(erp, sim)
    saved = []
    first = catchup.catch_up_orders(erp, site, client, save_cursor=saved.append)
    assert first.seen == 0 and saved == [catchup.BEGINNING]
    order = place(sim, 10)
    site.orders_cursor = saved[-1]
    summary = catchup.catch_up_orders(erp, site, client, save_cursor=saved.append)
    assert summary.created == 1 and [so["po_no"] for so in sales_orders(erp)] == [str(order["id"])]
    client.close()
    sim.stop()


def test_a_site_with_an_import_date_keeps_it_as_its_start(erp, sim, client, redis_url):
    shop_site(erp, sim, import_orders_from="2026-01-01")
    rt = make_runtime(erp, RQEnqueuer(redis.Redis.from_url(redis_url)), client_for=lambda s: WooClient(s.woocommerce_url, s.consumer_key, s.consumer_secret))
    saved = []
    try:
        result = upkeep.check_site(rt, "shop1", check=lambda s, c: [], save_cursor=saved.append)
    finally:
        runtime_mod.install(None)
    assert result.cursor == "" and saved == []


# ------------------------------------------------------------------ a blacklisted product in an order

def blacklist(erp, **values):
    with erp.transaction():
        erp.insert({"doctype": BLACKLIST, "site": "shop1", **values})


def two_line_order(order_id=1001):
    return make_order([
        {"price": "10.00", "sku": "RW-S-001", "product_id": 10, "name": "Tasse céramique", "rate_id": 1},
        {"price": "39.90", "product_id": 40, "variation_id": 42, "sku": "RW-V-HOODIE-M",
         "name": "Sweat <b>à capuche</b> - M", "rate_id": 1},
    ], order_id=order_id, shipping=[("Colissimo", "4.90", 1)])


def test_a_blacklisted_line_goes_on_the_placeholder_item_and_the_totals_still_match(erp, sim):
    site = shop_site(erp, sim, blacklisted_lines=PLACEHOLDER,
                     tax_rates=[{"woo_rate_id": 1, "label": "TVA 20%", "account": "TVA 20% - TS"}])
    blacklist(erp, woo_id=40, reason="discontinued")
    order = two_line_order()
    outcome = import_order(erp, site, order)
    assert outcome.status == "created", outcome
    so = erp.get("Sales Order", outcome.sales_order)
    assert D(str(so["grand_total"])) == D(order["total"])  # to the cent
    rows = {r["item_code"]: r for r in so["items"]}
    assert set(rows) == {"RW-S-001", "Product not synced"}
    line = rows["Product not synced"]
    assert D(str(line["amount"])) == D("39.90")
    # the line's description names the shop's product, as plain text
    assert "Sweat <b>à capuche</b> - M" in line["description"] and "product id 40" in line["description"]
    assert "variation 42" in line["description"]
    item = erp.get("Item", "Product not synced")
    assert item["is_stock_item"] == 0 and item["item_group"] == "Products"
    # nothing of the blacklisted product entered the ERP: no item, no link
    assert not erp.exists("Item", "RW-V-HOODIE-M") and Binder(erp, "shop1").get("Item", 40, 42) is None
    # the outcome (the log's message) names the product
    assert "product id 40" in outcome.message and "blacklist" in outcome.message and "discontinued" in outcome.message
    # the placeholder is kept out of the shop: never pushed as stock nor as a product
    assert erp.find(BLACKLIST, {"site": "shop1", "item_code": "Product not synced"}, fields=("name",))
    # a second such order reuses the item
    again = import_order(erp, site, two_line_order(order_id=1002))
    assert again.status == "created" and len(erp.find("Item", {"item_code": "Product not synced"})) == 1


def test_a_site_may_name_its_own_placeholder_item(erp, sim):
    with erp.transaction():
        erp.insert({"doctype": "Item", "item_code": "HORS-CATALOGUE", "item_name": "Hors catalogue",
                    "item_group": "Products", "is_stock_item": 0})
    site = shop_site(erp, sim, blacklisted_lines=PLACEHOLDER, placeholder_item="HORS-CATALOGUE",
                     tax_rates=[{"woo_rate_id": 1, "label": "TVA 20%", "account": "TVA 20% - TS"}])
    blacklist(erp, woo_id=40)
    outcome = import_order(erp, site, two_line_order())
    so = erp.get("Sales Order", outcome.sales_order)
    assert {r["item_code"] for r in so["items"]} == {"RW-S-001", "HORS-CATALOGUE"}
    assert not erp.exists("Item", "Product not synced")


def test_refusing_stays_the_default_and_retry_after_unblacklisting_imports_it(redis_url):
    sim = WooSim().start().seed()
    erp = MemoryERP.with_test_shop()
    enq = RQEnqueuer(redis.Redis.from_url(redis_url))
    rt = make_runtime(erp, enq, client_for=lambda s: WooClient(s.woocommerce_url, s.consumer_key, s.consumer_secret))
    server = IntakeServer(rt).start()
    try:
        site = add_site(erp, "shop1", sim.url, "ck_test", "cs_test", server.endpoint("shop1"),
                        freight_account="Shipping Income - TS")
        assert site.blacklisted_lines == "Refuse the order"
        webhooks.ensure_webhooks(site, WooClient(sim.url, "ck_test", "cs_test"))
        blacklist(erp, woo_id=14, reason="recalled")
        order = sim.add_order(status="processing", customer_id=3,
                              line_items=[{"product_id": 14, "quantity": 1}, {"product_id": 10, "quantity": 1}])
        sim.deliver_webhooks()
        enq.work()
        log = erp.find("WooCommerce Webhook Log", {"resource": "order", "resource_id": order["id"]}, fields=("*",))
        failed = [e for e in log if e["status"] == "Failed"]
        assert failed and "blacklist" in failed[0]["error"] and "product id 14" in failed[0]["error"]
        assert not sales_orders(erp)
        with erp.transaction():
            erp.delete(BLACKLIST, erp.find(BLACKLIST, {"site": "shop1"})[0]["name"])
        report = deliveries.retry(rt, [e["name"] for e in failed])
        assert len(getattr(report, "queued", None) or []) == len(failed) or report == len(failed)
        enq.work()
        assert len(sales_orders(erp)) == 1
        assert json.loads(failed[0]["payload"])["id"] == order["id"]
    finally:
        server.stop()
        sim.stop()
        runtime_mod.install(None)


# ------------------------------------------------------------------ the item group: a leaf

def test_an_unmapped_product_goes_to_the_sites_leaf_group_never_a_group_node(erp, sim):
    with erp.transaction():
        erp.insert({"doctype": "Item Group", "item_group_name": "Boutique", "parent_item_group": "All Item Groups"})
    site = shop_site(erp, sim, item_group="Boutique")
    outcome = import_order(erp, site, make_order([{"price": "3.00", "sku": "NEW-1", "product_id": 77}]))
    assert outcome.status == "created" and erp.get("Item", "NEW-1")["item_group"] == "Boutique"
    # a site (or a category mapping) naming a group node: the item goes to "Products", a leaf
    group_site = shop_site(erp, sim, name="shop2", item_group="All Item Groups",
                           categories=[{"woo_category_id": 16, "woo_category_name": "Vêtements", "item_group": "All Item Groups"}])
    outcome = import_order(erp, group_site, make_order([{"price": "3.00", "sku": "NEW-2", "product_id": 78}], order_id=1002))
    assert outcome.status == "created" and erp.get("Item", "NEW-2")["item_group"] == "Products"


def test_the_default_group_is_a_leaf_in_the_seeded_erp_as_in_erpnexts_install(erp):
    [row] = erp.find("Item Group", {"name": "Products"}, fields=("name", "is_group", "parent_item_group"))
    assert not row.get("is_group") and row["parent_item_group"] == "All Item Groups"


# ------------------------------------------------------------------ contacts named as a person's

def person_order(order_id, email, first="Hélène", last="Bérubé", company=""):
    return make_order([{"price": "5.00", "sku": "RW-S-001", "product_id": 10}], order_id=order_id, billing={
        "first_name": first, "last_name": last, "company": company, "email": email, "address_1": "1 rue Haute",
        "city": "Québec", "postcode": "75001", "country": "FR", "phone": "0102030405"})


def test_a_persons_contact_is_named_as_the_person_not_twice(erp, sim):
    site = shop_site(erp, sim)
    first = import_order(erp, site, person_order(1001, "helene@example.test"))
    so = erp.get("Sales Order", first.sales_order)
    assert so["customer"] == "Hélène Bérubé"
    assert so["contact_person"] == "Hélène Bérubé"  # not "Hélène Bérubé-Hélène Bérubé"
    contact = erp.get("Contact", "Hélène Bérubé")
    assert [(r["link_doctype"], r["link_name"]) for r in contact["links"]] == [("Customer", "Hélène Bérubé")]
    # a namesake with another e-mail: another customer, and a contact numbered as ERPNext does
    second = import_order(erp, site, person_order(1002, "autre@example.test"))
    other = erp.get("Sales Order", second.sales_order)
    assert other["customer"] == "Hélène Bérubé - 1" and other["contact_person"] == "Hélène Bérubé-1"
    # the same buyer again: the same contact
    third = import_order(erp, site, person_order(1003, "helene@example.test"))
    assert erp.get("Sales Order", third.sales_order)["contact_person"] == "Hélène Bérubé"


def test_a_companys_contact_keeps_the_company_in_its_name(erp, sim):
    site = shop_site(erp, sim)
    outcome = import_order(erp, site, person_order(1001, "achats@acme.test", company="ACME SARL"))
    so = erp.get("Sales Order", outcome.sales_order)
    assert so["customer"] == "ACME SARL" and so["contact_person"] == "Hélène Bérubé-ACME SARL"


# ------------------------------------------------------------------ the hourly job

@pytest.fixture
def hourly_world(erp, sim, redis_url):
    enq = RQEnqueuer(redis.Redis.from_url(redis_url))
    rt = make_runtime(erp, enq, client_for=lambda s: WooClient(s.woocommerce_url, s.consumer_key, s.consumer_secret, max_retries=0))
    yield rt, enq
    runtime_mod.install(None)


def queued(enq):
    return sorted(job.id for job in enq.queue.jobs)


def test_the_hourly_job_leaves_disabled_sites_alone(erp, sim, hourly_world):
    rt, enq = hourly_world
    shop_site(erp, sim, name="open")
    add_site(erp, "closed", "http://127.0.0.1:9/", "ck_gone", "cs_gone", enabled=0)  # its shop is gone
    assert upkeep.hourly(rt) == ["open"]
    assert queued(enq) == ["shopsync:hourly:open"]
    # a disabled site's check, were it queued, does not call its shop
    result = upkeep.check_site(rt, "closed", check=check, save_cursor=lambda c: None, hourly=True)
    assert result.skipped and not result.problem and not result.queued


def test_an_unreachable_shop_is_one_readable_line_and_its_hourly_jobs_wait(erp, sim, hourly_world):
    rt, enq = hourly_world
    add_site(erp, "gone", "http://127.0.0.1:9/", "ck_gone", "cs_gone", endpoint="http://127.0.0.1:9/x?site=gone")
    result = upkeep.check_site(rt, "gone", check=check, save_cursor=lambda c: None, hourly=True)
    assert result.problem.startswith("The shop could not be reached: ") and "\n" not in result.problem
    assert "Traceback" not in result.problem and "cs_gone" not in result.problem
    assert result.queued == [] and queued(enq) == []
    # a shop that answers: the hour's jobs are queued, once
    shop_site(erp, sim, name="open", endpoint="http://127.0.0.1:9/x?site=open")
    ok = upkeep.check_site(rt, "open", check=check, save_cursor=lambda c: None, hourly=True)
    assert ok.problem == "" and ok.queued == list(upkeep.HOURLY_JOBS)
    assert queued(enq) == sorted(f"shopsync:{job}:open" for job in upkeep.HOURLY_JOBS)


def test_a_fault_that_is_not_the_shops_still_raises(erp, sim, hourly_world):
    rt, enq = hourly_world
    shop_site(erp, sim, name="open")

    def broken(site, client):
        raise KeyError("a bug of ours")

    with pytest.raises(KeyError):
        upkeep.check_site(rt, "open", check=broken, save_cursor=lambda c: None, hourly=True)


# The Frappe edge of issue 11 (uninstall, import progress to the form's room) runs on a real site:
# tests/bench_site/test_real_site.py.
