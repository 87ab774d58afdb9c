"""In-memory WooCommerce shop: objects kept in their wc/v3 REST shape, plus the rules that change
them (stock, order totals and taxes, coupons, refunds, SKU uniqueness...).

Every object starts as a deep copy of a real captured response body (data/woo_data.json), so the
keys, their order and their JSON types are the real ones. Values the simulator owns are then
overwritten. Mutations call ``self.emit(resource, event, id)``, which the webhook engine listens to.
"""
from __future__ import annotations

import copy
import hashlib
import json
import pathlib
import random
import string
from decimal import ROUND_FLOOR, Decimal

from .errors import RestError, not_in_enum, not_integer, not_type
from .util import (
    dec,
    json_number,
    local_and_gmt,
    money,
    php_num,
    price_html,
    round2,
    sale_price_html,
    slugify,
    wpautop,
)

DATA = json.loads((pathlib.Path(__file__).parent / "data" / "woo_data.json").read_text(encoding="utf-8"))
TEMPLATES = DATA["templates"]
STATIC = DATA["static"]
SEED = DATA["seed"]

ORDER_STATUSES = [
    "auto-draft", "pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed",
    "checkout-draft",
]
STATUS_LABELS = {
    "pending": "Pending payment", "processing": "Processing", "on-hold": "On hold", "completed": "Completed",
    "cancelled": "Cancelled", "refunded": "Refunded", "failed": "Failed", "checkout-draft": "Draft",
    "auto-draft": "Draft",
}
PRODUCT_TYPES = ["simple", "grouped", "external", "variable"]
PRODUCT_STATUSES = ["draft", "pending", "private", "publish", "future"]
STOCK_REDUCING = ("processing", "completed", "on-hold")
WEBHOOK_TOPICS = {
    "coupon.created": ["woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"],
    "coupon.updated": ["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
    "coupon.deleted": ["wp_trash_post"],
    "coupon.restored": ["untrashed_post"],
    "customer.created": ["user_register", "woocommerce_created_customer", "woocommerce_new_customer"],
    "customer.updated": ["profile_update", "woocommerce_update_customer"],
    "customer.deleted": ["delete_user"],
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
    "order.deleted": ["wp_trash_post", "woocommerce_trash_order"],
    "order.restored": ["untrashed_post", "woocommerce_untrash_order"],
    "product.created": [
        "woocommerce_process_product_meta", "woocommerce_new_product", "woocommerce_new_product_variation"],
    "product.updated": [
        "woocommerce_process_product_meta", "woocommerce_update_product", "woocommerce_update_product_variation"],
    "product.deleted": ["wp_trash_post"],
    "product.restored": ["untrashed_post"],
}


def _tpl(name: str) -> dict:
    return copy.deepcopy(TEMPLATES[name])


def _meta(key, value, meta_id) -> dict:
    return {"id": meta_id, "key": key, "value": value}


def _int_param(data: dict, key: str, default=None):
    """WordPress' integer validation (rest_is_integer) + cast; raises the captured 400."""
    if key not in data or data[key] is None:
        return default
    value = data[key]
    if isinstance(value, bool):
        raise not_integer(key)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != int(value):
            raise not_integer(key)
        return int(value)
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        raise not_integer(key) from None
    if number != int(number):
        raise not_integer(key)
    return int(number)


def _bool_param(data: dict, key: str, default=None):
    if key not in data or data[key] is None:
        return default
    value = data[key]
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "1", "false", "0", ""):
        return value.lower() in ("true", "1")
    raise not_type(key, "boolean")


def _str_param(data: dict, key: str, default=None):
    if key not in data or data[key] is None:
        return default
    value = data[key]
    if not isinstance(value, str):
        raise not_type(key, "string")
    return value


def stock_int(value) -> int:
    """wc_stock_amount(): intval, used where the schema is not validated (batches)."""
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


