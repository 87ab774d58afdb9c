"""Products both ways (issue 6), against the WooCommerce simulator over real HTTP and the ERP stand-in.

Shop side: ``sim.seed(products=6, variable_products=1)`` gives simple products 10-15 (RW-S-001..006;
10, 12-15 in "Accessoires" (18), 11 in "T-shirts" (17)) and the variable product 16 (RW-V-HOODIE,
"Vêtements" (16)) with variations 17-19 (-S/-M/-L, global attribute Size). The site maps
category 16 to the Item Group "Clothes" and 18 to "Accessories"; 17 is not mapped.

Webhooks are the simulator's own deliveries (body built at send time, coalesced), received by a
plain endpoint and handed to ``products.handle_delivery`` as the delivery job does; one test runs
the whole path (signed endpoint, log, RQ worker).
"""

from __future__ import annotations

import dataclasses
import json
import types

import pytest

from shopsync.sync import products as P
from shopsync.sync.links import IN_SYNC, LINK_DOCTYPE, NOT_LINKED, OUT_OF_SYNC
from shopsync.woocommerce import WooClient
from tests.erp_stand_in import MemoryERP
from tests.support.sites import add_site, know_webhooks
from tests.woosim import WooSim
from tests.woosim.receiver import WebhookReceiver

HOODIE, HOODIE_S, HOODIE_M, HOODIE_L = 16, 17, 18, 19


# ------------------------------------------------------------------------------------------ setup

@pytest.fixture
def sim():
    s = WooSim().start()
    s.seed(products=6, variable_products=1, customers=0, orders=0)
    yield s
    s.stop()


@pytest.fixture
def erp():
    erp = MemoryERP.with_test_shop()
    # shopsync's hooks.py must declare the same (ignore_links_on_delete), or Frappe refuses to
    # delete an Item a WooCommerce Link points at
    erp.ignore_links_on_delete.add(LINK_DOCTYPE)
    with erp.transaction():
        for group in ("Clothes", "Accessories"):
            erp.insert({"doctype": "Item Group", "item_group_name": group, "parent_item_group": "All Item Groups"})
    return erp


@pytest.fixture
def site(erp, sim):
    return add_site(erp, "shop1", sim.url, "ck_test", "cs_test", categories=[
        {"woo_category_id": 16, "woo_category_name": "Vêtements", "item_group": "Clothes"},
        {"woo_category_id": 18, "woo_category_name": "Accessoires", "item_group": "Accessories"},
    ])


@pytest.fixture
def client(sim):
    c = WooClient(sim.url, "ck_test", "cs_test")
    yield c
    c.close()


@pytest.fixture
def hooks(sim):
    receiver = WebhookReceiver().start()
    for topic in ("product.created", "product.updated", "product.deleted"):
        sim.add_webhook(topic, f"{receiver.url}/hook", secret="s3cr3t", ping=False)
    yield receiver
    receiver.stop()


def deliver(sim, erp, site, client):
    """Run the shop's webhook queue; hand each delivery to the product handler as the job does."""
    rt = types.SimpleNamespace(erp=erp, client_for=lambda s: client)
    outcomes = []
    for d in sim.deliver_webhooks():
        if not d["topic"].startswith("product."):
            continue
        outcomes.append(P.handle_delivery(rt, site, d["topic"].split(".")[1], json.loads(d["body"])))
    return outcomes


def item(erp, code):
    return erp.get("Item", code)


def price(erp, code, price_list="Standard Selling"):
    rows = erp.find("Item Price", {"item_code": code, "price_list": price_list}, fields=("price_list_rate",))
    return rows[0]["price_list_rate"] if rows else None


def state(erp, site, client, code):
    [row] = P.sync_state(erp, site, client, [code])
    return row


def new_item(erp, code, name, group="Accessories", rate=None, **fields):
    with erp.transaction():
        erp.insert({"doctype": "Item", "item_code": code, "item_name": name, "item_group": group, **fields})
        if rate is not None:
            erp.insert({"doctype": "Item Price", "item_code": code, "price_list": "Standard Selling",
                        "price_list_rate": rate})


def set_price(erp, code, rate):
    [row] = erp.find("Item Price", {"item_code": code, "price_list": "Standard Selling"}, fields=("name",))
    with erp.transaction():
        erp.update("Item Price", row["name"], {"price_list_rate": rate})


def synced(erp, site, client):
    result = P.run_first_sync(erp, site, client)
    assert result.errors == []
    return result


def writes(sim):
    return [r for r in sim.requests if r["method"] != "GET"]


# ------------------------------------------------------------------------- first sync and preview

def test_preview_lists_what_the_first_sync_would_do_and_writes_nothing(erp, site, client, sim):
    blank = {dt: len(erp.find(dt, {})) for dt in ("Item", "Item Price", LINK_DOCTYPE, "Item Attribute")}
    sim.reset_request_log()
    preview = P.preview_first_sync(erp, site, client)
    assert preview.counts["create_in_erp"] == 10  # 6 simple, 1 variable, 3 variations
    assert {r.sku for r in preview.create_in_erp} >= {"RW-S-001", "RW-V-HOODIE", "RW-V-HOODIE-M"}
    assert preview.counts["create_in_shop"] == 0 and preview.counts["link"] == 0
    assert {dt: len(erp.find(dt, {})) for dt in blank} == blank
    assert writes(sim) == []
    assert erp.get("Item Attribute", "Size")["item_attribute_values"][0]["attribute_value"] == "Small"


