"""Simulator behaviours the captures do not replay one by one: delivery coalescing, disabling after
failures, pings, faults, filters, the WooCommerce rules a sync engine leans on. Needs no capture."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import OrderedDict
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
import requests
from woocommerce import API
from woocommerce.oauth import OAuth

from tests.woosim import CostModel, WooSim, signature
from tests.woosim.client import SimClient
from tests.woosim.receiver import WebhookReceiver


@pytest.fixture
def sim():
    with WooSim().seed() as s:
        yield s


@pytest.fixture
def client(sim):
    c = SimClient(sim.url, timeout=5)
    yield c
    c.close()


@pytest.fixture
def receiver():
    with WebhookReceiver() as r:
        yield r


def bodies(receiver, path=""):
    return [json.loads(r["body"]) for r in receiver.deliveries(path)]


# ----------------------------------------------------------------------------- authentication


def test_official_pypi_client_works_end_to_end(sim):
    """woocommerce.API signs the URL and sends the params a second time; PHP keeps the last copy."""
    api = API(url=sim.url, consumer_key="ck_test", consumer_secret="cs_test", version="wc/v3", timeout=5)
    found = api.get("products", params={"sku": "RW-S-001", "per_page": 5})
    assert found.status_code == 200 and [p["id"] for p in found.json()] == [10]
    changed = api.put("products/10", {"stock_quantity": 4})
    assert changed.json()["stock_quantity"] == 4
    assert api.get("products/10").json()["stock_quantity"] == 4


class _Sha1OAuth(OAuth):
    """The PyPI client's signing, with HMAC-SHA1 (WooCommerce accepts both)."""

    def get_oauth_url(self):
        url, _, query = self.url.partition("?")
        params = OrderedDict(__import__("urllib.parse").parse.parse_qsl(query))
        params.update(oauth_consumer_key=self.consumer_key, oauth_timestamp=self.timestamp,
                      oauth_nonce=self.generate_nonce(), oauth_signature_method="HMAC-SHA1")
        normalized = self.normalize_parameters(self.sorted_params(params))
        base = "&".join([self.method, __import__("urllib.parse").parse.quote(url, ""),
                         "%26".join(f"{k}%3D{v}" for k, v in normalized.items())])
        digest = hmac.new((self.consumer_secret + "&").encode(), base.encode(), hashlib.sha1).digest()
        params["oauth_signature"] = base64.b64encode(digest).decode()
        return f"{url}?{urlencode(params)}"


def test_hmac_sha1_signatures_are_accepted(sim):
    url = _Sha1OAuth(sim.url + "wp-json/wc/v3/products?per_page=2", "ck_test", "cs_test").get_oauth_url()
    resp = requests.get(url, timeout=5)
    assert resp.status_code == 200 and len(resp.json()) == 2


def test_oauth_params_may_come_in_the_authorization_header(sim, client):
    from urllib.parse import parse_qsl, quote, urlsplit

    signed = urlsplit(client.signed_url("GET", "products", {"per_page": 3}))
    pairs = parse_qsl(signed.query)
    header = "OAuth " + ", ".join(f'{k}="{quote(v, safe="")}"' for k, v in pairs if k.startswith("oauth_"))
    url = f"{sim.url}wp-json/wc/v3/products?per_page=3"
    resp = requests.get(url, headers={"Authorization": header}, timeout=5)
    assert resp.status_code == 200 and len(resp.json()) == 3


def test_slash_in_a_query_value_breaks_the_pypi_signature(client):
    """WooCommerce rawurlencode()s '/' where the PyPI client leaves it: a real shop answers 401 too."""
    resp = client.get("products", {"search": "a/b"})
    assert resp.status_code == 401
    assert resp.json()["message"] == "Invalid signature - provided signature does not match."
    assert client.get("products", {"search": "a b+c:d"}).status_code == 200


def test_read_only_key_cannot_write():
    with WooSim(permissions="read").seed(products=2, variable_products=0, customers=0, orders=0) as sim:
        client = SimClient(sim.url)
        assert client.get("products").status_code == 200
        resp = client.put("products/10", {"stock_quantity": 1})
        assert resp.status_code == 401
        assert resp.json()["message"] == "The API key provided does not have write permissions."


