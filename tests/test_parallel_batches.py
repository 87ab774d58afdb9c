"""Parallel batches, bounded (issue 13): a push sends its batches a few at a time, the way a shop
with several PHP workers serves them, and slows down when the shop says 429.

The simulator models the shop's PHP workers (``sim.cost.php_workers``: requests served at once,
each for its latency); the stand-in ERP holds 500 linked items; the 500-line voucher is pushed by
the real stock engine through the real client over HTTP.
"""

from __future__ import annotations

import time

import pytest

from shopsync.sync import stock
from shopsync.woocommerce import WooClient
from tests.erp_stand_in import MemoryERP
from tests.support.sites import add_site
from tests.test_stock_push import batch_requests, link_all, receive, shop_qty
from tests.woosim import WooSim

N = 500
BATCH_SECONDS = 0.4  # one batch of 100 in the simulated shop


@pytest.fixture
def shop():
    with WooSim() as sim:
        sim.seed(products=N, variable_products=0, customers=0, orders=0)
        sim.cost.php_workers = 4
        yield sim


@pytest.fixture
def voucher(shop):
    """500 linked items and a 500-line Material Receipt, committed (nothing pushed yet)."""
    erp = MemoryERP.with_test_shop()
    site = add_site(erp, "big", shop.url, "ck_test", "cs_test")
    codes = {f"BULK-{i:03d}": 10 + i for i in range(N)}
    with erp.transaction():
        for code in codes:
            erp.insert({"doctype": "Item", "item_code": code, "item_group": "Products"})
    link_all(erp, site, simple=codes, variants={}, template=False)
    receive(erp, {code: 1 + i % 9 for i, code in enumerate(codes)})
    return erp, site, codes


def timed_push(shop, erp, site, codes, parallel, **client_kw):
    shop.cost.per_batch_item_ms = BATCH_SECONDS * 1000 / 100
    shop.reset_request_log()
    with WooClient(shop.url, "ck_test", "cs_test", parallel=parallel, **client_kw) as client:
        started = time.monotonic()
        report = stock.push_stock(erp, site, client, codes)
        return time.monotonic() - started, report


def test_five_batches_go_the_first_alone_then_four_at_once(shop, voucher):
    erp, site, codes = voucher
    wall, report = timed_push(shop, erp, site, codes, parallel=4)
    assert len(report.pushed) == N and not report.errors and report.requests == 5
    assert [r["batch_size"] for r in batch_requests(shop)] == [100] * 5
    assert shop.cost.peak == 4
    # the first batch alone (it finds out the shop's route and auth), then the other four at once:
    # the shop served four at a time (peak), so the wall is about two batch times, not five. A test
    # only bounds it from below (a loaded machine may be slow, never fast); bench/bench_parallel.py
    # and bench/bench_stock.py print the time gained.
    assert wall >= 2 * BATCH_SECONDS, wall
    assert all(shop_qty(shop, pid) == 1 + i % 9 for i, pid in enumerate(codes.values()))


def test_three_at_a_time_the_first_request_carries_one_line_and_the_rest_goes_in_two_rounds(shop, voucher):
    """The default window (3 in flight) and five batches: the first request (alone, it finds out
    the shop's route and auth) carries one line, so the five full batches need two rounds of
    three, not a whole batch alone and then two rounds: about the slowest batch plus one."""
    erp, site, codes = voucher
    wall, report = timed_push(shop, erp, site, codes, parallel=3)
    assert len(report.pushed) == N and not report.errors and report.requests == 6
    sizes = [r["batch_size"] for r in batch_requests(shop)]
    assert sizes[0] == 1 and sorted(sizes[1:]) == [99, 100, 100, 100, 100]
    assert shop.cost.peak == 3
    assert wall >= 2 * BATCH_SECONDS, wall
    assert all(shop_qty(shop, pid) == 1 + i % 9 for i, pid in enumerate(codes.values()))


def test_a_push_of_two_batches_stays_two_requests(shop, voucher):
    erp, site, codes = voucher
    wall, report = timed_push(shop, erp, site, list(codes)[:200], parallel=3)
    assert report.requests == 2 and [r["batch_size"] for r in batch_requests(shop)] == [100, 100]


def test_one_at_a_time_takes_the_sum(shop, voucher):
    erp, site, codes = voucher
    wall, report = timed_push(shop, erp, site, codes, parallel=1)
    assert len(report.pushed) == N and report.requests == 5 and shop.cost.peak == 1
    assert wall >= 5 * BATCH_SECONDS


