"""No echo jobs (issue 13): what the engine writes itself queues no product push, a burst of Item
saves is one push job per site, and an order never waits behind product or stock work.

Real Redis and real RQ (tests/support/rq_runtime, one RQ queue per Frappe queue name, worked in a
plain Frappe worker's order: short, default, long), the WooCommerce simulator over HTTP and the
ERP stand-in, whose Item and Item Price hooks are wired the way shopsync/events.py wires Frappe's:
note inline (ItemEvents.record), flush after the commit.
"""

from __future__ import annotations

import json

import redis
import pytest
from rq.registry import FinishedJobRegistry

from shopsync.sync import products as P
from shopsync.sync.links import LINK_DOCTYPE
from shopsync.sync.products.pending import ItemEvents, PendingProducts
from shopsync.sync.runtime import install
from shopsync.woocommerce import WooClient
from tests.erp_stand_in import MemoryERP
from tests.support.rq_runtime import RQEnqueuer, make_runtime
from tests.support.sites import add_site
from tests.woosim import WooSim


@pytest.fixture
def sim():
    s = WooSim().start()
    s.seed(products=12, variable_products=1, customers=0, orders=0)
    yield s
    s.stop()


@pytest.fixture
def world(sim, redis_url):
    erp = MemoryERP.with_test_shop()
    erp.ignore_links_on_delete.add(LINK_DOCTYPE)
    site = add_site(erp, "shop1", sim.url, "ck_test", "cs_test")
    conn = redis.Redis.from_url(redis_url)
    enq = RQEnqueuer(conn, queue_name="noecho", by_name=True)
    rt = make_runtime(erp, enq, client_for=lambda s: WooClient(s.woocommerce_url, s.consumer_key, s.consumer_secret))
    pending = PendingProducts(conn)
    events = ItemEvents()

    def note(doc):  # shopsync.events.item_changed
        if events.record(doc["name"]):
            pass

    def note_price(doc):  # shopsync.events.item_price_changed
        if doc.get("selling", 1):
            events.record(doc["item_code"])

    def flush(_doc):  # the after-commit flush (shopsync.jobs.flush_item_events)
        events.flush([rt.load_site(n) for n in rt.list_sites()], pending, enq)

    for dt, cb in (("Item", note), ("Item Price", note_price)):
        erp.on(dt, "on_update", cb)
        erp.on(dt, "on_update", flush, after_commit=True)
    yield erp, site, enq, pending
    install(None)


def queued(enq):
    return {name: q.count for name, q in enq.queues.items()}


def test_a_first_sync_queues_no_push_job_and_a_burst_of_saves_is_one_job_that_pushes_them_all(world, sim):
    erp, site, enq, pending = world
    client = WooClient(sim.url, "ck_test", "cs_test")
    result = P.run_first_sync(erp, site, client)
    assert len(result.created_items) == 16 and result.errors == []
    # before: 2 push_item jobs per new Item (the Item and its price); now none at all
    assert sum(queued(enq).values()) == 0 and pending.size("shop1") == 0

    codes = sorted(r["name"] for r in erp.find("Item", {"has_variants": 0, "variant_of": ""}))
    assert len(codes) == 12
    for n, code in enumerate(codes):  # 12 saves, 12 transactions, one after the other
        with erp.transaction():
            erp.update("Item", code, {"item_name": f"Renamed {n}"})
    assert queued(enq) == {"short": 0, "default": 1, "long": 0}
    assert pending.size("shop1") == 12
    sim.reset_request_log()
    assert enq.work() == 1
    names = {p["sku"]: p["name"] for p in client.get_all("products") if p.get("sku") in codes}
    assert names == {code: f"Renamed {n}" for n, code in enumerate(codes)}
    assert pending.size("shop1") == 0 and pending.holder("shop1") is None
    client.close()


def test_an_order_queued_after_fifty_pushes_runs_before_them(world, sim):
    """A plain worker (short, default, long) takes the order's job first: orders go on short,
    product and stock pushes on default."""
    from shopsync.sync import intake
    from shopsync.sync.runtime import current

    erp, site, enq, pending = world
    for n in range(50):
        enq(P.pending.JOB_METHOD if n % 2 else "shopsync.sync.stock.run_stock_job", job_id=f"push-{n}",
            queue="default", site_name="shop1", token=f"t{n}")
    intake.queue_resource(current(), "shop1", "order", 4242)
    assert queued(enq) == {"short": 1, "default": 50, "long": 0}
    enq.work(max_jobs=1)
    finished = FinishedJobRegistry(queue=enq.queues["short"]).get_job_ids()
    failed = enq.queues["short"].failed_job_registry.get_job_ids()
    assert finished + failed == [intake.job_id("shop1", "order", 4242)]
    assert queued(enq)["default"] == 50  # not one push ran before it


