"""Frappe doc_events handlers: note what changed, queue a job after the commit, return at once.

A stock movement never waits on a shop: the handler neither reads stock (in ERPNext 15 the
Stock Ledger Entry's on_submit runs before its Bin is updated) nor calls WooCommerce.
"""

from __future__ import annotations

import frappe


def _enabled_sites() -> list[str]:
    return frappe.get_all("WooCommerce Site", filters={"enabled": 1}, pluck="name")


def stock_moved(doc, method=None):
    """Stock Ledger Entry on_submit (cancellations too): remember the item, one push job per site."""
    sites = frappe.cache().get_value("shopsync:enabled_sites", generator=_enabled_sites)
    if not sites:
        return
    pending = frappe.local.flags.setdefault("shopsync_stock_pending", set())
    first = not pending
    pending.add(doc.item_code)
    if first:
        frappe.db.after_commit.add(_flush_stock)


def _flush_stock():
    from shopsync.jobs import pending_stock

    items = frappe.local.flags.pop("shopsync_stock_pending", set())
    if items:
        pending_stock().note(sorted(items))


def item_changed(doc, method=None):
    if frappe.flags.in_import or frappe.flags.in_install:
        return
    frappe.enqueue(
        "shopsync.jobs.push_item", queue="short", job_id=f"shopsync:item:{doc.name}", deduplicate=True,
        enqueue_after_commit=True, item_code=doc.name,
    )


def item_price_changed(doc, method=None):
    if doc.selling:
        item_changed(frappe._dict(name=doc.item_code))


def item_trashed(doc, method=None):
    frappe.enqueue(
        "shopsync.jobs.item_deleted", queue="short", enqueue_after_commit=True, item_code=doc.name,
        variant_of=doc.variant_of,
    )


def delivery_submitted(doc, method=None):
    if not frappe.db.exists("WooCommerce Site", {"enabled": 1, "push_order_status": 1}):
        return
    frappe.enqueue(
        "shopsync.jobs.push_order_status", queue="short", enqueue_after_commit=True, delivery_note=doc.name,
    )
