"""First product sync of a big shop into an empty ERP, then a resync where 1% changed.

Run by hand (no pass/fail):

    .venv/bin/python bench/bench_products.py                      # 10,000 products + 2,000 variations
    .venv/bin/python bench/bench_products.py --products 2000 --variations 400 --scale 0.1

The shop is the simulator (tests/woosim) over real HTTP, its objects dated over the past days
(one every 10 s) as a catalogue built over time would be; the ERP is the in-memory stand-in
(tests/erp_stand_in). ``--scale`` applies the simulator's cost model taken from the real shop's
timings (tests/captures/woocommerce/timings.json, "webhooks_paused": per request the median of
``GET products/<id>``, per batch item the median 100-update batch less that, divided by 100),
multiplied by the scale; the default 0 adds no latency.

Printed for each run: requests to the shop, wall time (and how much of it the ERP stand-in took:
its inserts check unique fields and duplicate prices by scanning, so a first sync into it grows with
the square of the catalogue), items per second, and the resync's cost against the first sync's.
Three runs:

1. first sync: every product and variation becomes an item (links, prices, templates, variants).
   The stand-in's Item and Item Price hooks are wired as shopsync/events.py wires Frappe's (note
   in the transaction, flush after the commit into a real Redis and RQ queue), and the jobs the
   first sync queues are counted: **before** (engine marking off: every Item save and selling
   Item Price save the hooks see, each of which queued one ``push_item`` job before issue 13),
   and **after** (what the hooks, which skip the engine's own writes, actually queued in RQ);
2. incremental resync (``run_sync(since=cursor)``) after 1% changed: half of the changes in the
   shop (names, prices of products and variations), half in the ERP (Item names, Item Prices);
3. the same resync as a full listing (``run_sync()`` without a cursor), for comparison.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import pathlib
import random
import sys
import time
from typing import Any

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from shopsync.sync import products as P  # noqa: E402
from shopsync.woocommerce import WooClient, hosts  # noqa: E402

hosts.allow_private_hosts(True)  # the simulated shop listens on 127.0.0.1
from tests.erp_stand_in import MemoryERP  # noqa: E402
from tests.support.sites import add_site  # noqa: E402
from tests.woosim import CostModel, WooSim  # noqa: E402

from _timings import DEFAULT_TIMINGS, cost_model  # noqa: E402
ERP_CALLS = ("get", "exists", "find", "get_value", "get_single_value", "insert", "update", "delete",
             "make_variant", "now")


class TimedERP:
    """The ERP with a stopwatch on every port call (to tell the stand-in's time from ours)."""

    def __init__(self, erp: Any):
        self._erp = erp
        self.seconds = 0.0
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._erp, name)
        if name not in ERP_CALLS:
            return attr

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0
                self.calls += 1

        return timed

    def transaction(self):
        return self._erp.transaction()


def wire_item_hooks(erp: Any, stack: contextlib.ExitStack) -> dict:
    """The stand-in's Item and Item Price hooks as shopsync/events.py wires Frappe's: note the item
    in the transaction's ItemEvents (which skips the engine's own writes), flush after the commit
    into a real Redis (pending set per site) and a real RQ queue. ``seen`` counts every save the
    hooks see, marking or not: what the hooks queued before issue 13 (one job each)."""
    import redis

    from shopsync.sync.products.pending import ItemEvents, PendingProducts
    from tests.support.redis_server import RedisServer
    from tests.support.rq_runtime import RQEnqueuer

    server = RedisServer().start()
    stack.callback(server.stop)
    conn = redis.Redis.from_url(server.url)
    out = {"seen": 0, "enqueuer": RQEnqueuer(conn, queue_name="bench", by_name=True),
           "pending": PendingProducts(conn)}
    events = ItemEvents()
    inner = getattr(erp, "_erp", erp)

    def note(doc):
        out["seen"] += 1
        events.record(doc["name"])

    def note_price(doc):
        if doc.get("selling", 1):
            out["seen"] += 1
            events.record(doc["item_code"])

    def flush(_doc):
        from shopsync.sync.site import SITE_DOCTYPE, SiteConfig

        sites = [SiteConfig.from_doc(inner.get(SITE_DOCTYPE, r["name"])) for r in inner.find(SITE_DOCTYPE)]
        events.flush(sites, out["pending"], out["enqueuer"])

    for doctype, callback in (("Item", note), ("Item Price", note_price)):
        inner.on(doctype, "on_update", callback)
        inner.on(doctype, "on_update", flush, after_commit=True)
    return out


def scaled_cost_model(path: pathlib.Path, scale: float) -> CostModel:
    if not scale:
        return CostModel()
    per_request, per_item, _ = cost_model(path)
    return CostModel(per_request_ms=per_request * scale, per_batch_item_ms=per_item * scale)


