"""Orders in: one WooCommerce order (wc/v3 JSON) -> one Sales Order, with its customer, addresses,
contact and items, right to the cent, once.

How an order is written
=======================
- **Plan, then write.** :func:`plan_order` is pure: from the order and what was resolved in the ERP
  (customer, items, currency context) it builds the Sales Order as plain data. :func:`import_order`
  resolves, plans and writes **inside one** ``erp.transaction()``: customer, addresses, contact,
  new items, the Sales Order and the link records (order, customer, items) land together or not at
  all.
- **One Sales Order per site + order id.** The order's link record ("WooCommerce Link", named
  ``<site>-order-<id>``) is inserted in the same transaction as the Sales Order; the database's
  unique key refuses a second one. A concurrent job that loses (``DuplicateEntryError``) rolls
  back whole, reads the winner's link and takes the update path: never a second Sales Order.
- **Lines** are at the price WooCommerce charged after every coupon: ``rate = line total / qty``
  (WooCommerce's line total is after discounts, before tax). A rate is kept at the currency's
  precision (the ERP rounds it there); what that leaves (at most half a cent per unit) goes to
  the rounding row.
- **Taxes** are ``Actual`` rows taken verbatim from the order: one row per WooCommerce tax rate
  (``tax_lines[].rate_id``) on ``site.tax_account_for(rate_id)`` (the site's rate -> account
  table, else its tax account), amount = that rate's ``tax_total + shipping_tax_total``: the tax
  on shipping is on the tax account, never the freight one.
- **Shipping** is an ``Actual`` row per shipping line on the site's freight account, or a line of
  ``site.shipping_item`` when one is set. **Fees** (``fee_lines``, negative ones included) are
  ``Actual`` rows on the freight account (the site's account for charges); their tax is in the
  rate rows above.
- **The grand total equals the order's total to the cent.** The engine computes, in ``Decimal``,
  the grand total the ERP will reach (lines at rate x qty plus the Actual rows) and, when it
  differs from ``order["total"]`` (WooCommerce rounds taxes per line or per order; prices
  entered with tax are split back with rounding), adds one ``Actual`` row "Rounding difference
  with the shop" for the difference on the company's Round Off account, else the site's tax
  account. A difference larger than a cent per row of the order means the order's own figures do
  not add up (a plugin's discount the REST API does not show, say): the order fails with both
  figures rather than book an unexplained amount. After the insert the ERP's ``grand_total`` is
  checked against the shop's total; a mismatch rolls everything back and fails the order.
- **Dates.** ``transaction_date`` is the date of ``date_created`` (WooCommerce's local time, so
  the shop's day); ``delivery_date`` = that + ``site.delivery_days``.
- **Currency.** An order in another currency than the company's takes its exchange rate from
  the ERP's Currency Exchange records (the latest on or before the order date, either direction);
  with none the order fails and says which record to add. Never 1 by default.
- ``po_no`` holds the WooCommerce order number, or "45 (shop2)" when another Sales Order of the
  same customer that is not cancelled (a draft counts) already holds "45" (an order of another
  site, or one staff entered for the customer's own purchase order 45): ERPNext 15 refuses that
  at validate unless Selling Settings allow it (golden j1); "45 (shop2, order 45)" if even that is
  taken. The order's own Sales Order never counts, so a re-import keeps its number. The customer
  note is a Comment on the Sales Order; ``ignore_pricing_rule`` is set so the ERP keeps the
  shop's prices.
- **Refusals a business customer meets** (credit limit at submit, a line below its valuation
  rate at save): the order fails whole, its log entry says what to change in the ERP, and
  **Retry** imports it (:mod:`shopsync.sync.refusals`).

Statuses and updates (the rule)
===============================
- An order is imported when its status is one of ``site.order_statuses`` (default processing,
  on-hold, completed). The Sales Order is **submitted** when the order is processing, on-hold or
  completed (WooCommerce has taken the stock); for any other imported status (pending, custom
  ones) it stays a **draft** and is submitted when the order reaches one of those three.
- A delivery older than what the ERP holds (``date_modified_gmt`` below the one stored on the
  order's link) is **skipped as stale**; the same ``date_modified_gmt`` with the same content is
  skipped as already imported.
- **cancelled, refunded, failed** in the shop (and an order trashed or deleted there,
  ``order.deleted``) cancel the Sales Order (a draft is submitted then cancelled, so a cancelled
  record stays), except a **refunded** order whose Sales Order is invoiced: it stays, and each of
  the shop's refunds (partial ones too) becomes a credit note (:mod:`shopsync.sync.refunds`). When the ERP refuses (delivered, or an invoice or
  payment is linked: ``LinkExistsError``) nothing changes and the outcome is **needs attention**
  with the ERP's reason; the link is marked Out of sync. Such an order never imported is skipped.
- **on-hold <-> processing -> completed** leave a submitted Sales Order as it is.
- **A changed order whose Sales Order is still a draft** is updated in place (lines, taxes,
  customer, addresses, dates).
- **A changed order whose Sales Order is submitted**: the customer stays; when the lines, taxes,
  total or currency differ and the site amends edited orders (``amend_edited_orders``, the
  default), a Sales Order with nothing delivered, invoiced or paid in advance and no draft
  Delivery Note or Sales Invoice (:func:`amend_blocker`) is cancelled and amended with the new
  lines in one transaction: ``amended_from``, ERPNext's name chain SO-...-1, the same customer, the
  link moved to the amendment (its reservations follow through ERPNext's cancel and submit).
  Otherwise nothing is changed and the outcome is **needs attention** with the diff and the
  reason (link Out of sync, ``last_error`` holds the diff); the Sales Order's **Amend from the
  shop** button (:func:`amend_from_shop`) amends it once its deliveries and invoices are dealt with.
- **A cancelled Sales Order whose order comes back** (e.g. failed -> processing) is amended: a new
  Sales Order ``amended_from`` the cancelled one, and the link moves to it.
- Optional per site, once the Sales Order is submitted: a Sales Invoice made from it
  (``create_sales_invoice``), and when ``date_paid`` is set a Payment Entry
  (``create_payment_entry``) with the Mode of Payment mapped from the order's payment method
  (against the invoice, else against the order as an advance).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
from decimal import Decimal
from typing import Any

from shopsync.erp.errors import DoesNotExistError, DuplicateEntryError, ERPError, LinkExistsError
from shopsync.sync.failures import SyncFailure, is_lost_race, is_transient
from shopsync.erp.port import ERP, Doc
from shopsync.sync import customers as customers_mod
from shopsync.sync import items as items_mod
from shopsync.sync import refusals
from shopsync.sync.links import IN_SYNC, OUT_OF_SYNC, Binder, erp_key
from shopsync.sync.money import CENT, ZERO, as_number, cents, dec, fmt, split_rate
from shopsync.sync.outcome import DONE as LOG_DONE
from shopsync.sync.outcome import FAILED as LOG_FAILED
from shopsync.sync.outcome import SKIPPED as LOG_SKIPPED
from shopsync.sync.outcome import Outcome, record_in_transaction
from shopsync.sync.site import SiteConfig
from shopsync.woocommerce.errors import WooError

log = logging.getLogger(__name__)

SO = "Sales Order"
CANCEL_STATUSES = ("cancelled", "refunded", "failed")
SUBMIT_STATUSES = ("processing", "on-hold", "completed")
ROUNDING_DESCRIPTION = "Rounding difference with the shop's total"
MAX_ATTEMPTS = 3

CREATED, UPDATED, CANCELLED, SKIPPED, FAILED, NEEDS_ATTENTION = (
    "created", "updated", "cancelled", "skipped", "failed", "needs attention",
)


class OrderFailure(SyncFailure):
    """The order cannot be imported as it is; ``reason`` says why in words a shop manager reads."""


ItemRef = items_mod.ItemRef


@dataclasses.dataclass
class Resolved:
    """What the ERP side answered for one order: the input of :func:`plan_order` beside the order."""

    customer: str
    items: dict[int, ItemRef]  # by line item id
    customer_address: str | None = None
    shipping_address: str | None = None
    contact: str | None = None
    company_currency: str = ""  # "" = the order's own currency
    conversion_rate: Decimal = Decimal(1)
    price_list_currency: str = ""
    plc_conversion_rate: Decimal = Decimal(1)
    round_off_account: str = ""
    po_no: str = ""  # "" = the order number

    @classmethod
    def by_sku(cls, order: dict[str, Any], customer: str = "Customer", **kw: Any) -> "Resolved":
        """Items resolved to their SKU (or a code made from the product id): for dry runs and tests."""
        refs = {
            int(li["id"]): ItemRef(li.get("sku") or f"WC-{li.get('product_id')}-{li.get('variation_id') or 0}")
            for li in order.get("line_items") or []
        }
        return cls(customer=customer, items=refs, **kw)


@dataclasses.dataclass
class PlannedLine:
    line_id: int | None
    item_code: str
    item_name: str
    qty: Decimal
    rate: Decimal
    uom: str
    remainder: Decimal = ZERO  # line total - rate * qty
    kind: str = "product"  # or "shipping"
    description: str = ""  # "" = the item's own

    @property
    def amount(self) -> Decimal:
        return self.rate * self.qty


@dataclasses.dataclass
class PlannedRow:
    kind: str  # tax, shipping, fee, rounding
    account: str
    description: str
    amount: Decimal


@dataclasses.dataclass
class OrderPlan:
    order_id: int
    number: str
    status: str
    shop_total: Decimal
    lines: list[PlannedLine]
    rows: list[PlannedRow]
    sales_order: Doc  # ready for erp.insert
    submit: bool
    customer_note: str = ""
    modified_gmt: str = ""
    fingerprint: str = ""
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def expected_grand_total(self) -> Decimal:
        return sum((ln.amount for ln in self.lines), ZERO) + sum((r.amount for r in self.rows), ZERO)

    @property
    def rounding(self) -> Decimal:
        return sum((r.amount for r in self.rows if r.kind == "rounding"), ZERO)


@dataclasses.dataclass
class OrderOutcome(Outcome):
    """What the import of one order did, in the order's own words (``status``: created, updated,
    cancelled, skipped, failed, needs attention). It is the delivery's :class:`Outcome` too: the
    log files created, updated and cancelled as Done ("created: Sales Order SO-0001"), skipped as
    Skipped, failed and needs attention as Failed ("Needs attention: ...")."""

    order_id: int
    status: str  # created, updated, cancelled, skipped, failed, needs attention
    reason: str = ""
    sales_order: str | None = None
    customer: str | None = None
    diff: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    retryable: bool = False
    modified_gmt: str = ""
    error: BaseException | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def message(self) -> str:
        parts = [self.reason] if self.reason else []
        if self.sales_order and self.status in (CREATED, UPDATED, CANCELLED):
            parts.append(f"Sales Order {self.sales_order}")
        if self.diff:
            parts.append("; ".join(self.diff))
        parts.extend(self.notes)
        return ". ".join(p for p in parts if p)

    @property
    def log_status(self) -> str:
        if self.status in (FAILED, NEEDS_ATTENTION):
            return LOG_FAILED
        return LOG_SKIPPED if self.status == SKIPPED else LOG_DONE

    @property
    def log_text(self) -> str:
        if self.status in (FAILED, SKIPPED):
            return self.message
        if self.status == NEEDS_ATTENTION:
            return "Needs attention: " + self.message
        return f"{self.status}: {self.message}".rstrip(": ")


# ------------------------------------------------------------------------------------------------
# Pure part: the order -> a plan
# ------------------------------------------------------------------------------------------------

def order_date(order: dict[str, Any]) -> dt.date:
    """The shop's day of the order: ``date_created`` is in the shop's time zone."""
    text = order.get("date_created") or order.get("date_created_gmt") or ""
    try:
        return dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        raise OrderFailure(f"order {order.get('id')} has no creation date") from None


def fingerprint(order: dict[str, Any]) -> str:
    """A hash of what the engine reads from an order: equal fingerprints plan the same documents."""
    keep = {
        k: order.get(k)
        for k in (
            "status", "currency", "total", "customer_id", "billing", "shipping", "customer_note",
            "date_created", "date_paid", "payment_method", "number", "prices_include_tax",
        )
    }
    keep["line_items"] = [
        {k: li.get(k) for k in ("id", "product_id", "variation_id", "quantity", "total", "total_tax", "sku", "name")}
        for li in order.get("line_items") or []
    ]
    for key, fields in (
        ("shipping_lines", ("method_title", "total", "total_tax")),
        ("fee_lines", ("name", "total", "total_tax")),
        ("tax_lines", ("rate_id", "label", "tax_total", "shipping_tax_total")),
    ):
        keep[key] = [{k: row.get(k) for k in fields} for row in order.get(key) or []]
    blob = json.dumps(keep, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _tax_rows(site: SiteConfig, order: dict[str, Any]) -> list[PlannedRow]:
    rows: list[PlannedRow] = []
    tax_lines = order.get("tax_lines") or []
    if tax_lines:
        for t in tax_lines:
            amount = dec(t.get("tax_total")) + dec(t.get("shipping_tax_total"))
            if amount == 0:
                continue
            rate_id = int(t.get("rate_id") or 0)
            label = t.get("label") or t.get("rate_code") or f"Tax rate {rate_id}"
            rows.append(PlannedRow("tax", site.tax_account_for(rate_id), str(label), cents(amount)))
        return rows
    # No tax_lines (some plugins): per-rate sums of the per-line detail, rounded once per rate.
    sums: dict[int, Decimal] = {}
    for key in ("line_items", "shipping_lines", "fee_lines"):
        for line in order.get(key) or []:
            for t in line.get("taxes") or []:
                sums[int(t.get("id") or 0)] = sums.get(int(t.get("id") or 0), ZERO) + dec(t.get("total"))
    for rate_id, amount in sorted(sums.items()):
        if cents(amount) != 0:
            rows.append(PlannedRow("tax", site.tax_account_for(rate_id), f"Tax rate {rate_id}", cents(amount)))
    return rows


def plan_order(site: SiteConfig, order: dict[str, Any], resolved: Resolved) -> OrderPlan:
    """The Sales Order for ``order``, as plain data; raises :class:`OrderFailure` when it cannot be."""
    oid = int(order["id"])
    status = str(order.get("status") or "")
    currency = order.get("currency") or resolved.company_currency
    day = order_date(order)
    delivery = day + dt.timedelta(days=max(int(site.delivery_days or 0), 0))
    notes: list[str] = []

    lines: list[PlannedLine] = []
    shop_parts: list[Decimal] = []
    for li in order.get("line_items") or []:
        qty = dec(li.get("quantity"))
        line_total = dec(li.get("total"))
        name = li.get("name") or li.get("sku") or f"product {li.get('product_id')}"
        if qty <= 0:
            if line_total == 0:
                notes.append(f"line “{name}” with quantity {qty} left out")
                continue
            raise OrderFailure(f"line “{name}” has quantity {qty} and total {fmt(line_total)}")
        ref = resolved.items.get(int(li["id"]))
        if ref is None:
            raise OrderFailure(f"no item resolved for line “{name}”")
        rate, remainder = split_rate(line_total, qty)
        lines.append(PlannedLine(int(li["id"]), ref.item_code, (name or ref.item_code)[:140], qty, rate, ref.stock_uom, remainder,
                                 description=getattr(ref, "description", "") or ""))
        shop_parts.append(line_total)

    rows: list[PlannedRow] = []
    for s in order.get("shipping_lines") or []:
        amount = dec(s.get("total"))
        shop_parts.append(amount)
        if amount == 0:
            continue
        title = s.get("method_title") or s.get("method_id") or "Shipping"
        if site.shipping_item:
            lines.append(PlannedLine(None, site.shipping_item, f"Shipping: {title}"[:140], Decimal(1), cents(amount), "", amount - cents(amount), "shipping"))
        else:
            if not site.freight_account:
                raise OrderFailure("the site has no freight account for the order's shipping")
            rows.append(PlannedRow("shipping", site.freight_account, f"Shipping: {title}", cents(amount)))
    for f in order.get("fee_lines") or []:
        amount = dec(f.get("total"))
        shop_parts.append(amount)
        if amount == 0:
            continue
        if not site.freight_account:
            raise OrderFailure("the site has no freight account for the order's fees")
        rows.append(PlannedRow("fee", site.freight_account, f"Fee: {f.get('name') or 'fee'}", cents(amount)))
    taxes = _tax_rows(site, order)
    for t in taxes:
        if not t.account:
            raise OrderFailure(f"no account for tax “{t.description}”: map its rate or set the site's tax account")
    rows.extend(taxes)
    shop_parts.extend(t.amount for t in taxes)

    if not lines:
        raise OrderFailure("the order has no line to import")

    shop_total = dec(order.get("total"))
    woo_sum = sum(shop_parts, ZERO)
    tolerance = CENT * max(1, len(shop_parts))
    if abs(shop_total - woo_sum) > tolerance:
        raise OrderFailure(
            f"the order's total {fmt(shop_total)} is not the sum of its lines, shipping, fees and taxes"
            f" ({fmt(woo_sum)}): a difference of {fmt(shop_total - woo_sum)} that the REST API does not explain"
        )
    erp_sum = sum((ln.amount for ln in lines), ZERO) + sum((r.amount for r in rows), ZERO)
    difference = shop_total - erp_sum
    if difference != 0:
        account = resolved.round_off_account or site.tax_account
        rows.append(PlannedRow("rounding", account, ROUNDING_DESCRIPTION, difference))

    so: Doc = {
        "doctype": SO,
        "company": site.company,
        "customer": resolved.customer,
        "order_type": "Sales",
        "transaction_date": day.isoformat(),
        "delivery_date": delivery.isoformat(),
        "po_no": resolved.po_no or str(order.get("number") or oid),
        "currency": currency,
        "selling_price_list": site.price_list,
        "ignore_pricing_rule": 1,
        "items": [],
        "taxes": [],
    }
    if resolved.company_currency and currency != resolved.company_currency:
        so["conversion_rate"] = as_number(resolved.conversion_rate)
    if resolved.price_list_currency:
        so["price_list_currency"] = resolved.price_list_currency
        so["plc_conversion_rate"] = as_number(resolved.plc_conversion_rate)
    if site.default_warehouse:
        so["set_warehouse"] = site.default_warehouse
    for key, value in (
        ("customer_address", resolved.customer_address),
        ("shipping_address_name", resolved.shipping_address or resolved.customer_address),
        ("contact_person", resolved.contact),
    ):
        if value:
            so[key] = value
    for ln in lines:
        row: Doc = {
            "item_code": ln.item_code,
            "item_name": ln.item_name,
            "qty": as_number(ln.qty),
            "rate": as_number(ln.rate),
            "conversion_factor": 1,
            "delivery_date": delivery.isoformat(),
        }
        if ln.uom:
            row["uom"] = ln.uom
        if ln.description:
            row["description"] = ln.description
        if site.default_warehouse:
            row["warehouse"] = site.default_warehouse
        so["items"].append(row)
    for r in rows:
        so["taxes"].append(
            {"charge_type": "Actual", "account_head": r.account, "description": r.description, "rate": 0, "tax_amount": as_number(r.amount)}
        )
    return OrderPlan(
        order_id=oid,
        number=str(order.get("number") or oid),
        status=status,
        shop_total=shop_total,
        lines=lines,
        rows=rows,
        sales_order=so,
        submit=status in SUBMIT_STATUSES,
        customer_note=(order.get("customer_note") or "").strip(),
        modified_gmt=str(order.get("date_modified_gmt") or ""),
        fingerprint=fingerprint(order),
        notes=notes,
    )


def diff_sales_order(so: Doc, plan: OrderPlan, *, financial_only: bool = False) -> list[str]:
    """What differs between a stored Sales Order and the plan, in words (empty: nothing)."""
    want = plan.sales_order
    out: list[str] = []
    if so.get("customer") != want["customer"]:
        out.append(f"customer {so.get('customer')} -> {want['customer']}")
    if (so.get("currency") or want["currency"]) != want["currency"]:
        out.append(f"currency {so.get('currency')} -> {want['currency']}")

    def item_key(row: Doc) -> tuple[str, Decimal, Decimal]:
        return (str(row.get("item_code")), dec(row.get("qty")).normalize(), cents(row.get("rate")))

    have_items = [item_key(r) for r in so.get("items") or []]
    want_items = [item_key(r) for r in want["items"]]
    if have_items != want_items:
        have_by = {k[0]: k for k in have_items}
        want_by = {k[0]: k for k in want_items}
        for code in sorted(set(have_by) | set(want_by)):
            h, w = have_by.get(code), want_by.get(code)
            if h is None:
                out.append(f"line {code} added (qty {w[1]} at {w[2]})")
            elif w is None:
                out.append(f"line {code} removed (was qty {h[1]} at {h[2]})")
            elif h != w:
                out.append(f"line {code}: qty {h[1]} -> {w[1]}, rate {h[2]} -> {w[2]}")
        if not out or len(have_items) != len(want_items):
            if have_items != want_items and not any(s.startswith("line ") for s in out):
                out.append("lines reordered or repeated")

    def tax_key(row: Doc) -> tuple[str, str, Decimal]:
        return (str(row.get("account_head")), str(row.get("description") or ""), cents(row.get("tax_amount")))

    have_taxes = sorted(tax_key(r) for r in so.get("taxes") or [])
    want_taxes = sorted(tax_key(r) for r in want["taxes"])
    if have_taxes != want_taxes:
        removed = [t for t in have_taxes if t not in want_taxes]
        added = [t for t in want_taxes if t not in have_taxes]
        for t in removed:
            out.append(f"row “{t[1]}” on {t[0]} {t[2]} removed")
        for t in added:
            out.append(f"row “{t[1]}” on {t[0]} {t[2]} added")
    if so.get("grand_total") is not None and cents(so.get("grand_total")) != plan.shop_total:
        out.append(f"grand total {fmt(so.get('grand_total'))} -> {fmt(plan.shop_total)}")
    if financial_only:
        return out
    for key in ("transaction_date", "delivery_date", "po_no", "customer_address", "shipping_address_name", "contact_person", "set_warehouse"):
        if key in want and str(so.get(key) or "") != str(want[key] or ""):
            out.append(f"{key} {so.get(key)} -> {want[key]}")
    return out


# ------------------------------------------------------------------------------------------------
# Writing through the port
# ------------------------------------------------------------------------------------------------

def _exchange_rate(erp: ERP, from_currency: str, to_currency: str, day: str) -> Decimal | None:
    for a, b, invert in ((from_currency, to_currency, False), (to_currency, from_currency, True)):
        try:
            rows = erp.find(
                "Currency Exchange",
                {"from_currency": a, "to_currency": b, "date": ("<=", day)},
                fields=("exchange_rate", "date"),
                order_by="date desc",
                limit=1,
            )
        except ERPError:
            return None
        if rows and dec(rows[0].get("exchange_rate")) > 0:
            rate = dec(rows[0]["exchange_rate"])
            return (Decimal(1) / rate).quantize(Decimal("0.000000001")) if invert else rate
    return None


def currency_context(erp: ERP, site: SiteConfig, order: dict[str, Any]) -> dict[str, Any]:
    company = erp.get_cached_values("Company", site.company, ("default_currency", "round_off_account")) or {}
    company_currency = company.get("default_currency") or ""
    price_list_currency = (erp.get_cached_values("Price List", site.price_list, ("currency",)) or {}).get("currency") or ""
    round_off = company.get("round_off_account") or ""
    currency = order.get("currency") or company_currency
    day = order_date(order).isoformat()

    def rate_to_company(cur: str) -> Decimal:
        if not cur or not company_currency or cur == company_currency:
            return Decimal(1)
        rate = _exchange_rate(erp, cur, company_currency, day)
        if rate is None:
            raise OrderFailure(
                f"the order is in {cur} and the company {site.company} keeps its books in {company_currency}:"
                f" no Currency Exchange record {cur} -> {company_currency} on or before {day}. Add one, then retry."
            )
        return rate

    return {
        "company_currency": company_currency,
        "conversion_rate": rate_to_company(currency),
        "price_list_currency": price_list_currency,
        "plc_conversion_rate": rate_to_company(price_list_currency) if price_list_currency else Decimal(1),
        "round_off_account": round_off,
    }


def amend_blocker(erp: ERP, so: Doc) -> str | None:
    """Why a submitted Sales Order cannot be cancelled and amended from the shop, None when it can:
    nothing delivered, invoiced or paid in advance, and no draft Delivery Note or Sales Invoice
    against it (ERPNext refuses to cancel under a draft invoice; a draft delivery would be left
    pointing at a cancelled order). An advance would stay on the cancelled order while the
    amendment made its own Payment Entry."""
    if so.get("status") == "Closed":
        return "it is Closed in the ERP"
    if dec(so.get("per_delivered")) > 0:
        return f"it is delivered ({fmt(so.get('per_delivered'))} %): make a return of its Delivery Notes"
    if dec(so.get("per_billed")) > 0:
        return f"it is invoiced ({fmt(so.get('per_billed'))} %): cancel its Sales Invoice or make a credit note"
    if dec(so.get("advance_paid")) > 0:
        return f"it has an advance payment of {fmt(so.get('advance_paid'))}: cancel or unlink its Payment Entry"
    for doctype, child, field in (("Delivery Note", "Delivery Note Item", "against_sales_order"),
                                  ("Sales Invoice", "Sales Invoice Item", "sales_order")):
        rows = erp.find(child, {field: so["name"], "parenttype": doctype}, fields=("parent",))
        drafts = [n for n in dict.fromkeys(r["parent"] for r in rows) if int(erp.get_value(doctype, n, "docstatus") or 0) == 0]
        if drafts:
            return f"draft {doctype} {', '.join(drafts)} is made from it: delete it"
    return None


class _Importer:
    def __init__(self, erp: ERP, site: SiteConfig, order: dict[str, Any], client: Any = None, force: bool = False,
                 amend_by_hand: bool = False):
        self.erp = erp
        self.site = site
        self.order = order
        self.client = client
        self.force = force
        self.amend_by_hand = amend_by_hand  # "Amend from the shop": whatever the site's setting
        self.oid = int(order["id"])
        self.binder = Binder(erp, site.name)
        self.notes: list[str] = []

    def outcome(self, status: str, reason: str = "", **kw: Any) -> OrderOutcome:
        notes = kw.pop("notes", None) or self.notes
        return OrderOutcome(
            self.oid, status, reason, notes=list(dict.fromkeys(notes)),
            modified_gmt=str(self.order.get("date_modified_gmt") or ""), **kw,
        )

    def landed(self, outcome: OrderOutcome) -> OrderOutcome:
        """The last step inside the transaction of the work: the delivery's log entry is written
        in it too (:func:`shopsync.sync.outcome.record_in_transaction`)."""
        return record_in_transaction(outcome)  # type: ignore[return-value]

    # --- entry ---------------------------------------------------------------------------------
    def run(self) -> OrderOutcome:
        order = self.order
        status = str(order.get("status") or "")
        link = self.binder.get("Order", self.oid)
        modified = str(order.get("date_modified_gmt") or "")
        if link is not None:
            stored = str(link.get("woo_modified_gmt") or "")
            if stored and modified and modified < stored:
                return self.outcome(SKIPPED, f"stale: modified {modified} GMT, the ERP holds {stored}", sales_order=link.get("erp_name"))
            if (
                not self.force
                and stored
                and modified == stored
                and link.get("woo_fingerprint") == fingerprint(order)
                and link.get("state") == IN_SYNC
            ):
                return self.outcome(SKIPPED, "already imported, unchanged", sales_order=link.get("erp_name"))
        so = None
        if link is not None and link.get("erp_name"):
            try:
                so = self.erp.get(SO, link["erp_name"])
            except DoesNotExistError:
                self.notes.append(f"Sales Order {link['erp_name']} was deleted in the ERP; made again")
        if so is None:
            if status in CANCEL_STATUSES:
                return self.outcome(SKIPPED, f"{status} in the shop before it was imported")
            if status not in self.site.order_statuses:
                return self.outcome(SKIPPED, f"status {status!r} is not imported by this site")
            return self.create(link)
        if status in CANCEL_STATUSES:
            return self.cancel(link, so)
        if status not in self.site.order_statuses:
            if int(so.get("docstatus") or 0) != 2:
                self.touch_link(link)
            return self.outcome(SKIPPED, f"status {status!r} is not imported by this site; Sales Order {so['name']} left as it is", sales_order=so["name"])
        if int(so.get("docstatus") or 0) == 2:
            return self.create(link, amended_from=so["name"])
        return self.update(link, so)

    # --- resolution ----------------------------------------------------------------------------
    def prepare(self) -> items_mod.ItemResolver:
        """Reads and shop fetches, before the transaction (no lock is held while the shop answers)."""
        resolver = items_mod.ItemResolver(self.erp, self.site, self.binder, self.client)
        resolver.check_order(self.order)  # product_id 0, blacklist: fail before any write
        resolver.prefetch(self.order)
        self.context = currency_context(self.erp, self.site, self.order)
        return resolver

    def po_no(self, customer: str, own: str | None = None) -> str:
        """The order number, unless another Sales Order of this customer that is not cancelled has
        it already (an order of another site with the same number, or a purchase order entered by
        hand): ERPNext refuses two Sales Orders of one customer with one ``po_no``, drafts included
        (unless Selling Settings allow it), so the site's name is added, and the order id if even
        that is taken (a site holds one Sales Order per order id). ``own``: this order's Sales Order."""
        number = str(self.order.get("number") or self.oid)
        candidates = (number, f"{number} ({self.site.name})", f"{number} ({self.site.name}, order {self.oid})")
        for candidate in candidates:
            rows = self.erp.find(SO, {"customer": customer, "po_no": candidate, "docstatus": ("<", 2)}, fields=("name",))
            if not any(r["name"] != own for r in rows):
                return candidate
        return candidates[-1]

    def resolve(self, resolver: items_mod.ItemResolver, customer: str | None = None, own: str | None = None) -> Resolved:
        refs = resolver.resolve(self.order)
        self.notes.extend(resolver.notes)
        if customer is None:
            party = customers_mod.resolve_customer(self.erp, self.site, self.order, binder=self.binder)
        else:
            party = customers_mod.resolve_customer(self.erp, self.site, self.order, binder=self.binder, customer=customer)
        self.notes.extend(party.notes)
        self.customer = party.customer
        return Resolved(
            customer=party.customer,
            items=refs,
            customer_address=party.billing_address,
            shipping_address=party.shipping_address,
            contact=party.contact,
            po_no=self.po_no(party.customer, own),
            **self.context,
        )

    # --- paths ---------------------------------------------------------------------------------
    def create(self, link: Doc | None, amended_from: str | None = None) -> OrderOutcome:
        resolver = self.prepare()
        with self.erp.transaction():
            plan = plan_order(self.site, self.order, self.resolve(resolver))
            self.notes.extend(plan.notes)
            doc = dict(plan.sales_order)
            if amended_from:
                doc["amended_from"] = amended_from
            # inserted submitted: one validation and one write where an insert then a submit
            # validated the whole Sales Order twice (a wrong total still lands nothing: the check
            # below fails the transaction)
            so = self.save_so(lambda: self.erp.insert(doc, submit=bool(plan.submit)), doc, submitting=bool(plan.submit))
            self.check_total(so, plan)
            if link is None:
                self.binder.bind(
                    "Order", self.oid, so["name"],
                    woo_modified_gmt=plan.modified_gmt, woo_fingerprint=plan.fingerprint,
                )
            else:
                self.binder.update(link, **self.link_values(plan, so["name"]))
            self.add_note(so["name"], plan.customer_note)
            self.bill(so, plan)
            if amended_from:
                return self.landed(self.outcome(UPDATED, f"re-opened in the shop: amended {amended_from} as {so['name']}",
                                                sales_order=so["name"], customer=so.get("customer")))
            return self.landed(self.outcome(CREATED, "", sales_order=so["name"], customer=so.get("customer")))

    def update(self, link: Doc, so: Doc) -> OrderOutcome:
        resolver = self.prepare()
        docstatus = int(so.get("docstatus") or 0)
        with self.erp.transaction():
            keep_customer = so.get("customer") if docstatus == 1 else None
            plan = plan_order(self.site, self.order, self.resolve(resolver, customer=keep_customer, own=so["name"]))
            self.notes.extend(plan.notes)
            if docstatus == 0:
                changes = diff_sales_order(so, plan)
                if changes:
                    values = {k: v for k, v in plan.sales_order.items() if k != "doctype"}
                    so = self.save_so(lambda: self.erp.update(SO, so["name"], values), plan.sales_order)
                    self.check_total(so, plan)
                submitted = False
                if plan.submit:
                    so = self.submit_so(so)
                    submitted = True
                self.add_note(so["name"], plan.customer_note)
                billed = self.bill(so, plan)
                self.binder.update(link, **self.link_values(plan, so["name"]))
                if not changes and not submitted and not billed:
                    return self.landed(self.outcome(SKIPPED, "no change to the Sales Order", sales_order=so["name"], customer=so.get("customer")))
                reason = "; ".join(changes + (["submitted"] if submitted else []) + billed)
                return self.landed(self.outcome(UPDATED, reason, sales_order=so["name"], customer=so.get("customer"), diff=changes))
            changes = diff_sales_order(so, plan, financial_only=True)
            blocker = amend_blocker(self.erp, so) if changes and (self.site.amend_edited_orders or self.amend_by_hand) else None
            if changes and (blocker is not None or not (self.site.amend_edited_orders or self.amend_by_hand)):
                values = self.link_values(plan, so["name"])
                values.update(state=OUT_OF_SYNC, last_error=_clip("Changed in the shop after the Sales Order was submitted: " + "; ".join(changes)))
                self.binder.update(link, **values)
                if blocker is None:
                    reason = f"the order changed in the shop but Sales Order {so['name']} is submitted: amend it in the ERP"
                else:
                    reason = (f"the order changed in the shop but Sales Order {so['name']} cannot be amended: {blocker};"
                              " once that is dealt with, Amend from the shop")
                return self.landed(self.outcome(NEEDS_ATTENTION, reason, sales_order=so["name"], customer=so.get("customer"), diff=changes))
            if not changes:
                self.add_note(so["name"], plan.customer_note)
                billed = self.bill(so, plan)
                self.binder.update(link, **self.link_values(plan, so["name"]))
        if changes:
            return self.amend(link, so, plan, changes)
        if billed:
            return self.outcome(UPDATED, "; ".join(billed), sales_order=so["name"], customer=so.get("customer"))
        return self.outcome(SKIPPED, "no change to the Sales Order", sales_order=so["name"], customer=so.get("customer"))

    def amend(self, link: Doc, so: Doc, plan: OrderPlan, changes: list[str]) -> OrderOutcome:
        """Cancel the submitted Sales Order and amend it with the order as the shop has it now (the
        customer kept, ERPNext's name chain SO-...-1), the link moved to the amendment: one
        transaction. ERPNext's own refusal (a payment or another document linked) needs attention."""
        try:
            with self.erp.transaction():
                self.erp.cancel(SO, so["name"])
                doc = dict(plan.sales_order, amended_from=so["name"])
                new = self.save_so(lambda: self.erp.insert(doc, submit=True), doc, submitting=True)
                self.check_total(new, plan)
                self.binder.update(link, **self.link_values(plan, new["name"]))
                self.add_note(new["name"], plan.customer_note)
                self.bill(new, plan)
        except LinkExistsError as exc:
            reason = (f"the order changed in the shop but Sales Order {so['name']} cannot be amended: the ERP refuses: {exc};"
                      " once that is dealt with, Amend from the shop")
            with self.erp.transaction():
                self.binder.update(link, state=OUT_OF_SYNC, last_error=_clip(reason), last_synced_at=self.erp.now())
            return self.outcome(NEEDS_ATTENTION, reason, sales_order=so["name"], customer=so.get("customer"), diff=changes)
        return self.outcome(UPDATED, f"changed in the shop: amended {so['name']} as {new['name']}",
                            sales_order=new["name"], customer=new.get("customer"), diff=changes)

    def cancel(self, link: Doc, so: Doc) -> OrderOutcome:
        status = self.order.get("status")
        docstatus = int(so.get("docstatus") or 0)
        if docstatus == 2:
            # (the link is left as it is: Frappe refuses to save a document linking to a cancelled one)
            return self.outcome(SKIPPED, f"{status} in the shop; Sales Order {so['name']} already cancelled", sales_order=so["name"])
        if status == "refunded" and docstatus == 1 and self.find_invoice(so["name"]) is not None:
            # an invoiced order refunded in full keeps its Sales Order: each refund becomes a credit
            # note (shopsync.sync.refunds, run after this)
            self.touch_link(link)
            return self.outcome(SKIPPED, f"refunded in the shop; Sales Order {so['name']} is invoiced: its refunds become credit notes",
                                sales_order=so["name"], customer=so.get("customer"))
        if so.get("status") == "Closed":
            # ERPNext: "Closed order cannot be cancelled. Unclose to cancel." (golden j2)
            return self.refuse(link, so, "it is Closed in the ERP: re-open it (Status > Re-open), then Retry")
        if dec(so.get("per_delivered")) > 0:
            return self.refuse(link, so, f"it is delivered ({so.get('per_delivered')} %): make a return in the ERP")
        try:
            with self.erp.transaction():
                # The link first: once the Sales Order is cancelled, Frappe refuses to save a document
                # linking to it (CancelledLinkError).
                self.binder.update(
                    link,
                    woo_modified_gmt=str(self.order.get("date_modified_gmt") or ""),
                    woo_fingerprint=fingerprint(self.order),
                    state=IN_SYNC, last_error=None, last_synced_at=self.erp.now(),
                )
                if docstatus == 0:
                    self.submit_so(so)  # a credit limit may refuse it: the message says what to do
                self.erp.cancel(SO, so["name"])
        except LinkExistsError as exc:
            return self.refuse(link, so, f"the ERP refuses: {exc}")
        return self.outcome(CANCELLED, f"{status} in the shop", sales_order=so["name"], customer=so.get("customer"))

    def refuse(self, link: Doc, so: Doc, why: str) -> OrderOutcome:
        reason = f"{self.order.get('status')} in the shop, but Sales Order {so['name']} cannot be cancelled: {why}"
        with self.erp.transaction():
            self.binder.update(
                link,
                woo_modified_gmt=str(self.order.get("date_modified_gmt") or ""),
                woo_fingerprint=fingerprint(self.order),
                state=OUT_OF_SYNC, last_error=_clip(reason), last_synced_at=self.erp.now(),
            )
        return self.outcome(NEEDS_ATTENTION, reason, sales_order=so["name"], customer=so.get("customer"))

    # --- helpers -------------------------------------------------------------------------------
    def save_so(self, write: Any, so: Doc, submitting: bool = False) -> Doc:
        """Insert or update the Sales Order; a refusal the engine can explain fails the order with
        words that say what to do (the transaction rolls back whole), any other goes on as it is.
        ``submitting``: inserted submitted, so a refusal may also be one of the submit's."""
        try:
            return write()
        except ERPError as exc:
            if exc.transient or is_lost_race(exc):
                raise
            number = str(self.order.get("number") or self.oid)
            reason = refusals.save_refused(self.erp, so, number, exc)
            if reason is None and submitting and exc.at_submit:
                reason = refusals.submit_refused(self.erp, so, number, exc)
            if reason is None:
                raise
            raise OrderFailure(reason) from exc

    def submit_so(self, so: Doc) -> Doc:
        try:
            return self.erp.submit(SO, so["name"])
        except ERPError as exc:
            if exc.transient or is_lost_race(exc):
                raise
            reason = refusals.submit_refused(self.erp, so, str(self.order.get("number") or self.oid), exc)
            if reason is None:
                raise
            raise OrderFailure(reason) from exc

    def link_values(self, plan: OrderPlan, so_name: str) -> dict[str, Any]:
        return {
            "erp_name": so_name,
            "erp_key": erp_key(self.site.name, SO, so_name),
            "woo_modified_gmt": plan.modified_gmt,
            "woo_fingerprint": plan.fingerprint,
            "state": IN_SYNC,
            "last_error": None,
            "last_synced_at": self.erp.now(),
        }

    def touch_link(self, link: Doc) -> None:
        with self.erp.transaction():
            self.binder.update(link, woo_modified_gmt=str(self.order.get("date_modified_gmt") or ""), woo_fingerprint=fingerprint(self.order))

    def check_total(self, so: Doc, plan: OrderPlan) -> None:
        got = so.get("grand_total")
        if got is not None and cents(got) != plan.shop_total:
            raise OrderFailure(
                f"the ERP computed a grand total of {fmt(got)} for an order of {fmt(plan.shop_total)}"
                f" (planned {fmt(plan.expected_grand_total)}); nothing was written"
            )

    def add_note(self, so_name: str, note: str) -> None:
        if not note:
            return
        content = f"WooCommerce customer note: {note}"
        existing = self.erp.find(
            "Comment", {"reference_doctype": SO, "reference_name": so_name, "comment_type": "Comment"}, fields=("content",)
        )
        if any((c.get("content") or "") == content for c in existing):
            return
        self.erp.insert({
            "doctype": "Comment", "comment_type": "Comment", "reference_doctype": SO,
            "reference_name": so_name, "content": content,
        })

    def bill(self, so: Doc, plan: OrderPlan) -> list[str]:
        """Sales Invoice and Payment Entry when the site asks; returns what was made, in words."""
        if int(so.get("docstatus") or 0) != 1:
            return []
        done: list[str] = []
        invoice = None
        if self.site.create_sales_invoice:
            invoice = self.find_invoice(so["name"])
            if invoice is None:
                si = self.erp.make_sales_invoice(so["name"])
                si.update(set_posting_time=1, posting_date=so["transaction_date"], due_date=so["transaction_date"])
                si = self.erp.insert(si)
                if si.get("grand_total") is not None and cents(si["grand_total"]) != plan.shop_total:
                    raise OrderFailure(f"the Sales Invoice came to {fmt(si['grand_total'])} for an order of {fmt(plan.shop_total)}")
                invoice = self.erp.submit("Sales Invoice", si["name"])
                done.append(f"Sales Invoice {invoice['name']}")
        paid = self.order.get("date_paid")
        if self.site.create_payment_entry and paid:
            method = self.order.get("payment_method") or ""
            mode = self.site.payment_methods.get(method)
            if not mode:
                self.notes.append(f"no Mode of Payment mapped for payment method {method!r}: no Payment Entry made")
                return done
            if invoice is not None:
                if dec(invoice.get("outstanding_amount", invoice.get("grand_total"))) <= 0:
                    return done
                dt_, dn = "Sales Invoice", invoice["name"]
            else:
                if dec(so.get("advance_paid")) > 0:
                    return done
                dt_, dn = SO, so["name"]
            pe = self.erp.get_payment_entry(dt_, dn)
            day = str(paid)[:10]
            pe.update(
                mode_of_payment=mode,
                posting_date=day,
                reference_no=self.order.get("transaction_id") or f"WooCommerce order {plan.number}",
                reference_date=day,
            )
            account = self.mode_account(mode)
            if account:
                pe["paid_to"] = account
            pe = self.erp.insert(pe)
            pe = self.erp.submit("Payment Entry", pe["name"])
            done.append(f"Payment Entry {pe['name']}")
        return done

    def find_invoice(self, so_name: str) -> Doc | None:
        rows = self.erp.find("Sales Invoice Item", {"sales_order": so_name, "parenttype": "Sales Invoice"}, fields=("parent",))
        for name in dict.fromkeys(r["parent"] for r in rows):
            si = self.erp.get("Sales Invoice", name)
            if int(si.get("docstatus") or 0) == 1:
                return si
        return None

    def mode_account(self, mode: str) -> str | None:
        try:
            rows = self.erp.find(
                "Mode of Payment Account", {"parent": mode, "parenttype": "Mode of Payment", "company": self.site.company},
                fields=("default_account",),
            )
        except ERPError:
            return None
        return rows[0].get("default_account") if rows else None


