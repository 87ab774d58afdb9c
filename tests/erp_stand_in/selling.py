"""ERPNext's Sales Order rules that a business customer meets, read in ERPNext 15.71.1 and held to
the real site's captures (``tests/captures/erpnext/golden/j*``, README "Business rules"):

- :func:`validate_po` (``SalesOrder.validate_po``, at **validate**: drafts are refused too): a
  customer's Purchase Order number (``po_no``) may be on one Sales Order that is not cancelled
  (``docstatus < 2``: drafts count) unless Selling Settings ``allow_against_multiple_purchase_orders``
  is on (then a warning only). Also run before an update after submit (``po_no`` is allow-on-submit).
- :func:`validate_selling_price` (``SellingController.validate_selling_price``, at **validate**):
  with Selling Settings ``validate_selling_price`` on, a line's ``base_net_rate`` below the item's
  last purchase rate, or below its Bin's valuation rate, is refused.
- :func:`check_credit_limit` (``Customer.check_credit_limit``, at **submit**, before the
  reservation; and when an order is re-opened or resumed): the customer's outstanding (ledger +
  unbilled part of its open Sales Orders, this one included + unbilled Delivery Notes without an
  order) above its credit limit for the company refuses the submit, unless the customer's Credit
  Limit row ticks ``bypass_credit_limit_check`` or the user holds Accounts Settings'
  ``credit_controller`` role.
- :func:`make_packing_list` (``packed_item.make_packing_list``): a line whose item is a Product
  Bundle gets one Packed Item per bundle component (qty = component qty x line stock qty, the
  line's warehouse): those reserve stock, not the bundle's own (non-stock) item.
- :func:`update_status` (``sales_order.update_status``, the Close / Re-open / Hold / Resume
  buttons): the status is written with ``db_set`` (fires ``on_change`` only: no ``on_update``,
  ``on_submit`` or ``on_update_after_submit``) and the reserved quantities are recomputed with
  ``update_bin_qty`` (a straight Bin write: no Bin event, no Stock Ledger Entry).

Every exception here is Frappe's plain ``ValidationError`` (``frappe.throw``, or ``msgprint`` with
``raise_exception``), as on the real site.
"""

from __future__ import annotations

import urllib.parse

from shopsync.erp import errors as E

from . import stock
from .memory_erp import ADMIN, bold, ci
from .rounding import cint, flt

#: what ``get_url`` prefixed to desk links in the captured messages (the REST request's host)
SITE_URL = "http://127.0.0.1:8000"
#: ``credit_controller_role or "Sales Master Manager"``: whom the credit limit message names
DEFAULT_CREDIT_CONTROLLER = "Sales Master Manager"


def link_to_form(erp, doctype: str, name: str, label: str | None = None) -> str:
    """``frappe.utils.get_link_to_form``: an absolute desk URL (``get_url``) with the slugged doctype."""
    base = getattr(erp, "site_url", SITE_URL)
    slug = doctype.lower().replace(" ", "-")
    return f'<a href="{base}/app/{urllib.parse.quote(slug)}/{urllib.parse.quote(name)}">{label or name}</a>'


# ==================================================================== po_no
def validate_po(erp, doc: dict) -> None:
    if doc.get("po_date") and not cint(doc.get("skip_delivery_note")):
        for row in doc.get("items") or ():
            if row.get("delivery_date") and str(doc["po_date"]) > str(row["delivery_date"]):
                raise E.ValidationError(
                    f"Row #{row.get('idx')}: Expected Delivery Date cannot be before Purchase Order Date")
    po_no, customer = doc.get("po_no"), doc.get("customer")
    if not po_no or not customer or cint(doc.get("skip_delivery_note")):
        return
    # ifnull(po_no, '') = %s and name != %s and docstatus < 2 and customer = %s (utf8mb4_unicode_ci)
    others = sorted(
        (so["name"] for so in erp._all("Sales Order")
         if ci(so.get("po_no") or "") == ci(po_no) and so["name"] != doc.get("name")
         and cint(so.get("docstatus")) < 2 and ci(so.get("customer")) == ci(customer)),
        key=ci,
    )
    if not others:
        return
    if cint(erp.get_single_value("Selling Settings", "allow_against_multiple_purchase_orders")):
        erp.msgprint(f"Warning: Sales Order {bold(others[0])} already exists against Customer's Purchase Order {bold(po_no)}")
        return
    setting = bold("'Allow Multiple Sales Orders Against a Customer's Purchase Order'")
    raise E.ValidationError(
        f"Sales Order {bold(others[0])} already exists against Customer's Purchase Order {bold(po_no)}. "
        f"To allow multiple Sales Orders, Enable {setting} in {link_to_form(erp, 'Selling Settings', 'Selling Settings')}"
    )


