"""Orders meeting ERPNext's rules for business customers, against the stand-in that enforces them
as the real site does (tests/captures/erpnext/golden/j1, j4, j5; tests/test_erp_business_rules.py):

- one customer's PO number on one Sales Order that is not cancelled (drafts count): shopsync's
  ``po_no`` rule ("45", "45 (shop2)", "45 (shop2, order 45)") never meets the refusal, and one shop
  order never gets a second Sales Order;
- the credit limit at submit and a line below its valuation rate at save: the order fails whole,
  the log says what to change, Retry imports it once changed;
- a Closed Sales Order is not cancelled by the shop: the log says to re-open it.
"""

from __future__ import annotations

import pytest

from shopsync.erp import errors as E
from shopsync.sync import deliveries, webhooks
from shopsync.sync.links import LINK_DOCTYPE, Binder
from shopsync.sync.orders import import_order
from tests.erp_stand_in import MemoryERP
from tests.test_intake_e2e import entries, world  # noqa: F401 - the fixture
from tests.test_orders_builder import make_order
from tests.test_orders_import import make_site


@pytest.fixture
def erp():
    erp = MemoryERP.with_test_shop()
    erp.ignore_links_on_delete.add(LINK_DOCTYPE)
    return erp


@pytest.fixture
def site(erp):
    return make_site(erp)


def po_numbers(erp, customer):
    rows = erp.find("Sales Order", {"customer": customer}, fields=("name", "po_no", "docstatus"), order_by="creation asc")
    return [(r["po_no"], r["docstatus"]) for r in rows]


def hand_made_order(erp, customer, po_no):
    """A Sales Order staff entered for the customer's own purchase order."""
    with erp.transaction():
        erp.insert({"doctype": "Sales Order", "customer": customer, "company": "Test Shop", "po_no": po_no,
                    "delivery_date": "2026-12-31", "items": [{"item_code": "SKU-101", "qty": 1, "rate": 10,
                                                              "warehouse": "Stores - TS"}]})


# ------------------------------------------------------------------------------------------ po_no

def test_the_stand_in_refuses_a_second_open_order_with_one_po_number(erp, site):
    first = import_order(erp, site, make_order([{"price": "10.00"}], order_id=45, status="pending"))
    assert so_docstatus(erp, first) == 0  # a draft
    with pytest.raises(E.ValidationError, match="already exists against Customer's Purchase Order"):
        hand_made_order(erp, first.customer, "45")


def so_docstatus(erp, outcome):
    return erp.get("Sales Order", outcome.sales_order)["docstatus"]


def test_a_draft_of_another_site_holds_the_number_too(erp, site):
    other = make_site(erp, "shop2")
    a = import_order(erp, site, make_order([{"price": "10.00"}], order_id=45, status="pending"))
    b = import_order(erp, other, make_order([{"price": "10.00"}], order_id=45))
    assert (a.status, b.status) == ("created", "created"), (a, b)
    assert po_numbers(erp, a.customer) == [("45", 0), ("45 (shop2)", 1)]


def test_numbers_entered_by_hand_push_the_order_id_in(erp, site):
    first = import_order(erp, site, make_order([{"price": "10.00"}], order_id=7))
    hand_made_order(erp, first.customer, "45")
    hand_made_order(erp, first.customer, "45 (shop1)")
    outcome = import_order(erp, site, make_order([{"price": "10.00"}], order_id=45))
    assert outcome.status == "created", outcome
    assert erp.get("Sales Order", outcome.sales_order)["po_no"] == "45 (shop1, order 45)"


def test_a_changed_or_reimported_order_keeps_its_number_and_its_one_sales_order(erp, site):
    other = make_site(erp, "shop2")
    a = import_order(erp, site, make_order([{"price": "10.00"}], order_id=45, status="pending"))
    b = import_order(erp, other, make_order([{"price": "10.00"}], order_id=45))
    changed = import_order(erp, site, make_order([{"price": "12.00"}], order_id=45, status="pending",
                                                 modified="2026-11-23T10:05:00"))
    assert changed.status == "updated" and changed.sales_order == a.sales_order
    again = import_order(erp, site, make_order([{"price": "12.00"}], order_id=45, status="pending",
                                               modified="2026-11-23T10:05:00"), force=True)
    paid = import_order(erp, site, make_order([{"price": "12.00"}], order_id=45, status="processing",
                                              modified="2026-11-23T10:10:00"))
    assert again.sales_order == paid.sales_order == a.sales_order and "submitted" in paid.reason
    assert po_numbers(erp, a.customer) == [("45", 1), ("45 (shop2)", 1)]
    assert Binder(erp, "shop1").erp_name("Order", 45) == a.sales_order
    assert Binder(erp, "shop2").erp_name("Order", 45) == b.sales_order


