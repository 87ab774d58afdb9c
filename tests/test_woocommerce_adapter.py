"""The WooCommerce adapter against the simulator, over real sockets on 127.0.0.1.

What is checked is what a shop manager (or the engine above) would notice: every product pulled
once, every stock level pushed, the number of requests the shop had to serve, what is retried and
what is not, and that errors say what went wrong without ever showing the key or the secret.
"""

from __future__ import annotations

import logging
import pickle
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

from shopsync.woocommerce import (
    AuthError,
    BatchResult,
    ConnectionFailed,
    NotFoundError,
    RateLimited,
    ServerError,
    WooClient,
    WooError,
    WooValidationError,
    check_connection,
)
from tests.woosim import WooSim

CK = "ck_" + "5e1f" * 10  # shaped like WooCommerce's keys, easy to spot in any text
CS = "cs_" + "9a7b" * 10


@pytest.fixture
def sim():
    with WooSim(consumer_key=CK, consumer_secret=CS, https=False) as s:
        yield s


@pytest.fixture
def shop(sim):
    """The captured shop's data: products 10-39, variable 40 (41-43), customers 2-5, orders 45-49."""
    sim.seed()
    sim.reset_request_log()
    return sim


def make_client(sim, **kw) -> WooClient:
    kw.setdefault("timeout", 5)
    kw.setdefault("backoff", 0.01)
    kw.setdefault("max_retry_seconds", 20)
    client = WooClient(sim.url, kw.pop("key", CK), kw.pop("secret", CS), **kw)
    if not hasattr(sim, "test_clients"):
        sim.test_clients = []
    sim.test_clients.append((client, client.request_count, len(sim.requests)))
    return client


def served(sim, endpoint: str | None = None, method: str | None = None) -> list[dict]:
    """The requests the simulator logged. It logs a request after sending the answer, so wait
    (briefly, bounded) until it has logged as many as our clients sent."""
    clients = getattr(sim, "test_clients", [])
    if clients:
        base = min(logged for _, _, logged in clients)
        sent = sum(c.request_count - start for c, start, _ in clients)
        deadline = time.monotonic() + 3
        while len(sim.requests) - base < sent and time.monotonic() < deadline:
            time.sleep(0.005)
    return [
        r for r in list(sim.requests)
        if (endpoint is None or r.get("endpoint") == endpoint) and (method is None or r["method"] == method)
    ]


def texts_of(err: BaseException) -> str:
    """Everything of an error a log or a traceback could show, its chained causes included."""
    out = []
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        out += [str(err), repr(err), repr(err.args), repr(getattr(err, "__dict__", {}))]
        err = err.__cause__ or err.__context__
    return "\n".join(out)


def assert_no_credentials(text: str) -> None:
    assert CK not in text
    assert CS not in text
    assert "oauth_signature" not in text
    assert "consumer_secret=" not in text


# --------------------------------------------------------------------------------------------
# pagination


def test_iter_pulls_every_product_once_in_pages_of_100(sim):
    sim.seed(products=250, variable_products=0, customers=0, orders=0)
    sim.reset_request_log()
    client = make_client(sim)

    products = list(client.iter("products"))

    ids = [p["id"] for p in products]
    assert len(ids) == 250 and len(set(ids)) == 250
    assert set(ids) == set(sim.state.products)
    pages = served(sim, "products")
    assert [(r["query"]["per_page"], r["query"]["page"], r["status"]) for r in pages] == [
        ("100", "1", 200), ("100", "2", 200), ("100", "3", 200)]
    assert client.request_count == 3


def test_iter_passes_filters_to_every_page(shop):
    client = make_client(shop)
    processing = list(client.iter("orders", {"status": "processing", "dates_are_gmt": True,
                                             "modified_after": "2000-01-01T00:00:00"}))
    assert processing and {o["status"] for o in processing} == {"processing"}
    q = served(shop, "orders")[0]["query"]
    assert q["status"] == "processing" and q["dates_are_gmt"] == "true"
    assert q["modified_after"] == "2000-01-01T00:00:00"