def _clip(text: str, size: int = 1000) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def import_order(erp: ERP, site: SiteConfig, order: dict[str, Any], client: Any = None, *, force: bool = False) -> OrderOutcome:
    """Import one order (wc/v3 JSON). Never raises for the order's own faults: the outcome says.

    ``client`` (a ``WooClient``) lets new items be made from the shop's product (category, variable
    product -> template + variant); without it items are made from the order line alone. ``force``
    re-plans an order already imported with the same ``date_modified_gmt`` (a re-import).
    A failure that may pass on its own (the shop or the database busy) has ``retryable=True``.
    """
    if not isinstance(order, dict) or not order.get("id"):
        return OrderOutcome(0, FAILED, "not an order: no id")
    oid = int(order["id"])
    last: BaseException | None = None
    for _ in range(MAX_ATTEMPTS):
        try:
            return _with_refunds(erp, site, order, client, _Importer(erp, site, order, client, force).run())
        except DuplicateEntryError as exc:
            # A concurrent job wrote the same order, customer or item first; our transaction rolled
            # back whole. Read again: the next round finds its links and takes the update path.
            last = exc
            continue
        except SyncFailure as exc:  # the order's own, or one of its items'
            return OrderOutcome(oid, FAILED, exc.reason, retryable=exc.retryable, error=exc, modified_gmt=str(order.get("date_modified_gmt") or ""))
        except ERPError as exc:
            return OrderOutcome(
                oid, FAILED, f"the ERP refused: {type(exc).__name__}: {exc}", retryable=bool(exc.transient),
                error=exc, modified_gmt=str(order.get("date_modified_gmt") or ""),
            )
        except Exception as exc:  # noqa: BLE001 - the shop adapter's errors, bad payloads
            retryable = is_transient(exc)
            if not retryable and not _is_woo_error(exc):
                log.exception("shopsync: order %s of site %s", oid, site.name)
            return OrderOutcome(
                oid, FAILED, f"{type(exc).__name__}: {exc}", retryable=retryable, error=exc,
                modified_gmt=str(order.get("date_modified_gmt") or ""),
            )
    return OrderOutcome(oid, FAILED, f"written concurrently {MAX_ATTEMPTS} times in a row: {last}", retryable=True, error=last)


