"""The whole path of issue 3 against the simulator: a site's webhooks made in the shop, signed
deliveries over HTTP to the endpoint, jobs on a real Redis run by real RQ workers, the log.
Also: repeats, reordering, forgeries, a worker that dies mid-job, webhooks disabled by the shop."""

from __future__ import annotations

import json

import pytest
import redis
import requests
from rq.registry import FailedJobRegistry

from shopsync.sync import deliveries, webhooks
from shopsync.sync import runtime as runtime_mod
from shopsync.sync.site import WEBHOOK_TOPICS
from shopsync.woocommerce import WooClient
from tests.erp_stand_in import MemoryERP
from tests.support.intake_server import IntakeServer
from tests.support.rq_runtime import RQEnqueuer, make_runtime
from tests.support.sites import add_site, record_webhooks
from tests.woosim import WooSim

LOG = "WooCommerce Webhook Log"
N = len(WEBHOOK_TOPICS)


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
    yield sim, erp, enq, rt, server, site, client
    server.stop()
    sim.stop()
    runtime_mod.install(None)


def shop_deliveries(sim, topic):
    """What the shop sent for a topic: (raw body, headers), oldest first."""
    out = []
    for d in sim.webhook_log:
        headers = dict(d["headers"])
        if d["kind"] == "delivery" and headers.get("X-WC-Webhook-Topic") == topic:
            out.append((d["body"].encode(), headers))
    return out


def entries(erp, **filters):
    return erp.find(LOG, filters, fields=("*",), order_by="received_at asc")


def test_saving_a_site_makes_its_webhooks_once_pauses_and_deletes_them(world):
    sim, erp, enq, rt, server, site, client = world
    first = webhooks.ensure_webhooks(site, client)
    hooks = [w for w in client.list_webhooks() if w["delivery_url"] == site.endpoint_url]
    assert sorted(w["topic"] for w in hooks) == sorted(WEBHOOK_TOPICS)
    # WooCommerce pinged the endpoint for each one and got exactly 200: no ping left pending
    pings = [d for d in sim.webhook_log if d["kind"] == "ping"]
    assert len(pings) == N and all(d.get("status_code") == 200 for d in pings), pings
    assert {w["status"] for w in hooks} == {"active"} and len(first.actions) == N
    site = record_webhooks(erp, site.name, first)
    assert webhooks.ensure_webhooks(site, client).actions == []  # saving again: nothing changes
    assert len(client.list_webhooks()) == N

    site.enabled = False
    webhooks.ensure_webhooks(site, client)
    assert {w["status"] for w in client.list_webhooks()} == {"paused"}
    webhooks.delete_webhooks(site, client)
    assert client.list_webhooks() == []


def test_two_sites_on_one_shop_keep_their_own_webhooks(world):
    sim, erp, enq, rt, server, site, client = world
    other = add_site(erp, "shop2", sim.url, "ck_test", "cs_test", server.endpoint("shop2"))
    webhooks.ensure_webhooks(site, client)
    webhooks.ensure_webhooks(other, client)
    webhooks.delete_webhooks(other, client)
    left = client.list_webhooks()
    assert len(left) == N and {w["delivery_url"] for w in left} == {site.endpoint_url}


def test_the_hourly_health_check_reactivates_and_recreates(world):
    sim, erp, enq, rt, server, site, client = world
    site = record_webhooks(erp, site.name, webhooks.ensure_webhooks(site, client))
    hooks = {w["topic"]: w for w in client.list_webhooks()}
    # the endpoint fails: WooCommerce disables the webhook on the 7th failed delivery in a row
    server.down = True
    for i in range(7):
        sim.update_customer(2, first_name=f"Éloïse{i}")
        sim.deliver_webhooks()
    server.down = False
    assert client.get_webhook(hooks["customer.updated"]["id"])["status"] == "disabled"
    client.delete_webhook(hooks["order.deleted"]["id"])
    report = webhooks.ensure_webhooks(site, client)
    assert any("disabled -> active" in a for a in report.actions)
    assert any("created" in a and "order.deleted" in a for a in report.actions)
    assert {w["status"] for w in client.list_webhooks()} == {"active"} and len(client.list_webhooks()) == N