def test_iter_on_an_empty_collection_yields_nothing(sim):
    client = make_client(sim)
    assert list(client.iter("products")) == []
    assert client.request_count == 1


def test_parameter_values_with_slashes_and_spaces_are_signed_right(shop):
    # WooCommerce normalises with PHP's rawurlencode ('/' -> %2F); the official signer does not
    client = make_client(shop)
    assert client.get("products", {"search": "a/b c&d é"}) == []
    assert served(shop, "products")[-1]["status"] == 200


# --------------------------------------------------------------------------------------------
# batches


def test_batch_of_250_updates_goes_in_3_requests_and_never_hits_413(sim):
    sim.seed(products=250, variable_products=0, customers=0, orders=0)
    sim.reset_request_log()
    client = make_client(sim)
    ids = sorted(sim.state.products)

    result = client.batch("products/batch", update=[{"id": pid, "stock_quantity": 7} for pid in ids])

    assert isinstance(result, BatchResult) and result.ok
    assert sorted(p["id"] for p in result.succeeded) == ids
    assert {sim.state.products[pid]["stock_quantity"] for pid in ids} == {7}
    batches = served(sim, "products/batch")
    assert [r["batch_size"] for r in batches] == [100, 100, 50]
    assert all(r["status"] == 200 for r in batches)
    assert result.requests == 3 == client.request_count


def test_create_update_and_delete_count_together_towards_100(shop):
    client = make_client(shop)
    creates = [{"name": f"Nouveau {i}", "sku": f"NEW-{i:03d}", "regular_price": "1.00"} for i in range(60)]
    updates = [{"id": pid, "stock_quantity": 3} for pid in range(10, 40)]
    result = client.batch("products/batch", create=creates, update=updates, delete=[39])
    assert result.ok, result.errors
    assert [r["batch_size"] for r in served(shop, "products/batch")] == [91]
    created = [sent for action, sent, _ in result.pairs if action == "create"]
    assert created == creates  # each created product tied to what was sent
    assert 39 not in shop.state.products

    more = client.batch("products/batch", update=[{"id": pid, "stock_quantity": 4} for pid in range(10, 39)],
                        create=[{"name": f"Encore {i}", "sku": f"MORE-{i:03d}"} for i in range(80)])
    assert more.ok
    assert [r["batch_size"] for r in served(shop, "products/batch")][1:] == [100, 9]


def test_refused_objects_are_reported_while_the_others_go_through(shop):
    client = make_client(shop)
    result = client.batch(
        "products/batch",
        create=[{"name": "Doublon", "sku": "RW-S-002", "regular_price": "1.00"},
                {"name": "Neuf", "sku": "RW-NEW-1", "regular_price": "2.00"}],
        update=[{"id": 10, "stock_quantity": 50}, {"id": 999999, "stock_quantity": 1},
                {"id": 12, "stock_quantity": 8}],
    )
    assert not result.ok
    by_code = {e.code: e for e in result.errors}
    assert set(by_code) == {"product_invalid_sku", "woocommerce_rest_product_invalid_id"}
    dup = by_code["product_invalid_sku"]
    sent, code, message = dup
    assert sent["sku"] == "RW-S-002" and dup.action == "create"
    assert message == "Invalid or duplicated SKU."
    assert dup.data["resource_id"] == 11 and dup.data["unique_sku"] == "RW-S-002-1"
    assert by_code["woocommerce_rest_product_invalid_id"].object == {"id": 999999, "stock_quantity": 1}
    assert shop.state.products[10]["stock_quantity"] == 50
    assert shop.state.products[12]["stock_quantity"] == 8
    assert {p.get("sku") for p in result.succeeded} >= {"RW-NEW-1"}
    assert len(served(shop, "products/batch")) == 1


def test_variations_batch(shop):
    client = make_client(shop)
    result = client.batch("products/40/variations/batch",
                          update=[{"id": v, "stock_quantity": 2} for v in (41, 42, 43)])
    assert result.ok
    assert {shop.state.variations[v]["stock_quantity"] for v in (41, 42, 43)} == {2}