# ==================================================================== selling price
def _selling_price_error(erp, idx, item_name, rate, ref_rate_field) -> E.ValidationError:
    indent = "\n" + "\t" * 5
    return E.ValidationError(
        f"Row #{idx}: Selling rate for item {bold(item_name)} is lower than its {bold(ref_rate_field)}."
        f"{indent}Selling {bold('net rate')} should be atleast {bold(rate)}.<br><br>Alternatively,"
        f"{indent}you can disable selling price validation in {link_to_form(erp, 'Selling Settings', 'Selling Settings')} to bypass"
        f"{indent}this validation."
    )


def validate_selling_price(erp, doc: dict) -> None:
    if cint(doc.get("is_return")) or not cint(erp.get_single_value("Selling Settings", "validate_selling_price")):
        return
    internal = cint(doc.get("is_internal_customer"))
    wanted: dict[tuple[str, str], float | None] = {}
    for row in doc.get("items") or ():
        if not row.get("item_code") or cint(row.get("is_free_item")):
            continue
        item = erp._get_raw("Item", row["item_code"]) or {}
        last_purchase = flt(item.get("last_purchase_rate")) * (flt(row.get("conversion_factor")) or 1)
        if flt(row.get("base_net_rate")) < flt(last_purchase):
            raise _selling_price_error(erp, row.get("idx"), row.get("item_name"), last_purchase, "last purchase rate")
        if internal or not cint(item.get("is_stock_item")):
            continue
        wanted[(row["item_code"], row.get("warehouse"))] = None
    for key in wanted:
        b = stock.find_bin(erp, key[0], key[1]) if key[1] else None
        if b is not None and flt(b.get("valuation_rate")) > 0:
            wanted[key] = flt(b["valuation_rate"])
    for row in doc.get("items") or ():
        if not row.get("item_code") or cint(row.get("is_free_item")):
            continue
        valuation = wanted.get((row["item_code"], row.get("warehouse")))
        if not valuation:
            continue
        valuation = valuation * (flt(row.get("conversion_factor")) or 1)
        if flt(row.get("base_net_rate")) < flt(valuation):
            raise _selling_price_error(erp, row.get("idx"), row.get("item_name"), valuation,
                                       "valuation rate (Moving Average)")


# ==================================================================== credit limit
def credit_limit_row(erp, parenttype: str, parent: str | None, company: str) -> dict | None:
    holder = erp._get_raw(parenttype, parent) if parent else None
    for row in (holder or {}).get("credit_limits") or ():
        if ci(row.get("company")) == ci(company):
            return row
    return None


def get_credit_limit(erp, customer: str, company: str) -> float:
    """``customer.get_credit_limit``: the customer's row for the company, else its group's (unless
    that row bypasses), else the company's ``credit_limit``."""
    limit = None
    if customer:
        row = credit_limit_row(erp, "Customer", customer, company)
        limit = row.get("credit_limit") if row else None
        if not flt(limit):
            group = (erp._get_raw("Customer", customer) or {}).get("customer_group")
            group_row = credit_limit_row(erp, "Customer Group", group, company)
            if group_row and not cint(group_row.get("bypass_credit_limit_check")):
                limit = group_row.get("credit_limit")
    if not flt(limit):
        limit = (erp._get_raw("Company", company) or {}).get("credit_limit")
    return flt(limit)


