"""The stand-in's Sales Order rules beyond what the goldens replay (tests/test_erp_business_rules.py
replays j1-j5): the events ``update_status`` fires, credit limits from a group or the company and
the credit controller role, the outstanding that counts invoices and payments, the last purchase
rate, and a Product Bundle's own checks. Each is ERPNext 15.71.1's code path, read in its source
(tests/erp_stand_in/selling.py says where)."""

from __future__ import annotations

import pytest

from shopsync.erp import errors as E
from tests.erp_stand_in import MemoryERP

STORES = "Stores - TS"


@pytest.fixture
def erp():
    erp = MemoryERP.with_test_shop()
    with erp.transaction():
        erp.insert({"doctype": "Customer", "customer_name": "Acme", "customer_group": "Commercial"})
        erp.insert({"doctype": "Item", "item_code": "PART", "item_group": "Products"})
        se = erp.insert({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt",
                         "items": [{"item_code": "PART", "qty": 10, "t_warehouse": STORES, "basic_rate": 8}]})
        erp.submit("Stock Entry", se["name"])
    return erp


def order(erp, rate=60.0, qty=1, submit=True, customer="Acme"):
    with erp.transaction():
        so = erp.insert({"doctype": "Sales Order", "customer": customer, "company": "Test Shop", "delivery_date": "2026-12-31",
                         "items": [{"item_code": "PART", "qty": qty, "rate": rate, "warehouse": STORES}]})
        if submit:
            so = erp.submit("Sales Order", so["name"])
    return so


def bin_of(erp):
    [b] = erp.bins(["PART"], [STORES])
    return b


def test_update_status_fires_on_change_only_and_writes_no_ledger(erp):
    so = order(erp, qty=3)
    seen = []
    for event in ("on_update", "on_submit", "on_update_after_submit", "on_change", "validate"):
        erp.on("Sales Order", event, lambda doc, e=event: seen.append((e, doc["status"])))
    erp.on("Bin", "on_update", lambda doc: seen.append(("Bin", doc["reserved_qty"])))
    before = bin_of(erp)
    erp.clock.advance(minutes=1)
    erp.update_status(so["name"], "Closed")
    assert seen == [("on_change", "Closed"), ("on_change", "Closed")]  # db_set twice (set_status)
    after = bin_of(erp)
    assert (before["reserved_qty"], after["reserved_qty"], after["projected_qty"]) == (3.0, 0.0, 10.0)
    assert after["modified"] > before["modified"]
    assert len(erp.find("Stock Ledger Entry", {"item_code": "PART"})) == 1  # the receipt only


def test_hold_and_close_reserve_nothing_and_a_closed_order_is_not_cancelled(erp):
    so = order(erp, qty=3)["name"]
    erp.update_status(so, "On Hold")
    assert bin_of(erp)["reserved_qty"] == 0.0 and erp.get("Sales Order", so)["status"] == "On Hold"
    erp.update_status(so, "Draft")
    assert bin_of(erp)["reserved_qty"] == 3.0 and erp.get("Sales Order", so)["status"] == "To Deliver and Bill"
    erp.update_status(so, "Closed")
    with pytest.raises(E.ValidationError, match="Closed order cannot be cancelled. Unclose to cancel."):
        erp.cancel("Sales Order", so)
    assert erp.get("Sales Order", so)["docstatus"] == 1


def set_limit(erp, doctype, name, limit, bypass=0):
    with erp.transaction():
        erp.update(doctype, name, {"credit_limits": [{"company": "Test Shop", "credit_limit": limit,
                                                       "bypass_credit_limit_check": bypass}]})


def test_a_group_or_company_credit_limit_applies_when_the_customer_has_none(erp):
    set_limit(erp, "Customer Group", "Commercial", 100)
    order(erp, rate=60)
    with pytest.raises(E.ValidationError, match="Please contact your administrator to extend the credit limits for Acme."):
        order(erp, rate=60)
    set_limit(erp, "Customer Group", "Commercial", 100, bypass=1)  # the group's row bypassing: no group limit
    order(erp, rate=60)
    with erp.transaction():
        erp.update("Company", "Test Shop", {"credit_limit": 150})
    with pytest.raises(E.ValidationError, match="credit limits for Acme"):
        order(erp, rate=60)


