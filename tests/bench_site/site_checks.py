"""Checks run inside a real bench (see in_site.py). Each returns plain JSON-able data that the
tests in this folder assert on. They use the app exactly as the desk and the jobs do."""

from __future__ import annotations

import frappe

SITE = "WooCommerce Site"
LOG = "WooCommerce Webhook Log"
COMPANY_ABBR = "TS"


def install_state():
    doctypes = frappe.get_all("DocType", filters={"module": "ShopSync"}, pluck="name")
    return {
        "installed_apps": frappe.get_installed_apps(),
        "doctypes": sorted(doctypes),
        "sle_hooks": frappe.get_hooks("doc_events").get("Stock Ledger Entry", {}),
        "cron": frappe.get_hooks("scheduler_events").get("cron", {}),
    }


def _company():
    return frappe.get_all("Company", pluck="name")[0]


def ensure_accounts():
    """The TVA accounts the captured site had (leaf Tax accounts under Duties and Taxes)."""
    company = _company()
    abbr = frappe.db.get_value("Company", company, "abbr")
    parent = frappe.db.get_value("Account", {"account_name": "Duties and Taxes", "company": company})
    made = []
    for label, rate in (("TVA 20%", 20), ("TVA 5.5%", 5.5), ("TVA 10%", 10)):
        name = f"{label} - {abbr}"
        if not frappe.db.exists("Account", name):
            frappe.get_doc(
                {"doctype": "Account", "account_name": label, "parent_account": parent, "company": company,
                 "account_type": "Tax", "tax_rate": rate, "is_group": 0}
            ).insert(ignore_permissions=True)
            made.append(name)
    return {"company": company, "abbr": abbr, "created": made}


def make_site(name, url, key, secret, host_url, **overrides):
    """Save a WooCommerce Site as the form does. An existing one of that name is deleted first."""
    frappe.local.conf.host_name = host_url
    if frappe.db.exists(SITE, name):
        frappe.delete_doc(SITE, name, ignore_permissions=True)
    abbr = ensure_accounts()["abbr"]
    doc = {
        "doctype": SITE, "site_name": name, "enabled": 1, "woocommerce_url": url,
        "consumer_key": key, "consumer_secret": secret, "company": _company(),
        "tax_account": f"TVA 20% - {abbr}", "freight_account": f"Freight and Forwarding Charges - {abbr}",
        "customer_group": "Individual", "territory": "France", "price_list": "Standard Selling",
        "default_warehouse": f"Stores - {abbr}", "warehouses": [{"warehouse": f"Stores - {abbr}"}],
    }
    doc.update(overrides)
    site = frappe.get_doc(doc).insert(ignore_permissions=True)
    frappe.db.commit()
    return {
        "name": site.name,
        "endpoint_url": site.endpoint_url,
        "webhook_secret": site.get_password("webhook_secret"),
        "secret_in_db_is_encrypted": frappe.db.get_value(SITE, name, "webhook_secret") != site.get_password("webhook_secret"),
    }


def check_webhooks(name):
    return frappe.get_doc(SITE, name).check_webhooks()


def set_enabled(name, enabled):
    doc = frappe.get_doc(SITE, name)
    doc.enabled = enabled
    doc.save(ignore_permissions=True)
    frappe.db.commit()
    return frappe.get_doc(SITE, name).check_webhooks()


def delete_site(name, with_webhooks=True):
    if with_webhooks:
        frappe.get_doc(SITE, name).delete_with_webhooks()
    else:
        frappe.delete_doc(SITE, name, ignore_permissions=True)
    return {"exists": bool(frappe.db.exists(SITE, name)), "messages": [str(m) for m in frappe.local.message_log]}


def test_connection(name):
    return frappe.get_doc(SITE, name).run_connection_test()


def webhook_rows(name):
    return [r.as_dict() for r in frappe.get_doc(SITE, name).webhooks]


def log_entries(site):
    return frappe.get_all(
        LOG, filters={"site": site},
        fields=["name", "status", "topic", "resource_id", "error", "attempts", "payload"], order_by="creation asc",
    )


