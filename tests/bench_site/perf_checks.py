"""Timing checks run inside a real bench (see in_site.py) for bench/bench_real_site.py.

``warm_order_split`` imports orders through the very job code (a log entry, ``process_entry``) in
this already-warm process and splits each job's time: ERPNext's document work (inserts, saves,
submits of ERPNext doctypes through the port), the shop's HTTP time, and the rest (shopsync's own
reads, bookkeeping and Python). ``startup`` times what a work horse does before a job's code runs.
"""

from __future__ import annotations

import statistics
import sys
import time

import frappe

WRITES = ("insert", "update", "submit", "cancel", "delete", "make_variant", "make_sales_invoice", "get_payment_entry")


def warm_order_split(site, payloads, trace=False):
    """``trace``: also return, for the last order, each query of shopsync's own (its text, its
    time, and the shopsync line that made it)."""
    import traceback

    import requests

    from shopsync.erp.frappe_erp import FrappeERP
    from shopsync.jobs import frappe_runtime
    from shopsync.sync import deliveries

    from frappe.utils import CallbackManager

    # erp: ERPNext's document work through the port; erp_callbacks: Frappe's and ERPNext's own
    # before/after-commit callbacks (realtime notices, their deferred updates), run when shopsync
    # commits; port: shopsync's reads and bookkeeping writes through the port (their SQL in);
    # commit: the COMMIT statements of shopsync's transactions
    state = {"erp": 0.0, "so": 0.0, "http": 0.0, "queries": 0, "inside": 0, "port": 0.0, "commit": 0.0,
             "erp_callbacks": 0.0, "in_port": 0}

    class Timed(FrappeERP):
        pass

    def wrap(name):
        base = getattr(FrappeERP, name)

        def timed(self, *args, **kwargs):
            first = args[0] if args else None
            doctype = first.get("doctype") if isinstance(first, dict) else first
            erpnext = name in WRITES and not str(doctype or "").startswith("WooCommerce")
            if not erpnext:
                if state["inside"] or state["in_port"]:
                    return base(self, *args, **kwargs)
                state["in_port"] += 1
                t = time.perf_counter()
                try:
                    return base(self, *args, **kwargs)
                finally:
                    state["in_port"] -= 1
                    spent = time.perf_counter() - t
                    state["port"] += spent
                    if trace:
                        traced.append([round(spent * 1000, 2), f"port {name} {doctype}", []])
            state["inside"] += 1
            t = time.perf_counter()
            try:
                return base(self, *args, **kwargs)
            finally:
                spent = time.perf_counter() - t
                state["inside"] -= 1
                state["erp"] += spent
                if doctype == "Sales Order" and name in ("insert", "submit"):
                    state["so"] += spent

        return timed

    for name in WRITES + ("get", "find", "get_value", "get_values", "exists", "set_values", "insert_row", "count"):
        if hasattr(FrappeERP, name):
            setattr(Timed, name, wrap(name))
    run_callbacks = CallbackManager.run

    def timed_run(self):
        # each callback of Frappe's or ERPNext's timed apart; shopsync's own stay in its share
        while self._functions:
            fn = self._functions.popleft()
            theirs = not getattr(fn, "__module__", "").startswith("shopsync")
            if theirs:
                state["inside"] += 1
            t = time.perf_counter()
            try:
                fn()
            finally:
                if theirs:
                    state["inside"] -= 1
                    state["erp_callbacks"] += time.perf_counter() - t
    send = requests.Session.send

    def timed_send(self, *args, **kwargs):
        t = time.perf_counter()
        try:
            return send(self, *args, **kwargs)
        finally:
            state["http"] += time.perf_counter() - t

    sql = frappe.db.sql

    traced = []

    def counted_sql(*args, **kwargs):
        if state["inside"]:
            return sql(*args, **kwargs)
        state["queries"] += 1
        t = time.perf_counter()
        try:
            return sql(*args, **kwargs)
        finally:
            if str(args[0]).strip().lower() == "commit":
                state["commit"] += time.perf_counter() - t
            if trace:
                where = [f"{f.filename.rsplit('/shopsync/', 1)[-1]}:{f.lineno} {f.name}" for f in traceback.extract_stack()[:-1]
                         if "/shopsync/" in f.filename and "/tests/" not in f.filename]
                traced.append([round((time.perf_counter() - t) * 1000, 2), " ".join(str(args[0]).split())[:160], where[-3:]])

    requests.Session.send = timed_send
    frappe.db.sql = counted_sql
    CallbackManager.run = timed_run
    rt = frappe_runtime()
    rt.erp = Timed()
    config = rt.load_site(site)
    rows = []
    try:
        for payload in payloads:
            entry = _queued_order_entry(site, payload)
            for k in state:
                state[k] = 0 if k in ("queries", "inside", "in_port") else 0.0
            traced.clear()
            t = time.perf_counter()
            status = deliveries.process_entry(rt, rt.load_site(site), entry)
            total = time.perf_counter() - t
            rows.append({"status": status, "total": total, **state})
    finally:
        requests.Session.send = send
        frappe.db.sql = sql
        CallbackManager.run = run_callbacks
    done = [r for r in rows if r["status"] == "Done"] or rows
    med = lambda k: statistics.median(r[k] for r in done) * (1 if k == "queries" else 1000)  # noqa: E731
    return {"n": len(done), "statuses": [r["status"] for r in rows], "total_ms": med("total"), "erpnext_ms": med("erp"),
            "sales_order_ms": med("so"), "http_ms": med("http"),
            "shopsync_ms": statistics.median((r["total"] - r["erp"] - r["http"]) for r in done) * 1000, "queries": med("queries"),
            "erp_callbacks_ms": med("erp_callbacks"), "port_ms": med("port"), "commit_ms": med("commit"),
            "python_ms": statistics.median((r["total"] - r["erp"] - r["http"] - r["erp_callbacks"] - r["port"] - r["commit"])
                                           for r in done) * 1000,
            **({"trace": traced} if trace else {})}


