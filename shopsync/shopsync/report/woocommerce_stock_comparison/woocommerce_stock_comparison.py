"""Per site: ERP quantity, shop quantity, difference and last push of every linked item."""

import frappe
from frappe import _


def execute(filters=None):
    from shopsync.jobs import frappe_runtime
    from shopsync.sync import stock

    filters = frappe._dict(filters or {})
    if not filters.site:
        return columns(), []
    from shopsync.woocommerce import WooError

    rt = frappe_runtime()
    site = rt.load_site(filters.site)
    try:
        rows = stock.stock_comparison(rt.erp, site, rt.client_for(site))
    except WooError as exc:
        frappe.throw(_("The shop's quantities could not be read: {0}").format(frappe.utils.escape_html(str(exc))), title=_("WooCommerce"))
    data = [
        {
            "item_code": r.item_code, "kind": r.kind, "erp_qty": r.erp_qty, "shop_qty": r.shop_qty,
            "difference": r.difference, "last_pushed_qty": r.last_pushed_qty, "last_pushed_at": r.last_pushed_at,
            "last_error": r.last_error,
            # first day: not pushed until the site's stock is set up, the shop keeps its quantity
            "state": _("Held: no stock in ERPNext yet") if r.held else "",
        }
        for r in rows
        if not filters.only_differences or r.differs or r.held
    ]
    held = sum(1 for r in rows if r.held)
    summary = [{"value": held, "label": _("Held: no stock in ERPNext yet (the shop keeps its quantity)"),
                "datatype": "Int", "indicator": "Orange" if held else "Green"}]
    return columns(), data, None, None, summary


def columns():
    return [
        {"fieldname": "item_code", "label": _("Item"), "fieldtype": "Link", "options": "Item", "width": 180},
        {"fieldname": "kind", "label": _("Kind"), "fieldtype": "Data", "width": 90},
        {"fieldname": "erp_qty", "label": _("ERP quantity"), "fieldtype": "Int", "width": 110},
        {"fieldname": "shop_qty", "label": _("Shop quantity"), "fieldtype": "Int", "width": 110},
        {"fieldname": "difference", "label": _("Difference"), "fieldtype": "Int", "width": 100},
        {"fieldname": "last_pushed_qty", "label": _("Last pushed"), "fieldtype": "Float", "width": 100},
        {"fieldname": "last_pushed_at", "label": _("Last push"), "fieldtype": "Datetime", "width": 160},
        {"fieldname": "last_error", "label": _("Last error"), "fieldtype": "Data", "width": 240},
        {"fieldname": "state", "label": _("Stock set up"), "fieldtype": "Data", "width": 220},
    ]