def test_a_batch_that_gets_a_500_is_halved_and_everything_goes_through(sim):
    sim.seed(products=250, variable_products=0, customers=0, orders=0)
    sim.reset_request_log()
    sim.faults.add("500", count=1, path="products/batch")
    client = make_client(sim)
    ids = sorted(sim.state.products)

    result = client.batch("products/batch", update=[{"id": pid, "stock_quantity": 5} for pid in ids])

    assert result.ok
    assert {sim.state.products[pid]["stock_quantity"] for pid in ids} == {5}
    # (the simulator logs batch_size 0 for a request its fault answered before WordPress ran)
    assert [(r["status"], r["batch_size"] if r["status"] == 200 else None) for r in served(sim, "products/batch")] == [
        (500, None), (200, 50), (200, 50), (200, 100), (200, 50)]


def test_a_batch_that_times_out_is_halved(shop):
    shop.faults.add("timeout", count=1, path="products/batch", delay=0.8)
    client = make_client(shop, timeout=0.3)
    result = client.batch("products/batch", update=[{"id": pid, "stock_quantity": 6} for pid in range(10, 40)])
    assert result.ok
    assert {shop.state.products[pid]["stock_quantity"] for pid in range(10, 40)} == {6}
    # the held-back request is logged last, when the simulator finally lets it go
    assert sorted((r["batch_size"], r["fault"]) for r in served(shop, "products/batch")) == [
        (15, None), (15, None), (30, "timeout")]


def test_creates_cut_in_flight_are_not_sent_again_but_reported(shop):
    shop.faults.add("cut", count=1, path="products/batch")
    client = make_client(shop)
    result = client.batch("products/batch", create=[{"name": "Bonnet", "sku": "RW-NEW-BONNET"}],
                          update=[{"id": 10, "stock_quantity": 9}])
    # the cut request was applied by the shop: the create exists once, the update was re-sent
    assert [p["sku"] for p in shop.state.products.values()].count("RW-NEW-BONNET") == 1
    [err] = result.errors
    assert err.code == "shopsync_outcome_unknown" and err.maybe_applied and err.object["sku"] == "RW-NEW-BONNET"
    assert shop.state.products[10]["stock_quantity"] == 9
    assert [r["batch_size"] for r in served(shop, "products/batch")] == [2, 1]


def test_a_shop_down_stops_the_batch_with_what_was_done(shop):
    client = make_client(shop, max_retry_seconds=5)
    shop.faults.add("500", count=1000, path="products/batch")
    with pytest.raises(ServerError) as info:
        client.batch("products/batch", update=[{"id": pid, "stock_quantity": 1} for pid in range(10, 40)])
    partial = info.value.partial_result
    assert not partial.succeeded
    assert len(partial.errors) + len(partial.pending) == 30
    assert len(served(shop, "products/batch")) < 15  # bounded, not one request per object
    assert_no_credentials(texts_of(info.value))


# --------------------------------------------------------------------------------------------
# retries


def test_429_is_retried_after_retry_after(shop):
    shop.faults.add("429", count=1, path="products/10", retry_after=1)
    client = make_client(shop)
    assert client.get("products/10")["id"] == 10
    assert [r["status"] for r in served(shop, "products/10")] == [429, 200]
    assert client.request_count == 2


@pytest.mark.parametrize("kind", ["500", "503", "cut"])
def test_server_errors_and_cut_connections_are_retried_for_reads(shop, kind):
    shop.faults.add(kind, count=2, path="products/10")
    client = make_client(shop)
    assert client.get("products/10")["sku"] == "RW-S-001"
    assert len(served(shop, "products/10")) == 3
    assert client.request_count == 3


def test_each_retry_is_signed_afresh(shop):
    # a cut GET was processed by the shop, so its nonce is used: a replay would be a 401
    shop.faults.add("cut", count=3, path="products")
    client = make_client(shop)
    assert len(client.get("products", {"per_page": 5})) == 5
    statuses = [r["status"] for r in served(shop, "products")]
    assert 401 not in statuses and statuses[-1] == 200 and len(statuses) == 4


