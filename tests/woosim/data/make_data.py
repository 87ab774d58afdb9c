"""Regenerate woo_data.json from the real WooCommerce captures (tests/captures/woocommerce).

Not run by the tests: the simulator only reads the generated woo_data.json, so it works
without the captures. Run it again if the captures change:

    python tests/woosim/data/make_data.py [path/to/captures/woocommerce]

What it extracts:
- templates: one real response body per resource shape (key order and JSON types are what the
  simulator's builders start from; every value the simulator owns is overwritten).
- static: bodies of read-only endpoints (payment gateways, system status, settings/general with
  the big country/currency option maps trimmed, tax classes, shipping zones/methods, currency).
- seed: the inputs the captured shop was built from (the create-request bodies of products,
  variations, customers, coupon and orders 45-49), so seed() rebuilds the same ids and SKUs.
"""
from __future__ import annotations

import copy
import json
import pathlib
import sys

HOME = "http://127.0.0.1:8080"
PLACEHOLDER = "{{HOME}}"  # the shop's home URL without the trailing slash


def load(folder: pathlib.Path, name: str) -> dict:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def body(folder, name):
    return load(folder, name)["response"]["body"]


def strip_links(obj):
    obj = copy.deepcopy(obj)
    if isinstance(obj, dict):
        obj.pop("_links", None)
    return obj


def placeholder(obj):
    text = json.dumps(obj, ensure_ascii=False)
    return json.loads(text.replace(HOME, PLACEHOLDER))


def trim_options(settings):
    keep_countries = ["FR", "BE", "DE", "ES", "IT", "GB", "US"]
    out = []
    for s in copy.deepcopy(settings):
        opts = s.get("options")
        if isinstance(opts, dict) and len(opts) > 10:
            trimmed = {}
            for k, v in opts.items():
                if k.split(":")[0] in keep_countries or k in ("EUR", "USD", "GBP"):
                    trimmed[k] = v
            s["options"] = trimmed
        out.append(s)
    return out


def main(folder: pathlib.Path) -> dict:
    order45 = body(folder, "get_order_single.json")
    products = {p["id"]: p for p in body(folder, "get_products_modified_after.json")}
    variations = {v["id"]: v for v in body(folder, "get_product_variations.json")}
    customers = {c["id"]: c for c in body(folder, "get_customers_role_all.json")}

    templates = {
        "product": strip_links(body(folder, "get_products_by_sku.json")[0]),
        "variation_as_product": strip_links(body(folder, "get_product_by_variation_id_on_products_route.json")),
        "variation": strip_links(body(folder, "get_product_variation_single.json")),
        "customer": strip_links(body(folder, "get_customer_single_accented.json")),
        "order": strip_links(order45),
        "line_item": order45["line_items"][0],
        "shipping_line": order45["shipping_lines"][0],
        "fee_line": order45["fee_lines"][0],
        "tax_line": order45["tax_lines"][0],
        "coupon_line": order45["coupon_lines"][0],
        "refund": strip_links(body(folder, "post_order_refund_partial.json")),
        "category": strip_links(body(folder, "create_category_parent.json")),
        "attribute": strip_links(body(folder, "create_attribute_size.json")),
        "term": strip_links(body(folder, "create_attribute_term_S.json")),
        "webhook": strip_links(body(folder, "webhook_create_product_updated.json")),
        "tax_rate": strip_links(body(folder, "get_taxes.json")[0]),
        "coupon": strip_links(body(folder, "get_coupons.json")[0]),
        "order_note": strip_links(body(folder, "get_order_notes.json")[0]),
    }
    static = {
        "payment_gateways": body(folder, "get_payment_gateways.json"),
        "system_status": body(folder, "get_system_status.json"),
        "settings_general": trim_options(body(folder, "get_settings_general.json")),
        "tax_classes": body(folder, "get_tax_classes.json"),
        "shipping_zones": body(folder, "get_shipping_zones.json"),
        "shipping_methods": body(folder, "get_shipping_methods.json"),
        "currency_current": body(folder, "get_data_currency_current.json"),
        "taxes": [strip_links(t) for t in body(folder, "get_taxes.json")],
    }

    # Seed inputs: the 30 simple products as they were created (stock before the orders).
    simple = []
    for pid in range(10, 40):
        p = products[pid]
        n = pid - 9
        simple.append({
            "name": p["name"],
            "sku": p["sku"],
            "regular_price": p["regular_price"],
            "sale_price": p["sale_price"],
            "stock_quantity": 10 + n,
            "weight": p["weight"],
            "categories": [c["id"] for c in p["categories"]],
            "tax_class": p["tax_class"],
        })
    var_product = load(folder, "create_product_variable.json")["request"]["body"]
    var_rows = []
    initial_variation_stock = {41: 5, 42: 8, 43: 3}
    for vid in (41, 42, 43):
        v = variations[vid]
        var_rows.append({
            "sku": v["sku"], "regular_price": v["regular_price"], "weight": v["weight"],
            "stock_quantity": initial_variation_stock[vid],
            "option": v["attributes"][0]["option"],
        })
    seed_customers = []
    for cid in (2, 3, 4, 5):
        c = customers[cid]
        seed_customers.append({k: c[k] for k in ("email", "first_name", "last_name", "username", "billing", "shipping")})
    seed_orders = [load(folder, f)["request"]["body"] for f in (
        "create_order_processing.json", "create_order_on_hold.json", "create_order_completed.json",
        "create_order_cancelled.json", "create_order_pending_guest.json")]
    categories = body(folder, "get_product_categories.json")
    seed = {
        "categories": [strip_links(c) for c in sorted(categories, key=lambda c: c["id"])],
        "attribute": load(folder, "create_attribute_size.json")["request"]["body"],
        "terms": [strip_links(t) for t in sorted(body(folder, "get_product_attribute_terms.json"), key=lambda t: t["id"])],
        "simple_products": simple,
        "variable_product": var_product,
        "variations": var_rows,
        "coupon": load(folder, "create_coupon.json")["request"]["body"],
        "customers": seed_customers,
        "orders": seed_orders,
        "admin": strip_links(customers[1]),
    }
    return placeholder({"templates": templates, "static": static, "seed": seed})


if __name__ == "__main__":
    here = pathlib.Path(__file__).resolve().parent
    src = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else here.parents[1] / "captures" / "woocommerce"
    data = main(src)
    (here / "woo_data.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print("wrote", here / "woo_data.json")