def test_first_sync_creates_and_links_every_product_then_has_nothing_left_to_do(erp, site, client, sim):
    progress = []
    result = P.run_first_sync(erp, site, client, progress=lambda stage, done, total: progress.append((done, total)))
    assert len(result.created_items) == 10 and result.errors == []
    assert progress[-1][0] == progress[-1][1] == 10
    mug = item(erp, "RW-S-001")
    assert mug["item_name"] == "Tasse céramique" and mug["item_group"] == "Accessories"  # category 18 mapped
    assert mug["weight_per_unit"] == pytest.approx(0.1)
    assert price(erp, "RW-S-001") == pytest.approx(8.40)
    # category 17 is not mapped: the site's default group, a leaf (never "All Item Groups")
    assert item(erp, "RW-S-002")["item_group"] == "Products"
    hoodie = item(erp, "RW-V-HOODIE")
    assert hoodie["has_variants"] == 1 and hoodie["item_group"] == "Clothes"
    assert [a["attribute"] for a in hoodie["attributes"]] == ["Size"]
    medium = item(erp, "RW-V-HOODIE-M")
    assert medium["variant_of"] == "RW-V-HOODIE"
    assert [(a["attribute"], a["attribute_value"]) for a in medium["attributes"]] == [("Size", "M")]
    assert price(erp, "RW-V-HOODIE-L") == pytest.approx(42.90)
    assert price(erp, "RW-V-HOODIE") is None  # no price on a template
    rows = {r.item_code: r for r in P.sync_state(erp, site, client)}
    assert {r.state for r in rows.values()} == {IN_SYNC}
    assert rows["RW-S-001"].label == "#Woo: 10"
    assert rows["RW-V-HOODIE-M"].label == f"#Woo: {HOODIE}/{HOODIE_M}"
    # again: nothing to create or update, and nothing written on either side
    before = len(erp.find("Item", {}))
    sim.reset_request_log()
    again = P.run_first_sync(erp, site, client)
    assert not again.changed and again.in_sync == 0
    assert P.preview_first_sync(erp, site, client).counts["in_sync"] == 10
    assert len(erp.find("Item", {})) == before and writes(sim) == []


def test_first_sync_of_items_into_an_empty_shop_uses_batches(erp, site, client, sim):
    for n in range(1, 131):
        new_item(erp, f"MUG-{n:03d}", f"Mug {n}", rate=5 + n)
    new_item(erp, "SERVICE-1", "Installation", group="Services", rate=50)  # not a mapped group
    preview = P.preview_first_sync(erp, site, client)
    assert preview.counts["create_in_shop"] == 130
    assert "SERVICE-1" not in {r.item_code for r in preview.create_in_shop + preview.erp_only}
    sim.reset_request_log()
    result = P.run_first_sync(erp, site, client)
    assert len(result.created_products) == 130 and result.errors == []
    batches = [r for r in sim.requests if r["method"] == "POST"]
    assert [r["path"].rsplit("/", 1)[-1] for r in batches] == ["batch", "batch"]
    assert sorted(r["batch_size"] for r in batches) == [30, 100]
    by_sku = {p["sku"]: p for p in sim.state.products.values()}
    assert by_sku["MUG-007"]["regular_price"] == "12.00"
    assert [c["id"] for c in by_sku["MUG-007"]["categories"]] == [18]
    assert "SERVICE-1" not in by_sku
    assert state(erp, site, client, "MUG-007").state == IN_SYNC


# ------------------------------------------------------------------------------ the four cases

def test_new_product_in_the_shop_becomes_an_item(erp, site, client, sim, hooks):
    synced(erp, site, client)
    created = sim.add_product(name="Gourde inox", sku="RW-N-001", regular_price="14.50", weight="0.3",
                              categories=[{"id": 18}], description="Une gourde.")
    [outcome] = deliver(sim, erp, site, client)
    assert outcome.status == "Done"
    bottle = item(erp, "RW-N-001")
    assert bottle["item_name"] == "Gourde inox" and bottle["item_group"] == "Accessories"
    assert price(erp, "RW-N-001") == pytest.approx(14.50)
    row = state(erp, site, client, "RW-N-001")
    assert (row.state, row.woo_id) == (IN_SYNC, created["id"])