def test_an_order_cancelled_then_back_is_amended_under_its_own_number(erp, site):
    first = import_order(erp, site, make_order([{"price": "10.00"}], order_id=45))
    import_order(erp, site, make_order([{"price": "10.00"}], order_id=45, status="cancelled", modified="2026-11-23T10:05:00"))
    back = import_order(erp, site, make_order([{"price": "10.00"}], order_id=45, modified="2026-11-23T10:10:00"))
    assert back.status == "updated" and back.sales_order == f"{first.sales_order}-1", back
    assert po_numbers(erp, first.customer) == [("45", 2), ("45", 1)]


# ------------------------------------------------------------------------------------------ credit limit

def set_credit_limit(erp, customer, limit, bypass=0):
    with erp.transaction():
        erp.update("Customer", customer, {"credit_limits": [
            {"company": "Test Shop", "credit_limit": limit, "bypass_credit_limit_check": bypass}]})


def test_over_the_credit_limit_the_order_fails_whole_and_says_what_to_do(erp, site):
    first = import_order(erp, site, make_order([{"price": "50.00"}], order_id=1))  # 60.00 with VAT
    customer = first.customer
    set_credit_limit(erp, customer, 100)
    refused = import_order(erp, site, make_order([{"price": "50.00"}], order_id=2))
    assert refused.status == "failed" and not refused.retryable
    assert refused.reason.startswith(f"Credit limit reached for customer {customer} in Test Shop (limit 100.00")
    assert "Raise the limit, or tick “Bypass Credit Limit Check at Sales Order”" in refused.reason
    assert "then Retry" in refused.reason and "credit limits for" in refused.reason  # the ERP's own words too
    assert Binder(erp, "shop1").get("Order", 2) is None and len(po_numbers(erp, customer)) == 1
    set_credit_limit(erp, customer, 100, bypass=1)
    again = import_order(erp, site, make_order([{"price": "50.00"}], order_id=2))
    assert again.status == "created" and so_docstatus(erp, again) == 1


def test_on_a_french_site_the_credit_limit_is_still_recognised(erp, site, monkeypatch):
    """The refusal is told by where it happened (written, then refused by the submit's work) and
    by the limit the ERP holds, never by its words: a translated site says it in French."""
    from tests.erp_stand_in import selling

    english = selling.check_credit_limit

    def in_french(erp_, customer, company):
        try:
            english(erp_, customer, company)
        except E.ValidationError:
            raise E.ValidationError(f"Limite de crédit dépassée pour le client {customer}") from None

    monkeypatch.setattr(selling, "check_credit_limit", in_french)
    first = import_order(erp, site, make_order([{"price": "50.00"}], order_id=1))
    set_credit_limit(erp, first.customer, 100)
    refused = import_order(erp, site, make_order([{"price": "50.00"}], order_id=2))
    assert refused.status == "failed"
    assert refused.reason.startswith(f"Credit limit reached for customer {first.customer} in Test Shop (limit 100.00")
    assert "Limite de crédit dépassée" in refused.reason and "then Retry" in refused.reason


def test_a_customer_with_a_limit_meeting_another_rule_is_not_told_about_the_limit(erp, site):
    first = import_order(erp, site, make_order([{"price": "50.00"}], order_id=1))
    set_credit_limit(erp, first.customer, 1000)
    off = erp.on("Sales Order", "validate", lambda doc: (_ for _ in ()).throw(E.ValidationError("Une autre règle")))
    outcome = import_order(erp, site, make_order([{"price": "50.00"}], order_id=2))
    off()
    assert outcome.status == "failed" and outcome.reason == "the ERP refused: ValidationError: Une autre règle"


def test_a_draft_order_is_not_held_by_the_credit_limit_until_it_is_paid(erp, site):
    first = import_order(erp, site, make_order([{"price": "50.00"}], order_id=1))
    set_credit_limit(erp, first.customer, 100)
    pending = import_order(erp, site, make_order([{"price": "50.00"}], order_id=2, status="pending"))
    assert pending.status == "created" and so_docstatus(erp, pending) == 0
    paid = import_order(erp, site, make_order([{"price": "50.00"}], order_id=2, modified="2026-11-23T10:05:00"))
    assert paid.status == "failed" and paid.reason.startswith("Credit limit reached")
    assert so_docstatus(erp, pending) == 0  # the draft is left as it was


