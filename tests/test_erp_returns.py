"""The stand-in held to the real site's credit-note captures (``tests/captures/erpnext/golden/k*``,
taken by ``tools/capture_erpnext_returns.py``): ``make_sales_return`` and what a return may hold
(no more than invoiced, no dearer, no ``update_stock`` against an invoice that moved no stock, a
free-text line), the outstanding a credit note takes or keeps, the Pay entry against it, and the
stock a return against a stock invoice brings back.

Replayed like the business-rule captures (tests/test_erp_business_rules.py): the same status,
``exc_type`` and message, and the same figures on the invoices, payments and Bins it returns.
"""

from __future__ import annotations

import pytest

from tests import test_erp_business_rules as rules_mod
from tests.test_erp_business_rules import RulesSession
from tests.test_erp_contract import RETURNS_REPLAYED_ELSEWHERE

K_GOLDENS = [
    "k1_sales_invoice_return_partial",
    "k2_return_of_paid_invoice_and_payment",
    "k3_stock_return_against_stock_invoice",
    "k4_delivery_note_return",
]
FIELDS = {
    **rules_mod.FIELDS,
    "Sales Invoice": ["docstatus", "is_return", "update_stock", "grand_total"],
    "Payment Entry": ["docstatus", "payment_type", "paid_amount", "received_amount", "paid_from", "paid_to"],
}


class ReturnsSession(RulesSession):
    def __init__(self, golden_dir):
        self._first = K_GOLDENS[0]
        saved = rules_mod.J_GOLDENS
        rules_mod.J_GOLDENS = K_GOLDENS  # the site and the date are read from the first golden
        try:
            super().__init__(golden_dir)
        finally:
            rules_mod.J_GOLDENS = saved

    def dispatch(self, method, path, body):
        if path.endswith("sales_order.make_delivery_note"):
            return {"message": self.erp.make_delivery_note(body["source_name"])}
        if path.endswith("delivery_note.make_sales_return"):
            return {"message": self.erp.make_delivery_return(body["source_name"])}
        if path.endswith("make_sales_return"):
            return {"message": self.erp.make_sales_return(body["source_name"])}
        return super().dispatch(method, path, body)

    def compare_fields(self, doctype, real, data, where):
        saved = rules_mod.FIELDS
        rules_mod.FIELDS = FIELDS
        try:
            super().compare_fields(doctype, real, data, where)
        finally:
            rules_mod.FIELDS = saved

    def run(self) -> "ReturnsSession":
        for stem in K_GOLDENS:
            self.replay(stem)
        return self


@pytest.fixture(scope="module")
def returns(captures_dir):
    return ReturnsSession(captures_dir / "erpnext" / "golden").run()


def test_every_return_golden_is_replayed(captures_dir):
    stems = {p.stem for p in (captures_dir / "erpnext" / "golden").glob("k*.json")}
    assert stems == set(K_GOLDENS) == RETURNS_REPLAYED_ELSEWHERE


@pytest.mark.parametrize("stem", K_GOLDENS)
def test_return_golden_replays_like_the_real_site(returns, stem):
    assert stem in returns.results, f"{stem} was not replayed"
    assert returns.results[stem] == []
