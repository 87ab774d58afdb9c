"""Stock out: N changed items pushed to the simulator, and the cost of the hook per ledger entry.

Run by hand (prints figures, no pass/fail):

    .venv/bin/python bench/bench_stock.py                 # N = 2,000, costs x 0.1
    .venv/bin/python bench/bench_stock.py --items 500 --scale 1

What it measures
1. ``stock.push_stock`` of N items whose quantity changed (simple products), through the adapter's
   batch endpoint to the simulator (tests/woosim) over real HTTP. The simulator is given a cost
   model from the real shop's timings (tests/captures/woocommerce/timings.json, "webhooks_paused"):
   per request the median of ``GET products/<id>``, per batch item
   ``(median of a 100-stock-update batch - per request) / 100``. ``--scale`` multiplies both
   (default 0.1, so the default run stays around a minute); figures are also shown scaled back.
   Printed: requests made (goal ceil(N/100)), wall time, and the ERP side of it (planning: links,
   items, Bins; recording the outcome on the links). One batch at a time, as the baseline.
2. The baseline, one ``PUT products/<id>`` per item, measured in full in the same run: N PUTs,
   one after the other, on the same products. In the simulator a single PUT costs the
   per-request time only; the real shop's PUT median is higher (printed, and used only in the
   line labelled "model"), so the real ratio is larger than the one measured.
3. The hook's cost on the ERP side per Stock Ledger Entry, on a real Redis and RQ queue: a
   voucher of ``--voucher-lines`` lines submitted in the ERP stand-in, the after-commit hook
   (``stock.stock_moved``: pending set + at most one job per site) timed around each call; and the
   collected form (``StockEvents.record`` per entry, one ``flush`` per transaction).

Run time: the default run (N = 2,000) takes about two minutes on 2 cores, most of it the
baseline's 2,000 PUTs; the simulator's own work grows with its catalogue (each product save
scans every product for ``related_ids``), so N = 10,000 takes far longer (the baseline alone
~10,000 requests)
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import statistics
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from shopsync.sync import stock  # noqa: E402
from shopsync.sync.links import LINK_DOCTYPE, erp_key, link_key  # noqa: E402
from shopsync.sync.site import SITE_DOCTYPE, SiteConfig  # noqa: E402
from shopsync.woocommerce import WooClient, hosts  # noqa: E402

hosts.allow_private_hosts(True)  # the simulated shop listens on 127.0.0.1
from tests.erp_stand_in import MemoryERP  # noqa: E402
from tests.support.sites import add_site  # noqa: E402
from tests.woosim import CostModel, WooSim  # noqa: E402
from _timings import DEFAULT_TIMINGS, cost_model  # noqa: E402

STORES = "Stores - TS"


def build(n: int, sim: WooSim) -> tuple[MemoryERP, SiteConfig, dict[str, int]]:
    """An ERP with n linked items, each with a Bin whose quantity differs from the shop's."""
    erp = MemoryERP.with_test_shop()
    # stock set up: the bench writes Bins without ledger entries, which a first-day site would hold
    site = add_site(erp, "bench", sim.url, "ck_bench", "cs_bench", stock_set_up=1)
    with sim.lock:
        ids = sorted(p for p, v in sim.state.products.items() if v["type"] == "simple")[:n]
    codes = {f"BENCH-{i:05d}": pid for i, pid in enumerate(ids)}
    stamp = erp.now()
    with erp.transaction():  # stored as the real site would already hold them: no validation
        for i, (code, pid) in enumerate(codes.items()):
            erp.seed({"doctype": "Item", "name": code, "item_code": code, "item_name": code,
                      "item_group": "Products", "stock_uom": "Nos", "is_stock_item": 1})
            erp.seed({"doctype": LINK_DOCTYPE, "link_key": link_key(site.name, "Item", pid), "site": site.name,
                      "link_type": "Item", "woo_id": pid, "woo_variation_id": 0, "erp_doctype": "Item",
                      "erp_name": code, "erp_key": erp_key(site.name, "Item", code), "state": "In sync",
                      "last_pushed_qty": 1, "last_pushed_at": stamp})
            qty = 2 + i % 37
            erp.seed({"doctype": "Bin", "item_code": code, "warehouse": STORES, "actual_qty": qty,
                      "reserved_qty": 0, "projected_qty": qty, "stock_uom": "Nos"})
    return erp, site, codes


