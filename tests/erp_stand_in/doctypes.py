"""Doctypes the stand-in knows: the captured contract, shopsync's own, and a few supplements.

The supplements are doctypes the captured site has but the 59 captured metas do not describe
(Item Tax Template, Stock Entry Type, Payment Schedule, ...). They are written down here, minimal,
so links to them can be checked and their records seeded; their ``source`` is "stand-in".
"""

from __future__ import annotations

from shopsync.erp.contract import Contract, DocTypeSpec, FieldSpec, default_contract, load_contract


def _f(fieldname, fieldtype="Data", label=None, **kw) -> FieldSpec:
    return FieldSpec(fieldname=fieldname, fieldtype=fieldtype, label=label or fieldname.replace("_", " ").title(), **kw)


def _dt(name, fields, **kw) -> DocTypeSpec:
    return DocTypeSpec(name=name, fields=fields, source="stand-in", **kw)


SUPPLEMENTS: list[DocTypeSpec] = [
    _dt(
        "Item Tax Template",
        [
            _f("title", reqd=1),
            _f("company", "Link", reqd=1, options="Company"),
            _f("disabled", "Check", default="0"),
            _f("taxes", "Table", label="Tax Rates", reqd=1, options="Item Tax Template Detail"),
        ],
        autoname=None,
        title_field="title",
    ),
    _dt(
        "Item Tax Template Detail",
        [_f("tax_type", "Link", label="Tax Type", reqd=1, options="Account"), _f("tax_rate", "Float", label="Tax Rate")],
        istable=1,
    ),
    _dt(
        "Item Tax",
        [
            _f("item_tax_template", "Link", label="Item Tax Template", reqd=1, options="Item Tax Template"),
            _f("tax_category", "Link", options="Tax Category"),
            _f("valid_from", "Date"),
            _f("minimum_net_rate", "Float"),
            _f("maximum_net_rate", "Float"),
        ],
        istable=1,
    ),
    _dt(
        "Stock Entry Type",
        [
            _f(
                "purpose",
                "Select",
                reqd=1,
                options=[
                    "",
                    "Material Issue",
                    "Material Receipt",
                    "Material Transfer",
                    "Material Transfer for Manufacture",
                    "Material Consumption for Manufacture",
                    "Manufacture",
                    "Repack",
                    "Send to Subcontractor",
                    "Disassemble",
                ],
            ),
            _f("add_to_transit", "Check", default="0"),
            _f("is_standard", "Check", default="0"),
        ],
        autoname="Prompt",
    ),
    _dt(
        "Payment Schedule",
        [
            _f("payment_term", "Data"),
            _f("due_date", "Date", label="Due Date", reqd=1),
            _f("invoice_portion", "Percent"),
            _f("discount", "Float"),
            _f("payment_amount", "Currency", label="Payment Amount", reqd=1),
            _f("outstanding", "Currency"),
            _f("paid_amount", "Currency"),
            _f("discounted_amount", "Currency"),
            _f("base_payment_amount", "Currency"),
            _f("base_outstanding", "Currency"),
            _f("base_paid_amount", "Currency"),
        ],
        istable=1,
    ),
    _dt(
        "Fiscal Year",
        [_f("year", reqd=1), _f("year_start_date", "Date", reqd=1), _f("year_end_date", "Date", reqd=1)],
        autoname="field:year",
    ),
    _dt("Supplier", [_f("supplier_name", reqd=1), _f("disabled", "Check", default="0")], autoname="field:supplier_name"),
    _dt("Salutation", [_f("salutation", reqd=1)], autoname="field:salutation"),
    _dt("Gender", [_f("gender", reqd=1)], autoname="field:gender"),
    _dt("Brand", [_f("brand", reqd=1)], autoname="field:brand"),
    _dt("Tax Category", [_f("title", reqd=1), _f("disabled", "Check", default="0")], autoname="field:title"),
    _dt("Language", [_f("language_code", reqd=1), _f("language_name", reqd=1)], autoname="field:language_code"),
    _dt("Warehouse Type", [_f("description")], autoname="Prompt"),
    _dt(
        "Currency Exchange",
        [
            _f("date", "Date", reqd=1, default="Today"),
            _f("from_currency", "Link", label="From Currency", reqd=1, options="Currency"),
            _f("to_currency", "Link", label="To Currency", reqd=1, options="Currency"),
            _f("exchange_rate", "Float", label="Exchange Rate", reqd=1, precision=9),
            _f("for_buying", "Check", default="1"),
            _f("for_selling", "Check", default="1"),
        ],
    ),
]


class Registry(Contract):
    """Contract + supplements; unknown doctypes (not here) are not validated."""

    def __init__(self, contract: Contract | None = None, supplements=SUPPLEMENTS):
        base = contract if contract is not None else default_contract()
        super().__init__(base.doctypes.values())
        for spec in supplements:
            if spec.name not in self.doctypes:
                self.add(spec)
        self._parents_cache: dict[str, list[tuple[str, str]]] = {}

    def parents_of(self, child_doctype: str) -> list[tuple[str, str]]:
        if child_doctype not in self._parents_cache:
            self._parents_cache[child_doctype] = super().parents_of(child_doctype)
        return self._parents_cache[child_doctype]


def fresh_registry() -> Registry:
    """A registry read fresh from disk (picks up shopsync doctype JSON edited since import)."""
    return Registry(load_contract())
