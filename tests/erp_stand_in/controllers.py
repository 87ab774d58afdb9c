"""ERPNext's per-doctype behaviour, as observed on the captured site.

A controller gets the document being written as a plain dict and may fill it in (missing values,
computed totals) or raise the errors ERPNext raises. Hooks, in the order MemoryERP calls them:
before_insert, before_validate (before link checks: ERPNext looks the customer and items up first,
which is why an unknown customer or item on a Sales Order gives DoesNotExistError, not
LinkValidationError), autoname, validate, before_submit, after_insert, on_update / on_submit,
before_cancel, on_cancel, before_update_after_submit, on_update_after_submit, on_trash.
"""

from __future__ import annotations

import copy
import json
import re

from shopsync.erp import errors as E

from . import errors as X
from . import selling, stock
from .memory_erp import ADMIN, bold, ci
from .rounding import cint, flt
from .taxes import calculate_taxes_and_totals


class Controller:
    ignore_linked_doctypes: tuple[str, ...] = ()

    def __init__(self, erp, doctype: str):
        self.erp = erp
        self.doctype = doctype
        self.spec = erp.meta.get(doctype)

    def before_insert(self, doc):
        pass

    def before_validate(self, doc, old):
        pass

    def autoname(self, doc):
        return None

    def validate(self, doc, old):
        pass

    def before_submit(self, doc):
        pass

    def after_insert(self, doc):
        pass

    def on_update(self, doc, old):
        pass

    def on_submit(self, doc, via_insert: bool):
        pass

    def before_cancel(self, doc):
        pass

    def on_cancel(self, doc):
        pass

    def before_update_after_submit(self, doc, old):
        pass

    def on_update_after_submit(self, doc, old):
        pass

    def on_trash(self, doc):
        pass

    # ---------------------------------------------------------------- shared helpers
    def company(self, doc=None) -> dict:
        name = (doc or {}).get("company") or self.erp.user_defaults.get("company")
        return self.erp._get_raw("Company", name) or {}

    def single(self, doctype: str, field: str):
        return self.erp.get_single_value(doctype, field)

    def today(self) -> str:
        return self.erp.clock.today()


# ==================================================================== parties, contacts, addresses
class Customer(Controller):
    def before_validate(self, doc, old):
        if isinstance(doc.get("customer_name"), str):
            doc["customer_name"] = doc["customer_name"].strip()

    def autoname(self, doc):
        mode = self.single("Selling Settings", "cust_master_name") or "Customer Name"
        if mode != "Customer Name":
            return None
        base = doc.get("customer_name") or ""
        if not base:
            return None
        if self.erp._resolve("Customer", base) is None:
            return base
        pattern = re.compile(r"^.*" + re.escape(ci(base)) + r" - .*$", re.DOTALL)
        highest = 0
        for other in self.erp._all("Customer"):
            if pattern.match(ci(other["name"])):
                highest = max(highest, cint(other["name"].rsplit(" ", 1)[-1]) if other["name"].rsplit(" ", 1)[-1].isdigit() else 0)
        name = f"{base} - {highest + 1}"
        self.erp.msgprint(f"Changed customer name to '{name}' as '{base}' already exists.")
        return name

    def on_update(self, doc, old):
        erp = self.erp
        if erp._get_raw("Customer Group", doc["name"]) is not None:
            raise E.ValidationError(
                "A Customer Group exists with same name please change the Customer name or rename the Customer Group"
            )
        stored = erp._get_raw("Customer", doc["name"])
        updates = {}
        if not stored.get("customer_primary_contact") and (doc.get("mobile_no") or doc.get("email_id")):
            contact = {
                "doctype": "Contact",
                "is_primary_contact": 1,
                "links": [{"link_doctype": "Customer", "link_name": doc["name"]}],
                "email_ids": [],
                "phone_nos": [],
            }
            if doc.get("customer_type") == "Individual":
                names = (doc.get("customer_name") or "").split()
                contact["first_name"] = names[0] if names else doc["name"]
                if len(names) > 2:
                    contact["middle_name"] = " ".join(names[1:-1])
                if len(names) > 1:
                    contact["last_name"] = names[-1]
            else:
                contact["company_name"] = doc.get("customer_name")
            if doc.get("email_id"):
                contact["email_ids"].append({"email_id": doc["email_id"], "is_primary": 1})
            if doc.get("mobile_no"):
                contact["phone_nos"].append({"phone": doc["mobile_no"], "is_primary_mobile_no": 1})
            made = erp._insert(contact)
            updates.update(customer_primary_contact=made["name"], mobile_no=doc.get("mobile_no"), email_id=doc.get("email_id"))
        if old is None and doc.get("address_line1"):
            missing = [f for f in ("city", "country") if not doc.get(f)]
            if missing:
                items = "\n".join(f"<li>{f.title()}</li>" for f in missing)
                raise E.ValidationError(f"Following fields are mandatory to create address: <br><br> <ul>{items}</ul>")
            address = erp._insert({
                "doctype": "Address",
                "address_title": doc.get("customer_name"),
                "address_line1": doc.get("address_line1"),
                "address_line2": doc.get("address_line2"),
                "city": doc.get("city"),
                "state": doc.get("state"),
                "pincode": doc.get("pincode"),
                "country": doc.get("country"),
                "is_primary_address": 1,
                "is_shipping_address": 1,
                "links": [{"link_doctype": "Customer", "link_name": doc["name"]}],
            })
            updates["customer_primary_address"] = address["name"]
        if updates:
            erp._db_set("Customer", doc["name"], updates)

    def on_trash(self, doc):
        delete_contact_and_address(self.erp, "Customer", doc["name"])


def delete_contact_and_address(erp, doctype: str, name: str) -> None:
    for parenttype in ("Contact", "Address"):
        parents = [
            p for p in erp._all(parenttype)
            if any(r.get("link_doctype") == doctype and ci(r.get("link_name")) == ci(name) for r in p.get("links") or ())
        ]
        parents.sort(key=lambda p: p.get("creation") or "", reverse=True)
        for parent in parents:
            if len(parent.get("links") or ()) == 1:
                erp._delete(parenttype, parent["name"])
            else:
                links = [
                    {k: v for k, v in r.items()} for r in parent["links"]
                    if not (r.get("link_doctype") == doctype and ci(r.get("link_name")) == ci(name))
                ]
                erp._update(parenttype, parent["name"], {"links": links})


def link_title(erp, link_doctype: str, link_name: str):
    linked = erp._get_raw(link_doctype, link_name)
    if linked is None:
        return None
    spec = erp.meta.get(link_doctype)
    field = spec.title_field if spec is not None else None
    if link_doctype == "Customer":
        field = "customer_name"
    return linked.get(field) if field else linked.get("name")


def _dedupe_links(doc) -> None:
    seen, rows = set(), []
    for r in doc.get("links") or []:
        key = (r.get("link_doctype"), ci(r.get("link_name")))
        if key in seen:
            continue
        seen.add(key)
        rows.append(r)
    doc["links"] = rows


class Address(Controller):
    def autoname(self, doc):
        if not doc.get("address_title") and doc.get("links"):
            doc["address_title"] = doc["links"][0].get("link_name")
        title = str(doc.get("address_title") or "").strip()
        if not title:
            raise E.ValidationError("Address Title is mandatory.")
        kind = str(doc.get("address_type") or "").strip()
        name = f"{title}-{kind}"
        if self.erp._resolve("Address", name) is not None:
            name = self.erp.make_autoname(f"{title}-{kind}-.#")
        return name

    def validate(self, doc, old):
        erp = self.erp
        _dedupe_links(doc)
        for row in doc.get("links") or []:
            row["link_title"] = link_title(erp, row.get("link_doctype"), row.get("link_name"))
        if cint(doc.get("is_your_company_address")) and not any(r.get("link_doctype") == "Company" for r in doc.get("links") or ()):
            raise E.ValidationError(
                "Address needs to be linked to a Company. Please add a row for Company in the Links table."
            )
        for field in ("is_primary_address", "is_shipping_address"):
            if not cint(doc.get(field)):
                continue
            for row in doc.get("links") or []:
                for other in erp._all("Address"):
                    if other["name"] == doc.get("name") or not cint(other.get(field)):
                        continue
                    if any(r.get("link_doctype") == row.get("link_doctype") and ci(r.get("link_name")) == ci(row.get("link_name"))
                           for r in other.get("links") or ()):
                        erp._db_set("Address", other["name"], {field: 0})


class Contact(Controller):
    def before_validate(self, doc, old):
        doc["full_name"] = full_name(doc)

    def autoname(self, doc):
        name = full_name(doc)
        for row in doc.get("links") or []:
            name = f"{name}-{str(row.get('link_name') or '').strip()}"
            break
        if self.erp._resolve("Contact", name) is not None:
            name = append_number_if_name_exists(self.erp, "Contact", name)
        return name

    def validate(self, doc, old):
        erp = self.erp
        doc["full_name"] = full_name(doc)
        emails = doc.get("email_ids") or []
        if not emails:
            doc["email_id"] = ""
        else:
            primaries = [e for e in emails if cint(e.get("is_primary"))]
            if len(primaries) > 1:
                raise E.ValidationError(f"Only one {bold('Email ID')} can be set as primary.")
            doc["email_id"] = str(primaries[0]["email_id"]).strip() if primaries else ""
        phones = doc.get("phone_nos") or []
        for fieldname, label in (("phone", "Phone"), ("mobile_no", "Mobile No")):
            if not phones:
                doc[fieldname] = ""
                continue
            primaries = [p for p in phones if cint(p.get("is_primary_" + fieldname))]
            if len(primaries) > 1:
                raise E.ValidationError(f"Only one {bold(label)} can be set as primary.")
            doc[fieldname] = primaries[0]["phone"] if primaries else ""
        _dedupe_links(doc)
        for row in doc.get("links") or []:
            row["link_title"] = link_title(erp, row.get("link_doctype"), row.get("link_name"))


def full_name(doc) -> str:
    name = " ".join(str(p).strip() for p in (doc.get("first_name"), doc.get("middle_name"), doc.get("last_name")) if p and str(p).strip())
    if not name and doc.get("company_name"):
        name = str(doc["company_name"])
    return name


def append_number_if_name_exists(erp, doctype: str, value: str, separator: str = "-") -> str:
    highest = 0
    prefix = ci(value + separator)
    for other in erp._all(doctype):
        key = ci(other["name"])
        if key.startswith(prefix) and key[len(prefix):].isdigit():
            highest = max(highest, int(key[len(prefix):]))
    return f"{value}{separator}{highest + 1}"


class User(Controller):
    def autoname(self, doc):
        email = str(doc.get("email") or "").strip().lower()
        doc["email"] = email
        return email or None

    def validate(self, doc, old):
        doc["full_name"] = " ".join(str(p) for p in (doc.get("first_name"), doc.get("middle_name"), doc.get("last_name")) if p)
        if not doc.get("username") and doc.get("email"):
            base = re.sub(r"[^a-z0-9_]", "", doc["email"].split("@")[0].lower()) or "user"
            username, n = base, 0
            while any(ci(u.get("username")) == ci(username) for u in self.erp._all("User") if u["name"] != doc.get("name")):
                n += 1
                username = f"{base}{n}"
            doc["username"] = username
        if not doc.get("user_type") or doc.get("user_type") == "System User":
            doc["user_type"] = "Website User" if not doc.get("roles") else doc.get("user_type") or "System User"


