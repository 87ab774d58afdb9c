#!/usr/bin/env python3
"""Capture, from a real ERPNext 15 site, how a Sales Invoice return (a credit note) behaves
(``tests/captures/erpnext/golden/k*.json``): what shopsync relies on to turn a shop's refund into a
credit note.

Same recorder, naming (``SSCAP-<tag>-...``) and golden shape as ``tools/capture_erpnext_rules.py``:

    python tools/capture_erpnext_returns.py --url http://127.0.0.1:8000 [--user Administrator --password admin]
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import pathlib
import secrets
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from capture_erpnext_rules import ERP_CAPTURES, Case, Recorder, bins, save, so_state  # noqa: E402

MAKE_SI = "/api/method/erpnext.selling.doctype.sales_order.sales_order.make_sales_invoice"
MAKE_RETURN = "/api/method/erpnext.accounts.doctype.sales_invoice.sales_invoice.make_sales_return"
GET_PE = "/api/method/erpnext.accounts.doctype.payment_entry.payment_entry.get_payment_entry"
SI_FIELDS = ["name", "docstatus", "status", "is_return", "return_against", "update_stock", "grand_total",
             "outstanding_amount", "update_outstanding_for_self"]


class ReturnCase(Case):
    def tax_account(self) -> str:
        return f"TVA 20% - {self.abbr}"

    def invoiced(self, lines, update_stock: int = 0, what: str = "") -> tuple[str, str]:
        """A customer, a submitted Sales Order with an Actual tax row, and its submitted invoice."""
        buyer = self.customer("Refund Buyer")
        so = self.do("POST", "/api/resource/Sales Order", self.so_body(buyer, lines, docstatus=1, taxes=[
            {"charge_type": "Actual", "account_head": self.tax_account(), "description": "TVA 20%", "rate": 0,
             "tax_amount": round(sum(q * r for _, q, r in lines) * 0.2, 2)},
        ]), what=what or "a submitted Sales Order with an Actual tax row")["name"]
        si = copy.deepcopy(self.do("POST", MAKE_SI, {"source_name": so}, what="make_sales_invoice"))
        si.update(update_stock=update_stock)
        si = self.do("POST", "/api/resource/Sales Invoice", {**si, "docstatus": 1},
                     what=f"the invoice, submitted (update_stock={update_stock})")
        return so, si["name"]

    def si_state(self, name: str, what: str = "") -> None:
        path = (f"/api/resource/Sales Invoice?filters={json.dumps([['name', '=', name]])}"
                f"&fields={json.dumps(SI_FIELDS)}")
        self.records.append(self.rec.call("GET", path, what=what or f"Sales Invoice {name}"))

    def make_return(self, si: str) -> dict:
        # a copy: the record keeps what ERPNext answered, the cases cut the copy down
        return copy.deepcopy(self.do("POST", MAKE_RETURN, {"source_name": si}, what=f"make_sales_return({si})"))


def case_partial_returns(c: ReturnCase) -> None:
    a, b = c.item("RET-A"), c.item("RET-B")
    c.receive({a: 10, b: 10})
    so, si = c.invoiced([(a, 2, 10.0), (b, 1, 5.0)])
    ret = c.make_return(si)
    # the first refund: one A, its tax, nothing else
    ret["items"] = [dict(r, qty=-1) for r in ret["items"] if r["item_code"] == a]
    ret["taxes"] = [{"charge_type": "Actual", "account_head": c.tax_account(), "description": "TVA 20%",
                     "rate": 0, "tax_amount": -2.0}]
    first = c.do("POST", "/api/resource/Sales Invoice", {**ret, "docstatus": 1, "update_outstanding_for_self": 0},
                 what="return: 1 of 2 A, tax -2.00, update_outstanding_for_self=0")
    c.si_state(si, what="the invoice: outstanding reduced by the credit note")
    c.si_state(first["name"], what="the credit note: outstanding 0 (the invoice's is reduced)")
    ret = c.make_return(si)
    c.records[-1]["what"] = "make_sales_return again: the lines already returned are left out"
    over = dict(ret, items=[dict(r, qty=-2) for r in ret["items"] if r["item_code"] == a], taxes=[])
    c.refused("POST", "/api/resource/Sales Invoice", over, what="returning 2 more A (1 left): refused")
    dearer = dict(ret, items=[dict(r, qty=-1, rate=11.0) for r in ret["items"] if r["item_code"] == a], taxes=[])
    c.refused("POST", "/api/resource/Sales Invoice", dearer, what="a return line dearer than the invoice's rate: refused")
    stock = dict(ret, update_stock=1, items=[dict(r, qty=-1, warehouse=c.stores) for r in ret["items"] if r["item_code"] == a],
                 taxes=[])
    c.refused("POST", "/api/resource/Sales Invoice", stock,
              what="update_stock=1 against an invoice that did not update stock: refused")
    free = dict(ret, items=[{"item_name": "Refund without lines", "description": "Refund without lines", "qty": -1,
                             "rate": 3.5, "uom": "Nos", "income_account": f"Sales - {c.abbr}"}], taxes=[])
    second = c.do("POST", "/api/resource/Sales Invoice", {**free, "docstatus": 1},
                  what="a return with a free-text line (no item_code): an amount refunded without lines")
    c.si_state(second["name"])
    c.records.append(c.rec.call("GET", f"/api/resource/Sales Order/{so}", what="the Sales Order after the returns"))
    save(c, "k1_sales_invoice_return_partial",
         "Sales Invoice returns (credit notes) against an unpaid invoice: partial lines, limits, a free-text line",
         c.records, [
             "make_sales_return maps every line not yet returned with a negative qty and the taxes (Actual ones negated)",
             "make_sales_return copies update_outstanding_for_self=1: the credit note keeps its own (negative) "
             "outstanding and the invoice's is unchanged; with 0, against an invoice with enough outstanding, the "
             "credit note's outstanding is 0 and the invoice's is reduced",
             "returning more than invoiced minus already returned is refused; so is a rate above the invoice's "
             "(FIFO valuation); so is update_stock=1 when the invoice did not update stock",
             "a line without item_code (free text) is accepted in a return",
         ])


def case_paid_return_and_payment(c: ReturnCase) -> None:
    a = c.item("RET-P")
    c.receive({a: 10})
    so, si = c.invoiced([(a, 2, 10.0)])
    pe = copy.deepcopy(c.do("POST", GET_PE, {"dt": "Sales Invoice", "dn": si}, what="get_payment_entry for the invoice"))
    pe.update(mode_of_payment="Cash", reference_no="paid", reference_date=c.today)
    c.do("POST", "/api/resource/Payment Entry", {**pe, "docstatus": 1}, what="the invoice paid (Receive)")
    ret = c.make_return(si)
    ret["items"] = [dict(r, qty=-1) for r in ret["items"]]
    ret["taxes"] = [{"charge_type": "Actual", "account_head": c.tax_account(), "description": "TVA 20%",
                     "rate": 0, "tax_amount": -2.0}]
    cn = c.do("POST", "/api/resource/Sales Invoice", {**ret, "docstatus": 1}, what="return of 1 against the paid invoice")
    c.si_state(si, what="the paid invoice: outstanding stays 0")
    c.si_state(cn["name"], what="the credit note: update_outstanding_for_self set, outstanding negative")
    pay = copy.deepcopy(c.do("POST", GET_PE, {"dt": "Sales Invoice", "dn": cn["name"]},
                             what="get_payment_entry for the credit note"))
    pay.update(mode_of_payment="Cash", reference_no="refund", reference_date=c.today)
    c.do("POST", "/api/resource/Payment Entry", {**pay, "docstatus": 1}, what="the refund paid out (Pay), submitted")
    c.si_state(cn["name"], what="the credit note after the payment")
    save(c, "k2_return_of_paid_invoice_and_payment",
         "A credit note against a paid invoice keeps its own outstanding (negative); get_payment_entry makes a Pay",
         c.records, [
             "validate sets update_outstanding_for_self=1 when the credit note exceeds the invoice's outstanding",
             "get_payment_entry on the credit note: payment_type Pay, paid_from the cash/bank account, "
             "paid_to the receivable account, the reference's allocated amount negative",
         ])


def case_stock_return(c: ReturnCase) -> None:
    a = c.item("RET-S")
    c.receive({a: 10})
    c.records.append(bins(c.rec, a, what="Bin before"))
    so, si = c.invoiced([(a, 2, 10.0)], update_stock=1, what="a Sales Order invoiced with update_stock=1")
    c.records.append(bins(c.rec, a, what="Bin after the invoice moved the stock"))
    ret = c.make_return(si)
    ret["items"] = [dict(r, qty=-1) for r in ret["items"]]
    ret["taxes"] = []
    c.do("POST", "/api/resource/Sales Invoice", {**ret, "docstatus": 1}, what="return of 1 with update_stock=1")
    c.records.append(bins(c.rec, a, what="Bin after the return: one back in the warehouse"))
    save(c, "k3_stock_return_against_stock_invoice",
         "A credit note with update_stock=1 against an invoice that updated stock brings the units back",
         c.records, ["make_sales_return keeps the invoice's update_stock and warehouses"])


MAKE_DN = "/api/method/erpnext.selling.doctype.sales_order.sales_order.make_delivery_note"
MAKE_DN_RETURN = "/api/method/erpnext.stock.doctype.delivery_note.delivery_note.make_sales_return"
SO_ITEM_FIELDS = ["name", "item_code", "qty", "delivered_qty", "returned_qty"]


def case_delivery_note_return(c: ReturnCase) -> None:
    a = c.item("RET-D")
    c.receive({a: 10})
    so, si = c.invoiced([(a, 3, 10.0)], what="a Sales Order of 3, invoiced without update_stock")
    dn = copy.deepcopy(c.do("POST", MAKE_DN, {"source_name": so}, what="make_delivery_note"))
    dn = c.do("POST", "/api/resource/Delivery Note", {**dn, "docstatus": 1}, what="the Delivery Note of 3, submitted")
    c.records.append(bins(c.rec, a, what="Bin after the delivery: 7 actual, nothing reserved"))
    ret = copy.deepcopy(c.do("POST", MAKE_DN_RETURN, {"source_name": dn["name"]},
                             what=f"make_sales_return({dn['name']}) of the Delivery Note"))
    over = dict(ret, items=[dict(r, qty=-4, stock_qty=-4) for r in ret["items"]], docstatus=1)
    c.refused("POST", "/api/resource/Delivery Note", over, what="a return of 4 against a delivery of 3: refused")
    part = dict(ret, items=[dict(r, qty=-1, stock_qty=-1) for r in ret["items"]], docstatus=1)
    c.do("POST", "/api/resource/Delivery Note", part, what="a return of 1, submitted")
    c.records.append(bins(c.rec, a, what="Bin after the return of 1: actual 8, and the reservation?"))
    path = (f"/api/resource/Sales Order Item?filters={json.dumps([['parent', '=', so]])}"
            f"&fields={json.dumps(SO_ITEM_FIELDS)}&parent=Sales%20Order")
    c.records.append(c.rec.call("GET", path, what="the Sales Order row: delivered_qty and returned_qty after the return"))
    c.records.append(so_state(c.rec, so, what="the Sales Order's status after the return"))
    again = copy.deepcopy(c.do("POST", MAKE_DN_RETURN, {"source_name": dn["name"]}, what="make_sales_return again: what is left"))
    more = dict(again, items=[dict(r, qty=-3, stock_qty=-3) for r in again["items"]], docstatus=1)
    c.refused("POST", "/api/resource/Delivery Note", more, what="a return of 3 more (1 already returned): refused")
    c.do("POST", "/api/method/erpnext.selling.doctype.sales_order.sales_order.update_status",
         {"status": "Closed", "name": so}, what="the Sales Order closed")
    c.records.append(bins(c.rec, a, what="Bin after closing the Sales Order"))
    save(c, "k4_delivery_note_return",
         "A Delivery Note return (make_sales_return of the Delivery Note) brings units back to the warehouse",
         c.records, ["what make_sales_return of a Delivery Note maps, its refusals beyond what was delivered, "
                     "and the Sales Order's delivered/returned quantities and reservation after the return",
                     "ERPNext checks a Delivery Note return's stock_qty against what was delivered, not its qty: "
                     "a return cut to qty -4 with the mapped stock_qty -3 went through (seen once); cut both"])


CASES = [case_partial_returns, case_paid_return_and_payment, case_stock_return, case_delivery_note_return]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="Administrator")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--tag", default="")
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--out", default=str(ERP_CAPTURES / "golden"))
    args = parser.parse_args(argv)
    rec = Recorder(args.url, args.user, args.password)
    company = rec.ok(rec.call("GET", "/api/resource/Company"))[0]["name"]
    abbr = rec.ok(rec.call("GET", f"/api/resource/Company/{company}"))["abbr"]
    tag = args.tag or secrets.token_hex(2)
    for case in CASES:
        if args.only and case.__name__ not in args.only:
            continue
        case(ReturnCase(rec, tag, company, abbr, dt.date.today().isoformat(), pathlib.Path(args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