def test_https_mode_accepts_basic_auth_and_oauth():
    with WooSim(https=True).seed(products=2, variable_products=0, customers=0, orders=0) as sim:
        ok = requests.get(sim.url + "wp-json/wc/v3/products", auth=("ck_test", "cs_test"), timeout=5)
        assert ok.status_code == 200 and len(ok.json()) == 2
        bad = requests.get(sim.url + "wp-json/wc/v3/products", auth=("ck_test", "nope"), timeout=5)
        assert bad.status_code == 401 and bad.json()["message"] == "Consumer secret is invalid."
        assert SimClient(sim.url).get("products").status_code == 200


def test_nonce_window_follows_the_shop_clock(sim, client):
    url = client.signed_url("GET", "products", {"per_page": 1})
    assert requests.get(url, timeout=5).status_code == 200
    sim.advance_clock(16 * 60)  # the signed timestamp is now too old
    fresh_sig_old_time = requests.get(client.signed_url("GET", "products", {"per_page": 1}), timeout=5)
    assert fresh_sig_old_time.json()["message"] == "Invalid timestamp."


# ----------------------------------------------------------------------------- collections


def test_pagination_links_and_bounds(client):
    middle = client.get("products", {"per_page": 10, "page": 2})
    assert (middle.headers["X-WP-Total"], middle.headers["X-WP-TotalPages"]) == ("31", "4")
    links = dict((rel, url) for url, rel in
                 __import__("re").findall(r'<([^>]+)>; rel="(\w+)"', middle.headers["Link"]))
    assert "page=1&" in links["prev"] and "page=3&" in links["next"]  # page replaced where it was
    beyond = client.get("products", {"per_page": 10, "page": 9})
    assert beyond.status_code == 200 and beyond.json() == [] and beyond.headers["X-WP-Total"] == "31"
    for bad in ({"per_page": 0}, {"per_page": 101}, {"per_page": "x"}, {"page": 0}):
        assert client.get("products", bad).json()["code"] == "rest_invalid_param", bad


