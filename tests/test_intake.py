"""The intake: what the endpoint answers and keeps, before any job runs (issue 3)."""

from __future__ import annotations

import json

import pytest

from shopsync.sync import deliveries, intake
from shopsync.woocommerce.signature import sign
from tests.erp_stand_in import MemoryERP
from tests.support.rq_runtime import RQEnqueuer, make_runtime
from tests.support.sites import add_site

LOG = "WooCommerce Webhook Log"


@pytest.fixture
def env(redis_url):
    import redis

    erp = MemoryERP.with_test_shop()
    enq = RQEnqueuer(redis.Redis.from_url(redis_url))
    rt = make_runtime(erp, enq, client_for=lambda site: None)
    a = add_site(erp, "shop-a", "http://127.0.0.1:1/", "ck_a", "cs_a", "http://erp/api/method/shopsync.api.webhook?site=shop-a")
    b = add_site(erp, "shop-b", "http://127.0.0.1:2/", "ck_b", "cs_b", "http://erp/api/method/shopsync.api.webhook?site=shop-b")
    yield erp, enq, rt, a, b


def headers(secret, body, topic="order.updated", **extra):
    h = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": "http://127.0.0.1:8080/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": topic.split(".")[0],
        "X-WC-Webhook-Event": topic.split(".")[1],
        "X-WC-Webhook-ID": "3",
        "X-WC-Webhook-Delivery-ID": "0" * 32,
    }
    if secret is not None:
        h["X-WC-Webhook-Signature"] = sign(secret, body)
    h.update(extra)
    return h


def order_body(order_id=45, modified="2026-11-23T00:19:12"):
    return json.dumps({"id": order_id, "status": "processing", "date_modified_gmt": modified, "total": "10.00",
                       "order_key": f"wc_order_{order_id}", "line_items": [], "billing": {}}).encode()


def logs(erp, **filters):
    return erp.find(LOG, filters, fields=("*",))


def test_unknown_site_answers_as_a_forgery_does_and_nothing_is_kept(env):
    """A guest cannot tell an unknown site from a known one with a wrong signature."""
    erp, enq, rt, a, b = env
    body = order_body()
    unknown = intake.receive(rt, "nope", body, headers(a.webhook_secret, body))
    forged = intake.receive(rt, "shop-a", body, headers("not-the-secret", body))
    assert (unknown.status, unknown.body()) == (forged.status, forged.body()) == (401, forged.body())
    assert logs(erp) == []


def test_creation_ping_gets_exactly_200_and_only_its_exact_shape(env):
    erp, enq, rt, a, b = env
    ping = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "WooCommerce/9.9.5 Hookshot (WordPress/6.9.4)"}
    assert intake.receive(rt, "shop-a", b"webhook_id=12", ping).status == 200
    for other in (b"webhook_id=12&x=1", b"webhook_id=abc", b"{\"webhook_id\": 12}", b"webhook_id=12\n"):
        assert intake.receive(rt, "shop-a", other, ping).status == 401, other
    assert logs(erp) == []


@pytest.mark.parametrize("case", ["missing", "wrong", "other-site", "altered"])
def test_bad_signatures_are_refused_before_anything_is_kept(env, case):
    erp, enq, rt, a, b = env
    body = order_body()
    h = headers(a.webhook_secret, body)
    if case == "missing":
        del h["X-WC-Webhook-Signature"]
    elif case == "wrong":
        h["X-WC-Webhook-Signature"] = "bm90IGEgc2lnbmF0dXJl"
    elif case == "other-site":
        h = headers(b.webhook_secret, body)
    elif case == "altered":
        body = body.replace(b"10.00", b"0.01")
    answer = intake.receive(rt, "shop-a", body, h)
    assert answer.status == 401
    assert logs(erp) == [] and len(enq.queue) == 0


