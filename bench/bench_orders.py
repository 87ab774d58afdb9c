"""Benchmark: import N orders from the simulated shop into the in-memory ERP.

    .venv/bin/python bench/bench_orders.py [--n 200] [--latency-ms 110] [--lines 3]

The shop is the simulator on 127.0.0.1 with ``--latency-ms`` of injected latency per request (the
captured shop answered a GET in ~110 ms). Orders are pulled with the import (pages of 100) and each
is imported through ``import_order`` with a WooCommerce client, so an item missing in the ERP costs
product reads from the shop. Two rounds: **cold** (empty ERP: customers, addresses and items are
made) and **re-import** (same orders, ``include_existing``: read, planned, compared, nothing
written). Time is split between the shop (HTTP calls), the ERP (every port call, timed apart) and
the engine itself (the rest). Prints figures only; no pass/fail.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import contextmanager

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from shopsync.sync import catchup  # noqa: E402
from shopsync.sync.links import LINK_DOCTYPE  # noqa: E402
from shopsync.woocommerce import WooClient, hosts  # noqa: E402

hosts.allow_private_hosts(True)  # the simulated shop listens on 127.0.0.1
from tests.erp_stand_in import MemoryERP  # noqa: E402
from tests.support.sites import add_site  # noqa: E402
from tests.woosim import WooSim  # noqa: E402
from tests.woosim.faults import CostModel  # noqa: E402

PORT_METHODS = ("get", "exists", "find", "get_value", "get_single_value", "insert", "update", "submit", "cancel",
                "delete", "make_variant", "now", "make_sales_invoice", "get_payment_entry")


class TimedERP:
    """The ERP with every port call timed (``transaction`` is not: its body is the engine's)."""

    def __init__(self, erp):
        self._erp = erp
        self.seconds = 0.0
        self.calls = 0

    def __getattr__(self, name):
        target = getattr(self._erp, name)
        if name not in PORT_METHODS:
            return target

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return target(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0
                self.calls += 1

        return timed

    @contextmanager
    def transaction(self):
        with self._erp.transaction():
            yield self


class TimedClient:
    """The WooCommerce client with the time spent waiting for the shop measured."""

    def __init__(self, client):
        self._client = client
        self.seconds = 0.0

    def __getattr__(self, name):
        return getattr(self._client, name)

    def get(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return self._client.get(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t0

    def iter(self, *args, **kwargs):
        it = self._client.iter(*args, **kwargs)
        while True:
            t0 = time.perf_counter()
            try:
                item = next(it)
            except StopIteration:
                self.seconds += time.perf_counter() - t0
                return
            self.seconds += time.perf_counter() - t0
            yield item


def place_orders(sim: WooSim, n: int, lines: int) -> None:
    products = sorted(p for p, v in sim.state.products.items() if v["type"] == "simple")
    customers = sorted(sim.state.customers)
    for i in range(n):
        items = [{"product_id": products[(i * lines + k) % len(products)], "quantity": 1 + (i + k) % 3}
                 for k in range(lines)]
        if i % 7 == 0:
            items.append({"product_id": 40, "variation_id": 41 + i % 3, "quantity": 1})
        guest = i % 4 == 0
        sim.add_order(
            status=("processing", "on-hold", "completed")[i % 3],
            customer_id=0 if guest else customers[i % len(customers)],
            billing={"first_name": f"Client{i % 50}", "last_name": "Bench", "email": f"client{i % 50}@bench.test",
                     "address_1": f"{i % 50} rue du Test", "city": "Paris", "postcode": "75001", "country": "FR"},
            line_items=items,
            shipping_lines=[{"method_id": "flat_rate", "method_title": "Colissimo", "total": "5.90"}],
            coupon_lines=[{"code": "bienvenue10"}] if i % 5 == 0 else [],
        )


def run(label: str, erp: TimedERP, site, client: TimedClient, n_orders: int, include_existing: bool) -> None:
    erp.seconds, erp.calls, client.seconds = 0.0, 0, 0.0
    before = client.request_count
    t0 = time.perf_counter()
    summary = catchup.import_orders(erp, site, client, None, None, ["processing", "on-hold", "completed"],
                                    include_existing=include_existing)
    wall = time.perf_counter() - t0
    n = max(summary.seen, 1)
    engine = wall - erp.seconds - client.seconds
    print(f"{label}: {summary}")
    print(f"  {summary.seen} orders in {wall:.2f} s = {summary.seen / wall:.1f} orders/s; "
          f"{client.request_count - before} shop requests ({(client.request_count - before) / n:.2f} per order)")
    print(f"  per order: shop {1000 * client.seconds / n:.1f} ms, ERP {1000 * erp.seconds / n:.1f} ms "
          f"({erp.calls / n:.0f} port calls), engine {1000 * engine / n:.1f} ms")
    if summary.failed:
        print(f"  failed, first: {summary.failed[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="orders to place and import")
    parser.add_argument("--latency-ms", type=float, default=110.0, help="injected latency per shop request")
    parser.add_argument("--lines", type=int, default=3, help="simple product lines per order")
    args = parser.parse_args()

    sim = WooSim().start()
    try:
        sim.seed(products=30, variable_products=1, customers=4, orders=0)
        place_orders(sim, args.n, args.lines)
        sim.cost = CostModel(per_request_ms=args.latency_ms)
        memory = MemoryERP.with_test_shop()
        memory.ignore_links_on_delete.add(LINK_DOCTYPE)
        site = add_site(memory, "bench", sim.url, "ck_test", "cs_test", freight_account="Shipping Income - TS",
                        tax_rates=[{"woo_rate_id": 1, "label": "TVA 20%", "account": "TVA 20% - TS"}])
        erp = TimedERP(memory)
        client = TimedClient(WooClient(sim.url, "ck_test", "cs_test"))
        print(f"{args.n} orders, {args.lines}+ lines each, {args.latency_ms:.0f} ms per shop request")
        run("cold (customers and items made)", erp, site, client, args.n, include_existing=False)
        run("re-import (nothing to write)", erp, site, client, args.n, include_existing=True)
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
