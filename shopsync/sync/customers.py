"""Customers for orders: who is this buyer in the ERP?

Matching, first hit wins:
1. the Customer link record (site + WooCommerce customer id), when its Customer still exists;
2. the billing e-mail (compared lower-cased): a Contact with that e-mail linked to a Customer, else
   a Customer whose ``email_id`` is that e-mail. A guest order (``customer_id`` 0) is matched the
   same way, so a returning guest is one customer; a registered customer found this way gets its
   link record;
3. else a new Customer: ``customer_name`` = the billing company when filled (``customer_type``
   Company), else first + last name (Individual); customer group and territory from the site.

**Names are never used to match.** Two people with the same or a near-same name and different
e-mails are two customers. The new one's document name is made explicit and deterministic: its
``customer_name`` when no customer's name is the same once case, accents and spacing are ignored,
else ``"<customer_name> - <n>"`` with the smallest free ``n`` (ERPNext's own convention, "Jean
Dupont - 1"); its ``customer_name`` stays the person's name, as printed on documents. A near-same
name (``rapidfuzz`` ratio of the normalised names >= 90, e.g. "Jean Dupond") keeps its own name and
the outcome notes the homonym. The same person typing their name with other accents or case, with
the same e-mail, is found by the e-mail: one customer.

Addresses: billing and shipping become Address documents (types Billing / Shipping) with a Dynamic
Link to the customer; an address equal to one the customer already has (line 1, line 2, city,
postcode, state, country compared case-, accent- and spacing-insensitively) is reused, never
duplicated; a shipping address equal to the billing one is the same document. The country comes
from the ISO code (``Country.code``, lower-case in ERPNext). An address without line 1, city or a
known country is left out with a note (they are mandatory in the ERP). A Contact with the e-mail
and phone, linked to the customer, is made unless one linked to it has that e-mail already.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from typing import Any

from shopsync.erp.port import ERP, Doc
from shopsync.sync.links import Binder, erp_key
from shopsync.sync.outcome import DONE, FAILED, SKIPPED, Outcome
from shopsync.sync.site import SiteConfig
from shopsync.sync.runtime import shop_client

NEAR_SAME = 90


@dataclasses.dataclass
class CustomerResult:
    customer: str
    created: bool = False
    contact: str | None = None
    billing_address: str | None = None
    shipping_address: str | None = None
    notes: list[str] = dataclasses.field(default_factory=list)


def normalise_email(email: Any) -> str:
    return str(email or "").strip().lower()


def normalise_text(text: Any) -> str:
    """Case-, accent-, punctuation- and spacing-insensitive form: "Éloïse  MARTIN" -> "eloise martin"."""
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", stripped).split())


def _clean(text: Any, size: int = 140) -> str:
    return " ".join(str(text or "").split())[:size]


def party_name(order: dict[str, Any]) -> tuple[str, str]:
    """``(customer_name, customer_type)`` from the order's billing (else shipping) details."""
    billing = order.get("billing") or {}
    shipping = order.get("shipping") or {}
    company = _clean(billing.get("company"))
    if company:
        return company, "Company"
    for part in (billing, shipping):
        person = _clean(f"{part.get('first_name') or ''} {part.get('last_name') or ''}")
        if person:
            return person, "Individual"
    email = normalise_email(billing.get("email"))
    if email:
        return email[:140], "Individual"
    if order.get("customer_id"):
        return f"WooCommerce customer {order['customer_id']}", "Individual"
    return f"Guest of order {order.get('number') or order.get('id')}", "Individual"


# --- finding --------------------------------------------------------------------------------------

def _email_variants(email: str) -> list[str]:
    return list(dict.fromkeys(v for v in (normalise_email(email), str(email or "").strip()) if v))


def find_by_email(erp: ERP, email: str) -> str | None:
    """The Customer a billing e-mail belongs to, or None."""
    for variant in _email_variants(email):
        for row in erp.find("Contact Email", {"email_id": variant, "parenttype": "Contact"}, fields=("parent",)):
            links = erp.find(
                "Dynamic Link",
                {"parent": row["parent"], "parenttype": "Contact", "link_doctype": "Customer"},
                fields=("link_name",),
            )
            for link in links:
                if _usable(erp, link["link_name"]):
                    return link["link_name"]
        for row in erp.find("Customer", {"email_id": variant}, fields=("name",)):
            if _usable(erp, row["name"]):
                return row["name"]
    return None


