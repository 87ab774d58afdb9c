"""ERP -> shop for orders: deliveries and payments made in the ERP go back to the order.

- **Delivered** (sites with ``push_order_status``; a job queued after a Delivery Note is
  submitted, :func:`push_delivery`): a Sales Order now fully delivered marks its order completed;
  a partial delivery, a Delivery Note with a tracking number (ERPNext 15's *Transport Receipt No*,
  ``lr_no``, with its *Transporter*), or the last of several deliveries adds a private order note
  (``POST orders/<id>/notes``, ``customer_note`` false) saying what was shipped: items and
  quantities. One note per Delivery Note and order, ever: the Delivery Note remembers the notes it
  sent (``woocommerce_order_notes``), and a note already in the shop naming the Delivery Note (a
  job stopped between the shop's answer and the ERP's commit) is not sent again.
- **Paid** (sites with ``mark_paid_in_shop``; a job queued after a Payment Entry is submitted,
  :func:`push_payment`): an order whose Sales Invoice (or, without one, whose Sales Order as an
  advance) is now paid in full, and that the shop shows unpaid (``date_paid`` empty), gets
  ``set_paid``: WooCommerce's ``payment_complete``, which sets the paid date and moves an on-hold
  or pending order to processing (a processing order it leaves as it is: the report says so).

The shop is called outside any ERP transaction. The shop's own order.updated delivery that follows
comes back through the intake and is recognised as nothing to do (the Sales Order already stands,
and a paid invoice or an order with its advance gets no second Payment Entry).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable

from shopsync.erp.port import ERP, Doc
from shopsync.sync.links import LINK_DOCTYPE
from shopsync.sync.money import dec, fmt
from shopsync.sync.site import SiteConfig
from shopsync.woocommerce.errors import WooError

DN, SO, SI = "Delivery Note", "Sales Order", "Sales Invoice"
#: on the Delivery Note: the order notes it sent, "<site>#<order id>:<note id>" a line
NOTES_FIELD = "woocommerce_order_notes"
UNPAYABLE = ("cancelled", "refunded", "failed", "trash")

DONE_STATUSES = ("completed", "cancelled", "refunded", "failed")


@dataclasses.dataclass
class StatusPush:
    completed: list[int] = dataclasses.field(default_factory=list)
    left: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (sales order, why)
    failed: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (sales order, the shop's error)
    noted: list[int] = dataclasses.field(default_factory=list)  # orders that got a delivery note
    paid: list[int] = dataclasses.field(default_factory=list)  # orders marked paid


def sales_orders_of_delivery(erp: ERP, delivery_note: str) -> set[str]:
    rows = erp.find("Delivery Note Item", {"parent": delivery_note, "parenttype": "Delivery Note"}, fields=("against_sales_order",))
    return {r["against_sales_order"] for r in rows if r.get("against_sales_order")}


def push_delivered(erp: ERP, site: SiteConfig, client: Any, sales_orders: Iterable[str]) -> StatusPush:
    report = StatusPush()
    if not site.push_order_status:
        return report
    for name in sorted(set(sales_orders)):
        links = erp.find(LINK_DOCTYPE, {"site": site.name, "link_type": "Order", "erp_name": name}, fields=("woo_id",))
        if not links:
            continue
        so = erp.get("Sales Order", name)
        if so.get("docstatus") != 1 or float(so.get("per_delivered") or 0) < 100:
            report.left.append((name, "not fully delivered"))
            continue
        woo_id = int(links[0]["woo_id"])
        try:  # one order the shop refuses, or a shop down, never stops the others
            current = client.get(f"orders/{woo_id}")
            if current.get("status") in DONE_STATUSES:
                report.left.append((name, f"already {current.get('status')} in the shop"))
                continue
            client.put(f"orders/{woo_id}", {"status": "completed"})
        except WooError as exc:
            report.failed.append((name, str(exc)))
            continue
        report.completed.append(woo_id)
    return report


def _order_link(erp: ERP, site: SiteConfig, so_name: str) -> int | None:
    links = erp.find(LINK_DOCTYPE, {"site": site.name, "link_type": "Order", "erp_name": so_name}, fields=("woo_id",))
    return int(links[0]["woo_id"]) if links else None


def _qty(value: Any) -> str:
    number = dec(value)
    return str(number.quantize(1)) if number == number.to_integral() else str(number.normalize())


def delivery_note_text(dn: Doc, so_name: str, so: Doc) -> str:
    """The order note of one Delivery Note: what it shipped of the order, the tracking number, and
    how much of the order is delivered."""
    rows = [r for r in dn.get("items") or [] if r.get("against_sales_order") == so_name]
    shipped = ", ".join(
        f"{_qty(r.get('qty'))} × {r.get('item_name') or r.get('item_code')}"
        + (f" ({r.get('item_code')})" if r.get("item_name") and r.get("item_name") != r.get("item_code") else "")
        for r in rows
    )
    text = f"Shipped (Delivery Note {dn['name']}): {shipped}."
    tracking = str(dn.get("lr_no") or "").strip()
    if tracking:
        carrier = str(dn.get("transporter_name") or dn.get("transporter") or "").strip()
        text += f" Tracking number: {tracking}" + (f" ({carrier})" if carrier else "") + "."
    delivered = dec(so.get("per_delivered"))
    text += " The order is now delivered in full." if delivered >= 100 else f" Partial delivery: {fmt(delivered)} % of the order shipped so far."
    return text


def push_delivery(erp: ERP, site: SiteConfig, client: Any, delivery_note: str) -> StatusPush:
    """After a Delivery Note: its orders' notes, then the orders now fully delivered completed."""
    report = StatusPush()
    if not site.push_order_status:
        return report
    dn = erp.get(DN, delivery_note)
    if int(dn.get("docstatus") or 0) != 1:
        return report
    sales_orders = sorted({r["against_sales_order"] for r in dn.get("items") or [] if r.get("against_sales_order")})
    for name in sales_orders:
        woo_id = _order_link(erp, site, name)
        if woo_id is None:
            continue
        so = erp.get(SO, name)
        full = so.get("docstatus") == 1 and dec(so.get("per_delivered")) >= 100
        if not full or str(dn.get("lr_no") or "").strip() or _other_deliveries(erp, name, delivery_note):
            try:
                if _send_note(erp, site, client, dn, name, so, woo_id):
                    report.noted.append(woo_id)
            except WooError as exc:
                report.failed.append((name, str(exc)))
                continue
    report_full = push_delivered(erp, site, client, sales_orders)
    report.completed, report.left = report_full.completed, report.left + report_full.left
    report.failed += report_full.failed
    return report


