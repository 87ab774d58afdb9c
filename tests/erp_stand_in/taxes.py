"""ERPNext 15's ``calculate_taxes_and_totals`` for selling documents, on plain dicts.

Written from the observed figures (golden f*, ``_so_totals_summary.json``) and ERPNext's documented
algorithm: line amount = rate x qty rounded once; "On Net Total" tax accumulated unrounded over the
lines and rounded once per tax row; "Actual" rows spread over the lines in proportion to net
amounts with the division loss put on the last line; cumulative row totals; tax-included prices
turned into net amounts line by line with the grand total kept equal to the tax-included total;
document discounts on Net Total or on Grand Total; rounded total on the currency's smallest fraction.
"""

from __future__ import annotations

import json

from shopsync.erp import errors as E
from shopsync.erp.contract import FLOAT_FIELDTYPES

from .rounding import cint, flt, round_based_on_smallest_currency_fraction

SCRATCH = (
    "tax_amount_for_current_item",
    "grand_total_for_current_item",
    "tax_fraction_for_current_item",
    "grand_total_fraction_for_current_item",
)


def precision(spec, fieldname: str) -> int | None:
    f = spec.get_field(fieldname) if spec is not None else None
    if f is None:
        return 2
    if f.precision is not None:
        return f.precision
    if f.fieldtype == "Currency":
        return 2
    if f.fieldtype in ("Float", "Percent"):
        return 3
    return None


def round_floats_in(spec, doc: dict, fieldnames=None) -> None:
    if spec is None:
        return
    for f in spec.fields:
        if f.fieldtype in FLOAT_FIELDTYPES and (fieldnames is None or f.fieldname in fieldnames):
            doc[f.fieldname] = flt(doc.get(f.fieldname), precision(spec, f.fieldname))