def bench_push(args, per_request: float, per_item: float, real: dict) -> None:
    n, scale = args.items, args.scale
    print(f"cost model from {args.timings.name} (webhooks_paused): {per_request:.1f} ms a request + "
          f"{per_item:.1f} ms a batch item; real PUT products/<id> median {real['PUT products/<id> median']:.1f} ms")
    print(f"scale x{scale:g} (times below are simulated-scaled unless said 'real')")
    t = time.perf_counter()
    sim = WooSim(consumer_key="ck_bench", consumer_secret="cs_bench").start()
    sim.seed(products=n, variable_products=0, customers=0, orders=0)
    erp, site, codes = build(n, sim)
    print(f"setup: {n} products in the simulator, {n} linked items with changed Bins in the stand-in "
          f"({time.perf_counter() - t:.1f} s, not counted)")
    sim.cost = CostModel(per_request_ms=per_request * scale, per_batch_item_ms=per_item * scale)
    with WooClient(sim.url, "ck_bench", "cs_bench", timeout=120) as client:
        t0 = time.perf_counter()
        plan = stock.plan_push(erp, site, codes)
        t_plan = time.perf_counter() - t0
        record_time = [0.0]
        real_record = stock._record

        def timed_record(*a, **kw):
            t1 = time.perf_counter()
            try:
                return real_record(*a, **kw)
            finally:
                record_time[0] += time.perf_counter() - t1

        stock._record = timed_record
        try:
            t0 = time.perf_counter()
            report = stock.push_stock(erp, site, client, plan=plan)
            t_push = time.perf_counter() - t0
        finally:
            stock._record = real_record
        goal = math.ceil(n / 100)
        wall = t_plan + t_push
        shop_time = t_push - record_time[0]
        print()
        print(f"batched push of N={n}: {report.requests} requests (goal ceil(N/100) = {goal}), "
              f"{len(report.pushed)} pushed, {len(report.errors)} refused")
        print(f"  wall {wall:.1f} s = ERP reads (plan) {t_plan:.1f} s + shop {shop_time:.1f} s "
              f"+ ERP writes (links) {record_time[0]:.1f} s   [ERP parts: the in-memory stand-in, not Frappe]")

        # baseline: one PUT per item, for all N (the same products, another quantity)
        before = client.request_count
        t0 = time.perf_counter()
        for i, pid in enumerate(codes.values()):
            client.put(f"products/{pid}", {"stock_quantity": 3 + i % 5})
            if (i + 1) % 500 == 0:
                print(f"  ... baseline: {i + 1}/{n} PUTs, {time.perf_counter() - t0:.1f} s", flush=True)
        baseline = time.perf_counter() - t0
        print()
        print(f"baseline, one PUT per item, MEASURED for all N={n}: {client.request_count - before} requests, "
              f"{baseline:.1f} s ({baseline / n * 1000:.1f} ms each)")
        print(f"ratio one-per-item / batched, this run: requests {n / max(report.requests, 1):.0f}x fewer; "
              f"shop time {baseline / max(shop_time, 1e-9):.1f}x less; wall (same ERP side added to both) "
              f"{(baseline + t_plan + record_time[0]) / wall:.1f}x less")
        model_batched = (report.requests * per_request + n * per_item) / 1000
        print(f"at the real shop's timings (model, not measured): batched ~{model_batched / 60:.1f} min; "
              f"one PUT per item ~{n * real['PUT products/<id> median'] / 1000 / 60:.1f} min at the real PUT median "
              f"({real['PUT products/<id> median']:.0f} ms; the simulator charges a PUT {per_request:.0f} ms)")
    sim.stop()