# ==================================================================== items
class Item(Controller):
    def before_validate(self, doc, old):
        erp = self.erp
        if isinstance(doc.get("item_code"), str):
            doc["item_code"] = doc["item_code"].strip()
        if not doc.get("item_name"):
            doc["item_name"] = doc.get("item_code")
        if not doc.get("stock_uom"):
            doc["stock_uom"] = self.single("Stock Settings", "stock_uom") or "Nos"
        if old is None and not doc.get("item_defaults"):
            company = self.company()
            warehouse = self.single("Stock Settings", "default_warehouse")
            wh = erp._get_raw("Warehouse", warehouse)
            if company.get("name"):
                row = {"company": company["name"]}
                if wh is not None and wh.get("company") == company["name"]:
                    row["default_warehouse"] = wh["name"]
                doc["item_defaults"] = [row]
        uoms = doc.get("uoms") or []
        if doc.get("stock_uom") and not any(ci(r.get("uom")) == ci(doc["stock_uom"]) for r in uoms):
            uoms.append({"uom": doc["stock_uom"], "conversion_factor": 1.0})
        doc["uoms"] = uoms
        if doc.get("variant_of"):
            for row in doc.get("attributes") or []:
                row["variant_of"] = doc["variant_of"]

    def autoname(self, doc):
        if not doc.get("item_code"):
            raise E.ValidationError("Item Code is mandatory because Item is not automatically numbered")
        return doc["item_code"]

    def validate(self, doc, old):
        erp = self.erp
        if not doc.get("description"):
            doc["description"] = doc.get("item_name")
        for row in doc.get("uoms") or []:
            if ci(row.get("uom")) == ci(doc.get("stock_uom")) and flt(row.get("conversion_factor")) != 1:
                raise E.ValidationError(
                    f"Conversion factor for default Unit of Measure must be 1 in row {row.get('idx')}"
                )
        companies = [r.get("company") for r in doc.get("item_defaults") or []]
        if len(companies) != len(set(companies)):
            raise E.ValidationError("Cannot set multiple Item Defaults for a company.")
        barcode_options = erp.meta["Item Barcode"].get_field("barcode_type").select_options
        for row in doc.get("barcodes") or []:
            if not row.get("barcode"):
                continue
            for parent, other in erp._child_rows("Item Barcode"):
                if ci(other.get("barcode")) == ci(row["barcode"]) and ci(parent["name"]) != ci(doc.get("name")):
                    raise E.ValidationError(f"Barcode {row['barcode']} already used in Item {parent['name']}")
            if row.get("barcode_type") not in barcode_options:
                row["barcode_type"] = ""
        if (cint(doc.get("has_variants")) or doc.get("variant_of")) and doc.get("variant_based_on", "Item Attribute") == "Item Attribute":
            if not doc.get("attributes"):
                raise E.ValidationError("Attribute table is mandatory")
            seen = set()
            for row in doc["attributes"]:
                if row.get("attribute") in seen:
                    raise E.ValidationError(f"Attribute {row.get('attribute')} selected multiple times in Attributes Table")
                seen.add(row.get("attribute"))
        if cint(doc.get("is_fixed_asset")) and cint(doc.get("is_stock_item")):
            raise E.ValidationError("Fixed Asset Item must be a non-stock item.")
        if doc.get("variant_of"):
            self.validate_variant(doc)
        if old is not None and self.has_stock_transactions(doc["name"]):
            if ci(old.get("stock_uom")) != ci(doc.get("stock_uom")):
                raise E.ValidationError(
                    f"Default Unit of Measure for Item {doc['name']} cannot be changed directly because you have "
                    "already made some transaction(s) with another UOM. You need to either cancel the linked "
                    "documents or create a new Item."
                )
            for field in ("is_stock_item", "has_serial_no", "has_batch_no", "valuation_method"):
                if (old.get(field) or 0) != (doc.get(field) or 0):
                    raise E.ValidationError(
                        f"As there are existing transactions against item {doc['name']}, you can not change the value "
                        f"of {bold(self.spec.label(field))}"
                    )

    def has_stock_transactions(self, item_code) -> bool:
        return any(ci(s.get("item_code")) == ci(item_code) for s in self.erp._all("Stock Ledger Entry"))

    def validate_variant(self, doc):
        erp = self.erp
        template = erp._get_raw("Item", doc["variant_of"])
        if template is None or not cint(template.get("has_variants")):
            raise E.ValidationError(f"Item {doc['variant_of']} is not a template Item")
        values = {}
        for row in doc.get("attributes") or []:
            attribute = erp._get_raw("Item Attribute", row.get("attribute")) or {}
            value = row.get("attribute_value")
            values[row.get("attribute")] = value
            if cint(attribute.get("numeric_values")):
                continue
            allowed = [ci(v.get("attribute_value")) for v in attribute.get("item_attribute_values") or ()]
            if ci(value) not in allowed:
                raise X.InvalidItemAttributeValueError(
                    f"Value {value} for Attribute {row.get('attribute')} does not exist in the list of valid Item "
                    f"Attribute Values for Item {doc['variant_of']}"
                )
        for other in erp._all("Item"):
            if other["name"] == doc.get("name") or ci(other.get("variant_of")) != ci(doc["variant_of"]):
                continue
            theirs = {r.get("attribute"): r.get("attribute_value") for r in other.get("attributes") or ()}
            if {k: ci(v) for k, v in theirs.items()} == {k: ci(v) for k, v in values.items()}:
                raise X.ItemVariantExistsError(f"Item variant {other['name']} exists with same attributes")

    def after_insert(self, doc):
        erp = self.erp
        if flt(doc.get("standard_rate")):
            price_list = self.single("Selling Settings", "selling_price_list") or "Standard Selling"
            erp._insert({
                "doctype": "Item Price",
                "price_list": price_list,
                "item_code": doc["name"],
                "uom": doc.get("stock_uom"),
                "brand": doc.get("brand"),
                "currency": self.company().get("default_currency"),
                "price_list_rate": doc["standard_rate"],
            })
        if flt(doc.get("opening_stock")) and cint(doc.get("is_stock_item")):
            rate = flt(doc.get("valuation_rate")) or flt(doc.get("standard_rate"))
            if not rate:
                raise E.ValidationError("Valuation Rate is mandatory if Opening Stock entered")
            for default in doc.get("item_defaults") or [{"company": self.company().get("name")}]:
                warehouse = default.get("default_warehouse") or self.single("Stock Settings", "default_warehouse")
                if not warehouse:
                    continue
                erp._insert({
                    "doctype": "Stock Entry",
                    "stock_entry_type": "Material Receipt",
                    "company": default.get("company"),
                    "docstatus": 1,
                    "items": [{"item_code": doc["name"], "qty": doc["opening_stock"], "t_warehouse": warehouse, "basic_rate": rate}],
                })

    def on_trash(self, doc):
        erp = self.erp
        for b in list(erp._all("Bin")):
            if ci(b.get("item_code")) == ci(doc["name"]):
                erp._remove("Bin", b["name"])
        for price in list(erp._all("Item Price")):
            if ci(price.get("item_code")) == ci(doc["name"]):
                erp._remove("Item Price", price["name"])
        for variant in list(erp._all("Item")):
            if ci(variant.get("variant_of")) == ci(doc["name"]):
                erp._delete("Item", variant["name"])


def make_variant(erp, template: str, attributes: dict) -> dict:
    """ERPNext's ``create_variant``: an unsaved Item (not validated until inserted)."""
    item = erp._get_raw("Item", template)
    if item is None:
        raise E.DoesNotExistError(f"Item {template} not found")
    variant = {"doctype": "Item", "variant_based_on": "Item Attribute"}
    variant["attributes"] = [
        {"attribute": row.get("attribute"), "attribute_value": attributes.get(row.get("attribute"))}
        for row in item.get("attributes") or ()
    ]
    exclude = {"naming_series", "item_code", "item_name", "published_in_website", "opening_stock", "variant_of",
               "valuation_rate", "has_variants", "attributes", "name", "description"}
    copy_fields = {"item_group", "stock_uom", "is_stock_item", "include_item_in_manufacturing", "is_sales_item",
                   "is_purchase_item", "end_of_life", "uoms", "item_defaults", "taxes", "brand", "weight_uom",
                   "weight_per_unit", "disabled", "variant_based_on", "valuation_method", "allow_negative_stock",
                   "grant_commission", "is_fixed_asset"}
    spec = erp.meta["Item"]
    for f in spec.fields:
        if (f.reqd or f.fieldname in copy_fields) and f.fieldname not in exclude and item.get(f.fieldname) is not None:
            value = copy.deepcopy(item[f.fieldname])
            if f.is_table:
                value = [{k: v for k, v in row.items() if k not in ("name", "parent", "creation", "modified")} for row in value]
            variant[f.fieldname] = value
    variant["variant_of"] = item["name"]
    variant["description"] = ""
    abbreviations = []
    for row in variant["attributes"]:
        attribute = erp._get_raw("Item Attribute", row["attribute"])
        if attribute is None:
            continue
        if cint(attribute.get("numeric_values")):
            abbreviations.append(str(row["attribute_value"]))
            continue
        for value in attribute.get("item_attribute_values") or ():
            if ci(value.get("attribute_value")) == ci(row["attribute_value"]):
                abbreviations.append(value.get("abbr"))
                break
    if abbreviations:
        variant["item_code"] = f"{item['name']}-{'-'.join(abbreviations)}"
        variant["item_name"] = f"{item.get('item_name')}-{'-'.join(abbreviations)}"
    return erp.new_doc("Item", variant)


class ItemAttribute(Controller):
    def validate(self, doc, old):
        values, abbrs = [], []
        for row in doc.get("item_attribute_values") or []:
            if ci(row.get("attribute_value")) in values:
                raise E.ValidationError(f"Attribute value: {str(row.get('attribute_value')).title()} must appear only once")
            values.append(ci(row.get("attribute_value")))
            if ci(row.get("abbr")) in abbrs:
                raise E.ValidationError(f"Abbreviation: {str(row.get('abbr')).title()} must appear only once")
            abbrs.append(ci(row.get("abbr")))


