"""Benchmark on a real Frappe 15 + ERPNext 15 site: its endpoint, its gunicorn and its own RQ workers.

    SHOPSYNC_BENCH=/opt/frappe-real SHOPSYNC_SITE=test.local SHOPSYNC_BENCH_URL=http://127.0.0.1:8000 \\
        .venv/bin/python bench/bench_real_site.py [--orders 20] [--burst 100]

Skipped (exit 0, one line) without those variables or when the site does not answer. The shop is
the project's WooCommerce simulator (tests/woosim) in this process; the site is configured as the
real-site tests do (tests/bench_site: a ``sim-bench-…`` WooCommerce Site). Prints, measured in this
run: the intake's accepted per second and p50/p99 at 1, 10 and 50 concurrent senders, the floors at
50 (a body Frappe refuses before app code, a forged delivery, an exact duplicate), delivery→Sales
Order p50/p95 through the live workers, and each order job's time in the worker (waiting, the work
horse's start-up, the work) from RQ's own timestamps. Nothing here empties a queue or takes a job.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def say(*args) -> None:
    print(*args, flush=True)


def pct(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def ms(x):
    return f"{x * 1000:.0f} ms"


def bench_or_skip():
    path, site, url = (os.environ.get(k) for k in ("SHOPSYNC_BENCH", "SHOPSYNC_SITE", "SHOPSYNC_BENCH_URL"))
    if not (path and site and url):
        say("skipped: no real bench (set SHOPSYNC_BENCH, SHOPSYNC_SITE and SHOPSYNC_BENCH_URL)")
        sys.exit(0)
    import requests

    try:
        requests.get(f"{url.rstrip('/')}/api/method/ping", timeout=5).raise_for_status()
    except requests.RequestException as exc:
        say(f"skipped: the site at {url} does not answer ({type(exc).__name__})")
        sys.exit(0)
    from tests.bench_site.conftest import Bench

    bench = Bench(path, site, url)
    bench.cli("set-config", "shopsync_allow_private_hosts", "1")
    return bench


def send_all(deliveries, concurrency):
    """Post every delivery with ``concurrency`` senders; (status codes, latencies, wall)."""
    import requests

    local = threading.local()

    def one(d):
        url, headers, body = d
        session = getattr(local, "s", None) or requests.Session()
        local.s = session
        t = time.perf_counter()
        code = session.post(url, data=body, headers=dict(headers), timeout=60).status_code
        return code, time.perf_counter() - t

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        out = list(pool.map(one, deliveries))
    return [c for c, _ in out], [t for _, t in out], time.perf_counter() - t0


def report(label, codes, times, wall, ok=(200,)):
    good = sum(1 for c in codes if c in ok)
    say(f"  {label:<38} {len(codes):>4} sent, {good:>4} answered {'/'.join(map(str, ok))}: "
        f"{good / wall:6.1f}/s, p50 {ms(pct(times, 50))}, p99 {ms(pct(times, 99))}")
    return good / wall


class Rest:
    """The site's REST API as Administrator (reads only)."""

    def __init__(self, url):
        import requests

        self.url, self.s = url, requests.Session()
        self.s.post(f"{url}/api/method/login", json={"usr": "Administrator", "pwd": os.environ.get("SHOPSYNC_BENCH_PASSWORD", "admin")},
                    timeout=30).raise_for_status()

    def rows(self, doctype, filters, fields):
        import requests

        for attempt in range(60):  # the shared bench's web server may be restarted by someone else meanwhile
            try:
                r = self.s.get(f"{self.url}/api/resource/{doctype}", params={
                    "filters": json.dumps(filters), "fields": json.dumps(fields), "limit_page_length": 0}, timeout=60)
                r.raise_for_status()
                return r.json()["data"]
            except requests.ConnectionError:
                if attempt == 59:
                    raise
                time.sleep(1)


