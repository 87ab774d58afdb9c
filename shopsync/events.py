"""Frappe doc_events handlers: note what changed, queue a job after the commit, return at once.

A stock movement never waits on a shop: the handler neither reads stock (in ERPNext 15 the
Stock Ledger Entry's on_submit runs before its Bin is updated) nor calls WooCommerce.
"""

from __future__ import annotations

import frappe


def _enabled_sites() -> list[str]:
    return frappe.get_all("WooCommerce Site", filters={"enabled": 1}, pluck="name")


def stock_moved(doc, method=None):
    """Stock Ledger Entry on_submit (cancellations too): note the item and warehouse; after the
    commit they join each site's pending set and at most one push job per site is queued."""
    _note_moves([(doc.item_code, doc.warehouse)])


def reservation_changed(doc, method=None):
    """Sales Order on_change: submit, cancel, update after submit, and Close / Hold / Re-open /
    Resume (ERPNext's update_status db_sets the status, which fires on_change and nothing else).
    Reserved quantities move without a ledger entry, and the default quantity rule (actual minus
    reserved) depends on them. A draft moves nothing (voucher_moves gives no row)."""
    from shopsync.sync.stock import voucher_moves

    _note_moves(voucher_moves(doc.as_dict()))


def _note_moves(moves):
    """Collect in this transaction's StockEvents; the first record registers the after-commit
    flush (and the after-rollback clear). Reads no stock, calls no shop."""
    from shopsync.sync.stock import StockEvents

    sites = frappe.cache().get_value("shopsync:enabled_sites", generator=_enabled_sites)
    if not sites or not moves:
        return
    events = frappe.local.flags.get("shopsync_stock_events")
    if events is None:
        events = frappe.local.flags["shopsync_stock_events"] = StockEvents()
    first = False
    for item_code, warehouse in moves:
        first = events.record(item_code, warehouse) or first
    if first:
        frappe.db.after_commit.add(_flush_stock)
        frappe.db.after_rollback.add(events.clear)  # a rolled-back voucher moved nothing


def _flush_stock():
    from shopsync.jobs import flush_stock_events

    _flush("shopsync_stock_events", flush_stock_events,
           "shopsync: stock movements not queued (the hourly catch-up will push them)")


def _flush(flag: str, flush, failed: str) -> None:
    """After the commit: hand the transaction's noted changes to ``flush``. The change itself is
    committed whatever happens here; when queueing fails, the hourly job takes it."""
    events = frappe.local.flags.get(flag)
    if not events:  # none, or nothing noted
        return
    try:
        flush(events)
    except Exception:  # noqa: BLE001 - see the docstring
        events.clear()
        frappe.log_error(failed)


def item_changed(doc, method=None):
    """Item on_update: note the item; after the commit it joins each enabled site's pending set
    of product pushes and at most one push job per site is queued (a burst of N saves is one job
    per site). The engine's own writes (a first sync, a pull, an order's new item) note nothing:
    they came from the shop (shopsync.sync.runtime.engine_writes)."""
    from shopsync.sync.products.pending import ItemEvents

    if frappe.flags.in_import or frappe.flags.in_install:
        return
    sites = frappe.cache().get_value("shopsync:enabled_sites", generator=_enabled_sites)
    if not sites:
        return
    events = frappe.local.flags.get("shopsync_item_events")
    if events is None:
        events = frappe.local.flags["shopsync_item_events"] = ItemEvents()
    if events.record(doc.name):
        frappe.db.after_commit.add(_flush_items)
        frappe.db.after_rollback.add(events.clear)


def _flush_items():
    from shopsync.jobs import flush_item_events

    _flush("shopsync_item_events", flush_item_events,
           "shopsync: item changes not queued (the hourly product resync will push them)")


def item_price_changed(doc, method=None):
    if doc.selling:
        item_changed(frappe._dict(name=doc.item_code))


def item_trashed(doc, method=None):
    frappe.enqueue("shopsync.jobs.item_deleted", queue="short", enqueue_after_commit=True, item_code=doc.name)


def delivery_submitted(doc, method=None):
    if not frappe.db.exists("WooCommerce Site", {"enabled": 1, "push_order_status": 1}):
        return
    frappe.enqueue(
        "shopsync.jobs.push_order_status", queue="short", enqueue_after_commit=True, delivery_note=doc.name,
        # one job per Delivery Note at a time (Frappe prefixes the site): two at once could both find no
        # note in the shop and both send one
        job_id=f"shopsync-delivery-{doc.name}", deduplicate=True,
    )


def payment_submitted(doc, method=None):
    """Payment Entry on_submit: orders it pays in full are marked paid in the shop (sites that ask)."""
    if doc.payment_type != "Receive" or not frappe.db.exists("WooCommerce Site", {"enabled": 1, "mark_paid_in_shop": 1}):
        return
    frappe.enqueue(
        "shopsync.jobs.push_payment", queue="short", enqueue_after_commit=True, payment_entry=doc.name,
        job_id=f"shopsync-payment-{doc.name}", deduplicate=True,
    )
