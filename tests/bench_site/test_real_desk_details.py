"""Desk details seen on the real site (issue 14), checked there: an import's status as its list
shows it, desk-started jobs run as the site's user, a deliberate delivery_days = 0, the composite
indexes, the French rows as Frappe reads them, and the Item list's pills in a real browser.

Needs the bench variables (see conftest.py); the browser check also needs node, chromium and
``playwright-core`` (see test_desk_xss.py) and skips without them.
"""

from __future__ import annotations

import csv
import json
import os
import pathlib
import subprocess
import tempfile
import time
import uuid
from urllib.parse import quote

import pytest
import requests

from tests.woosim import WooSim

pytestmark = pytest.mark.bench_site

HERE = pathlib.Path(__file__).resolve().parent
FR = HERE.parent.parent / "shopsync" / "translations" / "fr.csv"


@pytest.fixture(scope="module")
def desk_site(bench, sim):
    bench.run("forget_earlier_runs")
    name = "tmp-desk" + uuid.uuid4().hex[:6]
    bench.run("make_site", name=name, url=sim.url, key="ck_test", secret="cs_test", host_url=bench.url, delivery_days=0)
    yield name
    bench.run("set_enabled", name=name, enabled=0)  # it holds links now: disabled, as a user would


@pytest.fixture(scope="module")
def clerk(bench):
    """A logged-in desk session of a System Manager who is not Administrator."""
    user = bench.run("desk_user")
    session = requests.Session()
    session.post(f"{bench.url}/api/method/login", data={"usr": user["email"], "pwd": user["password"]}, timeout=30).raise_for_status()
    session.user = user["email"]
    return session


def listed_status(bench, session, name) -> str:
    """The import's status as its list view reads it (a GET of the list)."""
    r = session.get(f"{bench.url}/api/method/frappe.desk.reportview.get", timeout=30, params={
        "doctype": "WooCommerce Import", "fields": json.dumps(["`tabWooCommerce Import`.`name`", "`tabWooCommerce Import`.`status`"]),
        "filters": json.dumps([["WooCommerce Import", "name", "=", name]]), "view": "List"})
    r.raise_for_status()
    msg = r.json()["message"]
    row = dict(zip(msg["keys"], msg["values"][0]))
    return row["status"]


def open_form(bench, session, name) -> dict:
    """What the desk does when the form opens: a GET (Frappe rolls back whatever it writes)."""
    r = session.get(f"{bench.url}/api/method/frappe.desk.form.load.getdoc", timeout=30,
                    params={"doctype": "WooCommerce Import", "name": name})
    r.raise_for_status()
    return r.json()["docs"][0]


def start_from_desk(bench, session, name) -> str:
    r = session.post(f"{bench.url}/api/method/shopsync.api.start_import", data={"name": name}, timeout=30)
    r.raise_for_status()
    return r.json()["message"]


def wait_listed(bench, session, name, until=("Done", "Interrupted"), timeout=240) -> str:
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status = listed_status(bench, session, name)
        if status in until:
            return status
        time.sleep(1)
    return status


def test_a_desk_started_import_runs_as_the_sites_user_and_its_list_shows_how_it_ended(bench, desk_site, clerk):
    name = bench.run("new_import", site=desk_site)
    assert start_from_desk(bench, clerk, name) == "Queued"
    # the bench's own live workers run it; the list, read over and over, ends on Done
    assert wait_listed(bench, clerk, name) == "Done"
    assert open_form(bench, clerk, name)["status"] == "Done" and listed_status(bench, clerk, name) == "Done"
    orders = bench.run("sales_orders_with_dates", site=desk_site)
    assert orders, "the import made no Sales Order"
    # run as the site's "Create documents as" user (unset: Administrator), not as whoever clicked
    assert {o["owner"] for o in orders.values()} == {"Administrator"}, orders
    # delivery_days = 0 on this site: delivered the day of the order, not 7 days later
    assert all(o["delivery_date"] == o["transaction_date"] for o in orders.values()), orders


