"""Issue 10: a signed delivery means only what its signed body says.

WooCommerce signs the body, never the headers. Each test here replays or re-labels a genuinely
signed delivery the way an attacker holding one capture could, through the real endpoint (over
HTTP), the log and a real RQ worker, and checks what a shop owner would see: nothing of theirs
cancelled, unlinked or changed, and an entry that says why.
"""

from __future__ import annotations

import json
import logging
import time

import pytest
import redis
import requests

from shopsync.sync import deliveries, intake, webhooks
from shopsync.sync import runtime as runtime_mod
from shopsync.sync.site import SiteConfig, validate_rotation
from shopsync.woocommerce import WooClient
from shopsync.woocommerce.signature import generate_secret, sign
from tests.erp_stand_in import MemoryERP
from tests.support.intake_server import IntakeServer
from tests.support.rq_runtime import RQEnqueuer, make_runtime
from tests.support.sites import add_site, record_webhooks
from tests.woosim import WooSim

LOG = "WooCommerce Webhook Log"


@pytest.fixture
def world(redis_url):
    sim = WooSim().start().seed()
    erp = MemoryERP.with_test_shop()
    enq = RQEnqueuer(redis.Redis.from_url(redis_url))
    rt = make_runtime(erp, enq, client_for=lambda s: WooClient(s.woocommerce_url, s.consumer_key, s.consumer_secret))
    server = IntakeServer(rt).start()
    site = add_site(erp, "shop1", sim.url, "ck_test", "cs_test", server.endpoint("shop1"),
                    freight_account="Shipping Income - TS")
    client = WooClient(sim.url, "ck_test", "cs_test")
    site = record_webhooks(erp, "shop1", webhooks.ensure_webhooks(site, client))
    yield sim, erp, enq, rt, server, site, client
    server.stop()
    sim.stop()
    runtime_mod.install(None)


def hook_id(client, site, topic):
    [hook] = [w for w in client.list_webhooks() if w["topic"] == topic and w["delivery_url"] == site.endpoint_url]
    return hook["id"]


def relabel(headers, site, body, topic, webhook_id=None):
    """The delivery's headers changed to another topic, the body signed as the shop signed it."""
    resource, event = topic.split(".")
    out = dict(headers, **{"X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": resource,
                           "X-WC-Webhook-Event": event, "X-WC-Webhook-Signature": sign(site.webhook_secret, body)})
    if webhook_id is not None:
        out["X-WC-Webhook-ID"] = str(webhook_id)
    return out


def shop_delivery(sim, topic, resource_id=None):
    for d in reversed(sim.webhook_log):
        headers = dict(d["headers"])
        if d["kind"] == "delivery" and headers.get("X-WC-Webhook-Topic") == topic:
            body = d["body"].encode()
            if resource_id is None or json.loads(body).get("id") == resource_id:
                return body, headers
    raise LookupError(topic)


def imported_order(sim, erp, enq, customer_id=3, product_id=11):
    order = sim.add_order(status="processing", customer_id=customer_id, line_items=[{"product_id": product_id, "quantity": 1}])
    sent = sim.deliver_webhooks()
    assert sent and all(d["status_code"] == 200 for d in sent), sent
    enq.work()
    return order, sales_order_of(erp, order["id"])


def sales_order_of(erp, order_id):
    [link] = erp.find("WooCommerce Link", {"site": "shop1", "link_type": "Order", "woo_id": order_id}, fields=("erp_name",))
    return erp.get("Sales Order", link["erp_name"])


def entries(erp, **filters):
    return erp.find(LOG, filters, fields=("*",), order_by="received_at asc")


def post(site, body, headers):
    return requests.post(site.endpoint_url, data=body, headers=headers, timeout=10)


# --- a signed body's meaning comes from the body -------------------------------------------------

def test_a_customer_body_relabelled_as_an_order_deletion_cancels_nothing(world):
    sim, erp, enq, rt, server, site, client = world
    order, so = imported_order(sim, erp, enq)
    # a real signed customer delivery, for a customer whose id is the order's id
    customer = sim.add_customer(email="mallory@example.test", first_name="Mal", last_name="Lory")
    sim.deliver_webhooks()
    enq.work()
    body, headers = shop_delivery(sim, "customer.created")
    doc = json.loads(body)
    doc["id"] = order["id"]
    body = json.dumps(doc).encode()  # as the shop would have signed it for customer <order id>
    answer = post(site, body, relabel(headers, site, body, "order.deleted", hook_id(client, site, "order.deleted")))
    assert answer.status_code == 200  # kept, for inspection
    enq.work()
    assert sales_order_of(erp, order["id"])["docstatus"] == 1
    [entry] = [e for e in entries(erp, topic="order.deleted")]
    assert entry["status"] == "Failed" and "customer body" in entry["error"] and not entry.get("resource_id")
    assert customer["email"] == "mallory@example.test"


