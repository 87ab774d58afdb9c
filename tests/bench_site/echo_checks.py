"""In-site checks that what shopsync writes itself costs no product push job, and that a burst of
Item saves is one job per site (run by in_site.py as ``echo_checks:<name>``, from
tests/bench_site/test_real_no_echo_jobs.py).

The saves and the engine's writes happen in this process, so their after-commit hooks enqueue
from here too: every call that reaches ``frappe.enqueue`` is counted (and still made: the bench's
live workers run the jobs). Nothing here takes a job or empties a queue."""

from __future__ import annotations

import contextlib
from collections import Counter

import frappe

PRODUCT_JOB = "shopsync.sync.products.pending.run_product_job"


@contextlib.contextmanager
def _counting():
    """Yields (product push jobs enqueued per site, Item / Item Price hook calls)."""
    import shopsync.events as events

    jobs: Counter = Counter()
    hooks = Counter()
    real_enqueue, real_item, real_price = frappe.enqueue, events.item_changed, events.item_price_changed

    def enqueue(method, *args, **kwargs):
        target = kwargs.get("target") or method
        if target == PRODUCT_JOB:
            jobs[(kwargs.get("target_kwargs") or {}).get("site_name")] += 1
        return real_enqueue(method, *args, **kwargs)

    def item_changed(doc, method=None):
        hooks["Item"] += 1
        return real_item(doc, method)

    def item_price_changed(doc, method=None):
        hooks["Item Price"] += int(bool(doc.selling))
        return real_price(doc, method)

    frappe.enqueue, events.item_changed, events.item_price_changed = enqueue, item_changed, item_price_changed
    try:
        yield jobs, hooks
    finally:
        frappe.enqueue, events.item_changed, events.item_price_changed = real_enqueue, real_item, real_price


def first_sync_queues_nothing(site):
    """The first product sync (Items and Item Prices made from the shop's products), as the job
    runs it, committed here."""
    from frappe.utils.background_jobs import get_redis_conn

    from shopsync.jobs import first_product_sync
    from shopsync.sync.products.pending import PendingProducts

    frappe.cache().delete_value("shopsync:enabled_sites")
    with _counting() as (jobs, hooks):
        summary = first_product_sync(site)
    links = frappe.get_all("WooCommerce Link", filters={"site": site, "link_type": "Item"},
                           fields=["erp_name", "woo_id", "state"])
    pending = PendingProducts(get_redis_conn(), namespace=frappe.local.site)
    return {"summary": summary, "jobs": dict(jobs), "hook_calls": dict(hooks), "links": links,
            "pending": pending.size(site)}


def pull_queues_nothing(site):
    """A resync that pulls what changed in the shop into the Items (the engine saves them)."""
    from shopsync.jobs import frappe_runtime
    from shopsync.sync import products

    frappe.cache().delete_value("shopsync:enabled_sites")
    with _counting() as (jobs, hooks):
        rt = frappe_runtime()
        cfg = rt.load_site(site)
        result = products.run_sync(rt.erp, cfg, rt.client_for(cfg))
        frappe.db.commit()
    names = dict(frappe.get_all("Item", filters={"name": ("in", list(result.updated_items) or [""])},
                                fields=["name", "item_name"], as_list=True))
    return {"jobs": dict(jobs), "hook_calls": dict(hooks), "pulled": names, "summary": result.summary()}


def burst_of_saves(site, renames):
    """``renames``: {item code: new item name}, each saved and committed as a user's save is, one
    after the other. Returns the product push jobs enqueued per site and the hook calls."""
    frappe.cache().delete_value("shopsync:enabled_sites")
    with _counting() as (jobs, hooks):
        for code, name in renames.items():
            doc = frappe.get_doc("Item", code)
            doc.item_name = name
            doc.save(ignore_permissions=True)
            frappe.db.commit()
    enabled = frappe.get_all("WooCommerce Site", filters={"enabled": 1}, pluck="name")
    return {"jobs": dict(jobs), "hook_calls": dict(hooks), "enabled_sites": enabled}


def pending_products(site):
    from frappe.utils.background_jobs import get_redis_conn

    from shopsync.sync.products.pending import PendingProducts

    pending = PendingProducts(get_redis_conn(), namespace=frappe.local.site)
    return {"pending": pending.size(site), "holder": bool(pending.holder(site))}