def test_the_log_says_what_to_do_and_retry_submits_once_the_limit_is_raised(world):
    sim, erp, enq, rt, server, site, client = world
    webhooks.ensure_webhooks(site, client)
    first = sim.add_order(status="processing", customer_id=3, line_items=[{"product_id": 11, "quantity": 2}])
    sim.deliver_webhooks()
    enq.work()
    [link] = erp.find(LINK_DOCTYPE, {"site": "shop1", "link_type": "Order", "woo_id": first["id"]}, fields=("erp_name",))
    customer = erp.get("Sales Order", link["erp_name"])["customer"]
    set_credit_limit(erp, customer, float(first["total"]) + 1)
    order = sim.add_order(status="processing", customer_id=3, line_items=[{"product_id": 11, "quantity": 1}])
    sim.deliver_webhooks()
    enq.work()
    failed = [e for e in entries(erp, resource="order", resource_id=order["id"]) if e["status"] == "Failed"]
    assert failed, entries(erp, resource="order", resource_id=order["id"])
    assert f"Credit limit reached for customer {customer}" in failed[0]["error"]
    assert "then Retry" in failed[0]["error"]
    assert erp.find(LINK_DOCTYPE, {"site": "shop1", "link_type": "Order", "woo_id": order["id"]}) == []
    set_credit_limit(erp, customer, 1000)
    assert len(deliveries.retry(rt, [e["name"] for e in failed]).queued) == len(failed)
    enq.work()
    assert erp.get("WooCommerce Webhook Log", failed[0]["name"])["status"] == "Done"
    [link] = erp.find(LINK_DOCTYPE, {"site": "shop1", "link_type": "Order", "woo_id": order["id"]}, fields=("erp_name",))
    so = erp.get("Sales Order", link["erp_name"])
    assert so["docstatus"] == 1 and f"{so['grand_total']:.2f}" == order["total"]


# ------------------------------------------------------------------------------------------ selling price

def test_a_line_below_its_valuation_rate_fails_with_the_setting_to_untick(erp, site):
    with erp.transaction():
        erp.insert({"doctype": "Item", "item_code": "SKU-101", "item_group": "Products"})
        se = erp.insert({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt",
                         "items": [{"item_code": "SKU-101", "qty": 10, "t_warehouse": "Stores - TS", "basic_rate": 8}]})
        erp.submit("Stock Entry", se["name"])
        erp.update("Selling Settings", "Selling Settings", {"validate_selling_price": 1})
    refused = import_order(erp, site, make_order([{"price": "5.00"}], order_id=45))
    assert refused.status == "failed"
    assert refused.reason.startswith("Sold below cost: ERPNext refused the Sales Order of order #45")
    assert "SKU-101 at 5.00, below its valuation rate 8.00" in refused.reason
    assert "untick that setting" in refused.reason and "then Retry" in refused.reason
    with erp.transaction():
        erp.update("Selling Settings", "Selling Settings", {"validate_selling_price": 0})
    assert import_order(erp, site, make_order([{"price": "5.00"}], order_id=45)).status == "created"


def test_other_refusals_keep_the_erps_own_words(erp, site):
    with erp.transaction():
        erp.update("Selling Settings", "Selling Settings", {"validate_selling_price": 1})
    off = erp.on("Sales Order", "validate", lambda doc: (_ for _ in ()).throw(E.ValidationError("Some other rule")))
    outcome = import_order(erp, site, make_order([{"price": "5.00"}], order_id=45))
    off()
    assert outcome.status == "failed" and outcome.reason == "the ERP refused: ValidationError: Some other rule"


# ------------------------------------------------------------------------------------------ closed orders

def test_a_closed_sales_order_is_not_cancelled_by_the_shop_until_re_opened(erp, site):
    first = import_order(erp, site, make_order([{"price": "10.00"}], order_id=45))
    erp.update_status(first.sales_order, "Closed")
    cancelled = import_order(erp, site, make_order([{"price": "10.00"}], order_id=45, status="cancelled",
                                                   modified="2026-11-23T10:05:00"))
    assert cancelled.status == "needs attention" and "Closed in the ERP: re-open it" in cancelled.reason
    erp.update_status(first.sales_order, "Draft")
    again = import_order(erp, site, make_order([{"price": "10.00"}], order_id=45, status="cancelled",
                                               modified="2026-11-23T10:05:00"), force=True)
    assert again.status == "cancelled" and so_docstatus(erp, first) == 2
