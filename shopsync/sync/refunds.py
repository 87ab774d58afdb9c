"""Refunds in the shop -> credit notes in the ERP: one per shop refund, ever.

What a refund becomes
=====================
- Each refund of an order (``GET orders/<id>/refunds``: the order's own ``refunds`` holds only id,
  reason and total) becomes a **credit note**: a Sales Invoice return (``is_return``) against the
  order's Sales Invoice, made with ERPNext's ``make_sales_return`` (golden k1) and cut down to what
  the shop refunded:
  - each refunded line (``_refunded_item_id`` names the order line) at its refunded quantity and
    its refunded total (rate = total / quantity at the currency's precision);
  - refunded shipping as a line of the site's shipping item, else an ``Actual`` row on the freight
    account; refunded fees on the freight account;
  - the refund's taxes as ``Actual`` rows per WooCommerce rate on the rate's account;
  - an amount refunded beyond its lines (a refund "by amount only", or more than its lines) as a
    free-text line (no item code, which ERPNext accepts in a return: golden k1) on the invoice's
    income account; a cent of rounding on the company's Round Off account.
  Its grand total is the shop's refund total to the cent, or nothing is written.
- **One credit note per refund**: a "WooCommerce Link" of kind Refund named from the site and the
  refund id is inserted in the same transaction as the credit note; the database refuses a second
  one, so a refund delivered twice, or by two workers at once, makes one.
- **Outstanding.** When the invoice still owes at least the refund, the credit note reduces the
  invoice's outstanding (``update_outstanding_for_self`` 0); when it was paid, the credit note keeps
  its own negative outstanding (ERPNext sets it so, golden k2) and, when the site makes payments and
  the order's payment method has a Mode of Payment, a Payment Entry of type **Pay** refunds it.
- **Restock.** WooCommerce marks restocked units on the order line (``_restock_refunded_items``;
  the refund itself does not say, see the real capture), given here to the oldest refunds first.
  The goods go back where ERPNext took them out:
  - the invoice itself updated stock: the credit note updates stock (``update_stock``, golden k3);
  - else (ERPNext refuses ``update_stock`` on a return against an invoice that moved none, golden
    k1) the units that left through the Sales Order's submitted Delivery Notes come back by a
    **Delivery Note return** (ERPNext's ``make_sales_return`` of the Delivery Note, golden k4:
    ``is_return``, ``return_against``, cut to the restocked units, qty and stock_qty, oldest
    delivery first, into the warehouse they left from), in the credit note's transaction, so the
    refund's link is the key of both: a refund delivered twice makes one;
  - units never delivered were never taken out: nothing comes back. What keeps them from the shop
    (which shows actual − reserved) is the Sales Order's reservation of its undelivered quantity,
    and a Delivery Note return makes its units undelivered, hence reserved, again (golden k4). So
    the Sales Order is **closed** (``update_status`` Closed, which reserves nothing, j2/k4) when
    all it still has to deliver is refunded and restocked in the shop (a whole order refunded
    before delivery, the rest of a delivered one returned); when other units are still to deliver
    it stays open, the refunded units stay reserved, and the outcome says so (Close it, or Update
    Items). The credit note alone changes nothing on the Sales Order.
  Without restock nothing moves.
- **No invoice yet** (the site makes none, or it is not made yet): the refund is recorded on the
  Sales Order (a comment per refund, *Refunded in the shop* and *Refund waiting for an invoice*,
  which the list can filter on) and the outcome says it needs an invoice. Once an invoice exists,
  the next delivery of the order or the hourly catch-up (:func:`catch_up_refunds`) makes the credit
  notes.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from shopsync.erp.errors import DoesNotExistError, DuplicateEntryError, ERPError
from shopsync.erp.port import ERP, Doc
from shopsync.sync.failures import SyncFailure
from shopsync.sync.links import Binder
from shopsync.sync.money import CENT, ZERO, as_number, cents, dec, fmt
from shopsync.sync.site import SiteConfig

log = logging.getLogger(__name__)

SO, SI = "Sales Order", "Sales Invoice"
REFUNDED_FIELD = "woocommerce_refunded_amount"
WAITING_FIELD = "woocommerce_refund_needs_invoice"
FREE_LINE = "Refunded in the shop"
ROUNDING = "Rounding difference with the shop's refund"


class RefundFailure(SyncFailure):
    """A refund that cannot become a credit note as it is; ``reason`` says why."""


def _meta(line: dict[str, Any], key: str) -> str | None:
    for m in line.get("meta_data") or ():
        if isinstance(m, dict) and m.get("key") == key:
            return str(m.get("value"))
    return None


def refund_ids(order: dict[str, Any]) -> list[int]:
    return sorted(int(r["id"]) for r in order.get("refunds") or () if isinstance(r, dict) and r.get("id"))


def refunded_total(order: dict[str, Any]) -> Decimal:
    return sum((-dec(r.get("total")) for r in order.get("refunds") or () if isinstance(r, dict)), ZERO)


def find_invoice(erp: ERP, so_name: str) -> Doc | None:
    """The order's submitted Sales Invoice (not a credit note)."""
    rows = erp.find("Sales Invoice Item", {"sales_order": so_name, "parenttype": SI}, fields=("parent",))
    for name in dict.fromkeys(r["parent"] for r in rows):
        si = erp.get(SI, name)
        if int(si.get("docstatus") or 0) == 1 and not int(si.get("is_return") or 0):
            return si
    return None


