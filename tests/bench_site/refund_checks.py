"""Checks run inside the bench for the refund tests (``refund_checks:<name>``): a Sales Order
delivered as a user does it, and the stock and returns a restocked refund leaves."""

from __future__ import annotations

import frappe

from tests.bench_site.site_checks import orders_of


def deliver_order(site, order_id):
    """The order's Sales Order delivered in full: make_delivery_note, submitted, as the button does."""
    from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note

    so = orders_of(site)[str(order_id)]["name"]
    dn = make_delivery_note(so)
    dn.insert()
    dn.submit()
    frappe.db.commit()
    return dn.name


def restock_state(site, order_id, item_code, warehouse):
    """The Sales Order's status, its Delivery Note returns and the item's Bin in ``warehouse``."""
    so = orders_of(site)[str(order_id)]["name"]
    parents = {r.parent for r in frappe.get_all("Delivery Note Item", filters={"against_sales_order": so}, fields=["parent"])}
    returns = []
    for name in sorted(parents):
        dn = frappe.get_doc("Delivery Note", name)
        if dn.is_return and dn.docstatus == 1:
            ledger = frappe.get_all("Stock Ledger Entry", filters={"voucher_no": dn.name, "is_cancelled": 0},
                                    fields=["item_code", "warehouse", "actual_qty"])
            returns.append({"name": dn.name, "return_against": dn.return_against,
                            "items": [(i.item_code, i.qty, i.warehouse) for i in dn.items],
                            "ledger": [(e.item_code, e.actual_qty, e.warehouse) for e in ledger]})
    bin_ = frappe.db.get_value("Bin", {"item_code": item_code, "warehouse": warehouse}, ["actual_qty", "reserved_qty"], as_dict=True)
    return {"sales_order": so, "status": frappe.db.get_value("Sales Order", so, "status"), "returns": returns,
            "bin": bin_ or {}}
