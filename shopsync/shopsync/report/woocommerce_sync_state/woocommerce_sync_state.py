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
    from shopsync.desk import shop_error_text

    data = [
        {
            "item_code": r.item_code, "item_name": r.item_name, "woo": r.label, "state": r.state,
            "changed": _(CHANGED.get(r.changed, r.changed or "")), "blacklisted": int(r.blacklisted),
            # the shop's error in words when its code is known (the link keeps what the shop said)
            "last_error": shop_error_text(r.last_error), "link": r.link,
        }
        for r in rows
        if (not filters.state or r.state == filters.state)
    ]
    return columns(), data


#: which side changed since the last sync, as the user names it
CHANGED = {"erp": "ERPNext", "shop": "Shop", "both": "Both sides"}


def columns():
    # "Product data": name, prices, description... (stock is the Stock Comparison's); widths fit
    # the headers in English and French
    return [
        {"fieldname": "item_code", "label": _("Item"), "fieldtype": "Link", "options": "Item", "width": 180},
        {"fieldname": "item_name", "label": _("Item name"), "fieldtype": "Data", "width": 200},
        {"fieldname": "woo", "label": _("WooCommerce"), "fieldtype": "Data", "width": 130},
        {"fieldname": "state", "label": _("Product data"), "fieldtype": "Data", "width": 190},
        {"fieldname": "changed", "label": _("Changed on"), "fieldtype": "Data", "width": 130},
        {"fieldname": "blacklisted", "label": _("Blacklisted"), "fieldtype": "Check", "width": 120},
        {"fieldname": "last_error", "label": _("Last error"), "fieldtype": "Data", "width": 300},
        {"fieldname": "link", "label": _("Link"), "fieldtype": "Link", "options": "WooCommerce Link", "width": 180},
    ]