def test_many_quick_requests_never_reuse_a_nonce(shop):
    client = make_client(shop)
    for _ in range(60):
        client.get("products/10")
    assert {r["status"] for r in served(shop)} == {200}


def test_put_is_retried_after_a_cut_connection(shop):
    shop.faults.add("cut", count=1, path="products/12", method="PUT")
    client = make_client(shop)
    assert client.put("products/12", {"stock_quantity": 4})["stock_quantity"] == 4
    assert len(served(shop, "products/12", "PUT")) == 2


def test_a_create_cut_in_flight_is_not_retried(shop):
    shop.faults.add("cut", count=1, path="products", method="POST")
    client = make_client(shop)
    with pytest.raises(ConnectionFailed) as info:
        client.post("products", {"name": "Écharpe", "sku": "RW-NEW-ECHARPE", "regular_price": "19.00"})
    assert info.value.maybe_applied and info.value.kind == "dropped"
    assert "check before sending it again" in str(info.value)
    assert len(served(shop, "products", "POST")) == 1
    assert [p["sku"] for p in shop.state.products.values()].count("RW-NEW-ECHARPE") == 1


def test_a_create_refused_with_429_is_sent_again(shop):
    shop.faults.add("429", count=1, path="products", method="POST", retry_after=0)
    client = make_client(shop)
    made = client.post("products", {"name": "Gilet", "sku": "RW-NEW-GILET"})
    assert made["sku"] == "RW-NEW-GILET"
    assert [r["status"] for r in served(shop, "products", "POST")] == [429, 201]


def test_a_create_answered_500_is_not_sent_again(shop):
    shop.faults.add("500", count=1, path="products", method="POST")
    client = make_client(shop)
    with pytest.raises(ServerError) as info:
        client.post("products", {"name": "Gilet", "sku": "RW-NEW-GILET"})
    assert info.value.status == 500 and info.value.code == "internal_server_error"
    assert "critical error" in info.value.message
    assert len(served(shop, "products", "POST")) == 1


def test_rate_limited_after_the_retries_allowed(shop):
    shop.faults.add("429", count=10, path="products/10", retry_after=0)
    client = make_client(shop, max_retries=2)
    with pytest.raises(RateLimited) as info:
        client.get("products/10")
    assert info.value.status == 429 and info.value.attempts == 3
    assert len(served(shop, "products/10")) == 3


def test_a_retry_after_longer_than_the_time_allowed_is_not_waited_for(shop):
    shop.faults.add("429", count=1, path="products/10", retry_after=3600)
    client = make_client(shop, max_retry_seconds=10)
    with pytest.raises(RateLimited) as info:
        client.get("products/10")
    assert info.value.retry_after == 3600
    assert len(served(shop, "products/10")) == 1


def test_a_shop_that_does_not_answer_raises_connection_failed(shop):
    shop.faults.add("timeout", count=5, path="products/10", delay=1)
    client = make_client(shop, timeout=0.3, max_retries=1)
    with pytest.raises(ConnectionFailed) as info:
        client.get("products/10")
    assert info.value.kind == "read_timeout" and info.value.attempts == 2
    assert "did not answer within 0.3 s" in str(info.value)
    assert shop.faults.pending[0]["remaining"] == 3  # two requests reached the shop


def test_nothing_listening_raises_connection_failed_in_plain_words():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = WooClient(f"http://127.0.0.1:{port}/", CK, CS, max_retries=1, backoff=0.01)
    with pytest.raises(ConnectionFailed) as info:
        client.get("products")
    assert info.value.kind == "connect" and not info.value.maybe_applied
    assert "connection refused" in str(info.value)
    assert client.request_count == 0


# --------------------------------------------------------------------------------------------
# errors that are not retried