def restocked_by_refund(order: dict[str, Any], refunds: list[dict[str, Any]]) -> dict[int, dict[int, Decimal]]:
    """``{refund id: {order line id: units restocked}}``: the order line's restocked count given to
    its refunds oldest first (the shop keeps one count per line, not per refund)."""
    left = {int(li["id"]): dec(_meta(li, "_restock_refunded_items") or 0) for li in order.get("line_items") or ()}
    out: dict[int, dict[int, Decimal]] = {}
    for refund in sorted(refunds, key=lambda r: int(r["id"])):
        for rl in refund.get("line_items") or ():
            line_id = int(_meta(rl, "_refunded_item_id") or 0)
            qty = abs(dec(rl.get("quantity")))
            take = min(qty, left.get(line_id, ZERO))
            if take > 0:
                out.setdefault(int(refund["id"]), {})[line_id] = take
                left[line_id] -= take
    return out


class _Refunds:
    def __init__(self, erp: ERP, site: SiteConfig, order: dict[str, Any], client: Any, so_name: str):
        self.erp, self.site, self.order, self.client = erp, site, order, client
        self.oid = int(order["id"])
        self.number = str(order.get("number") or self.oid)
        self.so_name = so_name
        self.binder = Binder(erp, site.name)
        self.notes: list[str] = []
        self.made: list[str] = []

    # --- entry ---------------------------------------------------------------------------------
    def run(self) -> None:
        ids = refund_ids(self.order)
        if not ids:
            return
        pending = [rid for rid in ids if self.binder.get("Refund", rid) is None]
        so = self.erp.get(SO, self.so_name)
        total = refunded_total(self.order)
        if int(so.get("docstatus") or 0) == 2:
            if pending:
                self.notes.append(f"refunded {fmt(total)} in the shop; Sales Order {so['name']} is cancelled: no credit note")
            return
        invoice = find_invoice(self.erp, so["name"]) if pending else None
        waiting = 1 if pending and invoice is None else 0
        self.record(so, total, waiting)
        if not pending:
            return
        if invoice is None:
            why = "the site makes no Sales Invoice" if not self.site.create_sales_invoice else "it has no Sales Invoice yet"
            self.comment(so["name"], pending)
            self.notes.append(
                f"refund {', '.join(str(r) for r in pending)} ({fmt(total)} refunded in the shop) recorded on Sales Order"
                f" {so['name']}: {why}; a credit note needs an invoice first (it is made once the invoice exists)")
            return
        if self.client is None:
            raise RefundFailure("the shop could not be asked for the order's refunds", retryable=True)
        every = self.client.order_refunds(self.oid)
        refunds = [r for r in every if int(r.get("id") or 0) in pending]
        restock = restocked_by_refund(self.order, every)
        for refund in sorted(refunds, key=lambda r: int(r["id"])):
            try:
                with self.erp.transaction():
                    self.credit_note(so, invoice, refund, restock.get(int(refund["id"]), {}))
            except DuplicateEntryError:
                # another job made this refund's credit note a moment ago: ours rolled back whole
                if self.binder.get("Refund", int(refund["id"])) is None:
                    raise
            invoice = self.erp.get(SI, invoice["name"])
        missing = [rid for rid in pending if self.binder.get("Refund", rid) is None]
        if not missing:
            self.erp.set_values(SO, so["name"], {WAITING_FIELD: 0})

    # --- the record on the Sales Order ---------------------------------------------------------
    def record(self, so: Doc, total: Decimal, waiting: int) -> None:
        values: dict[str, Any] = {}
        if cents(so.get(REFUNDED_FIELD) or 0) != cents(total):
            values[REFUNDED_FIELD] = as_number(cents(total))
        if int(so.get(WAITING_FIELD) or 0) != waiting:
            values[WAITING_FIELD] = waiting
        if values:
            self.erp.set_values(SO, so["name"], values)

    def comment(self, so_name: str, pending: list[int]) -> None:
        existing = self.erp.find("Comment", {"reference_doctype": SO, "reference_name": so_name,
                                             "comment_type": "Comment"}, fields=("content",))
        have = " ".join(c.get("content") or "" for c in existing)
        by_id = {int(r["id"]): r for r in self.order.get("refunds") or () if isinstance(r, dict)}
        for rid in pending:
            tag = f"WooCommerce refund {rid} "
            if tag in have:
                continue
            r = by_id.get(rid, {})
            reason = f": {r.get('reason')}" if r.get("reason") else ""
            self.erp.insert({
                "doctype": "Comment", "comment_type": "Comment", "reference_doctype": SO, "reference_name": so_name,
                "content": f"{tag}of order {self.number}: {fmt(-dec(r.get('total')))} refunded in the shop{reason}."
                           " No credit note yet: it needs a Sales Invoice.",
            })

    # --- the credit note -----------------------------------------------------------------------
    def so_rows_by_line(self, so: Doc) -> dict[int, str]:
        """Order line id -> Sales Order row name: the Sales Order's product rows are the order's
        lines with a quantity, in order (shipping lines of the shipping item come after them)."""
        lines = [li for li in self.order.get("line_items") or () if dec(li.get("quantity")) > 0]
        rows = so.get("items") or []
        return {int(li["id"]): row["name"] for li, row in zip(lines, rows)}

    def credit_note(self, so: Doc, invoice: Doc, refund: dict[str, Any], restocked: dict[int, Decimal]) -> None:
        rid = int(refund["id"])
        amount = dec(refund.get("amount"))
        cn = self.erp.make_sales_return(invoice["name"])
        mapped = cn.get("items") or []
        by_so_row = {r.get("so_detail"): r for r in mapped if r.get("so_detail")}
        line_rows = self.so_rows_by_line(so)
        income = next((r.get("income_account") for r in mapped if r.get("income_account")), None)
        items: list[Doc] = []
        rows: list[tuple[str, str, Decimal]] = []  # account, description, amount (negative)
        parts: list[Decimal] = []
        itemized = ZERO

        def free_line(name: str, value: Decimal) -> None:
            nonlocal itemized
            items.append({"item_name": name[:140], "description": name, "qty": -1, "rate": as_number(cents(value)),
                          "uom": "Nos", "conversion_factor": 1, **({"income_account": income} if income else {})})
            itemized -= cents(value)

        for rl in refund.get("line_items") or ():
            total = -dec(rl.get("total"))  # positive: what was refunded of the line, before tax
            qty = abs(dec(rl.get("quantity")))
            parts.append(-total)
            line_id = int(_meta(rl, "_refunded_item_id") or 0)
            row = by_so_row.get(line_rows.get(line_id))
            name = rl.get("name") or rl.get("sku") or f"line {line_id}"
            if total == 0 and qty == 0:
                continue
            if row is None or qty == 0:
                free_line(f"{FREE_LINE}: {name}", total)
                continue
            rate = cents(total / qty)
            new = dict(row, qty=-as_number(qty), rate=as_number(rate))
            for k in ("amount", "base_amount", "net_amount", "base_net_amount", "net_rate", "base_rate", "base_net_rate",
                      "stock_qty", "discount_amount", "discount_percentage"):
                new.pop(k, None)
            items.append(new)
            itemized -= rate * qty
        for s in refund.get("shipping_lines") or ():
            total = -dec(s.get("total"))
            parts.append(-total)
            if total == 0:
                continue
            ship = next((r for r in mapped if self.site.shipping_item and r.get("item_code") == self.site.shipping_item), None)
            if ship is not None:
                items.append(dict({k: v for k, v in ship.items() if k not in ("amount", "base_amount", "net_amount", "base_net_amount")},
                                  qty=-1, rate=as_number(cents(total))))
                itemized -= cents(total)
            elif self.site.freight_account:
                rows.append((self.site.freight_account, f"Shipping refunded: {s.get('method_title') or 'shipping'}", -cents(total)))
                itemized -= cents(total)
            else:
                free_line(f"{FREE_LINE}: shipping", total)
        for f in refund.get("fee_lines") or ():
            total = -dec(f.get("total"))
            parts.append(-total)
            if total == 0:
                continue
            if self.site.freight_account:
                rows.append((self.site.freight_account, f"Fee refunded: {f.get('name') or 'fee'}", -cents(total)))
                itemized -= cents(total)
            else:
                free_line(f"{FREE_LINE}: {f.get('name') or 'fee'}", total)
        for t in refund.get("tax_lines") or ():
            value = dec(t.get("tax_total")) + dec(t.get("shipping_tax_total"))
            parts.append(value)
            if value == 0:
                continue
            rate_id = int(t.get("rate_id") or 0)
            account = self.site.tax_account_for(rate_id)
            if not account:
                raise RefundFailure(f"no account for tax “{t.get('label')}” of refund {rid}: map its rate or set the site's tax account")
            rows.append((account, str(t.get("label") or f"Tax rate {rate_id}"), cents(value)))
            itemized += cents(value)
        shop_sum = sum(parts, ZERO)  # negative
        target = -cents(amount)
        beyond = target - cents(shop_sum)  # negative: refunded beyond the refund's lines
        if beyond < -CENT * max(1, len(parts)):
            free_line(str(refund.get("reason") or FREE_LINE), -beyond)
        difference = target - itemized
        if difference != 0:
            account = self.erp.get_value("Company", self.site.company, "round_off_account") or self.site.tax_account
            rows.append((account, ROUNDING, difference))
        if not items:
            # ERPNext wants a line in a return: refunded shipping and fees alone become free-text
            # lines on the freight account (an income account), the tax rows stay
            freight = [r for r in rows if r[0] == self.site.freight_account and r[1] != ROUNDING]
            for account, description, value in freight:
                items.append({"item_name": description[:140], "description": description, "qty": -1,
                              "rate": as_number(-value), "uom": "Nos", "conversion_factor": 1, "income_account": account})
            rows = [r for r in rows if r not in freight]
        if not items:
            raise RefundFailure(f"refund {rid} of {fmt(amount)} has nothing to credit")
        update_stock = 1 if restocked and int(invoice.get("update_stock") or 0) else 0
        day = str(refund.get("date_created") or "")[:10] or self.erp.now()[:10]
        day = max(day, str(invoice.get("posting_date") or day))
        outstanding = dec(invoice.get("outstanding_amount"))
        cn.update(
            items=items,
            taxes=[{"charge_type": "Actual", "account_head": a, "description": d, "rate": 0, "tax_amount": as_number(v)}
                   for a, d, v in rows],
            update_stock=update_stock,
            # the refund to the cent: a rounded total (-37.00 for -36.96) would also exceed what the
            # invoice owes and make ERPNext keep the credit on the note (seen on the real site)
            disable_rounded_total=1,
            update_outstanding_for_self=0 if outstanding >= cents(amount) else 1,
            set_posting_time=1, posting_date=day, due_date=day,
            remarks=f"WooCommerce refund {rid} of order {self.number}" + (f": {refund.get('reason')}" if refund.get("reason") else ""),
        )
        # make_sales_return gives the whole return's outstanding; ERPNext keeps a given one when the
        # invoice takes the credit (golden k1) and reads it when it does not: 0, its own figure then
        cn["outstanding_amount"] = 0
        # ERPNext compares the credit with what the invoice owes (validate_against_voucher_outstanding)
        # before it computes the totals: the mapped whole return's rounded total (-37.00 where the
        # refund is -36.96) would make it keep the credit on the note (seen on the real site)
        cn.update(grand_total=as_number(target), base_grand_total=as_number(target), rounded_total=0, base_rounded_total=0)
        cn = self.erp.insert(cn)
        if cents(cn.get("grand_total")) != target:
            raise RefundFailure(
                f"the credit note for refund {rid} came to {fmt(cn.get('grand_total'))} for a refund of {fmt(amount)}; nothing was written")
        cn = self.erp.submit(SI, cn["name"])
        if restocked and not update_stock:
            # the goods go back where ERPNext took them out, in the credit note's transaction: the
            # refund's link below is the key of both
            self.restock(so, rid, restocked)
        self.binder.bind("Refund", rid, cn["name"], woo_parent_id=self.oid)
        made = f"credit note {cn['name']} for refund {rid} ({fmt(amount)})"
        paid = self.pay(cn, refund)
        self.made.append(made + (f", paid back by Payment Entry {paid}" if paid else ""))

    # --- restock: where ERPNext took the goods out -------------------------------------------------
    def restock(self, so: Doc, rid: int, restocked: dict[int, Decimal]) -> None:
        """A restocked refund whose invoice moved no stock: the units that left through the Sales
        Order's Delivery Notes come back by a Delivery Note return (oldest delivery first, into the
        warehouse they left from); units never delivered were never taken out, so the Sales Order's
        reservation is what keeps them from the shop: the order is closed when all it still
        reserves is refunded and restocked, else the log says what it holds."""
        rows = self.so_rows_by_line(so)
        wanted = {rows[lid]: q for lid, q in restocked.items() if lid in rows and q > 0}
        returned: list[str] = []
        for dn_name in self.delivery_notes(so["name"]):
            if not any(q > 0 for q in wanted.values()):
                break
            ret = self.erp.make_delivery_return(dn_name)
            items = []
            for row in ret.get("items") or ():
                left = wanted.get(row.get("so_detail"), ZERO)
                take = min(left, abs(dec(row.get("qty"))))
                if take <= 0:
                    continue
                factor = dec(row.get("conversion_factor") or 1)
                # ERPNext checks a return's stock_qty against the delivery, not its qty (golden k4)
                items.append(dict(row, qty=-as_number(take), stock_qty=-as_number(take * factor)))
                wanted[row["so_detail"]] = left - take
            if not items:
                continue
            ret.update(items=items, set_posting_time=1, posting_date=self.erp.now()[:10],
                       remarks=f"WooCommerce refund {rid} of order {self.number}: restocked in the shop")
            ret = self.erp.insert(ret)
            ret = self.erp.submit("Delivery Note", ret["name"])
            units = sum((abs(dec(r.get("qty"))) for r in ret.get("items") or ()), ZERO)
            returned.append(f"{ret['name']} ({_units(units)} back into {', '.join(sorted({r.get('warehouse') or '?' for r in ret['items']}))})")
        if returned:
            self.made.append(f"refund {rid} restocked: Delivery Note return {', '.join(returned)}")
        self.release(so["name"], rid)

    def delivery_notes(self, so_name: str) -> list[str]:
        """The Sales Order's submitted Delivery Notes (not returns), oldest first."""
        rows = self.erp.find("Delivery Note Item", {"against_sales_order": so_name, "parenttype": "Delivery Note"},
                             fields=("parent",))
        out = []
        for name in dict.fromkeys(r["parent"] for r in rows):
            dn = self.erp.get("Delivery Note", name)
            if int(dn.get("docstatus") or 0) == 1 and not int(dn.get("is_return") or 0):
                out.append(dn)
        return [dn["name"] for dn in sorted(out, key=lambda d: (str(d.get("posting_date")), str(d.get("creation")), d["name"]))]

    def release(self, so_name: str, rid: int) -> None:
        """ERPNext reserves a Sales Order row's undelivered quantity (a Delivery Note return makes
        its units undelivered again: golden k4) until the order is closed. The shop, which shows
        actual − reserved and took the restocked units back, is right once nothing refunded is
        reserved: the order is closed when every row still to deliver is refunded and restocked
        in the shop (whole order refunded, or the rest of a delivered one); otherwise the
        refunded units stay reserved and the log says so."""
        so = self.erp.get(SO, so_name)
        if so.get("status") in ("Closed", "Completed") or int(so.get("docstatus") or 0) != 1:
            return
        restocked = {int(li["id"]): dec(_meta(li, "_restock_refunded_items") or 0) for li in self.order.get("line_items") or ()}
        by_row = {row: restocked.get(lid, ZERO) for lid, row in self.so_rows_by_line(so).items()}
        pending = {r["name"]: dec(r.get("qty")) - dec(r.get("delivered_qty")) for r in so.get("items") or () if r["name"] in by_row}
        held = {r: min(p, by_row[r]) for r, p in pending.items() if p > 0 and by_row[r] > 0}
        if not held:
            return
        if all(p <= by_row[r] for r, p in pending.items()):
            self.erp.update_status(so_name, "Closed")
            self.made.append(f"Sales Order {so_name} closed: what it still reserved was refunded and restocked in the shop"
                             f" (refund {rid}), so its reservation is released and the shop's quantity stands")
            return
        self.notes.append(
            f"refund {rid} restocked in the shop: Sales Order {so_name} still reserves {_units(sum(held.values(), ZERO))}"
            " of the refunded units with the rest of the order to deliver, so the shop's quantity will count them as"
            " sold until the order is delivered and closed (Close it, or reduce its quantities with Update Items)")

    def pay(self, cn: Doc, refund: dict[str, Any]) -> str | None:
        if not self.site.create_payment_entry or dec(cn.get("outstanding_amount")) >= 0:
            return None
        method = self.order.get("payment_method") or ""
        mode = self.site.payment_methods.get(method)
        if not mode:
            self.notes.append(f"no Mode of Payment mapped for payment method {method!r}: the refund is not paid out in the ERP")
            return None
        pe = self.erp.get_payment_entry(SI, cn["name"])
        day = str(cn.get("posting_date"))
        pe.update(mode_of_payment=mode, posting_date=day, reference_date=day,
                  reference_no=f"WooCommerce refund {refund['id']}")
        account = _mode_account(self.erp, mode, self.site.company)
        if account:
            pe["paid_from"] = account  # a Pay: the money leaves the mode's account
        pe = self.erp.insert(pe)
        pe = self.erp.submit("Payment Entry", pe["name"])
        return pe["name"]