def test_headers_that_disagree_with_each_other_or_with_the_sites_webhook_are_failed(world):
    sim, erp, enq, rt, server, site, client = world
    order, so = imported_order(sim, erp, enq)
    body, headers = shop_delivery(sim, "order.updated")
    gone = json.dumps({"id": order["id"]}).encode()
    # resource header says customer, topic says order
    mixed = dict(relabel(headers, site, gone, "order.deleted", hook_id(client, site, "order.deleted")),
                 **{"X-WC-Webhook-Resource": "customer"})
    assert post(site, gone, mixed).status_code == 200
    # the order.updated webhook's id with the order.deleted topic: re-labelled
    relabelled = relabel(headers, site, gone + b" ", "order.deleted", hook_id(client, site, "order.updated"))
    assert post(site, gone + b" ", relabelled).status_code == 200
    enq.work()
    failed = entries(erp, topic="order.deleted")
    assert [e["status"] for e in failed] == ["Failed", "Failed"]
    assert "disagree" in failed[0]["error"] and "re-labelled" in failed[1]["error"]
    assert sales_order_of(erp, order["id"])["docstatus"] == 1


def test_a_webhook_id_the_site_does_not_know_is_checked_with_the_shop(world):
    sim, erp, enq, rt, server, site, client = world
    order, so = imported_order(sim, erp, enq)
    # another site on the same shop: its webhooks deliver elsewhere
    other = sim.add_webhook("order.deleted", "http://127.0.0.1:9/api/method/shopsync.api.webhook?site=other",
                            secret=site.webhook_secret, ping=False)
    client.delete(f"orders/{order['id']}")  # even with the order really trashed
    gone = json.dumps({"id": order["id"]}).encode()
    _, headers = shop_delivery(sim, "order.updated")
    assert post(site, gone, relabel(headers, site, gone, "order.deleted", other["id"])).status_code == 200
    enq.work()
    [entry] = entries(erp, topic="order.deleted")
    assert entry["status"] == "Failed" and "delivers elsewhere" in entry["error"]
    assert sales_order_of(erp, order["id"])["docstatus"] == 1


def test_an_order_body_replayed_as_a_deletion_is_checked_with_the_shop_first(world):
    sim, erp, enq, rt, server, site, client = world
    order, so = imported_order(sim, erp, enq)
    body, headers = shop_delivery(sim, "order.created")
    # the log is cleared (30 days on): the exact delivery is still recognised
    with erp.transaction():
        for e in entries(erp):
            erp.delete(LOG, e["name"])
    again = post(site, body, headers)
    assert again.status_code == 200 and "duplicate" in again.text and entries(erp) == []
    # re-labelled as order.deleted: the same body, still a repeat of what was received
    relabelled = relabel(headers, site, body, "order.deleted", hook_id(client, site, "order.deleted"))
    assert "duplicate" in post(site, body, relabelled).text
    # a signed order body the ERP never received (a lost delivery someone captured), as order.deleted
    # with the right webhook: the shop still holds the order, nothing is cancelled
    unseen = body + b"\n"
    relabelled = relabel(headers, site, unseen, "order.deleted", hook_id(client, site, "order.deleted"))
    assert post(site, unseen, relabelled).status_code == 200
    enq.work()
    assert sales_order_of(erp, order["id"])["docstatus"] == 1
    [entry] = entries(erp, topic="order.deleted")
    assert entry["status"] in ("Done", "Skipped") and not entry.get("error")
    # once the shop has trashed it, its own deletion cancels
    client.delete(f"orders/{order['id']}")
    sim.deliver_webhooks()
    enq.work()
    assert sales_order_of(erp, order["id"])["docstatus"] == 2


def test_retry_refuses_an_entry_that_already_ran_and_says_why(world):
    sim, erp, enq, rt, server, site, client = world
    order, so = imported_order(sim, erp, enq)
    done = [e for e in entries(erp, resource="order") if e["status"] == "Done"]
    report = deliveries.retry(rt, [e["name"] for e in done])
    assert report.queued == [] and set(report.refused) == {e["name"] for e in done}
    assert all("already applied" in why for why in report.refused.values())
    assert {erp.get(LOG, e["name"])["status"] for e in done} == {"Done"}