def bench_hook(args) -> None:
    import redis

    from tests.support.redis_server import RedisServer
    from tests.support.rq_runtime import RQEnqueuer

    lines = args.voucher_lines
    server = RedisServer().start()
    try:
        conn = redis.Redis.from_url(server.url)
        enqueuer = RQEnqueuer(conn)
        pending = stock.PendingStock(conn)
        erp = MemoryERP.with_test_shop()
        with erp.transaction():
            for i in range(lines):
                erp.seed({"doctype": "Item", "name": f"H-{i:04d}", "item_code": f"H-{i:04d}", "item_name": f"H-{i:04d}",
                          "item_group": "Products", "stock_uom": "Nos", "is_stock_item": 1})
        for name in ("fr", "de"):
            add_site(erp, name, "http://127.0.0.1:9/", "ck", "cs")
        # the edge caches the enabled sites; loading them is not the hook's per-entry cost
        sites = [SiteConfig.from_doc(erp.get(SITE_DOCTYPE, r["name"])) for r in erp.find(SITE_DOCTYPE)]

        def voucher():
            with erp.transaction():
                se = erp.insert({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt",
                                 "items": [{"item_code": f"H-{i:04d}", "qty": 1, "t_warehouse": STORES,
                                            "basic_rate": 1} for i in range(lines)]})
                erp.submit("Stock Entry", se["name"])

        # a) after commit, per entry: stock_moved (pending set + one job per site)
        spent: list[float] = []

        def per_entry(doc):
            t0 = time.perf_counter()
            stock.stock_moved(sites, pending, enqueuer, stock.voucher_moves(doc))
            spent.append(time.perf_counter() - t0)

        off = erp.on("Stock Ledger Entry", "on_submit", per_entry, after_commit=True)
        t0 = time.perf_counter()
        voucher()
        t_voucher = time.perf_counter() - t0
        off()
        jobs = enqueuer.queue.count
        print()
        print(f"hook, {lines}-line voucher, {len(sites)} sites, real Redis + RQ queue:")
        print(f"  per Stock Ledger Entry after commit (pending set SADD+flag, enqueue when the flag is free): "
              f"mean {statistics.mean(spent) * 1e6:.0f} us, median {statistics.median(spent) * 1e6:.0f} us, "
              f"max {max(spent) * 1e3:.2f} ms; {jobs} jobs queued (one per site); "
              f"{sum(spent) * 1e3:.1f} ms of the voucher's {t_voucher * 1e3:.0f} ms in the stand-in")
        enqueuer.queue.empty()
        conn.flushall()

        # b) collected per transaction: record per entry (no I/O), one flush after the commit
        events = stock.StockEvents()
        rec: list[float] = []
        flush: list[float] = []

        def record(doc):
            t0 = time.perf_counter()
            events.record(doc["item_code"], doc["warehouse"])
            rec.append(time.perf_counter() - t0)

        def flush_once(doc):
            if events.moves:
                t0 = time.perf_counter()
                events.flush(sites, pending, enqueuer)
                flush.append(time.perf_counter() - t0)

        off1 = erp.on("Stock Ledger Entry", "on_submit", record)
        off2 = erp.on("Stock Entry", "on_submit", flush_once, after_commit=True)
        voucher()
        off1()
        off2()
        total = sum(rec) + sum(flush)
        print(f"  collected (StockEvents.record per entry, one flush after commit): record mean "
              f"{statistics.mean(rec) * 1e6:.1f} us, flush {sum(flush) * 1e3:.2f} ms "
              f"({len(flush)} flush); {total / lines * 1e6:.1f} us per entry in all; "
              f"{enqueuer.queue.count} jobs queued")
    finally:
        server.stop()


def bench_parallel(args, per_request: float, per_item: float) -> None:
    """A 500-line voucher pushed with one batch at a time vs the site's default window, against a
    shop with 4 PHP workers at the real shop's per-request and per-item costs (scaled). Both
    measured in this run, on the same items (the Bins are moved between the two runs)."""
    from shopsync.sync.site import SiteConfig as _SC

    lines, scale = args.voucher_lines, args.scale
    default = _SC.from_doc({"name": "x"}).parallel_requests
    sim = WooSim(consumer_key="ck_bench", consumer_secret="cs_bench").start()
    try:
        sim.seed(products=lines, variable_products=0, customers=0, orders=0)
        erp, site, codes = build(lines, sim)
        sim.cost = CostModel(per_request_ms=per_request * scale, per_batch_item_ms=per_item * scale, php_workers=4)
        print(f"\n{lines}-line voucher, shop with 4 PHP workers, costs x{scale:g} "
              f"({(per_request + 100 * per_item) * scale / 1000:.2f} s a batch of 100):", flush=True)
        walls = {}
        for round_, parallel in enumerate((1, default)):
            with erp.transaction():
                for b in erp.find("Bin", {}, fields=("name", "actual_qty")):
                    erp.set_values("Bin", b["name"], {"actual_qty": float(b["actual_qty"] or 0) + 1})
            sim.cost.peak = 0
            with WooClient(sim.url, "ck_bench", "cs_bench", timeout=120, parallel=parallel) as client:
                started = time.perf_counter()
                report = stock.push_stock(erp, site, client, list(codes))
                walls[parallel] = time.perf_counter() - started
            print(f"  parallel {parallel}: {report.requests} requests, {len(report.pushed)} pushed, "
                  f"{len(report.errors)} errors, at most {sim.cost.peak} in flight, wall {walls[parallel]:.2f} s measured "
                  f"(at the real shop's costs, model: {walls[parallel] / scale:.1f} s)", flush=True)
        print(f"  ratio parallel 1 / parallel {default}: {walls[1] / walls[default]:.2f}x (same run)", flush=True)
    finally:
        sim.stop()


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # figures appear as they are measured
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=2_000, help="changed items to push (N)")
    ap.add_argument("--scale", type=float, default=0.1, help="multiply the simulated costs (1 = real time)")
    ap.add_argument("--voucher-lines", type=int, default=500, help="lines of the voucher timing the hook")
    ap.add_argument("--timings", type=pathlib.Path, default=DEFAULT_TIMINGS)
    ap.add_argument("--skip-push", action="store_true", help="only the hook's cost")
    args = ap.parse_args()
    per_request, per_item, real = cost_model(args.timings)
    if not args.skip_push:
        bench_push(args, per_request, per_item, real)
    bench_parallel(args, per_request, per_item)
    bench_hook(args)


if __name__ == "__main__":
    main()
