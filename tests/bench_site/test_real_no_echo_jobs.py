"""Issue 13 on a real site: what shopsync writes itself queues no product push, and a burst of
Item saves is one push job per site that a live worker runs for them all.

The shop is the simulator (in this process, on 127.0.0.1), holding only products of this run
(SKUs E1B-<run>-n), so no other test site links them. Skipped without a bench, like the other
real-site tests; it never empties a queue, and waits on the shop, not on a job.
"""

from __future__ import annotations

import time
import uuid

import pytest

from tests.woosim import WooSim

pytestmark = pytest.mark.bench_site


@pytest.fixture(scope="module")
def own_shop(bench):
    run = uuid.uuid4().hex[:6]
    sim = WooSim().start().seed(products=0, variable_products=0, customers=0, orders=0)
    with sim.lock:
        for n in range(1, 4):
            sim.state.create_product({"name": f"E1B {run} {n}", "type": "simple", "sku": f"E1B-{run}-{n}",
                                      "regular_price": f"{10 + n}.00", "manage_stock": True, "stock_quantity": 5},
                                     fire=False)
    # not sim-/tmp-: the other real-site modules disable every such site when they start
    name = f"e1b-noecho-{run}"
    bench.run("make_site", name=name, url=sim.url, key="ck_test", secret="cs_test", host_url=bench.url)
    yield sim, name, run
    bench.run("set_enabled", name=name, enabled=0)  # it holds links now: disabled, as a user would
    sim.stop()


def test_items_the_engine_writes_queue_no_push_and_a_burst_of_saves_is_one_job(bench, own_shop):
    sim, site, run = own_shop
    ids = {p["sku"]: p["id"] for p in sim.get("products")}

    # 1. the first sync makes 3 Items and their prices: the hooks fire (before: a job each), no job
    first = bench.run("echo_checks:first_sync_queues_nothing", site=site)
    codes = sorted(l["erp_name"] for l in first["links"])
    assert codes == [f"E1B-{run}-{n}" for n in range(1, 4)], first
    assert first["hook_calls"].get("Item", 0) >= 3 and first["jobs"] == {}, first
    assert first["pending"] == 0
    # a product renamed in the shop, pulled into its Item by a resync: no job either
    sim.advance_clock(5)
    with sim.lock:  # no delivery: only the resync pulls it
        sim.state.update_product(ids[f"E1B-{run}-1"], {"name": f"E1B {run} 1, renamed in the shop"}, fire=False)
    pull = bench.run("echo_checks:pull_queues_nothing", site=site)
    assert pull["pulled"] == {f"E1B-{run}-1": f"E1B {run} 1, renamed in the shop"}, pull
    assert pull["hook_calls"].get("Item", 0) >= 1 and pull["jobs"] == {}, pull

    # 2. three saves in a burst: one push job for this site (and at most one for any other)
    renames = {code: f"Renamed in ERPNext {n}" for n, code in enumerate(codes)}
    burst = bench.run("echo_checks:burst_of_saves", site=site, renames=renames)
    assert burst["hook_calls"].get("Item") == 3
    assert burst["jobs"].get(site) == 1, burst
    assert all(count == 1 for count in burst["jobs"].values()), burst
    # a live worker runs it and pushes all three (the bench's two workers are shared: the job
    # may wait behind other engineers' work on the same queues)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        names = {p["sku"]: p["name"] for p in sim.get("products")}
        if all(names[code] == renames[code] for code in codes):
            break
        time.sleep(0.5)
    assert {code: names[code] for code in codes} == renames
    assert bench.run("echo_checks:pending_products", site=site)["pending"] == 0
