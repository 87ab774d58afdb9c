"""Who is this buyer in the ERP: names, e-mails, addresses, contacts, and the customer webhooks."""

from __future__ import annotations

import pytest

from shopsync.sync import customers
from shopsync.sync.links import LINK_DOCTYPE, Binder
from shopsync.sync.runtime import Runtime
from tests.erp_stand_in import MemoryERP
from tests.support.sites import add_site


@pytest.fixture
def erp():
    erp = MemoryERP.with_test_shop()
    erp.ignore_links_on_delete.add(LINK_DOCTYPE)
    return erp


@pytest.fixture
def site(erp):
    return add_site(erp, "shop1", "http://127.0.0.1:9/", "ck", "cs")


def order(billing=None, shipping=None, customer_id=0, oid=1):
    bill = {"first_name": "Jean", "last_name": "Dupont", "company": "", "address_1": "12 rue de la Paix",
            "address_2": "", "city": "Paris", "state": "", "postcode": "75002", "country": "FR",
            "email": "jean@example.test", "phone": "0102030405"}
    bill.update(billing or {})
    return {"id": oid, "number": str(oid), "customer_id": customer_id, "billing": bill,
            "shipping": shipping if shipping is not None else {}}


def resolve(erp, site, o, **kw):
    with erp.transaction():
        return customers.resolve_customer(erp, site, o, **kw)


def test_normalised_forms_ignore_case_accents_punctuation_and_spacing():
    assert customers.normalise_text("  Éloïse   MARTIN ") == "eloise martin"
    assert customers.normalise_text("Noël-François") == "noel francois"
    assert customers.normalise_text("山田 太郎") == "山田 太郎"
    assert customers.normalise_email(" Jean.Dupont@Example.TEST ") == "jean.dupont@example.test"


def test_party_name_company_person_email_or_order():
    assert customers.party_name(order({"company": "Société Générale d'Été"})) == ("Société Générale d'Été", "Company")
    assert customers.party_name(order({"first_name": " Inès ", "last_name": "García"})) == ("Inès García", "Individual")
    assert customers.party_name(order({"first_name": "", "last_name": ""}, {"first_name": "Zoé", "last_name": "L"})) == (
        "Zoé L", "Individual")
    assert customers.party_name(order({"first_name": "", "last_name": ""}))[0] == "jean@example.test"
    assert customers.party_name({"id": 9, "number": "9", "billing": {}})[0] == "Guest of order 9"


def test_new_names_are_distinct_once_case_and_accents_are_ignored(erp, site):
    assert customers.new_customer_name(erp, "Jean Dupont") == "Jean Dupont"
    first = resolve(erp, site, order())
    assert first.customer == "Jean Dupont" and first.created
    assert customers.new_customer_name(erp, "JEAN DUPONT") == "JEAN DUPONT - 1"
    assert customers.new_customer_name(erp, "Jéan Dupont") == "Jéan Dupont - 1"
    assert customers.new_customer_name(erp, "Jean Martin") == "Jean Martin"


def test_found_by_email_through_the_contact(erp, site):
    made = resolve(erp, site, order())
    assert customers.find_by_email(erp, "JEAN@example.test") == made.customer
    assert customers.find_by_email(erp, "other@example.test") is None
    again = resolve(erp, site, order({"first_name": "J.", "address_1": "12, Rue de la Paix"}))
    assert again.customer == made.customer and not again.created
    assert again.billing_address == made.billing_address  # punctuation and case do not make a new address
    assert again.contact == made.contact


def test_disabled_customer_is_not_reused(erp, site):
    made = resolve(erp, site, order())
    with erp.transaction():
        erp.update("Customer", made.customer, {"disabled": 1})
    other = resolve(erp, site, order())
    assert other.customer != made.customer and other.created


def test_billing_and_shipping_addresses_and_primary_flags(erp, site):
    ship = {"first_name": "Jean", "last_name": "Dupont", "address_1": "3 place du Marché", "city": "Besançon",
            "postcode": "25000", "country": "FR"}
    made = resolve(erp, site, order(shipping=ship))
    billing = erp.get("Address", made.billing_address)
    shipping = erp.get("Address", made.shipping_address)
    assert (billing["address_type"], billing["is_primary_address"], billing["email_id"]) == ("Billing", 1, "jean@example.test")
    assert (shipping["address_type"], shipping["city"], shipping["country"]) == ("Shipping", "Besançon", "France")
    customer = erp.get("Customer", made.customer)
    assert customer["customer_primary_address"] == made.billing_address
    assert customer["customer_primary_contact"] == made.contact
    # the same shipping address again, typed differently: no new document
    again = resolve(erp, site, order(shipping=dict(ship, address_1="3 Place du  marche", city="BESANCON")))
    assert again.shipping_address == made.shipping_address
    assert len(erp.find("Address")) == 2


def test_country_by_iso_code(erp):
    assert customers.country_for(erp, "FR") == "France"
    assert customers.country_for(erp, "de") == "Germany"
    assert customers.country_for(erp, "XX") is None and customers.country_for(erp, "") is None


def test_kept_customer_gets_the_orders_addresses(erp, site):
    made = resolve(erp, site, order())
    kept = resolve(erp, site, order({"email": "someone.else@example.test", "address_1": "1 rue Neuve"}),
                   customer=made.customer)
    assert kept.customer == made.customer and kept.billing_address != made.billing_address


def test_customer_webhook_creates_then_finds_the_customer(erp, site):
    rt = Runtime(erp=erp, load_site=lambda name: site, client_for=lambda s: None, enqueue=lambda *a, **k: True)
    payload = {"id": 5, "email": "ines.garcia@example.test", "first_name": "Inès", "last_name": "García",
               "billing": {"first_name": "Inès", "last_name": "García", "address_1": "5 calle Mayor", "city": "Madrid",
                           "postcode": "28013", "country": "ES", "email": "", "phone": ""},
               "shipping": {}}
    done = customers.handle_delivery(rt, site, "created", payload)
    assert done.status == "Done" and "created" in done.message
    assert Binder(erp, "shop1").erp_name("Customer", 5) == "Inès García"
    assert erp.get("Address", erp.get("Customer", "Inès García")["customer_primary_address"])["country"] == "Spain"
    again = customers.handle_delivery(rt, site, "updated", payload)
    assert again.status == "Done" and "found" in again.message
    assert len(erp.find("Customer")) == 1