def _queued_order_entry(site, payload):
    """A Queued log entry for ``payload`` as the intake stores it, committed; no job queued."""
    from shopsync.jobs import frappe_runtime
    from shopsync.sync import intake

    rt = frappe_runtime()
    # the site's webhooks are made by a job after its first save: maybe not yet
    hook = next((w for w in frappe.get_doc("WooCommerce Site", site).webhooks if w.topic == "order.created"), None)
    entry = rt.erp.insert({"doctype": intake.LOG_DOCTYPE, "site": site, "topic": "order.created", "resource": "order",
                   "event": "created", "webhook_id": int(hook.woo_webhook_id) if hook else 0, "resource_id": payload["id"],
                   "received_at": rt.erp.now(), "body_sha256": frappe.generate_hash(length=40),
                   "dedupe_key": frappe.generate_hash(length=40), "payload": frappe.as_json(payload),
                   "attempts": 0, "status": "Queued", "date_modified_gmt": payload.get("date_modified_gmt")})
    frappe.db.commit()
    return entry


#: a work horse, in a fresh interpreter: what the worker imported before forking (Frappe's
#: background_jobs, and with shopsync-worker its preload), then Frappe's own execute_job of the
#: order job exactly as RQ calls it in the horse
_HORSE = """
import json, sys, time
sys.path.insert(0, {root!r})
import frappe, frappe.utils.background_jobs
preloaded = None
if {preload!r}:
    from shopsync.worker import preload
    loaded, failed, secs = preload()
    preloaded = {{"modules": len(loaded), "failed": failed, "seconds": secs}}
before = set(sys.modules)
import cProfile, os  # HORSE_PROFILE=<file>: the job's profile written there
prof = cProfile.Profile() if os.environ.get("HORSE_PROFILE") else None
prof and prof.enable()
t = time.perf_counter()
frappe.utils.background_jobs.execute_job({site!r}, "shopsync.jobs.run_job", None, "horse-check",
    {{"target": "shopsync.sync.deliveries.run_resource_job",
     "target_kwargs": {{"site_name": {name!r}, "resource": "order", "resource_id": {oid!r}}}}})
spent = time.perf_counter() - t
if prof:
    prof.disable()
    import pstats
    pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(60)
new = sorted(set(sys.modules) - before)
print(json.dumps({{"job_ms": spent * 1000, "imported_by_job": new, "preloaded": preloaded}}))
"""