def test_the_echo_of_a_stock_push_costs_no_job_and_a_real_change_still_does(sim, redis_url):
    """The shop delivers product.updated for every quantity pushed: the intake recognises the
    body as what the push wrote (shopsync.sync.echoes) and keeps nothing; the same product
    changed in the shop afterwards is stored and queued as ever."""
    from shopsync.sync import intake, stock
    from shopsync.sync.echoes import EchoMemory
    from tests.support.sites import know_webhooks
    from tests.test_stock_push import receive
    from tests.woosim.receiver import WebhookReceiver

    erp = MemoryERP.with_test_shop()
    conn = redis.Redis.from_url(redis_url)
    enq = RQEnqueuer(conn, queue_name="echo", by_name=True)
    rt = make_runtime(erp, enq, client_for=lambda s: WooClient(s.woocommerce_url, s.consumer_key, s.consumer_secret))
    rt.echoes = EchoMemory(conn, namespace="echo-test")
    site = add_site(erp, "shop1", sim.url, "ck_test", "cs_test", stock_set_up=1)
    with WebhookReceiver() as receiver:
        hook = sim.add_webhook("product.updated", f"{receiver.url}/hook", secret=site.webhook_secret, ping=False)
        site = know_webhooks(erp, "shop1", [hook])
        client = WooClient(sim.url, "ck_test", "cs_test")
        assert P.run_first_sync(erp, site, client).errors == []
        sim.deliver_webhooks()
        receiver.clear()
        codes = [r["name"] for r in erp.find("Item", {"has_variants": 0, "variant_of": ""})][:5]
        receive(erp, {code: 7 for code in codes})
        report = stock.push_stock(erp, site, client, codes, echoes=rt.echoes)
        assert len(report.pushed) == 5
        sim.deliver_webhooks()
        echoes = receiver.deliveries()
        assert len(echoes) == 5
        before = len(erp.find(intake.LOG_DOCTYPE, {}))
        answers = [intake.receive(rt, "shop1", d["body"], d["headers"]) for d in echoes]
        assert [(a.status, a.message) for a in answers] == [(200, "echo of shopsync's own push: not kept")] * 5
        assert len(erp.find(intake.LOG_DOCTYPE, {})) == before and sum(queued(enq).values()) == 0

        # a genuine change in the shop of one of those products: stored and queued
        receiver.clear()
        pid = int(json.loads(echoes[0]["body"])["id"])
        client.put(f"products/{pid}", {"name": "Renamed in the shop"})
        sim.deliver_webhooks()
        [change] = receiver.deliveries()
        answer = intake.receive(rt, "shop1", change["body"], change["headers"])
        assert (answer.status, answer.message) == (200, "queued")
        assert queued(enq) == {"short": 0, "default": 1, "long": 0}
        # and a quantity changed in the shop only (someone sold one): not an echo either
        receiver.clear()
        client.put(f"products/{pid}", {"stock_quantity": 6})
        sim.deliver_webhooks()
        [sold] = receiver.deliveries()
        assert intake.receive(rt, "shop1", sold["body"], sold["headers"]).message != "echo of shopsync's own push: not kept"
        client.close()
    install(None)