def test_a_product_deletion_replayed_while_the_product_exists_unlinks_nothing(world):
    sim, erp, enq, rt, server, site, client = world
    from shopsync.sync import products

    products.run_first_sync(erp, site, client)
    [link] = erp.find("WooCommerce Link", {"site": "shop1", "link_type": "Item", "woo_id": 11, "woo_variation_id": 0},
                      fields=("name", "state"))
    gone = json.dumps({"id": 11}).encode()
    _, headers = shop_delivery(sim, "order.updated") if any(
        dict(d["headers"]).get("X-WC-Webhook-Topic") == "order.updated" for d in sim.webhook_log) else (None, {})
    headers = headers or {"Content-Type": "application/json", "X-WC-Webhook-Delivery-ID": "0" * 32}
    assert post(site, gone, relabel(headers, site, gone, "product.deleted", hook_id(client, site, "product.deleted"))).status_code == 200
    enq.work()
    assert erp.get("WooCommerce Link", link["name"])["state"] == link["state"] != "Not linked"
    [entry] = entries(erp, topic="product.deleted")
    assert entry["status"] == "Skipped" and "still in the shop" in entry["outcome"]
    # trashed for real: unlinked, the item stays
    client.delete("products/11")
    sim.deliver_webhooks()
    enq.work()
    assert erp.get("WooCommerce Link", link["name"])["state"] == "Not linked"


def test_a_customer_deleted_in_the_shop_is_unlinked_and_the_erp_customer_stays(world):
    sim, erp, enq, rt, server, site, client = world
    c = sim.add_customer(email="ines@example.test", first_name="Inès", last_name="Marchand")
    sim.deliver_webhooks()
    enq.work()
    [link] = erp.find("WooCommerce Link", {"site": "shop1", "link_type": "Customer", "woo_id": c["id"]}, fields=("name", "erp_name"))
    # a deletion forged while the customer exists: nothing
    body, headers = shop_delivery(sim, "customer.created")
    gone = json.dumps({"id": c["id"]}).encode()
    post(site, gone, relabel(headers, site, gone, "customer.deleted", hook_id(client, site, "customer.deleted")))
    enq.work()
    assert erp.get("WooCommerce Link", link["name"])["state"] == "In sync"
    # deleted in the shop: its own delivery unlinks, the Customer stays
    client.delete(f"customers/{c['id']}", params={"force": "true"})
    sent = sim.deliver_webhooks()
    assert any(dict(d["headers"]).get("X-WC-Webhook-Topic") == "customer.deleted" for d in sim.webhook_log)
    assert all(d["status_code"] == 200 for d in sent)
    enq.work()
    assert erp.get("WooCommerce Link", link["name"])["state"] == "Not linked"
    assert erp.exists("Customer", link["erp_name"])


# --- after the signature, nothing reaches a log with the payload ------------------------------------

def test_an_unexpected_failure_answers_503_and_logs_one_line_without_the_payload(world, caplog):
    sim, erp, enq, rt, server, site, client = world
    order = sim.add_order(status="processing", customer_id=3, line_items=[{"product_id": 11, "quantity": 1}],
                          billing={"email": "secret.buyer@example.test", "phone": "+33 6 12 34 56 78",
                                   "first_name": "B", "last_name": "Uyer"})
    body, headers = None, None
    from shopsync.erp.errors import LockTimeout

    def locked(doc):
        raise LockTimeout("Lock wait timeout exceeded; try restarting transaction")

    off = erp.on(LOG, "before_insert", locked)
    with caplog.at_level(logging.DEBUG):
        sent = sim.deliver_webhooks()
    off()
    assert sent and {d["status_code"] for d in sent} == {503}
    assert entries(erp) == []
    text = "\n".join(r.getMessage() + repr(r.args) + str(r.exc_info) for r in caplog.records if r.name.startswith("shopsync"))
    assert "503" in text
    body, headers = shop_delivery(sim, "order.created")
    for secret_bit in ("secret.buyer@example.test", "12 34 56", headers["X-WC-Webhook-Signature"], "ck_test", "cs_test"):
        assert secret_bit not in text
    assert order["id"]


@pytest.mark.parametrize("case", ["id over 2^31", "deeply nested", "long topic"])
def test_hostile_shapes_are_kept_as_failed_not_fatal(world, case):
    sim, erp, enq, rt, server, site, client = world
    hid = hook_id(client, site, "order.updated")
    topic = "order.updated"
    if case == "id over 2^31":
        body = json.dumps({"id": 2**31 + 5, "order_key": "k", "line_items": [], "billing": {}}).encode()
    elif case == "deeply nested":
        body = b'{"id": 5, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    else:
        topic = "order." + "u" * 200
        body = json.dumps({"id": 5, "order_key": "k", "line_items": [], "billing": {}}).encode()
    headers = {"Content-Type": "application/json", "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": "order",
               "X-WC-Webhook-Event": topic.split(".")[1], "X-WC-Webhook-ID": str(hid),
               "X-WC-Webhook-Delivery-ID": "f" * 32, "X-WC-Webhook-Signature": sign(site.webhook_secret, body)}
    answer = intake.receive(rt, "shop1", body, headers)
    assert answer.status == 200
    [entry] = entries(erp)
    assert entry["status"] == "Failed" and entry["payload"] == body.decode()
    assert len(entry["topic"]) <= 140
    assert {"id over 2^31": "out of range", "deeply nested": "nested", "long topic": "Unknown topic"}[case] in entry["error"]


