"""Webhook signatures: what WooCommerce sends must verify, anything else must not."""

from __future__ import annotations

import base64
import json
import re
import sys

import pytest

from shopsync.woocommerce.signature import generate_secret, sign, verify

SECRET = "s3cr3t-ERPNext-sync-test"
BODY = b'{"id":45,"status":"processing","billing":{"first_name":"\\u00c9lo\\u00efse"}}'


def test_a_signature_made_with_the_secret_verifies():
    assert verify(SECRET, BODY, sign(SECRET, BODY))


def test_signature_is_base64_of_a_sha256_hmac():
    raw = base64.b64decode(sign(SECRET, BODY), validate=True)
    assert len(raw) == 32


def test_wrong_secret_does_not_verify():
    assert not verify("another-secret", BODY, sign(SECRET, BODY))


def test_garbage_header_does_not_verify():
    assert not verify(SECRET, BODY, "not a signature")
    assert not verify(SECRET, BODY, "éé")  # non-ASCII header text: False, not an exception


@pytest.mark.parametrize("header", [None, "", "   ", b""])
def test_missing_or_empty_header_does_not_verify(header):
    assert not verify(SECRET, BODY, header)


def test_an_empty_secret_never_verifies():
    assert not verify("", BODY, sign("", BODY))


def test_altered_body_does_not_verify():
    good = sign(SECRET, BODY)
    assert not verify(SECRET, BODY.replace(b"processing", b"completed"), good)
    assert not verify(SECRET, BODY + b"\n", good)
    # the same JSON re-serialised is not the raw body WooCommerce signed
    assert not verify(SECRET, json.dumps(json.loads(BODY)).encode(), good)


def test_header_as_bytes_and_with_surrounding_spaces_verifies():
    assert verify(SECRET, BODY, (" " + sign(SECRET, BODY) + " ").encode())


def test_text_instead_of_raw_bytes_is_refused():
    with pytest.raises(TypeError):
        verify(SECRET, BODY.decode(), sign(SECRET, BODY))


def _delivery(captures_dir, name):
    return json.loads((captures_dir / "woocommerce" / "webhooks" / name).read_text(encoding="utf-8"))


def test_real_delivery_with_special_character_secret_verifies(captures_dir):
    d = _delivery(captures_dir, "customer_created_special_char_secret.json")
    assert d["secret"] == "Pa&ss<wörd>\"'é"
    raw = d["body_raw"].encode("utf-8")
    header = d["headers"]["X-WC-Webhook-Signature"]
    assert verify(d["secret"], raw, header)
    assert sign(d["secret"], raw) == header
    # the same secret after HTML-entity encoding (what a careless form would store) does not
    assert not verify("Pa&amp;ss&lt;wörd&gt;&quot;'é", raw, header)


@pytest.mark.parametrize("name", ["customer_created.json", "order_created.json", "product_updated_variation_stock.json"])
def test_real_deliveries_verify(captures_dir, name):
    d = _delivery(captures_dir, name)
    raw = d["body_raw"].encode("utf-8")
    assert verify(d["secret"], raw, d["headers"]["X-WC-Webhook-Signature"])
    assert not verify(d["secret"], raw[:-1], d["headers"]["X-WC-Webhook-Signature"])


def test_ping_has_no_signature_and_does_not_verify(captures_dir):
    d = _delivery(captures_dir, "ping_on_create.json")
    header = {k.lower(): v for k, v in d["headers"].items()}.get("x-wc-webhook-signature")
    assert not verify(d.get("secret") or SECRET, d["body_raw"].encode("utf-8"), header)


def test_generated_secrets_are_long_random_and_survive_wordpress_sanitising():
    secrets = {generate_secret() for _ in range(50)}
    assert len(secrets) == 50
    for s in secrets:
        assert len(s) >= 43  # 32 random bytes
        assert re.fullmatch(r"[A-Za-z0-9_-]+", s)
    assert len(generate_secret(48)) >= 64
    assert len(generate_secret(8)) >= 43  # never shorter than 32 bytes


def test_a_failed_webhook_call_keeps_the_secrets_out_of_a_traceback_with_locals():
    """Frappe's Error Log prints every frame's locals; in shopsync's own frames neither the webhook
    secret nor the consumer secret may be among what it prints, whatever the frame calls them."""
    import pathlib

    from shopsync.woocommerce import WooClient, WooError
    from tests.woosim import WooSim

    # shopsync's own frames: files inside the package directory, whatever the folder holding the
    # repository is called (a clone is named "shopsync" too, and so is a bench's apps/shopsync)
    package = pathlib.Path(sys.modules[WooClient.__module__.split(".")[0]].__file__).resolve().parent
    hidden = "WEBHOOK-SECRET-XYZ"
    sim = WooSim().start()
    try:
        client = WooClient(sim.url, "ck_test", "cs_test", max_retries=0)
        sim.faults.add("500", count=5)
        for call in (
            lambda: client.create_webhook("x", "order.created", "http://127.0.0.1:9/x", hidden),
            lambda: client.update_webhook(1, secret=hidden, status="active"),
        ):
            try:
                call()
            except WooError as exc:
                tb, printed = exc.__traceback__, []
                while tb is not None:
                    if pathlib.Path(tb.tb_frame.f_code.co_filename).resolve().is_relative_to(package):
                        # what Frappe prints: every local but those named like a credential
                        printed += [f"{k} = {v!r}" for k, v in tb.tb_frame.f_locals.items()
                                    if k not in ("password", "passwd", "secret", "token", "key", "pwd")]
                    tb = tb.tb_next
                text = "\n".join(printed)
                assert any(line.startswith("body = ") for line in printed)  # the locals were there
                assert hidden not in text and "cs_test" not in text
            else:
                raise AssertionError("the shop answered 500: the call should have failed")
    finally:
        sim.stop()
