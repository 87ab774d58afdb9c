"""One Item per shop product, whichever way the product first arrives: through an order line (the
order import) or through the catalogue sync. Two ERPs side by side on one simulated shop: one
imports an order, the other runs the first product sync; the Items they make are the same (code,
name, description, group, UOM, stock item, template/variant and attributes, weight, price).

The shop: ``sim.seed(products=6, variable_products=1)`` (simple products 10-15, RW-S-001 in
"Accessoires" (18); the variable product 16, RW-V-HOODIE in "Vêtements" (16), with variations
17-19, -S/-M/-L on the global attribute Size) and a product whose SKU is longer than ERPNext's
140-character item code.
"""

from __future__ import annotations

import pytest

from shopsync.sync import products as P
from shopsync.sync.links import LINK_DOCTYPE, Binder
from shopsync.sync.orders import import_order
from shopsync.woocommerce import WooClient
from tests.erp_stand_in import MemoryERP
from tests.support.sites import add_site
from tests.woosim import WooSim

HOODIE, HOODIE_M = 16, 18
LONG_SKU = "BOUGIE-" + "-".join(f"PARFUM{n:02d}" for n in range(20))  # 166 characters
CATEGORIES = [{"woo_category_id": 16, "woo_category_name": "Vêtements", "item_group": "Clothes"},
              {"woo_category_id": 18, "woo_category_name": "Accessoires", "item_group": "Accessories"}]
FIELDS = ("item_code", "item_name", "description", "item_group", "stock_uom", "is_stock_item", "has_variants",
          "variant_of", "weight_per_unit", "disabled")


@pytest.fixture
def sim():
    s = WooSim().start()
    s.seed(products=6, variable_products=1, customers=0, orders=0)
    s.add_product(name="Bougie parfumée", type="simple", status="publish", sku=LONG_SKU, regular_price="12.50",
                  weight="0.35", description="<p>Cire de soja, mèche coton.</p>", categories=[{"id": 18}])
    yield s
    s.stop()


@pytest.fixture
def client(sim):
    c = WooClient(sim.url, "ck_test", "cs_test")
    yield c
    c.close()


def shop_erp(sim):
    erp = MemoryERP.with_test_shop()
    erp.ignore_links_on_delete.add(LINK_DOCTYPE)
    with erp.transaction():
        for group in ("Clothes", "Accessories"):
            erp.insert({"doctype": "Item Group", "item_group_name": group, "parent_item_group": "All Item Groups"})
    site = add_site(erp, "shop1", sim.url, "ck_test", "cs_test", categories=CATEGORIES,
                    freight_account="Shipping Income - TS")
    return erp, site


def as_made(erp, code):
    """What a user sees of an Item: its fields, its attributes, its price on the site's price list."""
    item = erp.get("Item", code)
    prices = erp.find("Item Price", {"item_code": code, "price_list": "Standard Selling"}, fields=("price_list_rate",))
    return ({f: item.get(f) or None for f in FIELDS},
            [(a.get("attribute"), a.get("attribute_value") or None) for a in item.get("attributes") or []],
            [float(p["price_list_rate"]) for p in prices])


def test_a_product_makes_the_same_item_from_an_order_line_and_from_the_catalogue(sim, client):
    long_id = next(p["id"] for p in sim.get("products", per_page=100) if p["sku"] == LONG_SKU)
    order = sim.add_order(status="processing", billing={
        "first_name": "Inès", "last_name": "García", "email": "ines@example.test", "address_1": "5 rue Neuve",
        "city": "Lyon", "postcode": "69001", "country": "FR"}, line_items=[
        {"product_id": long_id, "quantity": 2},
        {"product_id": HOODIE, "variation_id": HOODIE_M, "quantity": 1},
        {"product_id": 10, "quantity": 1},
    ])

    by_order, order_site = shop_erp(sim)
    outcome = import_order(by_order, order_site, sim.get(f"orders/{order['id']}"), client)
    assert outcome.status == "created", outcome.reason

    by_catalogue, catalogue_site = shop_erp(sim)
    result = P.run_first_sync(by_catalogue, catalogue_site, client)
    assert result.errors == []

    codes = [LONG_SKU[:140], "RW-V-HOODIE", "RW-V-HOODIE-M", "RW-S-001"]
    for code in codes:
        assert as_made(by_order, code) == as_made(by_catalogue, code), code

    # and what they both made is the shop's product
    candle, _, candle_price = as_made(by_order, LONG_SKU[:140])
    assert (candle["item_name"], candle["item_group"], candle["weight_per_unit"], candle_price) == (
        "Bougie parfumée", "Accessories", 0.35, [12.5])
    template, template_attrs, template_price = as_made(by_order, "RW-V-HOODIE")
    assert template["has_variants"] == 1 and template["item_group"] == "Clothes"
    assert template_attrs == [("Size", None)] and template_price == []
    variant, variant_attrs, variant_price = as_made(by_order, "RW-V-HOODIE-M")
    hoodie_m = sim.get(f"products/{HOODIE}/variations/{HOODIE_M}")
    assert variant["variant_of"] == "RW-V-HOODIE" and variant_attrs == [("Size", "M")]
    assert variant_price == [float(hoodie_m["regular_price"])]
    # both sides link the same products to them
    for erp in (by_order, by_catalogue):
        binder = Binder(erp, "shop1")
        assert binder.erp_name("Item", long_id) == LONG_SKU[:140]
        assert binder.erp_name("Item", HOODIE, HOODIE_M) == "RW-V-HOODIE-M"


def test_an_item_an_order_made_is_in_sync_at_the_first_product_sync(sim, client):
    """The order's item agrees with its product: the first sync links it In sync, no conflict."""
    erp, site = shop_erp(sim)
    order = sim.add_order(status="processing", billing={"first_name": "Léa", "last_name": "Roy",
                                                        "email": "lea@example.test", "country": "FR"},
                          line_items=[{"product_id": 10, "quantity": 1},
                                      {"product_id": HOODIE, "variation_id": HOODIE_M, "quantity": 1}])
    assert import_order(erp, site, sim.get(f"orders/{order['id']}"), client).status == "created"

    preview = P.preview_first_sync(erp, site, client)
    assert preview.conflicts == [] and preview.update_erp == [] and preview.update_shop == []
    result = P.run_first_sync(erp, site, client)
    ordered = ["RW-S-001", "RW-V-HOODIE", "RW-V-HOODIE-M"]
    assert result.errors == [] and [r.item_code for r in result.out_of_sync if r.item_code in ordered] == []
    assert {r.item_code: r.state for r in P.sync_state(erp, site, client, ordered)} == dict.fromkeys(ordered, "In sync")
