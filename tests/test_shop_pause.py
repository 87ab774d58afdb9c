"""A shop that stopped answering holds no worker (shopsync.sync.shop_pause): the simulator over
real HTTP, stopped and started again, the pending set and the pause on a real Redis.

What a user would notice: while a shop is down, each stock movement no longer costs a job that
spends every retry on it (a worker busy for as long as the shop stays down); what was not sent is
said on its link and sent once the shop answers again."""

from __future__ import annotations

import redis

from shopsync.sync import stock
from shopsync.sync.shop_pause import ANSWERED_A_PUSH, FAILURES_KEY, PAUSE_KEY, ShopPause
from shopsync.woocommerce import WooClient
from tests.test_stock_pending import Recorder
from tests.test_stock_push import client, erp, link_of, receive, shop_qty, sim, site  # noqa: F401 - fixtures


def conn(url):
    return redis.Redis.from_url(url)


def queued(pending, codes):
    enqueue = Recorder()
    pending.add_and_schedule("shop1", codes, enqueue)
    return enqueue.jobs[0]["token"] if enqueue.jobs else ""


def attempts(caplog):
    """The adapter's retries, as the worker's log shows them."""
    return sum(1 for r in caplog.records if "retrying in" in r.getMessage())


def test_a_shop_down_costs_one_job_its_retries_then_nothing_until_it_answers_again(erp, site, sim, redis_url, caplog):
    pending, pause = stock.PendingStock(conn(redis_url)), ShopPause(conn(redis_url))
    retrying = WooClient(sim.url, "ck_test", "cs_test", max_retries=3, backoff=0.01, max_retry_seconds=2, timeout=5)
    receive(erp, {"RW-S-001": 4})
    sim.stop()  # nothing listens any more

    first = stock.run_pending(erp, site, retrying, pending, token=queued(pending, ["RW-S-001"]), pause=pause)
    assert first.failed and first.not_sent == ["RW-S-001"] and first.unreachable
    spent = attempts(caplog)
    assert spent == 3  # every retry spent on the dead shop, once
    assert pause.paused("shop1").startswith("until ")
    # the site's form says so: not connected, in the adapter's words
    status = erp.get("WooCommerce Site", "shop1")
    assert not status["connection_ok"] and status["connection_status"].startswith("Could not talk to the shop")

    # the next movements while the shop is down: no attempt at all, said on the item's link
    receive(erp, {"RW-S-002": 6})
    second = stock.run_pending(erp, site, retrying, pending, token=queued(pending, ["RW-S-002"]), pause=pause)
    assert attempts(caplog) == spent
    assert second.not_sent == ["RW-S-002"] and not second.unreachable
    error = link_of(erp, site, "RW-S-002")["last_error"]
    assert error.startswith(stock.ERROR_PREFIX) and "pause" in error, error
    assert not link_of(erp, site, "RW-S-002").get("last_pushed_at")

    # the shop is back and the pause over (its key expires): the next push reaches it and ends
    # the count of failures; the hourly catch-up sends what was marked not sent
    sim.start()
    conn(redis_url).delete(PAUSE_KEY.format(site="shop1"))
    with WooClient(sim.url, "ck_test", "cs_test") as back:
        receive(erp, {"RW-S-003": 2})
        third = stock.run_pending(erp, site, back, pending, token=queued(pending, ["RW-S-003"]), pause=pause)
        assert third.pushed == {"RW-S-003": 2} and not third.failed
        assert pause.paused("shop1") is None and not conn(redis_url).exists(FAILURES_KEY.format(site="shop1"))
        status = erp.get("WooCommerce Site", "shop1")
        assert status["connection_ok"] and status["connection_status"] == ANSWERED_A_PUSH
        caught_up = stock.catch_up_stock(erp, site, back)
    assert {"RW-S-001": 4, "RW-S-002": 6}.items() <= caught_up.pushed.items()
    assert shop_qty(sim, 10) == 4 and shop_qty(sim, 11) == 6 and shop_qty(sim, 12) == 2
    assert not link_of(erp, site, "RW-S-002").get("last_error")
    retrying.close()


def test_a_shop_answering_5xx_through_every_retry_pauses_too_and_a_refused_item_does_not(erp, site, sim, client, redis_url):
    pending, pause = stock.PendingStock(conn(redis_url)), ShopPause(conn(redis_url))
    receive(erp, {"RW-S-001": 4, "RW-S-003": 5})
    sim.faults.add("503", count=100)
    down = stock.run_pending(erp, site, client, pending, token=queued(pending, ["RW-S-001", "RW-S-003"]), pause=pause)
    assert down.failed and down.unreachable and pause.paused("shop1")
    sim.faults.clear()
    conn(redis_url).delete(PAUSE_KEY.format(site="shop1"))
    with sim.lock:  # the product is gone from the shop: the shop refuses this item, it answers
        del sim.state.products[11]
    receive(erp, {"RW-S-002": 6})
    refused = stock.run_pending(erp, site, client, pending, token=queued(pending, ["RW-S-002"]), pause=pause)
    assert "RW-S-002" in refused.errors and not refused.unreachable
    assert pause.paused("shop1") is None