def test_new_item_in_a_mapped_group_becomes_a_product(erp, site, client, sim, hooks):
    synced(erp, site, client)
    new_item(erp, "MUG-RED", "Mug rouge", rate=9.5, weight_per_unit=0.35, weight_uom="Kg")
    result = P.push_item(erp, site, client, "MUG-RED")
    [row] = result.created_products
    product = sim.get(f"products/{row.product_id}")
    assert (product["sku"], product["name"], product["regular_price"], product["weight"]) == \
        ("MUG-RED", "Mug rouge", "9.50", "0.35")
    assert [c["id"] for c in product["categories"]] == [18]
    assert state(erp, site, client, "MUG-RED").state == IN_SYNC
    # the shop's product.created for what we made is recognised: nothing to do
    assert [o.status for o in deliver(sim, erp, site, client)] == ["Skipped"]
    # an item outside the mapped groups stays out of the shop
    new_item(erp, "SVC", "Installation", group="Services", rate=50)
    assert P.push_item(erp, site, client, "SVC").created_products == []
    assert not any(p["sku"] == "SVC" for p in sim.state.products.values())


def test_associate_by_sku_links_existing_pairs_and_creates_nothing(erp, site, client, sim):
    new_item(erp, "RW-S-001", "Tasse céramique", rate=8.40, weight_per_unit=0.1,
             description="<p>Description du produit Tasse céramique.</p>")
    new_item(erp, "RW-S-003", "Casquette (ERP)", rate=15.40, weight_per_unit=0.3,
             description="Description du produit Casquette brodée.")
    sim.reset_request_log()
    result = P.associate_by_sku(erp, site, client)
    assert sorted(r.item_code for r in result.linked) == ["RW-S-001", "RW-S-003"]
    assert writes(sim) == [] and result.created_items == []
    assert len(erp.find("Item", {})) == 2
    same, differs = state(erp, site, client, "RW-S-001"), state(erp, site, client, "RW-S-003")
    assert (same.state, same.woo_id) == (IN_SYNC, 10)
    assert differs.state == OUT_OF_SYNC and "name" in differs.last_error
    # the user keeps the shop's version
    P.resync(erp, site, client, "shop", item_codes=["RW-S-003"])
    assert item(erp, "RW-S-003")["item_name"] == "Casquette brodée"
    assert state(erp, site, client, "RW-S-003").state == IN_SYNC


def test_associate_by_hand_keeping_either_version(erp, site, client, sim):
    new_item(erp, "CUP-1", "Tasse ERP", rate=9.00)
    P.associate(erp, site, client, "CUP-1", 10, keep="erp")
    product = sim.get("products/10")
    assert (product["sku"], product["name"], product["regular_price"]) == ("CUP-1", "Tasse ERP", "9.00")
    assert state(erp, site, client, "CUP-1").state == IN_SYNC

    new_item(erp, "BAG-1", "Sac ERP", rate=1.00)
    result = P.associate(erp, site, client, "BAG-1", 14, keep="shop")
    assert item(erp, "BAG-1")["item_name"] == "Sac fourre-tout" and price(erp, "BAG-1") == pytest.approx(22.40)
    # the item code is never renamed after the shop's SKU: shown, for the user to settle
    row = state(erp, site, client, "BAG-1")
    assert row.state == OUT_OF_SYNC and "SKU RW-S-005" in row.last_error and result.out_of_sync
    P.resync(erp, site, client, "erp", item_codes=["BAG-1"])
    assert sim.get("products/14")["sku"] == "BAG-1" and state(erp, site, client, "BAG-1").state == IN_SYNC
    # a product already linked cannot be taken by another item
    new_item(erp, "CUP-2", "Autre tasse")
    with pytest.raises(P.ProductSyncError, match="already linked to item CUP-1"):
        P.associate(erp, site, client, "CUP-2", 10, keep="erp")


def test_one_side_only_is_listed_and_created_on_demand(erp, site, client, sim):
    erp_site = dataclasses.replace(site, product_direction="Both ways")
    new_item(erp, "LAMP-1", "Lampe", rate=30)
    found = P.unmatched(erp, erp_site, client)
    assert "LAMP-1" in {r.item_code for r in found.erp_only}
    assert {r.product_id for r in found.shop_only} >= {10, 11, HOODIE}
    result = P.create_on_other_side(erp, erp_site, client, item_codes=["LAMP-1"], products=[11])
    assert result.errors == []
    assert item(erp, "RW-S-002")["item_name"] == "T-shirt coton bio"
    assert any(p["sku"] == "LAMP-1" for p in sim.state.products.values())
    after = P.unmatched(erp, erp_site, client)
    assert "LAMP-1" not in {r.item_code for r in after.erp_only}
    assert 11 not in {r.product_id for r in after.shop_only}


# --------------------------------------------------------------------------- keeping in step

def test_a_shop_change_reaches_the_item_and_its_echo_is_dropped(erp, site, client, sim, hooks):
    synced(erp, site, client)
    sim.update_product(10, name="Tasse en céramique", regular_price="8.90", categories=[{"id": 16}])
    [outcome] = deliver(sim, erp, site, client)
    assert outcome.status == "Done"
    mug = item(erp, "RW-S-001")
    assert (mug["item_name"], mug["item_group"]) == ("Tasse en céramique", "Clothes")
    assert price(erp, "RW-S-001") == pytest.approx(8.90)
    assert state(erp, site, client, "RW-S-001").state == IN_SYNC
    # the Item and Item Price doc events queue push_item: it sees nothing new and asks the shop nothing
    before = client.request_count
    assert P.push_item(erp, site, client, "RW-S-001").in_sync == 1
    assert client.request_count == before
    # stock moves fire product.updated too: not a change of the synced fields
    sim.set_stock(10, 3)
    assert [o.status for o in deliver(sim, erp, site, client)] == ["Skipped"]


