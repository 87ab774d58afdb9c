"""A shop that stopped answering holds no worker, on the real site: its live workers give up on
the shop once, then pause its pushes; a movement during the pause is recorded as not sent
without a single attempt. Waits on its own site's state, never empties a queue."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.woosim import WooSim

pytestmark = pytest.mark.bench_site


@pytest.fixture(scope="module")
def shop_then_gone(bench):
    sim = WooSim().start().seed(products=3, variable_products=0, customers=0, orders=0)
    name = f"w13-pause-{uuid.uuid4().hex[:6]}"  # not sim-/tmp-: other modules disable such sites
    bench.run("make_site", name=name, url=sim.url, key="ck_test", secret="cs_test", host_url=bench.url)
    bench.run("product_first_sync", site=name)
    yield sim, name
    bench.run("forget_site", name=name)  # its shop is gone: disabling would ask it for its webhooks
    sim.stop()


def wait_for(what, check, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"{what}: not within {timeout} s")


def test_a_shop_that_stopped_answering_pauses_its_pushes(bench, shop_then_gone):
    sim, name = shop_then_gone
    assert bench.run("item_link_of", site=name, item_code="RW-S-001")["name"]
    assert bench.run("shop_pause_of", site=name) is None
    sim.stop()  # the shop is gone
    bench.run("receive_stock", item_code="RW-S-001", qty=1)
    # the live worker's push spends its retries, gives up, and pauses the site's pushes
    why = wait_for("the pause", lambda: bench.run("shop_pause_of", site=name))
    assert why.startswith("until ") and "Could not talk to the shop" in why
    first = bench.run("item_link_of", site=name, item_code="RW-S-001")
    assert first["last_error"] and "pause" not in first["last_error"]
    # the site's form says the shop is not connected, in the adapter's words
    connection = bench.run("connection_of", site=name)
    assert not connection["connection_ok"] and connection["connection_status"].startswith("Could not talk to the shop")
    # a movement during the pause: recorded not sent in the pause's words, no attempt made
    bench.run("receive_stock", item_code="RW-S-001", qty=1)
    link = wait_for("the paused push", lambda: (lambda l: l if "pause" in (l["last_error"] or "") else None)(
        bench.run("item_link_of", site=name, item_code="RW-S-001")))
    assert link["last_error"].startswith("Stock push: not sent: Could not talk to the shop: pushes to this shop pause until "), link