def seed_shop(sim: WooSim, n_products: int, n_variations: int, per_parent: int) -> tuple[list[int], list[int]]:
    """``n_products`` products (``n_variations // per_parent`` of them variable) and their variations."""
    st = sim.state
    rng = random.Random(7)
    with sim.lock:
        cats = [st.create_category({"name": name})["id"] for name in ("Vêtements", "Accessoires", "Maison")]
        size = st.create_attribute({"name": "Size", "slug": "pa_size"})
        values = [f"T{n}" for n in range(per_parent)]
        for order, value in enumerate(values):
            st.create_term(size["id"], {"name": value, "slug": value.lower(), "menu_order": order})
        n_variable = n_variations // per_parent if per_parent else 0
        simple_ids, variation_ids = [], []
        for n in range(n_products - n_variable):
            p = st.create_product({
                "name": f"Produit {n:05d}", "type": "simple", "sku": f"B-S-{n:05d}",
                "regular_price": f"{5 + rng.random() * 50:.2f}", "weight": f"{rng.randint(1, 30) / 10:.1f}",
                "description": f"<p>Produit de test {n}.</p>", "categories": [{"id": rng.choice(cats)}],
                "manage_stock": True, "stock_quantity": rng.randint(0, 40)}, fire=False)
            simple_ids.append(p["id"])
        for n in range(n_variable):
            parent = st.create_product({
                "name": f"Modèle {n:04d}", "type": "variable", "sku": f"B-V-{n:04d}",
                "description": f"<p>Modèle {n}.</p>", "categories": [{"id": cats[0]}],
                "attributes": [{"id": size["id"], "variation": True, "visible": True, "options": values}]}, fire=False)
            for value in values:
                v = st.create_variation(parent["id"], {
                    "sku": f"B-V-{n:04d}-{value}", "regular_price": f"{20 + rng.random() * 30:.2f}",
                    "weight": "0.5", "manage_stock": True, "stock_quantity": rng.randint(0, 20),
                    "attributes": [{"id": size["id"], "option": value}]}, fire=False)
                variation_ids.append(v["id"])
        # a real catalogue was built over time: spread the dates over the past days (one object
        # every 10 s), or every product would carry the same second and any "modified after" the
        # first sync would list them all again
        objects = sorted(list(st.products.values()) + list(st.variations.values()), key=lambda o: o["id"])
        start = sim.now() - 10 * len(objects) - 60
        for n, obj in enumerate(objects):
            st.stamp(obj, created=True, ts=start + 10 * n)
    return simple_ids, variation_ids, cats


