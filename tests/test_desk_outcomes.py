"""What happened to a delivery is stored as data (a code and its values) and said in the user's
language; a delivery carried out after a failure makes the site's Connection status true again.

Held through the whole path: the shop's signed webhook, the intake, a real RQ worker, the order
engine and the in-memory ERP; the French sentences are the rows of shopsync/translations/fr.csv.
"""

from __future__ import annotations

import csv
import json
import pathlib
import re

import pytest
import redis

from shopsync.sync import outcome_codes, shop_errors
from shopsync.sync import runtime as runtime_mod
from shopsync.sync.deliveries import CONNECTED_BY_DELIVERY
from shopsync.sync.intake import LOG_DOCTYPE
from shopsync.sync.links import LINK_DOCTYPE
from shopsync.woocommerce import WooClient
from tests.erp_stand_in import MemoryERP
from tests.support.intake_server import IntakeServer
from tests.support.rq_runtime import RQEnqueuer, make_runtime
from tests.support.sites import add_site, know_webhooks
from tests.woosim import WooSim

FR_CSV = pathlib.Path(__file__).resolve().parent.parent / "shopsync" / "translations" / "fr.csv"
FR = {row[0]: row[1] for row in csv.reader(FR_CSV.open(newline="", encoding="utf-8")) if row}
PLACEHOLDER = re.compile(r"\{\d+\}")


def french(text: str) -> str:
    return FR.get(text, text)


@pytest.mark.parametrize("template", sorted(set(outcome_codes.TEMPLATES.values()) - {"{0}"}))
def test_every_stored_outcome_has_a_french_sentence_with_its_values(template):
    assert template in FR, f"no French row for the outcome {template!r}"
    assert sorted(PLACEHOLDER.findall(FR[template])) == sorted(PLACEHOLDER.findall(template))


@pytest.mark.parametrize("meaning", sorted(set(shop_errors.MEANINGS.values())))
def test_every_shop_error_meaning_has_a_french_sentence(meaning):
    assert meaning in FR


@pytest.mark.parametrize("status, said, code, french_text", [
    # the reasons a shop owner meets most: a repeat, a stale state, an echo, not ours, the blacklist
    ("Skipped", "already imported, unchanged", "duplicate", "Déjà importée, inchangée"),
    ("Skipped", "stale: modified 2026-01-01 10:00:00 GMT, the ERP holds 2026-01-02 09:00:00", "stale",
     "cette livraison : 2026-01-01 10:00:00 GMT, ERPNext : 2026-01-02 09:00:00 GMT"),
    ("Skipped", "#Woo: 22/25: nothing changed since the last sync", "echo", "#Woo: 22/25 : rien n'a changé"),
    ("Skipped", "#Woo: 40 is not linked and the site does not take products from the shop", "not_ours_product",
     "#Woo: 40 n'est pas lié"),
    ("Skipped", "status 'pending' is not imported by this site", "not_ours_status", "statut de commande pending"),
    ("Skipped", "#Woo: 12 is on the blacklist of site boutique", "blacklisted", "#Woo: 12 est sur la liste d'exclusion du site boutique"),
    ("Failed", "Needs attention: cancelled in the shop, but Sales Order SO-7 cannot be cancelled: it is delivered (100 %): "
               "make a return in the ERP", "needs_attention_cancel", "À traiter : cancelled dans la boutique, mais la commande client SO-7"),
    ("Failed", "Webhook #9 of site boutique is for order.created, not product.updated: the delivery was re-labelled; "
               "nothing was done with it.", "webhook_other_topic", "Le webhook n°9 du site boutique est pour order.created"),
    ("Done", "created: Sales Order SO-12", "order_created", "Commande client SO-12 créée"),
])
def test_the_engines_sentences_become_codes_said_in_french(status, said, code, french_text):
    got, args = outcome_codes.describe(status, said)
    assert got == code
    assert french_text in outcome_codes.render(got, args, translate=french)


def test_a_sentence_no_rule_knows_is_kept_as_written():
    code, args = outcome_codes.describe("Failed", "The shop sent something new")
    assert (code, outcome_codes.render(code, args, translate=french)) == ("failed", "The shop sent something new")


