"""The ERP stand-in held to the real ERPNext 15 site's captures (tests/captures/erpnext).

(a) ``shopsync/erp/contract.json`` says what the captured metas say (mandatory fields, link targets,
    select options, unique, allow-on-submit, defaults, doctype flags).
(b) The captured REST session is replayed, in the order it was recorded, against a MemoryERP seeded
    like the site; every replayed exchange must end the same way (success or the same exc_type and
    message), name documents the same way and, for Sales Orders (and the invoice and payments made
    from them), compute the same totals, taxes, statuses and stock figures.

Where the stand-in and a capture differ, the capture is right: fix the stand-in, not the test.

Goldens (or parts) deliberately not replayed, and why:

- h10_guest_get_sales_order, h10b_bad_token: authentication and role permissions are the REST
  layer's, not the port's (the engine runs as a trusted user inside the site).
- x1_child_doctype_list_requires_parent (first request): the 403 for a child-table list without
  ``parent`` is a REST rule; the port's ``find`` on a child doctype is replayed (second request).
- c4's last follow-up (GET Item Variant Attribute list without ``parent``): the same REST rule.
- i_hooks_event_order_observed: not a request/response pair; its event order is held by
  tests/test_erp_stand_in.py (SLE events see the Bin before the row, Bins created after the SLE).
- x2_list_paging_and_count: its default page (20 rows, unordered) and count (29) depend on two
  Sales Orders created outside the captures; only the ordered page (``order_by=name asc``) is
  compared.
- Fields the stand-in does not compute (in_words, address_display, other_charges_calculation,
  gross_profit, commission, posting times, hash names) are not compared.
"""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest

from shopsync.erp import errors as E
from shopsync.erp.contract import load_contract
from tests.erp_stand_in import Clock, MemoryERP

# ====================================================================== (a) contract vs meta


@pytest.fixture(scope="module")
def captures(captures_dir):
    erp_dir = captures_dir / "erpnext"
    metas = {}
    for path in sorted((erp_dir / "meta").glob("*.json")):
        if path.name != "index.json":
            meta = json.loads(path.read_text())
            metas[meta["doctype"]] = meta
    return {
        "metas": metas,
        "index": json.loads((erp_dir / "meta" / "index.json").read_text()),
        "selects": json.loads((erp_dir / "select_options.json").read_text())["doctypes"],
        "golden": erp_dir / "golden",
    }


def test_contract_has_every_captured_doctype_with_its_flags(captures):
    contract = load_contract(include_app=False)
    assert set(contract) == set(captures["metas"])
    assert len(contract) == 63  # 59 of the first capture, 4 of the business rules (j* goldens)
    for name, meta in captures["metas"].items():
        spec = contract[name]
        for flag in ("istable", "issingle", "is_submittable", "is_tree"):
            assert getattr(spec, flag) == int(meta[flag] or 0), (name, flag)
        assert spec.autoname == meta["autoname"], name
        assert spec.naming_rule == meta["naming_rule"], name
        assert spec.title_field == meta["title_field"], name


def test_contract_fields_agree_with_the_captured_meta(captures):
    contract = load_contract(include_app=False)
    for name, meta in captures["metas"].items():
        spec = contract[name]
        assert spec.fieldnames == [f["fieldname"] for f in meta["fields"]], name
        for raw in meta["fields"]:
            f = spec.get_field(raw["fieldname"])
            where = f"{name}.{raw['fieldname']}"
            assert f.fieldtype == raw["fieldtype"], where
            assert f.label == raw["label"], where
            for key in ("reqd", "unique", "allow_on_submit", "read_only", "no_copy"):
                assert getattr(f, key) == int(raw[key] or 0), (where, key)
            assert (f.mandatory_depends_on or None) == (raw["mandatory_depends_on"] or None), where
            assert (f.default if f.default not in ("",) else None) == (raw["default"] if raw["default"] != "" else None), where
            assert (f.fetch_from or None) == (raw["fetch_from"] or None), where
            if raw["fieldtype"] == "Select":
                assert f.select_options == captures["selects"][name][raw["fieldname"]]["options"], where
            elif raw["fieldtype"] in ("Link", "Dynamic Link", "Table", "Table MultiSelect"):
                assert f.options == raw["options"], where


