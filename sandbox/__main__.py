"""The sandbox: shopsync's real engine end to end on this machine, with no bench.

    scripts/sandbox [--products 60] [--orders 25] [--latency-ms 0]

It starts a WooCommerce simulator with a generated shop, a Redis of its own, real RQ workers and
the in-memory ERP (held to ERPNext 15's contract), then does what a shop owner's first day does:
configure the site (webhooks made in the shop), link the catalogue, import the orders, take live
orders through signed webhooks, receive stock, and push it. It prints each step and a summary.
"""

from __future__ import annotations

import argparse
import signal
import sys

import redis

from shopsync.sync import catchup, products, stock, webhooks
from shopsync.sync import runtime as runtime_mod
from shopsync.woocommerce import WooClient, check_connection
from tests.erp_stand_in import MemoryERP
from tests.support.intake_server import IntakeServer
from tests.support.redis_server import RedisServer
from tests.support.rq_runtime import RQEnqueuer, make_runtime
from tests.support.sites import add_site
from tests.woosim import CostModel, WooSim


#: the step running now, named when a Ctrl-C stops the sandbox; whether a progress bar is open
_now = {"step": "set-up", "bar": False}


def say(text: str = "") -> None:
    if _now["bar"]:
        sys.stdout.write("\n")
        _now["bar"] = False
    print(text, flush=True)


def step(title: str) -> None:
    _now["step"] = title
    say(f"\n== {title}")