def test_pauses_grow_while_the_shop_keeps_failing_each_erp_its_own(redis_url):
    one, two = ShopPause(conn(redis_url), namespace="erp-one.local"), ShopPause(conn(redis_url), namespace="erp-two.local")
    assert [one.pause("shop", "down") for _ in range(6)] == [60, 120, 240, 480, 900, 900]
    assert 890 <= conn(redis_url).ttl(PAUSE_KEY.format(site="shop") + "@erp-one.local") <= 900
    assert two.paused("shop") is None  # another ERP on the same Redis, a shop of the same name
    one.clear("shop")
    assert one.paused("shop") is None and one.pause("shop", "down again") == 60


def test_a_shop_down_for_the_parents_listing_is_not_asked_again_for_the_batches(erp, site, sim, caplog):
    # the hoodie's parent goes through a listing (does it manage stock?) before the batches: a
    # dead shop used to cost both their retries
    retrying = WooClient(sim.url, "ck_test", "cs_test", max_retries=3, backoff=0.01, max_retry_seconds=2, timeout=5)
    receive(erp, {"HOODIE-S": 2, "RW-S-001": 1})
    sim.stop()
    report = stock.push_stock(erp, site, retrying, ["HOODIE-S", "RW-S-001"])
    assert report.failed and sorted(report.not_sent) == ["HOODIE", "HOODIE-S", "RW-S-001"]
    assert report.unreachable
    assert attempts(caplog) == 3  # the listing's retries; the batches are not tried again
    assert "GET products" in link_of(erp, site, "RW-S-001")["last_error"]
    retrying.close()


def test_product_pushes_to_a_shop_down_try_one_item_then_pause(redis_url, caplog):
    from shopsync.sync import products as P
    from shopsync.sync.links import LINK_DOCTYPE
    from shopsync.sync.products.pending import PendingProducts
    from shopsync.sync.products.pending import run_pending as run_product_pushes
    from tests.erp_stand_in import MemoryERP
    from tests.support.sites import add_site
    from tests.woosim import WooSim

    shop = WooSim().start()
    shop.seed(products=6, variable_products=0, customers=0, orders=0)
    erp = MemoryERP.with_test_shop()
    erp.ignore_links_on_delete.add(LINK_DOCTYPE)
    site = add_site(erp, "shop1", shop.url, "ck_test", "cs_test")
    with WooClient(shop.url, "ck_test", "cs_test") as first:
        assert len(P.run_first_sync(erp, site, first).created_items) == 6
    codes = sorted(r["name"] for r in erp.find("Item", {}))
    for n, code in enumerate(codes):  # a bulk rename in ERPNext
        with erp.transaction():
            erp.update("Item", code, {"item_name": f"Renamed {n}"})
    pending, pause = PendingProducts(conn(redis_url)), ShopPause(conn(redis_url))
    retrying = WooClient(shop.url, "ck_test", "cs_test", max_retries=3, backoff=0.01, max_retry_seconds=2, timeout=5)
    shop.stop()
    try:
        enqueue = Recorder()
        pending.add_and_schedule("shop1", codes, enqueue)
        down = run_product_pushes(erp, site, retrying, pending, token=enqueue.jobs[0]["token"], pause=pause)
        # one item spent the retries; the five others were not tried (before: 6 x the retries)
        assert attempts(caplog) == 3 and down["pushed"] == 0 and sorted(down["failed"]) == codes
        assert sum(why.startswith("not sent: the shop did not answer") for why in down["failed"].values()) == 5
        assert pause.paused("shop1") and not erp.get("WooCommerce Site", "shop1")["connection_ok"]
        # a save during the pause: not tried at all
        enqueue = Recorder()
        pending.add_and_schedule("shop1", codes[:1], enqueue)
        again = run_product_pushes(erp, site, retrying, pending, token=enqueue.jobs[0]["token"], pause=pause)
        assert attempts(caplog) == 3 and again["failed"][codes[0]].startswith("not sent: pushes to this shop pause")
    finally:
        retrying.close()
    # back, the pause over: the items are still out of sync, and the next push sends them
    shop.start()
    conn(redis_url).delete(PAUSE_KEY.format(site="shop1"))
    with WooClient(shop.url, "ck_test", "cs_test") as back:
        enqueue = Recorder()
        pending.add_and_schedule("shop1", codes, enqueue)
        up = run_product_pushes(erp, site, back, pending, token=enqueue.jobs[0]["token"], pause=pause)
        assert up["pushed"] == 6 and not up["failed"] and pause.paused("shop1") is None
        assert erp.get("WooCommerce Site", "shop1")["connection_status"] == ANSWERED_A_PUSH
        names = {p["sku"]: p["name"] for p in back.get_all("products")}
    assert names == {code: f"Renamed {n}" for n, code in enumerate(codes)}
    shop.stop()