def test_contract_mandatory_unique_and_allow_on_submit_match_the_index(captures):
    contract = load_contract(include_app=False)
    for entry in captures["index"]["doctypes"]:
        spec = contract[entry["doctype"]]
        assert spec.mandatory == entry["mandatory"], entry["doctype"]
        assert spec.unique_fields == entry["unique"], entry["doctype"]
        assert [f.fieldname for f in spec.fields if f.allow_on_submit] == entry["allow_on_submit"], entry["doctype"]
        assert {f.fieldname: f.mandatory_depends_on for f in spec.fields if f.mandatory_depends_on} == \
            entry["mandatory_depends_on"], entry["doctype"]
        assert sorted(f.fieldname for f in spec.fields if f.custom) == sorted(entry["custom_fields"]), entry["doctype"]


def test_contract_loads_shopsync_doctypes_and_survives_their_absence(tmp_path):
    assert load_contract(app_doctypes_dir=tmp_path / "missing").get("Sales Order") is not None
    folder = tmp_path / "demo_map"
    folder.mkdir()
    (folder / "demo_map.json").write_text(json.dumps({
        "doctype": "DocType", "name": "Demo Map", "autoname": "field:key", "istable": 0,
        "fields": [
            {"fieldname": "key", "fieldtype": "Data", "label": "Key", "reqd": 1, "unique": 1},
            {"fieldname": "sb", "fieldtype": "Section Break"},
            {"fieldname": "kind", "fieldtype": "Select", "options": "A\nB", "default": "A"},
            {"fieldname": "site", "fieldtype": "Link", "options": "Company"},
        ],
    }))
    spec = load_contract(app_doctypes_dir=tmp_path)["Demo Map"]
    assert spec.source == "shopsync" and spec.autoname == "field:key"
    assert spec.fieldnames == ["key", "kind", "site"]
    assert spec.get_field("kind").select_options == ["A", "B"]
    assert spec.mandatory == ["key"] and spec.unique_fields == ["key"]


# ====================================================================== (b) replaying the session