def stamp(text):
    return dt.datetime.strptime(str(text)[:26], "%Y-%m-%d %H:%M:%S.%f" if "." in str(text) else "%Y-%m-%d %H:%M:%S")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=20, help="orders timed one at a time, delivery to Sales Order")
    ap.add_argument("--burst", type=int, default=100, help="deliveries per intake run")
    ap.add_argument("--stock-lines", type=int, default=500, help="lines of the big Stock Reconciliation (0: no stock section)")
    ap.add_argument("--stock-repeats", type=int, default=10, help="one-line Stock Reconciliations timed one at a time")
    args = ap.parse_args()
    bench = bench_or_skip()
    from shopsync.woocommerce import hosts
    from shopsync.woocommerce.signature import sign

    hosts.allow_private_hosts(True)  # this process reads the simulated shop on 127.0.0.1 too
    from tests.test_concurrent_workers import take_deliveries
    from tests.woosim import WooSim

    say(f"real site {bench.site} at {bench.url}; machine: {os.cpu_count()} cores, shared with other work (noisy)")
    sim = WooSim().start().seed(products=max(5, args.stock_lines), variable_products=0, customers=5, orders=0)
    name = "sim-bench-" + uuid.uuid4().hex[:6]
    info = bench.run("make_site", name=name, url=sim.url, key="ck_test", secret="cs_test", host_url=bench.url)
    bench.run("check_webhooks", name=name)
    sim.deliver_webhooks()
    rest = Rest(bench.url)
    try:
        # --- intake ------------------------------------------------------------------------------
        say("intake (real signed order deliveries, accepted = answered 200 and stored):")
        hook = next(w for w in bench.run("webhook_rows", name=name) if w.get("topic") == "order.updated")
        base = 900000 + int(time.time()) % 50000 * 10

        def order_delivery(oid):
            body = json.dumps({"id": oid, "number": str(oid), "status": "pending", "order_key": f"wc_order_{oid}",
                               "date_modified_gmt": "2026-11-23T10:00:00", "currency": "EUR", "total": "0.00",
                               "billing": {"email": "bench@example.test"}, "line_items": []}).encode()
            return (info["endpoint_url"], [
                ("Content-Type", "application/json"), ("X-WC-Webhook-Topic", "order.updated"),
                ("X-WC-Webhook-Resource", "order"), ("X-WC-Webhook-Event", "updated"),
                ("X-WC-Webhook-ID", str(hook["woo_webhook_id"])),
                ("X-WC-Webhook-Signature", sign(info["webhook_secret"], body))], body)

        sent_ids = []
        for conc in (1, 10, 50):
            n = min(args.burst, 20) if conc == 1 else args.burst
            batch = [order_delivery(base + len(sent_ids) + i) for i in range(n)]
            sent_ids += [base + len(sent_ids) + i for i in range(n)]
            codes, times, wall = send_all(batch, conc)
            accepted = report(f"accepted, {conc} concurrent", codes, times, wall)
        d = batch[0]

        def kept_without_job(i):
            """Signed and stored, but no job: WooCommerce's error body (kept as Skipped)."""
            body = json.dumps({"code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID.",
                               "data": {"status": 404}, "nonce": f"{base}-{i}"}).encode()
            return (d[0], [h if h[0] != "X-WC-Webhook-Signature" else (h[0], sign(info["webhook_secret"], body)) for h in d[1]], body)

        codes, times, wall = send_all([kept_without_job(i) for i in range(args.burst)], 50)
        stored_only = report("stored, no job queued, 50 concurrent", codes, times, wall)
        floors = {
            "floor: body Frappe refuses (not JSON)": ([(d[0], d[1], b"{not json")] * args.burst, (500, 400, 417)),
            "floor: forged signature": ([(d[0], [h if h[0] != "X-WC-Webhook-Signature" else (h[0], sign("forged", d[2])) for h in d[1]], d[2])] * args.burst, (401,)),
            "floor: exact duplicate": ([d] * args.burst, (200,)),
        }
        rates = {}
        for label, (batch, ok) in floors.items():
            codes, times, wall = send_all(batch, 50)
            rates[label] = report(label + ", 50 concurrent", codes, times, wall, ok)
        say(f"  accepted at 50 concurrent = {accepted / rates['floor: forged signature']:.2f} x the forged floor, "
            f"{accepted / rates['floor: body Frappe refuses (not JSON)']:.2f} x Frappe's own floor (while the 2 workers "
            f"run the jobs it queued on the same cores); stored without a job = "
            f"{stored_only / rates['floor: forged signature']:.2f} x the forged floor")
        entries = rest.rows("WooCommerce Webhook Log", [["site", "=", name], ["resource_id", ">=", base]], ["resource_id"])
        ids = [e["resource_id"] for e in entries]
        say(f"  stored: {len(ids)} log entries for {len(sent_ids)} distinct deliveries; lost {len(set(sent_ids) - set(ids))}, "
            f"doubled {len(ids) - len(set(ids))}")

        t = time.perf_counter()
        while time.perf_counter() - t < 900 and rest.rows("WooCommerce Webhook Log", [
                ["site", "=", name], ["status", "in", ["Queued", "Processing"]]], ["name"]):
            time.sleep(1)
        say(f"  the {len(sent_ids)} jobs it queued: the last done {time.perf_counter() - t:.0f} s after the floors' bursts ended")

        # --- delivery -> Sales Order -----------------------------------------------------------
        say(f"delivery -> submitted Sales Order, {args.orders} new orders one at a time (live workers):")
        with __import__("shopsync.woocommerce", fromlist=["WooClient"]).WooClient(sim.url, "ck_test", "cs_test") as client:
            customers = list(client.iter("customers"))
        from zoneinfo import ZoneInfo

        # the log's modified is in the site's time zone
        site_tz = ZoneInfo(rest.s.get(f"{rest.url}/api/method/frappe.client.get_single_value", timeout=60,
                                      params={"doctype": "System Settings", "field": "time_zone"}).json()["message"] or "UTC")
        lat, waits, horse = [], [], []
        for i in range(args.orders):
            c = customers[i % len(customers)]
            order = sim.add_order(status="processing", customer_id=c["id"], line_items=[{"product_id": 10 + i % 5, "quantity": 1}],
                                  billing=dict(c["billing"], email=f"buyer{i}.{uuid.uuid4().hex[:4]}@example.test",
                                               first_name="Bench", last_name=f"Buyer {uuid.uuid4().hex[:5]}"))
            ds = [x for x in take_deliveries(sim) if json.loads(x[2]).get("id") == order["id"]][:1]
            t0 = dt.datetime.now(dt.timezone.utc)
            send_all(ds, 1)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                done = rest.rows("WooCommerce Webhook Log", [["site", "=", name], ["resource_id", "=", order["id"]],
                                                             ["status", "in", ["Done", "Failed", "Skipped"]]], ["status", "modified"])
                if done:
                    break
                time.sleep(0.05)
            if not done or done[0]["status"] != "Done":
                say(f"  order {order['id']}: {done[0]['status'] if done else 'not done in 120 s'}")
                continue
            lat.append((stamp(done[0]["modified"]).replace(tzinfo=site_tz) - t0).total_seconds())
            job = bench_job(name, order["id"])
            if job:
                waits.append(job[0])
                horse.append(job[1])
        if lat:
            say(f"  p50 {ms(pct(lat, 50))}, p95 {ms(pct(lat, 95))} (POST sent -> log entry Done, the Sales Order submitted "
                f"in the same commit), n={len(lat)}")
        if horse:
            say(f"  in RQ: queued -> picked up p50 {ms(pct(waits, 50))}; work horse (start-up + job) p50 {ms(pct(horse, 50))}")
        payloads = []
        for i in range(min(10, args.orders)):
            c = customers[i % len(customers)]
            payloads.append(sim.add_order(status="processing", customer_id=c["id"], line_items=[{"product_id": 10 + i % 5, "quantity": 1}],
                                          billing=dict(c["billing"], email=f"warm{i}.{uuid.uuid4().hex[:4]}@example.test",
                                                       first_name="Warm", last_name=f"Buyer {uuid.uuid4().hex[:5]}")))
        take_deliveries(sim)  # dropped: these orders are imported in the warm process only
        split = bench.run("perf_checks:warm_order_split", site=name, payloads=payloads)
        say("  the same job in a warm process (no fork, modules loaded), per order, median of "
            f"{split['n']}: total {split['total_ms']:.0f} ms = ERPNext documents {split['erpnext_ms']:.0f} ms "
            f"(Sales Order insert+submit {split['sales_order_ms']:.0f} ms) + shop HTTP {split['http_ms']:.0f} ms + "
            f"shopsync {split['shopsync_ms']:.0f} ms ({split['shopsync_ms'] / max(split['sales_order_ms'], 1) * 100:.0f} % of the "
            f"Sales Order's insert+submit); {split['queries']:.0f} shopsync queries")
        say(f"    shopsync's part: its reads and bookkeeping writes through the port {split['port_ms']:.1f} ms, the COMMITs of "
            f"its transactions {split['commit_ms']:.1f} ms, its Python {split['python_ms']:.1f} ms; Frappe's and ERPNext's own "
            f"commit callbacks run at those commits {split['erp_callbacks_ms']:.1f} ms")
        say(f"  work horse start-up in a real worker (fork, frappe.init/connect, imports): measured by "
            f"perf_checks:startup: {json.dumps(bench.run('perf_checks:startup'))}")
        stock_section(bench, sim, name, args)
    finally:
        bench.run("set_enabled", name=name, enabled=0)
        sim.stop()
    return 0