def test_an_erp_change_reaches_the_product(erp, site, client, sim, hooks):
    synced(erp, site, client)
    with erp.transaction():
        erp.update("Item", "RW-S-001", {"item_name": "Mug", "description": "<p>Un mug.</p>", "item_group": "Clothes"})
    set_price(erp, "RW-S-001", 9.99)
    result = P.push_item(erp, site, client, "RW-S-001")
    assert [r.product_id for r in result.updated_products] == [10]
    product = sim.get("products/10")
    assert (product["name"], product["regular_price"]) == ("Mug", "9.99")
    assert [c["id"] for c in product["categories"]] == [16]
    assert state(erp, site, client, "RW-S-001").state == IN_SYNC
    assert [o.status for o in deliver(sim, erp, site, client)] == ["Skipped"]  # our own update


def test_shop_to_erp_site_takes_but_never_sends(erp, site, client, sim, hooks):
    one_way = dataclasses.replace(site, product_direction="Shop to ERP")
    synced(erp, one_way, client)
    new_item(erp, "MUG-X", "Mug X", rate=5)
    assert P.push_item(erp, one_way, client, "MUG-X").created_products == []
    assert not any(p["sku"] == "MUG-X" for p in sim.state.products.values())
    with erp.transaction():
        erp.update("Item", "RW-S-001", {"item_name": "Changé dans l'ERP"})
    P.push_item(erp, one_way, client, "RW-S-001")
    assert sim.get("products/10")["name"] == "Tasse céramique"
    row = state(erp, one_way, client, "RW-S-001")
    assert row.state == OUT_OF_SYNC and row.changed == "erp"
    with pytest.raises(P.ProductSyncError):
        P.resync(erp, one_way, client, "erp", item_codes=["RW-S-001"])
    # the shop's changes still come in
    sim.update_product(12, name="Casquette bleue")
    deliver(sim, erp, one_way, client)
    assert item(erp, "RW-S-003")["item_name"] == "Casquette bleue"


def test_erp_to_shop_site_sends_but_never_takes(erp, site, client, sim, hooks):
    synced(erp, site, client)
    one_way = dataclasses.replace(site, product_direction="ERP to shop")
    sim.add_product(name="Nouveau", sku="RW-N-9", regular_price="1.00")
    sim.update_product(10, name="Renommée dans la boutique")
    outcomes = deliver(sim, erp, one_way, client)
    assert sorted(o.status for o in outcomes) == ["Done", "Skipped"]
    assert not erp.exists("Item", "RW-N-9")
    assert item(erp, "RW-S-001")["item_name"] == "Tasse céramique"
    assert state(erp, one_way, client, "RW-S-001").state == OUT_OF_SYNC
    # its own changes go out
    set_price(erp, "RW-S-003", 16.00)
    P.push_item(erp, one_way, client, "RW-S-003")
    assert sim.get("products/12")["regular_price"] == "16.00"


def test_both_sides_changed_nothing_is_overwritten_until_the_user_picks(erp, site, client, sim, hooks):
    synced(erp, site, client)
    with erp.transaction():
        erp.update("Item", "RW-S-001", {"item_name": "Nom ERP"})
    sim.update_product(10, name="Nom boutique")
    [outcome] = deliver(sim, erp, site, client)
    assert "out of sync" in outcome.message
    P.push_item(erp, site, client, "RW-S-001")
    assert item(erp, "RW-S-001")["item_name"] == "Nom ERP"
    assert sim.get("products/10")["name"] == "Nom boutique"
    row = state(erp, site, client, "RW-S-001")
    assert (row.state, row.changed) == (OUT_OF_SYNC, "both")
    assert "both" in row.last_error.lower() or "shop and in the erp" in row.last_error.lower()
    # the shop wins
    P.resync(erp, site, client, "shop", item_codes=["RW-S-001"])
    assert item(erp, "RW-S-001")["item_name"] == "Nom boutique"
    assert state(erp, site, client, "RW-S-001").state == IN_SYNC
    # again, and the ERP wins, for the whole site
    with erp.transaction():
        erp.update("Item", "RW-S-001", {"item_name": "Encore ERP"})
    set_price(erp, "RW-S-003", 1.23)
    sim.update_product(10, name="Encore boutique")
    deliver(sim, erp, site, client)
    result = P.resync(erp, site, client, "erp")
    assert sim.get("products/10")["name"] == "Encore ERP"
    assert sim.get("products/12")["regular_price"] == "1.23"
    assert {r.product_id for r in result.updated_products} == {10, 12}
    assert {r.state for r in P.sync_state(erp, site, client)} == {IN_SYNC}


# ---------------------------------------------------------------------------------- variants