def amend_from_shop(erp: ERP, site: SiteConfig, client: Any, so_name: str) -> OrderOutcome:
    """The Sales Order's "Amend from the shop": its order as the shop has it now, amended over the
    Sales Order whatever the site's setting, or needs attention saying what still stands in the way
    (:func:`amend_blocker`). Raises :class:`OrderFailure` for a Sales Order of no order of ``site``."""
    link = Binder(erp, site.name).for_erp(SO, so_name)
    if link is None or link.get("link_type") != "Order":
        raise OrderFailure(f"Sales Order {so_name} is not the Sales Order of an order of site {site.name}")
    order = client.get(f"orders/{int(link['woo_id'])}")
    return _Importer(erp, site, order, client, force=True, amend_by_hand=True).run()


def _with_refunds(erp: ERP, site: SiteConfig, order: dict[str, Any], client: Any, outcome: OrderOutcome) -> OrderOutcome:
    """The order's refunds not yet credited become credit notes (:mod:`shopsync.sync.refunds`)."""
    if not order.get("refunds") or not outcome.sales_order or outcome.status in (FAILED, NEEDS_ATTENTION):
        return outcome
    from shopsync.sync import refunds

    try:
        made, notes = refunds.apply_refunds(erp, site, order, client, outcome.sales_order)
    except SyncFailure as exc:
        return dataclasses.replace(outcome, status=FAILED, reason=f"refund: {exc.reason}", retryable=exc.retryable, error=exc)
    except ERPError as exc:
        if isinstance(exc, DuplicateEntryError) or exc.transient:
            raise
        return dataclasses.replace(outcome, status=FAILED, reason=f"refund: the ERP refused: {type(exc).__name__}: {exc}", error=exc)
    if made and outcome.status == SKIPPED:
        outcome = dataclasses.replace(outcome, status=UPDATED, reason="")
    outcome.notes.extend(made + notes)
    return outcome


