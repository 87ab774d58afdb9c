"""Every item link of a site with its sync state: In sync (green), Out of sync (orange), Not linked (red)."""

import frappe
from frappe import _


def execute(filters=None):
    from shopsync.jobs import frappe_runtime
    from shopsync.sync import products

    filters = frappe._dict(filters or {})
    if not filters.site:
        return columns(), []
    rt = frappe_runtime()
    site = rt.load_site(filters.site)
    client = rt.client_for(site) if filters.read_shop else None
    rows = products.sync_state(rt.erp, site, client)
    data = [
        {
            "item_code": r.item_code, "item_name": r.item_name, "woo": r.label, "state": r.state,
            "changed": r.changed, "blacklisted": int(r.blacklisted), "last_error": r.last_error, "link": r.link,
        }
        for r in rows
        if (not filters.state or r.state == filters.state)
    ]
    return columns(), data


def columns():
    return [
        {"fieldname": "item_code", "label": _("Item"), "fieldtype": "Link", "options": "Item", "width": 180},
        {"fieldname": "item_name", "label": _("Item name"), "fieldtype": "Data", "width": 200},
        {"fieldname": "woo", "label": _("WooCommerce"), "fieldtype": "Data", "width": 120},
        {"fieldname": "state", "label": _("Sync state"), "fieldtype": "Data", "width": 140},
        {"fieldname": "changed", "label": _("Changed on"), "fieldtype": "Data", "width": 90},
        {"fieldname": "blacklisted", "label": _("Blacklisted"), "fieldtype": "Check", "width": 90},
        {"fieldname": "last_error", "label": _("Last error"), "fieldtype": "Data", "width": 260},
        {"fieldname": "link", "label": _("Link"), "fieldtype": "Link", "options": "WooCommerce Link", "width": 160},
    ]