def test_deliveries_become_erp_documents_once_whatever_repeats_and_forgeries(world):
    sim, erp, enq, rt, server, site, client = world
    webhooks.ensure_webhooks(site, client)
    order = sim.add_order(status="processing", customer_id=3, line_items=[{"product_id": 11, "quantity": 2}])
    sent = sim.deliver_webhooks()
    assert sent and all(r["status_code"] == 200 for r in sent), sent
    enq.work()
    done = entries(erp, resource="order", resource_id=order["id"])
    assert done and {e["status"] for e in done} <= {"Done", "Skipped"} and "Done" in {e["status"] for e in done}
    [link] = erp.find("WooCommerce Link", {"site": "shop1", "link_type": "Order", "woo_id": order["id"]}, fields=("erp_name",))
    so = erp.get("Sales Order", link["erp_name"])
    assert f"{so['grand_total']:.2f}" == order["total"]

    # the shop's exact delivery sent again (a replay, or a repeat): 200, not stored, not run again
    body, headers = shop_deliveries(sim, "order.updated")[-1]
    again = requests.post(site.endpoint_url, data=body, headers=headers, timeout=10)
    assert again.status_code == 200 and "duplicate" in again.text
    # a forgery: the same delivery, its total altered
    forged = body.replace(order["total"].encode(), b"0.01")
    assert forged != body
    assert requests.post(site.endpoint_url, data=forged, headers=headers, timeout=10).status_code == 401
    enq.work()
    assert len(erp.find("Sales Order", {"po_no": ("like", f"{order['number']}%")})) == 1


def test_an_older_delivery_arriving_last_is_skipped_as_stale(world):
    sim, erp, enq, rt, server, site, client = world
    webhooks.ensure_webhooks(site, client)
    order = sim.add_order(status="processing", customer_id=3, line_items=[{"product_id": 11, "quantity": 1}])
    sim.deliver_webhooks()
    old_body, old_headers = shop_deliveries(sim, "order.updated")[-1]
    sim.advance_clock(60)
    sim.update_order(order["id"], status="completed")
    sim.deliver_webhooks()
    enq.work()
    # the old state arrives again after the new one, from a slow proxy: kept, never applied
    stale_body = json.loads(old_body)
    stale_body["meta_data"] = stale_body.get("meta_data", []) + [{"id": 1, "key": "_resend", "value": "1"}]
    raw = json.dumps(stale_body).encode()
    from shopsync.woocommerce.signature import sign

    headers = dict(old_headers, **{"X-WC-Webhook-Signature": sign(site.webhook_secret, raw)})
    assert requests.post(site.endpoint_url, data=raw, headers=headers, timeout=10).status_code == 200
    enq.work()
    last = entries(erp, resource="order", resource_id=order["id"])[-1]
    assert last["status"] == "Skipped" and "stale" in (last["outcome"] or "").lower()
    [link] = erp.find("WooCommerce Link", {"site": "shop1", "link_type": "Order", "woo_id": order["id"]}, fields=("erp_name",))
    assert erp.get("Sales Order", link["erp_name"])["docstatus"] == 1


class WorkerKilled(BaseException):
    """Stands for the worker process dying (OOM, SIGKILL) in the middle of a job."""


def order_whose_worker_dies(world, after_commit=False):
    """A new order delivered to the endpoint, and a worker that dies when its Sales Order is
    submitted (``after_commit``: right after the order's transaction committed). Returns the order
    and how to make the worker live again."""
    sim, erp, enq, rt, server, site, client = world
    webhooks.ensure_webhooks(site, client)
    order = sim.add_order(status="processing", customer_id=4, line_items=[{"product_id": 13, "quantity": 1}])

    def die(doc):
        raise WorkerKilled()

    off = erp.on("Sales Order", "on_submit", die, after_commit=after_commit)
    sim.deliver_webhooks()
    return order, off


def test_a_worker_dying_mid_job_leaves_nothing_half_done_and_the_job_runs_again(world):
    sim, erp, enq, rt, server, site, client = world
    order, off = order_whose_worker_dies(world)
    enq.work()  # RQ records the job as failed, as it does for a work horse that died
    off()
    assert FailedJobRegistry(queue=enq.queue).count == 1
    # the job died after the customer, address and Sales Order were written: none of it landed
    assert erp.find("Sales Order", {"po_no": ("like", f"{order['number']}%")}) == []
    assert erp.find("WooCommerce Link", {"link_type": "Order", "woo_id": order["id"]}) == []
    # the entry is as it was, Queued: nothing of the attempt was written, and nothing is lost
    [stuck] = entries(erp, resource="order", resource_id=order["id"])
    assert stuck["status"] == "Queued" and not stuck["attempts"]
    # the sweeper, a minute on, finds it waiting with no job behind it and queues it again
    erp.clock.advance(minutes=2)
    assert deliveries.sweep(rt) >= 1
    enq.work()
    sos = erp.find("Sales Order", {"po_no": ("like", f"{order['number']}%")}, fields=("name", "grand_total"))
    assert len(sos) == 1 and f"{sos[0]['grand_total']:.2f}" == order["total"]
    [entry] = entries(erp, resource="order", resource_id=order["id"])
    # the stopped attempt is counted, and said on the entry
    assert entry["status"] == "Done" and entry["attempts"] == 2
    assert "attempt 1: The worker stopped during the job" in entry["attempt_log"]


