"""Nothing from the shop runs in the desk, proven in a real browser on a real site.

A simulated shop holds a product named ``<img src=x onerror=alert(...)>``; a second "shop" answers
every request with an error whose message is that HTML. The site syncs the product, tests the
hostile shop's connection (its answer becomes the site's connection status), and the shop's words
land in a webhooks-table row, a link's last error, a webhook log entry and an import summary, the
way the app writes them (without a document save, so Frappe's sanitiser never sees them). Then
headless Chromium, logged in as Administrator, opens every screen that shows them, clicks Test
connection, and checks that nothing ran (alert/confirm/prompt hooked before any page script, no
element with an onerror attribute) while the words are shown, as text. Screenshots go to
``$SHOPSYNC_SHOTS`` (default: a temporary folder, printed).

Needs the bench variables (see conftest.py), ``/usr/bin/chromium`` (or ``SHOPSYNC_CHROMIUM``) and
the npm package ``playwright-core`` (resolvable by node, or its folder in
``SHOPSYNC_PLAYWRIGHT_CORE``); skips cleanly without them.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import tempfile
import uuid
from urllib.parse import quote

import pytest

from tests.support.hostile_shop import HostileShop
from tests.woosim import WooSim

pytestmark = pytest.mark.bench_site

HERE = pathlib.Path(__file__).resolve().parent
PAYLOAD = "<img src=x onerror=alert(document.domain)>"



@pytest.fixture(scope="module")
def shops():
    sim = WooSim().start().seed(products=2, variable_products=0, customers=0, orders=0)
    sim.add_product(name=PAYLOAD, sku="XSS-PRODUCT-1", regular_price="9.90", manage_stock=True, stock_quantity=4)
    hostile = HostileShop("json", payload=PAYLOAD).start()
    yield sim, hostile
    hostile.stop()
    sim.stop()


@pytest.fixture(scope="module")
def planted(bench, shops):
    sim, hostile = shops
    tag = uuid.uuid4().hex[:6]
    sim_site, hostile_site = f"sim-xss{tag}", f"tmp-xss{tag}"
    bench.run("make_site", name=sim_site, url=sim.url, key="ck_test", secret="cs_test", host_url=bench.url)
    bench.run("product_first_sync", site=sim_site)
    bench.run("make_site", name=hostile_site, url=hostile.url, key="ck_hostile", secret="cs_hostile", host_url=bench.url)
    names = bench.run("plant_shop_text", sim_site=sim_site, hostile_site=hostile_site, payload=PAYLOAD)
    yield {"sim_site": sim_site, "hostile_site": hostile_site, **names}
    bench.run("forget_site", name=hostile_site)
    bench.run("set_enabled", name=sim_site, enabled=0)  # it holds links now: disabled, as a user would


def test_the_stored_test_of_a_hostile_shop_answers_escaped(planted):
    assert planted["test"]["ok"] is False and planted["test"]["stored"] is True
    assert "<img" not in planted["test"]["message"] and "&lt;img" in planted["test"]["message"]


def test_no_screen_runs_what_the_shop_sent(bench, planted, browser_ready):
    site, hostile = planted["sim_site"], planted["hostile_site"]
    report = lambda name, **f: f"/app/query-report/{quote(name)}?" + "&".join(f"{k}={quote(str(v))}" for k, v in f.items())
    plan = [
        {"name": "site_form", "path": f"/app/woocommerce-site/{hostile}", "expect": '[data-fieldname="connection_status"]'},
        {"name": "site_webhooks_table", "path": f"/app/woocommerce-site/{hostile}", "expect": '[data-fieldname="webhooks"]'},
        {"name": "test_connection", "path": f"/app/woocommerce-site/{hostile}",
         "click": 'button[data-fieldname="test_connection"]', "expect": ".modal.show .modal-body"},
        {"name": "synced_site_form", "path": f"/app/woocommerce-site/{site}"},
        {"name": "webhook_log_list", "path": f"/app/woocommerce-webhook-log?site={quote(hostile)}"},
        {"name": "webhook_log_form", "path": f"/app/woocommerce-webhook-log/{planted['log']}", "expect": '[data-fieldname="error"]'},
        {"name": "link_list", "path": f"/app/woocommerce-link?site={quote(site)}"},
        {"name": "link_form", "path": f"/app/woocommerce-link/{quote(planted['link'])}", "expect": '[data-fieldname="last_error"]'},
        {"name": "import_form", "path": f"/app/woocommerce-import/{planted['import']}", "expect": '[data-fieldname="summary"]'},
        {"name": "sync_state_report", "path": report("WooCommerce Sync State", site=site), "expect": ".dt-scrollable", "settle": 4000},
        {"name": "stock_comparison_report", "path": report("WooCommerce Stock Comparison", site=site, only_differences=0),
         "expect": ".dt-scrollable", "settle": 4000},
        {"name": "stock_comparison_hostile_shop", "path": report("WooCommerce Stock Comparison", site=hostile, only_differences=0),
         "expect": ".modal.show .modal-body", "settle": 4000},
        {"name": "item_form", "path": f"/app/item/{quote(planted['item'])}", "expect": ".form-message", "settle": 6000},
        {"name": "item_list", "path": f"/app/item?item_code={quote(planted['item'])}"},
    ]
    shots = os.environ.get("SHOPSYNC_SHOTS") or tempfile.mkdtemp(prefix="shopsync-xss-")
    env = dict(os.environ)
    out = subprocess.run(
        [browser_ready, str(HERE / "desk_xss_browser.js"), bench.url, "Administrator",
         os.environ.get("SHOPSYNC_BENCH_PASSWORD", "admin"), json.dumps(plan), PAYLOAD, shots],
        capture_output=True, text=True, timeout=600, cwd=HERE, env=env,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout)
    print(f"screenshots in {shots}")
    assert seen["hits"] == [], seen["hits"]  # nothing the shop sent called alert/confirm/prompt
    by_name = {r["name"]: r for r in seen["results"]}
    assert {name: r["onerror_elements"] for name, r in by_name.items() if r["onerror_elements"]} == {}
    shown = {name for name, r in by_name.items() if r["shown_as_text"]}
    expected = {p["name"] for p in plan if "expect" in p}
    assert expected <= shown, f"the shop's words not shown as text on {sorted(expected - shown)}"