def test_bad_secret_is_an_auth_error_with_woocommerces_message_and_one_request(shop):
    client = make_client(shop, secret="cs_wrong")
    with pytest.raises(AuthError) as info:
        client.get("products")
    err = info.value
    assert err.status == 401 and err.code == "woocommerce_rest_authentication_error"
    assert err.message == "Invalid signature - provided signature does not match."
    assert len(served(shop)) == 1


def test_unknown_key_is_an_auth_error(shop):
    client = make_client(shop, key="ck_unknown")
    with pytest.raises(AuthError) as info:
        client.get("products")
    assert info.value.message == "Consumer key is invalid."
    assert len(served(shop)) == 1


def test_missing_object_is_not_found_and_not_retried(shop):
    client = make_client(shop)
    with pytest.raises(NotFoundError) as info:
        client.get("products/999999")
    assert info.value.code == "woocommerce_rest_product_invalid_id" and info.value.status == 404
    assert len(served(shop)) == 1


def test_duplicate_sku_is_a_validation_error_with_the_existing_product(shop):
    client = make_client(shop)
    with pytest.raises(WooValidationError) as info:
        client.post("products", {"name": "Doublon SKU", "type": "simple", "sku": "RW-S-001", "regular_price": "9.99"})
    err = info.value
    assert err.code == "product_invalid_sku" and err.status == 400
    assert err.data["resource_id"] == 10 and err.data["unique_sku"] == "RW-S-001-1"
    assert "Invalid or duplicated SKU." in str(err)
    assert len(served(shop)) == 1


def test_invalid_parameter_is_a_validation_error(shop):
    client = make_client(shop)
    with pytest.raises(WooValidationError) as info:
        client.get("products", {"per_page": 101})
    assert info.value.code == "rest_invalid_param"
    assert len(served(shop)) == 1


# --------------------------------------------------------------------------------------------
# secrets


def test_no_error_log_or_repr_ever_shows_the_key_or_the_secret(shop, caplog):
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    bad = make_client(shop, secret=CS + "x")
    client = make_client(shop, max_retries=1)

    def catch(fn, *a, **kw):
        try:
            fn(*a, **kw)
        except WooError as exc:
            errors.append(exc)

    catch(bad.get, "products")                                     # AuthError
    catch(client.get, "products/999999")                           # NotFoundError
    catch(client.get, "products", {"per_page": 101})               # WooValidationError
    shop.faults.add("429", count=5, path="products/10", retry_after=0)
    catch(client.get, "products/10")                               # RateLimited
    shop.faults.add("500", count=5, path="products/11")
    catch(client.get, "products/11")                               # ServerError
    shop.faults.add("cut", count=5, path="products/12")
    catch(client.get, "products/12")                               # ConnectionFailed (dropped)
    shop.faults.add("timeout", count=5, path="products/13", delay=2)
    catch(make_client(shop, timeout=0.2, max_retries=0).get, "products/13")  # ConnectionFailed (timeout)
    catch(client.batch, "products/batch", update=[{"id": 10}] * 101, batch_size=1000)  # never 413: split
    shop.faults.add("500", count=1000, path="products/batch")
    catch(make_client(shop, max_retry_seconds=1).batch, "products/batch", update=[{"id": 10, "stock_quantity": 1}])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    catch(WooClient(f"http://127.0.0.1:{port}/", CK, CS, max_retries=0).get, "products")

    kinds = {type(e).__name__ for e in errors}
    assert kinds >= {"AuthError", "NotFoundError", "WooValidationError", "RateLimited", "ServerError",
                     "ConnectionFailed"}
    for err in errors:
        assert_no_credentials(texts_of(err))
        assert_no_credentials(repr(pickle.loads(pickle.dumps(err)).__dict__))
    assert_no_credentials(caplog.text)
    for c in (client, bad):
        assert_no_credentials(repr(c) + str(c))
    check = check_connection(client)
    assert_no_credentials(repr(check) + check.summary())


def test_credentials_typed_into_the_url_are_dropped():
    client = WooClient("https://admin:hunter2@shop.example/boutique", CK, CS)
    assert client.url == "https://shop.example/boutique/"
    assert "hunter2" not in repr(client)