# --- secret rotation cannot get stuck ---------------------------------------------------------------

def test_a_shop_down_for_the_whole_grace_still_gets_the_new_secret(world):
    sim, erp, enq, rt, server, site, client = world
    old = site.webhook_secret
    with erp.transaction():
        erp.update("WooCommerce Site", "shop1", {"webhook_secret": generate_secret(), "previous_webhook_secret": old,
                                                 "secret_rotated_at": erp.now()})
    # the shop is down during the rotation and the next 24 hours: no webhook got the new secret
    erp.clock.advance(hours=25)
    site = rt.load_site("shop1")
    assert not site.in_rotation_grace(erp.now()) and site.secrets_accepted(erp.now()) == [site.webhook_secret]
    sim.add_customer(email="late@example.test", first_name="Late", last_name="Shop")
    assert {d["status_code"] for d in sim.deliver_webhooks()} == {401}  # signed with the old one
    # the hourly check after the grace: every webhook still gets the new secret
    report = webhooks.ensure_webhooks(site, client)
    assert sum("new secret" in a for a in report.actions) == len(report.rows)
    site = record_webhooks(erp, "shop1", report)
    assert webhooks.ensure_webhooks(site, client).actions == []  # and then no more rewrites
    sim.update_customer(2, first_name="Élise")
    sent = sim.deliver_webhooks()
    assert sent and {d["status_code"] for d in sent} == {200}


def test_a_rotation_in_the_future_and_a_short_secret_are_refused():
    with pytest.raises(ValueError, match="future"):
        validate_rotation(generate_secret(), "2099-01-01 00:00:00", "2026-12-04 10:00:00")
    with pytest.raises(ValueError, match="at least"):
        validate_rotation("short", "", "2026-12-04 10:00:00")
    validate_rotation(generate_secret(), "2026-12-04 09:00:00", "2026-12-04 10:00:00")
    site = SiteConfig(name="s", woocommerce_url="http://x/", consumer_key="k", consumer_secret="c",
                      webhook_secret="n" * 40, previous_webhook_secret="o" * 40, secret_rotated_at="2099-01-01 00:00:00")
    # a future date stored anyway (by hand, by import) never keeps the old secret alive
    assert site.secrets_accepted("2026-12-04 10:00:00") == ["n" * 40]


# --- failures keep their history ----------------------------------------------------------------------

def test_each_attempt_keeps_its_reason(world):
    sim, erp, enq, rt, server, site, client = world
    from shopsync.erp.errors import LockTimeout

    sim.add_customer(email="zoe@example.test", first_name="Zoé", last_name="Durand")
    sim.deliver_webhooks()
    reasons = iter(["Deadlock found when trying to get lock", "Lock wait timeout exceeded"])

    def busy(doc):
        raise LockTimeout(next(reasons))

    off = erp.on("Customer", "before_insert", busy)
    # the job re-runs a lost race at once a few times; both reasons come from two separate attempts
    deliveries.RACE_RETRIES, saved = 0, deliveries.RACE_RETRIES
    try:
        enq.work()
        erp.clock.advance(minutes=1)
        deliveries.sweep(rt)
        enq.work()
    finally:
        deliveries.RACE_RETRIES = saved
    off()
    erp.clock.advance(minutes=5)
    deliveries.sweep(rt)
    enq.work()
    [entry] = entries(erp, topic="customer.created")
    assert entry["status"] == "Done"
    lines = entry["attempt_log"].splitlines()
    assert len(lines) == 2 and "Deadlock" in lines[0] and "Lock wait timeout" in lines[1]
    assert "attempt 1" in lines[0] and "attempt 2" in lines[1]


def test_the_stock_flag_of_a_dead_job_expires_by_the_codes_own_time_to_live(redis_url):
    from shopsync.sync import stock

    conn = redis.Redis.from_url(redis_url)
    pending = stock.PendingStock(conn)
    assert pending.add("fr", ["A"])
    ttl = conn.ttl(pending.scheduled_key("fr"))
    assert 0 < ttl <= stock.SCHEDULED_TTL  # never a flag that only a human can clear
    short = stock.PendingStock(conn, ttl=1)
    assert short.add("de", ["A"])
    time.sleep(1.3)  # the worker died: nothing released the flag
    assert short.add("de", ["B"]) is not None
