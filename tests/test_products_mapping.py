"""The item <-> product mapping on its own: canonical forms, fingerprints, payloads.

Real shapes: the captured products of tests/captures/woocommerce where they matter (a variable product,
a variation on both routes), the rest as WooCommerce and ERPNext write them.
"""

from __future__ import annotations

import json

import pytest

from shopsync.sync import product_mapping as pm

CTX = pm.MappingContext(categories={16: "Clothes", 17: "Clothes", 18: "Accessories"})


def _capture(captures_dir, name):
    return json.loads((captures_dir / "woocommerce" / name).read_text())["response"]["body"]


def item(**fields):
    base = {"name": "RW-S-001", "item_code": "RW-S-001", "item_name": "Tasse", "item_group": "Accessories",
            "description": "<p>Une tasse.</p>", "disabled": 0, "has_variants": 0, "variant_of": None,
            "weight_per_unit": 0.1, "image": None}
    base.update(fields)
    return base


def product(**fields):
    base = {"id": 10, "type": "simple", "status": "publish", "name": "Tasse", "sku": "RW-S-001",
            "description": "<p>Une tasse.</p>\n", "short_description": "", "regular_price": "8.40",
            "sale_price": "", "weight": "0.10", "categories": [{"id": 18, "name": "Accessoires"}], "images": [],
            "attributes": [], "parent_id": 0}
    base.update(fields)
    return base


def test_an_item_and_its_product_agree_across_the_sides_formats():
    erp = pm.erp_canonical(item(), CTX, price_rate=8.4)
    woo = pm.woo_canonical(product(), CTX)
    assert pm.differences(erp, woo) == []
    assert pm.fingerprint(erp) == pm.fingerprint(woo)


def test_each_synced_field_shows_as_a_difference():
    erp = pm.erp_canonical(item(), CTX, price_rate=8.4)
    cases = {
        "name": product(name="Mug"),
        "description": product(description="<p>Un mug.</p>"),
        "sku": product(sku="RW-S-999"),
        "regular_price": product(regular_price="9.00"),
        "weight": product(weight="0.2"),
        "active": product(status="draft"),
        "category": product(categories=[{"id": 16}]),
    }
    for field, woo in cases.items():
        assert pm.differences(erp, pm.woo_canonical(woo, CTX)) == [field], field


def test_fields_outside_the_sync_do_not_change_the_fingerprint():
    base = pm.fingerprint(pm.woo_canonical(product(), CTX))
    for change in ({"stock_quantity": 3}, {"date_modified_gmt": "2030-01-01T00:00:00"}, {"price_html": "x"},
                   {"categories": [{"id": 18}, {"id": 99}]}, {"short_description": "autre"}):
        assert pm.fingerprint(pm.woo_canonical(product(**change), CTX)) == base, change


def test_disabled_item_is_a_draft_product():
    erp = pm.erp_canonical(item(disabled=1), CTX, price_rate=8.4)
    assert erp["active"] is False
    payload = pm.product_payload(erp, CTX)
    assert payload["status"] == "draft"
    assert pm.differences(erp, pm.woo_canonical(product(status="draft"), CTX)) == []


def test_the_paragraphs_added_by_either_side_are_no_change():
    erp = pm.erp_canonical(item(description='<div class="ql-editor read-mode"><p>Une tasse.</p></div>'), CTX,
                           price_rate=8.4)
    assert pm.differences(erp, pm.woo_canonical(product(description="<p>Une tasse.</p>\n"), CTX)) == []
    plain = pm.erp_canonical(item(description="Une tasse."), CTX, price_rate=8.4)
    assert pm.differences(plain, pm.woo_canonical(product(), CTX)) == []


def test_an_item_description_that_is_only_its_name_is_an_empty_description():
    # ERPNext fills an empty description with the item name
    erp = pm.erp_canonical(item(description="Tasse"), CTX, price_rate=8.4)
    assert pm.differences(erp, pm.woo_canonical(product(description=""), CTX)) == []


def test_prices_compare_to_the_cent():
    assert pm.price(39.9) == pm.price("39.90") == "39.90"
    assert pm.price("") == pm.price(None) == ""
    assert pm.weight(0.6) == pm.weight("0.60") == "0.6"
    assert pm.weight(0) == pm.weight("") == ""


def test_an_item_without_price_leaves_the_shops_price_alone():
    erp = pm.erp_canonical(item(), CTX, price_rate=None)
    assert pm.differences(erp, pm.woo_canonical(product(), CTX)) == []
    assert "regular_price" not in pm.product_payload(erp, CTX)


