"""Issue 10 on a real site: the bench's own two live workers meet on the same items and customers.

30 orders over 5 products and 5 customers, with product and customer storms, delivered to the
real endpoint from 8 threads at once, a third of them twice. The bench's live workers do the work
(nothing here takes their jobs or empties a queue); at the end: no Failed entry, nothing waiting,
one Sales Order per order at the shop's total, one link per product.
Skipped without a bench, like the other real-site tests.
"""

from __future__ import annotations

import random
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.test_concurrent_workers import send, take_deliveries
from tests.woosim import WooSim

PRODUCTS = list(range(10, 15))


@pytest.fixture(scope="module")
def crowd_site(bench):
    sim = WooSim().start().seed(products=len(PRODUCTS), variable_products=0, customers=5, orders=0)
    name = "sim-crowd-" + uuid.uuid4().hex[:6]
    info = bench.run("make_site", name=name, url=sim.url, key="ck_test", secret="cs_test", host_url=bench.url)
    bench.run("check_webhooks", name=name)
    sim.deliver_webhooks()  # nothing yet: the pings are done
    yield sim, info
    bench.run("set_enabled", name=name, enabled=0)
    sim.stop()


def test_two_live_workers_lose_and_double_nothing(bench, crowd_site):
    sim, site = crowd_site
    from shopsync.woocommerce import WooClient

    rng = random.Random(11)
    with WooClient(sim.url, "ck_test", "cs_test") as client:
        customers = list(client.iter("customers"))
    orders = []
    with ThreadPoolExecutor(8) as pool:
        for r in range(3):
            for _ in range(10):
                c = rng.choice(customers)
                lines = [{"product_id": p, "quantity": rng.randint(1, 2)} for p in rng.sample(PRODUCTS, rng.randint(1, 3))]
                orders.append(sim.add_order(status="processing", customer_id=c["id"], line_items=lines,
                                            billing=dict(c["billing"], email=c["email"], first_name=c["first_name"] or "Client",
                                                         last_name=c["last_name"] or str(c["id"]))))
            for p in rng.sample(PRODUCTS, 3):
                sim.update_product(p, short_description=f"round {r} {rng.random()}")
            for c in rng.sample(customers, 3):
                sim.update_customer(c["id"], last_name=c["last_name"] or "Client")
            batch = take_deliveries(sim)
            batch += rng.sample(batch, len(batch) // 3)
            rng.shuffle(batch)
            assert set(pool.map(send, batch)) == {200}
    statuses = bench.run("process_queued", site=site["name"], timeout=300)
    entries = bench.run("log_entries", site=site["name"])
    failed = [(e["topic"], e["resource_id"], e["error"]) for e in entries if e["status"] == "Failed"]
    assert failed == [], failed
    assert not [e for e in entries if e["status"] in ("Queued", "Processing")], statuses
    sos = bench.run("orders_of", site=site["name"])
    assert sorted(sos) == sorted(str(o["id"]) for o in orders)
    assert len({so["name"] for so in sos.values()}) == len(orders)
    for o in orders:
        assert f"{sos[str(o['id'])]['grand_total']:.2f}" == o["total"] and sos[str(o["id"])]["docstatus"] == 1
    retried = [e for e in entries if (e.get("attempts") or 0) > 1]
    print(f"\n{len(entries)} log entries, {len(retried)} needed more than one attempt")