# --------------------------------------------------------------------------------------------
# webhooks


def test_webhook_calls(shop):
    client = make_client(shop)
    before = client.list_webhooks()
    made = client.create_webhook(name="shopsync order.created", topic="order.created",
                                 delivery_url="http://127.0.0.1:9/hook", secret="s3cr3t-webhook-test",
                                 status="paused")
    assert made["topic"] == "order.created" and made["status"] == "paused" and "secret" not in made
    assert shop.state.webhooks[made["id"]]["secret"] == "s3cr3t-webhook-test"
    listed = client.list_webhooks()
    assert len(listed) == len(before) + 1 and made["id"] in {w["id"] for w in listed}

    updated = client.update_webhook(made["id"], status="active", secret="new-secret-value")
    assert updated["status"] == "active"
    assert shop.state.webhooks[made["id"]]["secret"] == "new-secret-value"

    client.delete_webhook(made["id"])
    assert made["id"] not in shop.state.webhooks
    assert client.delete_webhook(made["id"]) is None  # already gone: fine
    with pytest.raises(NotFoundError):
        client.delete_webhook(made["id"], missing_ok=False)


def test_list_webhooks_reads_every_page(shop):
    for i in range(130):
        shop.add_webhook("product.updated", f"http://127.0.0.1:9/hook/{i}", secret="x", ping=False)
    client = make_client(shop)
    assert len(client.list_webhooks()) == 130
    assert len(served(shop, "webhooks")) == 2


# --------------------------------------------------------------------------------------------
# connection test


def test_connection_test_on_a_good_shop(shop):
    client = make_client(shop)
    check = check_connection(client)
    assert check.ok, check.summary()
    assert check.reachable and check.auth_ok and check.can_read and check.can_write
    assert check.pretty_permalinks is True and check.tls_ok is None
    assert "plain http" in check.summary()
    assert not shop.state.webhooks  # the write probe created nothing
    assert len(served(shop)) == 2


def test_connection_test_with_a_wrong_secret(shop):
    check = check_connection(make_client(shop, secret="cs_wrong"))
    assert not check.ok and check.reachable and check.auth_ok is False
    assert "consumer secret does not match" in check.summary()


def test_connection_test_with_an_unknown_key(shop):
    check = check_connection(make_client(shop, key="ck_wrong"))
    assert not check.ok and "does not know this consumer key" in check.summary()


def test_connection_test_with_a_read_only_key():
    with WooSim(consumer_key=CK, consumer_secret=CS, permissions="read") as sim:
        check = check_connection(make_client(sim))
    assert not check.ok and check.can_read and check.can_write is False
    assert "read-only" in check.summary()


def test_connection_test_when_nothing_listens():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    check = check_connection(WooClient(f"http://127.0.0.1:{port}/", CK, CS))
    assert not check.ok and not check.reachable
    assert "connection refused" in check.summary()


def test_connection_test_on_an_address_without_the_rest_api(shop):
    check = check_connection(WooClient(shop.url + "blog/", CK, CS))
    assert not check.ok and check.reachable and check.rest_api is False
    assert "No WordPress REST API at this address" in check.summary()


def test_https_address_on_a_plain_http_server_is_a_tls_failure(shop):
    client = WooClient(f"https://127.0.0.1:{shop.port}/", CK, CS, max_retries=0)
    with pytest.raises(ConnectionFailed) as info:
        client.get("products")
    assert info.value.kind == "tls"
    check = check_connection(client)
    assert check.tls_ok is False and not check.ok
    assert "https" in check.summary()


# --------------------------------------------------------------------------------------------
# https: Basic auth through a TLS front (like nginx terminating TLS before WordPress)


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl not found")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