def _usable(erp: ERP, customer: str) -> bool:
    if not customer:
        return False
    rows = erp.find("Customer", {"name": customer}, fields=("disabled",), limit=1)
    return bool(rows) and not rows[0].get("disabled")


def _like_patterns(customer_name: str) -> list[str]:
    """LIKE patterns that catch same and near-same names: the first letters of each word (the
    database compares case- and accent-insensitively, as MariaDB's utf8mb4_unicode_ci does)."""
    out = []
    for word in customer_name.split():
        plain = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
        stem = plain[:4].replace("%", "").replace("_", "")
        if len(stem) >= 2:
            out.append(f"%{stem}%")
    return list(dict.fromkeys(out))[:4]


def similar_customers(erp: ERP, customer_name: str) -> list[tuple[str, str, int]]:
    """Existing customers whose name is the same or near-same: ``(name, customer_name, score)``."""
    target = normalise_text(customer_name)
    seen: dict[str, str] = {}
    for pattern in _like_patterns(customer_name):
        for row in erp.find("Customer", {"customer_name": ("like", pattern)}, fields=("name", "customer_name"), limit=500):
            seen[row["name"]] = row.get("customer_name") or row["name"]
    if erp.exists("Customer", customer_name):
        seen.setdefault(customer_name, customer_name)
    if not seen:
        return []
    from rapidfuzz import fuzz  # here: a job that meets no namesake never loads it

    out = []
    for name, cname in seen.items():
        score = max(fuzz.ratio(target, normalise_text(cname)), fuzz.ratio(target, normalise_text(name)))
        if score >= NEAR_SAME:
            out.append((name, cname, int(score)))
    return sorted(out, key=lambda r: (-r[2], r[0]))


def new_customer_name(erp: ERP, customer_name: str, similar: list[tuple[str, str, int]] | None = None) -> str:
    """The document name for a new customer called ``customer_name`` (see the module's docstring)."""
    similar = similar_customers(erp, customer_name) if similar is None else similar
    taken = {normalise_text(name) for name, _, _ in similar}

    def free(candidate: str) -> bool:
        # ERPNext also refuses a customer named like a Customer Group; a customer named
        # ``customer_name`` itself is in ``similar`` (similar_customers looked it up by name)
        return (
            normalise_text(candidate) not in taken
            and (candidate == customer_name or not erp.exists("Customer", candidate))
            and not erp.exists("Customer Group", candidate)
        )

    if free(customer_name):
        return customer_name
    n = 1
    while not free(f"{customer_name} - {n}"):
        n += 1
    return f"{customer_name} - {n}"


# --- the whole party --------------------------------------------------------------------------------

def resolve_customer(
    erp: ERP,
    site: SiteConfig,
    order: dict[str, Any],
    binder: Binder | None = None,
    customer: str | None = None,
) -> CustomerResult:
    """Find or make the order's customer, its addresses and contact. Writes: call it inside a
    transaction. With ``customer`` given, that customer is kept (a submitted Sales Order's)."""
    binder = binder or Binder(erp, site.name)
    billing = order.get("billing") or {}
    email = normalise_email(billing.get("email"))
    woo_id = int(order.get("customer_id") or 0)
    result = CustomerResult(customer="")
    link = binder.get("Customer", woo_id) if woo_id else None

    if customer:
        result.customer = customer
    else:
        if link is not None and link.get("erp_name") and _usable(erp, link["erp_name"]):
            result.customer = link["erp_name"]
        if not result.customer and email:
            found = find_by_email(erp, email)
            if found:
                result.customer = found
        if not result.customer:
            result.customer = create_customer(erp, site, order, result)
            result.created = True
        if woo_id:
            _bind_customer(erp, site, binder, link, woo_id, result)

    # Titled by the customer's document name, as ERPNext does without a title: homonyms' addresses
    # get distinct names ("Jean Dupont - 1-Billing").
    addresses = _Addresses(erp, result.customer, result.customer)
    result.billing_address = addresses.ensure(billing, "Billing", email=email, notes=result.notes)
    shipping = order.get("shipping") or {}
    if _has_address(shipping):
        result.shipping_address = addresses.ensure(shipping, "Shipping", notes=result.notes)
    result.contact = ensure_contact(erp, result.customer, billing, email, order.get("shipping") or {},
                                    customer_type=party_name(order)[1] if result.created else None)
    if result.created:
        primary = {}
        if result.billing_address:
            primary["customer_primary_address"] = result.billing_address
        if result.contact:
            # what a save would fetch from the contact (Customer's email_id and mobile_no are
            # fetched from customer_primary_contact): written straight, the Customer just made is
            # not validated and saved a second time
            primary["customer_primary_contact"] = result.contact
            primary["email_id"] = email or None
            primary["mobile_no"] = _contact_phone(billing, order.get("shipping") or {}) or None
        if primary:
            erp.set_values("Customer", result.customer, primary)
    return result