def process_queued(site, timeout=90):
    """Wait for the bench's live workers to finish the site's waiting deliveries (never taking
    their jobs, never emptying a queue); what is still Queued with no job after a while is run
    here, as the sweeper would. Returns each resource's statuses."""
    import time

    from shopsync.jobs import frappe_runtime
    from shopsync.sync import deliveries

    deadline = time.monotonic() + timeout
    started = time.monotonic()
    while time.monotonic() < deadline:
        frappe.db.rollback()  # a fresh snapshot: see what the workers committed
        waiting = frappe.get_all(LOG, filters={"site": site, "status": ("in", ["Queued", "Processing"])},
                                 fields=["resource", "resource_id", "status", "next_attempt_at"])
        if not waiting:
            break
        if time.monotonic() - started > 20 and all(w.status == "Queued" and not w.next_attempt_at for w in waiting):
            rt = frappe_runtime()
            for r, i in sorted({(w.resource, w.resource_id) for w in waiting}):
                deliveries.process_resource(rt, site, r, i)
        time.sleep(0.5)
    out = {}
    for e in frappe.get_all(LOG, filters={"site": site}, fields=["resource", "resource_id", "status"], order_by="creation asc"):
        out.setdefault(f"{e.resource}:{e.resource_id}", []).append(e.status)
    return out


def retry(names):
    from shopsync.jobs import frappe_runtime
    from shopsync.sync import deliveries

    return deliveries.retry(frappe_runtime(), names)


def port_roundtrip():
    """The Frappe implementation of the port: errors translated, transaction rolled back."""
    from shopsync.erp import errors
    from shopsync.erp.frappe_erp import FrappeERP

    erp = FrappeERP()
    out = {}
    try:
        erp.insert({"doctype": "Customer", "customer_name": "x", "customer_group": "No Such Group"})
    except errors.LinkValidationError as exc:
        out["link_error"] = str(exc)
    try:
        erp.get("Customer", "No Such Customer 123")
    except errors.DoesNotExistError:
        out["missing"] = "DoesNotExistError"
    try:
        with erp.transaction():
            erp.insert({"doctype": "Customer", "customer_name": "shopsync rollback probe", "customer_group": "Individual", "territory": "France"})
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    out["rolled_back"] = not frappe.db.exists("Customer", {"customer_name": "shopsync rollback probe"})
    out["now"] = erp.now()
    return out


def plain_queries_agree():
    """The port's direct SELECTs (``frappe_erp._plain_query``) against ``frappe.get_all`` on the same
    filters, over rows the site holds: empty and NULL values, numbers, lists, ordering, limits.
    Returns each filter shape with both answers where they differ, and how many went direct."""
    from shopsync.erp import frappe_erp

    company = _company()
    # a customer with no e-mail (NULL in its row), which get_all's ifnull finds; rolled back after
    frappe.get_doc({"doctype": "Customer", "customer_name": "shopsync null probe", "customer_group": "Individual",
                    "territory": "France"}).insert(ignore_permissions=True)
    customer = frappe.get_all("Customer", pluck="name", limit=1)
    address = frappe.get_all("Address", pluck="name", limit=3)
    cases = [
        ("Company", {"name": company}, ("name", "default_currency", "abbr"), "creation asc", None),
        ("Customer", {"name": customer[0] if customer else "nobody"}, ("*",), "creation asc", None),
        ("Customer", {"disabled": 0}, ("name",), "creation asc", 5),
        ("Customer", {"email_id": ""}, ("name",), "name asc", 10),  # get_all: ifnull(email_id, '') = ''
        ("Address", {"name": ("in", address or ["none"]), "disabled": 0}, ("name", "address_line1"), "creation asc", None),
        ("Sales Order", {"docstatus": ("<", 2)}, ("name", "po_no", "customer"), "creation desc", 20),
        ("Sales Order", {"docstatus": (">=", 1), "company": company}, ("name",), "modified desc", 7),
        ("Dynamic Link", {"link_doctype": "Customer", "parenttype": "Address"}, ("parent", "link_name"), "creation asc", 30),
        ("Contact Email", {"parenttype": "Contact"}, ("parent", "email_id"), "creation asc", 30),
        ("WooCommerce Link", {"link_type": "Order"}, ("*",), "creation asc", 20),
        ("WooCommerce Webhook Log", {"status": ("in", ["Done", "Skipped"])}, ("name", "status", "received_at"), "received_at desc", 15),
        ("Item", {"has_variants": 0, "disabled": 0}, ("name", "item_group", "stock_uom"), "creation asc", 25),
        ("Bin", {"actual_qty": (">", 0)}, ("item_code", "warehouse", "actual_qty", "modified"), "creation asc", 25),
        ("Country", {"code": "fr"}, ("name",), "creation asc", None),
    ]
    differ, direct = [], 0
    for doctype, filters, fields, order_by, limit in cases:
        query = frappe_erp._plain_query(doctype, filters, fields, order_by, limit)
        direct += query is not None
        mine = frappe_erp.FrappeERP().find(doctype, filters, fields=fields, order_by=order_by, limit=limit)
        theirs = [frappe_erp._row(r) for r in frappe.get_all(doctype, filters=frappe_erp._filters(filters), fields=list(fields),
                                                             order_by=order_by, limit_page_length=limit or 0)]
        if mine != theirs:
            differ.append({"doctype": doctype, "filters": repr(filters), "direct": mine[:3], "get_all": theirs[:3]})
    probe_found = any(c["name"].startswith("shopsync null probe")
                      for c in frappe_erp.FrappeERP().find("Customer", {"email_id": ""}, fields=("name",)))
    frappe.db.rollback()
    return {"cases": len(cases), "direct": direct, "differ": differ, "probe_found": probe_found,
            "get_value": frappe_erp.FrappeERP().get_value("Company", company, "default_currency")
            == frappe.db.get_value("Company", company, "default_currency"),
            "exists": [frappe_erp.FrappeERP().exists("Company", company), frappe_erp.FrappeERP().exists("Company", "No such company 1")],
            "single": frappe_erp.FrappeERP().get_value("Selling Settings", "Selling Settings", "so_required")
            == frappe.db.get_single_value("Selling Settings", "so_required")}


