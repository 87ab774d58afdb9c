"""How many requests, and how long, the adapter takes to pull N products and push N stock levels.

Run by hand (no pass/fail):

    .venv/bin/python bench/bench_adapter.py --n 1000

The simulator (tests/woosim) is given a cost model taken from the real shop's timings
(tests/captures/woocommerce/timings.json, "webhooks_paused" mode):
- per request: the median of ``GET products/<id>``;
- per batch item: ``(median of a 100-stock-update batch - that per-request cost) / 100``.
``--scale`` multiplies both (default 0.1) so a run takes about a minute; the "model" column
divides the measured time by the scale (the real shop's time if it cost what the model says).

The baseline, one request per product (``GET products/<id>`` to pull, ``PUT products/<id>`` to
push), is measured in full in the same run: N GETs, then N PUTs, one after the other.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from shopsync.woocommerce import WooClient, hosts  # noqa: E402

hosts.allow_private_hosts(True)  # the simulated shop listens on 127.0.0.1
from tests.woosim import CostModel, WooSim  # noqa: E402
from _timings import DEFAULT_TIMINGS, cost_model  # noqa: E402



def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # figures appear as they are measured
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="products to pull and stock levels to push")
    ap.add_argument("--scale", type=float, default=0.1, help="multiply the simulated costs (1 = real time)")
    ap.add_argument("--timings", type=pathlib.Path, default=DEFAULT_TIMINGS)
    args = ap.parse_args()

    per_request, per_item, source = cost_model(args.timings)
    print(f"cost model from {args.timings.name} (webhooks paused, WP_DEBUG on):")
    for k, v in source.items():
        print(f"  {k}: {v:.1f} ms")
    print(f"  -> per request {per_request:.1f} ms, per batch item {per_item:.1f} ms; scale {args.scale:g}")

    sim = WooSim(consumer_key="ck_bench", consumer_secret="cs_bench", https=False)
    sim.start()
    try:
        sim.seed(products=args.n, variable_products=0, customers=0, orders=0)
        ids = sorted(p["id"] for p in sim.state.products.values() if p.get("type", "simple") == "simple")[: args.n]
        n = len(ids)
        sim.cost = CostModel(per_request_ms=per_request * args.scale, per_batch_item_ms=per_item * args.scale)
        client = WooClient(sim.url, "ck_bench", "cs_bench", timeout=120, max_retry_seconds=600)

        # adapter: pull every product, push every stock level
        r0, t0 = client.request_count, time.perf_counter()
        pulled = sum(1 for _ in client.iter("products", {"type": "simple"}))
        pull_s, pull_req = time.perf_counter() - t0, client.request_count - r0
        print(f"  measured: adapter pull of {pulled} products, {pull_req} requests, {pull_s:.2f} s", flush=True)
        updates = [{"id": pid, "stock_quantity": (pid * 7) % 50} for pid in ids]
        r0, t0 = client.request_count, time.perf_counter()
        result = client.batch("products/batch", update=updates)
        push_s, push_req = time.perf_counter() - t0, client.request_count - r0
        print(f"  measured: adapter push of {len(updates)} stock levels, {push_req} requests, {push_s:.2f} s", flush=True)

        # baseline, in full: one request per item
        t0 = time.perf_counter()
        for pid in ids:
            client.get(f"products/{pid}")
        base_pull = time.perf_counter() - t0
        print(f"  measured: {n} GETs in {base_pull:.1f} s", flush=True)
        t0 = time.perf_counter()
        for pid in ids:
            client.put(f"products/{pid}", {"stock_quantity": 3})
        base_push = time.perf_counter() - t0
        print(f"  measured: {n} PUTs in {base_push:.1f} s", flush=True)
        client.close()
    finally:
        sim.stop()

    print()
    print(f"N = {n} products (pulled {pulled}, pushed {len(result.succeeded)} ok, {len(result.errors)} refused), "
          "all measured in this run")
    print(f"{'':28}{'requests':>10}{'wall s':>10}{'model real s':>14}")
    row = "{:28}{:>10}{:>10.2f}{:>14.1f}"
    print(row.format("adapter pull (pages of 100)", pull_req, pull_s, pull_s / args.scale))
    print(row.format("adapter push (batches)", push_req, push_s, push_s / args.scale))
    print(row.format("1 GET per item", n, base_pull, base_pull / args.scale))
    print(row.format("1 PUT per item", n, base_push, base_push / args.scale))
    print()
    print(f"pull: {n / max(1, pull_req):.0f}x fewer requests, {base_pull / pull_s:.1f}x less time than one GET per item")
    print(f"push: {n / max(1, push_req):.0f}x fewer requests, {base_push / push_s:.1f}x less time than one PUT per item")
    print("caveats: the simulator charges a request by its batch size only, so a single PUT costs a GET "
          f"(the real shop: {source['PUT products/<id> median']:.0f} ms vs {per_request:.0f} ms, so the real push "
          "ratio is better than shown), and a page of 100 products costs a GET too (the real shop took "
          "~240 ms for a page of 10 and ~410 ms for a page of 31, see the captures' elapsed_ms, so the "
          "real pull ratio is lower than shown)")


if __name__ == "__main__":
    main()