def test_a_new_variation_in_the_shop_becomes_a_variant_with_its_new_value(erp, site, client, sim, hooks):
    synced(erp, site, client)
    made = sim.add_variation(HOODIE, sku="RW-V-HOODIE-XL", regular_price="44.90", weight="0.8",
                             attributes=[{"id": 1, "option": "XL"}])
    outcomes = deliver(sim, erp, site, client)
    assert "Failed" not in {o.status for o in outcomes}, [o.message for o in outcomes]
    assert outcomes and outcomes[0].status == "Done", [(o.status, o.message) for o in outcomes]
    xl = item(erp, "RW-V-HOODIE-XL")
    assert xl["variant_of"] == "RW-V-HOODIE"
    assert [(a["attribute"], a["attribute_value"]) for a in xl["attributes"]] == [("Size", "XL")]
    assert "XL" in {v["attribute_value"] for v in erp.get("Item Attribute", "Size")["item_attribute_values"]}
    assert price(erp, "RW-V-HOODIE-XL") == pytest.approx(44.90)
    assert state(erp, site, client, "RW-V-HOODIE-XL").label == f"#Woo: {HOODIE}/{made['id']}"
    # a variation's own update arrives as product.updated, type variation
    sim.update_product(HOODIE_M, regular_price="37.00")
    assert [o.status for o in deliver(sim, erp, site, client)] == ["Done"]
    assert price(erp, "RW-V-HOODIE-M") == pytest.approx(37.00)


def test_a_template_becomes_a_variable_product_and_a_new_variant_a_variation(erp, site, client, sim):
    with erp.transaction():
        erp.insert({"doctype": "Item Attribute", "attribute_name": "Colour",
                    "item_attribute_values": [{"attribute_value": "Red", "abbr": "RED"},
                                              {"attribute_value": "Blue", "abbr": "BLU"},
                                              {"attribute_value": "Green", "abbr": "GRN"}]})
        erp.insert({"doctype": "Item", "item_code": "SCARF", "item_name": "Écharpe", "item_group": "Clothes",
                    "has_variants": 1, "attributes": [{"attribute": "Colour"}]})
        for colour, rate in (("Red", 20), ("Blue", 21)):
            variant = erp.make_variant("SCARF", {"Colour": colour})
            erp.insert(variant)
            erp.insert({"doctype": "Item Price", "item_code": variant["item_code"], "price_list": "Standard Selling",
                        "price_list_rate": rate})
    result = P.push_item(erp, site, client, "SCARF-RED")  # a variant of an unlinked template: the template goes
    assert result.errors == []
    parent = next(p for p in sim.state.products.values() if p["sku"] == "SCARF")
    assert parent["type"] == "variable" and [c["id"] for c in parent["categories"]] == [16]
    assert parent["attributes"][0]["name"] == "Colour" and sorted(parent["attributes"][0]["options"]) == ["Blue", "Red"]
    variations = {v["sku"]: v for v in sim.state.variations.values() if v["parent_id"] == parent["id"]}
    assert set(variations) == {"SCARF-RED", "SCARF-BLU"}
    assert variations["SCARF-BLU"]["regular_price"] == "21.00"
    assert variations["SCARF-BLU"]["attributes"][0]["option"] == "Blue"
    assert {r.state for r in P.sync_state(erp, site, client, ["SCARF", "SCARF-RED", "SCARF-BLU"])} == {IN_SYNC}
    # a new variant (a new value) becomes a variation, the product gains the value
    with erp.transaction():
        green = erp.insert(erp.make_variant("SCARF", {"Colour": "Green"}))
        erp.insert({"doctype": "Item Price", "item_code": green["name"], "price_list": "Standard Selling",
                    "price_list_rate": 22})
    P.push_item(erp, site, client, green["name"])
    assert sorted(sim.get(f"products/{parent['id']}")["attributes"][0]["options"]) == ["Blue", "Green", "Red"]
    [new] = [v for v in sim.state.variations.values() if v["sku"] == "SCARF-GRN"]
    assert new["parent_id"] == parent["id"] and new["regular_price"] == "22.00"
    assert state(erp, site, client, "SCARF-GRN").state == IN_SYNC


# ---------------------------------------------------------------------------------- blacklist

def test_blacklisted_items_and_products_are_left_alone(erp, site, client, sim, hooks):
    P.blacklist_add(erp, site, product_id=12, reason="discontinued")
    P.blacklist_add(erp, site, product_id=HOODIE)  # the product and its variations
    new_item(erp, "SECRET-1", "Prototype", rate=99)
    P.blacklist_add(erp, site, item_code="SECRET-1")
    preview = P.preview_first_sync(erp, site, client)
    to_create = {r.sku for r in preview.create_in_erp} | {r.item_code for r in preview.create_in_shop}
    assert not to_create & {"RW-S-003", "RW-V-HOODIE", "RW-V-HOODIE-S", "SECRET-1"}
    assert {r.sku for r in preview.blacklisted} >= {"RW-S-003", "RW-V-HOODIE", "RW-V-HOODIE-M", "SECRET-1"}
    synced(erp, site, client)
    assert not erp.exists("Item", "RW-S-003") and not erp.exists("Item", "RW-V-HOODIE")
    assert not any(p["sku"] == "SECRET-1" for p in sim.state.products.values())
    assert P.push_item(erp, site, client, "SECRET-1").skipped
    sim.update_product(12, name="Casquette 2")
    [outcome] = deliver(sim, erp, site, client)
    assert outcome.status == "Skipped" and "blacklist" in outcome.message
    # a linked item put on the blacklist is no longer updated
    P.blacklist_add(erp, site, item_code="RW-S-001")
    with erp.transaction():
        erp.update("Item", "RW-S-001", {"item_name": "Ne part pas"})
    P.push_item(erp, site, client, "RW-S-001")
    assert sim.get("products/10")["name"] == "Tasse céramique"
    assert [r.blacklisted for r in P.sync_state(erp, site, None, ["RW-S-001"])] == [True]
    # removed from the blacklist: the next run takes it
    assert P.blacklist_remove(erp, site, product_id=12) == 1
    assert {e.get("woo_id") for e in P.blacklist_entries(erp, site)} == {HOODIE, 0}
    P.run_first_sync(erp, site, client)
    assert item(erp, "RW-S-003")["item_name"] == "Casquette 2"


