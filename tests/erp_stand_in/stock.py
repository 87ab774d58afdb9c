"""Stock Ledger Entries and Bins, as observed (golden e*, i_hooks_event_order_observed.json).

For each ledger row of a voucher, in order: the SLE is created and submitted (its before_submit and
on_submit events fire while the Bin still shows the quantity before this row), then the Bin is
created if missing and updated (a shortage raises NegativeStockError with the shortfall), then the
next row. Stock Reconciliation rows carry ``actual_qty`` 0 and the new level in
``qty_after_transaction``. Reserved quantity is recomputed from the open Sales Orders (:func:`reserved_qty`).
"""

from __future__ import annotations

from shopsync.erp import errors as E

from .memory_erp import ADMIN, ci
from .rounding import cint, flt

BIN_QTY_FIELDS = (
    "actual_qty", "reserved_qty", "ordered_qty", "indented_qty", "planned_qty", "projected_qty",
    "reserved_qty_for_production", "reserved_qty_for_sub_contract", "reserved_qty_for_production_plan",
    "reserved_stock", "valuation_rate", "stock_value",
)


def find_bin(erp, item_code: str, warehouse: str) -> dict | None:
    for b in erp._all("Bin"):
        if ci(b.get("item_code")) == ci(item_code) and ci(b.get("warehouse")) == ci(warehouse):
            return b
    return None


def get_or_make_bin(erp, item_code: str, warehouse: str) -> dict:
    existing = find_bin(erp, item_code, warehouse)
    if existing is not None:
        return existing
    item = erp._get_raw("Item", item_code) or {}
    stamp = erp.clock.stamp()
    doc = {
        "doctype": "Bin",
        "name": erp._hash("Bin"),
        "item_code": item.get("name", item_code),
        "warehouse": warehouse,
        "stock_uom": item.get("stock_uom"),
        "creation": stamp,
        "modified": stamp,
        "owner": ADMIN,
        "modified_by": ADMIN,
        "docstatus": 0,
        "idx": 0,
    }
    for f in BIN_QTY_FIELDS:
        doc[f] = 0.0
    erp._store("Bin", doc)
    return erp._get_raw("Bin", doc["name"])


def projected_qty(b: dict) -> float:
    return flt(
        flt(b.get("actual_qty")) + flt(b.get("ordered_qty")) + flt(b.get("indented_qty")) + flt(b.get("planned_qty"))
        - flt(b.get("reserved_qty")) - flt(b.get("reserved_qty_for_production"))
        - flt(b.get("reserved_qty_for_sub_contract")) - flt(b.get("reserved_qty_for_production_plan")),
        9,
    )


def set_bin(erp, b: dict, **values) -> dict:
    doc = dict(b)
    doc.update(values)
    doc["projected_qty"] = projected_qty(doc)
    doc["modified"] = erp.clock.stamp()
    erp._store("Bin", doc)
    return erp._get_raw("Bin", doc["name"])


def allow_negative_stock(erp, item: dict | None) -> bool:
    return bool(cint(erp.get_single_value("Stock Settings", "allow_negative_stock")) or cint((item or {}).get("allow_negative_stock")))


def _negative_stock(erp, sle: dict, item: dict, shortfall: float, voucher: dict) -> E.NegativeStockError:
    vt, vn = sle["voucher_type"], sle["voucher_no"]
    spec = erp.meta.get(vt)
    title = voucher.get(spec.title_field) if spec is not None and spec.title_field else None
    link_text = f"{vt} {title or vn}"
    return E.NegativeStockError(
        f'<strong>{abs(flt(shortfall))}</strong> units of <a href="/app/Form/Item/{item["name"]}" '
        f'style="font-weight: bold;">Item {item["name"]}: {item.get("item_name")}</a> needed in '
        f'<a href="/app/Form/Warehouse/{sle["warehouse"]}" style="font-weight: bold;">Warehouse {sle["warehouse"]}</a> '
        f'on {sle["posting_date"]} {sle["posting_time"]} for <a href="/app/Form/{vt}/{vn}" '
        f'style="font-weight: bold;">{link_text}</a> to complete this transaction.'
    )


def _fire_sle_submit(erp, sle: dict) -> None:
    erp._fire("Stock Ledger Entry", "before_submit", sle)
    erp._store("Stock Ledger Entry", sle)
    stored = erp._get_raw("Stock Ledger Entry", sle["name"])
    erp._fire("Stock Ledger Entry", "after_insert", stored)
    erp._fire("Stock Ledger Entry", "on_update", stored)
    erp._fire("Stock Ledger Entry", "on_submit", stored)