#: What is compared on a document, per doctype (fields the stand-in promises to get right).
DOC_FIELDS = {
    "Customer": ["customer_name", "customer_type", "customer_group", "territory", "customer_primary_contact",
                 "mobile_no", "email_id", "disabled", "naming_series"],
    "Address": ["address_title", "address_type", "address_line1", "address_line2", "city", "country", "pincode",
                "email_id", "phone", "is_primary_address", "is_shipping_address", "disabled"],
    "Contact": ["first_name", "last_name", "full_name", "email_id", "phone", "mobile_no", "status",
                "is_primary_contact"],
    "Item": ["item_code", "item_name", "item_group", "stock_uom", "is_stock_item", "has_variants", "variant_of",
             "description", "end_of_life", "variant_based_on", "valuation_method", "is_sales_item",
             "is_purchase_item", "opening_stock", "standard_rate", "naming_series"],
    "Item Price": ["item_code", "uom", "item_name", "item_description", "price_list", "buying", "selling",
                   "currency", "price_list_rate", "valid_from", "packing_unit"],
    "Item Tax Template": ["title", "company", "disabled"],
    "Stock Entry": ["stock_entry_type", "purpose", "company", "posting_date", "total_outgoing_value",
                    "total_incoming_value", "value_difference", "total_amount", "naming_series"],
    "Stock Reconciliation": ["company", "purpose", "posting_date", "expense_account", "difference_amount",
                             "cost_center", "naming_series"],
    "Sales Order": ["customer", "customer_name", "order_type", "transaction_date", "delivery_date", "company",
                    "currency", "conversion_rate", "selling_price_list", "price_list_currency",
                    "plc_conversion_rate", "total_qty", "total", "net_total", "base_total", "base_net_total",
                    "total_taxes_and_charges", "base_total_taxes_and_charges", "apply_discount_on",
                    "additional_discount_percentage", "discount_amount", "base_discount_amount", "grand_total",
                    "base_grand_total", "rounding_adjustment", "base_rounding_adjustment", "rounded_total",
                    "base_rounded_total", "disable_rounded_total", "advance_paid", "customer_address",
                    "shipping_address_name", "status", "delivery_status", "billing_status", "per_billed",
                    "per_delivered", "title", "naming_series", "amended_from", "po_no"],
    "Sales Invoice": ["customer", "customer_name", "company", "posting_date", "due_date", "currency",
                      "selling_price_list", "total_qty", "total", "net_total", "total_taxes_and_charges",
                      "grand_total", "rounding_adjustment", "rounded_total", "outstanding_amount", "total_advance",
                      "discount_amount", "debit_to", "party_account_currency", "customer_address",
                      "shipping_address_name", "status", "is_pos", "update_stock", "title", "naming_series"],
    "Payment Entry": ["payment_type", "posting_date", "company", "mode_of_payment", "party_type", "party",
                      "party_name", "paid_from", "paid_from_account_type", "paid_from_account_currency", "paid_to",
                      "paid_to_account_type", "paid_to_account_currency", "paid_amount", "base_paid_amount",
                      "received_amount", "base_received_amount", "total_allocated_amount",
                      "base_total_allocated_amount", "reference_no", "reference_date", "status", "title",
                      "remarks", "naming_series"],
    "User": ["email", "first_name", "full_name", "username", "mobile_no", "enabled"],
}
CHILD_FIELDS = {
    ("Address", "links"): ["link_doctype", "link_name", "link_title"],
    ("Contact", "links"): ["link_doctype", "link_name", "link_title"],
    ("Contact", "email_ids"): ["email_id", "is_primary"],
    ("Contact", "phone_nos"): ["phone", "is_primary_phone", "is_primary_mobile_no"],
    ("Item", "uoms"): ["uom", "conversion_factor"],
    ("Item", "item_defaults"): ["company", "default_warehouse"],
    ("Item", "attributes"): ["attribute", "attribute_value"],
    ("Item", "barcodes"): ["barcode", "barcode_type"],
    ("Item Tax Template", "taxes"): ["tax_type", "tax_rate"],
    ("Stock Entry", "items"): ["item_code", "item_name", "description", "item_group", "s_warehouse", "t_warehouse",
                               "qty", "transfer_qty", "uom", "stock_uom", "conversion_factor", "basic_rate",
                               "basic_amount", "amount", "valuation_rate", "expense_account", "cost_center"],
    ("Stock Reconciliation", "items"): ["item_code", "item_name", "item_group", "warehouse", "qty", "valuation_rate",
                                        "amount", "current_qty", "current_amount", "current_valuation_rate",
                                        "quantity_difference", "amount_difference"],
    ("Sales Order", "items"): ["item_code", "item_name", "description", "item_group", "qty", "stock_uom", "uom",
                               "conversion_factor", "stock_qty", "price_list_rate", "base_price_list_rate",
                               "discount_percentage", "discount_amount", "rate", "amount", "base_rate",
                               "base_amount", "net_rate", "net_amount", "base_net_rate", "base_net_amount",
                               "warehouse", "delivery_date", "item_tax_template", "item_tax_rate", "is_stock_item",
                               "cost_center", "transaction_date", "delivered_qty"],
    ("Sales Order", "taxes"): ["charge_type", "account_head", "description", "included_in_print_rate", "rate",
                               "row_id", "tax_amount", "total", "tax_amount_after_discount_amount",
                               "base_tax_amount", "base_total", "base_tax_amount_after_discount_amount",
                               "item_wise_tax_detail", "cost_center"],
    ("Sales Order", "payment_schedule"): ["due_date", "invoice_portion", "payment_amount", "outstanding"],
    ("Sales Invoice", "items"): ["item_code", "item_name", "qty", "uom", "stock_uom", "conversion_factor",
                                 "price_list_rate", "rate", "amount", "net_rate", "net_amount", "income_account",
                                 "expense_account", "warehouse", "sales_order", "cost_center", "item_tax_rate"],
    ("Sales Invoice", "taxes"): ["charge_type", "account_head", "description", "rate", "tax_amount", "total",
                                 "tax_amount_after_discount_amount", "item_wise_tax_detail"],
    ("Payment Entry", "references"): ["reference_doctype", "reference_name", "due_date", "total_amount",
                                      "outstanding_amount", "allocated_amount", "exchange_rate", "account"],
}
#: Doctypes named by a random hash on the real site: their names are never compared.
HASH_NAMED = {"Item Price", "Bin", "Stock Ledger Entry"}
VOLATILE = {"creation", "modified", "posting_time", "owner", "modified_by"}
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?")


def same(expected, actual) -> bool:
    if expected in (None, "") and actual in (None, ""):
        return True
    if isinstance(expected, (int, float)) and not isinstance(expected, bool) and isinstance(actual, (int, float)):
        return abs(float(expected) - float(actual)) < 1e-6
    if isinstance(expected, str) and expected.startswith("{") and isinstance(actual, str):
        try:
            a, b = json.loads(expected), json.loads(actual)
        except ValueError:
            return expected == actual
        return json_same(a, b)
    return expected == actual


def json_same(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) < 1e-9
    return a == b


def normalize_message(text: str) -> str:
    return TIMESTAMP.sub("<ts>", text)