def orders_of(site):
    """The Sales Orders behind the site's order links, as a user would read them."""
    out = {}
    for link in frappe.get_all("WooCommerce Link", filters={"site": site, "link_type": "Order"}, fields=["woo_id", "erp_name"]):
        so = frappe.get_doc("Sales Order", link.erp_name)
        out[str(link.woo_id)] = {
            "name": so.name, "grand_total": so.grand_total, "rounded_total": so.rounded_total, "docstatus": so.docstatus,
            "status": so.status, "po_no": so.po_no, "customer": so.customer, "currency": so.currency,
            "taxes": [(t.account_head, t.tax_amount) for t in so.taxes], "items": [(i.item_code, i.qty, i.rate) for i in so.items],
        }
    return out


def import_summary(name):
    doc = frappe.get_doc("WooCommerce Import", name)
    return {"status": doc.status, "summary": doc.summary, "created": doc.created_count, "failed": doc.failed_count}


def product_first_sync(site):
    from shopsync.jobs import first_product_sync

    summary = first_product_sync(site)
    links = frappe.get_all("WooCommerce Link", filters={"site": site, "link_type": "Item"}, fields=["erp_name", "woo_id", "woo_variation_id", "state"])
    return {"summary": summary, "links": links}


def sync_state_rows(site):
    from shopsync.shopsync.report.woocommerce_sync_state.woocommerce_sync_state import execute

    return execute({"site": site})[1]


def receive_stock(item_code, qty, warehouse=None):
    """A Material Receipt submitted as a user does it; the commit fires the stock hook."""
    company = _company()
    abbr = frappe.db.get_value("Company", company, "abbr")
    se = frappe.get_doc({
        "doctype": "Stock Entry", "stock_entry_type": "Material Receipt", "company": company,
        "items": [{"item_code": item_code, "qty": qty, "t_warehouse": warehouse or f"Stores - {abbr}", "basic_rate": 10}],
    })
    se.insert(ignore_permissions=True)
    se.submit()
    frappe.db.commit()
    bins = frappe.get_all("Bin", filters={"item_code": item_code}, fields=["warehouse", "actual_qty", "reserved_qty"])
    return {"name": se.name, "bins": bins}


def queued_jobs():
    from frappe.utils.background_jobs import get_queue

    def what(job):
        """The shopsync function a queued job will run, and for which site."""
        kwargs = (job.kwargs or {}).get("kwargs") or {}
        target = kwargs.get("target") or (job.kwargs or {}).get("method")
        return {"target": str(target), "site": (kwargs.get("target_kwargs") or {}).get("site_name")}

    return [what(j) for q in ("default", "short", "long") for j in get_queue(q).jobs]


def bins_of(item_code):
    return frappe.get_all("Bin", filters={"item_code": item_code}, fields=["warehouse", "actual_qty", "reserved_qty"])