# ----------------------------------------------------------------------------------- deletion

def test_a_product_trashed_in_the_shop_unlinks_and_the_item_stays(erp, site, client, sim, hooks):
    synced(erp, site, client)
    sim.trash_product(10)
    [outcome] = deliver(sim, erp, site, client)
    assert outcome.status == "Done"
    assert item(erp, "RW-S-001")["disabled"] == 0
    row = state(erp, site, client, "RW-S-001")
    assert row.state == NOT_LINKED and "deleted in the shop" in row.last_error
    # the next ERP change does not make it again; the user may, from the list of one-side items
    with erp.transaction():
        erp.update("Item", "RW-S-001", {"item_name": "Tasse 2"})
    sim.reset_request_log()
    assert P.push_item(erp, site, client, "RW-S-001").created_products == []
    assert writes(sim) == []
    assert "RW-S-001" in {r.item_code for r in P.unmatched(erp, site, client).erp_only}
    # trashing a variable product unlinks its variations too
    sim.trash_product(HOODIE)
    deliver(sim, erp, site, client)
    assert {r.state for r in P.sync_state(erp, site, None, ["RW-V-HOODIE", "RW-V-HOODIE-S"])} == {NOT_LINKED}


def test_an_item_deleted_or_disabled_in_the_erp_sets_the_product_to_draft(erp, site, client, sim):
    synced(erp, site, client)
    with erp.transaction():
        erp.update("Item", "RW-S-001", {"disabled": 1})
    P.push_item(erp, site, client, "RW-S-001")
    assert sim.get("products/10")["status"] == "draft"
    assert state(erp, site, client, "RW-S-001").state == IN_SYNC
    with erp.transaction():
        erp.delete("Item", "RW-S-003")
    result = P.item_deleted(erp, site, client, "RW-S-003")
    assert [r.product_id for r in result.drafted] == [12]
    assert sim.get("products/12")["status"] == "draft"  # never deleted
    assert 12 in sim.state.products
    [link] = erp.find(LINK_DOCTYPE, {"woo_id": 12}, fields=("state", "last_error"))
    assert link["state"] == NOT_LINKED and "deleted in the ERP" in link["last_error"]
    # a deleted variant: its variation goes private
    with erp.transaction():
        erp.delete("Item", "RW-V-HOODIE-S")
    P.item_deleted(erp, site, client, "RW-V-HOODIE-S")
    assert sim.state.variations[HOODIE_S]["status"] == "private"


# ------------------------------------------------------------------------------- duplicate SKU

def test_a_sku_used_by_another_product_is_a_clear_error_on_the_link(erp, site, client, sim):
    synced(erp, site, client)
    # creating: the item's code is the SKU the shop now gives to a product linked to another item
    sim.update_product(14, sku="MUG-B")
    new_item(erp, "MUG-B", "Mug B", rate=4)
    result = P.push_item(erp, site, client, "MUG-B")
    [error] = result.errors
    assert "SKU MUG-B of item MUG-B" in error.detail and "#Woo: 14, linked to item RW-S-005" in error.detail
    [row] = P.sync_state(erp, site, None, ["MUG-B"])
    assert row.state == NOT_LINKED and row.last_error == error.detail
    # updating: the ERP's SKU is taken by a product nobody linked
    free = sim.add_product(name="Libre", sku="FREE-1", categories=[{"id": 18}])
    orphan = sim.add_product(name="Orphelin", sku="MUG-C")
    new_item(erp, "MUG-C", "Mug C", rate=5)
    P.associate(erp, site, client, "MUG-C", free["id"], keep="shop")
    result = P.resync(erp, site, client, "erp", item_codes=["MUG-C"])
    [error] = result.errors
    assert "SKU MUG-C of item MUG-C" in error.detail and f"product #{orphan['id']}, which is not linked" in error.detail
    row = state(erp, site, client, "MUG-C")
    assert row.last_error == error.detail and row.state == OUT_OF_SYNC
    assert sim.get(f"products/{free['id']}")["sku"] == "FREE-1"


