"""The stand-in held to the real site's business-rule captures (``tests/captures/erpnext/golden/j*``,
taken by ``tools/capture_erpnext_rules.py``): a customer's PO number on one open Sales Order,
reserved quantity through Hold / Close / Re-open and Product Bundles, the credit limit at submit
and re-open, the selling price below the valuation rate.

Each golden is replayed, in order, against a fresh stand-in seeded like the captured site; the
real site's company ("Test Company", abbreviation TC) is the stand-in's "Test Shop" (TS). Every
exchange must end the same way: the same status and ``exc_type``, the same error message (names
mapped), the same warning notes, and the same figures on the documents and Bins it returns.
Where they differ, the capture is right: fix the stand-in.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.erp_stand_in import Clock, MemoryERP
from tests.test_erp_contract import Session, same

J_GOLDENS = [
    "j1_po_no_one_open_sales_order_per_customer",
    "j2_reserved_qty_hold_close_reopen",
    "j3_reserved_qty_product_bundle",
    "j4_credit_limit_on_submit",
    "j5_selling_price_below_valuation_rate",
]
#: what is compared on the documents these goldens return (the fields the rules are about)
FIELDS = {
    "Sales Order": ["docstatus", "status", "po_no", "customer", "grand_total", "base_net_total", "per_billed"],
    "Customer": ["customer_name", "docstatus"],
    "Item": ["item_code", "is_stock_item", "stock_uom"],
    "Stock Entry": ["docstatus", "total_incoming_value"],
    "Product Bundle": ["new_item_code"],
    "Selling Settings": ["allow_against_multiple_purchase_orders", "validate_selling_price"],
}
CHILDREN = {
    ("Sales Order", "packed_items"): ["parent_item", "item_code", "item_name", "qty", "uom", "warehouse",
                                      "conversion_factor", "actual_qty", "projected_qty"],
    ("Product Bundle", "items"): ["item_code", "qty", "uom"],
    ("Customer", "credit_limits"): ["company", "credit_limit", "bypass_credit_limit_check"],
}
UPDATE_STATUS = "erpnext.selling.doctype.sales_order.sales_order.update_status"


class RulesSession(Session):
    def __init__(self, golden_dir):
        self.dir = golden_dir
        site = json.loads((golden_dir / f"{J_GOLDENS[0]}.json").read_text())["site"]
        self.real_company, self.real_abbr = site["company"], site["abbr"]
        self.erp = MemoryERP.with_test_shop(clock=Clock(f"{site['date']} 12:00:00"))
        self.names: dict[str, str] = {self.real_company: "Test Shop"}
        self.results: dict[str, list[str]] = {}
        self.current = None
        self.so_cases, self.snapshots = {}, {}

    # the real site's company and its accounts, warehouses, cost centres are the stand-in's
    def ours(self, value):
        if isinstance(value, str):
            value = self.names.get(value, value)
            value = value.replace(self.real_company, "Test Shop")
            return re.sub(rf" - {re.escape(self.real_abbr)}\b", " - TS", value)
        return super().ours(value)

    def text(self, message: str) -> str:
        """A real message in the stand-in's names (documents named by a series differ)."""
        for real, mine in sorted(self.names.items(), key=lambda kv: -len(kv[0])):
            message = message.replace(real, mine)
        return self.ours(message)

    def dispatch(self, method, path, body):
        if path.startswith(f"/api/method/{UPDATE_STATUS}"):
            self.erp.update_status(body["name"], body["status"])
            return {"message": None}
        return super().dispatch(method, path, body)

    def exchange(self, ex: dict, request: dict | None = None, doctype: str | None = None, label: str = ""):
        request = request or ex["request"]
        where = label or ex.get("what") or f"{request['method']} {request['path'][:60]}"
        seen = len(self.erp.messages)
        status, payload = self.call(request)
        expected_status, expected = ex["response"]["status"], ex["response"]["body"]
        if (status >= 300) != (expected_status >= 300) or (status >= 300 and status != expected_status):
            self.fail(f"{where}: status {status} ({payload.get('exc_type')}: {payload.get('message')}), "
                      f"expected {expected_status}")
            return payload
        messages = [m for m in expected.get("_server_messages") or () if isinstance(m, dict)]
        if status >= 300:
            if payload["exc_type"] != expected["exc_type"]:
                self.fail(f"{where}: {payload['exc_type']}, expected {expected['exc_type']}")
            error = [self.text(m["message"]) for m in messages if m.get("raise_exception")]
            if error and payload["message"] != error[-1]:
                self.fail(f"{where}: message {payload['message']!r}, expected {error[-1]!r}")
            return payload
        notes = [self.text(m["message"]) for m in messages if m.get("alert")]
        for note in notes:
            if note not in list(self.erp.messages)[seen:]:
                self.fail(f"{where}: no note {note!r} (had {list(self.erp.messages)[seen:]!r})")
        data = payload.get("data", payload.get("message"))
        real = expected.get("data", expected.get("message"))
        if isinstance(real, dict) and isinstance(data, dict):
            dt = doctype or real.get("doctype")
            self.learn(dt, real, data)
            self.compare_fields(dt, real, data, where)
        elif isinstance(real, list):
            self.compare_rows(request, real, data, where)
        elif real not in (None, "ok") and not same(real, data):
            self.fail(f"{where}: {data!r}, expected {real!r}")
        return payload

    def compare_fields(self, doctype, real, data, where):
        for field in FIELDS.get(doctype, []):
            if field in real and not same(self.ours(real.get(field)), data.get(field)):
                self.fail(f"{where}: {doctype}.{field} = {data.get(field)!r}, expected {real.get(field)!r}")
        self.compare_children(doctype, real, data, where, CHILDREN)

    def plain(self, golden: dict) -> None:
        self.exchange(golden, label=golden.get("first", ""))
        for follow in golden.get("followups", []):
            self.exchange(follow)

    def run(self) -> "RulesSession":
        for stem in J_GOLDENS:
            self.replay(stem)
        return self


@pytest.fixture(scope="module")
def rules(captures_dir):
    return RulesSession(captures_dir / "erpnext" / "golden").run()


def test_every_business_rule_golden_is_replayed(captures_dir):
    from tests.test_erp_contract import REPLAYED_ELSEWHERE

    stems = {p.stem for p in (captures_dir / "erpnext" / "golden").glob("j*.json")}
    assert stems == set(J_GOLDENS) == REPLAYED_ELSEWHERE


@pytest.mark.parametrize("stem", J_GOLDENS)
def test_business_rule_golden_replays_like_the_real_site(rules, stem):
    assert stem in rules.results, f"{stem} was not replayed"
    assert rules.results[stem] == []