class ItemPrice(Controller):
    def before_validate(self, doc, old):
        item = self.erp._get_raw("Item", doc.get("item_code"))
        if item is not None and not doc.get("uom"):
            doc["uom"] = item.get("stock_uom")

    def validate(self, doc, old):
        erp = self.erp
        item = erp._get_raw("Item", doc.get("item_code"))
        if item is None:
            raise E.ValidationError(f"Item {doc.get('item_code')} not found.")
        if doc.get("valid_upto") and doc.get("valid_from") and doc["valid_upto"] < doc["valid_from"]:
            raise E.ValidationError("Valid From Date must be lesser than Valid Upto Date.")
        price_list = erp._get_raw("Price List", doc.get("price_list"))
        if price_list is None or not cint(price_list.get("enabled")):
            raise E.ValidationError(
                f'The price list <a href="/app/price-list/{doc.get("price_list")}">{doc.get("price_list")}</a> does not exist or is disabled'
            )
        doc["buying"], doc["selling"], doc["currency"] = (
            cint(price_list.get("buying")), cint(price_list.get("selling")), price_list.get("currency"))
        doc["item_name"], doc["item_description"] = item.get("item_name"), item.get("description")
        for other in erp._all("Item Price"):
            if other["name"] == doc.get("name"):
                continue
            if ci(other.get("item_code")) != ci(doc.get("item_code")) or ci(other.get("price_list")) != ci(doc.get("price_list")):
                continue
            same = True
            for field in ("uom", "valid_from", "valid_upto", "customer", "supplier", "batch_no", "packing_unit"):
                mine, theirs = doc.get(field) or None, other.get(field) or None
                if field == "packing_unit":
                    mine, theirs = cint(mine) or None, cint(theirs) or None
                if ci(mine) != ci(theirs):
                    same = False
                    break
            if same:
                raise X.ItemPriceDuplicateItem(
                    "Item Price appears multiple times based on Price List, Supplier/Customer, Currency, Item, Batch, "
                    "UOM, Qty, and Dates."
                )
        if cint(item.get("has_variants")):
            raise E.ValidationError(f"Item Price cannot be created for the template item {bold(item['name'])}")


class ItemTaxTemplate(Controller):
    def autoname(self, doc):
        abbr = self.company(doc).get("abbr")
        title = str(doc.get("title") or "").strip()
        if abbr and title and not title.endswith(f" - {abbr}"):
            return f"{title} - {abbr}"
        return title or None

    def validate(self, doc, old):
        seen = set()
        for row in doc.get("taxes") or []:
            account = self.erp._get_raw("Account", row.get("tax_type")) or {}
            if account and account.get("account_type") not in (
                "Tax", "Chargeable", "Income Account", "Expense Account", "Expenses Included In Valuation"
            ):
                raise E.ValidationError(
                    f"Item Tax Row {row.get('idx')} must have account of type Tax or Income or Expense or Chargeable"
                )
            if row.get("tax_type") in seen:
                raise E.ValidationError(f"{row.get('tax_type')} entered twice in Item Tax")
            seen.add(row.get("tax_type"))


# ==================================================================== selling documents
def get_item_price(erp, item_code: str, price_list: str, uom: str | None, date: str | None, currency: str | None):
    best = None
    for price in erp._all("Item Price"):
        if ci(price.get("item_code")) != ci(item_code) or ci(price.get("price_list")) != ci(price_list):
            continue
        if uom and price.get("uom") and ci(price["uom"]) != ci(uom):
            continue
        if price.get("customer") or price.get("supplier") or price.get("batch_no"):
            continue
        if date and price.get("valid_from") and price["valid_from"] > date:
            continue
        if date and price.get("valid_upto") and price["valid_upto"] < date:
            continue
        if best is None or (price.get("valid_from") or "") > (best.get("valid_from") or ""):
            best = price
    return best


def item_tax_rate_json(erp, template_name) -> str:
    if not template_name:
        return "{}"
    template = erp._get_raw("Item Tax Template", template_name)
    if template is None:
        return "{}"
    rates = {row.get("tax_type"): flt(row.get("tax_rate")) for row in template.get("taxes") or ()}
    return json.dumps(rates)


def exchange_rate(erp, from_currency: str, to_currency: str, date: str | None) -> float | None:
    """The latest Currency Exchange on or before ``date`` (either direction), as ERPNext looks it up."""
    best = None
    for rec in erp._all("Currency Exchange"):
        if date and (rec.get("date") or "") > date:
            continue
        if rec.get("from_currency") == from_currency and rec.get("to_currency") == to_currency:
            rate = flt(rec.get("exchange_rate"))
        elif rec.get("from_currency") == to_currency and rec.get("to_currency") == from_currency and flt(rec.get("exchange_rate")):
            rate = 1 / flt(rec["exchange_rate"])
        else:
            continue
        if best is None or (rec.get("date") or "") > best[0]:
            best = (rec.get("date") or "", rate)
    return best[1] if best else None


def validate_uom_is_integer(erp, doc, uom_field: str, qty_field: str) -> None:
    for row in doc.get("items") or []:
        uom = erp._get_raw("UOM", row.get(uom_field))
        if uom is None or not cint(uom.get("must_be_whole_number")):
            continue
        qty = flt(row.get(qty_field))
        if abs(qty - round(qty)) > 1e-9:
            raise E.UOMMustBeIntegerError(
                f"Row {row.get('idx')}: Quantity ({qty}) cannot be a fraction. To allow this, disable "
                f"'{bold('Must be Whole Number')}' in UOM {bold(row.get(uom_field))}."
            )


def default_address(erp, doctype: str, name: str, field: str) -> str | None:
    rows = [
        a for a in erp._all("Address")
        if not cint(a.get("disabled")) and any(
            r.get("link_doctype") == doctype and ci(r.get("link_name")) == ci(name) for r in a.get("links") or ())
    ]
    if field == "shipping":
        rows = [a for a in rows if a.get("address_type") == "Shipping" or cint(a.get("is_shipping_address"))]
        rows.sort(key=lambda a: (cint(a.get("is_shipping_address")), a.get("address_type") or ""), reverse=True)
        return rows[0]["name"] if rows else None
    for a in rows:
        if cint(a.get("is_primary_address")) or len(rows) == 1:
            return a["name"]
    return None


def default_contact(erp, doctype: str, name: str) -> str | None:
    rows = [
        c for c in erp._all("Contact")
        if any(r.get("link_doctype") == doctype and ci(r.get("link_name")) == ci(name) for r in c.get("links") or ())
    ]
    rows.sort(key=lambda c: (cint(c.get("is_primary_contact")), cint(c.get("is_billing_contact"))), reverse=True)
    for c in rows:
        if cint(c.get("is_primary_contact")) or cint(c.get("is_billing_contact")):
            return c["name"]
    return None


class SellingDocument(Controller):
    """Sales Order, Sales Invoice and Delivery Note: set_missing_values, totals, common checks."""

    date_field = "transaction_date"
    ignore_linked_doctypes = ("GL Entry", "Stock Ledger Entry", "Payment Ledger Entry")

    def before_validate(self, doc, old):
        self.validate_qty_is_not_zero(doc)
        self.set_missing_values(doc)

    def validate_qty_is_not_zero(self, doc):
        if cint(doc.get("is_return")):
            return
        for row in doc.get("items") or []:
            if not flt(row.get("qty")):
                raise E.InvalidQtyError(f"Row #{row.get('idx') or (doc['items'].index(row) + 1)}: Quantity for Item {bold(row.get('item_code'))} cannot be zero.")

    def set_missing_values(self, doc):
        erp = self.erp
        if not doc.get(self.date_field):
            doc[self.date_field] = self.today()
        company = self.company(doc)
        if not doc.get("company") and company:
            doc["company"] = company["name"]
        if doc.get("customer"):
            customer = erp._get_raw("Customer", doc["customer"])
            if customer is None:
                raise E.DoesNotExistError(f"Customer {doc['customer']} not found")
            if cint(customer.get("disabled")):
                raise X.PartyDisabled(f"Customer {customer['name']} is disabled")
            doc["customer"] = customer["name"]
            doc["customer_name"] = customer.get("customer_name")
            for field in ("customer_group", "territory", "tax_id"):
                if not doc.get(field) and customer.get(field) and self.spec.has_field(field):
                    doc[field] = customer[field]
            if not doc.get("customer_address"):
                doc["customer_address"] = default_address(erp, "Customer", customer["name"], "billing")
            if not doc.get("shipping_address_name"):
                doc["shipping_address_name"] = default_address(erp, "Customer", customer["name"], "shipping")
            if not doc.get("contact_person"):
                doc["contact_person"] = default_contact(erp, "Customer", customer["name"])
        company_currency = company.get("default_currency")
        if not doc.get("currency"):
            doc["currency"] = company_currency
        if doc.get("currency") == company_currency:
            doc["conversion_rate"] = 1.0
        elif not flt(doc.get("conversion_rate")):
            rate = exchange_rate(erp, doc["currency"], company_currency, doc.get(self.date_field))
            if not rate:
                raise E.ValidationError(
                    f"Exchange Rate is mandatory. Maybe Currency Exchange record is not created for "
                    f"{doc['currency']} to {company_currency}."
                )
            doc["conversion_rate"] = rate
        if not doc.get("selling_price_list"):
            doc["selling_price_list"] = self.single("Selling Settings", "selling_price_list") or "Standard Selling"
        price_list = erp._get_raw("Price List", doc.get("selling_price_list")) or {}
        if not doc.get("price_list_currency"):
            doc["price_list_currency"] = price_list.get("currency") or doc.get("currency")
        if doc.get("price_list_currency") == doc.get("currency"):
            doc["plc_conversion_rate"] = flt(doc.get("conversion_rate")) or 1.0
        elif doc.get("price_list_currency") == company_currency:
            doc["plc_conversion_rate"] = 1.0
        elif not flt(doc.get("plc_conversion_rate")):
            doc["plc_conversion_rate"] = exchange_rate(
                erp, doc["price_list_currency"], company_currency, doc.get(self.date_field)) or 1.0
        for row in doc.get("items") or []:
            self.set_item_details(doc, row, company, price_list)

    def set_item_details(self, doc, row, company, price_list):
        erp = self.erp
        code = row.get("item_code")
        if not code:
            return
        item = erp._get_raw("Item", code)
        if item is None:
            raise E.DoesNotExistError(f"Item {code} not found")
        row["item_code"] = item["name"]
        if cint(item.get("disabled")):
            raise E.ValidationError(f"Item {item['name']} is disabled")
        if item.get("end_of_life") and item["end_of_life"] < doc.get(self.date_field, self.today()):
            raise E.ValidationError(f"Item {item['name']} has reached its end of life on {item['end_of_life']}")
        if cint(item.get("has_variants")):
            raise E.ValidationError(f"Item {item['name']} is a template, please select one of its variants")
        for field, source in (("item_name", "item_name"), ("description", "description"), ("item_group", "item_group"),
                              ("stock_uom", "stock_uom"), ("image", "image"), ("brand", "brand")):
            if row.get(field) in (None, "") and item.get(source) is not None:
                row[field] = item[source]
        row["is_stock_item"] = cint(item.get("is_stock_item"))
        row["grant_commission"] = cint(item.get("grant_commission"))
        if not row.get("uom"):
            row["uom"] = item.get("stock_uom")
        if not flt(row.get("conversion_factor")):
            if ci(row["uom"]) == ci(item.get("stock_uom")):
                row["conversion_factor"] = 1.0
            else:
                factors = [flt(u.get("conversion_factor")) for u in item.get("uoms") or () if ci(u.get("uom")) == ci(row["uom"])]
                if not factors:
                    raise E.ValidationError(f"UOM Conversion factor required for UOM: {row['uom']} in Item: {item['name']}")
                row["conversion_factor"] = factors[0]
        row["stock_qty"] = flt(flt(row.get("qty")) * flt(row["conversion_factor"]), 9)
        if not row.get("warehouse") and cint(item.get("is_stock_item")):
            row["warehouse"] = doc.get("set_warehouse") or self.item_default_warehouse(item, company)
        if not row.get("cost_center"):
            row["cost_center"] = company.get("cost_center")
        item_spec = erp.meta.get(self.item_doctype())
        if item_spec is not None and item_spec.has_field(self.date_field) and not row.get(self.date_field):
            row[self.date_field] = doc.get(self.date_field)
        row["item_tax_rate"] = item_tax_rate_json(erp, row.get("item_tax_template"))
        if row.get("price_list_rate") in (None, ""):
            price = get_item_price(erp, item["name"], doc.get("selling_price_list"), item.get("stock_uom"),
                                   doc.get(self.date_field), doc.get("currency"))
            if price is not None:
                row["price_list_rate"] = flt(price.get("price_list_rate")) * flt(row["conversion_factor"])
            else:
                row["price_list_rate"] = 0.0
                self.insert_item_price(doc, row, item, price_list)
        if row.get("warehouse"):
            b = stock.find_bin(erp, item["name"], row["warehouse"]) or {}
            row["actual_qty"] = flt(b.get("actual_qty"))
            row["projected_qty"] = flt(b.get("projected_qty"))
        self.set_item_accounts(doc, row, item, company)

    def item_doctype(self) -> str:
        return self.spec.get_field("items").options

    def item_default_warehouse(self, item, company) -> str | None:
        for row in item.get("item_defaults") or ():
            if row.get("company") == company.get("name") and row.get("default_warehouse"):
                return row["default_warehouse"]
        return self.single("Stock Settings", "default_warehouse")

    def set_item_accounts(self, doc, row, item, company):
        pass

    def insert_item_price(self, doc, row, item, price_list):
        erp = self.erp
        if not doc.get("selling_price_list") or not flt(row.get("rate")) or cint(doc.get("is_internal_customer")):
            return
        if price_list.get("currency") != doc.get("currency"):
            return
        if not cint(self.single("Stock Settings", "auto_insert_price_list_rate_if_missing")):
            return
        rate = flt(row["rate"]) / flt(row.get("conversion_factor") or 1)
        erp._insert({
            "doctype": "Item Price",
            "price_list": doc["selling_price_list"],
            "item_code": item["name"],
            "currency": doc.get("currency"),
            "price_list_rate": rate,
            "uom": item.get("stock_uom"),
        })
        erp.msgprint(f"Item Price added for {item['name']} in Price List {doc['selling_price_list']}")

    def validate(self, doc, old):
        calculate_taxes_and_totals(self.erp, self.spec, doc)
        if not cint(doc.get("is_return")) and flt(doc.get("base_grand_total")) < 0:
            raise E.ValidationError(
                f"Incorrect value:{self.spec.label('base_grand_total')} must be >= 0.0"
            )
        selling.validate_selling_price(self.erp, doc)
        doc["amount_eligible_for_commission"] = sum(
            flt(r.get("base_net_amount")) for r in doc.get("items") or () if cint(r.get("grant_commission")))

    def payment_schedule(self, doc, due_date):
        total = flt(doc.get("rounded_total")) or flt(doc.get("grand_total"))
        doc["payment_schedule"] = [{
            "due_date": due_date,
            "invoice_portion": 100.0,
            "payment_amount": total,
            "outstanding": total,
            "paid_amount": 0.0,
            "base_payment_amount": flt(total * flt(doc.get("conversion_rate") or 1), 2),
            "base_outstanding": flt(total * flt(doc.get("conversion_rate") or 1), 2),
        }]