def create_customer(erp: ERP, site: SiteConfig, order: dict[str, Any], result: CustomerResult) -> str:
    customer_name, customer_type = party_name(order)
    similar = similar_customers(erp, customer_name)
    name = new_customer_name(erp, customer_name, similar)
    doc: Doc = {
        "doctype": "Customer",
        "name": name,
        "customer_name": customer_name,
        "customer_type": customer_type,
    }
    if site.customer_group:
        doc["customer_group"] = site.customer_group
    if site.territory:
        doc["territory"] = site.territory
    made = erp.insert(doc)
    if similar:
        others = ", ".join(n for n, _, _ in similar[:3])
        result.notes.append(f"new customer {made['name']} has the name of {others} but another e-mail: kept apart")
    return made["name"]


def _bind_customer(erp: ERP, site: SiteConfig, binder: Binder, link: Doc | None, woo_id: int, result: CustomerResult) -> None:
    if link is not None:
        if link.get("erp_name") != result.customer:
            binder.update(link, erp_name=result.customer, erp_key=erp_key(site.name, "Customer", result.customer), state="In sync")
        return
    other = binder.for_erp("Customer", result.customer)
    if other is not None:
        result.notes.append(
            f"customer {result.customer} is already linked to WooCommerce customer {other.get('woo_id')}; not linked to {woo_id}"
        )
        return
    binder.bind("Customer", woo_id, result.customer)


# --- addresses --------------------------------------------------------------------------------------


def country_for(erp: ERP, iso: str) -> str | None:
    """The ERP's Country for an ISO 3166 code ("FR" -> "France"), None when unknown."""
    code = (iso or "").strip().lower()
    if not code:
        return None
    rows = erp.find("Country", {"code": code}, fields=("name",), limit=1)
    if not rows and code.upper() != code:
        rows = erp.find("Country", {"code": code.upper()}, fields=("name",), limit=1)
    return rows[0]["name"] if rows else None


def _has_address(part: dict[str, Any]) -> bool:
    return bool((part.get("address_1") or "").strip() or (part.get("city") or "").strip())


def address_key(line1: Any, line2: Any, city: Any, pincode: Any, state: Any, country: Any) -> tuple[str, ...]:
    return tuple(normalise_text(v) for v in (line1, line2, city, pincode, state, country))