def test_product_filters(sim, client):
    assert sorted(p["id"] for p in client.get("products", {"sku": "RW-S-002,RW-V-HOODIE-L"}).json()) == [11, 43]
    assert [p["id"] for p in client.get("products", {"include": "12,10", "orderby": "include"}).json()] == [12, 10]
    sim.advance_clock(120)
    sim.update_product(15, regular_price="1.00")
    a_second_before = lambda text: (datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")  # noqa: E731
                                    - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
    modified = sim.get("products/15")
    since = client.get("products", {"modified_after": a_second_before(modified["date_modified_gmt"]),
                                    "dates_are_gmt": "true"}).json()
    assert [p["id"] for p in since] == [15]
    local = client.get("products", {"modified_after": a_second_before(modified["date_modified"])}).json()
    assert [p["id"] for p in local] == [15]
    assert client.get("products", {"modified_after": modified["date_modified"]}).json() == []  # strictly after
    assert client.get("products", {"modified_after": "yesterday"}).json()["code"] == "rest_invalid_param"


def test_order_and_customer_filters(sim, client):
    ids = lambda resp: [o["id"] for o in resp.json()]  # noqa: E731
    assert ids(client.get("orders", {"status": "processing,on-hold"})) == [46, 45]
    assert ids(client.get("orders", {"customer": 2})) == [47, 45]
    assert client.get("orders", {"status": "shipped"}).status_code == 400
    assert [c["id"] for c in client.get("customers").json()] == [2, 4, 5, 3]
    assert [c["id"] for c in client.get("customers", {"role": "all"}).json()] == [1, 2, 4, 5, 3]
    assert [c["id"] for c in client.get("customers", {"email": "jean.dupont@example.test"}).json()] == [3]
    dup = client.post("customers", {"email": "jean.dupont@example.test"})
    assert dup.status_code == 400 and dup.json()["code"] == "registration-error-email-exists"


def test_fields_parameter_and_method_override(sim, client):
    assert client.get("products/10", {"_fields": "id,sku"}).json() == {"id": 10, "sku": "RW-S-001"}
    resp = client.post("products/10", {"stock_quantity": 8}, params={"_method": "PUT"})
    assert resp.status_code == 200 and sim.get("products/10")["stock_quantity"] == 8
    assert [o["id"] for o in sim.get("orders", status="on-hold")] == [46]


# ----------------------------------------------------------------------------- products and stock


def test_stock_rules(sim, client):
    assert client.put("products/12", {"stock_quantity": 2.7}).status_code == 400
    assert client.put("products/12", {"stock_quantity": "2.7"}).status_code == 400
    assert client.put("products/12", {"stock_quantity": "5"}).json()["stock_quantity"] == 5
    negative = client.put("products/12", {"stock_quantity": -3}).json()
    assert (negative["stock_quantity"], negative["stock_status"]) == (-3, "outofstock")
    assert client.put("products/12", {"inventory_delta": 4}).json()["stock_quantity"] == 1
    batch = client.post("products/batch", {"update": [{"id": 11, "stock_quantity": 2.7}]}).json()
    assert batch["update"][0]["stock_quantity"] == 2
    assert sim.state.products[11]["stock_quantity"] == 2


def test_batches(client):
    variation = client.post("products/batch", {"update": [{"id": 42, "stock_quantity": 1}]}).json()["update"][0]
    assert variation["id"] == 42 and variation["error"]["code"] == "woocommerce_rest_invalid_product_id"
    assert variation["error"]["data"]["status"] == 404
    too_many = client.post("products/batch", {"create": [{"name": "x"}] * 60, "delete": list(range(1, 42))})
    assert too_many.status_code == 413
    mixed = client.post("products/batch", {"delete": [13, 999999]}).json()["delete"]
    assert mixed[0]["id"] == 13 and mixed[1]["error"]["code"] == "woocommerce_rest_product_invalid_id"
    assert client.get("products/13").status_code == 404  # batch deletes are permanent
    variations = client.post("products/40/variations/batch", {"update": [{"id": 41, "stock_quantity": 9}]}).json()
    assert variations["update"][0]["stock_quantity"] == 9


def test_duplicate_sku_suggestion_and_trash(sim, client):
    first = client.post("products", {"name": "A", "sku": "RW-S-001"}).json()
    assert first["data"] == {"status": 400, "resource_id": 10, "unique_sku": "RW-S-001-1"}
    client.post("products", {"name": "B", "sku": "RW-S-001-1"})
    assert client.post("products", {"name": "C", "sku": "RW-S-001"}).json()["data"]["unique_sku"] == "RW-S-001-2"
    trashed = client.delete("products/10").json()
    assert trashed["status"] == "publish"  # the answer is the product before trashing
    assert client.get("products/10").json()["status"] == "trash"
    assert client.post("products", {"name": "D", "sku": "RW-S-001"}).status_code == 201  # trashed SKU is free
    assert client.delete("products/10").json()["code"] == "woocommerce_rest_already_trashed"


def test_variable_product_follows_its_variations(client):
    client.put("products/40/variations/43", {"regular_price": "49.90"})
    parent = client.get("products/40").json()
    assert parent["price"] == "39.90" and "49,90" in parent["price_html"]
    for vid in (41, 42, 43):
        client.put(f"products/40/variations/{vid}", {"stock_quantity": 0})
    assert client.get("products/40").json()["stock_status"] == "outofstock"


# ----------------------------------------------------------------------------- orders


def test_add_order_computes_taxes_like_woocommerce(sim):
    order = sim.add_order(status="processing", customer_id=3,
                          billing={"country": "FR", "email": "jean.dupont@example.test"},
                          shipping={"country": "FR"},
                          line_items=[{"product_id": 23, "quantity": 2}, {"product_id": 10, "quantity": 1}],
                          shipping_lines=[{"method_id": "flat_rate", "method_title": "Colissimo", "total": "5.90"}])
    rates = {t["rate_id"]: (t["label"], t["tax_total"], t["shipping_tax_total"]) for t in order["tax_lines"]}
    # 2 x 53.90 at 5.5 % = 5.929 -> 5.93; 8.40 at 20 % = 1.68; shipping follows the standard class
    assert rates == {2: ("TVA 5,5%", "5.93", "0.00"), 1: ("TVA 20%", "1.68", "1.18")}
    assert order["line_items"][0]["taxes"] == [{"id": 2, "total": "5.929", "subtotal": "5.929"}]
    assert order["total"] == "130.89"  # 107.80 + 8.40 + 5.90 + 5.93 + 1.68 + 1.18
    assert sim.state.products[23]["stock_quantity"] == 22


def test_order_with_unknown_product_and_status_changes(sim, client):
    weird = client.post("orders", {"line_items": [{"product_id": 999999, "quantity": 1}]}).json()
    line = weird["line_items"][0]
    assert (weird["status"], line["product_id"], line["name"], line["total"]) == ("pending", 0, "", "0.00")
    before = sim.state.products[11]["stock_quantity"]
    assert client.put("orders/46", {"status": "cancelled"}).json()["status"] == "cancelled"
    assert sim.state.products[11]["stock_quantity"] == before + 1  # on-hold had reduced it
    notes = [n["note"] for n in client.get("orders/46/notes").json()]
    assert "Order status changed from On hold to Cancelled." in notes
    assert client.put("orders/46", {"status": "shipped"}).status_code == 400
    assert client.get("orders/999").json()["code"] == "woocommerce_rest_shop_order_invalid_id"


def test_refunds(sim, client):
    cod = client.post("orders/45/refunds", {"amount": "1.00"})  # api_refund defaults to true
    assert cod.status_code == 500
    assert cod.json()["message"] == "The payment gateway for this order does not support automatic refunds."
    stock = sim.state.products[10]["stock_quantity"]
    refund = client.post("orders/45/refunds", {"api_refund": False, "line_items": [
        {"id": 1, "quantity": 1, "refund_total": 7.56, "refund_tax": [{"id": 1, "refund_total": 1.51}]}]})
    assert refund.status_code == 201 and refund.json()["amount"] == "9.07"
    assert sim.state.products[10]["stock_quantity"] == stock + 1
    too_much = client.post("orders/45/refunds", {"api_refund": False, "amount": "1000"})
    assert too_much.json()["message"] == "Invalid refund amount."
    full = client.post("orders/48/refunds", {"api_refund": False, "amount": "42.48"})
    assert full.status_code == 201 and client.get("orders/48").json()["status"] == "refunded"


# ----------------------------------------------------------------------------- webhooks


def hook(sim, receiver, topic, secret="s3cret", path=None):
    return sim.add_webhook(topic, receiver.url + (path or f"/hook/{topic}"), secret=secret)["id"]


def test_events_coalesce_and_bodies_are_built_at_delivery(sim, receiver):
    wid = hook(sim, receiver, "product.updated")
    sim.set_stock(19, 5)
    sim.set_stock(19, 6)
    sim.set_stock(20, 1)
    assert [(q["webhook_id"], q["arg"]) for q in sim.pending_webhooks] == [(wid, 19), (wid, 20)]
    sim.set_stock(19, 7)
    results = sim.deliver_webhooks()
    assert [(r["resource_id"], r["status_code"]) for r in results] == [(19, 200), (20, 200)]
    assert [b["stock_quantity"] for b in bodies(receiver)] == [7, 1]
    assert sim.deliver_webhooks() == []


def test_delivery_headers_and_signature(sim, receiver):
    hook(sim, receiver, "product.updated", secret='Pa&ss<wörd>"\'é')
    sim.set_stock(10, 3)
    sim.deliver_webhooks()
    d = receiver.deliveries()[0]
    h = d["headers"]
    expected = base64.b64encode(hmac.new('Pa&ss<wörd>"\'é'.encode(), d["body"], hashlib.sha256).digest()).decode()
    assert h["X-WC-Webhook-Signature"] == expected == signature('Pa&ss<wörd>"\'é', d["body"])
    assert (h["X-WC-Webhook-Topic"], h["X-WC-Webhook-Resource"], h["X-WC-Webhook-Event"]) == \
        ("product.updated", "product", "updated")
    assert h["X-WC-Webhook-Source"] == sim.url and h["Content-Type"] == "application/json"
    assert b"\\u00e9" in d["body"] and b"\\/" in d["body"]  # Tasse c\u00e9ramique, http:\/\/...


def test_delivery_id_changes_with_the_second(sim, receiver):
    hook(sim, receiver, "product.updated")
    sim.set_stock(10, 1)
    sim.set_stock(11, 1)
    sim.advance_clock(1.001 - sim.now() % 1)  # at the start of a shop second: both go out within it
    sim.deliver_webhooks()
    sim.advance_clock(1)
    sim.set_stock(10, 2)
    sim.deliver_webhooks()
    ids = [d["headers"]["X-WC-Webhook-Delivery-ID"] for d in receiver.deliveries()]
    assert ids[0] == ids[1] != ids[2]


def test_trash_force_delete_and_deleted_resources(sim, client, receiver):
    created = hook(sim, receiver, "product.created")
    deleted = hook(sim, receiver, "product.deleted")
    gone = client.post("products", {"name": "Éphémère", "sku": "TMP-1"}).json()
    client.delete(f"products/{gone['id']}", {"force": "true"})
    trashed = client.post("products", {"name": "Corbeille", "sku": "TMP-2"}).json()
    client.delete(f"products/{trashed['id']}")
    client.post("products/batch", {"delete": [11]})
    sim.deliver_webhooks()
    assert bodies(receiver, "/hook/product.deleted") == [{"id": trashed["id"]}]
    created_bodies = bodies(receiver, "/hook/product.created")
    assert {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.",
            "data": {"status": 404}} in created_bodies
    assert (created, deleted) == (1, 2)


def test_order_events_and_stock_events(sim, receiver):
    hook(sim, receiver, "order.created")
    hook(sim, receiver, "order.updated")
    hook(sim, receiver, "product.updated")
    order = sim.add_order(status="processing", customer_id=2, line_items=[
        {"product_id": 16, "quantity": 1}, {"product_id": 40, "variation_id": 41, "quantity": 1}])
    sim.deliver_webhooks()
    assert [b["id"] for b in bodies(receiver, "/hook/order.created")] == [order["id"]]
    assert [b["id"] for b in bodies(receiver, "/hook/order.updated")] == [order["id"]]
    products = bodies(receiver, "/hook/product.updated")
    assert [(b["id"], b["type"], b["parent_id"]) for b in products] == [(16, "simple", 0), (41, "variation", 40)]


def test_disabled_after_seven_consecutive_failures(sim, receiver):
    receiver.statuses["/fail"] = 500
    wid = hook(sim, receiver, "order.updated", path="/fail")
    assert sim.state.webhooks[wid]["pending_delivery"] is True  # the ping got a 500
    seen = []
    for i in range(8):
        sim.update_order(45, customer_note=f"#{i}")
        sim.deliver_webhooks()
        w = sim.state.webhooks[wid]
        seen.append((w["status"], w["failure_count"]))
    assert seen == [("active", 1), ("active", 2), ("active", 3), ("active", 4), ("active", 5), ("active", 6),
                    ("disabled", 6), ("disabled", 6)]
    assert len(receiver.deliveries("/fail")) == 7  # no retry, nothing queued once disabled
    assert len(receiver.pings("/fail")) == 7  # creation + after each of the first six failures
    sim.update_webhook(wid, status="active")  # re-activated: the count is not reset by WooCommerce
    sim.update_order(45, customer_note="again")
    sim.deliver_webhooks()
    assert (sim.state.webhooks[wid]["status"], sim.state.webhooks[wid]["failure_count"]) == ("disabled", 6)


def test_a_success_resets_the_failure_count(sim, receiver):
    receiver.statuses["/flaky"] = 500
    wid = hook(sim, receiver, "order.updated", path="/flaky")
    for i in range(3):
        sim.update_order(45, customer_note=f"#{i}")
        sim.deliver_webhooks()
    assert sim.state.webhooks[wid]["failure_count"] == 3
    receiver.statuses["/flaky"] = 302  # 301/302 count as delivered
    sim.update_order(45, customer_note="ok")
    sim.deliver_webhooks()
    assert sim.state.webhooks[wid]["failure_count"] == 0


def test_ping_and_webhook_crud(sim, client, receiver):
    receiver.statuses["/late"] = 503
    created = client.post("webhooks", {"name": "late", "topic": "product.updated", "secret": "abc",
                                       "delivery_url": receiver.url + "/late"})
    assert created.status_code == 201 and "secret" not in created.json()
    wid = created.json()["id"]
    ping = receiver.pings("/late")[0]
    assert ping["body"] == f"webhook_id={wid}".encode()
    assert ping["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert not any(k.startswith("X-WC-") for k in ping["headers"])
    receiver.statuses["/late"] = 200
    client.put(f"webhooks/{wid}", {"name": "renamed"})  # a save while pending re-sends the ping
    assert len(receiver.pings("/late")) == 2 and sim.state.webhooks[wid]["pending_delivery"] is False
    client.put(f"webhooks/{wid}", {"name": "again"})
    assert len(receiver.pings("/late")) == 2
    client.put(f"webhooks/{wid}", {"delivery_url": receiver.url + "/late/v2"})  # new URL: pinged
    assert len(receiver.pings("/late/v2")) == 1
    listed = client.get("webhooks").json()
    assert [w["name"] for w in listed] == ["again"] and "secret" not in listed[0]
    assert client.post("webhooks", {"topic": "product.exploded", "delivery_url": "http://x"}).status_code == 400
    assert client.delete(f"webhooks/{wid}").status_code == 501
    sim.set_stock(10, 1)
    assert client.delete(f"webhooks/{wid}", {"force": "true"}).status_code == 200
    assert sim.deliver_webhooks() == []  # a deleted webhook's queued deliveries are dropped


def test_paused_webhooks_queue_nothing(sim, receiver):
    wid = hook(sim, receiver, "product.updated")
    sim.update_webhook(wid, status="paused")
    sim.set_stock(10, 1)
    assert sim.pending_webhooks == []


def test_auto_deliver_runs_the_queue_in_the_background(receiver):
    with WooSim(auto_deliver=True, auto_deliver_interval=0.02).seed(products=2, variable_products=0,
                                                                    customers=0, orders=0) as sim:
        hook(sim, receiver, "product.updated")
        sim.set_stock(10, 3)
        for _ in range(200):
            if receiver.deliveries():
                break
            sim._stopping.wait(0.02)
        assert [b["id"] for b in bodies(receiver)] == [10]


# ----------------------------------------------------------------------------- faults, cost, request log


def test_429_with_retry_after_then_recovery(sim, client):
    sim.faults.add("429", count=2, retry_after=3)
    for _ in range(2):
        resp = client.get("products/10")
        assert resp.status_code == 429 and resp.headers["Retry-After"] == "3"
        assert resp.json()["data"]["status"] == 429
    assert client.get("products/10").status_code == 200


def test_faults_limited_to_a_path_and_method(sim, client):
    sim.faults.add("500", path="orders", method="PUT")
    assert client.get("orders/45").status_code == 200
    assert client.put("products/10", {"stock_quantity": 1}).status_code == 200
    failed = client.put("orders/45", {"customer_note": "x"})
    assert failed.status_code == 500 and failed.json()["code"] == "internal_server_error"
    assert sim.state.orders[45]["customer_note"] != "x"  # nothing applied
    sim.faults.add("503", path="/wp-json/wc/v3/products", retry_after=10)
    unavailable = client.get("products")
    assert unavailable.status_code == 503 and unavailable.headers["Retry-After"] == "10"
    assert unavailable.headers["Content-Type"].startswith("text/html")


def test_cut_connection_after_the_write_was_applied(sim, client):
    sim.faults.add("cut", path="products/12")
    with pytest.raises(requests.exceptions.RequestException):
        client.put("products/12", {"stock_quantity": 77})
    assert sim.state.products[12]["stock_quantity"] == 77  # the client cannot know it happened
    sim.faults.add("cut", path="products/12", applied=False)
    with pytest.raises(requests.exceptions.RequestException):
        client.put("products/12", {"stock_quantity": 78})
    assert sim.state.products[12]["stock_quantity"] == 77
    assert client.get("products/12").json()["stock_quantity"] == 77


def test_timeout_holds_the_answer_back(sim):
    short = SimClient(sim.url, timeout=0.3)
    sim.faults.add("timeout", delay=2, path="products/batch")
    with pytest.raises(requests.exceptions.Timeout):
        short.post("products/batch", {"update": [{"id": 10, "stock_quantity": 5}]})
    assert sim.state.products[10]["stock_quantity"] == 5
    assert short.get("products/10").status_code == 200
    short.close()


def test_request_log_and_cost_model(sim, client):
    sim.reset_request_log()
    sim.cost = CostModel(per_request_ms=0, per_batch_item_ms=0)
    client.post("products/batch", {"update": [{"id": 10, "stock_quantity": 1}, {"id": 11, "stock_quantity": 1}]})
    client.get("products", {"sku": "RW-S-001"})
    log = sim.requests
    assert [(r["method"], r["path"], r["status"], r["batch_size"]) for r in log] == [
        ("POST", "/wp-json/wc/v3/products/batch", 200, 2), ("GET", "/wp-json/wc/v3/products", 200, 0)]
    assert log[1]["query"] == {"sku": "RW-S-001"}  # oauth_* left out
    assert CostModel(per_request_ms=110, per_batch_item_ms=50).seconds(30) == pytest.approx(1.61)


def test_seed_sizes(sim):
    with WooSim().seed(products=35, variable_products=2, customers=6, orders=7) as big:
        st = big.state
        assert len([p for p in st.products.values() if p["type"] == "simple"]) == 35
        assert len([p for p in st.products.values() if p["type"] == "variable"]) == 2
        assert len(st.variations) == 6 and len(st.orders) == 7
        assert len([c for c in st.customers.values() if c["role"] == "customer"]) == 6
        assert st.products[10]["sku"] == "RW-S-001" and any(p["sku"] == "RW-S-035" for p in st.products.values())