class SalesOrder(SellingDocument):
    date_field = "transaction_date"

    def validate(self, doc, old):
        super().validate(doc, old)
        self.validate_delivery_date(doc)
        selling.validate_po(self.erp, doc)
        validate_uom_is_integer(self.erp, doc, "stock_uom", "stock_qty")
        validate_uom_is_integer(self.erp, doc, "uom", "qty")
        for row in doc.get("items") or []:
            if cint(row.get("is_stock_item")) and not row.get("warehouse") and not cint(row.get("delivered_by_supplier")):
                raise X.WarehouseRequired(f"Delivery warehouse required for stock item {row.get('item_code')}")
        selling.make_packing_list(self.erp, doc, old)
        if old is None or cint(doc.get("docstatus")) == 0:
            doc["status"] = "Draft"
        doc.setdefault("billing_status", "Not Billed")
        doc.setdefault("delivery_status", "Not Delivered")
        self.payment_schedule(doc, doc.get("transaction_date"))

    def validate_delivery_date(self, doc):
        if doc.get("order_type") != "Sales" or cint(doc.get("skip_delivery_note")):
            return
        dates = [r["delivery_date"] for r in doc.get("items") or () if r.get("delivery_date")]
        latest = max(dates) if dates else None
        if latest and (not doc.get("delivery_date") or doc["delivery_date"] != latest):
            doc["delivery_date"] = latest
        if not doc.get("delivery_date"):
            raise E.ValidationError("Please enter Delivery Date")
        for row in doc.get("items") or []:
            if not row.get("delivery_date"):
                row["delivery_date"] = doc["delivery_date"]
            if doc.get("transaction_date") and doc["transaction_date"] > row["delivery_date"]:
                raise E.ValidationError("Expected Delivery Date should be after Sales Order Date")

    def before_update_after_submit(self, doc, old):
        selling.validate_po(self.erp, doc)

    def on_submit(self, doc, via_insert):
        so = self.erp._get_raw("Sales Order", doc["name"])
        # stored with docstatus 1 already: the order counts in its customer's outstanding
        selling.sales_order_check_credit_limit(self.erp, so)
        self.update_reserved(so)
        if not via_insert:  # observed: inserted with docstatus 1 in one call, the status stays "Draft"
            set_sales_order_status(self.erp, so["name"])

    def update_reserved(self, so):
        selling.update_reserved_qty(self.erp, so)

    def on_cancel(self, doc):
        erp = self.erp
        if (erp._get_raw("Sales Order", doc["name"]) or {}).get("status") == "Closed":
            raise E.ValidationError("Closed order cannot be cancelled. Unclose to cancel.")
        erp._db_set("Sales Order", doc["name"], {"status": "Cancelled"})
        self.update_reserved(erp._get_raw("Sales Order", doc["name"]))
        if cint(self.single("Accounts Settings", "unlink_advance_payment_on_cancelation_of_order")):
            unlink_payment_references(erp, "Sales Order", doc["name"])
            erp._db_set("Sales Order", doc["name"], {"advance_paid": 0.0}, update_modified=False)


def set_sales_order_status(erp, name: str) -> None:
    so = erp._get_raw("Sales Order", name)
    items = so.get("items") or []
    total_qty = sum(flt(r.get("qty")) for r in items) or 1
    delivered = sum(min(flt(r.get("delivered_qty")), flt(r.get("qty"))) for r in items)
    per_delivered = flt(delivered / total_qty * 100, 6)
    total_amount = sum(flt(r.get("amount")) for r in items)
    billed = sum(min(flt(r.get("billed_amt")), flt(r.get("amount"))) for r in items)
    per_billed = flt(billed / total_amount * 100, 6) if total_amount else 0.0
    values = {
        "per_delivered": per_delivered,
        "per_billed": per_billed,
        "delivery_status": "Not Delivered" if per_delivered == 0 else ("Fully Delivered" if per_delivered >= 100 else "Partly Delivered"),
        "billing_status": "Not Billed" if per_billed == 0 else ("Fully Billed" if per_billed >= 100 else "Partly Billed"),
    }
    docstatus = cint(so.get("docstatus"))
    skip = cint(so.get("skip_delivery_note"))
    if docstatus == 2:
        status = "Cancelled"
    elif so.get("status") in ("Closed", "On Hold"):
        status = so["status"]
    elif docstatus == 0:
        status = "Draft"
    elif (per_delivered >= 100 or skip) and per_billed >= 100:
        status = "Completed"
    elif per_delivered < 100 and per_billed >= 100 and not skip:
        status = "To Deliver"
    elif (per_delivered >= 100 or skip) and per_billed < 100:
        status = "To Bill"
    else:
        status = "To Deliver and Bill"
    values["status"] = status
    erp._db_set("Sales Order", name, values)