def test_category_mapping_both_ways():
    woo = pm.woo_canonical(product(categories=[{"id": 15}, {"id": 17}]), CTX)
    assert woo["category"] == "Clothes"
    values = pm.item_values(product(categories=[{"id": 15}, {"id": 17}]), CTX)
    assert values["item_group"] == "Clothes"
    # no mapped category: the fallback group on creation
    assert pm.item_values(product(categories=[{"id": 15}]), CTX)["item_group"] == CTX.fallback_item_group
    # pushing: the mapped category follows the item group, unmapped ones stay
    erp = pm.erp_canonical(item(item_group="Clothes"), CTX, price_rate=8.4)
    payload = pm.product_payload(erp, CTX, current=product(categories=[{"id": 15}, {"id": 18}]))
    assert payload["categories"] == [{"id": 15}, {"id": 16}]
    # already in a category of that group: untouched
    same = pm.product_payload(erp, CTX, current=product(categories=[{"id": 17}]))
    assert "categories" not in same
    # an item in an unmapped group has no category to compare
    assert pm.erp_canonical(item(item_group="Services"), CTX)["category"] == ""


def test_variable_product_and_variation_from_the_captures(captures_dir):
    variable = _capture(captures_dir, "get_product_variable.json")
    on_products_route = _capture(captures_dir, "get_product_by_variation_id_on_products_route.json")
    on_variations_route = _capture(captures_dir, "get_product_variation_single.json")
    ctx = pm.MappingContext(categories={16: "Clothes"}, sync_images=True)
    v = pm.woo_canonical(variable, ctx)
    assert v["kind"] == pm.VARIABLE and v["attributes"] == ["Size"] and v["category"] == "Clothes"
    assert "regular_price" not in v
    a = pm.woo_canonical(on_products_route, ctx)
    b = pm.woo_canonical(on_variations_route, ctx)
    # a webhook (products route) and a listing (variations route) give the same fingerprint
    assert a == b and pm.fingerprint(a) == pm.fingerprint(b)
    assert a == {"kind": pm.VARIATION, "sku": "RW-V-HOODIE-M", "active": True, "attributes": {"Size": "M"},
                 "regular_price": "39.90", "weight": "0.6"}
    template = {"name": "RW-V-HOODIE", "item_code": "RW-V-HOODIE", "item_name": "Sweat à capuche",
                "item_group": "Clothes", "description": "<p>Sweat à capuche molletonné.</p>", "has_variants": 1}
    assert pm.differences(pm.erp_canonical(template, ctx, attributes=[("Size", "")]), v) == []
    variant = {"name": "RW-V-HOODIE-M", "item_code": "RW-V-HOODIE-M", "item_name": "Sweat à capuche-M",
               "variant_of": "RW-V-HOODIE", "weight_per_unit": 0.6, "item_group": "Clothes"}
    erp = pm.erp_canonical(variant, ctx, price_rate=39.9, attributes=[("Size", "M")])
    assert pm.fingerprint(erp) == pm.fingerprint(a)


def test_variation_payload_uses_the_global_attribute_id(captures_dir):
    variable = _capture(captures_dir, "get_product_variable.json")
    canon = {"kind": pm.VARIATION, "sku": "RW-V-HOODIE-XL", "active": True, "attributes": {"Size": "XL"},
             "regular_price": "42.00", "weight": "0.7"}
    payload = pm.variation_payload(canon, CTX, parent=variable)
    assert payload == {"sku": "RW-V-HOODIE-XL", "status": "publish", "weight": "0.7",
                       "attributes": [{"id": 1, "option": "XL"}], "regular_price": "42.00"}
    # a disabled variant is a private variation
    assert pm.variation_payload({**canon, "active": False}, CTX, parent=variable)["status"] == "private"


def test_variable_attributes_gain_a_new_value_and_keep_the_others(captures_dir):
    variable = _capture(captures_dir, "get_product_variable.json")
    attrs = pm.variable_attributes({"Size": ["S", "M", "L", "XL"]}, variable)
    assert attrs[0]["id"] == 1 and attrs[0]["options"] == ["L", "M", "S", "XL"] and attrs[0]["variation"] is True
    fresh = pm.variable_attributes({"Colour": ["Red", "Blue"]}, None)
    assert fresh == [{"name": "Colour", "position": 0, "visible": True, "variation": True, "options": ["Red", "Blue"]}]