def test_an_import_its_worker_left_running_shows_interrupted_in_the_list_and_resumes(bench, desk_site, clerk):
    name = bench.run("new_import", site=desk_site)
    assert bench.run("leave_import_running", name=name) == "Running"
    # opening the form writes nothing (a GET); the every-minute check writes what is true
    open_form(bench, clerk, name)
    bench.run("mark_stopped_imports")  # what the scheduler runs every minute (it may have run first)
    assert listed_status(bench, clerk, name) == "Interrupted"
    assert open_form(bench, clerk, name)["status"] == "Interrupted"
    assert start_from_desk(bench, clerk, name) == "Queued"  # Resume
    assert wait_listed(bench, clerk, name) == "Done"


def test_a_deliberate_delivery_days_0_stays_0(bench, desk_site):
    assert bench.run("loaded_site", name=desk_site) == {"delivery_days": 0}


def test_the_link_and_log_lookups_have_their_composite_indexes(bench):
    indexes = bench.run("composite_indexes")
    assert ["site", "link_type", "erp_name"] in indexes["tabWooCommerce Link"]
    assert ["site", "resource", "resource_id", "status"] in indexes["tabWooCommerce Webhook Log"]


def test_frappe_reads_the_french_rows(bench):
    with FR.open(newline="", encoding="utf-8") as f:
        rows = {r[0]: r[1] for r in csv.reader(f) if r}
    sample = ["Warehouse {0} belongs to {1}, not to {2}", "This import is already {0}", "Link",
              "No line ticked: resync the whole site, overwriting ERPNext with the shop's version?",
              "Already queued or running for {0}: its result will show on the site form."]
    assert bench.run("french", messages=sample) == {m: rows[m] for m in sample}


CODES = ["DESK-PLAIN-1", "CAFÉ-CRÈME-250", "VIS/M6-20", "cadeau@noel", "KIT+2"]


@pytest.fixture(scope="module")
def odd_codes(bench):
    """Products whose SKUs (so item codes) hold accents, "/", "@" and "+", linked on a site."""
    shop = WooSim().start().seed(products=1, variable_products=0, customers=0, orders=0)
    for i, code in enumerate(CODES):
        shop.add_product(name=f"Produit {i}", sku=code, regular_price="4.20", manage_stock=True, stock_quantity=3)
    name = "tmp-codes" + uuid.uuid4().hex[:6]
    bench.run("make_site", name=name, url=shop.url, key="ck_test", secret="cs_test", host_url=bench.url)
    synced = bench.run("product_first_sync", site=name)
    yield {"site": name, "linked": {link["erp_name"] for link in synced["links"]}}
    bench.run("set_enabled", name=name, enabled=0)
    shop.stop()


def test_the_item_list_shows_a_pill_on_every_row_whatever_its_code(bench, odd_codes, browser_ready):
    assert set(CODES) <= odd_codes["linked"], odd_codes
    node = browser_ready
    # one list per code, filtered to that item: its row must carry its pill ("#Woo: n", or its state)
    plan = [{"name": f"item_list_{i}", "path": f"/app/item?item_code={quote(code)}", "expect": ".list-row .shopsync-woo",
             "settle": 4000} for i, code in enumerate(CODES)]
    shots = os.environ.get("SHOPSYNC_SHOTS") or tempfile.mkdtemp(prefix="shopsync-pills-")
    out = subprocess.run(
        [node, str(HERE / "desk_xss_browser.js"), bench.url, "Administrator",
         os.environ.get("SHOPSYNC_BENCH_PASSWORD", "admin"), json.dumps(plan), "Woo", shots],
        capture_output=True, text=True, timeout=600, cwd=HERE,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    seen = {r["name"]: r["shown_as_text"] for r in json.loads(out.stdout)["results"]}
    missing = [code for i, code in enumerate(CODES) if not seen[f"item_list_{i}"]]
    assert missing == [], f"no pill on the rows of {missing} (screenshots in {shots})"