def bar(label: str, done: int, total: int, width: int = 30) -> None:
    total = max(total, 1)
    filled = int(width * min(done, total) / total)
    sys.stdout.write(f"\r   {label:<16} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    sys.stdout.flush()
    _now["bar"] = done < total
    if done >= total:
        sys.stdout.write("\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--products", type=int, default=60, help="simple products in the generated shop")
    ap.add_argument("--orders", type=int, default=25, help="orders already in the shop")
    ap.add_argument("--customers", type=int, default=12)
    ap.add_argument("--latency-ms", type=float, default=0, help="simulated time per shop request")
    args = ap.parse_args()

    figures: dict[str, object] = {}
    say("Starting a Redis of its own, the simulated shop (generating its catalogue, customers and orders), "
        "the in-memory ERP and the webhook endpoint...")
    redis_server = RedisServer().start()
    sim = WooSim().start().seed(products=args.products, variable_products=3, customers=args.customers, orders=args.orders)
    sim.cost = CostModel(per_request_ms=args.latency_ms, per_batch_item_ms=args.latency_ms / 20)
    erp = MemoryERP.with_test_shop()
    enq = RQEnqueuer(redis.Redis.from_url(redis_server.url))
    # the simulated shop is on 127.0.0.1: allowed here, as shopsync_allow_private_hosts does on a site
    client = WooClient(sim.url, "ck_test", "cs_test", allow_private_hosts=True)
    rt = make_runtime(erp, enq, client_for=lambda s: WooClient(s.woocommerce_url, s.consumer_key, s.consumer_secret,
                                                               allow_private_hosts=True))
    intake = IntakeServer(rt).start()
    try:
        step(f"A shop at {sim.url} with {args.products} products, 3 variable ones, {args.customers} customers, {args.orders} orders")
        check = check_connection(client)
        say(f"   Test connection: {check.summary()}")

        step("Saving the WooCommerce Site 'boutique': webhooks made in the shop")
        with erp.transaction():
            erp.insert({"doctype": "Item Group", "item_group_name": "Vêtements", "parent_item_group": "All Item Groups"})
        site = add_site(
            erp, "boutique", sim.url, "ck_test", "cs_test", intake.endpoint("boutique"),
            freight_account="Shipping Income - TS", push_order_status=1,
            categories=[{"woo_category_id": c["id"], "woo_category_name": c["name"], "item_group": "Vêtements"}
                        for c in client.get("products/categories") if c["slug"] != "uncategorized"],
            payment_methods=[{"woo_method": "bacs", "mode_of_payment": "Wire Transfer"},
                             {"woo_method": "cheque", "mode_of_payment": "Cash"}],
        )
        report = webhooks.ensure_webhooks(site, client)
        for row in report.rows:
            say(f"   {row['topic']:<18} webhook #{row['woo_webhook_id']} {row['status']}")
        figures["webhooks"] = len(report.rows)

        step("Products: preview of the first sync, then the sync")
        preview = products.preview_first_sync(erp, site, client)
        say("   would do: " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in preview.counts.items() if n))
        result = products.run_first_sync(erp, site, client, progress=lambda side, done, total: bar(f"products: {side}", done, total))
        say("   " + result.summary().replace("\n", "\n   "))
        links = erp.find("WooCommerce Link", {"site": "boutique", "link_type": "Item"}, fields=("state",))
        figures["items linked"] = len(links)
        say(f"   {len(links)} item links, states: { {s: sum(1 for l in links if l['state'] == s) for s in {l['state'] for l in links}} }")

        step("Orders already in the shop: import")
        summary = catchup.import_orders(
            erp, site, client, statuses=["processing", "on-hold", "completed", "cancelled", "pending"],
            progress=lambda done, s: bar("orders imported", done, args.orders),
        )
        say("   " + str(summary).replace("\n", "\n   "))
        figures["orders imported"] = summary.created

        step("First day: the shop counts its stock, the ERP has none yet")
        rows = stock.stock_comparison(erp, site, client)
        held = [r for r in rows if r.held]
        example = next((f" (e.g. {r.item_code}: {r.shop_qty} in the shop)" for r in held), "")
        say(f"   {len(held)} of {len(rows)} linked products are held: nothing is pushed for them, "
            f"the shop keeps its quantity{example}")
        opening = stock.preview_opening_stock(erp, site, client)
        say(f"   the user is asked: 'Import the shop's stock as opening stock' -> a draft Stock Reconciliation of "
            f"{opening.counts['lines']} lines ({opening.counts['no_rate']} without a rate, {opening.counts['empty']} at 0 in the shop)")
        erp_side = stock.preview_erp_quantities(erp, site, client)
        say(f"   or 'Push ERPNext's quantities' -> {erp_side.counts['changing']} products change, "
            f"{erp_side.counts['to_zero']} would go to 0")
        figures["held on the first day"] = len(held)

        step("Live: three new orders in the shop, delivered by signed webhooks, run by RQ workers")
        live = [sim.add_order(status="processing", customer_id=c, line_items=[{"product_id": p, "quantity": q}])
                for c, p, q in ((2, 10, 1), (3, 11, 2), (0, 12, 1))]
        sent = sim.deliver_webhooks()
        say(f"   the shop delivered {len(sent)} webhooks: answers {sorted({r['status_code'] for r in sent})}")
        ran = enq.work()
        say(f"   a worker ran {ran} jobs")
        for order in live:
            link = erp.find("WooCommerce Link", {"site": "boutique", "link_type": "Order", "woo_id": order["id"]}, fields=("erp_name",))
            so = erp.get("Sales Order", link[0]["erp_name"]) if link else None
            say(f"   order #{order['number']} {order['total']} EUR -> "
                + (f"{so['name']} {so['grand_total']:.2f} {so['status']}" if so else "not imported"))
        logs = [erp.get("WooCommerce Webhook Log", e["name"]) for e in erp.find("WooCommerce Webhook Log", {"site": "boutique"})]
        counts = {s: sum(1 for e in logs if e["status"] == s) for s in sorted({e["status"] for e in logs})}
        say(f"   webhook log: {counts}")
        stored = {(e["topic"], e["resource_id"]) for e in logs}
        repeats = sorted({r["topic"] for r in sent if (r["topic"], r["resource_id"]) not in stored})
        reasons = sorted({(e["topic"], (e.get("outcome") or e.get("error") or "").rsplit(": ", 1)[-1])
                          for e in logs if e["status"] == "Skipped"})
        say(f"   why {len(sent)} deliveries made {len(logs)} entries: {len(sent) - len(logs)} repeated a stored one "
            f"({', '.join(repeats) or '-'} with the same body: not stored twice); Skipped: "
            + ("; ".join(f"{t} '{why}'" for t, why in reasons) or "none")
            + (" (the stock the orders took in the shop: stock goes from the ERP to the shop)"
               if any(t == "product.updated" for t, _ in reasons) else ""))
        figures["webhook log"] = counts

        step("Stock: a Material Receipt in the ERP, pushed to the shop by the stock job")
        codes = [l["erp_name"] for l in erp.find("WooCommerce Link", {"site": "boutique", "link_type": "Item", "woo_variation_id": 0},
                                                  fields=("erp_name",), limit=20)]
        items = [c for c in codes if erp.get("Item", c).get("has_variants") in (0, None)][:12]
        pending = stock.PendingStock(enq.conn)
        erp.on("Stock Ledger Entry", "on_submit",
               lambda sle: stock.stock_moved([site], pending, enq, [(sle["item_code"], sle["warehouse"])]), after_commit=True)
        with erp.transaction():
            se = erp.insert({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt", "company": "Test Shop",
                             "items": [{"item_code": c, "qty": 7 + i, "t_warehouse": "Stores - TS", "basic_rate": 10}
                                       for i, c in enumerate(items)]})
            erp.submit("Stock Entry", se["name"])
        before = sim.requests and len(sim.requests)
        ran = enq.work()
        say(f"   {se['name']}: {len(items)} lines -> {ran} stock job(s), {len(sim.requests) - before} request(s) to the shop")
        rows = stock.stock_comparison(erp, site, client)
        differing = [r for r in rows if r.differs]
        say(f"   stock comparison: {len(rows)} linked items, {len(differing)} differ")
        pushed_ok = [r for r in rows if r.item_code in items and not r.differs]
        say(f"   the {len(pushed_ok)} items received now show the ERP's quantity in the shop; the rest were never pushed")
        step("Push all stock (the site's button)")
        report = stock.push_all_stock(erp, site, client, progress=lambda done, total: bar("items pushed", done, total))
        say("   " + report.summary())
        after = stock.stock_comparison(erp, site, client)
        differing = [r for r in after if r.differs and not r.held]
        still_held = [r for r in after if r.held]
        say(f"   stock comparison: {len(differing)} differ; {len(still_held)} still held (no stock in ERPNext yet: "
            "the shop keeps its quantity until the user chooses one of the two ways above)")
        for r in differing:
            say(f"     {r.item_code} ({r.kind}) ERP {r.erp_qty} shop {r.shop_qty} {r.last_error}")
        figures["stock differing after push"] = len(differing)
        figures["still held after push"] = len(still_held)

        step("A delivery in the ERP marks the first live order completed in the shop")
        from shopsync.sync import order_status

        link = erp.find("WooCommerce Link", {"site": "boutique", "link_type": "Order", "woo_id": live[0]["id"]}, fields=("erp_name",))
        so_name = link[0]["erp_name"]
        for row in erp.get("Sales Order", so_name)["items"]:
            with erp.transaction():
                se = erp.insert({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt", "company": "Test Shop",
                                 "items": [{"item_code": row["item_code"], "qty": 5, "t_warehouse": "Stores - TS", "basic_rate": 10}]})
                erp.submit("Stock Entry", se["name"])
        dn = erp.make_delivery_note(so_name)
        with erp.transaction():
            dn = erp.insert(dn)
            erp.submit("Delivery Note", dn["name"])
        pushed = order_status.push_delivered(erp, site, client, [so_name])
        say(f"   {dn['name']} delivered {so_name}: order #{live[0]['number']} is now {client.get('orders/' + str(live[0]['id']))['status']} in the shop ({pushed.completed})")
        enq.work()

        step("Summary")
        for key, value in figures.items():
            say(f"   {key:<28} {value}")
        say(f"   shop requests made           {client.request_count} by the sandbox's client; {len(sim.requests)} served in all")
        say(f"   queue: jobs dropped as duplicates of a queued one: {enq.dropped}")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C now would leave Redis or its folder behind
        intake.stop()
        sim.stop()
        redis_server.stop()
        runtime_mod.install(None)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        if _now["bar"]:
            sys.stdout.write("\n")
            sys.stdout.flush()
        print(f"sandbox: interrupted during \"{_now['step']}\"; stopped there, so its figures are incomplete",
              file=sys.stderr)
        sys.exit(130)