def stock_section(bench, sim, name, args):
    """Stock commit -> shop through the live workers: a Stock Reconciliation committed in the site
    (perf_checks:stock_reconcile), then the time each of its products changes in the simulated shop
    (its own update event), and the requests the push made."""
    if args.stock_lines <= 0:
        return
    say("stock commit -> shop (Stock Reconciliation submitted in the site, pushed by the live workers; the shop is the simulator):")
    t = time.perf_counter()
    synced = bench.run("product_first_sync", site=name)
    links = {row["erp_name"]: row["woo_id"] for row in synced["links"] if not row.get("woo_variation_id")}
    say(f"  (set-up: first product sync of {len(links)} products in {time.perf_counter() - t:.0f} s)")
    changed: dict[int, list[float]] = {}
    on_event = sim._on_event

    def seen(resource, event, resource_id):
        if resource == "product":
            changed.setdefault(resource_id, []).append(time.time())
        return on_event(resource, event, resource_id)

    sim._on_event = seen

    def one_run(codes):
        pids = [links[c] for c in codes]
        for pid in pids:  # a figure the push must overwrite, whatever the shop showed before
            sim.set_stock(pid, 99999)
        changed.clear()
        n0 = len(sim.requests)
        done = bench.run("perf_checks:stock_reconcile", item_codes=codes)
        committed, expected = done["committed_at"], done["expected"]
        codes = [c for c in codes if c in expected]  # the voucher's lines: stock items only
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not all(
                sim.state.products[links[c]]["stock_quantity"] == expected[c] for c in codes):
            time.sleep(0.02)
        late = [c for c in codes if sim.state.products[links[c]]["stock_quantity"] != expected[c]]
        lat = [changed[links[c]][0] - committed for c in codes if c not in late and changed.get(links[c])]
        reqs = [r for r in sim.requests[n0:] if r["time"] >= committed - 1]
        return lat, late, reqs, codes

    try:
        one, pushes = [], []
        code = sorted(links)[0]
        for _ in range(args.stock_repeats):
            lat, late, reqs, _ = one_run([code])
            one += lat
            pushes.append(len(reqs))
            if late:
                say(f"  one line: {code} not in the shop after 300 s")
        if one:
            say(f"  one line: commit -> shop p50 {ms(pct(one, 50))}, p95 {ms(pct(one, 95))}, n={len(one)}; "
                f"requests per push {statistics.median(pushes):.0f}")
        codes = sorted(links)[:args.stock_lines]
        if len(codes) > 1:
            lat, late, reqs, codes = one_run(codes)
            writes = [r for r in reqs if r["method"] in ("POST", "PUT")]
            say(f"  {len(codes)}-line voucher: commit -> shop per product p50 {ms(pct(lat, 50))}, p95 {ms(pct(lat, 95))}, "
                f"last {ms(max(lat)) if lat else 'n/a'}; {len(late)} not in the shop; {len(reqs)} requests to the shop "
                f"({len(writes)} writes: {', '.join(sorted(set(str(r['endpoint']) for r in writes)))})")
            for c in late[:5]:
                say(f"    not in the shop: {c} shows {sim.state.products[links[c]]['stock_quantity']}, the site's figure {expected[c]}")
    finally:
        sim._on_event = on_event


def bench_job(site, order_id):
    """(queued -> started, started -> ended) in seconds from the job's hash in the bench's Redis."""
    import redis

    conf = json.loads(open(os.path.join(os.environ["SHOPSYNC_BENCH"], "sites", "common_site_config.json")).read())
    r = redis.Redis.from_url(conf.get("redis_queue", "redis://127.0.0.1:6379"))
    key = f"rq:job:{os.environ['SHOPSYNC_SITE']}::shopsync:delivery:{site}:order:{order_id}"
    h = {k.decode(): v.decode() for k, v in r.hgetall(key).items() if k in (b"enqueued_at", b"started_at", b"ended_at")}
    if len(h) < 3 or not all(h.values()):  # the job's hash not finished yet
        return None
    t = {k: dt.datetime.fromisoformat(v.rstrip("Z")) for k, v in h.items()}
    return (t["started_at"] - t["enqueued_at"]).total_seconds(), (t["ended_at"] - t["started_at"]).total_seconds()


if __name__ == "__main__":
    sys.exit(main())
