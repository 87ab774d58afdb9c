"""In-site checks of ERPNext's business rules met by shopsync's engine (run by in_site.py as
``rules_checks:<name>``, from tests/bench_site/test_real_business_rules.py). Every record they make
is named ``SSCAP-<tag>-...``; settings they change are put back."""

from __future__ import annotations

import frappe

SITE = "WooCommerce Site"


def _company_abbr(site_name):
    company = frappe.db.get_value(SITE, site_name, "company")
    return company, frappe.db.get_value("Company", company, "abbr")


def import_orders(runs):
    """``runs``: [[site name, order JSON, {"force": bool}]...], imported one after the other with
    the engine over this site (FrappeERP), each committed like a job. Returns each outcome with
    its Sales Order's po_no, docstatus and status (so_status)."""
    from shopsync.erp.frappe_erp import FrappeERP
    from shopsync.jobs import load_site
    from shopsync.sync.orders import import_order

    out = []
    for site_name, order, options in runs:
        outcome = import_order(FrappeERP(), load_site(site_name), order, None, force=bool(options.get("force")))
        frappe.db.commit()
        row = {"status": outcome.status, "reason": outcome.reason, "sales_order": outcome.sales_order,
               "customer": outcome.customer}
        if outcome.sales_order and frappe.db.exists("Sales Order", outcome.sales_order):
            so = frappe.db.get_value("Sales Order", outcome.sales_order, ["po_no", "docstatus", "status"], as_dict=True)
            row.update(po_no=so.po_no, docstatus=so.docstatus, so_status=so.status)
        out.append(row)
    return out


def sales_orders_of(customer):
    return frappe.get_all("Sales Order", filters={"customer": customer}, fields=["name", "po_no", "docstatus", "status"],
                          order_by="creation asc")


def set_credit_limit(customer, site_name, limit, bypass=0):
    company, _ = _company_abbr(site_name)
    doc = frappe.get_doc("Customer", customer)
    doc.set("credit_limits", [{"company": company, "credit_limit": limit, "bypass_credit_limit_check": bypass}])
    doc.save(ignore_permissions=True)
    frappe.db.commit()
    return {"customer": customer, "credit_limit": limit}


def make_valued_item(item_code, site_name, rate):
    """A stock item with 10 in the site's warehouse at ``rate`` (its valuation rate)."""
    company, abbr = _company_abbr(site_name)
    if not frappe.db.exists("Item", item_code):
        frappe.get_doc({"doctype": "Item", "item_code": item_code, "item_name": item_code,
                        "item_group": "Products"}).insert(ignore_permissions=True)
    se = frappe.get_doc({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt", "company": company,
                         "items": [{"item_code": item_code, "qty": 10, "t_warehouse": f"Stores - {abbr}",
                                    "basic_rate": rate}]})
    se.insert(ignore_permissions=True)
    se.submit()
    frappe.db.commit()
    return frappe.get_all("Bin", filters={"item_code": item_code}, fields=["warehouse", "actual_qty", "valuation_rate"])


def set_selling_setting(field, value):
    before = frappe.db.get_single_value("Selling Settings", field)
    frappe.db.set_single_value("Selling Settings", field, value)
    frappe.db.commit()
    return {"before": before}


def update_status(sales_order, status):
    """What the Close / Hold / Re-open buttons call; committed as the request would be (the
    after-commit hooks run then)."""
    from erpnext.selling.doctype.sales_order.sales_order import update_status as erpnext_update_status

    erpnext_update_status(status, sales_order)
    frappe.db.commit()
    return frappe.db.get_value("Sales Order", sales_order, ["status", "docstatus"], as_dict=True)


def stocked_item_on_sale(site_name, item_code, product_id, qty):
    """An item linked to the shop's product ``product_id`` with ``qty`` in the site's warehouse."""
    from shopsync.erp.frappe_erp import FrappeERP
    from shopsync.sync.links import Binder

    company, abbr = _company_abbr(site_name)
    if not frappe.db.exists("Item", item_code):
        frappe.get_doc({"doctype": "Item", "item_code": item_code, "item_name": item_code,
                        "item_group": "Products"}).insert(ignore_permissions=True)
    erp = FrappeERP()
    with erp.transaction():
        Binder(erp, site_name).bind("Item", int(product_id), item_code)
    se = frappe.get_doc({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt", "company": company,
                         "items": [{"item_code": item_code, "qty": qty, "t_warehouse": f"Stores - {abbr}", "basic_rate": 5}]})
    se.insert(ignore_permissions=True)
    se.submit()
    frappe.db.commit()
    return {"item_code": item_code, "company": company}


def submit_sales_order(site_name, customer_name, item_code, qty):
    company, abbr = _company_abbr(site_name)
    if not frappe.db.exists("Customer", customer_name):
        frappe.get_doc({"doctype": "Customer", "customer_name": customer_name}).insert(ignore_permissions=True)
    so = frappe.get_doc({"doctype": "Sales Order", "customer": customer_name, "company": company,
                         "delivery_date": frappe.utils.add_days(frappe.utils.today(), 7),
                         "items": [{"item_code": item_code, "qty": qty, "rate": 10, "warehouse": f"Stores - {abbr}"}]})
    so.insert(ignore_permissions=True)
    so.submit()
    frappe.db.commit()
    return {"name": so.name, "bins": frappe.get_all("Bin", filters={"item_code": item_code},
                                                      fields=["warehouse", "actual_qty", "reserved_qty"])}


def hooks_of_sales_order():
    return frappe.get_hooks("doc_events").get("Sales Order", {})