def forget_earlier_runs():
    """Test hygiene on the bench's test site: sites left enabled by earlier runs point at
    simulators that are gone, and their queued jobs would only retry against them."""
    # only sites nobody touched for half an hour: another run going on at the same time keeps its own
    from frappe.utils import add_to_date, now_datetime

    before = add_to_date(now_datetime(), minutes=-30)
    stale = []
    for prefix in ("sim-%", "tmp-%"):
        stale += frappe.get_all(SITE, filters={"enabled": 1, "site_name": ["like", prefix], "modified": ["<", before]},
                                pluck="name")
    for name in stale:
        frappe.db.set_value(SITE, name, "enabled", 0)
    frappe.cache().delete_value("shopsync:enabled_sites")
    return {"disabled": stale, "jobs_dropped": drop_queued_jobs_of(stale)}


def drop_queued_jobs_of(site_names):
    """Only the queued jobs of these test sites go; everything else on the bench's queues stays."""
    from frappe.utils.background_jobs import get_queue

    dropped = 0
    for queue in ("default", "short", "long"):
        for job in get_queue(queue).get_jobs():
            outer = job.kwargs or {}
            inner = outer.get("kwargs") or {}
            target = inner.get("target_kwargs") or inner
            if outer.get("site") == frappe.local.site and target.get("site_name") in site_names:
                job.delete()
                dropped += 1
    return dropped


def rotate(name):
    doc = frappe.get_doc(SITE, name)
    before = doc.get_password("webhook_secret")
    out = doc.rotate_webhook_secret()
    frappe.db.commit()
    return {"actions": out["actions"], "changed": frappe.get_doc(SITE, name).get_password("webhook_secret") != before,
            "secret": frappe.get_doc(SITE, name).get_password("webhook_secret")}


def contract_against_live_meta():
    """contract.json (what the app and its stand-in rely on) against this site's own meta:
    every field's type, mandatory flag, link target and select options."""
    from shopsync.erp.contract import load_contract

    contract = load_contract()
    diffs, checked = [], 0
    for doctype in contract:
        if not frappe.db.exists("DocType", doctype):
            diffs.append(f"{doctype}: not on this site")
            continue
        meta = frappe.get_meta(doctype)
        for spec in contract[doctype].fields:
            live = meta.get_field(spec.fieldname)
            checked += 1
            if live is None:
                diffs.append(f"{doctype}.{spec.fieldname}: not on this site")
                continue
            if live.fieldtype != spec.fieldtype:
                diffs.append(f"{doctype}.{spec.fieldname}: type {spec.fieldtype} here, {live.fieldtype} on the site")
            if bool(live.reqd) != bool(spec.reqd):
                diffs.append(f"{doctype}.{spec.fieldname}: reqd {spec.reqd} here, {live.reqd} on the site")
            if spec.fieldtype in ("Link", "Table", "Table MultiSelect") and (live.options or "") != (spec.options or ""):
                diffs.append(f"{doctype}.{spec.fieldname}: options {spec.options!r} here, {live.options!r} on the site")
            if spec.fieldtype == "Select":
                mine = [o for o in spec.select_options if o]
                theirs = [o for o in (live.options or "").split("\n") if o]
                if mine != theirs:
                    diffs.append(f"{doctype}.{spec.fieldname}: options {mine} here, {theirs} on the site")
    return {"doctypes": len(list(contract)), "fields": checked, "diffs": diffs}


def submit_voucher(kind, item_code, qty):
    """Submit one stock voucher of ``kind`` as a user would; the commit fires the stock hooks."""
    company = _company()
    abbr = frappe.db.get_value("Company", company, "abbr")
    wh = f"Stores - {abbr}"
    customer = frappe.get_all("Customer", pluck="name", limit=1)[0]
    if kind == "Purchase Receipt":
        if not frappe.db.exists("Supplier", "shopsync Test Supplier"):
            frappe.get_doc({"doctype": "Supplier", "supplier_name": "shopsync Test Supplier", "supplier_group": "All Supplier Groups"}).insert()
        doc = {"doctype": kind, "supplier": "shopsync Test Supplier", "company": company,
               "items": [{"item_code": item_code, "qty": qty, "rate": 10, "warehouse": wh}]}
    elif kind == "Stock Reconciliation":
        doc = {"doctype": kind, "company": company, "purpose": "Stock Reconciliation",
               "items": [{"item_code": item_code, "warehouse": wh, "qty": qty, "valuation_rate": 10}]}
    elif kind == "Material Issue":
        doc = {"doctype": "Stock Entry", "stock_entry_type": kind, "company": company,
               "items": [{"item_code": item_code, "qty": qty, "s_warehouse": wh}]}
    elif kind == "Delivery Note":
        doc = {"doctype": kind, "customer": customer, "company": company,
               "items": [{"item_code": item_code, "qty": qty, "rate": 20, "warehouse": wh}]}
    elif kind == "Sales Invoice":
        doc = {"doctype": kind, "customer": customer, "company": company, "update_stock": 1,
               "items": [{"item_code": item_code, "qty": qty, "rate": 20, "warehouse": wh}]}
    else:
        raise ValueError(kind)
    voucher = frappe.get_doc(doc)
    voucher.insert(ignore_permissions=True)
    voucher.submit()
    frappe.db.commit()
    return {"name": voucher.name, "bins": bins_of(item_code)}