def test_on_a_shop_with_two_processors_four_at_a_time_gain_what_two_do(shop, voucher):
    """A shop like the captured one (PHP workers sharing 2 vCPUs): the four batches after the
    first share two processors, so they take two batch times, not one; nothing is lost."""
    erp, site, codes = voucher
    shop.cost.cpus = 2
    wall, report = timed_push(shop, erp, site, codes, parallel=4)
    assert len(report.pushed) == N and report.requests == 5 and shop.cost.peak == 4
    assert wall >= 3 * BATCH_SECONDS, wall  # two processors: the four after the first share them
    assert all(shop_qty(shop, pid) == 1 + i % 9 for i, pid in enumerate(codes.values()))


def test_a_429_with_retry_after_slows_the_push_and_loses_nothing(shop, voucher):
    erp, site, codes = voucher
    shop.faults.add("429", count=1, path="products/batch", retry_after=0.5)
    shop.cost.peak = 0
    wall, report = timed_push(shop, erp, site, codes, parallel=4, backoff=0.01)
    assert len(report.pushed) == N and not report.errors and not report.not_sent
    assert all(shop_qty(shop, pid) == 1 + i % 9 for i, pid in enumerate(codes.values()))
    statuses = [r["status"] for r in shop.requests if r["endpoint"] == "products/batch"]
    assert statuses.count(429) == 1 and statuses.count(200) == 5
    assert wall >= 0.5 + BATCH_SECONDS  # it waited what the shop asked


def test_the_window_halves_after_a_429_for_the_rest_of_the_push(shop, voucher):
    erp, site, codes = voucher
    # the first batch goes alone: the 429 meets one of the four sent together after it
    shop.faults.add("429", count=1, path="products/batch", retry_after=0.2)
    shop.faults.add("429", count=1, path="products/batch", retry_after=0.2)
    with WooClient(shop.url, "ck_test", "cs_test", parallel=4, backoff=0.01) as client:
        client.batch("products/batch", update=[{"id": 10, "stock_quantity": 1}])  # route known
        calls = [("products/batch", {"update": [{"id": 10 + i, "stock_quantity": 3}]}) for i in range(12)]
        shop.cost.per_request_ms = 150
        shop.cost.peak = 0
        results = list(client.batches(calls, parallel=4))
    assert sorted(i for i, res, err in results if err is None and res.ok) == list(range(12))
    assert client.slowed_down == 2


def test_catch_up_pages_are_read_concurrently_once_the_page_count_is_known(shop):
    shop.cost.per_request_ms = 200
    with WooClient(shop.url, "ck_test", "cs_test", parallel=4) as client:
        started = time.monotonic()
        ids = [p["id"] for p in client.iter("products", {"orderby": "id", "order": "asc"})]
        wall = time.monotonic() - started
    assert ids == sorted(ids) and len(ids) == N == len(set(ids))  # every product once, in order
    assert shop.cost.peak == 4  # 5 pages: the first, then four at once


def test_a_first_sync_of_many_items_sends_its_product_batches_in_parallel(shop):
    """The product push's one ``batch`` call of 300 creates goes out as 3 requests, 2 at once
    after the first, each product made once and tied to its item."""
    with WooClient(shop.url, "ck_test", "cs_test", parallel=4) as client:
        shop.cost.per_batch_item_ms = 2
        shop.cost.peak = 0
        made = client.batch("products/batch", create=[{"name": f"New {i}", "sku": f"NEW-{i:03d}", "type": "simple"}
                                                     for i in range(300)])
    assert made.ok and made.requests == 3 and shop.cost.peak == 2
    assert [sent["sku"] for _, sent, _ in made.pairs] == [f"NEW-{i:03d}" for i in range(300)]
    assert all(answer["sku"] == sent["sku"] for _, sent, answer in made.pairs)


def test_a_product_push_of_five_batches_with_three_in_flight_sends_one_product_first(shop):
    """The adapter's own chunking (a ``batch`` call of 500 updates, as the product and price
    pushes make) follows the same rule as the stock push: one product alone, then the five
    batches in two rounds of three; every product updated once, in the order sent."""
    shop.cost.per_batch_item_ms = BATCH_SECONDS * 1000 / 100  # a batch lasts: the three of a round meet
    with WooClient(shop.url, "ck_test", "cs_test", parallel=3) as client:
        shop.reset_request_log()
        shop.cost.peak = 0
        done = client.batch("products/batch", update=[{"id": 10 + i, "regular_price": f"{i}.50"} for i in range(N)])
    assert done.ok and done.requests == 6 and shop.cost.peak == 3
    sizes = [r["batch_size"] for r in batch_requests(shop)]
    assert sizes[0] == 1 and sorted(sizes[1:]) == [99, 100, 100, 100, 100]
    assert [sent["id"] for _, sent, _ in done.pairs] == [10 + i for i in range(N)]
    assert all(shop.state.products[10 + i]["regular_price"] == f"{i}.50" for i in range(N))