def _is_woo_error(exc: BaseException) -> bool:
    """The shop's own refusal (a product gone, a bad key...): said on the order, no traceback."""
    return isinstance(exc, WooError)


# ------------------------------------------------------------------------------------------------
# The job behind order webhooks (see shopsync.sync.deliveries.HANDLERS)
# ------------------------------------------------------------------------------------------------

def handle_delivery(rt: Any, site: SiteConfig, event: str, payload: dict[str, Any]) -> Outcome:
    """order.created / order.updated / order.deleted: the order's import (an :class:`OrderOutcome`),
    or why there was none. A failure that may pass is ``retryable`` (the job tries again later)."""
    try:
        client = rt.client_for(site)
    except Exception:  # noqa: BLE001 - no client: items are made from the lines alone
        client = None
    try:
        return _handle(rt, site, event, payload, client)
    finally:
        close = getattr(client, "close", None)
        if callable(close):
            close()


def _handle(rt: Any, site: SiteConfig, event: str, payload: dict[str, Any], client: Any) -> Outcome:
    order = payload
    if event == "deleted" or "line_items" not in (payload or {}):
        oid = int((payload or {}).get("id") or 0)
        if not oid:
            return Outcome(LOG_FAILED, "the delivery holds no order id")
        if client is None:
            # a deletion is acted on only once the shop confirms it; try again when it can be asked
            return Outcome(LOG_FAILED, f"order {oid}: the shop could not be asked whether the order is gone",
                           retryable=True)
        # The shop is asked first: a signed body can be re-labelled or replayed as a deletion.
        # Only a 404 or a trashed order cancels; otherwise the order as the shop holds it is imported.
        fetched = client.get_unless_gone(f"orders/{oid}")
        if fetched is None:
            # Trashed or deleted in the shop: treat as cancelled when a Sales Order exists.
            link = Binder(rt.erp, site.name).get("Order", oid)
            if link is None:
                return Outcome(LOG_SKIPPED, f"order {oid} deleted in the shop before it was imported")
            order = _deleted_order_stub(rt.erp, link, oid)
        else:
            order = fetched
    return import_order(rt.erp, site, order, client)


def _deleted_order_stub(erp: ERP, link: Doc, oid: int) -> dict[str, Any]:
    """An order that no longer exists in the shop, seen as cancelled, newer than what is held."""
    held = str(link.get("woo_modified_gmt") or "")
    return {
        "id": oid,
        "status": "cancelled",
        "date_modified_gmt": held,
        "line_items": [],
        "_deleted": True,
    }