def test_the_echoes_of_product_and_price_pushes_cost_no_job_and_a_real_change_still_does(sim, redis_url):
    """An Item renamed, a selling price changed, a variation's price changed: each push's
    product.updated echo (and the variable parent WooCommerce saves after its variation) is
    answered without a log entry or a job; the same product then changed in the shop is queued."""
    from shopsync.sync import intake
    from shopsync.sync.echoes import EchoMemory
    from tests.support.sites import know_webhooks
    from tests.woosim.receiver import WebhookReceiver

    echo = (200, "echo of shopsync's own push: not kept")
    erp = MemoryERP.with_test_shop()
    conn = redis.Redis.from_url(redis_url)
    enq = RQEnqueuer(conn, queue_name="pecho", by_name=True)
    rt = make_runtime(erp, enq, client_for=lambda s: WooClient(s.woocommerce_url, s.consumer_key, s.consumer_secret))
    rt.echoes = EchoMemory(conn, namespace="product-echo-test")
    site = add_site(erp, "shop1", sim.url, "ck_test", "cs_test")
    with WebhookReceiver() as receiver:
        hook = sim.add_webhook("product.updated", f"{receiver.url}/hook", secret=site.webhook_secret, ping=False)
        site = know_webhooks(erp, "shop1", [hook])
        client = WooClient(sim.url, "ck_test", "cs_test")
        assert P.run_first_sync(erp, site, client).errors == []
        sim.deliver_webhooks()
        receiver.clear()

        def deliveries_after(change):
            receiver.clear()
            with erp.transaction():
                change()
            return receiver

        simple = sorted(r["name"] for r in erp.find("Item", {"has_variants": 0, "variant_of": ""}))[0]
        variant = sorted(r["name"] for r in erp.find("Item", {"variant_of": ("!=", "")}))[0]
        price = {r["item_code"]: r["name"] for r in erp.find("Item Price", {"selling": 1}, fields=("name", "item_code"))}
        with erp.transaction():
            erp.update("Item", simple, {"item_name": "Renamed in the ERP"})
        assert P.push_item(erp, site, client, simple).updated_products
        with erp.transaction():
            erp.update("Item Price", price[variant], {"price_list_rate": 71})
        assert P.push_item(erp, site, client, variant).updated_products
        parent_id = int(next(link["woo_id"] for link in erp.find(LINK_DOCTYPE, {"erp_name": variant}, fields=("woo_id",))))
        with sim.lock:  # WooCommerce saves the variable parent after its variation (its price range)
            sim.state.emit("product", "updated", parent_id)
        sim.deliver_webhooks()
        bodies = [json.loads(d["body"]) for d in receiver.deliveries()]
        assert sorted(b.get("type") for b in bodies) == ["simple", "variable", "variation"]
        assert next(b for b in bodies if b["type"] == "variation")["regular_price"] == "71.00"
        before = len(erp.find(intake.LOG_DOCTYPE, {}))
        answers = [intake.receive(rt, "shop1", d["body"], d["headers"]) for d in receiver.deliveries()]
        assert [(a.status, a.message) for a in answers] == [echo] * 3
        assert len(erp.find(intake.LOG_DOCTYPE, {})) == before and sum(queued(enq).values()) == 0

        # the same products changed in the shop afterwards: each one stored and queued
        receiver.clear()
        simple_id = next(b["id"] for b in bodies if b["type"] == "simple")
        client.put(f"products/{simple_id}", {"regular_price": "1.00"})
        client.put(f"products/{parent_id}", {"name": "Parent renamed in the shop"})
        sim.deliver_webhooks()
        answers = [intake.receive(rt, "shop1", d["body"], d["headers"]) for d in receiver.deliveries()]
        assert [(a.status, a.message) for a in answers] == [(200, "queued")] * 2
        assert queued(enq)["default"] == 2
        client.close()
    install(None)


def test_a_variation_answered_in_one_shape_and_delivered_in_another_is_known_by_its_own_fields():
    """Real captures (WooCommerce 9.9.5): a variation as ``variations/batch`` answers it and the
    ``product.updated`` delivery of a variation, in the products' shape (name "Parent - M", tax class
    "" for "parent", ``images`` for ``image``). The answer given the delivered variation's own
    values is its echo; a quantity or a price of its own changed since is not."""
    import pathlib

    from shopsync.sync.echoes import fingerprint

    captures = pathlib.Path(__file__).parent / "captures" / "woocommerce"
    delivered = json.loads(json.loads((captures / "webhooks" / "product_updated_variation_stock.json")
                                      .read_text(encoding="utf-8"))["body_raw"])
    answered = json.loads((captures / "create_variation_S.json").read_text(encoding="utf-8"))["response"]["body"]
    assert delivered["type"] == answered["type"] == "variation" and delivered["parent_id"] == answered["parent_id"]
    # the capture's answer is variation S (41), its delivery variation M (42): the same object
    # once the answer carries M's own values (what differs between two sizes)
    same = {**answered, **{k: delivered[k] for k in ("id", "sku", "stock_quantity", "attributes", "permalink",
                                                      "date_created", "date_created_gmt", "date_modified",
                                                      "date_modified_gmt")}}
    assert fingerprint(same) == fingerprint(delivered)
    assert fingerprint({**same, "stock_quantity": delivered["stock_quantity"] - 1}) != fingerprint(delivered)
    assert fingerprint({**same, "regular_price": "1.00"}) != fingerprint(delivered)
