"""How many batches to send the shop at once: parallel_requests 1, 2, 3, 4, 6, measured.

Run by hand (prints figures, no pass/fail):

    .venv/bin/python bench/bench_parallel.py                 # costs x 0.5, about five minutes
    .venv/bin/python bench/bench_parallel.py --scale 1       # real time

The simulator's own work (about 0.3 s a batch of 100 in a 1,000-product catalogue, in one Python
process) is not shared out like the modelled cost: below x 0.5 it weighs on every window alike
and hides their differences.

Each push is ``WooClient.batch("products/batch", update=[...])`` of N stock levels, chunked by
100 and sent with at most ``parallel`` in flight (the first batch alone, as every push does), to
the simulator over HTTP. Two shops, both at the real shop's per-request and per-batch-item costs
(tests/captures/woocommerce/timings.json, "webhooks_paused"), times ``--scale``:

- **4 PHP workers**: four requests served at once, each at its full cost (no processor limit);
- **as captured**: the captured shop's machine, 6 PHP workers on 2 vCPUs (``cpus=2``: requests
  being served share two processors, as PHP and MariaDB there do).

During each push a shopper asks for one product page after another (``GET products/<id>``): the
time a shop's customer waits while shopsync's batches hold the PHP workers. Every figure is
measured in this run; "model real s" divides a measured time by the scale.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import threading
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from shopsync.woocommerce import WooClient, hosts  # noqa: E402

hosts.allow_private_hosts(True)  # the simulated shop listens on 127.0.0.1
from tests.woosim import CostModel, WooSim  # noqa: E402
from _timings import DEFAULT_TIMINGS, cost_model  # noqa: E402

WINDOWS = (1, 2, 3, 4, 6)
SHOPS = (("4 PHP workers", {"php_workers": 4}), ("as captured: 6 PHP workers, 2 vCPUs", {"php_workers": 6, "cpus": 2}))


def push(sim: WooSim, ids: list[int], parallel: int, qty: int) -> tuple[float, int, list[float]]:
    """(wall s, requests, a shopper's page times in s during the push)."""
    stop = threading.Event()
    pages: list[float] = []

    def shopper():
        with WooClient(sim.url, "ck_bench", "cs_bench", timeout=120) as client:
            n = 0
            while not stop.is_set():
                t0 = time.perf_counter()
                client.get(f"products/{ids[n % len(ids)]}")
                pages.append(time.perf_counter() - t0)
                n += 1
                stop.wait(0.02)

    with WooClient(sim.url, "ck_bench", "cs_bench", timeout=300, parallel=parallel) as client:
        client.get(f"products/{ids[0]}")  # route and auth found, as a job's client has
        thread = threading.Thread(target=shopper, daemon=True)
        thread.start()
        t0 = time.perf_counter()
        result = client.batch("products/batch", update=[{"id": pid, "stock_quantity": qty} for pid in ids])
        wall = time.perf_counter() - t0
        stop.set()
        thread.join()
        assert not result.errors and len(result.succeeded) == len(ids), result.errors[:3]
        return wall, result.requests, pages


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # figures appear as they are measured
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=0.5, help="multiply the simulated costs (1 = real time)")
    ap.add_argument("--lines", type=int, nargs="+", default=[500, 1000], help="stock levels per push")
    ap.add_argument("--timings", type=pathlib.Path, default=DEFAULT_TIMINGS)
    args = ap.parse_args()
    per_request, per_item, real = cost_model(args.timings)
    scale = args.scale
    batch_real = per_request + 100 * per_item
    print(f"cost model (timings.json, webhooks paused): {per_request:.1f} ms a request + {per_item:.1f} ms a batch "
          f"item = {batch_real / 1000:.2f} s a batch of 100 (the capture's median: "
          f"{real['batch 100 median'] / 1000:.2f} s, one at a time); scale x{scale:g}")
    sim = WooSim(consumer_key="ck_bench", consumer_secret="cs_bench").start()
    try:
        sim.seed(products=max(args.lines), variable_products=0, customers=0, orders=0)
        with sim.lock:
            all_ids = sorted(p for p, v in sim.state.products.items() if v["type"] == "simple")
        results: dict[tuple[str, int, int], float] = {}
        for shop, shape in SHOPS:
            print(f"\nshop: {shop}")
            print(f"  {'lines':>6} {'parallel':>8} {'requests':>8} {'wall s':>8} {'model real s':>12} "
                  f"{'vs 1':>6} {'shopper page p50 / max, model real s':>38}")
            for lines in args.lines:
                ids = all_ids[:lines]
                for n, parallel in enumerate(WINDOWS):
                    sim.cost = CostModel(per_request_ms=per_request * scale, per_batch_item_ms=per_item * scale, **shape)
                    wall, requests, pages = push(sim, ids, parallel, qty=10 + n)
                    results[(shop, lines, parallel)] = wall
                    page = (f"{statistics.median(pages) / scale:.2f} / {max(pages) / scale:.2f} ({len(pages)} pages)"
                            if pages else "-")
                    print(f"  {lines:>6} {parallel:>8} {requests:>8} {wall:>8.2f} {wall / scale:>12.1f} "
                          f"{results[(shop, lines, 1)] / wall:>5.2f}x {page:>38}")
        print("\nparallel 3 against 4, same run (wall 3 / wall 4):")
        for shop, _ in SHOPS:
            print("  " + shop + ": " + ", ".join(
                f"{lines} lines {results[(shop, lines, 3)] / results[(shop, lines, 4)]:.2f}" for lines in args.lines))
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