def test_a_good_delivery_is_logged_then_queued_once_and_a_repeat_is_not(env):
    erp, enq, rt, a, b = env
    body = order_body()
    first = intake.receive(rt, "shop-a", body, headers(a.webhook_secret, body))
    again = intake.receive(rt, "shop-a", body, headers(a.webhook_secret, body))
    assert (first.status, again.status) == (200, 200)
    assert "duplicate" in again.message
    [entry] = logs(erp)
    assert entry["status"] == "Queued" and entry["site"] == "shop-a" and entry["resource_id"] == 45
    assert json.loads(entry["payload"])["total"] == "10.00"
    assert enq.queue.count == 1
    # the same order modified later is a new delivery, for the same job (one per resource at a time)
    newer = order_body(modified="2026-11-23T00:20:00")
    assert intake.receive(rt, "shop-a", newer, headers(a.webhook_secret, newer)).status == 200
    assert len(logs(erp)) == 2 and enq.queue.count == 1


def test_the_same_order_on_two_sites_is_two_deliveries(env):
    erp, enq, rt, a, b = env
    body = order_body()
    intake.receive(rt, "shop-a", body, headers(a.webhook_secret, body))
    intake.receive(rt, "shop-b", body, headers(b.webhook_secret, body))
    assert sorted(e["site"] for e in logs(erp)) == ["shop-a", "shop-b"]


@pytest.mark.parametrize(
    "body,topic,reason",
    [
        (b'{"id": 45, "status":', "order.updated", "Malformed JSON"),
        (b'{"id": 45}', "order.exploded", "Unknown topic"),
        (b'{"status": "processing"}', "order.updated", "no id"),
        (b'[1, 2]', "order.updated", "not a JSON object"),
    ],
)
def test_bad_payloads_are_kept_as_failed_for_inspection(env, body, topic, reason):
    erp, enq, rt, a, b = env
    answer = intake.receive(rt, "shop-a", body, headers(a.webhook_secret, body, topic=topic))
    assert answer.status == 200  # WooCommerce would not send it again anyway
    [entry] = logs(erp)
    assert entry["status"] == "Failed" and reason in entry["error"]
    assert entry["payload"] == body.decode()
    assert enq.queue.count == 0


def test_a_resource_deleted_before_delivery_is_skipped_with_the_shops_words(env):
    erp, enq, rt, a, b = env
    body = b'{"code":"woocommerce_rest_product_invalid_id","message":"Invalid ID.","data":{"status":404}}'
    assert intake.receive(rt, "shop-a", body, headers(a.webhook_secret, body, topic="product.created")).status == 200
    [entry] = logs(erp)
    assert entry["status"] == "Skipped" and "woocommerce_rest_product_invalid_id" in entry["outcome"]
    assert not entry.get("error")


def test_a_body_over_the_limit_is_refused(env):
    erp, enq, rt, a, b = env
    body = b'{"id": 1, "x": "' + b"a" * intake.MAX_BODY + b'"}'
    assert intake.receive(rt, "shop-a", body, headers(a.webhook_secret, body)).status == 413
    assert logs(erp) == []


def test_queue_down_loses_nothing_the_sweeper_queues_it_later(env):
    erp, enq, rt, a, b = env
    enq.down = True
    body = order_body()
    assert intake.receive(rt, "shop-a", body, headers(a.webhook_secret, body)).status == 200
    assert logs(erp)[0]["status"] == "Queued"
    enq.down = False
    assert deliveries.sweep(rt) == 0  # too fresh: its own job may still be on the way
    erp.clock.advance(minutes=2)
    assert deliveries.sweep(rt) == 1
    assert enq.queue.count == 1


def test_a_sites_secrets_never_show_in_its_repr(env):
    erp, enq, rt, a, b = env
    text = repr(a) + str(a)
    assert a.webhook_secret not in text and a.consumer_secret not in text


def test_after_a_rotation_the_old_secret_is_accepted_for_a_day_only(env):
    erp, enq, rt, a, b = env
    from shopsync.woocommerce.signature import generate_secret

    old = a.webhook_secret
    with erp.transaction():
        erp.update("WooCommerce Site", "shop-a", {"webhook_secret": generate_secret(), "previous_webhook_secret": old,
                                                 "secret_rotated_at": erp.now()})
    body = order_body()
    assert intake.receive(rt, "shop-a", body, headers(old, body)).status == 200  # a webhook not rewritten yet
    erp.clock.advance(hours=25)
    later = order_body(order_id=46)
    assert intake.receive(rt, "shop-a", later, headers(old, later)).status == 401
    new = rt.load_site("shop-a").webhook_secret
    assert intake.receive(rt, "shop-a", later, headers(new, later)).status == 200
