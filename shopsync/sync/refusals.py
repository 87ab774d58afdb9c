"""The ERP's refusals of a Sales Order that a business customer meets, said so the user knows what
to do (the order's log entry, then **Retry**).

ERPNext 15 raises each as a plain ``ValidationError`` in the site's language
(``tests/captures/erpnext/golden/j4``, ``j5``), so they are recognised by what the engine can read
in the ERP, never by the message's words (which are quoted as they are):

- **credit limit**, at submit (and when a Closed or On Hold order is re-opened): the customer's
  outstanding, this order included, above the credit limit of its Credit Limit row for the
  company (else its Customer Group's, else the company's), unless that row ticks "Bypass Credit
  Limit Check at Sales Order". The draft is accepted; the submit is refused.
- **selling price below valuation**, at save (even a draft): Selling Settings "Validate Selling
  Price for Item Against Purchase Rate or Valuation Rate" on and a line's net rate below the
  item's valuation rate in its warehouse, or below its last purchase rate.

The import runs in one transaction, so a refused order leaves nothing behind (no draft, no new
customer): once the user has raised the limit, ticked the bypass or changed the setting,
**Retry** imports it whole.

Plain Python (no ``frappe``).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from shopsync.erp.contract import default_contract
from shopsync.erp.port import ERP
from shopsync.sync.money import dec, fmt

#: the labels the desk shows (the captured meta, shopsync/erp/contract.json)
SELLING_PRICE_SETTING = default_contract()["Selling Settings"].label("validate_selling_price")
BYPASS = default_contract()["Customer Credit Limit"].label("bypass_credit_limit_check")


def _credit_rows(erp: ERP, doctype: str, name: str | None) -> list[dict[str, Any]]:
    if not name:
        return []
    try:
        return list(erp.get(doctype, name).get("credit_limits") or ())
    except Exception:  # noqa: BLE001 - a customer or group gone: no limit to speak of
        return []


def credit_limit(erp: ERP, customer: str, company: str) -> tuple[Decimal, str] | None:
    """The credit limit ERPNext holds ``customer`` to in ``company`` and where it is set (ERPNext's
    ``get_credit_limit``), or None when none applies (none set, or the customer's row bypasses)."""
    rows = [r for r in _credit_rows(erp, "Customer", customer) if r.get("company") == company]
    if rows and int(rows[0].get("bypass_credit_limit_check") or 0):
        return None
    if rows and dec(rows[0].get("credit_limit")) > 0:
        return dec(rows[0]["credit_limit"]), f"the Credit Limit table of customer {customer}"
    group = erp.get_value("Customer", customer, "customer_group")
    group_rows = [r for r in _credit_rows(erp, "Customer Group", group) if r.get("company") == company]
    if group_rows and not int(group_rows[0].get("bypass_credit_limit_check") or 0) \
            and dec(group_rows[0].get("credit_limit")) > 0:
        return dec(group_rows[0]["credit_limit"]), f"the Credit Limit table of customer group {group}"
    limit = dec(erp.get_value("Company", company, "credit_limit"))
    if limit > 0:
        return limit, f"the Credit Limit of company {company}"
    return None


def submit_refused(erp: ERP, so: dict[str, Any], number: str, error: BaseException) -> str | None:
    """What to do about a refused submit of ``so`` (the order's number ``number``), or None when
    the engine cannot tell more than the ERP's own words."""
    customer, company = so.get("customer"), so.get("company")
    found = credit_limit(erp, customer, company) if customer and company else None
    if found is None:
        return None
    limit, where = found
    return (
        f"Credit limit reached for customer {customer} in {company} (limit {fmt(limit)}, in {where}): "
        f"ERPNext refused to submit the Sales Order of order #{number} ({_words(error)}). "
        f"Raise the limit, or tick “{BYPASS}” in the customer's Credit Limit row for {company}, then Retry. "
        "Nothing of this order was imported meanwhile."
    )


def save_refused(erp: ERP, so: dict[str, Any], number: str, error: BaseException) -> str | None:
    """What to do about a refused save of ``so`` (a plan's Sales Order, not stored), or None."""
    if not int(erp.get_single_value("Selling Settings", "validate_selling_price") or 0):
        return None
    rate_factor = dec(so.get("conversion_rate") or 1)
    rows = [r for r in so.get("items") or () if r.get("item_code")]
    warehouses = sorted({r["warehouse"] for r in rows if r.get("warehouse")})
    valuation = {}
    if warehouses:
        codes = sorted({r["item_code"] for r in rows})
        for b in erp.find("Bin", {"item_code": ("in", codes), "warehouse": ("in", warehouses)},
                          fields=("item_code", "warehouse", "valuation_rate")):
            if dec(b.get("valuation_rate")) > 0:
                valuation[(b["item_code"], b["warehouse"])] = dec(b["valuation_rate"])
    below = []
    for r in rows:
        net = dec(r.get("rate")) * rate_factor
        factor = dec(r.get("conversion_factor") or 1)
        bought = dec(erp.get_value("Item", r["item_code"], "last_purchase_rate")) * factor
        valued = valuation.get((r["item_code"], r.get("warehouse")), Decimal(0)) * factor
        if net < bought:
            below.append(f"{r['item_code']} at {fmt(net)}, below its last purchase rate {fmt(bought)}")
        elif net < valued:
            below.append(f"{r['item_code']} at {fmt(net)}, below its valuation rate {fmt(valued)}")
    if not below:
        return None
    return (
        f"Sold below cost: ERPNext refused the Sales Order of order #{number} because Selling Settings "
        f"“{SELLING_PRICE_SETTING}” is on and the shop sold {'; '.join(below)} ({_words(error)}). "
        "The shop has taken the order at that price: untick that setting (or correct the item's "
        "valuation), then Retry."
    )


def _words(error: BaseException) -> str:
    text = " ".join(re.sub(r"<[^>]+>", " ", str(error)).split())
    return f"the ERP says: {text[:400]}" if text else type(error).__name__
