"""The whole path of an order: the shop's signed webhook, the intake and its log, a real RQ worker
on a real Redis, the order engine; and the catch-up that repairs what an intake outage lost."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import redis

from shopsync.sync import catchup
from shopsync.sync import runtime as runtime_mod
from shopsync.sync.links import LINK_DOCTYPE
from shopsync.woocommerce import WooClient
from tests.erp_stand_in import MemoryERP
from tests.support.intake_server import IntakeServer
from tests.support.rq_runtime import RQEnqueuer, make_runtime
from tests.support.sites import add_site, know_webhooks
from tests.woosim import WooSim


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
def wired(erp, sim, redis_url):
    site = add_site(erp, "shop1", sim.url, "ck_test", "cs_test", freight_account="Shipping Income - TS",
                    tax_rates=[{"woo_rate_id": 1, "label": "TVA 20%", "account": "TVA 20% - TS"}])
    enq = RQEnqueuer(redis.Redis.from_url(redis_url))
    rt = make_runtime(erp, enq, client_for=lambda s: WooClient(s.woocommerce_url, s.consumer_key, s.consumer_secret))
    servers = [IntakeServer(rt).start()]
    secret = erp.get("WooCommerce Site", "shop1")["webhook_secret"]
    made = [sim.add_webhook(topic, servers[0].endpoint("shop1"), secret=secret, ping=False)
            for topic in ("order.created", "order.updated", "order.deleted")]
    know_webhooks(erp, "shop1", made)
    hooks = [h["id"] for h in made]

    def restart():
        """The intake back up (on another port: the shop's webhooks are pointed at it)."""
        servers.append(IntakeServer(rt).start())
        for hook in hooks:
            sim.update_webhook(hook, delivery_url=servers[-1].endpoint("shop1"))

    yield site, enq, servers[0], restart
    for server in servers:
        server.stop()
    runtime_mod.install(None)


def place(sim, product_id=10, status="processing"):
    sim.advance_clock(2)
    return sim.add_order(status=status, line_items=[{"product_id": product_id, "quantity": 2}],
                         shipping_lines=[{"method_id": "flat_rate", "method_title": "Colissimo", "total": "5.90"}],
                         billing={"first_name": "Zoé", "last_name": "Lefèvre", "email": "zoe@example.test",
                                  "address_1": "1 rue Haute", "city": "Lille", "postcode": "59000", "country": "FR"})


def sales_orders(erp):
    return erp.find("Sales Order", None, fields=("name", "po_no", "grand_total", "docstatus"))


def test_an_order_webhook_becomes_one_sales_order_then_follows_its_status(erp, sim, wired):
    site, enq, _, _ = wired
    order = place(sim)
    sent = sim.deliver_webhooks()
    assert sent and all(d.get("status_code") == 200 for d in sent), sent
    enq.work()
    (so,) = sales_orders(erp)
    assert so["po_no"] == str(order["id"]) and Decimal(str(so["grand_total"])) == Decimal(order["total"])
    assert so["docstatus"] == 1
    statuses = {e["status"] for e in erp.find("WooCommerce Webhook Log", {"resource": "order"}, fields=("status",))}
    assert statuses <= {"Done", "Skipped"} and "Done" in statuses
    # cancelled in the shop: the Sales Order follows
    sim.advance_clock(2)
    sim.update_order(order["id"], status="cancelled")
    sim.deliver_webhooks()
    enq.work()
    (so,) = sales_orders(erp)
    assert so["docstatus"] == 2


def test_orders_placed_while_the_intake_is_down_arrive_once_after_the_catch_up(erp, sim, wired):
    site, enq, server, restart = wired
    sim.advance_clock(5)  # the cursor: the shop's present, after the seeded orders
    site.orders_cursor = dt.datetime.fromtimestamp(sim.now(), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    first = place(sim)
    sim.deliver_webhooks()
    enq.work()
    server.stop()  # the intake goes down; WooCommerce sends each delivery once and never again
    lost = [place(sim, 11), place(sim, 12, status="on-hold"), place(sim, 13, status="completed")]
    failed = sim.deliver_webhooks()
    assert failed and all(d.get("status_code") != 200 for d in failed)
    assert len(sales_orders(erp)) == 1
    restart()
    client = WooClient(sim.url, "ck_test", "cs_test")
    saved = []
    summary = catchup.catch_up_orders(erp, site, client, save_cursor=saved.append)
    assert summary.created == 3 and not summary.failed, summary
    assert sorted(so["po_no"] for so in sales_orders(erp)) == sorted(str(o["id"]) for o in [first, *lost])
    assert saved[-1] == sim.get(f"orders/{lost[-1]['id']}")["date_modified_gmt"]
    # the shop keeps delivering later events for those orders: still one Sales Order each
    sim.advance_clock(2)
    sim.update_order(lost[0]["id"], status="completed")
    sim.deliver_webhooks()
    enq.work()
    assert len(sales_orders(erp)) == 4