class TLSFront:
    """Accepts TLS on 127.0.0.1 and pipes the bytes to a plain http port."""

    def __init__(self, target_port: int, cert, key, strip_authorization: bool = False):
        self.strip_authorization = strip_authorization
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(str(cert), str(key))
        self.target = target_port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw):
        try:
            tls = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        self.connections += 1
        up = socket.create_connection(("127.0.0.1", self.target))

        def pipe(a, b, strip=False):
            try:
                while data := a.recv(65536):
                    if strip:  # like Apache + PHP-CGI, which drop the Authorization header
                        data = re.sub(rb"\r\nAuthorization: [^\r\n]*", b"", data)
                    b.sendall(data)
            except OSError:
                pass
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(target=pipe, args=(up, tls), daemon=True).start()
        pipe(tls, up, self.strip_authorization)

    def close(self):
        self.sock.close()


@pytest.fixture
def https_shop(tls_cert):
    with WooSim(consumer_key=CK, consumer_secret=CS, https=True) as sim:
        sim.seed()
        front = TLSFront(sim.port, *tls_cert)
        sim.front_url = f"https://127.0.0.1:{front.port}/"
        sim.front = front
        yield sim
        front.close()


def test_https_uses_basic_auth_and_one_connection(https_shop, tls_cert):
    client = WooClient(https_shop.front_url, CK, CS, verify_ssl=str(tls_cert[0]))
    assert client.auth_method == "basic"
    assert len(list(client.iter("products", {"per_page": 10}))) == 31
    assert client.get("products/10")["sku"] == "RW-S-001"
    assert https_shop.front.connections == 1  # one session: the connection is kept and reused
    check = check_connection(client)
    assert check.ok and check.tls_ok is True, check.summary()


def test_https_with_a_wrong_secret(https_shop, tls_cert):
    client = WooClient(https_shop.front_url, CK, "cs_wrong", verify_ssl=str(tls_cert[0]))
    with pytest.raises(AuthError) as info:
        client.get("products")
    assert info.value.message == "Consumer secret is invalid."
    assert_no_credentials(texts_of(info.value))


def test_https_with_an_untrusted_certificate(https_shop):
    client = WooClient(https_shop.front_url, CK, CS, max_retries=0)
    with pytest.raises(ConnectionFailed) as info:
        client.get("products")
    assert info.value.kind == "tls" and "self-signed" in str(info.value)
    assert_no_credentials(texts_of(info.value))
    check = check_connection(client)
    assert check.reachable and check.tls_ok is False and not check.ok


def test_https_server_dropping_the_authorization_header_falls_back_to_query_string_auth(tls_cert, caplog):
    caplog.set_level(logging.DEBUG)
    with WooSim(consumer_key=CK, consumer_secret=CS, https=True) as sim:
        sim.seed()
        front = TLSFront(sim.port, *tls_cert, strip_authorization=True)
        try:
            url = f"https://127.0.0.1:{front.port}/"
            client = WooClient(url, CK, CS, verify_ssl=str(tls_cert[0]))
            assert client.get("products/10")["sku"] == "RW-S-001"  # Basic was lost, the second way worked
            assert client.auth_method == "query_string"
            with pytest.raises(NotFoundError) as info:
                client.get("products/999999")
            check = check_connection(WooClient(url, CK, CS, verify_ssl=str(tls_cert[0])))
            assert check.ok, check.summary()
            assert check.auth_method == "query_string"
            assert "drops the Authorization header" in check.summary()
            wrong = WooClient(url, CK, "cs_wrong", verify_ssl=str(tls_cert[0]))
            with pytest.raises(AuthError) as bad:
                wrong.get("products")
            assert bad.value.message == "Consumer secret is invalid."
        finally:
            front.close()
    assert_no_credentials(texts_of(info.value) + texts_of(bad.value) + repr(check) + repr(client))
    assert_no_credentials(caplog.text)


def test_field_lists_and_id_lists_in_parameters(shop):
    client = make_client(shop)
    rows = client.get_all("products", {"include": [10, 11, 12], "_fields": ["id", "sku"]})
    assert sorted((r["id"], r["sku"]) for r in rows) == [(10, "RW-S-001"), (11, "RW-S-002"), (12, "RW-S-003")]
