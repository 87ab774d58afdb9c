"""Import customers from a shop: every customer once, resumable, one bad one never stops the rest."""

from __future__ import annotations

import pytest

from shopsync.sync import catchup
from shopsync.woocommerce import WooClient
from tests.erp_stand_in import MemoryERP
from tests.support.sites import add_site
from tests.woosim import WooSim


@pytest.fixture
def shop():
    sim = WooSim().start().seed()
    yield sim
    sim.stop()


def test_customers_import_once_and_resume_where_it_stopped(shop):
    erp = MemoryERP.with_test_shop()
    site = add_site(erp, "shop", shop.url, "ck_test", "cs_test")
    client = WooClient(shop.url, "ck_test", "cs_test")
    stop_after = 2

    class Interrupted(Exception):
        pass

    def progress(done, summary):
        if done == stop_after:
            raise Interrupted(summary.state)

    with pytest.raises(Interrupted) as stopped:
        catchup.import_customers(erp, site, client, progress=progress)
    state = dict(stopped.value.args[0])
    assert len(erp.find("Customer", {})) == 2

    rest = catchup.import_customers(erp, site, client, resume_from=state)
    assert rest.created == 2 and rest.seen == 2 and rest.state["done"]
    names = sorted(c["customer_name"] for c in erp.find("Customer", {}, fields=("customer_name",)))
    # a customer whose billing company is filled becomes a Company customer under that name
    assert names == sorted(["Jean Dupont", "François Noël", "Inès García", "Société Générale d'Été"])

    again = catchup.import_customers(erp, site, client)
    assert (again.created, again.found, again.failed) == (0, 4, [])
    assert len(erp.find("Customer", {})) == 4


def test_an_import_knows_how_many_there_are_for_its_progress_bar(shop):
    erp = MemoryERP.with_test_shop()
    site = add_site(erp, "shop", shop.url, "ck_test", "cs_test")
    client = WooClient(shop.url, "ck_test", "cs_test")
    totals = []
    catchup.import_customers(erp, site, client, progress=lambda done, s: totals.append((done, s.total)))
    assert totals[-1] == (4, 4) and all(t == 4 for _, t in totals)
    seen = []
    catchup.import_orders(erp, site, client, statuses=["processing", "on-hold", "completed", "cancelled", "pending"],
                          progress=lambda done, s: seen.append((done, s.total)))
    assert seen and seen[-1][0] == seen[-1][1] == 5