def test_short_description_only_where_the_erp_has_a_field_for_it():
    assert "short_description" not in pm.woo_canonical(product(short_description="x"), CTX)
    ctx = pm.MappingContext(categories=CTX.categories, short_description=True)
    erp = pm.erp_canonical(item(**{pm.SHORT_DESCRIPTION_FIELD: "Petite tasse"}), ctx, price_rate=8.4)
    woo = pm.woo_canonical(product(short_description="<p>Petite tasse</p>\n"), ctx)
    assert pm.differences(erp, woo) == []
    assert pm.item_values(product(short_description="Autre"), ctx)[pm.SHORT_DESCRIPTION_FIELD] == "Autre"


def test_sale_price_only_when_the_site_has_a_sale_price_list():
    assert "sale_price" not in pm.woo_canonical(product(sale_price="7.00"), CTX)
    ctx = pm.MappingContext(categories=CTX.categories, sale_price=True)
    erp = pm.erp_canonical(item(), ctx, price_rate=8.4, sale_rate=7)
    assert pm.differences(erp, pm.woo_canonical(product(sale_price="7.00"), ctx)) == []
    assert pm.product_payload(erp, ctx)["sale_price"] == "7.00"
    # the sale ended in the ERP: the shop's sale price is cleared
    ended = pm.erp_canonical(item(), ctx, price_rate=8.4, sale_rate=None)
    assert pm.product_payload(ended, ctx, current=product(sale_price="7.00"))["sale_price"] == ""


def test_images_by_url_when_the_site_syncs_them():
    ctx = pm.MappingContext(categories=CTX.categories, sync_images=True, erp_base_url="https://erp.example")
    erp = pm.erp_canonical(item(image="/files/Tasse.JPG"), ctx, price_rate=8.4)
    # the shop copied it into its media library: same file name
    copied = product(images=[{"id": 7, "src": "http://shop/wp-content/uploads/2026/11/tasse-1.jpg"}])
    assert pm.differences(erp, pm.woo_canonical(copied, ctx)) == []
    payload = pm.product_payload(erp, ctx, current=product(images=[{"id": 3, "src": "http://shop/old.jpg"},
                                                                    {"id": 4, "src": "http://shop/g.jpg"}]),
                                 item_image_url="/files/Tasse.JPG")
    assert payload["images"] == [{"src": "https://erp.example/files/Tasse.JPG"}, {"id": 4}]
    assert "images" not in pm.product_payload(erp, ctx, current=copied, item_image_url="/files/Tasse.JPG")
    # an item without image leaves the shop's
    bare = pm.erp_canonical(item(), ctx, price_rate=8.4)
    assert pm.differences(bare, pm.woo_canonical(copied, ctx)) == []
    assert "images" not in pm.product_payload(bare, ctx, current=copied)
    # pulled: the item takes the shop's address
    assert pm.item_values(copied, ctx)["image"].endswith("tasse-1.jpg")
    # sites that do not sync images never look at them
    assert "image" not in pm.woo_canonical(copied, CTX)


def test_item_values_on_update_only_hold_what_changed():
    current = {"item_name": "Tasse", "description": "<p>Une tasse.</p>", "item_group": "Accessories",
               "disabled": 0, "weight_per_unit": 0.1, "weight_uom": "Kg"}
    assert pm.item_values(product(), CTX, current=current) == {}
    assert pm.item_values(product(name="Mug", status="draft"), CTX, current=current) == {"item_name": "Mug", "disabled": 1}


def test_new_item_values_and_code():
    values = pm.item_values(product(description=""), CTX)
    assert values["item_name"] == "Tasse" and values["description"] == "Tasse"
    assert values["weight_per_unit"] == 0.1 and values["weight_uom"] == "Kg"
    assert pm.item_code_for(product(sku="")) == "WOO-10"


def test_woo_label():
    assert pm.woo_label(68) == "#Woo: 68"
    assert pm.woo_label(40, 42) == "#Woo: 40/42"
    assert pm.woo_label(0) == ""


@pytest.mark.parametrize("url,key", [
    ("https://shop/wp-content/uploads/2026/11/hoodie-scaled.jpg", "hoodie.jpg"),
    ("/files/Hoodie.jpg?x=1", "hoodie.jpg"),
    ("", ""),
])
def test_image_key(url, key):
    assert pm.image_key(url) == key
