"""Issue 13 on a real site: ``bench shopsync-worker`` imports, once before it forks, everything a
real order job would otherwise import cold in every work horse of a plain ``bench worker``.

Each order job runs as a horse runs it: a fresh interpreter holding only what the worker imported
(Frappe's background_jobs, plus shopsync-worker's preload for the second), then Frappe's own
``execute_job``. Not a timed test: it checks which modules the job itself still had to import.
"""

from __future__ import annotations

import uuid

import pytest

from tests.test_concurrent_workers import take_deliveries
from tests.woosim import WooSim

pytestmark = pytest.mark.bench_site

#: the packages whose modules a horse of shopsync-worker must find imported
COLD_WATCHED = ("erpnext", "frappe", "shopsync", "bleach", "num2words", "jinja2", "tinycss2", "rq", "pymysql", "requests")


@pytest.fixture(scope="module")
def own_shop(bench):
    run = uuid.uuid4().hex[:6]
    sim = WooSim().start().seed()
    name = f"w13-worker-{run}"  # not sim-/tmp-: other modules disable such sites when they start
    bench.run("make_site", name=name, url=sim.url, key="ck_test", secret="cs_test", host_url=bench.url)
    yield sim, name
    bench.run("set_enabled", name=name, enabled=0)
    sim.stop()


def new_order(sim, new_customer=False):
    """An order of the shop's first customer (known to the site after its first order), or of a
    customer made for it (a Customer, its Address and Contact inserted by the job)."""
    customer = sim.get("customers")[0]
    if new_customer:
        run = uuid.uuid4().hex[:6]
        billing = dict(customer["billing"], email=f"h{run}@example.test", first_name="Horse", last_name=f"Buyer {run}")
        customer = sim.add_customer(email=billing["email"], first_name="Horse", last_name=f"Buyer {run}",
                                    billing=billing, shipping=customer["shipping"])
    order = sim.add_order(status="processing", customer_id=customer["id"], line_items=[{"product_id": 12, "quantity": 1}],
                          billing=dict(customer["billing"], email=customer["billing"].get("email") or f"w{uuid.uuid4().hex[:8]}@example.test"))
    take_deliveries(sim)  # dropped: the check itself stores the delivery and runs its job
    return order


def test_a_shopsync_worker_horse_imports_nothing_of_erpnext_or_shopsync_for_an_order(bench, own_shop):
    sim, site = own_shop
    plain = bench.run("perf_checks:order_job_in_a_horse", site=site, payload=new_order(sim), preload=False)
    # what a plain `bench worker` horse pays for every order: ERPNext's selling stack, cold
    assert plain["status"] == "Done", plain
    assert "erpnext.selling.doctype.sales_order.sales_order" in plain["imported_by_job"]
    for customer in ("known", "new"):
        warm = bench.run("perf_checks:order_job_in_a_horse", site=site, payload=new_order(sim, customer == "new"),
                         preload=True)
        assert warm["status"] == "Done", warm
        # shopsync-worker: the preload list imports on ERPNext 15 and leaves nothing of ERPNext,
        # Frappe, shopsync or the libraries their documents use (HTML sanitizing, amounts in
        # words, address templates) to the horse
        assert warm["preloaded"]["failed"] == [], warm["preloaded"]
        cold = [m for m in warm["imported_by_job"] if m.split(".")[0] in COLD_WATCHED]
        assert cold == [], (customer, cold)