def invoices_of(site):
    out = {}
    for oid, so in orders_of(site).items():
        invoices = frappe.get_all("Sales Invoice Item", filters={"sales_order": so["name"], "docstatus": 1}, pluck="parent")
        out[oid] = {"sales_order": so["name"], "owner": frappe.db.get_value("Sales Order", so["name"], "owner"),
                    "invoices": sorted(set(invoices))}
    return out


def site_action(name, action, **kwargs):
    from shopsync.jobs import site_action as run

    return run(name, action, **kwargs)


def item_list_states(item_codes):
    from shopsync import api

    return api.item_list_states(item_codes)


def plant_shop_text(sim_site, hostile_site, payload):
    """The shop's words where the desk shows them, as the app's own paths leave them (a stored
    Test connection of a shop answering in HTML; rows, errors and summaries written without a
    document save, so Frappe's sanitiser never sees them). Returns the names to open."""
    import json

    test = frappe.get_doc(SITE, hostile_site).run_connection_test()
    frappe.db.delete("WooCommerce Site Webhook", {"parent": hostile_site, "idx": 99})
    frappe.get_doc({"doctype": "WooCommerce Site Webhook", "parent": hostile_site, "parenttype": SITE,
                    "parentfield": "webhooks", "idx": 99, "topic": payload, "woo_webhook_id": 1,
                    "status": payload}).db_insert()
    link = frappe.get_all("WooCommerce Link", filters={"site": sim_site, "link_type": "Item"},
                          fields=["name", "erp_name"], order_by="woo_id desc", limit=1)[0]
    frappe.db.set_value("WooCommerce Link", link.name, {"last_error": payload, "state": "Out of sync"})
    # the hostile shop's site links the same item, so reading its quantities asks that shop
    frappe.get_doc({"doctype": "WooCommerce Link", "name": f"{hostile_site}-item-1", "link_key": f"{hostile_site}-item-1",
                    "site": hostile_site, "link_type": "Item", "woo_id": 1, "erp_doctype": "Item",
                    "erp_name": link.erp_name, "state": "In sync"}).db_insert()
    log = frappe.get_doc({"doctype": LOG, "site": hostile_site, "status": "Failed", "topic": payload, "resource": "product",
                          "event": "updated", "resource_id": 1, "error": payload, "payload": json.dumps({"name": payload}),
                          "dedupe_key": frappe.generate_hash(), "received_at": frappe.utils.now()})
    log.name = "xss-" + frappe.generate_hash(length=8)
    log.db_insert()
    imp = frappe.get_doc({"doctype": "WooCommerce Import", "site": sim_site, "import_type": "Orders", "status": "Done",
                          "summary": payload})
    imp.name = "xss-" + frappe.generate_hash(length=8)
    imp.db_insert()
    return {"test": test, "link": link.name, "item": link.erp_name, "log": log.name, "import": imp.name}


def hourly_with_shops_gone(host_url):
    """Issue 11: a disabled site and an enabled one whose shops are gone. What the hourly job
    queues, what the enabled one's check says, and whether any Error Log was added."""
    from shopsync import jobs

    forget_earlier_runs()
    errors_before = frappe.db.count("Error Log")
    started = frappe.utils.now()  # a deleted site's comments stay: count this run's only
    for name, enabled in (("tmp-gone-off", 0), ("tmp-gone-on", 1)):
        make_site(name, "http://127.0.0.1:9/", "ck_gone", "cs_gone", host_url, enabled=enabled)
    forget_earlier_runs()
    drop_queued_jobs_of(["tmp-gone-off", "tmp-gone-on"])  # the checks queued by the saves (a disabled site's too)
    frappe.db.set_value(SITE, "tmp-gone-on", "enabled", 1)
    frappe.cache().delete_value("shopsync:enabled_sites")
    jobs.hourly()
    queued = queued_jobs()
    off = jobs.check_webhooks("tmp-gone-off", hourly=True)
    on = jobs.check_webhooks("tmp-gone-on", hourly=True)
    again = jobs.check_webhooks("tmp-gone-on", hourly=True)
    comments = frappe.get_all("Comment", filters={"reference_doctype": SITE, "reference_name": "tmp-gone-on",
                                                  "comment_type": "Info", "creation": (">=", started)}, pluck="content")
    result = {
        "queued": queued, "off": off, "on": on, "again": again, "comments": comments,
        "status": frappe.db.get_value(SITE, "tmp-gone-on", "connection_status"),
        "new_error_logs": frappe.db.count("Error Log") - errors_before,
    }
    for name in ("tmp-gone-off", "tmp-gone-on"):
        frappe.delete_doc(SITE, name, ignore_permissions=True)
    return result