class SalesInvoice(SellingDocument):
    date_field = "posting_date"

    def set_missing_values(self, doc):
        super().set_missing_values(doc)
        erp = self.erp
        company = self.company(doc)
        if not doc.get("posting_time"):
            doc["posting_time"] = erp.clock.time()
        if not doc.get("due_date"):
            doc["due_date"] = doc.get("posting_date")
        if not doc.get("debit_to"):
            doc["debit_to"] = company.get("default_receivable_account")
        account = erp._get_raw("Account", doc.get("debit_to")) or {}
        doc["party_account_currency"] = account.get("account_currency") or company.get("default_currency")

    def set_item_accounts(self, doc, row, item, company):
        if not row.get("income_account"):
            row["income_account"] = company.get("default_income_account")
        if not row.get("expense_account"):
            row["expense_account"] = company.get("default_expense_account")

    def validate(self, doc, old):
        super().validate(doc, old)
        if doc.get("due_date") and doc.get("posting_date") and doc["due_date"] < doc["posting_date"]:
            raise E.ValidationError("Due Date cannot be before Posting Date")
        validate_uom_is_integer(self.erp, doc, "stock_uom", "stock_qty")
        validate_uom_is_integer(self.erp, doc, "uom", "qty")
        if cint(doc.get("update_stock")):
            for row in doc.get("items") or []:
                if cint(row.get("is_stock_item")) and not row.get("warehouse"):
                    raise X.WarehouseRequired(f"Warehouse required for stock Item {row.get('item_code')}")
            selling.make_packing_list(self.erp, doc, old)
        doc["title"] = doc.get("customer_name") or doc.get("customer")
        given_outstanding = doc.get("outstanding_amount")
        total = flt(doc.get("rounded_total")) or flt(doc.get("grand_total"))
        doc["total_advance"] = flt(doc.get("total_advance"))
        doc["outstanding_amount"] = flt(total - doc["total_advance"] - flt(doc.get("write_off_amount")), 2)
        if cint(doc.get("is_return")) and doc.get("return_against"):
            validate_return(self.erp, doc)
            if not cint(doc.get("update_outstanding_for_self")):
                # golden k1/k2: the invoice's outstanding takes the credit note, unless it is smaller
                against = self.erp._get_raw("Sales Invoice", doc["return_against"]) or {}
                if abs(total) > flt(against.get("outstanding_amount")):
                    doc["update_outstanding_for_self"] = 1
                else:
                    # ERPNext leaves the credit note's own outstanding as it was given (its
                    # calculation returns early): golden k1 keeps the -30.00 make_sales_return gave
                    doc["outstanding_amount"] = flt(given_outstanding) if given_outstanding is not None else 0.0
        doc["status"] = "Draft"
        self.payment_schedule(doc, doc.get("due_date"))
        against = {}
        for row in doc.get("items") or []:
            if row.get("sales_order") and row.get("so_detail"):
                against.setdefault(row["sales_order"], []).append(row)
        for so_name, rows in against.items():
            so = self.erp._get_raw("Sales Order", so_name)
            if so is None or cint(so.get("docstatus")) != 1:
                raise E.ValidationError(f"Sales Order {so_name} is not submitted")

    def on_submit(self, doc, via_insert):
        erp = self.erp
        si = erp._get_raw("Sales Invoice", doc["name"])
        if not (via_insert and cint(si.get("is_return")) and not cint(si.get("update_outstanding_for_self"))):
            # (golden k1: a credit note inserted submitted, taking the invoice's outstanding, stays "Draft")
            erp._db_set("Sales Invoice", doc["name"], {"status": invoice_status(erp, si)}, update_modified=False)
        if cint(si.get("is_return")):
            self.apply_return(si, +1)
        else:
            self.update_billing(si, +1)
        if cint(si.get("update_stock")):
            entries = outgoing_entries(erp, si)
            if cint(si.get("is_return")):
                # units coming back at the rate they left with (golden k3: the valuation stays 8.00)
                for e in entries:
                    e["incoming_rate"] = flt((stock.find_bin(erp, e["item_code"], e["warehouse"]) or {}).get("valuation_rate"))
            stock.make_sl_entries(erp, si, entries)
            update_delivered(erp, si, +1, "sales_order", "so_detail")

    def on_cancel(self, doc):
        erp = self.erp
        si = erp._get_raw("Sales Invoice", doc["name"])
        erp._db_set("Sales Invoice", doc["name"], {"status": "Cancelled"})
        if cint(si.get("is_return")):
            self.apply_return(si, -1)
        else:
            self.update_billing(si, -1)
        if cint(self.single("Accounts Settings", "unlink_payment_on_cancellation_of_invoice")):
            unlink_payment_references(erp, "Sales Invoice", doc["name"])
        if cint(si.get("update_stock")):
            stock.cancel_sl_entries(erp, si)
            update_delivered(erp, si, -1, "sales_order", "so_detail")

    def apply_return(self, si, sign):
        """A credit note against an invoice: its amount off the invoice's outstanding unless it keeps
        its own (update_outstanding_for_self); the Sales Order's billing is left as it is (golden k1)."""
        erp = self.erp
        if si.get("return_against") and not cint(si.get("update_outstanding_for_self")):
            against = erp._get_raw("Sales Invoice", si["return_against"])
            if against is not None:
                total = flt(si.get("rounded_total")) or flt(si.get("grand_total"))
                new = erp._db_set("Sales Invoice", against["name"], {
                    "outstanding_amount": flt(flt(against.get("outstanding_amount")) + sign * total, 2)},
                    update_modified=False)
                erp._db_set("Sales Invoice", against["name"], {"status": invoice_status(erp, new)}, update_modified=False)

    def update_billing(self, si, sign):
        erp = self.erp
        touched = set()
        for row in si.get("items") or ():
            if not row.get("sales_order") or not row.get("so_detail"):
                continue
            so = erp._get_raw("Sales Order", row["sales_order"])
            if so is None:
                continue
            items = copy.deepcopy(so["items"])
            for so_row in items:
                if so_row["name"] == row["so_detail"]:
                    so_row["billed_amt"] = flt(flt(so_row.get("billed_amt")) + sign * flt(row.get("amount")), 9)
            erp._db_set("Sales Order", so["name"], {"items": items}, update_modified=False)
            touched.add(so["name"])
        for name in sorted(touched):
            set_sales_order_status(erp, name)


def invoice_status(erp, si) -> str:
    docstatus = cint(si.get("docstatus"))
    if docstatus == 2:
        return "Cancelled"
    if docstatus == 0:
        return "Draft"
    if cint(si.get("is_return")):
        return "Return"
    outstanding = flt(si.get("outstanding_amount"))
    total = flt(si.get("rounded_total")) or flt(si.get("grand_total"))
    if outstanding <= 0:
        return "Paid"
    if si.get("due_date") and si["due_date"] < erp.clock.today():
        return "Overdue"
    if outstanding < total:
        return "Partly Paid"
    return "Unpaid"


def is_stock_item(erp, item_code) -> bool:
    return bool(cint((erp._get_raw("Item", item_code) or {}).get("is_stock_item")))


def outgoing_entries(erp, doc) -> list[dict]:
    """The ledger rows of a delivery: each stock line, and for a Product Bundle line its Packed Items."""
    out = []
    for r in doc.get("items") or ():
        if selling.bundle_components(erp, r.get("item_code")) is not None:
            for p in doc.get("packed_items") or ():
                if p.get("parent_detail_docname") == r.get("name") and p.get("warehouse") \
                        and is_stock_item(erp, p.get("item_code")):
                    out.append({"item_code": p["item_code"], "warehouse": p["warehouse"], "actual_qty": -flt(p.get("qty")),
                                "voucher_detail_no": p["name"]})
        elif r.get("warehouse") and is_stock_item(erp, r.get("item_code")):
            out.append({"item_code": r["item_code"], "warehouse": r["warehouse"],
                        "actual_qty": -flt(r.get("stock_qty") or r.get("qty")), "voucher_detail_no": r["name"]})
    return out


def update_delivered(erp, doc, sign: int, so_field: str, detail_field: str) -> None:
    touched = {}
    for row in doc.get("items") or ():
        if not row.get(so_field) or not row.get(detail_field):
            continue
        so = erp._get_raw("Sales Order", row[so_field])
        if so is None:
            continue
        items = touched.get(so["name"]) or copy.deepcopy(so["items"])
        for so_row in items:
            if so_row["name"] == row[detail_field]:
                so_row["delivered_qty"] = flt(flt(so_row.get("delivered_qty")) + sign * flt(row.get("qty")), 9)
        touched[so["name"]] = items
    for name, items in touched.items():
        erp._db_set("Sales Order", name, {"items": items}, update_modified=False)
        set_sales_order_status(erp, name)
        selling.update_reserved_qty(erp, erp._get_raw("Sales Order", name))


def unlink_payment_references(erp, doctype: str, name: str) -> None:
    for pe in list(erp._all("Payment Entry")):
        refs = pe.get("references") or []
        keep = [r for r in refs if not (r.get("reference_doctype") == doctype and ci(r.get("reference_name")) == ci(name))]
        if len(keep) == len(refs):
            continue
        removed = sum(flt(r.get("allocated_amount")) for r in refs) - sum(flt(r.get("allocated_amount")) for r in keep)
        for i, r in enumerate(keep, start=1):
            r["idx"] = i
        erp._db_set("Payment Entry", pe["name"], {
            "references": copy.deepcopy(keep),
            "total_allocated_amount": flt(flt(pe.get("total_allocated_amount")) - removed, 9),
            "unallocated_amount": flt(flt(pe.get("unallocated_amount")) + removed, 9),
        })


class DeliveryNote(SellingDocument):
    date_field = "posting_date"

    def set_missing_values(self, doc):
        super().set_missing_values(doc)
        if not doc.get("posting_time"):
            doc["posting_time"] = self.erp.clock.time()

    def validate(self, doc, old):
        super().validate(doc, old)
        validate_uom_is_integer(self.erp, doc, "stock_uom", "stock_qty")
        validate_uom_is_integer(self.erp, doc, "uom", "qty")
        for row in doc.get("items") or []:
            if cint(row.get("is_stock_item")) and not row.get("warehouse"):
                raise X.WarehouseRequired(f"Warehouse required for stock Item {row.get('item_code')}")
        selling.make_packing_list(self.erp, doc, old)
        if cint(doc.get("is_return")) and doc.get("return_against"):
            validate_delivery_return(self.erp, doc)
        doc["status"] = "Draft"

    def on_submit(self, doc, via_insert):
        erp = self.erp
        dn = erp._get_raw("Delivery Note", doc["name"])
        entries = outgoing_entries(erp, dn)
        if cint(dn.get("is_return")):
            # a return comes back at the rate its delivery went out at (golden k4: 8.0, not 0)
            rows = {r["name"]: r.get("dn_detail") for r in dn.get("items") or ()}
            rates = {sle.get("voucher_detail_no"): flt(sle.get("outgoing_rate")) or flt(sle.get("valuation_rate"))
                     for sle in erp._all("Stock Ledger Entry")
                     if sle.get("voucher_type") == "Delivery Note" and sle.get("voucher_no") == dn.get("return_against")}
            for e in entries:
                e["incoming_rate"] = rates.get(rows.get(e.get("voucher_detail_no")), 0.0)
        stock.make_sl_entries(erp, dn, entries)
        update_delivered(erp, dn, +1, "against_sales_order", "so_detail")
        erp._db_set("Delivery Note", dn["name"], {"status": "To Bill"}, update_modified=False)

    def on_cancel(self, doc):
        erp = self.erp
        dn = erp._get_raw("Delivery Note", doc["name"])
        erp._db_set("Delivery Note", dn["name"], {"status": "Cancelled"})
        stock.cancel_sl_entries(erp, dn)
        update_delivered(erp, dn, -1, "against_sales_order", "so_detail")


_MAPPED_HEADER = ("customer", "customer_name", "company", "currency", "conversion_rate", "selling_price_list",
                  "price_list_currency", "plc_conversion_rate", "customer_address", "shipping_address_name",
                  "contact_person", "territory", "customer_group", "apply_discount_on", "additional_discount_percentage",
                  "discount_amount", "disable_rounded_total", "taxes_and_charges", "tax_category", "ignore_pricing_rule",
                  "po_no", "po_date", "set_warehouse")
_MAPPED_ITEM = ("item_code", "item_name", "description", "item_group", "image", "uom", "stock_uom", "conversion_factor",
                "price_list_rate", "discount_percentage", "discount_amount", "margin_type", "margin_rate_or_amount",
                "rate", "warehouse", "cost_center", "item_tax_template", "brand", "is_free_item", "grant_commission")
_MAPPED_TAX = ("charge_type", "account_head", "description", "rate", "tax_amount", "row_id", "included_in_print_rate",
               "cost_center", "account_currency", "included_in_paid_amount", "dont_recompute_tax")


def _mapped_taxes(so) -> list[dict]:
    return [{k: r.get(k) for k in _MAPPED_TAX if r.get(k) is not None} for r in so.get("taxes") or ()]


def make_sales_invoice(erp, source_name: str) -> dict:
    so = erp._get_raw("Sales Order", source_name)
    if so is None:
        raise E.DoesNotExistError(f"Sales Order {source_name} not found")
    if cint(so.get("docstatus")) != 1:
        raise E.ValidationError(f"Sales Order {so['name']} must be submitted")
    company = erp._get_raw("Company", so.get("company")) or {}
    si = {"doctype": "Sales Invoice", "docstatus": 0}
    for key in _MAPPED_HEADER:
        if so.get(key) not in (None, ""):
            si[key] = copy.deepcopy(so[key])
    today = erp.clock.today()
    si.update(posting_date=today, due_date=today, is_pos=0, update_stock=0,
              debit_to=company.get("default_receivable_account"))
    items = []
    for row in so.get("items") or ():
        pending_amount = flt(row.get("amount")) - flt(row.get("billed_amt"))
        if not (flt(row.get("qty")) and (flt(row.get("base_amount")) == 0 or abs(flt(row.get("billed_amt"))) < abs(flt(row.get("amount"))))):
            continue
        new = {k: copy.deepcopy(row[k]) for k in _MAPPED_ITEM if row.get(k) is not None}
        if flt(row.get("rate")) and flt(row.get("billed_amt")):
            new["qty"] = flt(pending_amount / flt(row["rate"]), 9)
        else:
            new["qty"] = flt(row.get("qty")) - flt(row.get("returned_qty"))
        new.update(sales_order=so["name"], so_detail=row["name"],
                   income_account=company.get("default_income_account"),
                   expense_account=company.get("default_expense_account"))
        items.append(new)
    si["items"] = items
    si["taxes"] = _mapped_taxes(so)
    return _mapped(erp, si)


