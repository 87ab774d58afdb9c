"""Test connection from the site form: the stored secret goes only to the stored shop, a test of
typed values never speaks for the saved site, and the shop's words reach the desk as text."""

from __future__ import annotations

import time

import pytest

from shopsync.sync import connection_test
from shopsync.sync.connection_test import NEEDS_TYPED_SECRET
from shopsync.woocommerce import WooClient
from tests.support.hostile_shop import PAYLOAD, HostileShop
from tests.woosim import WooSim

CK, CS = "ck_stored", "cs_stored_secret"


def make_client(url, key, secret):
    return WooClient(url, key, secret, max_retries=0, timeout=5)


@pytest.fixture
def stored_shop():
    with WooSim(consumer_key=CK, consumer_secret=CS).seed(products=2, variable_products=0, customers=0, orders=0) as sim:
        yield sim


@pytest.fixture
def other_shop():
    """Whoever typed another address: records every request it gets."""
    with HostileShop("json") as shop:
        yield shop


def stored(sim):
    return {"stored_url": sim.url, "stored_key": CK, "stored_secret": CS}


def settle(sim):
    time.sleep(0.2)  # the simulator logs a request after answering it
    return sim.requests


@pytest.mark.parametrize("typed_secret", [None, "", "**********"])  # the form sends asterisks for a stored secret
def test_a_typed_address_with_the_stored_secret_is_refused_and_nothing_is_sent(stored_shop, other_shop, typed_secret):
    stored_shop.reset_request_log()
    result = connection_test.run(make_client, url=other_shop.url, key=CK, secret=typed_secret, **stored(stored_shop))
    assert not result.ok and not result.stored and not result.sent
    assert result.message == NEEDS_TYPED_SECRET
    assert other_shop.requests == []  # neither the key nor the secret went there
    assert settle(stored_shop) == []


def test_another_key_with_the_stored_secret_is_refused(stored_shop):
    stored_shop.reset_request_log()
    result = connection_test.run(make_client, url=stored_shop.url, key="ck_typed", secret=None, **stored(stored_shop))
    assert not result.sent and result.message == NEEDS_TYPED_SECRET
    assert settle(stored_shop) == []


def test_a_typed_address_with_a_typed_key_and_secret_is_tested_but_is_not_the_sites_status(stored_shop):
    with WooSim(consumer_key="ck_other", consumer_secret="cs_other").seed(products=1, variable_products=0, customers=0, orders=0) as other:
        result = connection_test.run(make_client, url=other.url, key="ck_other", secret="cs_other", **stored(stored_shop))
        assert result.ok and result.sent
        assert result.stored is False  # the saved site's connection status is left alone
        served = settle(other)
        assert served and all(CS not in str(r) for r in served)


def test_typed_values_that_fail_do_not_speak_for_the_saved_site(stored_shop):
    """Issue 11: a wrong typed secret fails, but the stored key works: not the site's status."""
    result = connection_test.run(make_client, url=stored_shop.url, key=CK, secret="cs_typo", **stored(stored_shop))
    assert result.sent and not result.ok and result.stored is False
    again = connection_test.run(make_client, url=stored_shop.url, key=CK, secret=None, **stored(stored_shop))
    assert again.ok and again.stored is True


@pytest.mark.parametrize("typed_url", [None, "", "HTTP://127.0.0.1:{port}", "http://127.0.0.1:{port}/ "])
def test_the_stored_values_are_the_sites_status(stored_shop, typed_url):
    url = typed_url.format(port=stored_shop.port) if typed_url else typed_url
    result = connection_test.run(make_client, url=url, key=CK, secret="*****", **stored(stored_shop))
    assert result.ok and result.stored and result.sent


def test_a_new_site_needs_a_typed_secret(other_shop):
    result = connection_test.run(make_client, url=other_shop.url, key="ck_new", secret="")
    assert not result.sent and "Enter the consumer key and secret" in result.message
    assert other_shop.requests == []


@pytest.mark.parametrize("kind", ["json", "page"])
def test_a_shop_answering_with_html_reaches_the_desk_as_text(kind):
    with HostileShop(kind) as shop:
        result = connection_test.run(make_client, url=shop.url, key="ck_x", secret="cs_x")
    assert result.sent and not result.ok
    shown = result.as_dict()["message"]
    assert "<" not in shown
    if kind == "json":  # the shop's message is quoted, as text
        assert PAYLOAD in result.message and "&lt;img src=x onerror=" in shown
