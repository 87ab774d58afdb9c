"""ERPNext's rules for business customers on the real site (skipped without a bench):

1. the stand-in still agrees with this site: the capture cases of tools/capture_erpnext_rules.py
   (po_no on one open Sales Order, reserved quantity through Hold / Close / Re-open and Product
   Bundles, the credit limit, the selling price below valuation) are run again over REST and the
   fresh goldens replayed against the stand-in (tests/test_erp_business_rules.py);
2. the engine against the real rules: one shop order number on two sites for one customer, a
   changed order, the credit limit and the selling price refusals in the log's words;
3. closing a Sales Order reaches the shop through the live workers, with no hourly job.

REST needs a login: ``SHOPSYNC_BENCH_USER`` / ``SHOPSYNC_BENCH_PASSWORD`` (default
Administrator / admin, a test bench's); the REST check skips when the login is refused.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import time
import uuid

import pytest
import requests

from tests.test_orders_builder import make_order
from tests.woosim import WooSim

pytestmark = pytest.mark.bench_site
REPO = pathlib.Path(__file__).resolve().parents[2]


def _capture_tool():
    spec = importlib.util.spec_from_file_location("capture_erpnext_rules", REPO / "tools" / "capture_erpnext_rules.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sim():
    shop = WooSim().start().seed(products=6, variable_products=0, customers=0, orders=0)
    yield shop
    shop.stop()


@pytest.fixture(scope="module")
def sites(bench, sim):
    bench.run("forget_earlier_runs")
    names = []
    for _ in range(2):
        name = "sim-" + uuid.uuid4().hex[:6]
        bench.run("make_site", name=name, url=sim.url, key="ck_test", secret="cs_test", host_url=bench.url,
                  stock_set_up=1, order_statuses="processing,on-hold,completed,pending")
        names.append(name)
    yield names
    for name in names:
        bench.run("set_enabled", name=name, enabled=0)


def test_the_stand_in_agrees_with_this_sites_business_rules(bench, tmp_path):
    user = os.environ.get("SHOPSYNC_BENCH_USER", "Administrator")
    password = os.environ.get("SHOPSYNC_BENCH_PASSWORD", "admin")
    login = requests.post(f"{bench.url}/api/method/login", data={"usr": user, "pwd": password}, timeout=10)
    if login.status_code != 200:
        pytest.skip(f"no REST login as {user} (set SHOPSYNC_BENCH_USER / SHOPSYNC_BENCH_PASSWORD)")
    _capture_tool().capture(bench.url, user, password, tmp_path)
    from tests.test_erp_business_rules import J_GOLDENS, RulesSession

    assert sorted(p.stem for p in tmp_path.glob("j*.json")) == J_GOLDENS
    results = RulesSession(tmp_path).run().results
    assert {stem: problems for stem, problems in results.items() if problems} == {}


def order(tag, number, status="processing", price="10.00", modified="2026-11-23T10:00:00", sku="LINE"):
    data = make_order([{"price": price, "sku": f"SSCAP-{tag}-{sku}", "name": f"SSCAP {sku}"}], order_id=number,
                      status=status, modified=modified,
                      billing={"email": f"sscap-{tag}@example.test", "first_name": "SSCAP", "last_name": f"Buyer {tag}",
                               "company": f"SSCAP {tag} SARL"})
    data["number"] = str(number)
    return data


def test_one_order_number_on_two_sites_for_one_customer(bench, sites):
    tag = uuid.uuid4().hex[:4]
    a, b = sites
    first, second, changed = bench.run("rules_checks:import_orders", runs=[
        [a, order(tag, 45, status="pending"), {}],
        [b, order(tag, 45), {}],
        [a, order(tag, 45, status="processing", price="12.00", modified="2026-11-23T10:05:00"), {}],
    ])
    assert (first["status"], second["status"], changed["status"]) == ("created", "created", "updated"), (first, second, changed)
    assert first["customer"] == second["customer"]
    assert (first["po_no"], second["po_no"]) == ("45", f"45 ({b})")
    assert changed["sales_order"] == first["sales_order"] and changed["docstatus"] == 1
    orders = bench.run("rules_checks:sales_orders_of", customer=first["customer"])
    assert sorted((o["po_no"], o["docstatus"]) for o in orders) == [("45", 1), (f"45 ({b})", 1)]


def test_credit_limit_and_selling_price_refusals_say_what_to_do(bench, sites):
    tag = uuid.uuid4().hex[:4]
    a = sites[0]
    [first] = bench.run("rules_checks:import_orders", runs=[[a, order(tag, 1), {}]])
    assert first["status"] == "created", first
    bench.run("rules_checks:set_credit_limit", customer=first["customer"], site_name=a, limit=15)
    [refused] = bench.run("rules_checks:import_orders", runs=[[a, order(tag, 2), {}]])
    assert refused["status"] == "failed" and refused["reason"].startswith(
        f"Credit limit reached for customer {first['customer']}"), refused
    assert "then Retry" in refused["reason"] and refused["sales_order"] is None
    bench.run("rules_checks:set_credit_limit", customer=first["customer"], site_name=a, limit=1000)
    [again] = bench.run("rules_checks:import_orders", runs=[[a, order(tag, 2), {}]])
    assert again["status"] == "created" and again["docstatus"] == 1, again

    bench.run("rules_checks:make_valued_item", item_code=f"SSCAP-{tag}-DEAR", site_name=a, rate=8)
    before = bench.run("rules_checks:set_selling_setting", field="validate_selling_price", value=1)
    try:
        [cheap] = bench.run("rules_checks:import_orders", runs=[[a, order(tag, 3, price="5.00", sku="DEAR"), {}]])
    finally:
        bench.run("rules_checks:set_selling_setting", field="validate_selling_price", value=before["before"] or 0)
    assert cheap["status"] == "failed", cheap
    assert f"SSCAP-{tag}-DEAR at 5.00, below its valuation rate 8.00" in cheap["reason"]
    [sold] = bench.run("rules_checks:import_orders", runs=[[a, order(tag, 3, price="5.00", sku="DEAR"), {}]])
    assert sold["status"] == "created", sold


def shop_stock(sim, product_id):
    with sim.lock:
        return sim.state.products[product_id]["stock_quantity"]


def wait_for(sim, product_id, expected, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if shop_stock(sim, product_id) == expected:
            return True
        time.sleep(0.5)
    return False


def test_closing_and_reopening_an_order_reach_the_shop_through_the_live_workers(bench, sim, sites):
    assert "shopsync.events.reservation_changed" in bench.run("rules_checks:hooks_of_sales_order").get("on_change", ""), \
        "hooks.py's Sales Order on_change is not live: restart the bench"
    tag = uuid.uuid4().hex[:4]
    a = sites[0]
    item = f"SSCAP-{tag}-SHELF"
    bench.run("rules_checks:stocked_item_on_sale", site_name=a, item_code=item, product_id=12, qty=10)
    assert wait_for(sim, 12, 10), shop_stock(sim, 12)
    so = bench.run("rules_checks:submit_sales_order", site_name=a, customer_name=f"SSCAP-{tag} Shelf Buyer",
                   item_code=item, qty=3)
    assert wait_for(sim, 12, 7), shop_stock(sim, 12)
    assert bench.run("rules_checks:update_status", sales_order=so["name"], status="Closed")["status"] == "Closed"
    assert wait_for(sim, 12, 10), f"the Close did not reach the shop: {shop_stock(sim, 12)}"
    bench.run("rules_checks:update_status", sales_order=so["name"], status="Draft")
    assert wait_for(sim, 12, 7), f"the Re-open did not reach the shop: {shop_stock(sim, 12)}"