def returned_qty(erp, invoice: str, exclude: str | None = None) -> dict[str, float]:
    """Quantities already returned per invoice row (submitted credit notes against ``invoice``)."""
    return _already_returned(erp, "Sales Invoice", invoice, "sales_invoice_item", lambda row: row.get("qty"), exclude)


def _already_returned(erp, doctype: str, against: str, row_link: str, qty_of, exclude: str | None) -> dict[str, float]:
    """What the submitted returns against ``against`` (but ``exclude``) took back, per source row
    (``row_link`` on the return's row names it)."""
    out: dict[str, float] = {}
    for ret in erp._all(doctype):
        if ret.get("return_against") != against or cint(ret.get("docstatus")) != 1 or ret.get("name") == exclude:
            continue
        for row in ret.get("items") or ():
            if row.get(row_link):
                out[row[row_link]] = out.get(row[row_link], 0.0) + abs(flt(qty_of(row)))
    return out


def _submitted_source(erp, doctype: str, name: str) -> dict:
    doc = erp._get_raw(doctype, name)
    if doc is None:
        raise E.DoesNotExistError(f"{doctype} {name} not found")
    if cint(doc.get("docstatus")) != 1:
        raise E.ValidationError(f"{doctype} {doc['name']} must be submitted")
    return doc


def _return_rows(source: dict, done: dict[str, float], qty_of, row_link: str, kept: tuple[str, ...], **extra) -> list[dict]:
    """ERPNext's make_return_doc, the rows: each source row not yet returned, at a negative
    quantity, pointing back to its row (``row_link``), keeping ``kept`` and ``extra(row)``."""
    items = []
    for row in source.get("items") or ():
        left = flt(qty_of(row)) - done.get(row["name"], 0.0)
        if left <= 0:
            continue
        new = {k: copy.deepcopy(row[k]) for k in _MAPPED_ITEM if row.get(k) is not None}
        new.update(qty=-left, **{row_link: row["name"]}, **{k: f(row) for k, f in extra.items()})
        for key in kept:
            if row.get(key):
                new[key] = row[key]
        items.append(new)
    return items


def _return_taxes(source: dict) -> list[dict]:
    """ERPNext's make_return_doc, the taxes: as on the source, an Actual amount negated."""
    taxes = _mapped_taxes(source)
    for t in taxes:
        if t.get("charge_type") == "Actual":
            t["tax_amount"] = -flt(t.get("tax_amount"))
    return taxes


def make_sales_return(erp, source_name: str) -> dict:
    """ERPNext's make_sales_return (golden k1-k3): every line not yet returned at a negative
    quantity, against its invoice row; Actual taxes negated; update_stock and
    update_outstanding_for_self copied from the invoice."""
    si = _submitted_source(erp, "Sales Invoice", source_name)
    done = returned_qty(erp, si["name"])
    cn = {k: copy.deepcopy(v) for k, v in si.items()
          if not isinstance(v, list) and k not in ("name", "docstatus", "status", "outstanding_amount", "creation",
                                                   "modified", "owner", "modified_by", "amended_from", "idx")}
    cn.update(doctype="Sales Invoice", docstatus=0, is_return=1, return_against=si["name"],
              posting_date=erp.clock.today(), due_date=erp.clock.today(), set_posting_time=0,
              update_outstanding_for_self=1)
    cn["items"] = _return_rows(si, done, lambda row: row.get("qty"), "sales_invoice_item", ("sales_order", "so_detail"),
                               income_account=lambda row: row.get("income_account"),
                               expense_account=lambda row: row.get("expense_account"))
    cn["taxes"] = _return_taxes(si)
    return _mapped(erp, cn)


def validate_return(erp, doc) -> None:
    """ERPNext's validate_return_against / validate_returned_items for a Sales Invoice (golden k1)."""
    against = erp._get_raw("Sales Invoice", doc["return_against"])
    if against is None:
        raise E.ValidationError(f"Invalid Return Against: {doc['return_against']}")
    if ci(against.get("customer")) != ci(doc.get("customer")):
        raise E.ValidationError(f"The Customer {doc.get('customer')} does not match with the Customer "
                                f"{against.get('customer')} in the Sales Invoice {against['name']}")
    if cint(doc.get("update_stock")) and not cint(against.get("update_stock")):
        raise E.ValidationError(f"'Update Stock' can not be checked because items are not delivered via {against['name']}")
    rows = {r["name"]: r for r in against.get("items") or ()}
    done = returned_qty(erp, against["name"], exclude=doc.get("name"))
    returned = False
    for idx, row in enumerate(doc.get("items") or (), start=1):
        if row.get("item_code") and flt(row.get("qty")) <= 0:
            ref = rows.get(row.get("sales_invoice_item") or "")
            if ref is None:
                ref = next((r for r in rows.values() if r.get("item_code") == row["item_code"]), None)
            if ref is not None:
                left = flt(ref.get("qty")) - done.get(ref["name"], 0.0)
                if abs(flt(row.get("qty"))) > left + 1e-9:
                    raise X.StockOverReturnError(f"Row # {idx}: Cannot return more than {left} for Item {row['item_code']}")
                if flt(ref.get("rate")) and flt(row.get("rate")) > flt(ref.get("rate")):
                    raise E.ValidationError(f"Row # {idx}: Rate cannot be greater than the rate used in Sales Invoice {against['name']}")
            returned = True
        elif row.get("item_name"):
            returned = True
    if not returned:
        raise E.ValidationError("Atleast one item should be entered with negative quantity in return document")


def delivery_returned_qty(erp, dn_name: str, exclude: str | None = None) -> dict[str, float]:
    """Stock quantities already returned per Delivery Note row (submitted returns against it)."""
    return _already_returned(erp, "Delivery Note", dn_name, "dn_detail", _stock_qty, exclude)


def _stock_qty(row: dict):
    return row.get("stock_qty") or row.get("qty")


def make_delivery_return(erp, source_name: str) -> dict:
    """ERPNext's Delivery Note make_sales_return (golden k4): an unsaved return (is_return,
    return_against) with every row not yet returned at a negative quantity, against its row
    (dn_detail), keeping its Sales Order row (against_sales_order, so_detail) and warehouse."""
    dn = _submitted_source(erp, "Delivery Note", source_name)
    done = delivery_returned_qty(erp, dn["name"])
    ret = {"doctype": "Delivery Note", "docstatus": 0, "posting_date": erp.clock.today(), "is_return": 1,
           "return_against": dn["name"]}
    for key in _MAPPED_HEADER:
        if dn.get(key) not in (None, ""):
            ret[key] = copy.deepcopy(dn[key])
    ret["items"] = _return_rows(dn, done, _stock_qty, "dn_detail", ("against_sales_order", "so_detail"))
    ret["taxes"] = _return_taxes(dn)
    return _mapped(erp, ret)


def validate_delivery_return(erp, doc) -> None:
    """ERPNext's validate_returned_items for a Delivery Note (golden k4): the row's stock_qty against
    what its Delivery Note row delivered less what was returned already ("Cannot return more than
    3.0"). The real site checks the stock_qty it is given (a cut of qty alone went through once);
    here stock_qty is worked out from qty first, so such a cut is refused: shopsync cuts both."""
    against = erp._get_raw("Delivery Note", doc["return_against"])
    if against is None or cint(against.get("docstatus")) != 1:
        raise E.ValidationError(f"Invalid Return Against: {doc['return_against']}")
    rows = {r["name"]: r for r in against.get("items") or ()}
    done = delivery_returned_qty(erp, against["name"], exclude=doc.get("name"))
    for idx, row in enumerate(doc.get("items") or (), start=1):
        if flt(row.get("qty")) > 0:
            raise E.ValidationError("Qty must be negative in return document")
        ref = rows.get(row.get("dn_detail") or "") or next(
            (r for r in rows.values() if r.get("item_code") == row.get("item_code")), None)
        if ref is None:
            raise E.ValidationError(f"Row # {idx}: Returned Item {row.get('item_code')} does not exist in {against['name']}")
        left = flt(ref.get("stock_qty") or ref.get("qty")) - done.get(ref["name"], 0.0)
        if abs(flt(row.get("stock_qty"))) > left + 1e-9:
            raise X.StockOverReturnError(f"Row # {idx}: Cannot return more than {left} for Item {row.get('item_code')}")


def make_delivery_note(erp, source_name: str) -> dict:
    so = erp._get_raw("Sales Order", source_name)
    if so is None:
        raise E.DoesNotExistError(f"Sales Order {source_name} not found")
    if cint(so.get("docstatus")) != 1:
        raise E.ValidationError(f"Sales Order {so['name']} must be submitted")
    dn = {"doctype": "Delivery Note", "docstatus": 0, "posting_date": erp.clock.today()}
    for key in _MAPPED_HEADER:
        if so.get(key) not in (None, ""):
            dn[key] = copy.deepcopy(so[key])
    items = []
    for row in so.get("items") or ():
        pending = flt(row.get("qty")) - flt(row.get("delivered_qty"))
        if pending <= 0 or cint(row.get("delivered_by_supplier")):
            continue
        new = {k: copy.deepcopy(row[k]) for k in _MAPPED_ITEM if row.get(k) is not None}
        new.update(qty=pending, against_sales_order=so["name"], so_detail=row["name"])
        items.append(new)
    dn["items"] = items
    dn["taxes"] = _mapped_taxes(so)
    return _mapped(erp, dn)


def _mapped(erp, doc) -> dict:
    """The mapped document comes back as a new document with its totals, as ERPNext's mappers
    run set_missing_values and the calculation on it."""
    doc = erp.new_doc(doc["doctype"], doc)
    company = erp._get_raw("Company", doc.get("company")) or {}
    for row in doc.get("items") or []:
        row["stock_qty"] = flt(flt(row.get("qty")) * flt(row.get("conversion_factor") or 1), 9)
        row["item_tax_rate"] = item_tax_rate_json(erp, row.get("item_tax_template"))
    calculate_taxes_and_totals(erp, erp.meta[doc["doctype"]], doc)
    if doc["doctype"] == "Sales Invoice":
        account = erp._get_raw("Account", doc.get("debit_to")) or {}
        doc["party_account_currency"] = account.get("account_currency") or company.get("default_currency")
        doc["outstanding_amount"] = flt(doc.get("rounded_total")) or flt(doc.get("grand_total"))
        doc["status"] = "Draft"
    return doc


# ==================================================================== payments
def account_type(erp, account: str | None) -> str | None:
    acc = erp._get_raw("Account", account) or {}
    return acc.get("account_type")


