"""The desk a shop owner lives in (issue 15), on a real site: the webhook log and the links are
records nobody creates or edits by hand, while deliveries still write them; what happened is
stored as a code and shown in the user's language; the WooCommerce workspace opens with its
morning cards; Skipped entries are quiet by default. The browser part opens the screens in
headless Chromium, in English (Administrator) and French (a System Manager who reads French).

Needs the bench variables (see conftest.py); the browser part also needs node, chromium and
``playwright-core`` (see test_desk_xss.py) and skips without them. Screenshots go to
``$SHOPSYNC_SHOTS`` (default: a temporary folder, printed).
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
import requests

from tests.woosim import WooSim

pytestmark = pytest.mark.bench_site

HERE = pathlib.Path(__file__).resolve().parent
LOG = "WooCommerce Webhook Log"


@pytest.fixture(scope="module")
def shop(bench):
    sim = WooSim().start().seed(products=3, variable_products=0, customers=1, orders=0)
    name = "trail-" + uuid.uuid4().hex[:6]  # not tmp-/sim-: other runs disable those when they start
    bench.run("make_site", name=name, url=sim.url, key="ck_test", secret="cs_test", host_url=bench.url)
    bench.run("check_webhooks", name=name)
    order = sim.add_order(status="processing", customer_id=2, line_items=[{"product_id": 10, "quantity": 1}])
    sim.deliver_webhooks()
    bench.run("process_queued", site=name)
    planted = bench.run("desk_checks:plant_outcomes", site=name)
    yield {"site": name, "order": order, "planted": planted}
    bench.run("forget_site", name=name)
    sim.stop()


@pytest.fixture(scope="module")
def clerk(bench):
    """A System Manager who is not Administrator and reads the desk in French."""
    return bench.run("desk_checks:french_user")


def _session(bench, user):
    s = requests.Session()
    r = s.post(f"{bench.url}/api/method/login", data={"usr": user["email"], "pwd": user["password"]}, timeout=10)
    r.raise_for_status()
    return s


def test_deliveries_still_write_the_log_with_what_happened(bench, shop):
    entries = [e for e in bench.run("desk_checks:log_entries", site=shop["site"]) if e["resource_id"] == shop["order"]["id"]]
    done = [e for e in entries if e["status"] == "Done"]
    assert done and done[0]["outcome_code"] == "order_created", entries
    assert json.loads(done[0]["outcome_args"])[0].startswith("SAL-ORD-") or json.loads(done[0]["outcome_args"])[0]


def test_a_system_manager_cannot_create_or_edit_the_log_or_a_link(bench, shop, clerk):
    s = _session(bench, clerk)
    made = s.post(f"{bench.url}/api/resource/{quote(LOG)}", timeout=10,
                  json={"site": shop["site"], "topic": "order.created", "status": "Done", "resource_id": 1})
    assert made.status_code == 403, made.text[:300]
    name = shop["planted"]["Failed"]
    edited = s.put(f"{bench.url}/api/resource/{quote(LOG)}/{name}", json={"error": "edited by hand"}, timeout=10)
    assert edited.status_code == 403, edited.text[:300]
    item = bench.run("desk_checks:any_item")  # a real one: Frappe checks links before permissions
    link = s.post(f"{bench.url}/api/resource/{quote('WooCommerce Link')}", timeout=10,
                  json={"link_key": f"{shop['site']}-item-by-hand", "site": shop["site"], "link_type": "Item",
                        "erp_doctype": "Item", "erp_name": item, "woo_id": 1})
    assert link.status_code == 403, link.text[:300]
    # still readable: the trail is there to be read
    assert s.get(f"{bench.url}/api/resource/{quote(LOG)}/{name}", timeout=10).status_code == 200


def test_not_even_an_administrator_edits_an_entry_by_hand(bench, shop):
    assert bench.run("desk_checks:save_as_administrator", name=shop["planted"]["Failed"])["refused"] is True


def test_the_workspace_has_the_mornings_cards(bench):
    ws = bench.run("desk_checks:workspace")
    assert ws["module"] == "ShopSync"
    assert set(ws["cards"]) == {"WooCommerce Failed Deliveries", "WooCommerce Orders Needing Attention",
                                "WooCommerce Links Out of Sync", "WooCommerce Last Delivery"}
    assert {"WooCommerce Site", LOG, "WooCommerce Link", "WooCommerce Import", "WooCommerce Blacklist Entry",
            "WooCommerce Sync State", "WooCommerce Stock Comparison"} <= set(ws["shortcuts"])



def _browse(bench, node, user, password, plan, shots):
    out = subprocess.run([node, str(HERE / "desk_browser.js"), bench.url, user, password, json.dumps(plan), shots],
                         capture_output=True, text=True, timeout=600, cwd=HERE)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout)
    return {r["name"]: r for r in seen["results"]}, seen["errors"]


def test_the_desk_in_english_and_in_french(bench, shop, clerk, browser_ready):
    site = shop["site"]
    shots = os.environ.get("SHOPSYNC_SHOTS") or tempfile.mkdtemp(prefix="shopsync-desk-")
    print(f"screenshots in {shots}")
    log = f"/app/woocommerce-webhook-log?site={quote(site)}"
    en, en_errors = _browse(bench, browser_ready, "Administrator", os.environ.get("SHOPSYNC_BENCH_PASSWORD", "admin"), [
        {"name": "en_workspace", "path": "/app/woocommerce", "wait": "Last successful delivery", "settle": 3000},
        {"name": "en_log_list", "path": log, "wait": "#880002"},
    ], shots)
    fr, fr_errors = _browse(bench, browser_ready, clerk["email"], clerk["password"], [
        {"name": "fr_workspace", "path": "/app/woocommerce", "wait": "Dernière livraison réussie", "settle": 3000},
        {"name": "fr_log_list", "path": log, "wait": "#880002"},
        {"name": "fr_log_entry", "path": f"/app/woocommerce-webhook-log/{shop['planted']['Failed']}", "wait": "À traiter"},
        {"name": "fr_link_list", "path": f"/app/woocommerce-link?site={quote(site)}"},
    ], shots)
    assert en_errors == [] and fr_errors == [], en_errors + fr_errors

    # the workspace: its four cards, the site's last delivery in words
    for title in ("Failed deliveries", "Orders needing attention", "Links out of sync", "Last successful delivery"):
        assert title.upper() in en["en_workspace"]["text"].upper(), title
    assert site in en["en_workspace"]["text"]
    for title in ("Livraisons en échec", "Commandes à traiter", "Liens désynchronisés", "Dernière livraison réussie"):
        assert title.upper() in fr["fr_workspace"]["text"].upper(), title

    # the log: no Add button, Skipped quiet even when opened from a link, needs attention named
    for screen in (en["en_log_list"], fr["fr_log_list"], fr["fr_link_list"]):
        assert not any("Add" in b or "Ajouter" in b for b in screen["primary"]), screen["primary"]
    assert "#880002" in en["en_log_list"]["text"] and "#880001" not in en["en_log_list"]["text"]
    assert "Needs attention" in en["en_log_list"]["text"]
    assert "Sales Order" in en["en_log_list"]["text"] and "created" in en["en_log_list"]["text"]
    # French labels for the stored outcomes, and the entry's form says it in French with no Save
    assert "À traiter" in fr["fr_log_list"]["text"] and "Commande client" in fr["fr_log_list"]["text"]
    entry = fr["fr_log_entry"]
    assert "la commande client SO-DEMO ne peut pas être annulée" in entry["text"]
    assert not entry["primary"] or all("auvegarder" not in b and "Save" not in b for b in entry["primary"]), entry["primary"]


def test_unlink_is_the_action_on_an_item_link_and_never_on_an_orders(bench, shop, clerk):
    s = _session(bench, clerk)
    links = bench.run("desk_checks:links_of", site=shop["site"])
    item_link = next(link for link in links if link["link_type"] == "Item")
    order_link = next(link for link in links if link["link_type"] == "Order")

    refused = s.post(f"{bench.url}/api/method/shopsync.api.unlink", json={"name": order_link["name"]}, timeout=10)
    assert refused.status_code == 417 and "never unlinked" in refused.text, refused.text[:300]
    assert bench.run("desk_checks:unlink_left", name=order_link["name"], erp_doctype="Sales Order",
                     erp_name=order_link["erp_name"])["link"] is True  # the order stays one Sales Order

    done = s.post(f"{bench.url}/api/method/shopsync.api.unlink", json={"name": item_link["name"]}, timeout=10)
    assert done.status_code == 200, done.text[:300]
    left = bench.run("desk_checks:unlink_left", name=item_link["name"], erp_doctype="Item", erp_name=item_link["erp_name"])
    assert left["link"] is False and left["document"] is True
    # the Item's timeline says it, in the clicker's language (the clerk reads French)
    assert any(f"n°{item_link['woo_id']}" in c and shop["site"] in c and clerk["email"] in c for c in left["comments"]), left["comments"]