def cursor_after_first_save(name, url, key, secret, host_url):
    """Issue 11: the check a save queues starts the order catch-up's cursor."""
    from shopsync import jobs

    make_site(name, url, key, secret, host_url)
    out = jobs.check_webhooks(name)
    return {"check": out, "cursor": frappe.db.get_value(SITE, name, "orders_cursor")}


def contact_of_order(site, order_id):
    from shopsync.sync.links import Binder
    from shopsync.erp.frappe_erp import FrappeERP

    so = Binder(FrappeERP(), site).erp_name("Order", int(order_id))
    return frappe.db.get_value("Sales Order", so, ["customer", "contact_person"], as_dict=True)


def forget_site(name):
    """A test site and its links gone (its shop is not called: a hostile or stopped one)."""
    frappe.db.delete("WooCommerce Link", {"site": name})
    frappe.delete_doc(SITE, name, ignore_permissions=True)
    return {"exists": bool(frappe.db.exists(SITE, name))}


def uninstall_hooks():
    """What an uninstall of shopsync does, without uninstalling it: what ``before_uninstall`` says,
    that ``after_uninstall`` leaves an installed app alone, and what the removal takes away (then
    rolled back)."""
    import contextlib
    import io

    from shopsync import hooks, jobs

    def ours():
        return frappe.db.count("Scheduled Job Type", {"method": ("like", "shopsync.%")})

    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        frappe.get_attr(hooks.before_uninstall)()
        frappe.get_attr(hooks.after_uninstall)()  # shopsync is still installed: nothing goes
        kept = ours()
        removed = jobs.remove_scheduled_jobs()
        left = ours()
    frappe.db.rollback()
    sites = frappe.get_all(SITE, fields=["name", "endpoint_url"])
    return {"said": said.getvalue(), "kept": kept, "removed": removed, "left": left, "restored": ours(),
            "sites": [dict(s) for s in sites]}


def import_progress_rooms(site, timeout=60):
    """Run a WooCommerce Import of the site's orders as the job does, listening to the realtime
    events it publishes: which rooms they go to (a document's room reaches everyone with its form
    open; a user's room only that user)."""
    import json as _json

    from frappe.utils.background_jobs import get_redis_connection_without_auth

    from shopsync import jobs

    doc = frappe.get_doc({"doctype": "WooCommerce Import", "site": site, "import_type": "Orders",
                          "statuses": "processing,completed", "include_existing": 1}).insert()
    frappe.db.commit()
    pubsub = get_redis_connection_without_auth().pubsub()  # where publish_realtime sends its events
    pubsub.subscribe("events")
    pubsub.get_message(timeout=1)  # the subscription's confirmation
    jobs.run_import(doc.name)
    rooms = []
    for _ in range(500):
        msg = pubsub.get_message(timeout=0.2)
        if msg is None:
            break
        if msg.get("type") != "message":
            continue
        event = _json.loads(msg["data"])
        if event.get("event") == "shopsync_import_progress":
            rooms.append(event.get("room"))
    pubsub.close()
    return {"import": doc.name, "rooms": rooms, "doc_room": frappe.realtime.get_doc_room("WooCommerce Import", doc.name),
            "owner_room": frappe.realtime.get_user_room(doc.owner)}


# --- desk details seen on the real site (issue 14) -------------------------------------------------

def desk_user(email="shopsync-clerk@example.test"):
    """A System Manager who is not Administrator, with a fresh password: what such a user starts
    from the desk must run as the site's "Create documents as" user, not as them."""
    import secrets

    from frappe.utils.password import update_password

    if not frappe.db.exists("User", email):
        frappe.get_doc({"doctype": "User", "email": email, "first_name": "Clerk", "send_welcome_email": 0,
                        "user_type": "System User", "roles": [{"role": "System Manager"}]}).insert(ignore_permissions=True)
    password = "Ss-" + secrets.token_urlsafe(18)
    update_password(email, password)
    frappe.db.commit()
    return {"email": email, "password": password}