def _units(q: Decimal) -> str:
    text = fmt(q).rstrip("0").rstrip(".")
    return f"{text} unit" + ("" if q == 1 else "s")


def _mode_account(erp: ERP, mode: str, company: str) -> str | None:
    try:
        rows = erp.find("Mode of Payment Account", {"parent": mode, "parenttype": "Mode of Payment", "company": company},
                        fields=("default_account",))
    except ERPError:
        return None
    return rows[0].get("default_account") if rows else None


def apply_refunds(erp: ERP, site: SiteConfig, order: dict[str, Any], client: Any, so_name: str) -> tuple[list[str], list[str]]:
    """The credit notes of the order's refunds not yet credited; ``(made, notes)`` in words.
    Raises :class:`RefundFailure` (``retryable`` when the shop could not be asked)."""
    work = _Refunds(erp, site, order, client, so_name)
    work.run()
    return work.made, work.notes


def catch_up_refunds(erp: ERP, site: SiteConfig, client: Any) -> list[str]:
    """Every hour: the site's Sales Orders whose refunds waited for an invoice get their credit
    notes once the invoice exists. Returns what was made or why not, in words."""
    binder = Binder(erp, site.name)
    out: list[str] = []
    try:
        waiting = erp.find(SO, {WAITING_FIELD: 1, "docstatus": 1}, fields=("name",))
    except ERPError:
        return out  # the custom field is not installed yet (before migrate)
    for row in waiting:
        link = binder.for_erp(SO, row["name"])
        if link is None or not link.get("woo_id") or find_invoice(erp, row["name"]) is None:
            continue
        try:
            order = client.get(f"orders/{int(link['woo_id'])}")
            made, notes = apply_refunds(erp, site, order, client, row["name"])
        except (SyncFailure, ERPError, DoesNotExistError) as exc:
            out.append(f"Sales Order {row['name']}: {getattr(exc, 'reason', None) or exc}")
            continue
        out.extend(f"Sales Order {row['name']}: {m}" for m in made + notes)
    return out