def report(label: str, seconds: float, requests: int, objects: int, erp: TimedERP, erp_before: float) -> dict:
    erp_s = erp.seconds - erp_before
    rate = objects / seconds if seconds else float("inf")
    rest = max(seconds - erp_s, 1e-9)
    print(f"{label}:")
    print(f"  requests to the shop : {requests}")
    print(f"  wall time            : {seconds:8.2f} s  (in the ERP stand-in {erp_s:.2f} s; engine + HTTP + shop {rest:.2f} s)")
    print(f"  objects considered   : {objects}  -> {rate:,.0f} per second ({objects / rest:,.0f} per second "
          "leaving the stand-in's own time out)")
    return {"seconds": seconds, "requests": requests}


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # figures appear as they are measured
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--products", type=int, default=10_000, help="products in the shop (simple + variable)")
    ap.add_argument("--variations", type=int, default=2_000, help="variations in all")
    ap.add_argument("--per-parent", type=int, default=4, help="variations per variable product")
    ap.add_argument("--changed", type=float, default=0.01, help="share of objects changed before the resync")
    ap.add_argument("--scale", type=float, default=0.0, help="simulator latency: the real shop's timings x scale")
    ap.add_argument("--timings", type=pathlib.Path, default=DEFAULT_TIMINGS)
    args = ap.parse_args()

    sim = WooSim(consumer_key="ck_bench", consumer_secret="cs_bench").start()
    stack = contextlib.ExitStack()
    try:
        t0 = time.perf_counter()
        simple_ids, variation_ids, cats = seed_shop(sim, args.products, args.variations, args.per_parent)
        total = len(sim.state.products) + len(sim.state.variations)
        print(f"shop: {len(sim.state.products)} products ({len(simple_ids)} simple), {len(sim.state.variations)} "
              f"variations; seeded in {time.perf_counter() - t0:.1f} s")
        sim.cost = scaled_cost_model(args.timings, args.scale)
        print(f"cost model: {sim.cost.per_request_ms:.1f} ms per request, {sim.cost.per_batch_item_ms:.1f} ms "
              f"per batch item (scale {args.scale:g})")

        erp = TimedERP(MemoryERP.with_test_shop())
        with erp.transaction():
            for group in ("Clothes", "Accessories"):
                erp.insert({"doctype": "Item Group", "item_group_name": group, "parent_item_group": "All Item Groups"})
        site = add_site(erp, "bench", sim.url, "ck_bench", "cs_bench", categories=[
            {"woo_category_id": cats[0], "item_group": "Clothes"},
            {"woo_category_id": cats[1], "item_group": "Accessories"}])
        client = WooClient(sim.url, "ck_bench", "cs_bench", timeout=300, max_retry_seconds=600)

        # the Item / Item Price hooks, as shopsync/events.py wires them, into a real Redis + RQ
        hooks = wire_item_hooks(erp, stack)

        # 1. first sync
        last = [0.0]

        def progress(stage: str, done: int, of: int) -> None:
            now = time.perf_counter()
            if now - last[0] > 5 or done == of:
                last[0] = now
                print(f"  ... {stage}: {done}/{of}", flush=True)

        r0, e0, t0 = client.request_count, erp.seconds, time.perf_counter()
        first = P.run_first_sync(erp, site, client, progress=progress)
        first_s = time.perf_counter() - t0
        print(f"  {first.summary()}")
        a = report("first sync", first_s, client.request_count - r0, total, erp, e0)
        jobs_after = sum(q.count for q in hooks["enqueuer"].queues.values())
        print(f"  jobs queued by the Item / Item Price hooks, same run: before (engine marking off, counted: one "
              f"push_item job per save the hooks saw, as before issue 13) {hooks['seen']}; after (measured in RQ) "
              f"{jobs_after}; product pushes pending {hooks['pending'].size(site.name)}", flush=True)
        if first.errors:
            print(f"  first errors: {[r.detail for r in first.errors[:3]]}")

        # 1% changes, half in the shop, half in the ERP
        n_changes = max(2, int(total * args.changed))
        rng = random.Random(11)
        sim.advance_clock(5)
        in_shop = n_changes // 2
        shop_side = rng.sample(variation_ids, min(len(variation_ids), in_shop // 2))
        shop_side += rng.sample(simple_ids, in_shop - len(shop_side))
        with sim.lock:
            for pid in shop_side:
                if pid in sim.state.variations:
                    sim.state.update_variation(None, pid, {"regular_price": "99.00"}, fire=False)
                else:
                    sim.state.update_product(pid, {"name": f"Renamed {pid}", "regular_price": "99.00"}, fire=False)
        codes = [c for c in first.created_items if c.startswith("B-S-")]
        erp_side = rng.sample(codes, n_changes - len(shop_side))
        prices = {r["item_code"]: r["name"] for r in erp.find("Item Price", {"item_code": ("in", erp_side)},
                                                                fields=("name", "item_code"))}
        with erp.transaction():
            for code in erp_side:
                erp.update("Item", code, {"item_name": f"ERP {code}"})
                erp.update("Item Price", prices[code], {"price_list_rate": 77})
        print(f"changed: {len(shop_side)} in the shop, {len(erp_side)} in the ERP ({n_changes / total:.1%})")
        jobs_now = sum(q.count for q in hooks["enqueuer"].queues.values())
        print(f"  the ERP side's {2 * len(erp_side)} saves (Items, Item Prices) queued {jobs_now - jobs_after} push "
              f"job(s) (measured in RQ; one per site), {hooks['pending'].size(site.name)} item(s) pending in it; "
              "the resync below pushes them itself")

        # 2. incremental resync
        r0, e0, t0 = client.request_count, erp.seconds, time.perf_counter()
        again = P.run_sync(erp, site, client, since=first.cursor)
        inc_s = time.perf_counter() - t0
        print(f"  {again.summary()}")
        b = report("resync (incremental, since the first sync's cursor)", inc_s, client.request_count - r0, total, erp, e0)

        # 3. the same state, read whole
        r0, e0, t0 = client.request_count, erp.seconds, time.perf_counter()
        full = P.run_sync(erp, site, client)
        full_s = time.perf_counter() - t0
        print(f"  {full.summary()} (nothing left after the incremental run is expected)")
        c = report("resync (full listing)", full_s, client.request_count - r0, total, erp, e0)

        print("resync against first sync:")
        for label, r in (("incremental", b), ("full listing", c)):
            print(f"  {label:13s}: {r['requests'] / max(a['requests'], 1):6.1%} of the requests, "
                  f"{r['seconds'] / max(a['seconds'], 1e-9):6.1%} of the time")
    finally:
        stack.close()
        sim.stop()


if __name__ == "__main__":
    main()