def new_import(site, statuses="processing,completed"):
    doc = frappe.get_doc({"doctype": "WooCommerce Import", "site": site, "import_type": "Orders",
                          "statuses": statuses, "include_existing": 1}).insert(ignore_permissions=True)
    frappe.db.commit()
    return doc.name


def leave_import_running(name, minutes_ago=10):
    """As a worker killed mid-import leaves it: Running, no job behind it, last written a while ago."""
    since = frappe.utils.add_to_date(frappe.utils.now_datetime(), minutes=-minutes_ago)
    frappe.db.sql("update `tabWooCommerce Import` set status='Running', modified=%s where name=%s", (since, name))
    frappe.db.commit()
    return frappe.db.get_value("WooCommerce Import", name, "status")


def mark_stopped_imports():
    from shopsync import jobs

    return jobs.mark_stopped_imports()


def sales_orders_with_dates(site):
    """The site's Sales Orders: who made them and their dates."""
    out = {}
    for link in frappe.get_all("WooCommerce Link", filters={"site": site, "link_type": "Order"}, fields=["woo_id", "erp_name"]):
        so = frappe.db.get_value("Sales Order", link.erp_name, ["owner", "transaction_date", "delivery_date"], as_dict=True)
        out[str(link.woo_id)] = {"owner": so.owner, "transaction_date": str(so.transaction_date),
                                 "delivery_date": str(so.delivery_date)}
    return out


def loaded_site(name):
    from shopsync.jobs import load_site

    return {"delivery_days": load_site(name).delivery_days}


def composite_indexes():
    """Each index of more than one column on the two tables, as MariaDB reports it."""
    out = {}
    for table in ("tabWooCommerce Link", "tabWooCommerce Webhook Log"):
        columns = {}
        for row in frappe.db.sql(f"SHOW INDEX FROM `{table}`", as_dict=True):
            columns.setdefault(row.Key_name, []).append((row.Seq_in_index, row.Column_name))
        out[table] = sorted([c for _, c in sorted(cols)] for cols in columns.values() if len(cols) > 1)
    return out


def french(messages):
    """What a French user reads for each message (Frappe's own translation of the app's rows)."""
    frappe.local.lang = "fr"
    frappe.local.lang_full_dict = None
    return {m: frappe._(m) for m in messages}


def credit_notes_of(site):
    """Per order id: its Sales Order's state and the credit notes its refund links name (refunds.py)."""
    out = {}
    for oid, so in orders_of(site).items():
        so_doc = frappe.get_doc("Sales Order", so["name"])
        notes = []
        for link in frappe.get_all("WooCommerce Link", filters={"site": site, "link_type": "Refund", "woo_parent_id": int(oid)},
                                   fields=["woo_id", "erp_name"], order_by="woo_id asc"):
            cn = frappe.get_doc("Sales Invoice", link.erp_name)
            notes.append({"refund": link.woo_id, "name": cn.name, "docstatus": cn.docstatus, "is_return": cn.is_return,
                          "return_against": cn.return_against, "grand_total": cn.grand_total,
                          "outstanding_amount": cn.outstanding_amount, "update_stock": cn.update_stock,
                          "items": [(i.item_code, i.qty, i.rate) for i in cn.items],
                          "taxes": [(t.account_head, t.tax_amount) for t in cn.taxes]})
        invoices = sorted({r.parent for r in frappe.get_all("Sales Invoice Item", filters={"sales_order": so["name"], "docstatus": 1},
                                                              fields=["parent"])} - {n["name"] for n in notes})
        out[oid] = {"sales_order": so["name"], "docstatus": so_doc.docstatus,
                    "refunded": so_doc.get("woocommerce_refunded_amount"), "credit_notes": notes,
                    "invoices": [{"name": i, "outstanding_amount": frappe.db.get_value("Sales Invoice", i, "outstanding_amount")}
                                 for i in invoices]}
    return out