class Session:
    """Replays the captured REST exchanges through the port; records every difference."""

    def __init__(self, golden_dir):
        self.dir = golden_dir
        self.erp = MemoryERP.with_test_shop(clock=Clock("2026-11-23 17:33:19"))
        self.names: dict[str, str] = {}  # real site name -> stand-in name
        self.results: dict[str, list[str]] = {}
        self.current: str | None = None
        summary = json.loads((golden_dir / "_so_totals_summary.json").read_text())["cases"]
        self.so_cases = {case[: -len(".json")]: c["totals"]["name"] for case, c in summary.items()}
        #: the stand-in's Sales Order right after each case of _so_totals_summary.json was replayed
        self.snapshots: dict[str, dict] = {}

    # ---------------------------------------------------------------- bookkeeping
    def load(self, stem: str) -> dict:
        return json.loads((self.dir / f"{stem}.json").read_text())

    def fail(self, text: str) -> None:
        self.results.setdefault(self.current, []).append(text)

    def ours(self, value):
        if isinstance(value, str):
            return self.names.get(value, value)
        if isinstance(value, list):
            return [self.ours(v) for v in value]
        if isinstance(value, dict):
            return {k: self.ours(v) for k, v in value.items()}
        return value

    def learn(self, doctype: str, real: dict, mine: dict) -> None:
        if real.get("name") and mine.get("name"):
            self.names[real["name"]] = mine["name"]
        for field, rows in real.items():
            if isinstance(rows, list) and isinstance(mine.get(field), list):
                for r, m in zip(rows, mine[field]):
                    if isinstance(r, dict) and isinstance(m, dict) and r.get("name") and m.get("name"):
                        self.names[r["name"]] = m["name"]

    # ---------------------------------------------------------------- calling the port
    def call(self, request: dict):
        """-> (status, payload) the way the REST API would answer."""
        method, path = request["method"], request["path"]
        body = self.ours(request.get("body"))
        erp = self.erp
        try:
            return 200, self.dispatch(method, path, body)
        except E.ERPError as exc:
            return exc.http_status, {"exc_type": exc.exc_type, "message": str(exc)}

    def dispatch(self, method, path, body):
        erp = self.erp
        base, _, query = path.partition("?")
        params = {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
        parts = base.split("/")
        if parts[2] == "resource":
            doctype = urllib.parse.unquote(parts[3])
            name = self.ours(urllib.parse.unquote("/".join(parts[4:]))) if len(parts) > 4 else None
            if method == "POST":
                return {"data": erp.insert({**{k: v for k, v in body.items() if not k.startswith("__")}, "doctype": doctype})}
            if method == "PUT":
                return {"data": erp.update(doctype, name, body)}
            if method == "DELETE":
                erp.delete(doctype, name)
                return {"message": "ok"}
            if name:
                return {"data": erp.get(doctype, name)}
            filters = self.ours(json.loads(params["filters"])) if params.get("filters") else None
            fields = json.loads(params["fields"]) if params.get("fields") else ["name"]
            # without order_by, the REST list has no ORDER BY: MariaDB's key order (name; creation
            # for the time-based hash names, which the stand-in's random hashes are not)
            default_order = "creation asc" if doctype in HASH_NAMED else "name asc"
            rows = erp.find(doctype, filters, fields=fields, order_by=params.get("order_by") or default_order)
            start = int(params.get("limit_start", 0))
            length = int(params.get("limit_page_length", 20))
            return {"data": rows[start:start + length]}
        method_name = parts[3]
        if method_name == "frappe.client.cancel":
            return {"message": erp.cancel(body["doctype"], body["name"])}
        if method_name == "frappe.client.submit":
            return {"message": erp.submit(body["doc"]["doctype"], body["doc"]["name"])}
        if method_name == "frappe.client.get_count":
            return {"message": len(erp.find(params["doctype"]))}
        if method_name == "frappe.client.get_value":
            filters = json.loads(params["filters"])
            return {"message": erp.get_value(params["doctype"], filters, json.loads(params["fieldname"]))}
        if method_name == "frappe.client.get_single_value":
            return {"message": erp.get_single_value(params["doctype"], params["field"])}
        if method_name == "erpnext.stock.utils.get_stock_balance":
            return {"message": erp.stock_balance(params["item_code"], params["warehouse"])}
        if method_name == "erpnext.controllers.item_variant.create_variant":
            return {"message": erp.make_variant(body["item"], json.loads(body["args"]))}
        if method_name.endswith("make_sales_invoice"):
            return {"message": erp.make_sales_invoice(body["source_name"])}
        if method_name.endswith("get_payment_entry"):
            return {"message": erp.get_payment_entry(body["dt"], body["dn"])}
        raise AssertionError(f"no port call for {method} {path}")

    # ---------------------------------------------------------------- comparing
    def exchange(self, ex: dict, request: dict | None = None, doctype: str | None = None, label: str = ""):
        """Replay one exchange (optionally with a rewritten request) and compare."""
        request = request or ex["request"]
        status, payload = self.call(request)
        expected_status = ex["response"]["status"]
        expected = ex["response"]["body"]
        where = f"{label or request['method'] + ' ' + request['path'][:60]}"
        if status != expected_status:
            self.fail(f"{where}: status {status} ({payload.get('exc_type')}: {payload.get('message')}), expected {expected_status}")
            return payload
        if status != 200:
            if payload["exc_type"] != expected["exc_type"]:
                self.fail(f"{where}: {payload['exc_type']}, expected {expected['exc_type']}")
            # notes printed alongside (orange) are not the error; the rest, in order, is the message
            wanted = [normalize_message(m["message"]) for m in expected.get("_server_messages", [])
                      if m.get("indicator") != "orange"]
            if wanted and normalize_message(payload["message"]).split("\n") != wanted:
                self.fail(f"{where}: message {payload['message']!r}, expected {wanted!r}")
            return payload
        data = payload.get("data", payload.get("message"))
        real = expected.get("data", expected.get("message"))
        if isinstance(real, dict) and isinstance(data, dict):
            dt = doctype or real.get("doctype")
            self.compare_doc(dt, real, data, where)
            self.learn(dt, real, data)
        elif isinstance(real, list):
            self.compare_rows(request, real, data, where)
        elif real is not None and not same(real, data):
            self.fail(f"{where}: {data!r}, expected {real!r}")
        return payload

    def compare_doc(self, doctype, real, data, where):
        if doctype not in HASH_NAMED and real.get("name") and not same(real["name"], data.get("name")):
            self.fail(f"{where}: named {data.get('name')!r}, expected {real['name']!r}")
        for field in ["docstatus"] + DOC_FIELDS.get(doctype, []):
            # a field absent from a document answer was null on the site (as_dict leaves nulls out)
            if not same(self.ours(real.get(field)), data.get(field)):
                self.fail(f"{where}: {doctype}.{field} = {data.get(field)!r}, expected {real.get(field)!r}")
        self.compare_children(doctype, real, data, where, CHILD_FIELDS)

    def compare_children(self, doctype, real, data, where, children):
        """The child tables ``children`` names ((doctype, table) -> fields): row counts, then fields."""
        for (dt, table), fields in children.items():
            if dt != doctype or table not in real:
                continue
            mine = data.get(table) or []
            if len(mine) != len(real[table]):
                self.fail(f"{where}: {table} has {len(mine)} rows, expected {len(real[table])}")
                continue
            for i, (r, m) in enumerate(zip(real[table], mine), start=1):
                for field in fields:
                    if not same(self.ours(r.get(field)), m.get(field)):
                        self.fail(f"{where}: {table}[{i}].{field} = {m.get(field)!r}, expected {r.get(field)!r}")

    def compare_rows(self, request, real, data, where):
        doctype = urllib.parse.unquote(request["path"].split("?")[0].split("/")[3]) if "/resource/" in request["path"] else None
        if not isinstance(data, list) or len(data) != len(real):
            self.fail(f"{where}: {len(data) if isinstance(data, list) else data!r} rows, expected {len(real)}")
            return
        for i, (r, m) in enumerate(zip(real, data), start=1):
            for field, value in r.items():
                if field in VOLATILE or (field == "name" and doctype in HASH_NAMED | {"Sales Order Item"}):
                    continue
                if not same(self.ours(value), m.get(field)):
                    self.fail(f"{where}: row {i} {field} = {m.get(field)!r}, expected {value!r}")

    # ---------------------------------------------------------------- the session, in capture order
    def replay(self, stem: str, handler=None) -> None:
        self.current = stem
        self.results.setdefault(stem, [])
        golden = self.load(stem)
        try:
            (handler or Session.plain)(self, golden)
            if stem in self.so_cases:
                self.snapshots[stem] = self.erp.get("Sales Order", self.ours(self.so_cases[stem]))
        except Exception as exc:  # a crash is a difference too; keep replaying the rest
            self.fail(f"crashed: {type(exc).__name__}: {exc}")

    def setup(self, what: str, fn) -> None:
        self.current = f"setup: {what}"
        try:
            fn()
        except Exception as exc:
            self.fail(f"crashed: {type(exc).__name__}: {exc}")

    def plain(self, golden: dict) -> None:
        self.exchange(golden)
        for follow in golden.get("followups", []):
            self.exchange(follow)

    def run(self) -> "Session":
        erp = self.erp
        for stem in ("a1_customer_minimal_insert", "a2_customer_duplicate_name", "a3_customer_with_email_mobile",
                     "b1_address_billing_linked_no_title", "b2_address_shipping_with_title",
                     "b3_address_same_title_type_again", "b4_contact_with_emails_phones_links",
                     "b5_contact_same_name_again", "c1_item_stock_minimal", "c2_item_without_item_group",
                     "c3_item_duplicate_item_code"):
            self.replay(stem)
        self.replay("c4_item_template_and_variants", Session.variants)
        for stem in ("c5_item_barcode_unique_duplicate", "c6_item_uom_kg", "d1_item_price_standard_selling"):
            self.replay(stem)
        self.setup("the items the Sales Order cases use", lambda: [
            erp.insert({"doctype": "Item", "item_code": code, "item_name": name, "item_group": "Products"})
            for code, name in (("SKU-A", "Article A"), ("SKU-B", "Article B"), ("SKU-BOOK", "Livre (TVA 5.5)"),
                               ("SKU-C", "Article C"))
        ])
        for stem in ("e1_stock_entry_material_receipt", "e2_sales_order_submit_reserves",
                     "e3_material_issue_beyond_stock", "e4_material_issue_within_stock",
                     "e5_stock_reco_fractional_on_nos_item", "e6_stock_reco_fractional_kg_item",
                     "e7_stock_reco_integer"):
            self.replay(stem)
        self.setup("Item Tax Templates are created by f0 (with_test_shop seeds them)", lambda: [
            erp.delete("Item Tax Template", name) for name in ("FR TVA 20% - TS", "FR TVA 5.5% - TS")
        ])
        for stem in ("f0_item_tax_templates", "f1_so_on_net_total_20", "f1b_so_on_net_total_per_line_rounding",
                     "f2_so_actual_tax_20", "f2b_so_actual_tax_per_line_rounded", "f3a_so_mixed_item_tax_rate_json",
                     "f3b_so_mixed_item_tax_template", "f3c_so_mixed_actual_rows",
                     "f3d_so_mixed_rows_at_real_rates_no_item_tax", "f4_so_shipping_actual",
                     "f4b_so_shipping_actual_vat_on_net_total", "f4c_so_shipping_vat_on_previous_row_total",
                     "f5a_so_discount_net_total", "f5b_so_discount_grand_total", "f5c_so_discount_percentage",
                     "f6_so_tax_included_in_print_rate", "f7a_so_rounding_default_x05", "f7b_so_rounding_default_x50",
                     "f7c_so_rounding_disabled", "f7d_so_rounding_x47", "f8_so_rate_differs_from_price_list",
                     "f9_so_no_rate_uses_price_list", "f10_so_submit_cancel_setup", "f11_so_submit_then_cancel",
                     "f13_auto_inserted_item_prices", "g1_so_for_invoice"):
            self.replay(stem)
        self.replay("g2_make_sales_invoice_from_so", Session.mapped)
        self.replay("g3_payment_entry_for_invoice", Session.mapped)
        self.replay("g4_cancel_so_with_linked_invoice")
        self.replay("g5_so_for_advance_payment")
        self.replay("g6_advance_payment_entry_against_so", Session.mapped)
        self.setup("SAL-ORD-2026-00026 (created outside the captures, read by h8/h9/h14)", lambda: erp.insert({
            "doctype": "Sales Order", "customer": "Jean Dupont", "company": "Test Shop", "currency": "EUR",
            "selling_price_list": "Standard Selling", "transaction_date": "2026-11-23",
            "delivery_date": "2026-11-30", "order_type": "Sales", "docstatus": 1,
            "items": [{"item_code": "SKU-C", "qty": 1, "rate": 10.0}],
        }))
        self.replay("h8_submit_already_submitted")
        self.replay("h9_update_after_submit", Session.update_after_submit)
        for stem in ("h12_get_missing_doc", "h1_so_without_delivery_date",
                     "h2_so_unknown_item_code", "h3_so_unknown_customer", "h4_customer_unknown_customer_group",
                     "h5_address_invalid_select", "h6_address_missing_mandatory", "h7_item_price_list_unknown",
                     "h15_invalid_link_in_child", "h16_so_zero_qty", "h17_so_negative_rate",
                     "h18_so_item_from_template", "h19_stock_entry_fractional_nos", "h20_unique_field_duplicate"):
            self.replay(stem)
        self.replay("h11_timestamp_mismatch", Session.timestamp_mismatch)
        self.replay("f12_so_status_after_insert_with_docstatus1")
        self.replay("x1_child_doctype_list_requires_parent", Session.child_list)
        self.replay("x2_list_paging_and_count", Session.ordered_page)
        self.replay("x3_get_single_and_value")
        self.replay("h14_delete_submitted")
        self.replay("h13_delete_linked_customer")
        self.replay("g6b_advance_payment_entry_cash_account", Session.mapped)
        return self

    # ---------------------------------------------------------------- special handlers
    def variants(self, golden):
        """create_variant is compared field by field; the variant the site returned is then inserted."""
        self.exchange(golden)
        followups = golden["followups"]
        for follow in followups[:-1]:
            self.exchange(follow, doctype="Item")
        # followups[-1]: child-doctype list without `parent` (REST permission rule): not replayed

    def mapped(self, golden):
        """make_sales_invoice / get_payment_entry return unsaved documents; the client then POSTs
        them with its own edits. The stand-in's mapped document gets the same edits."""
        answer = self.exchange(golden, label=golden["request"]["path"].rsplit(".", 1)[-1])
        mapped = answer.get("message") if isinstance(answer, dict) else None
        real_mapped = golden["response"]["body"].get("message") or {}
        for follow in golden.get("followups", []):
            request = follow["request"]
            if request["method"] == "POST" and mapped is not None and isinstance(request.get("body"), dict) \
                    and request["body"].get("doctype") == mapped.get("doctype"):
                edits = {k: v for k, v in request["body"].items() if real_mapped.get(k) != v and not k.startswith("__")}
                body = {**mapped, **edits}
                self.exchange(follow, request={**request, "body": body})
            else:
                self.exchange(follow)

    def update_after_submit(self, golden):
        self.exchange(golden)
        followups = golden["followups"]
        self.exchange(followups[0])
        so = self.erp.get("Sales Order", self.ours("SAL-ORD-2026-00026"))
        items = so["items"]
        items[0]["qty"] = followups[1]["request"]["body"]["items"][0]["qty"]
        request = dict(followups[1]["request"], body={"items": items})
        self.exchange(followups[1], request=request)

    def timestamp_mismatch(self, golden):
        """The second PUT sends the `modified` the client read before the first PUT."""
        before = self.erp.get("Customer", "Jean Dupont")["modified"]
        self.exchange(golden)
        stale = golden["followups"][0]
        request = dict(stale["request"], body={**stale["request"]["body"], "modified": before})
        self.exchange(stale, request=request)

    def child_list(self, golden):
        # the first request (no `parent`) is the REST layer's 403; the port's find is replayed
        self.exchange(golden["followups"][0])

    def ordered_page(self, golden):
        self.exchange(golden["followups"][0])


@pytest.fixture(scope="module")
def session(captures):
    return Session(captures["golden"]).run()


GOLDEN_REPLAYED = [
    "a1_customer_minimal_insert", "a2_customer_duplicate_name", "a3_customer_with_email_mobile",
    "b1_address_billing_linked_no_title", "b2_address_shipping_with_title", "b3_address_same_title_type_again",
    "b4_contact_with_emails_phones_links", "b5_contact_same_name_again", "c1_item_stock_minimal",
    "c2_item_without_item_group", "c3_item_duplicate_item_code", "c4_item_template_and_variants",
    "c5_item_barcode_unique_duplicate", "c6_item_uom_kg", "d1_item_price_standard_selling",
    "e1_stock_entry_material_receipt", "e2_sales_order_submit_reserves", "e3_material_issue_beyond_stock",
    "e4_material_issue_within_stock", "e5_stock_reco_fractional_on_nos_item", "e6_stock_reco_fractional_kg_item",
    "e7_stock_reco_integer", "f0_item_tax_templates", "f1_so_on_net_total_20", "f1b_so_on_net_total_per_line_rounding",
    "f2_so_actual_tax_20", "f2b_so_actual_tax_per_line_rounded", "f3a_so_mixed_item_tax_rate_json",
    "f3b_so_mixed_item_tax_template", "f3c_so_mixed_actual_rows", "f3d_so_mixed_rows_at_real_rates_no_item_tax",
    "f4_so_shipping_actual", "f4b_so_shipping_actual_vat_on_net_total", "f4c_so_shipping_vat_on_previous_row_total",
    "f5a_so_discount_net_total", "f5b_so_discount_grand_total", "f5c_so_discount_percentage",
    "f6_so_tax_included_in_print_rate", "f7a_so_rounding_default_x05", "f7b_so_rounding_default_x50",
    "f7c_so_rounding_disabled", "f7d_so_rounding_x47", "f8_so_rate_differs_from_price_list",
    "f9_so_no_rate_uses_price_list", "f10_so_submit_cancel_setup", "f11_so_submit_then_cancel",
    "f12_so_status_after_insert_with_docstatus1", "f13_auto_inserted_item_prices", "g1_so_for_invoice",
    "g2_make_sales_invoice_from_so", "g3_payment_entry_for_invoice", "g4_cancel_so_with_linked_invoice",
    "g5_so_for_advance_payment", "g6_advance_payment_entry_against_so", "g6b_advance_payment_entry_cash_account",
    "h1_so_without_delivery_date", "h2_so_unknown_item_code", "h3_so_unknown_customer",
    "h4_customer_unknown_customer_group", "h5_address_invalid_select", "h6_address_missing_mandatory",
    "h7_item_price_list_unknown", "h8_submit_already_submitted", "h9_update_after_submit", "h11_timestamp_mismatch",
    "h12_get_missing_doc", "h13_delete_linked_customer", "h14_delete_submitted", "h15_invalid_link_in_child",
    "h16_so_zero_qty", "h17_so_negative_rate", "h18_so_item_from_template", "h19_stock_entry_fractional_nos",
    "h20_unique_field_duplicate", "x1_child_doctype_list_requires_parent", "x2_list_paging_and_count",
    "x3_get_single_and_value",
]
NOT_REPLAYED = {"h10_guest_get_sales_order", "h10b_bad_token", "i_hooks_event_order_observed"}
#: the business-rule captures (a second company's run, tools/capture_erpnext_rules.py): replayed
#: by tests/test_erp_business_rules.py
REPLAYED_ELSEWHERE = {
    "j1_po_no_one_open_sales_order_per_customer", "j2_reserved_qty_hold_close_reopen",
    "j3_reserved_qty_product_bundle", "j4_credit_limit_on_submit", "j5_selling_price_below_valuation_rate",
}


#: the credit-note captures (tools/capture_erpnext_returns.py): replayed by tests/test_erp_returns.py
RETURNS_REPLAYED_ELSEWHERE = {
    "k1_sales_invoice_return_partial", "k2_return_of_paid_invoice_and_payment",
    "k3_stock_return_against_stock_invoice", "k4_delivery_note_return",
}


def test_every_golden_is_replayed_or_listed_as_not(captures):
    stems = {p.stem for p in captures["golden"].glob("*.json") if not p.stem.startswith("_")}
    assert stems == set(GOLDEN_REPLAYED) | NOT_REPLAYED | REPLAYED_ELSEWHERE | RETURNS_REPLAYED_ELSEWHERE


def test_the_setup_the_goldens_presuppose_succeeds(session):
    problems = {k: v for k, v in session.results.items() if k.startswith("setup") and v}
    assert not problems


@pytest.mark.parametrize("stem", GOLDEN_REPLAYED)
def test_golden_replays_like_the_real_site(session, stem):
    assert stem in session.results, f"{stem} was not replayed"
    assert session.results[stem] == []


def test_sales_order_totals_match_the_summary_of_every_case(session, captures):
    """Every case of _so_totals_summary.json, field by field, against the stand-in's stored order."""
    summary = json.loads((captures["golden"] / "_so_totals_summary.json").read_text())["cases"]
    problems = []
    assert set(session.snapshots) == {case[: -len(".json")] for case in summary}
    for case, expected in summary.items():
        so = session.snapshots[case[: -len(".json")]]
        for field, value in expected["totals"].items():
            if field in ("name", "in_words"):
                continue
            if not same(value, so.get(field)):
                problems.append(f"{case}: {field} = {so.get(field)!r}, expected {value!r}")
        for i, (row, mine) in enumerate(zip(expected["items"], so["items"]), start=1):
            for field, value in row.items():
                if not same(value, mine.get(field)):
                    problems.append(f"{case}: items[{i}].{field} = {mine.get(field)!r}, expected {value!r}")
        for i, (row, mine) in enumerate(zip(expected["taxes"], so.get("taxes") or []), start=1):
            for field, value in row.items():
                if not same(value, mine.get(field)):
                    problems.append(f"{case}: taxes[{i}].{field} = {mine.get(field)!r}, expected {value!r}")
        if len(expected["items"]) != len(so["items"]) or len(expected["taxes"]) != len(so.get("taxes") or []):
            problems.append(f"{case}: row counts differ")
    assert problems == []
