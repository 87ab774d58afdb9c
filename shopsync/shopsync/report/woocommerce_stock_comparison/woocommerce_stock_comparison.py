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
    from shopsync.desk import shop_error_text

    data = [
        {
            "item_code": r.item_code, "kind": _(KINDS.get(r.kind, r.kind)), "erp_qty": r.erp_qty, "shop_qty": r.shop_qty,
            "difference": r.difference,
            "last_pushed_qty": int(r.last_pushed_qty) if r.last_pushed_qty not in (None, "") else None,
            "last_pushed_at": r.last_pushed_at,
            # the shop's error in words when its code is known (the link keeps what the shop said)
            "last_error": shop_error_text(r.last_error),
            # first day: not pushed until the site's stock is set up, the shop keeps its quantity
            "state": _("Held: no stock in ERPNext yet") if r.held else _("Stock differs") if r.differs else _("Stock in sync"),
            "held": int(bool(r.held)),
        }
        for r in rows
        if not filters.only_differences or r.differs or r.held
    ]
    held = sum(1 for r in rows if r.held)
    summary = [{"value": held, "label": _("Held: no stock in ERPNext yet (the shop keeps its quantity)"),
                "datatype": "Int", "indicator": "Orange" if held else "Green"}]
    return columns(), data, None, None, summary


#: the engine's kinds of stock line, as the user names them
KINDS = {"simple": "Simple product", "parent": "Variable product", "variation": "Variation"}


def columns():
    # widths fit the headers in English and French; quantities are whole numbers (Int)
    return [
        {"fieldname": "item_code", "label": _("Item"), "fieldtype": "Link", "options": "Item", "width": 180},
        {"fieldname": "kind", "label": _("Kind"), "fieldtype": "Data", "width": 140},
        {"fieldname": "state", "label": _("Stock"), "fieldtype": "Data", "width": 340},
        {"fieldname": "erp_qty", "label": _("ERP quantity"), "fieldtype": "Int", "width": 130},
        {"fieldname": "shop_qty", "label": _("Shop quantity"), "fieldtype": "Int", "width": 150},
        {"fieldname": "difference", "label": _("Difference"), "fieldtype": "Int", "width": 110},
        {"fieldname": "last_pushed_qty", "label": _("Last pushed"), "fieldtype": "Int", "width": 150},
        {"fieldname": "last_pushed_at", "label": _("Last push"), "fieldtype": "Datetime", "width": 170},
        {"fieldname": "last_error", "label": _("Last error"), "fieldtype": "Data", "width": 300},
    ]