def amend_state(site, order_id):
    """An order's Sales Order chain as a user reads it: the linked one, what it was amended from,
    every Sales Order of the order's number, the links."""
    links = frappe.get_all("WooCommerce Link", filters={"site": site, "link_type": "Order", "woo_id": int(order_id)},
                           fields=["name", "erp_name", "state", "last_error"])
    out = {"links": links}
    if links:
        so = frappe.get_doc("Sales Order", links[0].erp_name)
        out["sales_order"] = {"name": so.name, "docstatus": so.docstatus, "amended_from": so.amended_from, "customer": so.customer,
                              "grand_total": so.grand_total, "items": [(i.item_code, i.qty, i.rate) for i in so.items]}
        if so.amended_from:
            out["amended_from_docstatus"] = frappe.db.get_value("Sales Order", so.amended_from, "docstatus")
        out["reserved"] = {i.item_code: frappe.db.get_value("Bin", {"item_code": i.item_code, "warehouse": i.warehouse}, "reserved_qty")
                           for i in so.items}
    return out


def ship(sales_order, qty=None, lr_no=""):
    """A Delivery Note made from the Sales Order and submitted as a user does it (the hook queues
    the job that tells the shop after the commit)."""
    from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note

    dn = make_delivery_note(sales_order)
    for row in dn.items:
        if qty is not None:
            row.qty = qty
    if lr_no:
        dn.lr_no = lr_no
        dn.lr_date = frappe.utils.today()
    dn.insert(ignore_permissions=True)
    dn.submit()
    frappe.db.commit()
    return {"name": dn.name, "per_delivered": frappe.db.get_value("Sales Order", sales_order, "per_delivered")}


def notes_sent(delivery_note, timeout=60):
    """What the Delivery Note remembers of the notes it sent, once the bench's worker ran its job."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frappe.db.rollback()
        value = frappe.db.get_value("Delivery Note", delivery_note, "woocommerce_order_notes")
        if value:
            return value
        time.sleep(0.5)
    return None


def push_delivery_again(site, delivery_note):
    """The same Delivery Note's job run once more (a retried job)."""
    from shopsync.jobs import frappe_runtime
    from shopsync.sync import order_status

    rt = frappe_runtime()
    config = rt.load_site(site)
    report = order_status.push_delivery(rt.erp, config, rt.client_for(config), delivery_note)
    return {"noted": report.noted, "completed": report.completed, "failed": report.failed}


def amend_from_shop_button(sales_order):
    """The Sales Order form's Amend from the shop, as the desk calls it: its refusal's words."""
    from shopsync import api

    frappe.local.message_log = []
    try:
        queued = api.amend_from_shop(sales_order)
    except frappe.ValidationError as exc:
        frappe.db.rollback()
        return {"refused": str(exc)}
    frappe.db.commit()
    return {"queued": queued}


def pay_invoice_of(sales_order):
    """A Payment Entry for the Sales Order's invoice, made and submitted as a user does it (the hook
    queues the job that marks the order paid in the shop after the commit)."""
    from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

    invoice = frappe.get_all("Sales Invoice Item", filters={"sales_order": sales_order, "docstatus": 1}, pluck="parent")[0]
    pe = get_payment_entry("Sales Invoice", invoice)
    pe.reference_no, pe.reference_date = "VIR-1", frappe.utils.today()
    pe.insert(ignore_permissions=True)
    pe.submit()
    frappe.db.commit()
    return {"name": pe.name, "outstanding": frappe.db.get_value("Sales Invoice", invoice, "outstanding_amount")}


def cancel_doc(doctype, name):
    doc = frappe.get_doc(doctype, name)
    doc.cancel()
    frappe.db.commit()
    return doc.docstatus


def wait_for_amendment(site, order_id, old_name, timeout=90):
    """The order's link once the bench's worker ran Amend from the shop, and the comment it left."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frappe.db.rollback()
        state = amend_state(site, order_id)
        if state.get("sales_order", {}).get("name") != old_name:
            state["comments"] = frappe.get_all("Comment", filters={"reference_doctype": "Sales Order",
                                               "reference_name": state["sales_order"]["name"]}, pluck="content")
            return state
        time.sleep(0.5)
    return amend_state(site, order_id)


def shop_pause_of(site):
    """Why the site's pushes pause now (shopsync.sync.shop_pause, in the bench's Redis), or None."""
    from frappe.utils.background_jobs import get_redis_conn

    from shopsync.sync.shop_pause import ShopPause

    return ShopPause(get_redis_conn(), namespace=frappe.local.site).paused(site)


def connection_of(site):
    return frappe.db.get_value(SITE, site, ["connection_ok", "connection_status", "connection_checked_at"], as_dict=True)


def item_link_of(site, item_code):
    return frappe.db.get_value("WooCommerce Link", {"site": site, "erp_doctype": "Item", "erp_name": item_code},
                               ["name", "last_error", "last_pushed_qty", "last_pushed_at"], as_dict=True)