class _Addresses:
    def __init__(self, erp: ERP, customer: str, title: str):
        self.erp = erp
        self.customer = customer
        self.title = title
        self._known: dict[tuple[str, ...], str] | None = None

    def known(self) -> dict[tuple[str, ...], str]:
        if self._known is None:
            self._known = {}
            rows = self.erp.find(
                "Dynamic Link",
                {"link_doctype": "Customer", "link_name": self.customer, "parenttype": "Address"},
                fields=("parent",),
            )
            names = list(dict.fromkeys(r["parent"] for r in rows))
            # the customer's addresses in one read, oldest first (the first of two alike is kept)
            found = self.erp.find("Address", {"name": ("in", names), "disabled": 0}, order_by="creation asc",
                                  fields=("name", "address_line1", "address_line2", "city", "pincode", "state", "country")) if names else []
            for a in found:
                key = address_key(a.get("address_line1"), a.get("address_line2"), a.get("city"), a.get("pincode"), a.get("state"), a.get("country"))
                self._known.setdefault(key, a["name"])
        return self._known

    def ensure(self, part: dict[str, Any], address_type: str, email: str = "", notes: list[str] | None = None) -> str | None:
        notes = notes if notes is not None else []
        if not _has_address(part):
            return None
        line1, city = _clean(part.get("address_1"), 240), _clean(part.get("city"))
        country = country_for(self.erp, part.get("country") or "")
        if not line1 or not city or not country:
            missing = [n for n, v in (("street", line1), ("city", city), ("country", country)) if not v]
            notes.append(f"{address_type.lower()} address left out: no {', no '.join(missing)} (country code {part.get('country')!r})")
            return None
        key = address_key(line1, part.get("address_2"), city, part.get("postcode"), part.get("state"), country)
        known = self.known()
        if key in known:
            return known[key]
        doc: Doc = {
            "doctype": "Address",
            "address_title": self.title,
            "address_type": address_type,
            "address_line1": line1,
            "city": city,
            "country": country,
            "links": [{"link_doctype": "Customer", "link_name": self.customer}],
        }
        for field, value in (
            ("address_line2", _clean(part.get("address_2"), 240)),
            ("pincode", _clean(part.get("postcode"))),
            ("state", _clean(part.get("state"))),
            ("phone", _clean(part.get("phone"))),
            ("email_id", email),
        ):
            if value:
                doc[field] = value
        if not known:
            doc["is_primary_address" if address_type == "Billing" else "is_shipping_address"] = 1
        made = self.erp.insert(doc)
        known[key] = made["name"]
        return made["name"]


# --- contact ----------------------------------------------------------------------------------------

def _contacts_of(erp: ERP, customer: str) -> list[str]:
    rows = erp.find(
        "Dynamic Link", {"link_doctype": "Customer", "link_name": customer, "parenttype": "Contact"}, fields=("parent",)
    )
    return list(dict.fromkeys(r["parent"] for r in rows))


def _contact_phone(billing: dict[str, Any], shipping: dict[str, Any]) -> str:
    return _clean(billing.get("phone")) or _clean(shipping.get("phone"))


