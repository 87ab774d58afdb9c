#!/usr/bin/env python3
"""Capture, from a real ERPNext 15 site, the Sales Order rules a business customer meets
(``tests/captures/erpnext/golden/j*.json``) and the metas of the doctypes they use.

Two modes:

- REST (default): logs in as a user (Administrator by default) and sends the exchanges of
  ``CASES`` over HTTP, writing each golden in the shape of the other ``golden/*.json`` files
  (``{what, request, response, followups, notes}``; error bodies keep the status, ``exc_type`` and
  the decoded ``_server_messages``). Every record it makes is named ``SSCAP-<tag>-...`` (a new tag
  per run), so runs never meet; Selling Settings it changes are put back at the end.

      python tools/capture_erpnext_rules.py --url http://127.0.0.1:8000 [--user Administrator --password admin]

- ``--meta``: run with the bench's Python from ``<bench>/sites`` (``frappe.get_meta`` on the site);
  writes ``meta/<doctype>.json`` for ``META_DOCTYPES`` and their entries in ``meta/index.json`` and
  ``select_options.json``, in the shape of the other metas. Then ``python tools/make_contract.py``.

      cd <bench>/sites && ../env/bin/python <repo>/tools/capture_erpnext_rules.py --meta --site test.local
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pathlib
import secrets
import sys
import urllib.parse

REPO = pathlib.Path(__file__).resolve().parent.parent
ERP_CAPTURES = REPO / "tests" / "captures" / "erpnext"
META_DOCTYPES = ("Product Bundle", "Product Bundle Item", "Packed Item", "Customer Credit Limit")
UPDATE_STATUS = "/api/method/erpnext.selling.doctype.sales_order.sales_order.update_status"
BIN_FIELDS = ["item_code", "warehouse", "actual_qty", "reserved_qty", "ordered_qty", "projected_qty",
              "valuation_rate", "modified"]


# ====================================================================== REST
class Recorder:
    def __init__(self, url: str, user: str, password: str):
        import requests

        self.url = url.rstrip("/")
        self.http = requests.Session()
        self.http.headers.update({"Accept": "application/json"})
        r = self.http.post(f"{self.url}/api/method/login", data={"usr": user, "pwd": password}, timeout=30)
        r.raise_for_status()
        self.host = urllib.parse.urlparse(self.url).netloc

    def call(self, method: str, path: str, body=None, what: str = "") -> dict:
        r = self.http.request(method, self.url + path, json=body, timeout=120)
        try:
            data = r.json()
        except ValueError:
            data = {"text": r.text[:2000]}
        record = {
            "request": {
                "method": method, "path": path,
                "headers": {"Host": self.host, "Cookie": "sid=<redacted>", "Accept": "application/json",
                            **({"Content-Type": "application/json"} if body is not None else {})},
                "body": body,
            },
            "response": {"status": r.status_code, "body": clean(data)},
        }
        if what:
            record["what"] = what
        return record

    def ok(self, record: dict) -> dict:
        status = record["response"]["status"]
        if not 200 <= status < 300:
            raise RuntimeError(f"{record['request']['method']} {record['request']['path']}: {status} "
                               f"{json.dumps(record['response']['body'])[:800]}")
        body = record["response"]["body"]
        return body.get("data", body.get("message"))


def clean(body):
    """Keep what the other goldens keep: no traceback, the server messages decoded."""
    if not isinstance(body, dict):
        return body
    out = {k: v for k, v in body.items() if k not in ("exc", "exception", "_exc_source", "_debug_messages")}
    if isinstance(out.get("_server_messages"), str):
        try:
            messages = [json.loads(m) for m in json.loads(out["_server_messages"])]
        except ValueError:
            messages = out["_server_messages"]
        for m in messages if isinstance(messages, list) else ():
            if isinstance(m, dict):
                m.pop("__frappe_exc_id", None)
        out["_server_messages"] = messages
    return out


def bins(rec: Recorder, *codes: str, what: str = "") -> dict:
    filters = json.dumps([["item_code", "in", list(codes)]])
    path = (f"/api/resource/Bin?filters={filters}&fields={json.dumps(BIN_FIELDS)}"
            "&order_by=item_code asc&limit_page_length=100")
    return rec.call("GET", path, what=what or "the Bins of " + ", ".join(codes))


def so_state(rec: Recorder, name: str, what: str = "") -> dict:
    fields = ["name", "docstatus", "status", "po_no", "per_billed", "per_delivered", "grand_total"]
    path = f"/api/resource/Sales Order?filters={json.dumps([['name', '=', name]])}&fields={json.dumps(fields)}"
    return rec.call("GET", path, what=what or f"Sales Order {name}: docstatus and status")


def save(case: "Case", stem: str, what: str, records: list[dict], notes: list[str]) -> None:
    first, rest = records[0], records[1:]
    golden = {"what": what, "site": {"company": case.company, "abbr": case.abbr, "date": case.today},
              "request": first["request"], "response": first["response"], "followups": rest}
    if first.get("what"):
        golden["first"] = first["what"]
    golden["notes"] = notes
    path = case.out / f"{stem}.json"
    path.write_text(json.dumps(golden, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print("wrote", path)


class Case:
    def __init__(self, rec: Recorder, tag: str, company: str, abbr: str, today: str, out: pathlib.Path):
        self.rec, self.tag, self.company, self.abbr, self.today, self.out = rec, tag, company, abbr, today, out
        self.delivery = (dt.date.fromisoformat(today) + dt.timedelta(days=7)).isoformat()
        self.stores = f"Stores - {abbr}"
        self.records: list[dict] = []

    def name(self, text: str) -> str:
        return f"SSCAP-{self.tag}-{text}"

    def do(self, method, path, body=None, what="", expect_ok=True):
        record = self.rec.call(method, path, body, what)
        self.records.append(record)
        return self.rec.ok(record) if expect_ok else record

    def refused(self, method, path, body=None, what=""):
        record = self.do(method, path, body, what, expect_ok=False)
        if record["response"]["status"] < 300:
            raise RuntimeError(f"expected a refusal: {what}")
        return record

    def customer(self, label: str, **extra) -> str:
        return self.do("POST", "/api/resource/Customer", {"customer_name": self.name(label), **extra},
                       what=f"customer {label}")["name"]

    def item(self, label: str, stock: bool = True) -> str:
        body = {"item_code": self.name(label), "item_name": self.name(label), "item_group": "Products"}
        if not stock:
            body["is_stock_item"] = 0
        return self.do("POST", "/api/resource/Item", body, what=f"item {label}")["name"]

    def receive(self, rows: dict[str, float], rate: float = 8.0) -> str:
        se = self.do("POST", "/api/resource/Stock Entry", {
            "stock_entry_type": "Material Receipt", "company": self.company,
            "items": [{"item_code": c, "qty": q, "t_warehouse": self.stores, "basic_rate": rate} for c, q in rows.items()],
        }, what="Material Receipt")
        self.do("PUT", f"/api/resource/Stock Entry/{se['name']}", {"docstatus": 1}, what="submit the receipt")
        return se["name"]

    def so_body(self, customer: str, lines: list[tuple[str, float, float]], **extra) -> dict:
        return {
            "customer": customer, "company": self.company, "currency": "EUR", "selling_price_list": "Standard Selling",
            "transaction_date": self.today, "delivery_date": self.delivery, "order_type": "Sales", **extra,
            "items": [{"item_code": c, "qty": q, "rate": r, "warehouse": self.stores} for c, q, r in lines],
        }

    def sales_order(self, customer, lines, what="", **extra) -> dict:
        return self.do("POST", "/api/resource/Sales Order", self.so_body(customer, lines, **extra),
                       what=what or "a draft Sales Order")

    def submit(self, so: str, what: str = "") -> dict:
        return self.do("PUT", f"/api/resource/Sales Order/{so}", {"docstatus": 1}, what=what or f"submit {so}")

    def status(self, so: str, status: str, what: str = "", expect_ok=True):
        return self.do("POST", UPDATE_STATUS, {"status": status, "name": so},
                       what=what or f"update_status({status!r}) on {so}", expect_ok=expect_ok)

    def settings(self, doctype: str, values: dict, what: str = ""):
        return self.do("PUT", f"/api/resource/{doctype}/{doctype}", values, what=what or f"{doctype}: {values}")


def case_po_no(c: Case) -> None:
    buyer = c.customer("Buyer")
    other = c.customer("Other Buyer")
    item = c.item("PO")
    po = c.name("45")
    so1 = c.sales_order(buyer, [(item, 1, 10)], po_no=po, what="first draft with po_no")["name"]
    c.refused("POST", "/api/resource/Sales Order", c.so_body(buyer, [(item, 1, 10)], po_no=po),
              what="second draft, same customer and po_no, while the first is a DRAFT")
    c.refused("POST", "/api/resource/Sales Order", c.so_body(buyer, [(item, 1, 10)], po_no=po.lower() + " "),
              what="same po_no in lower case with a trailing space (utf8mb4_unicode_ci)")
    c.sales_order(other, [(item, 1, 10)], po_no=po, what="another customer may use the same po_no")
    c.submit(so1, what="submit the first")
    c.refused("POST", "/api/resource/Sales Order", c.so_body(buyer, [(item, 1, 10)], po_no=po),
              what="second, while the first is submitted")
    c.do("POST", "/api/method/frappe.client.cancel", {"doctype": "Sales Order", "name": so1}, what="cancel the first")
    so2 = c.sales_order(buyer, [(item, 1, 10)], po_no=po, what="a cancelled order does not count")["name"]
    c.submit(so2)
    so3 = c.sales_order(buyer, [(item, 1, 10)], po_no=c.name("46"), what="another po_no")["name"]
    c.submit(so3)
    c.refused("PUT", f"/api/resource/Sales Order/{so3}", {"po_no": po},
              what="po_no (allow on submit) changed to one another open order holds: refused too")
    c.settings("Selling Settings", {"allow_against_multiple_purchase_orders": 1},
               what="Selling Settings: Allow Sales Order against multiple Purchase Orders")
    try:
        c.sales_order(buyer, [(item, 1, 10)], po_no=po, what="with the setting on: saved, with a warning")
    finally:
        c.settings("Selling Settings", {"allow_against_multiple_purchase_orders": 0}, what="setting put back")
    save(c, "j1_po_no_one_open_sales_order_per_customer",
         "A customer's po_no on a second Sales Order that is not cancelled (draft or submitted) is refused "
         "at validate, unless Selling Settings allow_against_multiple_purchase_orders",
         c.records, [
             "validate_po runs in validate (a draft is refused) and before an update after submit",
             "the query is ifnull(po_no,'') = %s and name != %s and docstatus < 2 and customer = %s",
             "cancelled orders (docstatus 2) do not count; another customer may use the same po_no",
         ])


def case_reserved(c: Case) -> None:
    buyer = c.customer("Reserving Buyer")
    item = c.item("RES")
    c.receive({item: 10})
    so = c.sales_order(buyer, [(item, 3, 10)])["name"]
    c.submit(so)
    c.records.append(bins(c.rec, item, what="submitted: reserved 3"))
    c.status(so, "On Hold", what="Hold")
    c.records.append(so_state(c.rec, so))
    c.records.append(bins(c.rec, item, what="On Hold: reserves nothing"))
    c.status(so, "Draft", what="Resume")
    c.records.append(so_state(c.rec, so))
    c.records.append(bins(c.rec, item, what="resumed: reserved again"))
    c.status(so, "Closed", what="Close")
    c.records.append(so_state(c.rec, so))
    c.records.append(bins(c.rec, item, what="Closed: reserves nothing"))
    c.refused("POST", "/api/method/frappe.client.cancel", {"doctype": "Sales Order", "name": so},
              what="a Closed order cannot be cancelled")
    c.status(so, "Draft", what="Re-open")
    c.records.append(so_state(c.rec, so))
    c.records.append(bins(c.rec, item, what="re-opened: reserved again"))
    sle = json.dumps([["item_code", "=", item]])
    c.records.append(c.rec.call("GET", f"/api/resource/Stock Ledger Entry?filters={sle}&fields="
                                        f"{json.dumps(['voucher_type', 'actual_qty', 'qty_after_transaction'])}",
                                what="the ledger: only the receipt (reservations write no Stock Ledger Entry)"))
    save(c, "j2_reserved_qty_hold_close_reopen",
         "Bin.reserved_qty through a Sales Order's Hold, Resume, Close and Re-open (update_status)",
         c.records, [
             "get_reserved_qty counts submitted Sales Orders whose status is not On Hold nor Closed",
             "update_status db_sets the status (on_change only) and rewrites the Bin with update_bin_qty: "
             "no Stock Ledger Entry, no Bin event; the Bin's modified moves",
         ])


def case_bundle(c: Case) -> None:
    buyer = c.customer("Bundle Buyer")
    part_a, part_b = c.item("PART-A"), c.item("PART-B")
    bundle = c.item("BUNDLE", stock=False)
    c.receive({part_a: 10, part_b: 10})
    c.do("POST", "/api/resource/Product Bundle", {
        "new_item_code": bundle, "items": [{"item_code": part_a, "qty": 2}, {"item_code": part_b, "qty": 1}],
    }, what="Product Bundle: 2 x PART-A + 1 x PART-B")
    so = c.sales_order(buyer, [(bundle, 2, 30)], what="2 bundles")["name"]
    c.submit(so)
    c.do("GET", f"/api/resource/Sales Order/{so}", what="the order and its Packed Items")
    c.records.append(bins(c.rec, part_a, part_b, bundle, what="submitted: the parts are reserved, the bundle has no Bin"))
    c.status(so, "Closed", what="Close")
    c.records.append(bins(c.rec, part_a, part_b, bundle, what="Closed"))
    c.status(so, "Draft", what="Re-open")
    c.records.append(bins(c.rec, part_a, part_b, bundle, what="re-opened"))
    save(c, "j3_reserved_qty_product_bundle",
         "A Product Bundle line reserves its Packed Items (qty = component qty x line qty), not the bundle item",
         c.records, ["get_reserved_qty reads Packed Items (item_code != parent_item) of open submitted orders"])


def case_credit_limit(c: Case) -> None:
    buyer = c.customer("Credit Buyer", credit_limits=[{"company": c.company, "credit_limit": 100}])
    item = c.item("CREDIT")
    so1 = c.sales_order(buyer, [(item, 1, 60)], what="60.00")["name"]
    c.submit(so1, what="submit 60 of a limit of 100: accepted")
    so2 = c.sales_order(buyer, [(item, 1, 60)], what="another 60.00 (a draft does not count)")["name"]
    # a run interrupted before its clean-up leaves its controller user behind (seen: the next run's
    # "no user holds the role" case then named it); those go first, outside the recorded exchanges
    left = c.rec.call("GET", "/api/resource/User?filters=" + json.dumps([["name", "like", "sscap-%-credit@example.com"]]),
                      what="controller users left by an interrupted run")
    for row in (c.rec.ok(left) or []):
        c.rec.call("DELETE", f"/api/resource/User/{row['name']}", what="left-over controller user removed")
    c.refused("PUT", f"/api/resource/Sales Order/{so2}", {"docstatus": 1},
              what="submit: 120 > 100, no user holds Sales Master Manager")
    c.records.append(so_state(c.rec, so2, what="the refused order is still a draft"))
    email = f"sscap-{c.tag}-credit@example.com"
    user = c.do("POST", "/api/resource/User", {
        "email": email, "first_name": "SSCAP", "last_name": "Controller", "send_welcome_email": 0,
        "roles": [{"role": "Sales Master Manager"}],
    }, what="a user with the role Sales Master Manager")["name"]
    try:
        c.refused("PUT", f"/api/resource/Sales Order/{so2}", {"docstatus": 1},
                  what="submit: 120 > 100, the message names the users to ask")
    finally:
        c.do("DELETE", f"/api/resource/User/{user}", what="the user removed")
    c.do("PUT", f"/api/resource/Customer/{buyer}",
         {"credit_limits": [{"company": c.company, "credit_limit": 100, "bypass_credit_limit_check": 1}]},
         what="tick Bypass Credit Limit Check at Sales Order")
    c.submit(so2, what="submit with the bypass: accepted")
    c.do("PUT", f"/api/resource/Customer/{buyer}",
         {"credit_limits": [{"company": c.company, "credit_limit": 100, "bypass_credit_limit_check": 0}]},
         what="bypass unticked")
    c.status(so2, "Closed", what="Close the second (a Closed order is not outstanding)")
    c.status(so2, "Draft", what="Re-open: 120 > 100 again, refused", expect_ok=False)
    c.records.append(so_state(c.rec, so2, what="the re-open was rolled back: still Closed"))
    c.do("PUT", f"/api/resource/Customer/{buyer}",
         {"credit_limits": [{"company": c.company, "credit_limit": 200, "bypass_credit_limit_check": 0}]},
         what="limit raised to 200")
    c.status(so2, "Draft", what="Re-open: accepted")
    save(c, "j4_credit_limit_on_submit",
         "Customer credit limit: checked when a Sales Order is submitted (the order itself counts) and re-opened",
         c.records, [
             "check_credit_limit runs in on_submit: the insert as a draft is accepted",
             "outstanding = ledger + unbilled part of submitted, not Closed Sales Orders + unbilled Delivery Notes",
             "without any user holding Sales Master Manager (Administrator is never listed), the message is "
             "'Please contact your administrator to extend the credit limits for <customer>.'",
         ])


def case_selling_price(c: Case) -> None:
    buyer = c.customer("Cheap Buyer")
    item = c.item("VAL")
    c.receive({item: 10}, rate=8.0)
    c.settings("Selling Settings", {"validate_selling_price": 1},
               what="Selling Settings: Validate Selling Price for Item Against Purchase Rate or Valuation Rate")
    try:
        c.refused("POST", "/api/resource/Sales Order", c.so_body(buyer, [(item, 1, 5)]),
                  what="a DRAFT at 5.00 below the valuation rate 8.00: refused at validate")
        c.sales_order(buyer, [(item, 1, 8)], what="at the valuation rate: accepted")
    finally:
        c.settings("Selling Settings", {"validate_selling_price": 0}, what="setting put back")
    c.sales_order(buyer, [(item, 1, 5)], what="setting off: 5.00 accepted")
    save(c, "j5_selling_price_below_valuation_rate",
         "Selling Settings validate_selling_price: a line below the item's valuation rate is refused at validate",
         c.records, ["validate_selling_price compares base_net_rate with the Bin's valuation_rate (and the "
                     "item's last_purchase_rate); it runs in validate, so even a draft is refused"])


CASES = [case_po_no, case_reserved, case_bundle, case_credit_limit, case_selling_price]


def capture(url: str, user: str, password: str, out: pathlib.Path, tag: str = "", company: str = "",
            only: list[str] | None = None) -> str:
    """Run the cases against the site at ``url``, writing the goldens into ``out``; returns the tag."""
    rec = Recorder(url, user, password)
    company = company or rec.ok(rec.call("GET", "/api/resource/Company"))[0]["name"]
    abbr = rec.ok(rec.call("GET", f"/api/resource/Company/{company}"))["abbr"]
    today = dt.date.today().isoformat()
    tag = tag or secrets.token_hex(2)
    for case in CASES:
        if only and case.__name__ not in only:
            continue
        case(Case(rec, tag, company, abbr, today, pathlib.Path(out)))
    return tag


def capture_rest(args) -> int:
    capture(args.url, args.user, args.password, pathlib.Path(args.out), args.tag, args.company, args.only)
    return 0


# ====================================================================== meta (inside a bench)
LAYOUT = {"Section Break", "Column Break", "Tab Break", "HTML", "Button", "Heading", "Fold"}
FIELD_KEYS = ("fieldname", "fieldtype", "label", "reqd", "options", "default", "unique", "read_only", "hidden",
              "allow_on_submit", "depends_on", "mandatory_depends_on", "fetch_from", "no_copy", "precision", "length")


def capture_meta(args) -> int:
    import frappe

    frappe.init(site=args.site, sites_path=".")
    frappe.connect()
    try:
        index_path = ERP_CAPTURES / "meta" / "index.json"
        selects_path = ERP_CAPTURES / "select_options.json"
        index = json.loads(index_path.read_text())
        selects = json.loads(selects_path.read_text())
        for doctype in META_DOCTYPES:
            meta = frappe.get_meta(doctype)
            out = {"doctype": doctype}
            for key in ("module", "istable", "issingle", "is_submittable", "is_tree", "autoname", "naming_rule",
                        "title_field", "search_fields", "track_changes", "allow_rename", "quick_entry"):
                out[key] = meta.get(key)
            out["standard_fields"] = ["name", "owner", "creation", "modified", "modified_by", "docstatus", "idx"] + (
                ["parent", "parentfield", "parenttype"] if meta.istable else [])
            fields = []
            for df in meta.fields:
                if df.fieldtype in LAYOUT:
                    continue
                row = {k: df.get(k) for k in FIELD_KEYS}
                for k in ("reqd", "unique", "read_only", "hidden", "allow_on_submit", "no_copy", "length"):
                    row[k] = int(row[k] or 0)
                row["is_custom_field"] = int(bool(df.get("is_custom_field")))
                fields.append(row)
            out["fields"] = fields
            stem = doctype.lower().replace(" ", "_")
            (ERP_CAPTURES / "meta" / f"{stem}.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
            entry = {
                "doctype": doctype, "file": f"meta/{stem}.json", "field_count": len(fields),
                "istable": meta.istable or 0, "issingle": meta.issingle or 0, "is_submittable": meta.is_submittable or 0,
                "autoname": meta.autoname, "mandatory": [f["fieldname"] for f in fields if f["reqd"]],
                "mandatory_depends_on": {f["fieldname"]: f["mandatory_depends_on"] for f in fields if f["mandatory_depends_on"]},
                "unique": [f["fieldname"] for f in fields if f["unique"]],
                "allow_on_submit": [f["fieldname"] for f in fields if f["allow_on_submit"]],
                "custom_fields": [f["fieldname"] for f in fields if f["is_custom_field"]],
            }
            known = [e["doctype"] for e in index["doctypes"]]
            if doctype in known:
                index["doctypes"][known.index(doctype)] = entry
            else:
                index["doctypes"].append(entry)
            sel = {f["fieldname"]: {"options": (f["options"] or "").split("\n"), "default": f["default"], "reqd": f["reqd"]}
                   for f in fields if f["fieldtype"] == "Select"}
            if sel:
                selects["doctypes"][doctype] = sel
            print("meta", doctype, len(fields), "fields")
        index_path.write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n")
        if any(dt in selects["doctypes"] for dt in META_DOCTYPES):
            selects_path.write_text(json.dumps(selects, indent=1, ensure_ascii=False))
    finally:
        frappe.destroy()
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="Administrator")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--company", default="")
    parser.add_argument("--tag", default="", help="the run's tag in every name (default: random)")
    parser.add_argument("--only", nargs="*", help="case function names to run")
    parser.add_argument("--out", default=str(ERP_CAPTURES / "golden"), help="where the goldens go")
    parser.add_argument("--meta", action="store_true", help="capture the metas (run inside the bench)")
    parser.add_argument("--site", default="test.local")
    args = parser.parse_args(argv)
    return capture_meta(args) if args.meta else capture_rest(args)


if __name__ == "__main__":
    sys.exit(main())
