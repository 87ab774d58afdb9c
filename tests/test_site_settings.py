"""A site's settings as the user typed them: a deliberate 0 is a value, not "unset"."""

from __future__ import annotations

import pytest

from shopsync.sync.orders import Resolved, plan_order
from shopsync.sync.site import SiteConfig
from tests.erp_stand_in import MemoryERP
from tests.support.sites import add_site
from tests.test_orders_builder import make_order


def _planned_dates(site: SiteConfig) -> tuple[str, str]:
    order = make_order([{"price": "10.00"}], created="2026-11-24T10:00:00")
    so = plan_order(site, order, Resolved.by_sku(order)).sales_order
    return so["transaction_date"], so["delivery_date"]


@pytest.mark.parametrize(("typed", "delivered"), [(0, "2026-11-24"), ("0", "2026-11-24"), (3, "2026-11-27")])
def test_delivery_days_as_typed_set_the_sales_orders_delivery_date(typed, delivered):
    # "Delivery date: days after the order" = 0 (delivered the day of the order) stayed 7 days
    erp = MemoryERP.with_test_shop()
    site = add_site(erp, "shop1", "http://127.0.0.1:1/", "ck_test", "cs_test", delivery_days=typed)
    assert site.delivery_days == int(typed)
    assert _planned_dates(site) == ("2026-11-24", delivered)


@pytest.mark.parametrize("unset", [None, ""])
def test_an_unset_delivery_days_takes_the_forms_default_of_7(unset):
    site = SiteConfig.from_doc({"name": "shop1", "delivery_days": unset})
    assert site.delivery_days == 7