def test_the_credit_controller_role_lets_its_holder_submit(erp):
    set_limit(erp, "Customer", "Acme", 50)
    with erp.transaction():
        erp.update("Accounts Settings", "Accounts Settings", {"credit_controller": "Accounts Manager"})
    order(erp, rate=60)  # the stand-in acts as Administrator, who holds every role
    erp.session_roles = {"Sales User"}
    with pytest.raises(E.ValidationError, match=r"^Please contact your administrator to extend the credit limits for Acme.$"):
        order(erp, rate=60)  # nobody holds the role (Administrator is never named)
    with erp.transaction():
        erp.insert({"doctype": "User", "email": "carla@example.com", "first_name": "Carla", "last_name": "Control",
                    "roles": [{"role": "Accounts Manager"}]})
    with pytest.raises(E.ValidationError) as refused:
        order(erp, rate=60)
    assert str(refused.value) == (
        "Credit limit has been crossed for customer Acme (120.0/50.0)<br><br>Please contact any of the following "
        "users to extend the credit limits for Acme: <br><br><ul><li>Carla Control (carla@example.com)</li></ul>")


def test_outstanding_counts_the_ledger_and_open_orders_but_not_closed_ones(erp):
    first = order(erp, rate=60)["name"]
    with erp.transaction():
        si = erp.insert(erp.make_sales_invoice(first))
        erp.submit("Sales Invoice", si["name"])
    set_limit(erp, "Customer", "Acme", 100)
    with pytest.raises(E.ValidationError):  # 60 invoiced (the order now billed) + 60
        order(erp, rate=60)
    with erp.transaction():
        pe = erp.insert(erp.get_payment_entry("Sales Invoice", si["name"], reference_date="2026-11-23") | {"reference_no": "T1"})
        erp.submit("Payment Entry", pe["name"])
    second = order(erp, rate=60)["name"]  # paid: 0 + 60
    erp.update_status(second, "Closed")
    order(erp, rate=60)  # the Closed order is not outstanding
    with pytest.raises(E.ValidationError):  # re-opening counts it again
        erp.update_status(second, "Draft")
    assert erp.get("Sales Order", second)["status"] == "Closed"


def test_selling_below_the_last_purchase_rate_is_refused_too(erp):
    with erp.transaction():
        erp.update("Selling Settings", "Selling Settings", {"validate_selling_price": 1})
        erp.set_values("Item", "PART", {"last_purchase_rate": 12.0})
    with pytest.raises(E.ValidationError, match=r"is lower than its <strong>last purchase rate</strong>"):
        order(erp, rate=10, submit=False)
    with erp.transaction():
        erp.set_values("Item", "PART", {"last_purchase_rate": 0})
    with pytest.raises(E.ValidationError, match=r"valuation rate \(Moving Average\)"):
        order(erp, rate=7, submit=False)
    assert order(erp, rate=8, submit=False)["docstatus"] == 0


def test_a_product_bundle_is_a_non_stock_item_of_plain_components(erp):
    with erp.transaction():
        erp.insert({"doctype": "Item", "item_code": "BOX", "item_group": "Products", "is_stock_item": 0})
    with pytest.raises(E.ValidationError, match="Parent Item PART must not be a Stock Item"):
        with erp.transaction():
            erp.insert({"doctype": "Product Bundle", "new_item_code": "PART", "items": [{"item_code": "BOX", "qty": 1}]})
    with erp.transaction():
        bundle = erp.insert({"doctype": "Product Bundle", "new_item_code": "BOX", "items": [{"item_code": "PART", "qty": 2}]})
    assert bundle["name"] == "BOX" and bundle["items"][0]["uom"] == "Nos"
    with erp.transaction():
        so = erp.insert({"doctype": "Sales Order", "customer": "Acme", "company": "Test Shop", "delivery_date": "2026-12-31",
                         "items": [{"item_code": "BOX", "qty": 3, "rate": 30, "warehouse": STORES}]})
        erp.submit("Sales Order", so["name"])
    assert bin_of(erp)["reserved_qty"] == 6.0 and erp.bins(["BOX"], [STORES]) == []