def make_sl_entries(erp, voucher: dict, entries: list[dict]) -> None:
    """Post ``entries`` (item_code, warehouse, actual_qty, incoming_rate, voucher_detail_no; or, for a
    reconciliation, ``qty`` and ``valuation_rate``) for ``voucher`` (a stored, submitted document)."""
    for entry in entries:
        item = erp._get_raw("Item", entry["item_code"]) or {"name": entry["item_code"]}
        existing = find_bin(erp, item["name"], entry["warehouse"]) or {}
        qty0 = flt(existing.get("actual_qty"))
        value0 = flt(existing.get("stock_value"))
        rate0 = flt(existing.get("valuation_rate"))
        reconciliation = "qty" in entry
        actual_qty = 0.0 if reconciliation else flt(entry["actual_qty"])
        incoming_rate = 0.0
        outgoing_rate = 0.0
        if reconciliation:
            qty1 = flt(entry["qty"])
            rate1 = flt(entry.get("valuation_rate"))
            value1 = flt(qty1 * rate1, 9)
        else:
            qty1 = flt(qty0 + actual_qty, 9)
            if actual_qty > 0:
                incoming_rate = flt(entry.get("incoming_rate"))
                value1 = flt(value0 + actual_qty * incoming_rate, 9)
                rate1 = flt(value1 / qty1, 9) if qty1 else incoming_rate
            else:
                outgoing_rate = rate0
                value1 = flt(value0 + actual_qty * rate0, 9)
                rate1 = rate0
        stamp = erp.clock.stamp()
        sle = {
            "doctype": "Stock Ledger Entry",
            "name": erp._hash("Stock Ledger Entry"),
            "item_code": item["name"],
            "warehouse": entry["warehouse"],
            "posting_date": voucher.get("posting_date") or erp.clock.today(),
            "posting_time": voucher.get("posting_time") or erp.clock.time(),
            "voucher_type": voucher["doctype"],
            "voucher_no": voucher["name"],
            "voucher_detail_no": entry.get("voucher_detail_no"),
            "actual_qty": actual_qty,
            "qty_after_transaction": qty1,
            "incoming_rate": incoming_rate,
            "outgoing_rate": outgoing_rate,
            "valuation_rate": rate1,
            "stock_value": value1,
            "stock_value_difference": flt(value1 - value0, 9),
            "company": voucher.get("company"),
            "stock_uom": item.get("stock_uom"),
            "fiscal_year": str((voucher.get("posting_date") or erp.clock.today())[:4]),
            "is_cancelled": cint(entry.get("is_cancelled")),
            "docstatus": 1,
            "creation": stamp,
            "modified": stamp,
            "owner": ADMIN,
            "modified_by": ADMIN,
        }
        sle["posting_datetime"] = f"{sle['posting_date']} {str(sle['posting_time'])[:8]}"
        _fire_sle_submit(erp, sle)
        if not cint(item.get("is_stock_item")):
            continue
        b = get_or_make_bin(erp, item["name"], entry["warehouse"])
        if qty1 < 0 and not allow_negative_stock(erp, item):
            raise _negative_stock(erp, sle, item, qty1, voucher)
        set_bin(erp, b, actual_qty=qty1, stock_value=value1, valuation_rate=rate1)


def replay(erp, item_code: str, warehouse: str) -> tuple[float, float, float]:
    """(qty, value, valuation rate) from the live (not cancelled) ledger of one item/warehouse."""
    qty = value = rate = 0.0
    entries = [
        s for s in erp._all("Stock Ledger Entry")
        if ci(s["item_code"]) == ci(item_code) and ci(s["warehouse"]) == ci(warehouse) and not cint(s.get("is_cancelled"))
    ]
    entries.sort(key=lambda s: s["creation"])
    for s in entries:
        if s["voucher_type"] == "Stock Reconciliation":
            qty, rate = flt(s["qty_after_transaction"]), flt(s["valuation_rate"])
            value = flt(qty * rate, 9)
            continue
        change = flt(s["actual_qty"])
        if change > 0:
            value += change * flt(s.get("incoming_rate"))
        else:
            value += change * rate
        qty = flt(qty + change, 9)
        rate = flt(value / qty, 9) if qty else rate
    return qty, flt(value, 9), rate