def get_customer_outstanding(erp, customer: str, company: str) -> float:
    """``customer.get_customer_outstanding``: what the customer's ledger says it owes (the stand-in
    keeps no GL Entries: submitted Sales Invoices less submitted Payment Entries received from it),
    plus the unbilled part of its submitted, not Closed Sales Orders, plus the unbilled amount of
    its submitted Delivery Notes made without an order or invoice."""
    def mine(doc) -> bool:
        return cint(doc.get("docstatus")) == 1 and ci(doc.get("company")) == ci(company)

    ledger = 0.0
    for si in erp._all("Sales Invoice"):
        if mine(si) and ci(si.get("customer")) == ci(customer):
            ledger += flt(si.get("base_rounded_total")) or flt(si.get("base_grand_total"))
    for pe in erp._all("Payment Entry"):
        if mine(pe) and pe.get("party_type") == "Customer" and ci(pe.get("party")) == ci(customer):
            amount = flt(pe.get("base_received_amount")) or flt(pe.get("base_paid_amount"))
            ledger += -amount if pe.get("payment_type") == "Receive" else amount
    orders = 0.0
    for so in erp._all("Sales Order"):
        if (mine(so) and ci(so.get("customer")) == ci(customer) and flt(so.get("per_billed")) < 100
                and so.get("status") != "Closed"):
            orders += flt(so.get("base_grand_total")) * (100 - flt(so.get("per_billed"))) / 100
    notes = 0.0
    billed: dict[str, float] = {}
    for si in erp._all("Sales Invoice"):
        if cint(si.get("docstatus")) == 1:
            for row in si.get("items") or ():
                if row.get("dn_detail"):
                    billed[row["dn_detail"]] = billed.get(row["dn_detail"], 0.0) + flt(row.get("amount"))
    for dn in erp._all("Delivery Note"):
        if not (mine(dn) and ci(dn.get("customer")) == ci(customer)) or dn.get("status") in ("Closed", "Stopped"):
            continue
        for row in dn.get("items") or ():
            if row.get("against_sales_order") or row.get("against_sales_invoice"):
                continue
            amount, invoiced = flt(row.get("amount")), billed.get(row.get("name"), 0.0)
            if amount > invoiced and flt(dn.get("base_net_total")):
                notes += (amount - invoiced) / flt(dn["base_net_total"]) * flt(dn.get("base_grand_total"))
    return flt(ledger + orders + notes, 9)


def users_with_role(erp, role: str) -> list[str]:
    """``frappe.utils.user.get_users_with_role``: enabled users holding ``role``, never Administrator."""
    return sorted(
        u["name"] for u in erp._all("User")
        if u["name"] != ADMIN and cint(u.get("enabled"))
        and any(r.get("role") == role for r in u.get("roles") or ())
    )


def session_roles(erp) -> set[str] | None:
    """The roles of the user the stand-in acts as; None = Administrator, who holds every role."""
    return getattr(erp, "session_roles", None)


def check_credit_limit(erp, customer: str, company: str) -> None:
    limit = get_credit_limit(erp, customer, company)
    if not limit:
        return
    outstanding = get_customer_outstanding(erp, customer, company)
    if not (limit > 0 and outstanding > limit):
        return
    message = f"Credit limit has been crossed for customer {customer} ({outstanding}/{limit})<br><br>"
    controller = erp.get_single_value("Accounts Settings", "credit_controller")
    roles = session_roles(erp)
    if controller and (roles is None or controller in roles):
        return
    users = users_with_role(erp, controller or DEFAULT_CREDIT_CONTROLLER)
    if not users:
        raise E.ValidationError(f"Please contact your administrator to extend the credit limits for {customer}.")
    formatted = []
    for name in users:
        user = erp._get_raw("User", name) or {}
        full = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p) or name
        formatted.append(f"{full} ({user.get('email') or name})")
    user_list = "<br><br><ul><li>{}</li></ul>".format("<li>".join(formatted))
    message += f"Please contact any of the following users to extend the credit limits for {customer}: {user_list}"
    raise E.ValidationError(message)


def sales_order_check_credit_limit(erp, so: dict) -> None:
    """``SalesOrder.check_credit_limit``: skipped when the customer's row for the company bypasses."""
    row = credit_limit_row(erp, "Customer", so.get("customer"), so.get("company"))
    if row is not None and cint(row.get("bypass_credit_limit_check")):
        return
    check_credit_limit(erp, so.get("customer"), so.get("company"))


# ==================================================================== Product Bundles
def bundle_components(erp, item_code: str) -> list[dict] | None:
    """The enabled Product Bundle whose ``new_item_code`` is ``item_code``: its rows, else None."""
    for bundle in erp._all("Product Bundle"):
        if ci(bundle.get("new_item_code")) == ci(item_code) and not cint(bundle.get("disabled")):
            return sorted(bundle.get("items") or (), key=lambda r: cint(r.get("idx")))
    return None