def test_the_sales_order_and_its_entrys_done_land_in_one_commit(world):
    """A worker stopped right after the order's transaction committed (say, in what runs after the
    commit) leaves the entry Done beside its Sales Order: not queued to run a second time."""
    sim, erp, enq, rt, server, site, client = world
    order, off = order_whose_worker_dies(world, after_commit=True)
    enq.work()
    off()
    sos = erp.find("Sales Order", {"po_no": ("like", f"{order['number']}%")}, fields=("name",))
    [entry] = entries(erp, resource="order", resource_id=order["id"])
    assert len(sos) == 1
    assert entry["status"] == "Done" and sos[0]["name"] in entry["outcome"] and entry["attempts"] == 1
    erp.clock.advance(minutes=30)
    assert deliveries.sweep(rt) == 0


def test_a_delivery_that_kills_its_worker_every_time_ends_failed_instead_of_looping(world):
    sim, erp, enq, rt, server, site, client = world
    order, off = order_whose_worker_dies(world)
    runs = 0
    for _ in range(10):
        runs += enq.work()
        erp.clock.advance(minutes=2)
        if not deliveries.sweep(rt):
            break
    off()
    # five attempts died with their worker; the sixth job did not run the delivery again
    assert runs > deliveries.MAX_ATTEMPTS
    [entry] = entries(erp, resource="order", resource_id=order["id"])
    assert entry["status"] == "Failed" and entry["attempts"] == deliveries.MAX_ATTEMPTS + 1
    assert "5 times in a row" in entry["error"] and entry["attempt_log"].count("The worker stopped") == 5
    assert entry["outcome_code"] == "worker_stopped_again" and json.loads(entry["outcome_args"]) == ["5"]
    assert erp.find("Sales Order", {"po_no": ("like", f"{order['number']}%")}) == []
    # nothing is queued again, and Retry runs it once more, now that the cause is gone
    erp.clock.advance(minutes=30)
    assert deliveries.sweep(rt) == 0
    assert deliveries.retry(rt, [entry["name"]]).queued == [entry["name"]]
    enq.work()
    [entry] = entries(erp, resource="order", resource_id=order["id"])
    assert entry["status"] == "Done" and entry["attempts"] == 1


def test_a_transient_failure_is_retried_with_backoff_then_done(world):
    sim, erp, enq, rt, server, site, client = world
    webhooks.ensure_webhooks(site, client)
    sim.add_customer(email="zoe@example.test", first_name="Zoé", last_name="Durand")
    sim.deliver_webhooks()

    def busy(doc):
        from shopsync.erp.errors import LockTimeout

        raise LockTimeout("Lock wait timeout exceeded")

    off = erp.on("Customer", "before_insert", busy)
    enq.work()
    [entry] = [e for e in entries(erp, resource="customer") if e["topic"] == "customer.created"]
    assert entry["status"] == "Queued" and entry["attempts"] == 1 and entry["next_attempt_at"]
    assert "Lock wait timeout" in entry["error"]
    off()
    assert deliveries.sweep(rt) == 0  # not due yet
    erp.clock.advance(minutes=1)
    assert deliveries.sweep(rt) >= 1
    enq.work()
    assert erp.get(LOG, entry["name"])["status"] == "Done"
    assert erp.find("Customer", {"customer_name": "Zoé Durand"})


def test_failed_entries_keep_their_payload_and_retry_runs_them_again(world):
    sim, erp, enq, rt, server, site, client = world
    webhooks.ensure_webhooks(site, client)
    with erp.transaction():
        erp.insert({"doctype": "WooCommerce Blacklist Entry", "site": "shop1", "woo_id": 14})
    order = sim.add_order(status="processing", customer_id=3, line_items=[{"product_id": 14, "quantity": 1}])
    sim.deliver_webhooks()
    enq.work()
    failed = [e for e in entries(erp, resource="order", resource_id=order["id"]) if e["status"] == "Failed"]
    assert failed and "blacklist" in failed[0]["error"].lower()
    assert json.loads(failed[0]["payload"])["id"] == order["id"]
    with erp.transaction():
        erp.delete("WooCommerce Blacklist Entry", erp.find("WooCommerce Blacklist Entry", {"site": "shop1"})[0]["name"])
    assert len(deliveries.retry(rt, [e["name"] for e in failed]).queued) == len(failed)
    enq.work()
    assert erp.get(LOG, failed[0]["name"])["status"] in ("Done", "Skipped")
    assert len(erp.find("Sales Order", {"po_no": ("like", f"{order['number']}%")})) == 1