class State:
    """The shop. ``products`` holds products (not variations) by id, ``variations`` the variations."""

    def __init__(self, sim):
        self._sim = sim
        self.products: dict[int, dict] = {}
        self.variations: dict[int, dict] = {}
        self.orders: dict[int, dict] = {}
        self.refunds: dict[int, dict] = {}
        self.customers: dict[int, dict] = {}
        self.categories: dict[int, dict] = {}
        self.attributes: dict[int, dict] = {}
        self.terms: dict[int, dict[int, dict]] = {}
        self.coupons: dict[int, dict] = {}
        self.webhooks: dict[int, dict] = {}
        self.order_notes: dict[int, list[dict]] = {}
        self.taxes: dict[int, dict] = {t["id"]: copy.deepcopy(t) for t in STATIC["taxes"]}
        self.payment_gateways: dict[str, dict] = {g["id"]: copy.deepcopy(g) for g in STATIC["payment_gateways"]}
        # Hidden bookkeeping (things the REST API does not show).
        self.order_extra: dict[int, dict] = {}
        self.refund_parent: dict[int, int] = {}
        self.user_passwords: dict[int, str] = {}
        self._rng = random.Random(9955)
        # Id sequences: WordPress posts (products, variations, coupons, orders, refunds) share one.
        self._next = {"post": 10, "term": 15, "user": 1, "item": 1, "meta": 1, "webhook": 1, "attribute": 1,
                      "note": 1, "itemmeta": 1, "usermeta": 1}
        self._fresh_install()

    # ------------------------------------------------------------------ basics
    def next_id(self, seq: str) -> int:
        value = self._next[seq]
        self._next[seq] += 1
        return value

    def bump_ids(self, seq: str, at_least: int) -> None:
        self._next[seq] = max(self._next[seq], at_least)

    @property
    def base(self) -> str:
        """Stored URLs use a placeholder; the REST layer puts the real home URL in when rendering."""
        return "{{HOME}}/"

    def now(self) -> float:
        return self._sim.now()

    def stamp(self, obj: dict, created: bool = False, modified: bool = True, ts: float | None = None) -> None:
        local, gmt = local_and_gmt(self.now() if ts is None else ts)
        if created:
            obj["date_created"], obj["date_created_gmt"] = local, gmt
        if modified:
            obj["date_modified"], obj["date_modified_gmt"] = local, gmt

    def emit(self, resource: str, event: str, resource_id: int) -> None:
        self._sim._on_event(resource, event, resource_id)

    def _fresh_install(self) -> None:
        uncategorized = _tpl("category")
        uncategorized.update({"id": self.next_id("term"), "name": "Uncategorized", "slug": "uncategorized",
                              "description": "", "parent": 0, "count": 0})
        self.categories[uncategorized["id"]] = uncategorized
        admin = copy.deepcopy(SEED["admin"])
        admin["id"] = self.next_id("user")
        self.stamp(admin, created=True, modified=False)
        admin["meta_data"] = [_meta("wc_last_active", str(int(self.now()) // 86400 * 86400), self.next_id("usermeta"))]
        self.customers[admin["id"]] = admin

    # ------------------------------------------------------------------ lookups
    def product_or_variation(self, pid: int) -> dict | None:
        return self.products.get(pid) or self.variations.get(pid)

    def sku_owner(self, sku: str, exclude: int | None = None) -> int | None:
        for table in (self.products, self.variations):
            for pid, p in table.items():
                if pid != exclude and p.get("sku") == sku and p.get("status") != "trash":
                    return pid
        return None

    def check_sku(self, sku: str, product_id: int | None) -> None:
        if not sku:
            return
        owner = self.sku_owner(sku, exclude=product_id)
        if owner is None:
            return
        index, candidate = 0, sku
        while self.sku_owner(candidate, exclude=product_id) is not None:
            index += 1
            candidate = f"{sku}-{index}"
        raise RestError("product_invalid_sku", "Invalid or duplicated SKU.", 400,
                        resource_id=owner, unique_sku=candidate)

    def unique_slug(self, slug: str, table: dict, exclude: int | None = None) -> str:
        slug = slug or "product"
        used = {o.get("slug") for i, o in table.items() if i != exclude}
        if slug not in used:
            return slug
        n = 2
        while f"{slug}-{n}" in used:
            n += 1
        return f"{slug}-{n}"

    def category_ref(self, cid: int) -> dict:
        c = self.categories.get(cid)
        if c is None:
            return None
        return {"id": c["id"], "name": c["name"], "slug": c["slug"]}

    # ------------------------------------------------------------------ products
    def _product_refresh(self, p: dict) -> None:
        """Recompute the derived fields WooCommerce computes on read."""
        p["permalink"] = f"{self.base}product/{p['slug']}/"
        if p["type"] == "variable":
            vs = [self.variations[v] for v in p["variations"] if v in self.variations]
            prices = [dec(v["price"]) for v in vs if v["price"] != "" and v["status"] == "publish"]
            if prices:
                lo, hi = min(prices), max(prices)
                p["price"] = money(lo)
                p["price_html"] = price_html(lo) if lo == hi else f"{price_html(lo)} &ndash; {price_html(hi)}"
            else:
                p["price"] = ""
                p["price_html"] = ""
            p["on_sale"] = any(v["on_sale"] for v in vs)
            if not p["manage_stock"]:
                statuses = {v["stock_status"] for v in vs}
                p["stock_status"] = "instock" if "instock" in statuses else (
                    "onbackorder" if "onbackorder" in statuses else ("outofstock" if vs else p["stock_status"]))
            p["has_options"] = True
            p["purchasable"] = bool(prices)
        else:
            self._price_fields(p)
            p["price_html"] = "" if p["price"] == "" else (
                sale_price_html(p["regular_price"], p["sale_price"]) if p["on_sale"] else price_html(p["price"]))
            p["has_options"] = False
            p["purchasable"] = p["type"] not in ("external", "grouped") and p["price"] != ""
        self._stock_fields(p)
        p["shipping_required"] = not p["virtual"]
        p["shipping_taxable"] = (not p["virtual"]) and p["tax_status"] in ("taxable", "shipping")
        same = {c["id"] for c in p["categories"]}
        related = [o["id"] for o in self.products.values()
                   if o["id"] != p["id"] and o["status"] == "publish" and same & {c["id"] for c in o["categories"]}]
        self._rng.shuffle(related)
        p["related_ids"] = related[:5]

    @staticmethod
    def _price_fields(p: dict) -> None:
        regular, sale = p["regular_price"], p["sale_price"]
        on_sale = sale != "" and (regular == "" or dec(sale) < dec(regular))
        p["on_sale"] = on_sale
        p["price"] = sale if on_sale else regular

    @staticmethod
    def _stock_fields(p: dict) -> None:
        if p["manage_stock"] is True:
            qty = p["stock_quantity"] if p["stock_quantity"] is not None else 0  # never set: null, counts as 0
            if qty > 0:
                p["stock_status"] = "instock"
            else:
                p["stock_status"] = "outofstock" if p["backorders"] == "no" else "onbackorder"
            p["backordered"] = qty <= 0 and p["backorders"] != "no"
        else:
            if p.get("type") != "variation" or p["manage_stock"] is False:
                p["stock_quantity"] = None
            p["backordered"] = False
        p["backorders_allowed"] = p["backorders"] != "no"

    def _apply_product_fields(self, p: dict, data: dict, creating: bool, strict: bool) -> None:
        """prepare_object_for_database(); ``strict`` is False inside batches (no schema validation)."""
        if strict:
            if "type" in data and data["type"] not in PRODUCT_TYPES:
                raise not_in_enum("type", PRODUCT_TYPES)
            if "status" in data and data["status"] not in PRODUCT_STATUSES:
                raise not_in_enum("status", PRODUCT_STATUSES)
            for key in ("regular_price", "sale_price", "sku", "name", "weight", "description", "short_description"):
                _str_param(data, key)
            qty = _int_param(data, "stock_quantity")
            manage = _bool_param(data, "manage_stock")
        else:
            qty = None if data.get("stock_quantity") in (None, "") else stock_int(data["stock_quantity"])
            manage = None if "manage_stock" not in data else bool(data["manage_stock"]) and data["manage_stock"] not in ("false", "0")
        if "sku" in data and data["sku"] is not None:
            self.check_sku(str(data["sku"]), None if creating else p["id"])
            p["sku"] = str(data["sku"])
        if "name" in data:
            p["name"] = str(data["name"])
        if "slug" in data and data["slug"]:
            p["slug"] = self.unique_slug(slugify(data["slug"]), self.products, p["id"])
        elif creating or ("name" in data and not p.get("slug")):
            p["slug"] = self.unique_slug(slugify(p["name"]), self.products, p["id"])
        for key in ("status", "featured", "catalog_visibility", "virtual", "downloadable", "tax_status",
                    "tax_class", "backorders", "sold_individually", "shipping_class", "reviews_allowed",
                    "purchase_note", "menu_order", "external_url", "button_text", "global_unique_id",
                    "upsell_ids", "cross_sell_ids", "low_stock_amount"):
            if key in data:
                p[key] = data[key]
        if "description" in data:
            p["description"] = str(data["description"] or "")  # raw; the 'view' context adds wpautop()
        if "short_description" in data:
            p["short_description"] = str(data["short_description"] or "")
        for key in ("regular_price", "sale_price"):
            if key in data:
                value = data[key]
                p[key] = "" if value in (None, "") else money(value) if p["type"] != "variable" else ""
        if "weight" in data:
            p["weight"] = "" if data["weight"] in (None, "") else str(data["weight"])
        if "dimensions" in data and isinstance(data["dimensions"], dict):
            for k in ("length", "width", "height"):
                if k in data["dimensions"]:
                    p["dimensions"][k] = str(data["dimensions"][k])
        if "categories" in data:
            cats = [self.category_ref(int(c["id"])) for c in data["categories"] if isinstance(c, dict) and "id" in c]
            p["categories"] = [c for c in cats if c]
        if "tags" in data:
            p["tags"] = [{"id": int(t.get("id", 0)), "name": t.get("name", ""), "slug": t.get("slug", "")}
                         for t in data["tags"] if isinstance(t, dict)]
        if "attributes" in data:
            p["attributes"] = [self._product_attribute(a, i) for i, a in enumerate(data["attributes"])]
        if "default_attributes" in data:
            p["default_attributes"] = [self._default_attribute(a) for a in data["default_attributes"]]
        if "meta_data" in data:
            self._set_meta(p["meta_data"], data["meta_data"], "meta")
        if manage is not None:
            p["manage_stock"] = manage
        if "stock_status" in data and not p["manage_stock"]:
            p["stock_status"] = data["stock_status"]
        if p["manage_stock"]:
            if qty is not None:
                p["stock_quantity"] = qty
            elif data.get("inventory_delta") not in (None, ""):
                p["stock_quantity"] = (p["stock_quantity"] or 0) + stock_int(data["inventory_delta"])
        else:
            p["stock_quantity"] = None

    def _set_meta(self, target: list, updates: list, seq: str) -> None:
        for m in updates or []:
            if not isinstance(m, dict) or "key" not in m:
                continue
            existing = next((x for x in target if (m.get("id") and x["id"] == m["id"]) or x["key"] == m["key"]), None)
            if existing:
                existing["value"] = m.get("value")
            else:
                target.append(_meta(m["key"], m.get("value"), self.next_id(seq)))

    def _product_attribute(self, a: dict, position: int) -> dict:
        aid = int(a.get("id") or 0)
        attr = self.attributes.get(aid)
        options = [str(o) for o in a.get("options", [])]
        if attr:
            terms = sorted(self.terms.get(aid, {}).values(), key=lambda t: t["name"])
            wanted = set(options)
            options = [t["name"] for t in terms if t["name"] in wanted or t["slug"] in wanted]
        return {
            "id": aid,
            "name": attr["name"] if attr else str(a.get("name", "")),
            "slug": attr["slug"] if attr else slugify(a.get("name", "")),
            "position": int(a.get("position", position)),
            "visible": bool(a.get("visible", False)),
            "variation": bool(a.get("variation", False)),
            "options": options,
        }

    def _default_attribute(self, a: dict) -> dict:
        aid = int(a.get("id") or 0)
        attr = self.attributes.get(aid)
        option = str(a.get("option", ""))
        if attr:
            term = self._term_by(aid, option)
            option = term["slug"] if term else slugify(option)
        return {"id": aid, "name": attr["name"] if attr else a.get("name", ""), "option": option}

    def _term_by(self, aid: int, name_or_slug: str) -> dict | None:
        for t in self.terms.get(aid, {}).values():
            if t["name"] == name_or_slug or t["slug"] == name_or_slug or t["slug"] == slugify(name_or_slug):
                return t
        return None

    def create_product(self, data: dict, strict: bool = True, fire: bool = True) -> dict:
        p = _tpl("product")
        ptype = data.get("type", "simple")
        if strict and ptype not in PRODUCT_TYPES:
            raise not_in_enum("type", PRODUCT_TYPES)
        p.update({
            "id": 0, "name": "", "slug": "", "type": ptype if ptype in PRODUCT_TYPES else "simple",
            "status": "publish", "featured": False, "description": "", "short_description": "", "sku": "",
            "price": "", "regular_price": "", "sale_price": "", "total_sales": 0, "manage_stock": False,
            "stock_quantity": None, "stock_status": "instock", "backorders": "no", "weight": "",
            "dimensions": {"length": "", "width": "", "height": ""}, "categories": [], "tags": [],
            "images": [], "attributes": [], "default_attributes": [], "variations": [], "grouped_products": [],
            "related_ids": [], "meta_data": [], "tax_status": "taxable", "tax_class": "", "virtual": False,
            "downloadable": False, "reviews_allowed": True, "menu_order": 0, "low_stock_amount": None,
            "purchase_note": "", "parent_id": 0, "upsell_ids": [], "cross_sell_ids": [], "average_rating": "0",
        })
        self._apply_product_fields(p, data, creating=True, strict=strict)
        if "categories" not in data or not p["categories"]:
            p["categories"] = [self.category_ref(15)] if 15 in self.categories else []
        p["id"] = self.next_id("post")
        if not p["slug"]:
            p["slug"] = self.unique_slug(slugify(p["name"]) or str(p["id"]), self.products, p["id"])
        self.stamp(p, created=True)
        self.products[p["id"]] = p
        self._product_refresh(p)
        if fire and p["status"] not in ("auto-draft",):
            self.emit("product", "created", p["id"])
        return p

    def update_product(self, pid: int, data: dict, strict: bool = True, fire: bool = True) -> dict:
        p = self.products.get(pid)
        if p is None:
            if pid in self.variations:
                raise RestError(
                    "woocommerce_rest_invalid_product_id",
                    "To manipulate product variations you should use the "
                    "/products/&lt;product_id&gt;/variations/&lt;id&gt; endpoint.", 404)
            raise RestError("woocommerce_rest_product_invalid_id", "Invalid ID.", 400)
        if "type" in data and data["type"] in PRODUCT_TYPES:
            p["type"] = data["type"]
        self._apply_product_fields(p, data, creating=False, strict=strict)
        self.stamp(p)
        self._product_refresh(p)
        if fire:
            self.emit("product", "updated", pid)
        return p

    def trash_product(self, pid: int) -> dict:
        p = self.products.get(pid)
        if p is None:
            raise RestError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
        if p["status"] == "trash":
            raise RestError("woocommerce_rest_already_trashed", "The product has already been deleted.", 410)
        before = copy.deepcopy(p)
        p["status"] = "trash"
        self.stamp(p)
        self.emit("product", "deleted", pid)
        return before

    def delete_product(self, pid: int) -> dict:
        """Permanent delete (force=true): WooCommerce fires no product.deleted for it."""
        p = self.products.pop(pid, None)
        if p is None:
            raise RestError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
        for vid in p.get("variations", []):
            self.variations.pop(vid, None)
        return p

    # ------------------------------------------------------------------ variations
    def _variation_refresh(self, v: dict) -> None:
        parent = self.products.get(v["parent_id"])
        self._price_fields(v)
        self._stock_fields(v)
        query = "&".join(
            f"attribute_{a['slug'] if a['id'] else slugify(a['name'])}="
            f"{(self._term_by(a['id'], a['option']) or {}).get('slug', slugify(a['option'])) if a['id'] else a['option']}"
            for a in v["attributes"])
        v["permalink"] = f"{self.base}product/{parent['slug']}/" + (f"?{query}" if query else "") if parent else ""
        v["name"] = ", ".join(a["option"] for a in v["attributes"])
        v["purchasable"] = v["price"] != ""

    def create_variation(self, parent_id: int, data: dict, strict: bool = True, fire: bool = True) -> dict:
        parent = self.products.get(parent_id)
        if parent is None or parent["type"] != "variable":
            raise RestError("woocommerce_rest_product_variation_invalid_parent",
                            "Invalid parent product ID.", 404) if parent is None else RestError(
                "woocommerce_rest_product_invalid_id", "Invalid ID.", 400)
        v = _tpl("variation")
        v.update({"id": 0, "description": "", "sku": "", "price": "", "regular_price": "", "sale_price": "",
                  "status": "publish", "manage_stock": False, "stock_quantity": None, "stock_status": "instock",
                  "backorders": "no", "weight": "", "dimensions": {"length": "", "width": "", "height": ""},
                  "image": None, "attributes": [], "menu_order": 0, "meta_data": [], "parent_id": parent_id,
                  "tax_status": "taxable", "tax_class": "parent", "virtual": False, "downloadable": False,
                  "low_stock_amount": None, "on_sale": False})
        self._apply_variation_fields(v, data, creating=True, strict=strict)
        v["id"] = self.next_id("post")
        self.stamp(v, created=True)
        self.variations[v["id"]] = v
        parent["variations"] = sorted(parent["variations"] + [v["id"]])
        self._variation_refresh(v)
        self._sync_parent(parent)
        if fire:
            self.emit("product", "created", v["id"])
        return v

    def _apply_variation_fields(self, v: dict, data: dict, creating: bool, strict: bool) -> None:
        if strict:
            for key in ("regular_price", "sale_price", "sku", "weight", "description"):
                _str_param(data, key)
            qty = _int_param(data, "stock_quantity")
            manage = _bool_param(data, "manage_stock")
        else:
            qty = None if data.get("stock_quantity") in (None, "") else stock_int(data["stock_quantity"])
            manage = None if "manage_stock" not in data else bool(data["manage_stock"])
        if "sku" in data and data["sku"] is not None:
            self.check_sku(str(data["sku"]), None if creating else v["id"])
            v["sku"] = str(data["sku"])
        for key in ("status", "virtual", "downloadable", "tax_status", "tax_class", "backorders",
                    "shipping_class", "menu_order", "global_unique_id", "low_stock_amount", "image"):
            if key in data:
                v[key] = data[key]
        if "description" in data:
            v["description"] = str(data["description"] or "")
        for key in ("regular_price", "sale_price"):
            if key in data:
                v[key] = "" if data[key] in (None, "") else money(data[key])
        if "weight" in data:
            v["weight"] = "" if data["weight"] in (None, "") else str(data["weight"])
        if "dimensions" in data and isinstance(data["dimensions"], dict):
            for k in ("length", "width", "height"):
                if k in data["dimensions"]:
                    v["dimensions"][k] = str(data["dimensions"][k])
        if "attributes" in data:
            attrs = []
            for a in data["attributes"]:
                aid = int(a.get("id") or 0)
                attr = self.attributes.get(aid)
                option = str(a.get("option", ""))
                if attr:
                    term = self._term_by(aid, option)
                    option = term["name"] if term else option
                attrs.append({"id": aid, "name": attr["name"] if attr else a.get("name", ""),
                              "slug": attr["slug"] if attr else slugify(a.get("name", "")), "option": option})
            v["attributes"] = attrs
        if "meta_data" in data:
            self._set_meta(v["meta_data"], data["meta_data"], "meta")
        if manage is not None:
            v["manage_stock"] = manage
        if "stock_status" in data and not v["manage_stock"]:
            v["stock_status"] = data["stock_status"]
        if v["manage_stock"]:
            if qty is not None:
                v["stock_quantity"] = qty
            elif data.get("inventory_delta") not in (None, ""):
                v["stock_quantity"] = (v["stock_quantity"] or 0) + stock_int(data["inventory_delta"])
        else:
            v["stock_quantity"] = None

    def update_variation(self, parent_id: int | None, vid: int, data: dict, strict: bool = True,
                         fire: bool = True) -> dict:
        v = self.variations.get(vid)
        if v is None or (parent_id is not None and v["parent_id"] != parent_id):
            raise RestError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", 400)
        self._apply_variation_fields(v, data, creating=False, strict=strict)
        self.stamp(v)
        self._variation_refresh(v)
        parent = self.products.get(v["parent_id"])
        if parent:
            self._sync_parent(parent)
        if fire:
            self.emit("product", "updated", vid)
        return v

    def delete_variation(self, parent_id: int, vid: int) -> dict:
        v = self.variations.get(vid)
        if v is None or v["parent_id"] != parent_id:
            raise RestError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", 404)
        del self.variations[vid]
        parent = self.products.get(parent_id)
        if parent:
            parent["variations"] = [x for x in parent["variations"] if x != vid]
            self._sync_parent(parent)
        return v

    def _sync_parent(self, parent: dict) -> None:
        self.stamp(parent)
        self._product_refresh(parent)

    def effective_tax_class(self, p: dict) -> str:
        """A variation's 'parent' tax class is its parent's ('view' context)."""
        if p.get("tax_class") == "parent":
            parent = self.products.get(p.get("parent_id"))
            return parent["tax_class"] if parent else ""
        return p.get("tax_class", "")

    def variation_as_product(self, v: dict) -> dict:
        """GET products/<variation id>: the variation in the products-route shape."""
        parent = self.products.get(v["parent_id"]) or {}
        out = _tpl("variation_as_product")
        for key in out:
            if key in v and key not in ("name", "attributes"):
                out[key] = copy.deepcopy(v[key])
        out["name"] = f"{parent.get('name', '')} - {v['name']}" if v["name"] else parent.get("name", "")
        out["tax_class"] = self.effective_tax_class(v)
        out["description"] = wpautop(v["description"])
        out["slug"] = slugify(out["name"])
        out["attributes"] = [{"id": a["id"], "name": a["name"], "slug": a["slug"], "option": a["option"]}
                             for a in v["attributes"]]
        out["price_html"] = "" if v["price"] == "" else (
            sale_price_html(v["regular_price"], v["sale_price"]) if v["on_sale"] else price_html(v["price"]))
        out["total_sales"] = "0"
        out["categories"] = []
        out["images"] = []
        out["related_ids"] = []
        out["shipping_required"] = not v["virtual"]
        out["shipping_taxable"] = (not v["virtual"]) and v["tax_status"] in ("taxable", "shipping")
        out["catalog_visibility"] = "visible"
        out["featured"] = False
        out["short_description"] = ""
        out["reviews_allowed"] = False
        out["parent_id"] = v["parent_id"]
        return out

    # ------------------------------------------------------------------ stock
    def change_stock(self, pid: int, delta: int) -> tuple[int, int] | None:
        """wc_update_product_stock(increase/decrease); fires product.updated for the product itself."""
        target = self.product_or_variation(pid)
        if target is None or not target["manage_stock"]:
            return None
        before = target["stock_quantity"] or 0
        target["stock_quantity"] = before + delta
        self.stamp(target)
        if target["type"] == "variation":
            self._variation_refresh(target)
            parent = self.products.get(target["parent_id"])
            if parent:
                self._sync_parent(parent)
        else:
            self._product_refresh(target)
        self.emit("product", "updated", pid)
        return before, target["stock_quantity"]

    # ------------------------------------------------------------------ categories / attributes
    def create_category(self, data: dict) -> dict:
        name = _str_param(data, "name")
        if not name:
            raise RestError("woocommerce_rest_taxonomy_invalid_name", "Name is required.", 400)  # pragma: no cover
        parent = _int_param(data, "parent", 0)
        for c in self.categories.values():
            if c["name"] == name and c["parent"] == parent:
                raise RestError("term_exists", "A term with the name provided already exists with this parent.",
                                400, resource_id=c["id"])
        c = _tpl("category")
        slug = slugify(data.get("slug") or name)
        if any(o["slug"] == slug for o in self.categories.values()):
            raise RestError("duplicate_term_slug", f'The slug "{slug}" is already in use by another term.', 400)
        c.update({"id": self.next_id("term"), "name": name, "slug": slug, "parent": parent,
                  "description": data.get("description", ""), "display": data.get("display", "default"),
                  "image": None, "menu_order": int(data.get("menu_order", 0)), "count": 0})
        self.categories[c["id"]] = c
        return c

    def category_count(self, cid: int) -> int:
        ids = {cid}
        changed = True
        while changed:
            changed = False
            for c in self.categories.values():
                if c["parent"] in ids and c["id"] not in ids:
                    ids.add(c["id"])
                    changed = True
        return sum(1 for p in self.products.values()
                   if p["status"] == "publish" and ids & {c["id"] for c in p["categories"]})

    def create_attribute(self, data: dict) -> dict:
        name = _str_param(data, "name")
        if not name:
            raise RestError("woocommerce_rest_cannot_create", "Please, provide an attribute name.", 400)
        slug = "pa_" + slugify(data.get("slug") or name)[:27]
        if any(a["slug"] == slug for a in self.attributes.values()):
            raise RestError("woocommerce_rest_cannot_create", f'Slug "{slug}" is already in use. '
                            "Change it, please.", 400)
        a = _tpl("attribute")
        a.update({"id": self.next_id("attribute"), "name": name, "slug": slug,
                  "type": data.get("type", "select"), "order_by": data.get("order_by", "menu_order"),
                  "has_archives": bool(data.get("has_archives", False))})
        self.attributes[a["id"]] = a
        self.terms[a["id"]] = {}
        return a

    def create_term(self, attribute_id: int, data: dict) -> dict:
        if attribute_id not in self.attributes:
            raise RestError("woocommerce_rest_taxonomy_invalid", "Resource does not exist.", 404)
        name = _str_param(data, "name")
        if not name:
            raise RestError("woocommerce_rest_taxonomy_invalid_name", "Name is required.", 400)  # pragma: no cover
        for t in self.terms[attribute_id].values():
            if t["name"] == name:
                raise RestError("term_exists", "A term with the name provided already exists in this taxonomy.",
                                400, resource_id=t["id"])
        t = _tpl("term")
        t.update({"id": self.next_id("term"), "name": name, "slug": slugify(data.get("slug") or name),
                  "description": data.get("description", ""), "menu_order": int(data.get("menu_order", 0)),
                  "count": 0})
        self.terms[attribute_id][t["id"]] = t
        return t

    def term_count(self, attribute_id: int, term: dict) -> int:
        return sum(1 for p in self.products.values()
                   if any(a["id"] == attribute_id and term["name"] in a["options"] for a in p["attributes"]))

    # ------------------------------------------------------------------ customers
    def create_customer(self, data: dict, fire: bool = True) -> dict:
        email = (data.get("email") or "").strip()
        if not email or "@" not in email:
            raise RestError("registration-error-invalid-email", "Please provide a valid email address.", 400)
        if any(c["email"].lower() == email.lower() for c in self.customers.values()):
            raise RestError("registration-error-email-exists",
                            f"An account is already registered with {email}. "
                            "Please log in or use a different email address.", 400)
        username = (data.get("username") or "").strip()
        if not username:
            base = slugify(email.split("@")[0]).replace("-", "") or "customer"
            username, n = base, 1
            while any(c["username"] == username for c in self.customers.values()):
                n += 1
                username = f"{base}{n}"
        if any(c["username"] == username for c in self.customers.values()):
            raise RestError("registration-error-username-exists",
                            "An account is already registered with that username. Please choose another.", 400)
        c = _tpl("customer")
        c.update({"id": self.next_id("user"), "email": email, "first_name": "", "last_name": "",
                  "role": "customer", "username": username, "is_paying_customer": False})
        for k in c["billing"]:
            c["billing"][k] = ""
        for k in c["shipping"]:
            c["shipping"][k] = ""
        self._apply_customer_fields(c, data)
        c["avatar_url"] = ("https://secure.gravatar.com/avatar/"
                           f"{hashlib.sha256(email.lower().encode()).hexdigest()}?s=96&d=mm&r=g")
        c["meta_data"] = [_meta("default_password_nag", "1", self.next_id("usermeta"))] if not data.get(
            "password") else []
        self.stamp(c, created=True)
        self.customers[c["id"]] = c
        if fire:
            self.emit("customer", "created", c["id"])
        return c

    def _apply_customer_fields(self, c: dict, data: dict) -> None:
        for key in ("first_name", "last_name"):
            if key in data and data[key] is not None:
                c[key] = str(data[key])
        for part in ("billing", "shipping"):
            if isinstance(data.get(part), dict):
                for k, v in data[part].items():
                    if k in c[part]:
                        c[part][k] = "" if v is None else str(v)
        if "meta_data" in data:
            self._set_meta(c["meta_data"], data["meta_data"], "usermeta")

    def update_customer(self, cid: int, data: dict, fire: bool = True) -> dict:
        c = self.customers.get(cid)
        if c is None:
            raise RestError("woocommerce_rest_invalid_id", "Invalid resource ID.", 400)
        if "email" in data and data["email"] and data["email"] != c["email"]:
            email = str(data["email"]).strip()
            if "@" not in email or any(o["email"].lower() == email.lower() for o in self.customers.values()):
                raise RestError("woocommerce_rest_customer_invalid_email", "Email address is invalid.", 400)
            c["email"] = email
        if "username" in data and data["username"] and data["username"] != c["username"]:
            raise RestError("woocommerce_rest_customer_invalid_argument", "Username isn't editable.", 400)
        self._apply_customer_fields(c, data)
        self.stamp(c)
        if fire:
            self.emit("customer", "updated", cid)
        return c

    # ------------------------------------------------------------------ coupons
    def create_coupon(self, data: dict, fire: bool = True) -> dict:
        code = str(data.get("code") or "").strip().lower()
        if not code:
            raise RestError("woocommerce_rest_empty_coupon_code", "The coupon code cannot be empty.", 400)
        if any(c["code"] == code and c["status"] != "trash" for c in self.coupons.values()):
            raise RestError("woocommerce_rest_coupon_code_already_exists", "The coupon code already exists", 400)
        c = _tpl("coupon")
        c.update({"id": self.next_id("post"), "code": code, "amount": money(data.get("amount", 0)),
                  "status": "publish", "discount_type": data.get("discount_type", "fixed_cart"),
                  "description": data.get("description", ""), "usage_count": 0,
                  "individual_use": bool(data.get("individual_use", False)),
                  "exclude_sale_items": bool(data.get("exclude_sale_items", False)),
                  "free_shipping": bool(data.get("free_shipping", False)), "used_by": [], "meta_data": []})
        self.stamp(c, created=True)
        self.coupons[c["id"]] = c
        if fire:
            self.emit("coupon", "created", c["id"])
        return c

    def coupon_by_code(self, code: str) -> dict | None:
        code = str(code).strip().lower()
        return next((c for c in self.coupons.values() if c["code"] == code and c["status"] == "publish"), None)

    # ------------------------------------------------------------------ orders
    def tax_rates_for(self, tax_class: str, country: str, shipping: bool = False) -> list[dict]:
        slug = tax_class or "standard"
        out = []
        for t in self.taxes.values():
            if t["class"] != slug:
                continue
            if t["country"] and t["country"] != country:
                continue
            if shipping and not t["shipping"]:
                continue
            out.append(t)
        return out

    def _order_country(self, o: dict) -> str:
        return o["shipping"].get("country") or o["billing"].get("country") or "FR"

    def _new_line_item(self, o: dict, data: dict) -> dict:
        li = _tpl("line_item")
        qty = _int_param(data, "quantity", 1)
        pid = _int_param(data, "product_id", 0) or 0
        vid = _int_param(data, "variation_id", 0) or 0
        # WooCommerce loads wc_get_product(variation_id ?: product_id) and takes the ids from it.
        product = self.product_or_variation(vid or pid) if (vid or pid) else None
        parent = None
        if product is not None and product["type"] == "variation":
            vid, pid = product["id"], product["parent_id"]
            parent = self.products.get(pid)
        elif product is not None:
            vid = 0
        li.update({"id": 0, "quantity": qty, "meta_data": [], "parent_name": None})
        if product is None:
            li.update({"name": "", "product_id": 0, "variation_id": 0, "tax_class": "", "sku": None,
                       "image": {"id": 0, "src": ""}})
            unit = Decimal(0)
        else:
            is_var = product["type"] == "variation"
            li.update({
                "name": self.variation_as_product(product)["name"] if is_var else product["name"],
                "product_id": pid, "variation_id": vid if is_var else 0,
                "tax_class": self.effective_tax_class(product), "sku": product["sku"],
                "image": {"id": 0, "src": ""} if is_var else {"id": "", "src": ""},
                "parent_name": parent["name"] if (is_var and parent) else None,
            })
            if is_var:
                for a in product["attributes"]:
                    term = self._term_by(a["id"], a["option"]) if a["id"] else None
                    li["meta_data"].append({
                        "id": self.next_id("itemmeta"), "key": a["slug"] if a["id"] else a["name"],
                        "value": term["slug"] if term else a["option"],
                        "display_key": a["name"], "display_value": a["option"]})
            unit = dec(product["price"])
        if "name" in data and data["name"]:
            li["name"] = str(data["name"])
        subtotal = dec(data["subtotal"]) if data.get("subtotal") not in (None, "") else unit * qty
        total = dec(data["total"]) if data.get("total") not in (None, "") else subtotal
        li["_subtotal"], li["_total"] = str(round2(subtotal)), str(round2(total))
        li["_explicit_total"] = data.get("total") not in (None, "")
        if "meta_data" in data:
            for m in data["meta_data"] or []:
                if isinstance(m, dict) and "key" in m:
                    li["meta_data"].append({"id": self.next_id("itemmeta"), "key": m["key"], "value": m.get("value"),
                                            "display_key": m["key"], "display_value": m.get("value")})
        return li

    def _new_shipping_line(self, data: dict) -> dict:
        s = _tpl("shipping_line")
        s.update({"id": 0, "method_title": str(data.get("method_title", "")),
                  "method_id": str(data.get("method_id", "")), "instance_id": str(data.get("instance_id", "")),
                  "tax_status": "taxable", "meta_data": []})
        s["_total"] = str(round2(data.get("total", 0)))
        return s

    def _new_fee_line(self, data: dict) -> dict:
        f = _tpl("fee_line")
        f.update({"id": 0, "name": str(data.get("name", "")), "tax_class": str(data.get("tax_class", "")),
                  "tax_status": data.get("tax_status", "taxable"), "amount": "", "meta_data": []})
        f["_total"] = str(round2(data.get("total", 0)))
        return f

    def _apply_coupons(self, o: dict) -> None:
        """WC_Discounts for 'percent' and 'fixed_cart' coupons, in cents, remainder spread by 1 cent."""
        items = [li for li in o["line_items"]]
        for li in items:
            if not li["_explicit_total"]:
                li["_total"] = str(dec(li["_subtotal"]))
        for cl in o["coupon_lines"]:
            coupon = self.coupon_by_code(cl["code"])
            amount = dec(coupon["amount"]) if coupon else Decimal(0)
            ctype = coupon["discount_type"] if coupon else "fixed_cart"
            cents = {id(li): int((dec(li["_total"]) * 100).to_integral_value()) for li in items}
            discounts = {id(li): 0 for li in items}
            if ctype == "percent":
                for li in items:
                    discounts[id(li)] = int((Decimal(cents[id(li)]) * amount / 100).to_integral_value(ROUND_FLOOR))
                wanted = int((Decimal(sum(cents.values())) * amount / 100).to_integral_value())
            else:
                wanted = min(int(amount * 100), sum(cents.values()))
                if ctype == "fixed_product":
                    for li in items:
                        discounts[id(li)] = min(cents[id(li)], int(amount * 100) * li["quantity"])
                    wanted = sum(discounts.values())
                else:
                    total_cents = sum(cents.values()) or 1
                    for li in items:
                        discounts[id(li)] = int((Decimal(cents[id(li)]) * wanted / total_cents).to_integral_value(
                            ROUND_FLOOR))
            remainder = wanted - sum(discounts.values())
            ordered = sorted(items, key=lambda li: dec(li["_subtotal"]) / max(li["quantity"], 1), reverse=True)
            while remainder > 0 and ordered:
                progressed = False
                for li in ordered:
                    for _ in range(max(li["quantity"], 1)):
                        if remainder <= 0:
                            break
                        if cents[id(li)] - discounts[id(li)] > 0:
                            discounts[id(li)] += 1
                            remainder -= 1
                            progressed = True
                    if remainder <= 0:
                        break
                if not progressed:
                    break
            total_discount = Decimal(0)
            discount_tax = Decimal(0)
            country = self._order_country(o)
            for li in items:
                d = Decimal(discounts[id(li)]) / 100
                li["_total"] = str(dec(li["_total"]) - d)
                total_discount += d
                for rate in self.tax_rates_for(li["tax_class"], country):
                    discount_tax += round2(d * dec(rate["rate"]) / 100)
            cl["discount"] = php_num(total_discount)
            cl["discount_tax"] = php_num(discount_tax)
            cl["discount_type"] = ctype
            cl["nominal_amount"] = json_number(amount)
            cl["free_shipping"] = bool(coupon and coupon["free_shipping"])
            if coupon and not cl["meta_data"]:
                info = json.dumps([coupon["id"], coupon["code"], ctype, json_number(amount)], separators=(",", ":"))
                cl["meta_data"] = [{"id": self.next_id("itemmeta"), "key": "coupon_info", "value": info,
                                    "display_key": "coupon_info", "display_value": info}]

    def calculate_totals(self, o: dict) -> None:
        """WC_Abstract_Order::calculate_totals() with per-line tax rounding (the shop's setting)."""
        country = self._order_country(o)
        if o["coupon_lines"]:
            self._apply_coupons(o)
        cart_taxes: dict[int, Decimal] = {}
        shipping_taxes: dict[int, Decimal] = {}
        seen_rates: list[int] = []
        cart_subtotal = cart_total = Decimal(0)
        subtotal_tax_sum = total_tax_sum = Decimal(0)
        for li in o["line_items"]:
            sub, tot = dec(li["_subtotal"]), dec(li["_total"])
            li["subtotal"], li["total"] = money(sub), money(tot)
            taxes = []
            product = self.product_or_variation(li["variation_id"] or li["product_id"]) if li["product_id"] else None
            if product is not None and product.get("tax_status") == "none":
                rates = []
            else:
                rates = self.tax_rates_for(li["tax_class"], country)
            line_sub_tax = line_tax = Decimal(0)
            for rate in rates:
                pct = dec(rate["rate"])
                t_sub = sub * pct / 100
                t_tot = tot * pct / 100
                taxes.append({"id": rate["id"], "total": php_num(t_tot), "subtotal": php_num(t_sub)})
                cart_taxes[rate["id"]] = cart_taxes.get(rate["id"], Decimal(0)) + round2(t_tot)
                line_sub_tax += t_sub
                line_tax += t_tot
                if rate["id"] not in seen_rates:
                    seen_rates.append(rate["id"])
            li["taxes"] = taxes
            li["subtotal_tax"] = money(line_sub_tax)
            li["total_tax"] = money(line_tax)
            li["price"] = json_number(round2(tot) / li["quantity"]) if li["quantity"] else 0
            cart_subtotal += sub
            cart_total += tot
            subtotal_tax_sum += line_sub_tax
            total_tax_sum += line_tax
        fees_total = Decimal(0)
        for f in o["fee_lines"]:
            tot = dec(f["_total"])
            f["total"] = money(tot)
            taxes = []
            ftax = Decimal(0)
            if f["tax_status"] == "taxable":
                for rate in self.tax_rates_for(f["tax_class"], country):
                    t = tot * dec(rate["rate"]) / 100
                    taxes.append({"id": rate["id"], "total": php_num(t), "subtotal": ""})
                    cart_taxes[rate["id"]] = cart_taxes.get(rate["id"], Decimal(0)) + round2(t)
                    ftax += t
                    if rate["id"] not in seen_rates:
                        seen_rates.append(rate["id"])
            f["taxes"] = taxes
            f["total_tax"] = money(ftax)
            fees_total += tot
        item_classes = [li["tax_class"] for li in o["line_items"] if li["product_id"]]
        ship_class = None
        for candidate in ("", "reduced-rate", "zero-rate"):
            if candidate in item_classes:
                ship_class = candidate
                break
        if ship_class is None and not item_classes:
            ship_class = ""
        shipping_total = Decimal(0)
        for s in o["shipping_lines"]:
            tot = dec(s["_total"])
            s["total"] = money(tot)
            taxes = []
            stax = Decimal(0)
            if ship_class is not None:
                for rate in self.tax_rates_for(ship_class, country, shipping=True):
                    t = tot * dec(rate["rate"]) / 100
                    taxes.append({"id": rate["id"], "total": php_num(t), "subtotal": ""})
                    shipping_taxes[rate["id"]] = shipping_taxes.get(rate["id"], Decimal(0)) + round2(t)
                    stax += t
                    if rate["id"] not in seen_rates:
                        seen_rates.append(rate["id"])
            s["taxes"] = taxes
            s["total_tax"] = money(stax)
            shipping_total += round2(tot)
        existing = {t["rate_id"]: t for t in o["tax_lines"]}
        tax_lines = []
        for rate_id in seen_rates:
            rate = self.taxes[rate_id]
            t = existing.get(rate_id) or _tpl("tax_line")
            if rate_id not in existing:
                t["id"] = 0
            pct = dec(rate["rate"])
            t.update({"rate_code": "-".join(x for x in (rate["country"], rate["state"], rate["name"] or "TAX",
                                                        str(rate["priority"])) if x).upper(),
                      "rate_id": rate_id, "label": rate["name"], "compound": rate["compound"],
                      "tax_total": money(cart_taxes.get(rate_id, 0)),
                      "shipping_tax_total": money(shipping_taxes.get(rate_id, 0)),
                      "rate_percent": json_number(pct), "meta_data": []})
            tax_lines.append(t)
        o["tax_lines"] = tax_lines
        cart_tax = sum(cart_taxes.values(), Decimal(0))
        shipping_tax = sum(shipping_taxes.values(), Decimal(0))
        o["shipping_total"] = money(shipping_total)
        o["shipping_tax"] = money(shipping_tax)
        o["cart_tax"] = money(cart_tax)
        o["total_tax"] = money(cart_tax + shipping_tax)
        o["discount_total"] = money(cart_subtotal - cart_total)
        o["discount_tax"] = money(subtotal_tax_sum - total_tax_sum)
        o["total"] = money(cart_total + fees_total + shipping_total + cart_tax + shipping_tax)

    def _assign_item_ids(self, o: dict) -> None:
        for group in ("line_items", "shipping_lines", "fee_lines", "tax_lines", "coupon_lines"):
            for item in o[group]:
                if not item["id"]:
                    item["id"] = self.next_id("item")

    def _order_flags(self, o: dict) -> None:
        status = o["status"]
        o["is_editable"] = status in ("pending", "on-hold", "auto-draft")
        o["needs_payment"] = status in ("pending", "failed") and dec(o["total"]) > 0
        o["needs_processing"] = any(
            (self.product_or_variation(li["variation_id"] or li["product_id"]) or {}).get("virtual") is False
            for li in o["line_items"] if li["product_id"])
        o["payment_url"] = f"{self.base}checkout/order-pay/{o['id']}/?pay_for_order=true&key={o['order_key']}"
        o["number"] = str(o["id"])

    def _order_key(self) -> str:
        alphabet = string.ascii_letters + string.digits
        return "wc_order_" + "".join(self._rng.choice(alphabet) for _ in range(13))

    def _validate_order_input(self, data: dict) -> None:
        if "status" in data and data["status"] not in ORDER_STATUSES:
            raise not_in_enum("status", ORDER_STATUSES)
        for key in ("customer_id", "parent_id"):
            _int_param(data, key)
        _bool_param(data, "set_paid")
        for group in ("line_items",):
            for item in data.get(group) or []:
                if isinstance(item, dict):
                    for key in ("product_id", "variation_id", "quantity", "id"):
                        try:
                            _int_param(item, key)
                        except RestError:
                            raise not_integer(f"{group}[0][{key}]") from None
        cid = _int_param(data, "customer_id")
        if cid and cid not in self.customers:
            raise RestError("woocommerce_rest_invalid_customer_id", "Customer ID is invalid.", 400)
        for cl in data.get("coupon_lines") or []:
            if isinstance(cl, dict) and cl.get("code") and not self.coupon_by_code(cl["code"]):
                raise RestError("woocommerce_rest_invalid_coupon", f'Coupon "{cl["code"]}" does not exist!', 400)

    def create_order(self, data: dict, fire: bool = True, created_via: str = "rest-api") -> dict:
        self._validate_order_input(data)
        o = _tpl("order")
        o.update({"id": self.next_id("post"), "parent_id": _int_param(data, "parent_id", 0) or 0,
                  "status": "pending", "currency": data.get("currency") or "EUR", "version": "9.9.5",
                  "prices_include_tax": False, "customer_id": _int_param(data, "customer_id", 0) or 0,
                  "order_key": self._order_key(), "payment_method": "", "payment_method_title": "",
                  "transaction_id": "", "customer_ip_address": "", "customer_user_agent": "",
                  "created_via": created_via, "customer_note": "", "date_completed": None, "date_paid": None,
                  "date_completed_gmt": None, "date_paid_gmt": None, "cart_hash": "", "meta_data": [],
                  "line_items": [], "tax_lines": [], "shipping_lines": [], "fee_lines": [], "coupon_lines": [],
                  "refunds": [], "currency_symbol": "€"})
        for part in ("billing", "shipping"):
            for k in o[part]:
                o[part][k] = ""
        self.stamp(o, created=True)
        self.orders[o["id"]] = o
        self.order_extra[o["id"]] = {"stock_reduced": False, "sales_recorded": False}
        self.order_notes[o["id"]] = []
        self._apply_order_fields(o, data)
        self._assign_item_ids(o)
        self._coupon_usage(o, +1)  # saved as pending: woocommerce_order_status_pending records usage
        self._order_flags(o)
        if fire:
            # Queued in this order by the real shop: order.created, order.updated, then product.updated.
            self.emit("order", "created", o["id"])
            self.emit("order", "updated", o["id"])
        requested = data.get("status") or "pending"
        self._set_order_status(o, requested, note_from="pending")
        if data.get("set_paid") in (True, "true", 1, "1"):
            self._payment_complete(o, data.get("transaction_id", ""))
        self._order_flags(o)
        if fire:
            self.emit("order", "updated", o["id"])
        return o

    def _apply_order_fields(self, o: dict, data: dict) -> bool:
        """Returns True when items changed (totals to recalculate)."""
        for key in ("payment_method", "payment_method_title", "transaction_id", "customer_note", "currency",
                    "customer_ip_address", "customer_user_agent"):
            if key in data and data[key] is not None:
                o[key] = str(data[key])
        if "customer_id" in data:
            o["customer_id"] = _int_param(data, "customer_id", 0) or 0
        for part in ("billing", "shipping"):
            if isinstance(data.get(part), dict):
                for k, v in data[part].items():
                    if k in o[part]:
                        o[part][k] = "" if v is None else str(v)
        if "meta_data" in data:
            self._set_meta(o["meta_data"], data["meta_data"], "meta")
        changed = False
        for li_data in data.get("line_items") or []:
            if not isinstance(li_data, dict):
                continue
            changed = True
            lid = _int_param(li_data, "id", 0)
            if lid:
                existing = next((x for x in o["line_items"] if x["id"] == lid), None)
                if existing is None:
                    continue
                qty = _int_param(li_data, "quantity", existing["quantity"])
                if qty == 0 or li_data.get("product_id", 1) is None:
                    o["line_items"].remove(existing)
                    continue
                if qty != existing["quantity"] and not li_data.get("subtotal"):
                    unit = dec(existing["_subtotal"]) / existing["quantity"] if existing["quantity"] else Decimal(0)
                    existing["_subtotal"] = str(round2(unit * qty))
                existing["quantity"] = qty
                if li_data.get("subtotal") not in (None, ""):
                    existing["_subtotal"] = str(round2(li_data["subtotal"]))
                if li_data.get("total") not in (None, ""):
                    existing["_total"] = str(round2(li_data["total"]))
                    existing["_explicit_total"] = True
                else:
                    existing["_total"] = str(dec(existing["_subtotal"]))
                    existing["_explicit_total"] = False
            else:
                o["line_items"].append(self._new_line_item(o, li_data))
        for s_data in data.get("shipping_lines") or []:
            if isinstance(s_data, dict):
                changed = True
                sid = _int_param(s_data, "id", 0)
                existing = next((x for x in o["shipping_lines"] if sid and x["id"] == sid), None)
                if existing is not None:
                    if s_data.get("method_id", "") is None:
                        o["shipping_lines"].remove(existing)
                        continue
                    for key in ("method_title", "method_id", "instance_id"):
                        if key in s_data:
                            existing[key] = str(s_data[key])
                    if "total" in s_data:
                        existing["_total"] = str(round2(s_data["total"]))
                else:
                    o["shipping_lines"].append(self._new_shipping_line(s_data))
        for f_data in data.get("fee_lines") or []:
            if isinstance(f_data, dict):
                changed = True
                fid = _int_param(f_data, "id", 0)
                existing = next((x for x in o["fee_lines"] if fid and x["id"] == fid), None)
                if existing is not None:
                    if f_data.get("name", "") is None:
                        o["fee_lines"].remove(existing)
                        continue
                    if "total" in f_data:
                        existing["_total"] = str(round2(f_data["total"]))
                else:
                    o["fee_lines"].append(self._new_fee_line(f_data))
        for c_data in data.get("coupon_lines") or []:
            if isinstance(c_data, dict) and c_data.get("code"):
                changed = True
                code = str(c_data["code"]).strip().lower()
                if any(x["code"] == code for x in o["coupon_lines"]):
                    continue
                cl = _tpl("coupon_line")
                cl.update({"id": 0, "code": code, "meta_data": []})
                o["coupon_lines"].append(cl)
                if self.order_extra.get(o["id"], {}).get("coupon_usage_recorded"):
                    self._coupon_usage(o, +1, codes=[code])
        if changed or not o["tax_lines"]:
            self.calculate_totals(o)
        return changed

    def _coupon_usage(self, o: dict, delta: int, codes: list | None = None) -> None:
        """wc_update_coupon_usage_counts(): +1 when the order gets a live status, -1 when cancelled
        (removing the first used_by entry of that customer, as WooCommerce does)."""
        used_by = str(o["customer_id"]) if o["customer_id"] else o["billing"]["email"]
        for cl in o["coupon_lines"]:
            if codes is not None and cl["code"] not in codes:
                continue
            coupon = self.coupon_by_code(cl["code"])
            if coupon is None:
                continue
            if delta > 0:
                coupon["usage_count"] += 1
                coupon["used_by"].append(used_by)
            else:
                coupon["usage_count"] = max(coupon["usage_count"] - 1, 0)
                if used_by in coupon["used_by"]:
                    coupon["used_by"].remove(used_by)
        if codes is None:
            self.order_extra[o["id"]]["coupon_usage_recorded"] = delta > 0

    def _payment_complete(self, o: dict, transaction_id: str = "") -> None:
        if o["status"] not in ("on-hold", "pending", "failed", "cancelled"):
            return
        if transaction_id:
            o["transaction_id"] = str(transaction_id)
        if not o["date_paid"]:
            o["date_paid"], o["date_paid_gmt"] = local_and_gmt(self.now())
        self._set_order_status(o, "processing" if o["needs_processing"] else "completed")

    def _set_order_status(self, o: dict, new: str, note_from: str | None = None) -> None:
        old = o["status"]
        if new == old and note_from is None:
            return
        o["status"] = new
        self.stamp(o)
        if new != old:
            self._add_note(o["id"], f"Order status changed from {STATUS_LABELS.get(old, old)} to "
                                    f"{STATUS_LABELS.get(new, new)}.", defer=True)
        extra = self.order_extra[o["id"]]
        if new == "cancelled" and extra.get("coupon_usage_recorded"):
            self._coupon_usage(o, -1)
        elif new in ("pending",) + STOCK_REDUCING and not extra.get("coupon_usage_recorded"):
            self._coupon_usage(o, +1)
        if new in STOCK_REDUCING and not extra["stock_reduced"]:
            self._reduce_stock(o)
        if new in ("cancelled", "pending") and extra["stock_reduced"]:
            self._restore_stock(o)
        if new in STOCK_REDUCING and not extra["sales_recorded"]:
            extra["sales_recorded"] = True
            for li in o["line_items"]:
                p = self.products.get(li["product_id"])
                if p:
                    p["total_sales"] = int(p["total_sales"]) + li["quantity"]
        if new == "completed":
            now_local, now_gmt = local_and_gmt(self.now())
            o["date_completed"], o["date_completed_gmt"] = now_local, now_gmt
            if not o["date_paid"]:
                o["date_paid"], o["date_paid_gmt"] = now_local, now_gmt
            customer = self.customers.get(o["customer_id"])
            if customer:
                customer["is_paying_customer"] = True
        self._flush_notes(o["id"])

    def _reduce_stock(self, o: dict) -> None:
        extra = self.order_extra[o["id"]]
        changes = []
        for li in o["line_items"]:
            pid = li["variation_id"] or li["product_id"]
            target = self.product_or_variation(pid)
            if target is None or not target["manage_stock"]:
                continue
            result = self.change_stock(pid, -li["quantity"])
            if result:
                li["meta_data"].append({"id": self.next_id("itemmeta"), "key": "_reduced_stock",
                                        "value": str(li["quantity"]), "display_key": "_reduced_stock",
                                        "display_value": str(li["quantity"])})
                label = li["name"] + (f' ({target["sku"]})' if target["sku"] else "")
                if target["type"] == "variation":
                    label += '<span class="description"></span>'
                changes.append(f"{label} {result[0]}&rarr;{result[1]}")
        extra["stock_reduced"] = True
        if changes:
            self._add_note(o["id"], "Stock levels reduced: " + ", ".join(changes), front=True)

    def _restore_stock(self, o: dict) -> None:
        extra = self.order_extra[o["id"]]
        changes = []
        for li in o["line_items"]:
            meta = next((m for m in li["meta_data"] if m["key"] == "_reduced_stock"), None)
            if meta is None:
                continue
            qty = int(meta["value"])
            pid = li["variation_id"] or li["product_id"]
            result = self.change_stock(pid, qty)
            li["meta_data"].remove(meta)
            if result:
                changes.append(f"{li['name']} {result[0]}&rarr;{result[1]}")
        extra["stock_reduced"] = False
        if changes:
            self._add_note(o["id"], "Stock levels increased: " + ", ".join(changes))

    def _add_note(self, order_id: int, text: str, customer_note: bool = False, author: str = "WooCommerce",
                  defer: bool = False, front: bool = False) -> dict:
        n = _tpl("order_note")
        n.update({"id": 0, "author": author, "note": text, "customer_note": customer_note})
        self.stamp(n, created=True, modified=False)
        pending = self.order_extra.setdefault(order_id, {}).setdefault("pending_notes", [])
        if defer:
            pending.append(n)
        else:
            n["id"] = self.next_id("note")
            self.order_notes.setdefault(order_id, []).append(n)
        return n

    def _flush_notes(self, order_id: int) -> None:
        for n in self.order_extra.get(order_id, {}).pop("pending_notes", []):
            n["id"] = self.next_id("note")
            self.order_notes.setdefault(order_id, []).append(n)

    def update_order(self, oid: int, data: dict, fire: bool = True) -> dict:
        o = self.orders.get(oid)
        if o is None or o["status"] == "trash":
            raise RestError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 400)
        self._validate_order_input(data)
        self._apply_order_fields(o, data)
        self._assign_item_ids(o)
        self.stamp(o)
        if data.get("status") and data["status"] != o["status"]:
            self._set_order_status(o, data["status"])
        if data.get("set_paid") in (True, "true", 1, "1"):
            self._payment_complete(o, data.get("transaction_id", ""))
        self._order_flags(o)
        if fire:
            self.emit("order", "updated", oid)
        return o

    def trash_order(self, oid: int) -> dict:
        o = self.orders.get(oid)
        if o is None:
            raise RestError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
        if o["status"] == "trash":
            raise RestError("woocommerce_rest_already_trashed", "The shop_order has already been deleted.", 410)
        before = copy.deepcopy(o)
        o["status"] = "trash"
        self.stamp(o)
        self.emit("order", "deleted", oid)
        return before

    def delete_order(self, oid: int) -> dict:
        o = self.orders.pop(oid, None)
        if o is None:
            raise RestError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
        self.order_notes.pop(oid, None)
        return o

    # ------------------------------------------------------------------ refunds
    def create_refund(self, oid: int, data: dict) -> dict:
        o = self.orders.get(oid)
        if o is None:
            raise RestError("woocommerce_rest_invalid_order_id", "Invalid order ID.", 404)
        lines = [li for li in data.get("line_items") or [] if isinstance(li, dict)]
        if data.get("amount") in (None, ""):
            amount = Decimal(0)
            for li in lines:
                amount += dec(li.get("refund_total", 0))
                for t in li.get("refund_tax") or []:
                    amount += dec(t.get("refund_total", 0))
        else:
            amount = dec(data["amount"])
        if amount < 0:
            raise RestError("woocommerce_rest_invalid_order_refund", "Refund amount must be greater than zero.", 400)
        refunded = sum((-dec(r["total"]) for r in o["refunds"]), Decimal(0))
        remaining = dec(o["total"]) - refunded
        if amount > remaining:
            raise RestError("woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.", 500)
        api_refund = data.get("api_refund", True)
        if api_refund in (True, "true", 1, "1"):
            gateway = self.payment_gateways.get(o["payment_method"])
            if gateway is None:
                raise RestError("woocommerce_rest_cannot_create_order_refund",
                                "The payment gateway for this order does not exist.", 500)
            raise RestError("woocommerce_rest_cannot_create_order_refund",
                            "The payment gateway for this order does not support automatic refunds.", 500)
        r = _tpl("refund")
        r.update({"id": self.next_id("post"), "amount": money(amount), "reason": data.get("reason") or "",
                  "refunded_by": 1, "refunded_payment": False, "meta_data": [], "line_items": [],
                  "shipping_lines": [], "tax_lines": [], "fee_lines": []})
        self.stamp(r, created=True, modified=False)
        tax_totals: dict[int, Decimal] = {}
        restock = data.get("api_restock", True) in (True, "true", 1, "1")
        shipping_tax: dict[int, Decimal] = {}
        for req in lines:
            item = next((x for x in o["line_items"] if x["id"] == _int_param(req, "id", 0)), None)
            if item is None:
                # a shipping or fee line refunded: WooCommerce keys every order item by its id, and
                # the refund carries it in its own shipping_lines / fee_lines (tax on shipping apart)
                for key in ("shipping_lines", "fee_lines"):
                    other = next((x for x in o.get(key) or [] if x["id"] == _int_param(req, "id", 0)), None)
                    if other is None:
                        continue
                    total = dec(req.get("refund_total", 0))
                    taxes, tax_sum = [], Decimal(0)
                    for t in req.get("refund_tax") or []:
                        tid, tv = _int_param(t, "id", 0), dec(t.get("refund_total", 0))
                        taxes.append({"id": tid, "total": php_num(-tv), "subtotal": ""})
                        tax_sum += tv
                        bucket = shipping_tax if key == "shipping_lines" else tax_totals
                        bucket[tid] = bucket.get(tid, Decimal(0)) + tv
                    row = {k: other[k] for k in ("method_title", "method_id", "instance_id", "name", "tax_class",
                                                 "tax_status") if k in other}
                    row.update({"id": self.next_id("item"), "total": money(-total), "total_tax": money(-tax_sum),
                                "taxes": taxes, "meta_data": [{"id": self.next_id("itemmeta"), "key": "_refunded_item_id",
                                                               "value": str(other["id"]), "display_key": "_refunded_item_id",
                                                               "display_value": str(other["id"])}]})
                    r[key].append(row)
                continue
            qty = _int_param(req, "quantity", 0) or 0
            total = dec(req.get("refund_total", 0))
            taxes = []
            tax_sum = Decimal(0)
            for t in req.get("refund_tax") or []:
                tid = _int_param(t, "id", 0)
                tv = dec(t.get("refund_total", 0))
                taxes.append({"id": tid, "total": php_num(-tv), "subtotal": php_num(-tv)})
                tax_sum += tv
                tax_totals[tid] = tax_totals.get(tid, Decimal(0)) + tv
            rl = _tpl("line_item")
            rl.update({"id": self.next_id("item"), "name": item["name"], "product_id": item["product_id"],
                       "variation_id": item["variation_id"], "quantity": -qty, "tax_class": item["tax_class"],
                       "subtotal": money(-total), "subtotal_tax": money(-tax_sum), "total": money(-total),
                       "total_tax": money(-tax_sum), "taxes": taxes, "sku": item["sku"],
                       "price": json_number(round2(total / qty)) if qty else 0, "image": item["image"],
                       "parent_name": item["parent_name"],
                       "meta_data": [{"id": self.next_id("itemmeta"), "key": "_refunded_item_id",
                                      "value": str(item["id"]), "display_key": "_refunded_item_id",
                                      "display_value": str(item["id"])}]})
            r["line_items"].append(rl)
            if restock and qty:
                pid = item["variation_id"] or item["product_id"]
                meta = next((m for m in item["meta_data"] if m["key"] == "_reduced_stock"), None)
                if meta is not None and self.change_stock(pid, qty):
                    meta["value"] = meta["display_value"] = str(max(int(meta["value"]) - qty, 0))
                    restocked = next((m for m in item["meta_data"] if m["key"] == "_restock_refunded_items"), None)
                    if restocked:
                        restocked["value"] = restocked["display_value"] = str(int(restocked["value"]) + qty)
                    else:
                        item["meta_data"].append({"id": self.next_id("itemmeta"), "key": "_restock_refunded_items",
                                                  "value": str(qty), "display_key": "_restock_refunded_items",
                                                  "display_value": str(qty)})
        for tid in list(dict.fromkeys(list(tax_totals) + list(shipping_tax))):
            tv = tax_totals.get(tid, Decimal(0))
            rate = self.taxes.get(tid)
            tl = _tpl("tax_line")
            tl.update({"id": self.next_id("item"), "rate_id": tid, "tax_total": money(-tv),
                       "shipping_tax_total": money(-shipping_tax.get(tid, Decimal(0))), "meta_data": []})
            if rate:
                tl.update({"rate_code": "-".join(x for x in (rate["country"], rate["state"], rate["name"],
                                                             str(rate["priority"])) if x).upper(),
                           "label": rate["name"], "compound": rate["compound"],
                           "rate_percent": json_number(dec(rate["rate"]))})
            r["tax_lines"].append(tl)
        self.refunds[r["id"]] = r
        self.refund_parent[r["id"]] = oid
        o["refunds"].insert(0, {"id": r["id"], "reason": r["reason"], "total": money(-amount)})
        self.stamp(o)
        if amount >= remaining and remaining > 0:
            self._set_order_status(o, "refunded")
        self._order_flags(o)
        self.emit("order", "updated", oid)
        return r

    # ------------------------------------------------------------------ webhooks (records)
    def create_webhook_record(self, data: dict, user_id: int = 1) -> dict:
        topic = str(data.get("topic") or "").lower()
        if not topic or topic not in WEBHOOK_TOPICS:
            raise RestError("woocommerce_rest_shop_webhook_invalid_topic",
                            "Webhook topic is required and must be valid.", 400)
        url = data.get("delivery_url") or ""
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise RestError("woocommerce_rest_shop_webhook_invalid_delivery_url",
                            "Webhook delivery URL must be a valid URL starting with http:// or https://.", 400)
        status = data.get("status") or "active"
        if status not in ("active", "paused", "disabled"):
            raise not_in_enum("status", ["active", "paused", "disabled"])
        resource, event = topic.split(".")
        w = _tpl("webhook")
        secret = data.get("secret") or "".join(
            self._rng.choice(string.ascii_letters + string.digits + "!@#$%^&*()-_ []{}<>~`+=,.;:/?|")
            for _ in range(50))
        w.update({"id": self.next_id("webhook"), "name": data.get("name") or "Webhook created on "
                  + local_and_gmt(self.now())[0], "status": status, "topic": topic, "resource": resource,
                  "event": event, "hooks": list(WEBHOOK_TOPICS[topic]), "delivery_url": url,
                  "date_modified": None, "date_modified_gmt": None})
        self.stamp(w, created=True, modified=False)
        w.update({"secret": secret, "failure_count": 0, "pending_delivery": True, "api_version": "wp_api_v3",
                  "user_id": user_id})
        self.webhooks[w["id"]] = w
        return w