def cancel_sl_entries(erp, voucher: dict) -> None:
    """Mark the voucher's ledger rows cancelled and post the reversing rows (is_cancelled = 1)."""
    live = [
        s for s in erp._all("Stock Ledger Entry")
        if s["voucher_type"] == voucher["doctype"] and s["voucher_no"] == voucher["name"] and not cint(s.get("is_cancelled"))
    ]
    live.sort(key=lambda s: s["creation"], reverse=True)
    for s in live:
        erp._db_set("Stock Ledger Entry", s["name"], {"is_cancelled": 1})
    for s in live:
        item = erp._get_raw("Item", s["item_code"]) or {"name": s["item_code"]}
        b = find_bin(erp, s["item_code"], s["warehouse"]) or {}
        value0 = flt(b.get("stock_value"))
        qty1, value1, rate1 = replay(erp, s["item_code"], s["warehouse"])
        stamp = erp.clock.stamp()
        sle = {
            "doctype": "Stock Ledger Entry",
            "name": erp._hash("Stock Ledger Entry"),
            "item_code": s["item_code"],
            "warehouse": s["warehouse"],
            "posting_date": s["posting_date"],
            "posting_time": s["posting_time"],
            "posting_datetime": s.get("posting_datetime"),
            "voucher_type": s["voucher_type"],
            "voucher_no": s["voucher_no"],
            "voucher_detail_no": s.get("voucher_detail_no"),
            "actual_qty": 0.0 if s["voucher_type"] == "Stock Reconciliation" else -flt(s["actual_qty"]),
            "qty_after_transaction": qty1,
            "valuation_rate": rate1,
            "stock_value": value1,
            "stock_value_difference": flt(value1 - value0, 9),
            "company": s.get("company"),
            "stock_uom": s.get("stock_uom"),
            "fiscal_year": s.get("fiscal_year"),
            "is_cancelled": 1,
            "docstatus": 1,
            "creation": stamp,
            "modified": stamp,
            "owner": ADMIN,
            "modified_by": ADMIN,
        }
        _fire_sle_submit(erp, sle)
        if not cint(item.get("is_stock_item")):
            continue
        b = get_or_make_bin(erp, s["item_code"], s["warehouse"])
        if qty1 < 0 and not allow_negative_stock(erp, item):
            raise _negative_stock(erp, sle, item, qty1, voucher)
        set_bin(erp, b, actual_qty=qty1, stock_value=value1, valuation_rate=rate1)


#: Sales Order statuses whose lines reserve nothing (``get_reserved_qty``: ``status not in ('On Hold', 'Closed')``)
NOT_RESERVING = ("On Hold", "Closed")


def reserved_qty(erp, item_code: str, warehouse: str) -> float:
    """``erpnext.stock.stock_balance.get_reserved_qty`` (ERPNext 15.71.1): over the submitted Sales
    Orders that are neither On Hold nor Closed, the stock quantity still to deliver of (a) their
    lines of this item from this warehouse and (b) their Packed Items of it (the components of a
    Product Bundle line; the bundle's own item is not a stock item and reserves nothing), each
    scaled by the line's (qty - delivered_qty) / qty. A line delivered beyond its qty counts 0;
    with Selling Settings "dont_reserve_sales_order_qty_on_sales_return", returned qty is not
    reserved again. Lines delivered by the supplier reserve nothing."""
    dont_reserve_on_return = cint(erp.get_single_value("Selling Settings", "dont_reserve_sales_order_qty_on_sales_return"))
    total = 0.0
    for so in erp._all("Sales Order"):
        if cint(so.get("docstatus")) != 1 or so.get("status") in NOT_RESERVING:
            continue
        rows = {r.get("name"): r for r in so.get("items") or ()}

        def still_to_deliver(row) -> float | None:
            if row is None or cint(row.get("delivered_by_supplier")):
                return None
            qty, delivered = flt(row.get("qty")), flt(row.get("delivered_qty"))
            if not qty or qty < delivered:
                return None
            returned = flt(row.get("returned_qty")) if dont_reserve_on_return else 0.0
            return (qty - delivered - returned) / qty

        for row in rows.values():
            if ci(row.get("item_code")) != ci(item_code) or ci(row.get("warehouse")) != ci(warehouse):
                continue
            share = still_to_deliver(row)
            if share is not None:
                total += flt(row.get("stock_qty")) * share
        for packed in so.get("packed_items") or ():
            if ci(packed.get("item_code")) != ci(item_code) or ci(packed.get("warehouse")) != ci(warehouse):
                continue
            if ci(packed.get("item_code")) == ci(packed.get("parent_item")):
                continue
            share = still_to_deliver(rows.get(packed.get("parent_detail_docname")))
            if share is not None:
                total += flt(packed.get("qty")) * share
    return flt(total, 9)


def recompute_reserved(erp, item_code: str, warehouse: str) -> None:
    """``update_bin_qty(item, warehouse, {"reserved_qty": get_reserved_qty(...)})``: the Bin is
    written straight (``db_update``: no Bin event) and only when the figure changed; its
    ``modified`` moves with it."""
    reserved = reserved_qty(erp, item_code, warehouse)
    b = get_or_make_bin(erp, item_code, warehouse)
    if flt(b.get("reserved_qty")) != reserved:
        set_bin(erp, b, reserved_qty=reserved)