def reference_outstanding(erp, doctype: str, doc: dict) -> tuple[float, float]:
    """(total, outstanding) of a Sales Order / Sales Invoice for a payment."""
    total = flt(doc.get("rounded_total")) or flt(doc.get("grand_total"))
    if doctype == "Sales Invoice":
        return total, flt(doc.get("outstanding_amount"))
    return total, flt(total - flt(doc.get("advance_paid")), 2)


def get_payment_entry(erp, dt: str, dn: str, party_amount=None, bank_account=None, reference_date=None) -> dict:
    ref = erp._get_raw(dt, dn)
    if ref is None:
        raise E.DoesNotExistError(f"{dt} {dn} not found")
    if cint(ref.get("docstatus")) != 1:
        raise E.ValidationError(f"{dt} {ref['name']} must be submitted")
    company = erp._get_raw("Company", ref.get("company")) or {}
    total, outstanding = reference_outstanding(erp, dt, ref)
    refund = dt == "Sales Invoice" and outstanding < 0  # a credit note: the money goes back (golden k2)
    if outstanding == 0 or (outstanding < 0 and not refund):
        raise E.ValidationError(f"Can only make payment against unpaid {dt}")
    amount = flt(party_amount) if party_amount else abs(outstanding)
    paid_from = ref.get("debit_to") or company.get("default_receivable_account")
    paid_to = bank_account or company.get("default_bank_account") or company.get("default_cash_account")
    if refund:
        paid_from, paid_to = paid_to, paid_from
    customer = erp._get_raw("Customer", ref.get("customer")) or {}
    currency = company.get("default_currency")
    pe = {
        "doctype": "Payment Entry",
        "naming_series": "ACC-PAY-.YYYY.-",
        "payment_type": "Receive",
        "posting_date": erp.clock.today(),
        "company": company.get("name"),
        "party_type": "Customer",
        "party": ref.get("customer"),
        "party_name": customer.get("customer_name") or ref.get("customer_name"),
        "paid_from": paid_from,
        "paid_from_account_type": account_type(erp, paid_from),
        "paid_from_account_currency": currency,
        "paid_to": paid_to,
        "paid_to_account_type": account_type(erp, paid_to),
        "paid_to_account_currency": currency,
        "paid_amount": amount,
        "source_exchange_rate": 1.0,
        "base_paid_amount": amount,
        "received_amount": amount,
        "target_exchange_rate": 1.0,
        "base_received_amount": amount,
        "total_allocated_amount": amount,
        "base_total_allocated_amount": amount,
        "reference_date": reference_date or erp.clock.today(),
        "status": "Draft",
        "is_opening": "No",
        "references": [{
            "reference_doctype": dt,
            "reference_name": ref["name"],
            "due_date": ref.get("due_date"),
            "total_amount": total,
            "outstanding_amount": outstanding,
            "allocated_amount": -amount if refund else amount,
            "exchange_rate": 1.0,
            "account": paid_to if refund else paid_from,
        }],
    }
    if refund:
        pe["payment_type"] = "Pay"
    if dt == "Sales Order":
        pe["references"][0].pop("due_date")
    return erp.new_doc("Payment Entry", pe)


class PaymentEntry(Controller):
    ignore_linked_doctypes = ("GL Entry", "Stock Ledger Entry", "Payment Ledger Entry")

    def before_validate(self, doc, old):
        erp = self.erp
        company = self.company(doc)
        if not doc.get("company") and company:
            doc["company"] = company["name"]
        if doc.get("party_type") == "Customer" and doc.get("party"):
            customer = erp._get_raw("Customer", doc["party"])
            if customer is not None:
                doc["party"] = customer["name"]
                doc["party_name"] = customer.get("customer_name")
        for side in ("paid_from", "paid_to"):
            account = erp._get_raw("Account", doc.get(side))
            if account is not None:
                doc[f"{side}_account_type"] = account.get("account_type")
                doc[f"{side}_account_currency"] = account.get("account_currency") or company.get("default_currency")
        if not flt(doc.get("received_amount")) and flt(doc.get("paid_amount")):
            doc["received_amount"] = doc["paid_amount"]
        for f in ("source_exchange_rate", "target_exchange_rate"):
            if not flt(doc.get(f)):
                doc[f] = 1.0
        doc["base_paid_amount"] = flt(flt(doc.get("paid_amount")) * flt(doc["source_exchange_rate"]), 2)
        doc["base_received_amount"] = flt(flt(doc.get("received_amount")) * flt(doc["target_exchange_rate"]), 2)

    def validate(self, doc, old):
        erp = self.erp
        if doc.get("payment_type") not in ("Receive", "Pay", "Internal Transfer"):
            raise E.ValidationError(f"Payment Type must be one of Receive, Pay and Internal Transfer")
        if doc.get("party_type") and doc.get("party") and erp.meta.get(doc["party_type"]) and \
                erp._get_raw(doc["party_type"], doc["party"]) is None:
            raise E.ValidationError(f"Invalid {doc['party_type']}: {doc['party']}")
        total_allocated = 0.0
        for row in doc.get("references") or []:
            ref_doc = erp._get_raw(row.get("reference_doctype"), row.get("reference_name"))
            if ref_doc is None:
                raise E.ValidationError(f"{row.get('reference_doctype')} {row.get('reference_name')} does not exist")
            if cint(ref_doc.get("docstatus")) != 1:
                raise E.ValidationError(f"{row['reference_doctype']} {ref_doc['name']} must be submitted")
            if doc.get("party") and ci(ref_doc.get("customer")) != ci(doc["party"]):
                raise E.ValidationError(
                    f"{row['reference_doctype']} {ref_doc['name']} is not associated with {doc.get('party_type')} {doc['party']}"
                )
            total, outstanding = reference_outstanding(erp, row["reference_doctype"], ref_doc)
            row["total_amount"], row["outstanding_amount"] = total, outstanding
            if flt(row.get("allocated_amount")) > outstanding + 0.005:
                raise E.ValidationError(f"Row #{row.get('idx')}: Allocated Amount cannot be greater than outstanding amount.")
            total_allocated += flt(row.get("allocated_amount"))
        doc["total_allocated_amount"] = flt(total_allocated, 2)
        doc["base_total_allocated_amount"] = flt(total_allocated, 2)
        doc["unallocated_amount"] = flt(flt(doc.get("paid_amount")) - total_allocated, 2) if doc.get("party") else 0.0
        doc["difference_amount"] = 0.0
        for side in ("paid_amount", "received_amount", "base_paid_amount", "base_received_amount"):
            doc[f"{side}_after_tax"] = flt(doc.get(side))
        bank_side = doc.get("paid_to") if doc.get("payment_type") == "Receive" else doc.get("paid_from")
        if account_type(erp, bank_side) == "Bank" and (not doc.get("reference_no") or not doc.get("reference_date")):
            raise E.ValidationError("Reference No and Reference Date is mandatory for Bank transaction")
        doc["title"] = doc.get("party_name") or doc.get("party")
        doc["status"] = "Draft"
        remarks = [f"Amount {self.company(doc).get('default_currency')} {flt(doc.get('paid_amount'))} received from {doc.get('party_name') or doc.get('party')}"]
        if doc.get("reference_no"):
            remarks.append(f"Transaction reference no {doc['reference_no']} dated {doc.get('reference_date')}")
        for row in doc.get("references") or []:
            remarks.append(f"Amount {self.company(doc).get('default_currency')} {flt(row.get('allocated_amount'))} against {row['reference_doctype']} {row['reference_name']}")
        if not doc.get("remarks") or doc.get("remarks", "").startswith("Amount "):
            doc["remarks"] = "\n".join(remarks)

    def on_submit(self, doc, via_insert):
        erp = self.erp
        erp._db_set("Payment Entry", doc["name"], {"status": "Submitted"}, update_modified=False)
        self.apply_references(erp._get_raw("Payment Entry", doc["name"]), +1)
        pe = erp._get_raw("Payment Entry", doc["name"])
        rows = copy.deepcopy(pe.get("references") or [])
        for row in rows:  # the rows show what is left to pay once this payment counts
            ref = erp._get_raw(row["reference_doctype"], row["reference_name"])
            if ref is not None and row["reference_doctype"] == "Sales Invoice":
                row["outstanding_amount"] = flt(ref.get("outstanding_amount"))
        erp._db_set("Payment Entry", doc["name"], {"references": rows}, update_modified=False)

    def on_cancel(self, doc):
        erp = self.erp
        erp._db_set("Payment Entry", doc["name"], {"status": "Cancelled"})
        self.apply_references(erp._get_raw("Payment Entry", doc["name"]), -1)

    def apply_references(self, pe, sign):
        erp = self.erp
        for row in pe.get("references") or ():
            ref = erp._get_raw(row["reference_doctype"], row["reference_name"])
            if ref is None:
                continue
            amount = sign * flt(row.get("allocated_amount"))
            if row["reference_doctype"] == "Sales Invoice":
                outstanding = flt(flt(ref.get("outstanding_amount")) - amount, 2)
                si = erp._db_set("Sales Invoice", ref["name"], {"outstanding_amount": outstanding}, update_modified=False)
                erp._db_set("Sales Invoice", ref["name"], {"status": invoice_status(erp, si)}, update_modified=False)
            elif row["reference_doctype"] == "Sales Order":
                erp._db_set("Sales Order", ref["name"], {"advance_paid": flt(flt(ref.get("advance_paid")) + amount, 2)},
                            update_modified=False)