def test_rotating_the_secret_rewrites_the_shops_webhooks_and_the_old_one_stops_working(world):
    sim, erp, enq, rt, server, site, client = world
    webhooks.ensure_webhooks(site, client)
    from shopsync.woocommerce.signature import generate_secret

    old_secret = site.webhook_secret
    new_secret = generate_secret()
    with erp.transaction():
        erp.update("WooCommerce Site", "shop1", {"webhook_secret": new_secret})
    site = rt.load_site("shop1")
    report = webhooks.ensure_webhooks(site, client, rotate_secret=True)
    assert sum("new secret" in a for a in report.actions) == N
    sim.add_customer(email="nina@example.test", first_name="Nina", last_name="Rossi")
    sent = sim.deliver_webhooks()
    assert sent and all(r["status_code"] == 200 for r in sent)  # signed with the new secret
    body, headers = shop_deliveries(sim, "customer.created")[-1]
    from shopsync.woocommerce.signature import sign

    replay = dict(headers, **{"X-WC-Webhook-Signature": sign(old_secret, body)})
    assert requests.post(site.endpoint_url, data=body, headers=replay, timeout=10).status_code == 401


def test_an_order_failing_for_a_reason_that_may_pass_is_queued_again_not_failed(world):
    """The shop does not answer for a product of the order: retried with backoff, then done."""
    sim, erp, enq, rt, server, site, client = world
    webhooks.ensure_webhooks(site, client)
    order = sim.add_order(status="processing", customer_id=3, line_items=[{"product_id": 16, "quantity": 1}])
    sim.deliver_webhooks()
    sim.faults.add("503", count=200, path="/wp-json/wc/v3/products")  # the product lookups fail
    enq.work()
    entry = [e for e in entries(erp, resource="order", resource_id=order["id"]) if e["status"] != "Skipped"][0]
    assert entry["status"] == "Queued" and entry["next_attempt_at"], entry
    # the order's own words, as the log entry and its attempts keep them
    assert entry["error"].startswith("the shop did not answer for product 16") and entry["error"] in entry["attempt_log"]
    sim.faults.clear()
    erp.clock.advance(minutes=1)
    deliveries.sweep(rt)
    enq.work()
    done = erp.get(LOG, entry["name"])
    assert done["status"] == "Done" and done["outcome"].startswith("created: Sales Order") and not done.get("error")


def test_an_order_trashed_in_the_shop_stays_cancelled_whatever_order_its_deliveries_take(world):
    sim, erp, enq, rt, server, site, client = world
    webhooks.ensure_webhooks(site, client)
    order = sim.add_order(status="processing", customer_id=3, line_items=[{"product_id": 11, "quantity": 1}])
    sim.deliver_webhooks()
    enq.work()
    # the delete's delivery and an older update's arrive together, the update last
    from shopsync.woocommerce.signature import sign

    client.delete(f"orders/{order['id']}")  # trashed in the shop (its own delivery is not sent)

    update_body, update_headers = shop_deliveries(sim, "order.updated")[-1]
    delete_body = json.dumps({"id": order["id"]}).encode()
    [hook] = [w for w in client.list_webhooks() if w["topic"] == "order.deleted" and w["delivery_url"] == site.endpoint_url]
    delete_headers = dict(update_headers, **{"X-WC-Webhook-Topic": "order.deleted", "X-WC-Webhook-Event": "deleted",
                                             "X-WC-Webhook-ID": str(hook["id"]),
                                             "X-WC-Webhook-Signature": sign(site.webhook_secret, delete_body)})
    again = json.loads(update_body)
    again["customer_note"] = "sent again by a slow proxy"
    raw = json.dumps(again).encode()
    update_headers = dict(update_headers, **{"X-WC-Webhook-Signature": sign(site.webhook_secret, raw)})
    enq.down = True  # both are stored before the job runs
    assert requests.post(site.endpoint_url, data=delete_body, headers=delete_headers, timeout=10).status_code == 200
    assert requests.post(site.endpoint_url, data=raw, headers=update_headers, timeout=10).status_code == 200
    enq.down = False
    deliveries.process_resource(rt, "shop1", "order", order["id"])
    [link] = erp.find("WooCommerce Link", {"site": "shop1", "link_type": "Order", "woo_id": order["id"]}, fields=("erp_name",))
    assert erp.get("Sales Order", link["erp_name"])["docstatus"] == 2, [(e["topic"], e["status"], e.get("outcome"), e.get("error")) for e in entries(erp, resource="order", resource_id=order["id"])]