def test_a_new_product_whose_sku_belongs_to_a_linked_item_fails_with_both_named(erp, site, client, sim, hooks):
    synced(erp, site, client)
    sim.update_product(15, sku="ANOTHER")
    deliver(sim, erp, site, client)
    created = sim.add_product(name="Copie", sku="RW-S-006", regular_price="1.00")
    [outcome] = deliver(sim, erp, site, client)
    assert outcome.status == "Failed"
    assert f"#Woo: {created['id']}" in outcome.message and "item RW-S-006" in outcome.message
    assert "already linked to #Woo: 15" in outcome.message
    assert state(erp, site, client, "RW-S-006").last_error == outcome.message


# ------------------------------------------------------------------------- the whole webhook path

def test_a_delivery_goes_through_the_endpoint_the_log_and_a_worker(erp, site, client, sim, redis_url):
    import redis

    from tests.support.intake_server import IntakeServer
    from tests.support.rq_runtime import RQEnqueuer, make_runtime

    synced(erp, site, client)
    enq = RQEnqueuer(redis.Redis.from_url(redis_url))
    rt = make_runtime(erp, enq, client_for=lambda s: WooClient(s.woocommerce_url, s.consumer_key, s.consumer_secret))
    server = IntakeServer(rt)
    server.start()
    try:
        stored = erp.get("WooCommerce Site", "shop1")
        know_webhooks(erp, "shop1", [sim.add_webhook("product.updated", server.endpoint("shop1"),
                                                     secret=stored["webhook_secret"], ping=False)])
        sim.update_product(10, name="Tasse (webhook)")
        [d] = sim.deliver_webhooks()
        assert d["status_code"] == 200, d
        enq.work()
    finally:
        server.stop()
    assert item(erp, "RW-S-001")["item_name"] == "Tasse (webhook)"
    [entry] = erp.find("WooCommerce Webhook Log", {"resource": "product"}, fields=("status",))
    assert entry["status"] == "Done"