def test_a_known_error_code_is_said_in_words():
    said = shop_errors.meaning("Stock push: woocommerce_rest_product_invalid_id: Invalid ID.")
    assert french(said) == "Le produit n'existe plus dans la boutique (il a été supprimé ou mis à la corbeille)"
    assert shop_errors.meaning("The shop had an internal error [HTTP 500]") is None


# --- through the whole path ----------------------------------------------------------------------

@pytest.fixture
def wired(redis_url):
    sim = WooSim().start()
    sim.seed()
    erp = MemoryERP.with_test_shop()
    erp.ignore_links_on_delete.add(LINK_DOCTYPE)
    add_site(erp, "shop1", sim.url, "ck_test", "cs_test", freight_account="Shipping Income - TS",
             tax_rates=[{"woo_rate_id": 1, "label": "TVA 20%", "account": "TVA 20% - TS"}])
    enq = RQEnqueuer(redis.Redis.from_url(redis_url))
    rt = make_runtime(erp, enq, client_for=lambda s: WooClient(s.woocommerce_url, s.consumer_key, s.consumer_secret))
    server = IntakeServer(rt).start()
    secret = erp.get("WooCommerce Site", "shop1")["webhook_secret"]
    made = [sim.add_webhook(topic, server.endpoint("shop1"), secret=secret, ping=False)
            for topic in ("order.created", "order.updated", "order.deleted")]
    know_webhooks(erp, "shop1", made)
    yield sim, erp, enq
    server.stop()
    sim.stop()
    runtime_mod.install(None)


def _entries(erp, order_id):
    return erp.find(LOG_DOCTYPE, {"resource_id": order_id}, fields=("status", "outcome_code", "outcome_args", "error", "outcome"),
                    order_by="received_at asc")


def test_each_delivery_keeps_what_happened_as_a_code_and_its_values(wired):
    sim, erp, enq = wired
    sim.advance_clock(2)
    order = sim.add_order(status="processing", line_items=[{"product_id": 10, "quantity": 1}],
                          billing={"first_name": "Zoé", "last_name": "Lefèvre", "email": "zoe@example.test",
                                   "address_1": "1 rue Haute", "city": "Lille", "postcode": "59000", "country": "FR"})
    sim.deliver_webhooks()
    enq.work()
    done = [e for e in _entries(erp, order["id"]) if e["status"] == "Done"]
    assert done and done[0]["outcome_code"] == "order_created"
    so = json.loads(done[0]["outcome_args"])[0]
    assert so == erp.find("Sales Order", None, fields=("name",))[0]["name"]
    assert outcome_codes.render("order_created", done[0]["outcome_args"], translate=french) == f"Commande client {so} créée"

    # a status the site does not import: Skipped, and why, in the user's language
    sim.advance_clock(2)
    sim.update_order(order["id"], status="pending")
    sim.deliver_webhooks()
    enq.work()
    skipped = [e for e in _entries(erp, order["id"]) if e["status"] == "Skipped"]
    assert [e["outcome_code"] for e in skipped] == ["not_ours_status_kept"]
    assert outcome_codes.render(skipped[0]["outcome_code"], skipped[0]["outcome_args"], translate=french) == (
        f"Le statut de commande pending n'est pas importé par ce site ; commande client {so} laissée telle quelle")


def test_a_delivery_carried_out_makes_a_stale_connection_problem_go(wired):
    sim, erp, enq = wired
    # an hour ago the test said the secret did not match; the key was fixed since
    erp.set_values("WooCommerce Site", "shop1", {"connection_ok": 0,
                                                 "connection_status": "The consumer secret does not match the key"})
    sim.advance_clock(2)
    sim.add_order(status="processing", line_items=[{"product_id": 11, "quantity": 1}],
                  billing={"first_name": "Léa", "last_name": "Roux", "email": "lea@example.test",
                           "address_1": "2 rue Basse", "city": "Lyon", "postcode": "69001", "country": "FR"})
    sim.deliver_webhooks()
    enq.work()
    site = erp.get("WooCommerce Site", "shop1")
    assert site["connection_ok"] == 1
    assert site["connection_status"] == CONNECTED_BY_DELIVERY
    assert site["connection_checked_at"]
    assert french(CONNECTED_BY_DELIVERY) == "Une livraison de la boutique a été reçue et traitée."