def make_packing_list(erp, doc: dict, old: dict | None) -> None:
    """One Packed Item per component of every bundle line (the table is rebuilt, as ERPNext does
    when the lines changed; rows of unchanged lines keep their names)."""
    before = {(r.get("parent_item"), r.get("item_code"), r.get("parent_detail_docname")): r
              for r in (old or {}).get("packed_items") or ()}
    packed = []
    for row in doc.get("items") or ():
        components = bundle_components(erp, row.get("item_code"))
        if components is None:
            continue
        for comp in components:
            item = erp._get_raw("Item", comp.get("item_code")) or {}
            kept = before.get((row.get("item_code"), comp.get("item_code"), row.get("name")))
            default_wh = next((d.get("default_warehouse") for d in item.get("item_defaults") or ()
                               if ci(d.get("company")) == ci(doc.get("company"))), None)
            warehouse = (kept or {}).get("warehouse")
            if not warehouse:
                fetch = cint(doc.get("is_pos")) or cint(item.get("is_stock_item")) or not default_wh
                warehouse = row.get("warehouse") if (fetch and row.get("warehouse")) else default_wh
            b = stock.find_bin(erp, item.get("name", comp.get("item_code")), warehouse) if warehouse else None
            new = dict(kept or {})
            new.update(
                parent_item=row.get("item_code"), parent_detail_docname=row.get("name"),
                item_code=item.get("name", comp.get("item_code")), item_name=item.get("item_name"),
                uom=item.get("stock_uom"), qty=flt(flt(comp.get("qty")) * flt(row.get("stock_qty")), 9),
                conversion_factor=row.get("conversion_factor"), delivered_by_supplier=row.get("delivered_by_supplier"),
                description=new.get("description") or comp.get("description"), warehouse=warehouse,
                target_warehouse=row.get("target_warehouse"), actual_qty=flt((b or {}).get("actual_qty")),
                projected_qty=flt((b or {}).get("projected_qty")),
            )
            packed.append(new)
    for idx, row in enumerate(packed, start=1):  # rows made in validate miss the insert's child naming
        if not row.get("name"):
            row["name"] = erp._hash("Packed Item#row")
        row.update(idx=idx, parent=doc.get("name"), parentfield="packed_items", parenttype=doc.get("doctype"),
                   doctype="Packed Item", docstatus=cint(doc.get("docstatus")))
    doc["packed_items"] = packed


def reserve_pairs(erp, so: dict, rows: set[str] | None = None) -> list[tuple[str, str]]:
    """``SalesOrder.update_reserved_qty``'s (item, warehouse) pairs: a bundle line's Packed Items,
    any other line itself; stock items only, supplier-delivered lines left out."""
    pairs: list[tuple[str, str]] = []

    def add(item_code, warehouse):
        if item_code and warehouse and (item_code, warehouse) not in pairs \
                and cint((erp._get_raw("Item", item_code) or {}).get("is_stock_item")):
            pairs.append((item_code, warehouse))

    for row in so.get("items") or ():
        if (rows and row.get("name") not in rows) or cint(row.get("delivered_by_supplier")):
            continue
        if bundle_components(erp, row.get("item_code")) is not None:
            for p in so.get("packed_items") or ():
                if p.get("parent_detail_docname") == row.get("name") and p.get("parent_item") == row.get("item_code"):
                    add(p.get("item_code"), p.get("warehouse"))
        else:
            add(row.get("item_code"), row.get("warehouse"))
    return pairs


def update_reserved_qty(erp, so: dict) -> None:
    for item_code, warehouse in reserve_pairs(erp, so):
        stock.recompute_reserved(erp, item_code, warehouse)


# ==================================================================== Close / Re-open / Hold / Resume
def update_status(erp, name: str, status: str) -> dict:
    """``erpnext.selling.doctype.sales_order.sales_order.update_status(status, name)``: "Closed",
    "On Hold", or "Draft" (Re-open / Resume: the status is worked out again)."""
    from .controllers import set_sales_order_status

    so = erp._require("Sales Order", name)
    name = so["name"]
    erp._db_set("Sales Order", name, {"status": status})
    erp._fire("Sales Order", "on_change", erp._get_raw("Sales Order", name))
    set_sales_order_status(erp, name)
    erp._fire("Sales Order", "on_change", erp._get_raw("Sales Order", name))
    so = erp._get_raw("Sales Order", name)
    if status == "Draft" and cint(so.get("docstatus")) == 1:
        sales_order_check_credit_limit(erp, so)
    update_reserved_qty(erp, so)
    return erp._public("Sales Order", name)