# ==================================================================== stock documents
class StockEntry(Controller):
    ignore_linked_doctypes = ("GL Entry", "Stock Ledger Entry", "Serial and Batch Bundle")
    NEEDS_SOURCE = ("Material Issue", "Material Transfer", "Material Transfer for Manufacture",
                    "Material Consumption for Manufacture", "Send to Subcontractor")
    NEEDS_TARGET = ("Material Receipt", "Material Transfer", "Material Transfer for Manufacture", "Send to Subcontractor")

    def before_validate(self, doc, old):
        erp = self.erp
        if not doc.get("stock_entry_type") and doc.get("purpose"):
            doc["stock_entry_type"] = doc["purpose"]
        kind = erp._get_raw("Stock Entry Type", doc.get("stock_entry_type"))
        if kind is not None:
            doc["purpose"] = kind.get("purpose")
        company = self.company(doc)
        if not doc.get("company") and company:
            doc["company"] = company["name"]
        if not doc.get("posting_date"):
            doc["posting_date"] = self.today()
        if not doc.get("posting_time"):
            doc["posting_time"] = erp.clock.time()
        purpose = doc.get("purpose")
        for row in doc.get("items") or []:
            if purpose in self.NEEDS_SOURCE and not row.get("s_warehouse") and doc.get("from_warehouse"):
                row["s_warehouse"] = doc["from_warehouse"]
            if purpose in self.NEEDS_TARGET and not row.get("t_warehouse") and doc.get("to_warehouse"):
                row["t_warehouse"] = doc["to_warehouse"]
            item = erp._get_raw("Item", row.get("item_code"))
            if item is None:
                continue
            row["item_code"] = item["name"]
            for field in ("item_name", "description", "item_group", "stock_uom"):
                if row.get(field) in (None, ""):
                    row[field] = item.get(field)
            if not row.get("uom"):
                row["uom"] = item.get("stock_uom")
            if not flt(row.get("conversion_factor")):
                factors = [flt(u.get("conversion_factor")) for u in item.get("uoms") or () if ci(u.get("uom")) == ci(row["uom"])]
                row["conversion_factor"] = factors[0] if factors else 1.0
            row["transfer_qty"] = flt(flt(row.get("qty")) * flt(row["conversion_factor"]), 9)
            if not row.get("expense_account"):
                row["expense_account"] = company.get("stock_adjustment_account")
            if not row.get("cost_center"):
                row["cost_center"] = company.get("cost_center")

    def validate(self, doc, old):
        erp = self.erp
        purpose = doc.get("purpose")
        for row in doc.get("items") or []:
            idx = row.get("idx")
            if purpose in self.NEEDS_SOURCE and not row.get("s_warehouse"):
                raise E.ValidationError(f"Source warehouse is mandatory for row {idx}")
            if purpose in self.NEEDS_TARGET and not row.get("t_warehouse"):
                raise E.ValidationError(f"Target warehouse is mandatory for row {idx}")
            if row.get("s_warehouse") and row.get("t_warehouse") and ci(row["s_warehouse"]) == ci(row["t_warehouse"]):
                raise E.ValidationError(f"Source and target warehouse cannot be same for row {idx}")
            item = erp._get_raw("Item", row.get("item_code")) or {}
            if item and not cint(item.get("is_stock_item")):
                raise E.ValidationError(f"{item['name']} is not a stock Item")
        validate_uom_is_integer(erp, doc, "uom", "qty")
        validate_uom_is_integer(erp, doc, "stock_uom", "transfer_qty")
        incoming = outgoing = total = 0.0
        for row in doc.get("items") or []:
            if row.get("s_warehouse"):
                b = stock.find_bin(erp, row.get("item_code"), row["s_warehouse"]) or {}
                row["actual_qty"] = flt(b.get("actual_qty"))
                if not cint(row.get("set_basic_rate_manually")):
                    row["basic_rate"] = flt(b.get("valuation_rate"), 2)
            row["basic_amount"] = flt(flt(row.get("basic_rate")) * flt(row.get("transfer_qty")), 2)
            row["amount"] = flt(row["basic_amount"] + flt(row.get("additional_cost")), 2)
            row["valuation_rate"] = flt(row["amount"] / flt(row["transfer_qty"]), 2) if flt(row.get("transfer_qty")) else 0.0
            if row.get("t_warehouse"):
                incoming += row["amount"]
            if row.get("s_warehouse"):
                outgoing += row["amount"]
            total += row["amount"]
        doc["total_incoming_value"] = flt(incoming, 2)
        doc["total_outgoing_value"] = flt(outgoing, 2)
        doc["value_difference"] = flt(incoming - outgoing, 2)
        doc["total_amount"] = flt(total, 2)

    def on_submit(self, doc, via_insert):
        erp = self.erp
        se = erp._get_raw("Stock Entry", doc["name"])
        entries = []
        for row in se.get("items") or ():
            if row.get("s_warehouse"):
                entries.append({"item_code": row["item_code"], "warehouse": row["s_warehouse"],
                                "actual_qty": -flt(row.get("transfer_qty")), "voucher_detail_no": row["name"]})
        for row in se.get("items") or ():
            if row.get("t_warehouse"):
                rate = flt(row.get("valuation_rate")) or flt(row.get("basic_rate"))
                entries.append({"item_code": row["item_code"], "warehouse": row["t_warehouse"],
                                "actual_qty": flt(row.get("transfer_qty")), "incoming_rate": rate,
                                "voucher_detail_no": row["name"]})
        stock.make_sl_entries(erp, se, entries)

    def on_cancel(self, doc):
        stock.cancel_sl_entries(self.erp, self.erp._get_raw("Stock Entry", doc["name"]))


class StockReconciliation(Controller):
    ignore_linked_doctypes = ("GL Entry", "Stock Ledger Entry", "Serial and Batch Bundle")

    def before_validate(self, doc, old):
        erp = self.erp
        company = self.company(doc)
        if not doc.get("company") and company:
            doc["company"] = company["name"]
        if not doc.get("posting_date"):
            doc["posting_date"] = self.today()
        if not doc.get("posting_time"):
            doc["posting_time"] = erp.clock.time()
        if not doc.get("expense_account"):
            doc["expense_account"] = company.get("stock_adjustment_account")
        if not doc.get("cost_center"):
            doc["cost_center"] = company.get("cost_center")
        for row in doc.get("items") or []:
            item = erp._get_raw("Item", row.get("item_code"))
            if item is None:
                continue
            row["item_code"] = item["name"]
            row["item_name"] = row.get("item_name") or item.get("item_name")
            row["item_group"] = row.get("item_group") or item.get("item_group")

    def validate(self, doc, old):
        erp = self.erp
        kept = []
        seen = set()
        for row in doc.get("items") or []:
            b = stock.find_bin(erp, row.get("item_code"), row.get("warehouse")) or {}
            current_qty, current_rate = flt(b.get("actual_qty")), flt(b.get("valuation_rate"))
            row["current_qty"] = current_qty
            row["current_valuation_rate"] = current_rate
            row["current_amount"] = flt(current_qty * current_rate, 2)
            qty = row.get("qty")
            rate = row.get("valuation_rate")
            if (qty in (None, "") or flt(qty) == current_qty) and (rate in (None, "") or flt(rate) == current_rate):
                continue
            kept.append(row)
        if not kept:
            raise X.EmptyStockReconciliationItemsError("None of the items have any change in quantity or value.")
        doc["items"] = kept
        self.validate_expense_account(doc)
        difference = 0.0
        for idx, row in enumerate(kept, start=1):
            row["idx"] = idx
            key = (ci(row.get("item_code")), ci(row.get("warehouse")))
            if key in seen:
                raise E.ValidationError(f"Row #{idx}: Same item and warehouse combination already entered.")
            seen.add(key)
            item = erp._get_raw("Item", row.get("item_code")) or {}
            if item and not cint(item.get("is_stock_item")):
                raise E.ValidationError(f"{item['name']} is not a stock Item")
            if row.get("qty") in (None, ""):
                row["qty"] = row["current_qty"]
            if row.get("valuation_rate") in (None, ""):
                row["valuation_rate"] = row["current_valuation_rate"]
            if flt(row["qty"]) < 0:
                raise E.ValidationError(f"Row #{idx}: Negative Quantity is not allowed")
            if flt(row["valuation_rate"]) < 0:
                raise E.ValidationError(f"Row #{idx}: Negative Valuation Rate is not allowed")
            if flt(row["qty"]) and not flt(row["valuation_rate"]) and not cint(row.get("allow_zero_valuation_rate")):
                raise E.ValidationError(f"Valuation Rate required for Item {row['item_code']} at row {idx}")
            row["amount"] = flt(flt(row["qty"]) * flt(row["valuation_rate"]), 2)
            row["quantity_difference"] = flt(flt(row["qty"]) - row["current_qty"], 9)
            row["amount_difference"] = flt(row["amount"] - row["current_amount"], 2)
            difference += row["amount_difference"]
        doc["difference_amount"] = flt(difference, 2)

    def validate_expense_account(self, doc):
        """ERPNext 15: with perpetual inventory, an opening entry (purpose Opening Stock, or the
        first stock transaction of the site) must balance against a balance-sheet account, never
        a Profit and Loss one such as the default Stock Adjustment."""
        if not cint(self.company(doc).get("enable_perpetual_inventory")):
            return
        if not doc.get("expense_account"):
            raise E.ValidationError("Please enter Expense Account")
        if doc.get("purpose") == "Opening Stock" or not self.erp._all("Stock Ledger Entry"):
            account = self.erp._get_raw("Account", doc["expense_account"]) or {}
            if account.get("report_type") == "Profit and Loss":
                raise X.OpeningEntryAccountError(
                    "Difference Account must be a Asset/Liability type account, since this Stock Reconciliation"
                    " is an Opening Entry"
                )

    def on_submit(self, doc, via_insert):
        erp = self.erp
        sr = erp._get_raw("Stock Reconciliation", doc["name"])
        entries = [
            {"item_code": r["item_code"], "warehouse": r["warehouse"], "qty": flt(r.get("qty")),
             "valuation_rate": flt(r.get("valuation_rate")), "voucher_detail_no": r["name"]}
            for r in sr.get("items") or ()
        ]
        stock.make_sl_entries(erp, sr, entries)

    def on_cancel(self, doc):
        stock.cancel_sl_entries(self.erp, self.erp._get_raw("Stock Reconciliation", doc["name"]))


class ProductBundle(Controller):
    """ERPNext's ProductBundle: named after its item, which must not be a stock item."""

    def autoname(self, doc):
        return doc.get("new_item_code")

    def validate(self, doc, old):
        item = self.erp._get_raw("Item", doc.get("new_item_code")) or {}
        if cint(item.get("is_stock_item")):
            raise E.ValidationError(f"Parent Item {doc.get('new_item_code')} must not be a Stock Item")
        if cint(item.get("is_fixed_asset")):
            raise E.ValidationError(f"Parent Item {doc.get('new_item_code')} must not be a Fixed Asset")
        for row in doc.get("items") or ():
            other = self.erp._get_raw("Product Bundle", row.get("item_code"))
            if other is not None and not cint(other.get("disabled")):
                raise E.ValidationError(f"Row #{row.get('idx')}: Child Item should not be a Product Bundle. "
                                        f"Please remove Item {bold(row.get('item_code'))} and Save")
        validate_uom_is_integer(self.erp, doc, "uom", "qty")


class CurrencyExchange(Controller):
    def autoname(self, doc):
        purpose = ""
        if not cint(doc.get("for_buying")) and cint(doc.get("for_selling")):
            purpose = "Selling"
        if cint(doc.get("for_buying")) and not cint(doc.get("for_selling")):
            purpose = "Buying"
        name = f"{doc.get('date')}-{doc.get('from_currency')}-{doc.get('to_currency')}"
        return f"{name}-{purpose}" if purpose else name

    def validate(self, doc, old):
        if flt(doc.get("exchange_rate")) <= 0:
            raise E.ValidationError("Exchange Rate must be greater than 0")
        if doc.get("from_currency") == doc.get("to_currency"):
            raise E.ValidationError("From Currency and To Currency cannot be same")


CONTROLLERS = {
    "Currency Exchange": CurrencyExchange,
    "Customer": Customer,
    "Address": Address,
    "Contact": Contact,
    "User": User,
    "Item": Item,
    "Item Attribute": ItemAttribute,
    "Item Price": ItemPrice,
    "Item Tax Template": ItemTaxTemplate,
    "Sales Order": SalesOrder,
    "Sales Invoice": SalesInvoice,
    "Delivery Note": DeliveryNote,
    "Payment Entry": PaymentEntry,
    "Stock Entry": StockEntry,
    "Stock Reconciliation": StockReconciliation,
    "Product Bundle": ProductBundle,
}


def controller_for(erp, doctype: str) -> Controller:
    return CONTROLLERS.get(doctype, Controller)(erp, doctype)