def _other_deliveries(erp: ERP, so_name: str, delivery_note: str) -> bool:
    rows = erp.find("Delivery Note Item", {"against_sales_order": so_name, "parenttype": DN}, fields=("parent",))
    others = {r["parent"] for r in rows} - {delivery_note}
    return any(int(erp.get_value(DN, n, "docstatus") or 0) == 1 for n in others)


def _send_note(erp: ERP, site: SiteConfig, client: Any, dn: Doc, so_name: str, so: Doc, woo_id: int) -> bool:
    key = f"{site.name}#{woo_id}:"
    sent = [line for line in str(erp.get_value(DN, dn["name"], NOTES_FIELD) or "").splitlines() if line.strip()]
    if any(line.startswith(key) for line in sent):
        return False
    marker = f"(Delivery Note {dn['name']})"
    existing = next((n for n in client.get(f"orders/{woo_id}/notes", {"type": "internal"}) or []
                     if marker in str(n.get("note") or "")), None)
    note = existing or client.post(f"orders/{woo_id}/notes", {"note": delivery_note_text(dn, so_name, so), "customer_note": False})
    with erp.transaction():
        erp.set_values(DN, dn["name"], {NOTES_FIELD: "\n".join(sent + [f"{key}{note.get('id')}"])})
    return existing is None


def orders_of_payment(erp: ERP, payment_entry: str) -> dict[str, str]:
    """``{sales order: the document it is paid through}`` for a received Payment Entry: its Sales
    Invoices' orders, and the Sales Orders it pays as an advance."""
    pe = erp.get("Payment Entry", payment_entry)
    if int(pe.get("docstatus") or 0) != 1 or pe.get("payment_type") != "Receive":
        return {}
    out: dict[str, str] = {}
    for ref in pe.get("references") or []:
        if ref.get("reference_doctype") == SO:
            out.setdefault(ref["reference_name"], SO)
        elif ref.get("reference_doctype") == SI:
            for row in erp.find("Sales Invoice Item", {"parent": ref["reference_name"], "parenttype": SI}, fields=("sales_order",)):
                if row.get("sales_order"):
                    out[row["sales_order"]] = ref["reference_name"]
    return out


def push_payment(erp: ERP, site: SiteConfig, client: Any, payment_entry: str) -> StatusPush:
    """After a Payment Entry: orders now paid in full that the shop shows unpaid get ``set_paid``."""
    report = StatusPush()
    if not site.mark_paid_in_shop:
        return report
    for so_name, through in sorted(orders_of_payment(erp, payment_entry).items()):
        woo_id = _order_link(erp, site, so_name)
        if woo_id is None:
            continue
        if through == SO:
            so = erp.get(SO, so_name)
            owed = dec(so.get("rounded_total") or so.get("grand_total")) - dec(so.get("advance_paid"))
        else:
            owed = dec(erp.get_value(SI, through, "outstanding_amount"))
        if owed > 0:
            report.left.append((so_name, f"not paid in full ({fmt(owed)} still owed)"))
            continue
        try:
            current = client.get(f"orders/{woo_id}")
            if current.get("date_paid") or current.get("date_paid_gmt"):
                report.left.append((so_name, "already paid in the shop"))
                continue
            if current.get("status") in UNPAYABLE:
                report.left.append((so_name, f"{current.get('status')} in the shop"))
                continue
            answer = client.put(f"orders/{woo_id}", {"set_paid": True})
        except WooError as exc:
            report.failed.append((so_name, str(exc)))
            continue
        if answer.get("date_paid") or answer.get("date_paid_gmt"):
            report.paid.append(woo_id)
        else:  # WooCommerce's payment_complete only acts on on-hold, pending, failed and cancelled orders
            report.left.append((so_name, f"the shop keeps a {answer.get('status')} order unpaid"))
    return report