def gravatar_url(email: str) -> str:
    """Frappe's ``get_gravatar_url(email, "mm")``: the buyer's gravatar, or a blank figure."""
    digest = hashlib.md5(email.encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"https://secure.gravatar.com/avatar/{digest}?d=mm&s=200"


def ensure_contact(erp: ERP, customer: str, billing: dict[str, Any], email: str, shipping: dict[str, Any] | None = None,
                   customer_type: str | None = None) -> str | None:
    """``customer_type``: the customer's, when the caller just made it (else read)."""
    linked = _contacts_of(erp, customer)
    if email and linked:  # only a contact of the customer is taken
        for variant in _email_variants(email):
            for row in erp.find("Contact Email", {"email_id": variant, "parenttype": "Contact"}, fields=("parent",)):
                if row["parent"] in linked:
                    return row["parent"]
    first = _clean(billing.get("first_name")) or _clean((shipping or {}).get("first_name"))
    last = _clean(billing.get("last_name")) or _clean((shipping or {}).get("last_name"))
    phone = _contact_phone(billing, shipping or {})
    if not email:
        target = normalise_text(f"{first} {last}")
        for name in linked:
            c = erp.get("Contact", name)
            if target and normalise_text(f"{c.get('first_name') or ''} {c.get('last_name') or ''}") == target:
                return name
        if not (first or last or phone):
            return None
    doc: Doc = {
        "doctype": "Contact",
        "first_name": first or _clean(billing.get("company")) or email or customer,
        "links": [{"link_doctype": "Customer", "link_name": customer}],
    }
    if last:
        doc["last_name"] = last
    if billing.get("company"):
        doc["company_name"] = _clean(billing.get("company"))
    if email:
        doc["email_ids"] = [{"email_id": email, "is_primary": 1}]
        # Frappe's Contact asks gravatar.com for a contact with an e-mail and no image, over the
        # internet and inside the job's transaction (up to 5 s). The image is set to the gravatar
        # address itself, which shows the buyer's gravatar, or gravatar's blank figure, in the desk
        # without the server asking anything.
        doc["image"] = gravatar_url(email)
    if phone:
        doc["phone_nos"] = [{"phone": phone, "is_primary_phone": 1, "is_primary_mobile_no": 1}]
    if not linked:
        doc["is_primary_contact"] = 1
    if (customer_type if customer_type is not None else erp.get_value("Customer", customer, "customer_type")) == "Individual":
        # Frappe names a Contact "<full name>-<first link's name>", so a person's own contact would be
        # "Hélène Bérubé-Hélène Bérubé"; it is named as the person instead, as Frappe names a
        # contact without links ("Hélène Bérubé", "Hélène Bérubé-1" for a namesake), and inserted
        # with its link at once (not inserted, then saved again with the link).
        doc["name"] = _free_contact_name(erp, " ".join(filter(None, (doc["first_name"], last))))
    return erp.insert(doc)["name"]


def _free_contact_name(erp: ERP, full_name: str) -> str:
    """Frappe's ``append_number_if_name_exists("Contact", full_name)``: the name, or the name with
    the next number after the highest one taken."""
    if not erp.exists("Contact", full_name):
        return full_name
    numbers = [0]  # ("%" or "_" in a name only widen the LIKE: the prefix is checked below)
    for row in erp.find("Contact", {"name": ("like", full_name + "-%")}, fields=("name",)):
        head, tail = row["name"][:len(full_name) + 1], row["name"][len(full_name) + 1:]
        if head.casefold() == (full_name + "-").casefold() and tail.isdigit():
            numbers.append(int(tail))
    return f"{full_name}-{max(numbers) + 1}"


# --- customer webhooks ------------------------------------------------------------------------------

def handle_delivery(rt: Any, site: SiteConfig, event: str, payload: dict[str, Any]) -> Outcome:
    """customer.created / customer.updated: find or make the customer, its addresses and contact."""
    if event == "deleted":
        return _customer_deleted(rt, site, int((payload or {}).get("id") or 0))
    return import_customer(rt.erp, site, payload)


def _customer_deleted(rt: Any, site: SiteConfig, woo_id: int) -> Outcome:
    """customer.deleted: once the shop confirms the customer is gone (404), its link goes Not
    linked; the ERPNext Customer, its addresses, contacts and orders stay as they are."""
    from shopsync.sync.links import NOT_LINKED

    with shop_client(rt, site) as client:
        if client.get_unless_gone(f"customers/{woo_id}") is not None:
            return Outcome(SKIPPED, f"customer {woo_id} is still in the shop: the deletion was not applied")
    binder = Binder(erp := rt.erp, site.name)
    link = binder.get("Customer", woo_id)
    if link is None or link.get("state") == NOT_LINKED:
        return Outcome(SKIPPED, f"customer {woo_id} deleted in the shop; it was not linked")
    with erp.transaction():
        binder.update(link, state=NOT_LINKED, last_synced_at=erp.now(),
                      last_error=f"The customer was deleted in the shop ({erp.now()}); the ERPNext customer stays.")
    return Outcome(DONE, f"customer {woo_id} deleted in the shop: {link.get('erp_name')} is no longer linked (it stays)")


def import_customer(erp: ERP, site: SiteConfig, payload: dict[str, Any]) -> Outcome:
    """One WooCommerce customer (wc/v3 JSON) into the ERP: Done or Failed, with what happened."""
    woo_id = int((payload or {}).get("id") or 0)
    if not woo_id or "email" not in payload:
        return Outcome(FAILED, "the payload holds no customer")
    billing = dict(payload.get("billing") or {})
    if not billing.get("email"):
        billing["email"] = payload.get("email")
    for key in ("first_name", "last_name"):
        if not billing.get(key):
            billing[key] = payload.get(key) or ""
    as_order = {"id": 0, "customer_id": woo_id, "billing": billing, "shipping": payload.get("shipping") or {}}
    with erp.transaction():
        result = resolve_customer(erp, site, as_order)
    verb = "created" if result.created else "found"
    return Outcome(DONE, "; ".join([f"customer {result.customer} {verb}"] + result.notes))