def order_job_in_a_horse(site, payload, preload):
    """One order job run as a work horse runs it (fresh interpreter = a forked child of a worker
    that imported only what ``preload`` says), returning its time, the ERPNext, Frappe and shopsync
    modules the job itself had to import, and the Sales Order's status."""
    import os
    import subprocess

    _queued_order_entry(site, payload)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    code = _HORSE.format(root=root, preload=bool(preload), site=frappe.local.site, name=site, oid=int(payload["id"]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    if os.environ.get("HORSE_PROFILE"):
        open(os.environ["HORSE_PROFILE"], "w").write(out.stderr)
    result = __import__("json").loads(out.stdout.strip().splitlines()[-1])
    frappe.db.rollback()  # see the child's commit
    result["status"] = frappe.db.get_value("WooCommerce Webhook Log", {"site": site, "resource": "order",
                                           "resource_id": payload["id"]}, "status")
    return result


def startup():
    """What a work horse pays before a job's code runs, measured in a fresh interpreter of the
    bench: frappe.init + connect, then importing shopsync's job modules, then ERPNext's Sales Order."""
    import subprocess

    code = (
        "import time; t0=time.perf_counter(); import frappe; t1=time.perf_counter();"
        f"frappe.init(site={frappe.local.site!r}); frappe.connect(); t2=time.perf_counter();"
        "import shopsync.jobs, shopsync.sync.deliveries, shopsync.sync.orders; t3=time.perf_counter();"
        "import erpnext.selling.doctype.sales_order.sales_order; t4=time.perf_counter();"
        "print(round((t2-t1)*1000), round((t3-t2)*1000), round((t4-t3)*1000))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    init, shopsync, erpnext = (int(x) for x in out.stdout.split()[-3:])
    return {"frappe_init_connect_ms": init, "shopsync_imports_ms": shopsync, "erpnext_sales_order_imports_ms": erpnext}


def stock_reconcile(item_codes):
    """One Stock Reconciliation raising each item's quantity in the Stores warehouse by one,
    submitted and committed as a user does (the commit fires the stock hook): when the commit
    returned (``time.time()``) and what the shop must then show per item (actual minus reserved)."""
    from tests.bench_site.site_checks import _company

    company = _company()
    wh = f"Stores - {frappe.db.get_value('Company', company, 'abbr')}"

    def bins():
        return {b.item_code: b for b in frappe.get_all("Bin", filters={"item_code": ["in", list(item_codes)], "warehouse": wh},
                                                     fields=["item_code", "actual_qty", "reserved_qty"])}

    item_codes = frappe.get_all("Item", filters={"name": ["in", list(item_codes)], "is_stock_item": 1, "disabled": 0}, pluck="name")
    before = bins()
    extra = {}
    if not frappe.db.exists("Stock Ledger Entry", {"company": company, "is_cancelled": 0}):
        # a site's first stock voucher is ERPNext's opening entry: its difference account must be
        # an asset or liability (ERPNext's "Temporary Opening")
        extra["expense_account"] = frappe.db.get_value("Account", {"company": company, "account_name": "Temporary Opening"})
    doc = frappe.get_doc({"doctype": "Stock Reconciliation", "company": company, "purpose": "Stock Reconciliation", **extra, "items": [
        # one more than what is there, and above what orders reserve: the figure the shop must show
        # (actual minus reserved, never below 0) changes with every voucher, or there is no push
        {"item_code": code, "warehouse": wh, "valuation_rate": 10,
         "qty": int(max(before[code].actual_qty, before[code].reserved_qty) if code in before else 0) + 1}
        for code in item_codes]})
    doc.insert(ignore_permissions=True)
    doc.submit()
    frappe.db.commit()
    committed = time.time()
    deadline = committed + 900
    # ERPNext submits a voucher of more than 100 lines in a background job (queue_action): its
    # commit is the moment the voucher is seen submitted (polled every 20 ms)
    while frappe.db.get_value("Stock Reconciliation", doc.name, "docstatus") != 1 and time.time() < deadline:
        frappe.db.rollback()  # a fresh snapshot
        time.sleep(0.02)
        committed = time.time()
    return {"name": doc.name, "committed_at": committed, "lines": len(item_codes),
            "expected": {code: max(0, int(b.actual_qty - b.reserved_qty)) for code, b in bins().items()}}