class TaxesAndTotals:
    def __init__(self, erp, spec, doc: dict):
        self.erp = erp
        self.spec = spec
        self.doc = doc
        items_field = spec.get_field("items")
        self.item_spec = erp.meta.get(items_field.options) if items_field else None
        self.tax_spec = erp.meta.get("Sales Taxes and Charges")
        self.items = doc.get("items") or []
        self.taxes = doc.get("taxes") or []
        self.discount_amount_applied = False
        self.grand_total_diff = 0.0

    # ------------------------------------------------------------------ driver
    def calculate(self) -> None:
        if not self.items:
            return
        self.discount_amount_applied = False
        self._calculate()
        self.set_discount_amount()
        self.apply_discount_amount()

    def _calculate(self) -> None:
        self.validate_conversion_rate()
        self.calculate_item_values()
        self.initialize_taxes()
        self.determine_exclusive_rate()
        self.calculate_net_total()
        self.calculate_taxes()
        self.manipulate_grand_total_for_inclusive_tax()
        self.calculate_totals()
        self._cleanup()

    def p(self, fieldname: str, spec=None) -> int:
        return precision(spec if spec is not None else self.spec, fieldname) or 2

    # ------------------------------------------------------------------ steps
    def validate_conversion_rate(self) -> None:
        company = self.erp._get_raw("Company", self.doc.get("company")) or {}
        company_currency = company.get("default_currency")
        if not self.doc.get("currency") or self.doc.get("currency") == company_currency:
            self.doc["currency"] = company_currency or self.doc.get("currency")
            self.doc["conversion_rate"] = 1.0
        self.doc["conversion_rate"] = flt(self.doc.get("conversion_rate"))

    def _in_company_currency(self, row: dict, spec, fields) -> None:
        rate = self.doc["conversion_rate"]
        for f in fields:
            row["base_" + f] = flt(flt(row.get(f), precision(spec, f)) * rate, precision(spec, "base_" + f))

    def calculate_item_values(self) -> None:
        if self.discount_amount_applied:
            return
        s = self.item_spec
        for item in self.items:
            round_floats_in(s, item)
            discount_percentage = flt(item.get("discount_percentage"))
            price_list_rate = flt(item.get("price_list_rate"))
            if discount_percentage == 100:
                item["rate"] = 0.0
            elif price_list_rate and not flt(item.get("rate")):
                item["rate"] = flt(price_list_rate * (1.0 - discount_percentage / 100.0), precision(s, "rate"))
                item["discount_amount"] = price_list_rate * (discount_percentage / 100.0)
            rate_with_margin = self.calculate_margin(item)
            item["rate_with_margin"] = rate_with_margin
            item["base_rate_with_margin"] = flt(rate_with_margin) * self.doc["conversion_rate"]
            if flt(rate_with_margin) > 0:
                item["rate"] = flt(rate_with_margin * (1.0 - discount_percentage / 100.0), precision(s, "rate"))
                if flt(item.get("discount_amount")) and not discount_percentage:
                    item["rate"] = rate_with_margin - flt(item.get("discount_amount"))
                else:
                    item["discount_amount"] = rate_with_margin - item["rate"]
            elif price_list_rate > 0:
                item["discount_amount"] = price_list_rate - flt(item.get("rate"))
            item["rate"] = flt(item.get("rate"))
            item["net_rate"] = item["rate"]
            item["amount"] = flt(item["rate"] * flt(item.get("qty")), precision(s, "amount"))
            item["net_amount"] = item["amount"]
            self._in_company_currency(item, s, ["price_list_rate", "rate", "net_rate", "amount", "net_amount"])
            item["item_tax_amount"] = 0.0

    def calculate_margin(self, item: dict) -> float:
        price_list_rate = flt(item.get("price_list_rate"))
        if price_list_rate and item.get("margin_type") and flt(item.get("margin_rate_or_amount")):
            margin = flt(item["margin_rate_or_amount"])
            if item["margin_type"] != "Amount":
                margin = price_list_rate * margin / 100
            return price_list_rate + margin
        return 0.0

    def initialize_taxes(self) -> None:
        for tax in self.taxes:
            if not self.discount_amount_applied:
                validate_taxes_and_charges(tax)
                validate_inclusive_tax(tax, self.taxes)
            tax["item_wise_tax_detail"] = {}
            fields = ["total", "tax_amount_after_discount_amount", *SCRATCH]
            if tax.get("charge_type") != "Actual" and not (
                self.discount_amount_applied and self.doc.get("apply_discount_on") == "Grand Total"
            ):
                fields.append("tax_amount")
            for f in fields:
                tax[f] = 0.0
            round_floats_in(self.tax_spec, tax)

    def _item_tax_map(self, item: dict) -> dict:
        raw = item.get("item_tax_rate")
        return json.loads(raw) if raw else {}

    def _tax_rate(self, tax: dict, item_tax_map: dict) -> float:
        if tax.get("account_head") in item_tax_map:
            return flt(item_tax_map[tax["account_head"]], precision(self.tax_spec, "rate"))
        return flt(tax.get("rate"))

    def determine_exclusive_rate(self) -> None:
        if not any(cint(t.get("included_in_print_rate")) for t in self.taxes):
            return
        for item in self.items:
            item_tax_map = self._item_tax_map(item)
            cumulated = 0.0
            inclusive_per_qty_total = 0.0
            for i, tax in enumerate(self.taxes):
                fraction, inclusive_per_qty = self.current_tax_fraction(tax, item_tax_map)
                tax["tax_fraction_for_current_item"] = fraction
                if i == 0:
                    tax["grand_total_fraction_for_current_item"] = 1 + fraction
                else:
                    tax["grand_total_fraction_for_current_item"] = (
                        self.taxes[i - 1]["grand_total_fraction_for_current_item"] + fraction
                    )
                cumulated += fraction
                inclusive_per_qty_total += inclusive_per_qty * flt(item.get("qty"))
            if not self.discount_amount_applied and flt(item.get("qty")) and (cumulated or inclusive_per_qty_total):
                amount = flt(item["amount"]) - inclusive_per_qty_total
                item["net_amount"] = flt(amount / (1 + cumulated), precision(self.item_spec, "net_amount"))
                item["net_rate"] = flt(item["net_amount"] / flt(item["qty"]), precision(self.item_spec, "net_rate"))
                item["discount_percentage"] = flt(item.get("discount_percentage"), precision(self.item_spec, "discount_percentage"))
                self._in_company_currency(item, self.item_spec, ["net_rate", "net_amount"])

    def current_tax_fraction(self, tax: dict, item_tax_map: dict) -> tuple[float, float]:
        fraction = 0.0
        inclusive_per_qty = 0.0
        if cint(tax.get("included_in_print_rate")):
            rate = self._tax_rate(tax, item_tax_map)
            charge = tax.get("charge_type")
            if charge == "On Net Total":
                fraction = rate / 100.0
            elif charge == "On Previous Row Amount":
                fraction = (rate / 100.0) * self.taxes[cint(tax.get("row_id")) - 1]["tax_fraction_for_current_item"]
            elif charge == "On Previous Row Total":
                fraction = (rate / 100.0) * self.taxes[cint(tax.get("row_id")) - 1]["grand_total_fraction_for_current_item"]
            elif charge == "On Item Quantity":
                inclusive_per_qty = flt(rate)
        return fraction, inclusive_per_qty

    def calculate_net_total(self) -> None:
        d = self.doc
        d["total_qty"] = d["total"] = d["base_total"] = d["net_total"] = d["base_net_total"] = 0.0
        for item in self.items:
            d["total"] += flt(item.get("amount"))
            d["total_qty"] += flt(item.get("qty"))
            d["base_total"] += flt(item.get("base_amount"))
            d["net_total"] += flt(item.get("net_amount"))
            d["base_net_total"] += flt(item.get("base_net_amount"))
        round_floats_in(self.spec, d, ["total", "base_total", "net_total", "base_net_total", "total_qty"])

    def calculate_taxes(self) -> None:
        self.doc["rounding_adjustment"] = 0.0
        self.grand_total_diff = 0.0
        tax_p = precision(self.tax_spec, "tax_amount")
        actual_left = {
            tax["idx"]: flt(tax.get("tax_amount"), tax_p) for tax in self.taxes if tax.get("charge_type") == "Actual"
        }
        last_item = len(self.items) - 1
        for n, item in enumerate(self.items):
            item_tax_map = self._item_tax_map(item)
            for i, tax in enumerate(self.taxes):
                current = self.current_tax_amount(item, tax, item_tax_map)
                if tax.get("charge_type") == "Actual":
                    actual_left[tax["idx"]] -= current
                    if n == last_item:
                        current += actual_left[tax["idx"]]
                if tax.get("charge_type") != "Actual" and not (
                    self.discount_amount_applied and self.doc.get("apply_discount_on") == "Grand Total"
                ):
                    tax["tax_amount"] = flt(tax.get("tax_amount")) + current
                tax["tax_amount_for_current_item"] = current
                tax["tax_amount_after_discount_amount"] = flt(tax.get("tax_amount_after_discount_amount")) + current
                if i == 0:
                    tax["grand_total_for_current_item"] = flt(flt(item.get("net_amount")) + current)
                else:
                    tax["grand_total_for_current_item"] = flt(self.taxes[i - 1]["grand_total_for_current_item"] + current)
                if n == last_item:
                    tax["tax_amount"] = flt(tax.get("tax_amount"), tax_p)
                    tax["tax_amount_after_discount_amount"] = flt(tax["tax_amount_after_discount_amount"], tax_p)
                    previous = self.doc["net_total"] if i == 0 else self.taxes[i - 1]["total"]
                    tax["total"] = flt(previous + tax["tax_amount_after_discount_amount"], precision(self.tax_spec, "total"))
                    self._in_company_currency(tax, self.tax_spec, ["total", "tax_amount", "tax_amount_after_discount_amount"])
                    if (
                        i == len(self.taxes) - 1
                        and self.discount_amount_applied
                        and flt(self.doc.get("discount_amount"))
                        and self.doc.get("apply_discount_on") == "Grand Total"
                    ):
                        self.grand_total_diff = flt(
                            flt(self.doc.get("grand_total")) - flt(self.doc.get("discount_amount")) - tax["total"],
                            self.p("rounding_adjustment"),
                        )

    def current_tax_amount(self, item: dict, tax: dict, item_tax_map: dict) -> float:
        rate = self._tax_rate(tax, item_tax_map)
        charge = tax.get("charge_type")
        current = 0.0
        if charge == "Actual":
            actual = flt(tax.get("tax_amount"), precision(self.tax_spec, "tax_amount"))
            net_total = self.doc["net_total"]
            current = flt(item.get("net_amount")) * actual / net_total if net_total else 0.0
        elif charge == "On Net Total":
            current = (rate / 100.0) * flt(item.get("net_amount"))
        elif charge == "On Previous Row Amount":
            current = (rate / 100.0) * self.taxes[cint(tax.get("row_id")) - 1]["tax_amount_for_current_item"]
        elif charge == "On Previous Row Total":
            current = (rate / 100.0) * self.taxes[cint(tax.get("row_id")) - 1]["grand_total_for_current_item"]
        elif charge == "On Item Quantity":
            current = rate * flt(item.get("stock_qty") or item.get("qty"))
        key = item.get("item_code") or item.get("item_name")
        amount = current * self.doc["conversion_rate"]
        detail = tax["item_wise_tax_detail"]
        if detail.get(key):
            amount += detail[key][1]
        detail[key] = [rate, flt(amount)]
        return current

    def manipulate_grand_total_for_inclusive_tax(self) -> None:
        if not (self.taxes and any(cint(t.get("included_in_print_rate")) for t in self.taxes)):
            return
        last = self.taxes[-1]
        non_inclusive = sum(
            flt(t.get("tax_amount_after_discount_amount")) for t in self.taxes if not cint(t.get("included_in_print_rate"))
        )
        diff = self.doc["total"] + non_inclusive - flt(last["total"], precision(self.tax_spec, "total"))
        if self.discount_amount_applied and flt(self.doc.get("discount_amount")):
            diff -= flt(self.doc["discount_amount"])
        diff = flt(diff, self.p("rounding_adjustment"))
        tax_p = precision(self.tax_spec, "tax_amount")
        self.grand_total_diff = diff if diff and abs(diff) <= (5.0 / 10**tax_p) else 0.0

    def calculate_totals(self) -> None:
        d = self.doc
        if self.taxes:
            d["grand_total"] = flt(self.taxes[-1]["total"]) + self.grand_total_diff
            d["total_taxes_and_charges"] = flt(
                d["grand_total"] - d["net_total"] - self.grand_total_diff, self.p("total_taxes_and_charges")
            )
        else:
            d["grand_total"] = flt(d["net_total"])
            d["total_taxes_and_charges"] = 0.0
        self._in_company_currency(d, self.spec, ["total_taxes_and_charges", "rounding_adjustment"])
        if d["total_taxes_and_charges"]:
            d["base_grand_total"] = flt(d["grand_total"] * d["conversion_rate"], self.p("base_grand_total"))
        else:
            d["base_grand_total"] = d["base_net_total"]
        round_floats_in(self.spec, d, ["grand_total", "base_grand_total"])
        self.set_rounded_total()

    def set_rounded_total(self) -> None:
        d = self.doc
        if not self.spec.has_field("rounded_total"):
            return
        disabled = d.get("disable_rounded_total") if self.spec.has_field("disable_rounded_total") else None
        if disabled is None:
            disabled = self.erp.get_single_value("Global Defaults", "disable_rounded_total")
        if cint(disabled):
            d["rounded_total"] = d["base_rounded_total"] = 0.0
            return
        currency = self.erp._get_raw("Currency", d.get("currency")) or {}
        fraction = currency.get("smallest_currency_fraction_value")
        d["rounded_total"] = round_based_on_smallest_currency_fraction(d["grand_total"], fraction, self.p("rounded_total"))
        d["rounding_adjustment"] = flt(d["rounded_total"] - d["grand_total"], self.p("rounding_adjustment"))
        self._in_company_currency(d, self.spec, ["rounding_adjustment", "rounded_total"])

    def _cleanup(self) -> None:
        for tax in self.taxes:
            if isinstance(tax.get("item_wise_tax_detail"), dict):
                tax["item_wise_tax_detail"] = json.dumps(tax["item_wise_tax_detail"], separators=(",", ":"))

    def set_discount_amount(self) -> None:
        d = self.doc
        if flt(d.get("additional_discount_percentage")):
            basis = "grand_total" if d.get("apply_discount_on") == "Grand Total" else "net_total"
            d["discount_amount"] = flt(
                flt(d.get(basis)) * flt(d["additional_discount_percentage"]) / 100, self.p("discount_amount")
            )

    def apply_discount_amount(self) -> None:
        d = self.doc
        if not flt(d.get("discount_amount")):
            d["base_discount_amount"] = 0.0
            return
        if not d.get("apply_discount_on"):
            raise E.ValidationError("Please select Apply Discount On")
        d["base_discount_amount"] = flt(flt(d["discount_amount"]) * d["conversion_rate"], self.p("base_discount_amount"))
        total_for_discount = self.total_for_discount_amount()
        if not total_for_discount:
            return
        net_total = 0.0
        last = len(self.items) - 1
        for i, item in enumerate(self.items):
            distributed = flt(d["discount_amount"]) * flt(item["net_amount"]) / total_for_discount
            item["net_amount"] = flt(flt(item["net_amount"]) - distributed, precision(self.item_spec, "net_amount"))
            net_total += item["net_amount"]
            if (
                d.get("apply_discount_on") == "Net Total" or not self.taxes or total_for_discount == d["net_total"]
            ) and i == last:
                loss = flt(d["net_total"] - net_total - flt(d["discount_amount"]), self.p("net_total"))
                item["net_amount"] = flt(item["net_amount"] + loss, precision(self.item_spec, "net_amount"))
            qty = flt(item.get("qty"))
            item["net_rate"] = flt(item["net_amount"] / qty, precision(self.item_spec, "net_rate")) if qty else 0.0
            self._in_company_currency(item, self.item_spec, ["net_rate", "net_amount"])
        self.discount_amount_applied = True
        self._calculate()

    def total_for_discount_amount(self) -> float:
        d = self.doc
        if d.get("apply_discount_on") == "Net Total":
            return d["net_total"]
        actual = {}
        for tax in self.taxes:
            if tax.get("charge_type") in ("Actual", "On Item Quantity"):
                actual.setdefault(tax["idx"], flt(tax.get("tax_amount")))
            elif tax.get("row_id") in actual:  # row_id is text: like ERPNext, this never matches an idx
                actual.setdefault(tax["idx"], flt(actual.get(tax["row_id"], 0)) * flt(tax.get("rate")) / 100)
        return flt(d["grand_total"] - sum(actual.values()), self.p("grand_total"))