def test_handler_ignores_a_delivery_without_product(erp, site, client):
    rt = types.SimpleNamespace(erp=erp, client_for=lambda s: client)
    body = {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.", "data": {"status": 404}}
    assert P.handle_delivery(rt, site, "created", body).status == "Skipped"


def test_no_item_is_ever_lost_to_a_missing_product(erp, site, client, sim):
    synced(erp, site, client)
    sim.delete_product(11)  # a permanent delete sends no webhook; the next full run sees it
    result = P.run_sync(erp, site, client)
    assert [r.item_code for r in result.unlinked] == ["RW-S-002"]
    assert erp.exists("Item", "RW-S-002")
    assert state(erp, site, client, "RW-S-002").state == NOT_LINKED


# ------------------------------------------------------------------------------ more bulk cases

def test_a_resync_from_the_cursor_reads_only_what_changed(erp, site, client, sim):
    first = synced(erp, site, client)
    assert first.cursor
    sim.advance_clock(5)
    sim.update_product(13, name="Chaussettes à pois")
    sim.update_product(HOODIE_L, regular_price="45.00")
    set_price(erp, "RW-S-006", 30.00)
    sim.reset_request_log()
    result = P.run_sync(erp, site, client, since=first.cursor)
    assert item(erp, "RW-S-004")["item_name"] == "Chaussettes à pois"
    assert price(erp, "RW-V-HOODIE-L") == pytest.approx(45.00)
    assert sim.get("products/15")["regular_price"] == "30.00"
    assert sorted(result.updated_items) == ["RW-S-004", "RW-V-HOODIE-L"]
    listings = [r["query"] for r in sim.requests if r["method"] == "GET" and r["path"].endswith("/products")]
    assert listings and all("modified_after" in q or "include" in q for q in listings), listings
    # the variations read are those of the product that changed, not of every variable product
    assert {r["path"].rsplit("/wc/v3/", 1)[-1] for r in sim.requests if "variations" in r["path"]} == \
        {f"products/{HOODIE}/variations"}
    sim.reset_request_log()
    assert not P.run_sync(erp, site, client).changed  # a full listing finds nothing left


def test_first_sync_links_existing_templates_and_adds_the_missing_variant(erp, site, client, sim):
    with erp.transaction():
        erp.update("Item Attribute", "Size", {"item_attribute_values": [
            {"attribute_value": v, "abbr": a} for v, a in (("Small", "SM"), ("Medium", "MD"), ("Large", "LG"),
                                                           ("S", "S"), ("M", "M"))]})
        erp.insert({"doctype": "Item", "item_code": "RW-V-HOODIE", "item_name": "Sweat à capuche",
                    "item_group": "Clothes", "has_variants": 1, "attributes": [{"attribute": "Size"}],
                    "description": "<p>Sweat à capuche molletonné.</p>"})
        for value in ("S", "M"):
            variant = erp.make_variant("RW-V-HOODIE", {"Size": value})
            variant["item_code"] = f"RW-V-HOODIE-{value}"
            erp.insert(variant)
    preview = P.preview_first_sync(erp, site, client)
    assert {r.item_code for r in preview.link} == {"RW-V-HOODIE", "RW-V-HOODIE-S", "RW-V-HOODIE-M"}
    assert "RW-V-HOODIE-L" in {r.sku for r in preview.create_in_erp}
    result = synced(erp, site, client)
    assert "RW-V-HOODIE-L" in result.created_items
    assert item(erp, "RW-V-HOODIE-L")["variant_of"] == "RW-V-HOODIE"
    rows = {r.item_code: r for r in P.sync_state(erp, site, client, ["RW-V-HOODIE", "RW-V-HOODIE-S", "RW-V-HOODIE-L"])}
    assert rows["RW-V-HOODIE"].state == IN_SYNC
    # the variants made by hand have no price yet: the shop's is not overwritten, they stay linked
    assert rows["RW-V-HOODIE-S"].woo_variation_id == HOODIE_S
    assert rows["RW-V-HOODIE-L"].state == IN_SYNC


def test_the_report_reads_the_shop_and_tells_which_side_changed(erp, site, client, sim):
    synced(erp, site, client)
    sim.update_product(12, name="Changée sans webhook")
    with erp.transaction():
        erp.update("Item", "RW-S-005", {"item_name": "Changé dans l'ERP"})
    rows = {r.item_code: r for r in P.sync_state(erp, site, client)}
    assert (rows["RW-S-003"].state, rows["RW-S-003"].changed) == (OUT_OF_SYNC, "shop")
    assert (rows["RW-S-005"].state, rows["RW-S-005"].changed) == (OUT_OF_SYNC, "erp")
    assert rows["RW-S-001"].state == IN_SYNC
    # the states are kept on the links for the Item list and form
    stored = {l["erp_name"]: l["state"] for l in erp.find(LINK_DOCTYPE, {"site": "shop1"}, fields=("erp_name", "state"))}
    assert stored["RW-S-003"] == OUT_OF_SYNC and stored["RW-S-001"] == IN_SYNC
    # a preview names them for an update on the other side
    preview = P.preview_first_sync(erp, site, client)
    assert [r.item_code for r in preview.update_erp] == ["RW-S-003"]
    assert [r.item_code for r in preview.update_shop] == ["RW-S-005"]


def test_a_delivery_older_than_the_last_sync_changes_nothing(erp, site, client, sim):
    synced(erp, site, client)
    stale = sim.get("products/10")
    sim.advance_clock(5)
    sim.update_product(10, name="Plus récent")
    P.run_sync(erp, site, client)
    assert item(erp, "RW-S-001")["item_name"] == "Plus récent"
    rt = types.SimpleNamespace(erp=erp, client_for=lambda s: client)
    outcome = P.handle_delivery(rt, site, "updated", stale)
    assert outcome.status == "Skipped" and "older" in outcome.message
    assert item(erp, "RW-S-001")["item_name"] == "Plus récent"


def test_one_product_that_cannot_become_an_item_does_not_stop_the_others(erp, site, client, sim):
    parent = sim.add_product(name="Bonnet", type="variable", sku="HAT", categories=[{"id": 16}],
                             attributes=[{"name": "Couleur", "variation": True, "visible": True,
                                          "options": ["Rouge", "Bleu"]}])
    sim.add_variation(parent["id"], sku="HAT-RED", regular_price="12.00", attributes=[{"name": "Couleur", "option": "Rouge"}])
    anyone = sim.add_variation(parent["id"], sku="HAT-ANY", regular_price="11.00", attributes=[])  # "any colour"
    result = P.run_first_sync(erp, site, client)
    [error] = result.errors
    assert error.sku == "HAT-ANY" and "Couleur" in error.detail and "any" in error.detail
    assert not erp.exists("Item", "HAT-ANY")
    assert item(erp, "HAT-RED")["variant_of"] == "HAT"
    assert len(result.created_items) == 12  # the 10 of the seed, the template and its red variant
    assert not erp.find(LINK_DOCTYPE, {"woo_variation_id": anyone["id"]})


def test_a_sale_price_list_on_the_site_gives_the_products_their_sale_price(erp, sim, client):
    with erp.transaction():
        erp.insert({"doctype": "Price List", "price_list_name": "Soldes", "currency": "EUR", "selling": 1})
    site = add_site(erp, "shop2", sim.url, "ck_test", "cs_test", sale_price_list="Soldes", categories=[
        {"woo_category_id": 18, "woo_category_name": "Accessoires", "item_group": "Accessories"},
    ])
    new_item(erp, "MUG-SALE", "Mug soldé", rate=12.0)
    with erp.transaction():
        erp.insert({"doctype": "Item Price", "item_code": "MUG-SALE", "price_list": "Soldes", "price_list_rate": 9.0})
    [row] = P.push_item(erp, site, client, "MUG-SALE").created_products
    product = sim.get(f"products/{row.product_id}")
    assert (product["regular_price"], product["sale_price"]) == ("12.00", "9.00")
    # the sale ends in the ERP: the shop's sale price goes too
    with erp.transaction():
        erp.delete("Item Price", erp.find("Item Price", {"item_code": "MUG-SALE", "price_list": "Soldes"})[0]["name"])
    P.push_item(erp, site, client, "MUG-SALE")
    assert sim.get(f"products/{row.product_id}")["sale_price"] == ""