def validate_taxes_and_charges(tax: dict) -> None:
    charge = tax.get("charge_type")
    if charge in ("Actual", "On Net Total", "On Paid Amount") and tax.get("row_id"):
        raise E.ValidationError("Can refer row only if the charge type is 'On Previous Row Amount' or 'Previous Row Total'")
    if charge in ("On Previous Row Amount", "On Previous Row Total"):
        if cint(tax.get("idx")) == 1:
            raise E.ValidationError(
                "Cannot select charge type as 'On Previous Row Amount' or 'On Previous Row Total' for first row"
            )
        if not tax.get("row_id"):
            raise E.ValidationError(
                f"Please specify a valid Row ID for row {tax.get('idx')} in table Sales Taxes and Charges"
            )
        if cint(tax.get("row_id")) >= cint(tax.get("idx")):
            raise E.ValidationError(
                "Cannot refer row number greater than or equal to current row number for this Charge type"
            )
    if charge == "Actual":
        tax["rate"] = 0.0


def validate_inclusive_tax(tax: dict, taxes: list[dict]) -> None:
    if not cint(tax.get("included_in_print_rate")):
        return
    charge = tax.get("charge_type")
    if charge == "Actual":
        raise E.ValidationError(
            f"Charge of type 'Actual' in row {tax.get('idx')} cannot be included in Item Rate or Paid Amount"
        )
    if charge == "On Previous Row Amount" and not cint(taxes[cint(tax.get("row_id")) - 1].get("included_in_print_rate")):
        raise E.ValidationError(
            f"To include tax in row {tax.get('idx')} in Item rate, taxes in rows {tax.get('row_id')} must also be included"
        )
    if charge == "On Previous Row Total" and not all(
        cint(t.get("included_in_print_rate")) for t in taxes[: cint(tax.get("row_id")) - 1]
    ):
        raise E.ValidationError(
            f"To include tax in row {tax.get('idx')} in Item rate, taxes in rows 1 - {cint(tax.get('row_id'))} must also be included"
        )


def calculate_taxes_and_totals(erp, spec, doc: dict) -> None:
    TaxesAndTotals(erp, spec, doc).calculate()
