"""wc/v3 routes: parameter validation, collections with WordPress pagination, batches, rendering.

A handler gets a ``Request`` and returns ``Response``; errors are raised as ``RestError`` and rendered
as WP_Error bodies. All state access happens with the simulator lock held (the server takes it).
"""
from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass, field
from urllib.parse import quote

from .errors import RestError, invalid_param, not_in_enum, not_integer, out_of_bounds
from .store import ORDER_STATUSES, PRODUCT_TYPES, STATIC, WEBHOOK_TOPICS, _int_param
from .util import dec, money, parse_rest_date, parse_stored, wpautop

NS = "/wp-json/wc/v3/"
FULL = ["GET", "POST", "PUT", "PATCH", "DELETE"]
ALLOW_COLLECTION = "GET, POST"
ALLOW_ITEM = "GET, POST, PUT, PATCH, DELETE"
ALLOW_BATCH = "POST, PUT, PATCH"
BATCH_LIMIT = 100


@dataclass
class Request:
    method: str
    route: str  # path relative to /wp-json/wc/v3/, no leading slash
    query: dict  # PHP-parsed query parameters (oauth_* included, like $_GET)
    query_pairs: list  # decoded (key, value) pairs in order, for the Link header
    body: object  # parsed JSON body (dict/list) or form dict or None
    user_id: int = 1
    params: dict = field(default_factory=dict)  # body over query, like WP_REST_Request

    def __post_init__(self):
        merged = dict(self.query)
        if isinstance(self.body, dict):
            merged.update(self.body)
        self.params = merged


@dataclass
class Response:
    status: int
    body: object
    headers: list = field(default_factory=list)
    after: tuple | None = None  # work the server does outside the lock (webhook pings)


def _links_self(href: str, allow=FULL) -> list:
    return [{"href": href, "targetHints": {"allow": list(allow)}}]


def strip_private(obj):
    """Drop the simulator's bookkeeping keys (leading underscore, except _links) recursively."""
    if isinstance(obj, dict):
        return {k: strip_private(v) for k, v in obj.items() if not (k.startswith("_") and k != "_links")}
    if isinstance(obj, list):
        return [strip_private(v) for v in obj]
    return obj


def _home(out: dict, home: str) -> dict:
    for key in ("permalink", "payment_url"):
        if isinstance(out.get(key), str):
            out[key] = out[key].replace("{{HOME}}", home)
    return out


def _substitute(obj, home: str):
    text = json.dumps(obj, ensure_ascii=False).replace("{{HOME}}", home)
    return json.loads(text)


class Rest:
    def __init__(self, sim):
        self.sim = sim
        self.routes = []
        self._register()

    # ------------------------------------------------------------------ routing
    def add(self, pattern: str, methods: dict, allow: str):
        self.routes.append((re.compile(f"^{pattern}$"), methods, allow))

    def match(self, method: str, route: str):
        """Returns (handler, kwargs, allow) or raises rest_no_route."""
        for regex, methods, allow in self.routes:
            m = regex.match(route)
            if not m:
                continue
            handler = methods.get(method)
            if handler is None:
                continue
            return handler, {k: int(v) if v.isdigit() else v for k, v in m.groupdict().items()}, allow
        raise RestError("rest_no_route", "No route was found matching the URL and request method.", 404)

    def permission_error(self, method: str, kind: str) -> RestError:
        if kind == "batch":
            return RestError("woocommerce_rest_cannot_batch",
                             "Sorry, you are not allowed to batch manipulate this resource.", 401)
        if method == "GET":
            if kind == "collection":
                return RestError("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.", 401)
            return RestError("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource.", 401)
        if method == "DELETE":
            return RestError("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource.",
                             401)
        if kind == "collection":
            return RestError("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources.", 401)
        return RestError("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource.", 401)

    @staticmethod
    def route_kind(allow: str) -> str:
        if allow == ALLOW_BATCH:
            return "batch"
        if "DELETE" in allow or "PUT" in allow:
            return "item"
        return "collection"

    # ------------------------------------------------------------------ helpers
    @property
    def state(self):
        return self.sim.state

    @property
    def home(self) -> str:
        return self.sim.url.rstrip("/")

    def href(self, route: str) -> str:
        return f"{self.sim.url}wp-json/wc/v3/{route}"

    def paginate(self, req: Request, items: list, default_per_page: int = 10) -> Response:
        per_page = self.int_arg(req, "per_page", default_per_page, 1, 100)
        page = self.int_arg(req, "page", 1, 1, None)
        offset = self.int_arg(req, "offset", None, 0, None)
        total = len(items)
        pages = math.ceil(total / per_page) if total else 0
        start = offset if offset is not None else (page - 1) * per_page
        chunk = items[start:start + per_page]
        headers = [("X-WP-Total", str(total)), ("X-WP-TotalPages", str(pages))]
        links = []
        if page > 1:
            prev_page = min(page - 1, pages) if pages else page - 1
            links.append(f'<{self.page_url(req, prev_page)}>; rel="prev"')
        if pages > page:
            links.append(f'<{self.page_url(req, page + 1)}>; rel="next"')
        if links:
            headers.append(("Link", ", ".join(links)))
        return Response(200, chunk, headers)

    def page_url(self, req: Request, page: int) -> str:
        """add_query_arg('page', N, <route>?<the request's own query>) - oauth_* params included."""
        pairs, seen = [], False
        for k, v in req.query_pairs:
            if k == "page":
                if not seen:
                    pairs.append((k, str(page)))
                    seen = True
                continue
            pairs.append((k, v))
        if not seen:
            pairs.append(("page", str(page)))
        query = "&".join(f"{quote(k, safe='[]')}={quote(v, safe='+')}" for k, v in pairs)
        return f"{self.href(req.route)}?{query}"

    @staticmethod
    def int_arg(req: Request, name: str, default, minimum=None, maximum=None):
        if name not in req.query or req.query[name] == "":
            return default
        try:
            value = _int_param(req.query, name)
        except RestError:
            raise not_integer(name) from None
        if minimum is not None and maximum is not None and not (minimum <= value <= maximum):
            raise out_of_bounds(name, minimum, maximum)
        if minimum is not None and maximum is None and value < minimum:
            raise invalid_param(name, f"{name} must be greater than or equal to {minimum}", "rest_out_of_bounds")
        return value

    @staticmethod
    def enum_arg(req: Request, name: str, values: list, default):
        if name not in req.query or req.query[name] == "":
            return default
        value = req.query[name]
        if value not in values:
            raise not_in_enum(name, values)
        return value

    @staticmethod
    def id_list(req: Request, name: str) -> list[int] | None:
        value = req.query.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, dict):
            value = ",".join(value.values())
        out = []
        for part in str(value).split(","):
            part = part.strip()
            if not part:
                continue
            if not part.lstrip("-").isdigit():
                raise not_integer(f"{name}[0]")
            out.append(int(part))
        return out

    def date_filters(self, req: Request, items: list, created_key="date_created", modified_key="date_modified"):
        gmt = str(req.query.get("dates_are_gmt", "")).lower() in ("1", "true")
        suffix = "_gmt" if gmt else ""
        for param, key, op in (("after", created_key, "gt"), ("before", created_key, "lt"),
                               ("modified_after", modified_key, "gt"), ("modified_before", modified_key, "lt")):
            if param not in req.query or req.query[param] == "":
                continue
            when = parse_rest_date(req.query[param], as_gmt=gmt)
            if when is None:
                raise invalid_param(param, "Invalid date.", "rest_invalid_date")
            kept = []
            for item in items:
                stored = parse_stored(item.get(key + suffix))
                if stored is None:
                    continue
                if (op == "gt" and stored > when) or (op == "lt" and stored < when):
                    kept.append(item)
            items = kept
        return items

    @staticmethod
    def sort(items: list, orderby: str, order: str, keyfuncs: dict, include: list | None = None) -> list:
        if orderby == "include" and include:
            pos = {v: i for i, v in enumerate(include)}
            return sorted(items, key=lambda o: pos.get(o["id"], 10 ** 9))
        keyfunc = keyfuncs.get(orderby, keyfuncs["id"])
        return sorted(items, key=lambda o: (keyfunc(o), o["id"]), reverse=(order == "desc"))

    def fields(self, req: Request, body):
        """WordPress' _fields=: keep only the listed top-level keys."""
        wanted = req.query.get("_fields")
        if not wanted or not isinstance(wanted, str):
            return body
        keys = {f.split(".")[0] for f in wanted.split(",") if f}

        def pick(obj):
            return {k: v for k, v in obj.items() if k in keys} if isinstance(obj, dict) else obj

        if isinstance(body, list):
            return [pick(o) for o in body]
        return pick(body)

    # ------------------------------------------------------------------ rendering
    def render_product(self, p: dict, edit: bool = False) -> dict:
        """``edit``: the 'edit' context (answers to writes, or ?context=edit) adds two keys."""
        out = _home(strip_private(copy.deepcopy(p)), self.home)
        if edit:
            out["permalink_template"] = f"{self.sim.url}product/%pagename%/"
            out["generated_slug"] = p["slug"]
        else:  # the 'view' context formats what 'edit' gives raw
            out["description"] = wpautop(p["description"])
            out["short_description"] = wpautop(p["short_description"])
            out["average_rating"] = money(p["average_rating"])
        out["_links"] = {"self": _links_self(self.href(f"products/{p['id']}")),
                         "collection": [{"href": self.href("products")}]}
        return out

    def render_variation(self, v: dict, edit: bool = False) -> dict:
        out = _home(strip_private(copy.deepcopy(v)), self.home)
        if not edit:
            out["tax_class"] = self.state.effective_tax_class(v)
            out["description"] = wpautop(v["description"])
        out["_links"] = {"self": _links_self(self.href(f"products/{v['parent_id']}/variations/{v['id']}")),
                         "collection": [{"href": self.href(f"products/{v['parent_id']}/variations")}],
                         "up": [{"href": self.href(f"products/{v['parent_id']}")}]}
        return out

    def render_variation_as_product(self, v: dict) -> dict:
        out = _home(strip_private(self.state.variation_as_product(v)), self.home)
        out["_links"] = {"self": _links_self(self.href(f"products/{v['id']}")),
                         "collection": [{"href": self.href("products")}],
                         "up": [{"href": self.href(f"products/{v['parent_id']}")}]}
        return out

    def render_any_product(self, pid: int, edit: bool = False) -> dict | None:
        p = self.state.products.get(pid)
        if p is not None:
            return self.render_product(p, edit)
        v = self.state.variations.get(pid)
        if v is not None:
            return self.render_variation_as_product(v)
        return None

    def render_order(self, o: dict) -> dict:
        out = _home(strip_private(copy.deepcopy(o)), self.home)
        links = {"self": _links_self(self.href(f"orders/{o['id']}")),
                 "collection": [{"href": self.href("orders")}],
                 "email_templates": [{"embeddable": True,
                                      "href": self.href(f"orders/{o['id']}/actions/email_templates")}]}
        if o["customer_id"]:
            links["customer"] = [{"href": self.href(f"customers/{o['customer_id']}")}]
        if o["parent_id"]:
            links["up"] = [{"href": self.href(f"orders/{o['parent_id']}")}]
        out["_links"] = links
        return out

    def render_refund(self, r: dict) -> dict:
        oid = self.state.refund_parent[r["id"]]
        out = strip_private(copy.deepcopy(r))
        out["_links"] = {"self": _links_self(self.href(f"orders/{oid}/refunds/{r['id']}"), ["GET", "DELETE"]),
                         "collection": [{"href": self.href(f"orders/{oid}/refunds")}],
                         "up": [{"href": self.href(f"orders/{oid}")}]}
        return out

    def render_note(self, oid: int, n: dict) -> dict:
        out = copy.deepcopy(n)
        out["_links"] = {"self": _links_self(self.href(f"orders/{oid}/notes/{n['id']}"), ["GET", "DELETE"]),
                         "collection": [{"href": self.href(f"orders/{oid}/notes")}],
                         "up": [{"href": self.href(f"orders/{oid}")}]}
        return out

    def render_customer(self, c: dict, user_id: int = 1) -> dict:
        out = copy.deepcopy(c)
        allow = FULL if c["id"] != user_id else ["GET", "POST", "PUT", "PATCH"]
        out["_links"] = {"self": _links_self(self.href(f"customers/{c['id']}"), allow),
                         "collection": [{"href": self.href("customers")}]}
        return out

    def render_category(self, c: dict) -> dict:
        out = copy.deepcopy(c)
        out["count"] = self.state.category_count(c["id"])
        out["_links"] = {"self": _links_self(self.href(f"products/categories/{c['id']}")),
                         "collection": [{"href": self.href("products/categories")}]}
        if c["parent"]:
            out["_links"]["up"] = [{"href": self.href(f"products/categories/{c['parent']}")}]
        return out

    def render_attribute(self, a: dict) -> dict:
        out = copy.deepcopy(a)
        out["_links"] = {"self": _links_self(self.href(f"products/attributes/{a['id']}")),
                         "collection": [{"href": self.href("products/attributes")}]}
        return out

    def render_term(self, aid: int, t: dict) -> dict:
        out = copy.deepcopy(t)
        out["count"] = self.state.term_count(aid, t)
        out["_links"] = {"self": _links_self(self.href(f"products/attributes/{aid}/terms/{t['id']}")),
                         "collection": [{"href": self.href(f"products/attributes/{aid}/terms")}]}
        return out

    def render_webhook(self, w: dict) -> dict:
        keys = ["id", "name", "status", "topic", "resource", "event", "hooks", "delivery_url", "date_created",
                "date_created_gmt", "date_modified", "date_modified_gmt"]
        out = {k: copy.deepcopy(w[k]) for k in keys}
        out["_links"] = {"self": _links_self(self.href(f"webhooks/{w['id']}")),
                         "collection": [{"href": self.href("webhooks")}]}
        return out

    def render_coupon(self, c: dict) -> dict:
        out = copy.deepcopy(c)
        out["_links"] = {"self": _links_self(self.href(f"coupons/{c['id']}")),
                         "collection": [{"href": self.href("coupons")}]}
        return out

    def render_tax(self, t: dict) -> dict:
        out = copy.deepcopy(t)
        out["_links"] = {"self": _links_self(self.href(f"taxes/{t['id']}")),
                         "collection": [{"href": self.href("taxes")}]}
        return out

    def static(self, name: str):
        return _substitute(STATIC[name], self.home)

    def resource_payload(self, resource: str, rid: int) -> dict:
        """What a webhook delivery carries: GET /wc/v3/<resource>s/<id>, or its error body."""
        try:
            if resource == "product":
                body = self.render_any_product(rid)
                if body is None:
                    raise RestError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
                return body
            if resource == "order":
                o = self.state.orders.get(rid)
                if o is None:
                    raise RestError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
                return self.render_order(o)
            if resource == "customer":
                c = self.state.customers.get(rid)
                if c is None:
                    raise RestError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
                return self.render_customer(c)
            if resource == "coupon":
                c = self.state.coupons.get(rid)
                if c is None:
                    raise RestError("woocommerce_rest_shop_coupon_invalid_id", "Invalid ID.", 404)
                return self.render_coupon(c)
        except RestError as err:
            return err.body()
        return {}

    # ------------------------------------------------------------------ registration
    def _register(self):
        d = r"(?P<id>\d+)"
        self.add("products", {"GET": self.list_products, "POST": self.create_product}, ALLOW_COLLECTION)
        self.add("products/batch", self._batch_methods(self.batch_products), ALLOW_BATCH)
        self.add("products/categories", {"GET": self.list_categories, "POST": self.create_category},
                 ALLOW_COLLECTION)
        self.add(f"products/categories/{d}", {"GET": self.get_category, "PUT": self.update_category,
                                               "PATCH": self.update_category, "POST": self.update_category,
                                               "DELETE": self.delete_category}, ALLOW_ITEM)
        self.add("products/attributes", {"GET": self.list_attributes, "POST": self.create_attribute},
                 ALLOW_COLLECTION)
        self.add(f"products/attributes/{d}", {"GET": self.get_attribute}, ALLOW_ITEM)
        self.add(r"products/attributes/(?P<attribute_id>\d+)/terms",
                 {"GET": self.list_terms, "POST": self.create_term}, ALLOW_COLLECTION)
        self.add(rf"products/attributes/(?P<attribute_id>\d+)/terms/{d}", {"GET": self.get_term}, ALLOW_ITEM)
        self.add(r"products/(?P<product_id>\d+)/variations",
                 {"GET": self.list_variations, "POST": self.create_variation}, ALLOW_COLLECTION)
        self.add(r"products/(?P<product_id>\d+)/variations/batch", self._batch_methods(self.batch_variations),
                 ALLOW_BATCH)
        self.add(rf"products/(?P<product_id>\d+)/variations/{d}",
                 {"GET": self.get_variation, "PUT": self.update_variation, "PATCH": self.update_variation,
                  "POST": self.update_variation, "DELETE": self.delete_variation}, ALLOW_ITEM)
        self.add(f"products/{d}", {"GET": self.get_product, "PUT": self.update_product,
                                    "PATCH": self.update_product, "POST": self.update_product,
                                    "DELETE": self.delete_product}, ALLOW_ITEM)
        self.add("orders", {"GET": self.list_orders, "POST": self.create_order}, ALLOW_COLLECTION)
        self.add("orders/batch", self._batch_methods(self.batch_orders), ALLOW_BATCH)
        self.add(f"orders/{d}", {"GET": self.get_order, "PUT": self.update_order, "PATCH": self.update_order,
                                  "POST": self.update_order, "DELETE": self.delete_order}, ALLOW_ITEM)
        self.add(r"orders/(?P<order_id>\d+)/refunds", {"GET": self.list_refunds, "POST": self.create_refund},
                 ALLOW_COLLECTION)
        self.add(rf"orders/(?P<order_id>\d+)/refunds/{d}", {"GET": self.get_refund, "DELETE": self.delete_refund},
                 "GET, DELETE")
        self.add(r"orders/(?P<order_id>\d+)/notes", {"GET": self.list_notes, "POST": self.create_note},
                 ALLOW_COLLECTION)
        self.add(rf"orders/(?P<order_id>\d+)/notes/{d}", {"GET": self.get_note}, "GET, DELETE")
        self.add("customers", {"GET": self.list_customers, "POST": self.create_customer}, ALLOW_COLLECTION)
        self.add("customers/batch", self._batch_methods(self.batch_customers), ALLOW_BATCH)
        self.add(f"customers/{d}", {"GET": self.get_customer, "PUT": self.update_customer,
                                     "PATCH": self.update_customer, "POST": self.update_customer,
                                     "DELETE": self.delete_customer}, ALLOW_ITEM)
        self.add("coupons", {"GET": self.list_coupons, "POST": self.create_coupon}, ALLOW_COLLECTION)
        self.add(f"coupons/{d}", {"GET": self.get_coupon}, ALLOW_ITEM)
        self.add("webhooks", {"GET": self.list_webhooks, "POST": self.create_webhook}, ALLOW_COLLECTION)
        self.add(f"webhooks/{d}", {"GET": self.get_webhook, "PUT": self.update_webhook,
                                    "PATCH": self.update_webhook, "POST": self.update_webhook,
                                    "DELETE": self.delete_webhook}, ALLOW_ITEM)
        self.add("taxes", {"GET": self.list_taxes}, ALLOW_COLLECTION)
        self.add("taxes/classes", {"GET": self.static_list("tax_classes")}, ALLOW_COLLECTION)
        self.add(f"taxes/{d}", {"GET": self.get_tax}, ALLOW_ITEM)
        self.add("payment_gateways", {"GET": self.list_gateways}, "GET")
        self.add(r"payment_gateways/(?P<gateway>[\w-]+)", {"GET": self.get_gateway}, "GET, POST, PUT, PATCH")
        self.add("system_status", {"GET": self.static_item("system_status")}, "GET")
        self.add("settings/general", {"GET": self.static_item("settings_general")}, "GET")
        self.add("shipping/zones", {"GET": self.static_list("shipping_zones")}, ALLOW_COLLECTION)
        self.add("shipping_methods", {"GET": self.static_list("shipping_methods")}, "GET")
        self.add("data/currencies/current", {"GET": self.static_item("currency_current")}, "GET")

    @staticmethod
    def _batch_methods(handler):
        return {"POST": handler, "PUT": handler, "PATCH": handler}

    def static_list(self, name):
        def handler(req, **_):
            items = self.static(name)
            return Response(200, items, [("X-WP-Total", str(len(items))), ("X-WP-TotalPages", "1")])
        return handler

    def static_item(self, name):
        def handler(req, **_):
            return Response(200, self.static(name))
        return handler

    # ------------------------------------------------------------------ batch machinery
    def run_batch(self, req: Request, create, update, delete) -> Response:
        body = req.body if isinstance(req.body, dict) else {}
        items = {k: body.get(k) for k in ("create", "update", "delete") if body.get(k)}
        total = sum(len(v) for v in items.values() if isinstance(v, list))
        if total > BATCH_LIMIT:
            raise RestError("woocommerce_rest_request_entity_too_large",
                            f"Unable to accept more than {BATCH_LIMIT} items for this request.", 413)
        out = {}
        for item in items.get("create") or []:
            try:
                if isinstance(item, dict) and item.get("id"):
                    raise RestError("woocommerce_rest_product_exists", "Cannot create existing product.", 400)
                out.setdefault("create", []).append(create(item if isinstance(item, dict) else {}))
            except RestError as err:
                out.setdefault("create", []).append({"id": 0, "error": err.body()})
        for item in items.get("update") or []:
            item = item if isinstance(item, dict) else {}
            try:
                out.setdefault("update", []).append(update(item))
            except RestError as err:
                out.setdefault("update", []).append({"id": item.get("id"), "error": err.body()})
        for raw in items.get("delete") or []:
            rid = raw.get("id") if isinstance(raw, dict) else raw
            try:
                rid = int(rid)
            except (TypeError, ValueError):
                rid = 0
            if rid == 0:
                continue
            try:
                out.setdefault("delete", []).append(delete(rid))
            except RestError as err:
                out.setdefault("delete", []).append({"id": rid, "error": err.body()})
        return Response(200, out)

    @staticmethod
    def batch_size(body) -> int:
        if not isinstance(body, dict):
            return 0
        return sum(len(body.get(k) or []) for k in ("create", "update", "delete") if isinstance(body.get(k), list))

    # ------------------------------------------------------------------ products
    def _product_filter(self, req: Request) -> list:
        st = self.state
        status = self.enum_arg(req, "status", ["any", "future", "trash", "draft", "pending", "private", "publish"],
                               "any")
        ptype = self.enum_arg(req, "type", PRODUCT_TYPES, None)
        skus = req.query.get("sku")
        if skus:
            wanted = [s.strip() for s in str(skus).split(",") if s.strip()]
            items = [p for p in list(st.products.values()) + list(st.variations.values()) if p["sku"] in wanted]
            items = [self.state.variation_as_product(p) if p["type"] == "variation" else p for p in items]
        else:
            items = list(st.products.values())
        if status == "any":
            items = [p for p in items if p["status"] not in ("trash", "auto-draft")]
        else:
            items = [p for p in items if p["status"] == status]
        if ptype:
            items = [p for p in items if p["type"] == ptype]
        include = self.id_list(req, "include")
        if include is not None:
            items = [p for p in items if p["id"] in include]
        exclude = self.id_list(req, "exclude")
        if exclude:
            items = [p for p in items if p["id"] not in exclude]
        if req.query.get("search"):
            needle = str(req.query["search"]).lower()
            items = [p for p in items if needle in p["name"].lower()]
        if req.query.get("category"):
            cats = {int(c) for c in str(req.query["category"]).split(",") if c.strip().isdigit()}
            items = [p for p in items if cats & {c["id"] for c in p.get("categories", [])}]
        if req.query.get("stock_status"):
            items = [p for p in items if p["stock_status"] == req.query["stock_status"]]
        if req.query.get("parent"):
            parents = self.id_list(req, "parent")
            items = [p for p in items if p["parent_id"] in parents]
        items = self.date_filters(req, items)
        return items, include

    def list_products(self, req: Request, **_):
        items, include = self._product_filter(req)
        orderby = self.enum_arg(req, "orderby", ["date", "id", "include", "title", "slug", "modified", "price",
                                                 "popularity", "rating", "menu_order"], "date")
        order = self.enum_arg(req, "order", ["asc", "desc"], "desc")
        items = self.sort(items, orderby, order, {
            "date": lambda p: p["date_created_gmt"], "id": lambda p: p["id"], "title": lambda p: p["name"].lower(),
            "slug": lambda p: p["slug"], "modified": lambda p: p["date_modified_gmt"],
            "price": lambda p: dec(p["price"]), "popularity": lambda p: int(p["total_sales"]),
            "rating": lambda p: p["average_rating"], "menu_order": lambda p: (p["menu_order"], p["name"].lower()),
        }, include)
        resp = self.paginate(req, items)
        edit = req.query.get("context") == "edit"
        resp.body = [self.render_any_product(p["id"], edit) for p in resp.body]
        return resp

    def get_product(self, req: Request, id: int):
        body = self.render_any_product(id, req.query.get("context") == "edit")
        if body is None:
            raise RestError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
        return Response(200, body)

    def create_product(self, req: Request, **_):
        data = req.body if isinstance(req.body, dict) else {}
        if data.get("id"):
            raise RestError("woocommerce_rest_product_exists", "Cannot create existing product.", 400)
        p = self.state.create_product(data, strict=True)
        return Response(201, self.render_product(p, edit=True), [("Location", self.href(f"products/{p['id']}"))])

    def update_product(self, req: Request, id: int):
        data = req.body if isinstance(req.body, dict) else {}
        p = self.state.update_product(id, data, strict=True)
        return Response(200, self.render_product(p, edit=True))

    def _delete_product(self, pid: int, force: bool) -> dict:
        if pid not in self.state.products:
            if pid in self.state.variations:
                raise RestError(
                    "woocommerce_rest_invalid_product_id",
                    "To manipulate product variations you should use the "
                    "/products/&lt;product_id&gt;/variations/&lt;id&gt; endpoint.", 404)
            raise RestError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
        before = self.render_product(self.state.products[pid], edit=True)
        if force:
            self.state.delete_product(pid)
        else:
            self.state.trash_product(pid)
        return before

    def delete_product(self, req: Request, id: int):
        force = str(req.query.get("force", "")).lower() in ("1", "true")
        return Response(200, self._delete_product(id, force))

    def batch_products(self, req: Request, **_):
        st = self.state

        def create(item):
            return self.render_product(st.create_product(item, strict=False), edit=True)

        def update(item):
            try:
                pid = int(item.get("id") or 0)
            except (TypeError, ValueError):
                pid = 0
            return self.render_product(st.update_product(pid, item, strict=False), edit=True)

        def delete(pid):
            return self._delete_product(pid, force=True)  # batch deletes are permanent

        return self.run_batch(req, create, update, delete)

    # ------------------------------------------------------------------ variations
    def _parent(self, product_id: int) -> dict:
        p = self.state.products.get(product_id)
        if p is None:
            raise RestError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
        return p

    def list_variations(self, req: Request, product_id: int):
        parent = self._parent(product_id)
        items = [self.state.variations[v] for v in parent["variations"] if v in self.state.variations]
        status = self.enum_arg(req, "status", ["any", "future", "trash", "draft", "pending", "private", "publish"],
                               "any")
        if status != "any":
            items = [v for v in items if v["status"] == status]
        if req.query.get("sku"):
            items = [v for v in items if v["sku"] in str(req.query["sku"]).split(",")]
        include = self.id_list(req, "include")
        if include is not None:
            items = [v for v in items if v["id"] in include]
        items = self.date_filters(req, items)
        orderby = self.enum_arg(req, "orderby", ["date", "id", "include", "title", "slug", "modified",
                                                 "menu_order"], "date")
        order = self.enum_arg(req, "order", ["asc", "desc"], "desc")
        items = self.sort(items, orderby, order, {
            "date": lambda v: v["date_created_gmt"], "id": lambda v: v["id"], "title": lambda v: v["name"],
            "slug": lambda v: v["sku"], "modified": lambda v: v["date_modified_gmt"],
            "menu_order": lambda v: v["menu_order"]}, include)
        resp = self.paginate(req, items)
        resp.body = [self.render_variation(v) for v in resp.body]
        return resp

    def get_variation(self, req: Request, product_id: int, id: int):
        v = self.state.variations.get(id)
        if v is None or v["parent_id"] != product_id:
            raise RestError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", 404)
        return Response(200, self.render_variation(v, req.query.get("context") == "edit"))

    def create_variation(self, req: Request, product_id: int):
        data = req.body if isinstance(req.body, dict) else {}
        self._parent(product_id)
        v = self.state.create_variation(product_id, data, strict=True)
        # Like refunds, WooCommerce 9.9.5 builds this Location from the route pattern, regex included.
        return Response(201, self.render_variation(v, edit=True),
                        [("Location", self.href(f"products/(?P<product_id>[\\d]+)/variations/{v['id']}"))])

    def update_variation(self, req: Request, product_id: int, id: int):
        data = req.body if isinstance(req.body, dict) else {}
        v = self.state.update_variation(product_id, id, data, strict=True)
        return Response(200, self.render_variation(v, edit=True))

    def delete_variation(self, req: Request, product_id: int, id: int):
        v = self.state.variations.get(id)
        if v is None or v["parent_id"] != product_id:
            raise RestError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", 404)
        force = str(req.query.get("force", "")).lower() in ("1", "true")
        if not force:
            raise RestError("woocommerce_rest_trash_not_supported", "Variations do not support trashing.", 501)
        before = self.render_variation(v, edit=True)
        self.state.delete_variation(product_id, id)
        return Response(200, before)

    def batch_variations(self, req: Request, product_id: int):
        st = self.state
        self._parent(product_id)

        def create(item):
            return self.render_variation(st.create_variation(product_id, item, strict=False), edit=True)

        def update(item):
            try:
                vid = int(item.get("id") or 0)
            except (TypeError, ValueError):
                vid = 0
            return self.render_variation(st.update_variation(product_id, vid, item, strict=False), edit=True)

        def delete(vid):
            v = st.variations.get(vid)
            if v is None or v["parent_id"] != product_id:
                raise RestError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", 404)
            before = self.render_variation(v, edit=True)
            st.delete_variation(product_id, vid)
            return before

        return self.run_batch(req, create, update, delete)

    # ------------------------------------------------------------------ categories / attributes / terms
    def list_categories(self, req: Request, **_):
        items = list(self.state.categories.values())
        include = self.id_list(req, "include")
        if include is not None:
            items = [c for c in items if c["id"] in include]
        if req.query.get("parent") not in (None, ""):
            parent = self.int_arg(req, "parent", 0)
            items = [c for c in items if c["parent"] == parent]
        if req.query.get("slug"):
            items = [c for c in items if c["slug"] == req.query["slug"]]
        if req.query.get("search"):
            items = [c for c in items if str(req.query["search"]).lower() in c["name"].lower()]
        if str(req.query.get("hide_empty", "")).lower() in ("1", "true"):
            items = [c for c in items if self.state.category_count(c["id"])]
        orderby = self.enum_arg(req, "orderby", ["id", "include", "name", "slug", "term_group", "description",
                                                 "count"], "name")
        order = self.enum_arg(req, "order", ["asc", "desc"], "asc")
        from .util import slugify
        items = self.sort(items, orderby, order, {
            "id": lambda c: c["id"], "name": lambda c: slugify(c["name"]), "slug": lambda c: c["slug"],
            "term_group": lambda c: 0, "description": lambda c: c["description"],
            "count": lambda c: self.state.category_count(c["id"])}, include)
        resp = self.paginate(req, items)
        resp.body = [self.render_category(c) for c in resp.body]
        return resp

    def get_category(self, req: Request, id: int):
        c = self.state.categories.get(id)
        if c is None:
            raise RestError("woocommerce_rest_term_invalid", "Resource does not exist.", 404)
        return Response(200, self.render_category(c))

    def create_category(self, req: Request, **_):
        c = self.state.create_category(req.body if isinstance(req.body, dict) else {})
        return Response(201, self.render_category(c), [("Location", self.href(f"products/categories/{c['id']}"))])

    def update_category(self, req: Request, id: int):
        c = self.state.categories.get(id)
        if c is None:
            raise RestError("woocommerce_rest_term_invalid", "Resource does not exist.", 404)
        data = req.body if isinstance(req.body, dict) else {}
        for key in ("name", "description", "display", "menu_order", "parent"):
            if key in data:
                c[key] = data[key]
        if data.get("slug"):
            from .util import slugify
            c["slug"] = slugify(data["slug"])
        for p in self.state.products.values():
            for ref in p["categories"]:
                if ref["id"] == id:
                    ref.update({"name": c["name"], "slug": c["slug"]})
        return Response(200, self.render_category(c))

    def delete_category(self, req: Request, id: int):
        c = self.state.categories.get(id)
        if c is None:
            raise RestError("woocommerce_rest_term_invalid", "Resource does not exist.", 404)
        if str(req.query.get("force", "")).lower() not in ("1", "true"):
            raise RestError("woocommerce_rest_trash_not_supported", "Resource does not support trashing.", 501)
        before = self.render_category(c)
        del self.state.categories[id]
        for p in self.state.products.values():
            p["categories"] = [ref for ref in p["categories"] if ref["id"] != id]
        return Response(200, before)

    def list_attributes(self, req: Request, **_):
        items = [self.render_attribute(a) for a in sorted(self.state.attributes.values(), key=lambda a: a["id"])]
        return Response(200, items, [("X-WP-Total", str(len(items))), ("X-WP-TotalPages", "1")])

    def get_attribute(self, req: Request, id: int):
        a = self.state.attributes.get(id)
        if a is None:
            raise RestError("woocommerce_rest_attribute_invalid", "Resource does not exist.", 404)
        return Response(200, self.render_attribute(a))

    def create_attribute(self, req: Request, **_):
        a = self.state.create_attribute(req.body if isinstance(req.body, dict) else {})
        return Response(201, self.render_attribute(a), [("Location", self.href(f"products/attributes/{a['id']}"))])

    def list_terms(self, req: Request, attribute_id: int):
        if attribute_id not in self.state.attributes:
            raise RestError("woocommerce_rest_taxonomy_invalid", "Resource does not exist.", 404)
        items = list(self.state.terms[attribute_id].values())
        orderby = self.enum_arg(req, "orderby", ["id", "include", "name", "slug", "term_group", "description",
                                                 "count"], "name")
        order = self.enum_arg(req, "order", ["asc", "desc"], "asc")
        items = self.sort(items, orderby, order, {"id": lambda t: t["id"], "name": lambda t: t["name"].lower(),
                                                  "slug": lambda t: t["slug"]})
        resp = self.paginate(req, items)
        resp.body = [self.render_term(attribute_id, t) for t in resp.body]
        return resp

    def get_term(self, req: Request, attribute_id: int, id: int):
        t = self.state.terms.get(attribute_id, {}).get(id)
        if t is None:
            raise RestError("woocommerce_rest_term_invalid", "Resource does not exist.", 404)
        return Response(200, self.render_term(attribute_id, t))

    def create_term(self, req: Request, attribute_id: int):
        t = self.state.create_term(attribute_id, req.body if isinstance(req.body, dict) else {})
        return Response(201, self.render_term(attribute_id, t),
                        [("Location", self.href(f"products/attributes/{attribute_id}/terms/{t['id']}"))])

    # ------------------------------------------------------------------ orders
    def list_orders(self, req: Request, **_):
        items = list(self.state.orders.values())
        raw = req.query.get("status", "any")
        statuses = list(raw.values()) if isinstance(raw, dict) else [s.strip() for s in str(raw).split(",")]
        allowed = ["any", "trash"] + ORDER_STATUSES
        for i, s in enumerate(statuses):
            if s not in allowed:
                raise not_in_enum(f"status[{i}]", allowed)
        if "any" not in statuses:
            items = [o for o in items if o["status"] in statuses]
        else:
            items = [o for o in items if o["status"] not in ("trash", "auto-draft", "checkout-draft")]
        if req.query.get("customer") not in (None, ""):
            customer = self.int_arg(req, "customer", 0)
            items = [o for o in items if o["customer_id"] == customer]
        if req.query.get("product") not in (None, ""):
            product = self.int_arg(req, "product", 0)
            items = [o for o in items
                     if any(product in (li["product_id"], li["variation_id"]) for li in o["line_items"])]
        if req.query.get("parent") not in (None, ""):
            parents = self.id_list(req, "parent")
            items = [o for o in items if o["parent_id"] in parents]
        include = self.id_list(req, "include")
        if include is not None:
            items = [o for o in items if o["id"] in include]
        exclude = self.id_list(req, "exclude")
        if exclude:
            items = [o for o in items if o["id"] not in exclude]
        if req.query.get("search"):
            needle = str(req.query["search"]).lower()
            items = [o for o in items if needle in json.dumps([o["billing"], o["shipping"], o["id"]],
                                                               ensure_ascii=False).lower()]
        items = self.date_filters(req, items)
        orderby = self.enum_arg(req, "orderby", ["date", "id", "include", "title", "slug", "modified"], "date")
        order = self.enum_arg(req, "order", ["asc", "desc"], "desc")
        items = self.sort(items, orderby, order, {
            "date": lambda o: o["date_created_gmt"], "id": lambda o: o["id"], "title": lambda o: o["id"],
            "slug": lambda o: o["id"], "modified": lambda o: o["date_modified_gmt"]}, include)
        resp = self.paginate(req, items)
        resp.body = [self.render_order(o) for o in resp.body]
        return resp

    def get_order(self, req: Request, id: int):
        o = self.state.orders.get(id)
        if o is None:
            raise RestError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
        return Response(200, self.render_order(o))

    def create_order(self, req: Request, **_):
        data = req.body if isinstance(req.body, dict) else {}
        if data.get("id"):
            raise RestError("woocommerce_rest_shop_order_exists", "Cannot create existing shop_order.", 400)
        o = self.state.create_order(data)
        return Response(201, self.render_order(o), [("Location", self.href(f"orders/{o['id']}"))])

    def update_order(self, req: Request, id: int):
        data = req.body if isinstance(req.body, dict) else {}
        o = self.state.update_order(id, data)
        return Response(200, self.render_order(o))

    def delete_order(self, req: Request, id: int):
        o = self.state.orders.get(id)
        if o is None:
            raise RestError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
        before = self.render_order(o)
        if str(req.query.get("force", "")).lower() in ("1", "true"):
            self.state.delete_order(id)
        else:
            self.state.trash_order(id)
        return Response(200, before)

    def batch_orders(self, req: Request, **_):
        st = self.state

        def create(item):
            return self.render_order(st.create_order(item))

        def update(item):
            try:
                oid = int(item.get("id") or 0)
            except (TypeError, ValueError):
                oid = 0
            return self.render_order(st.update_order(oid, item))

        def delete(oid):
            if oid not in st.orders:
                raise RestError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
            before = self.render_order(st.orders[oid])
            st.delete_order(oid)
            return before

        return self.run_batch(req, create, update, delete)

    def _order(self, order_id: int) -> dict:
        o = self.state.orders.get(order_id)
        if o is None:
            raise RestError("woocommerce_rest_invalid_order_id", "Invalid order ID.", 404)
        return o

    def list_refunds(self, req: Request, order_id: int):
        o = self._order(order_id)
        items = [self.state.refunds[r["id"]] for r in o["refunds"] if r["id"] in self.state.refunds]
        resp = self.paginate(req, items)
        resp.body = [self.render_refund(r) for r in resp.body]
        return resp

    def get_refund(self, req: Request, order_id: int, id: int):
        r = self.state.refunds.get(id)
        if r is None or self.state.refund_parent.get(id) != order_id:
            raise RestError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
        return Response(200, self.render_refund(r))

    def create_refund(self, req: Request, order_id: int):
        self._order(order_id)
        r = self.state.create_refund(order_id, req.body if isinstance(req.body, dict) else {})
        # WooCommerce 9.9.5 builds this Location from the route pattern, regex included.
        location = self.href(f"orders/(?P<order_id>[\\d]+)/refunds/{r['id']}")
        return Response(201, self.render_refund(r), [("Location", location)])

    def delete_refund(self, req: Request, order_id: int, id: int):
        r = self.state.refunds.get(id)
        if r is None or self.state.refund_parent.get(id) != order_id:
            raise RestError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
        if str(req.query.get("force", "")).lower() not in ("1", "true"):
            raise RestError("woocommerce_rest_trash_not_supported", "Refunds do not support trashing.", 501)
        before = self.render_refund(r)
        del self.state.refunds[id]
        o = self.state.orders[order_id]
        o["refunds"] = [x for x in o["refunds"] if x["id"] != id]
        return Response(200, before)

    def list_notes(self, req: Request, order_id: int):
        self._order(order_id)
        notes = self.state.order_notes.get(order_id, [])
        kind = req.query.get("type", "any")
        if kind == "customer":
            notes = [n for n in notes if n["customer_note"]]
        elif kind == "internal":
            notes = [n for n in notes if not n["customer_note"]]
        return Response(200, [self.render_note(order_id, n) for n in notes])

    def get_note(self, req: Request, order_id: int, id: int):
        self._order(order_id)
        n = next((n for n in self.state.order_notes.get(order_id, []) if n["id"] == id), None)
        if n is None:
            raise RestError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
        return Response(200, self.render_note(order_id, n))

    def create_note(self, req: Request, order_id: int):
        self._order(order_id)
        data = req.body if isinstance(req.body, dict) else {}
        if not data.get("note"):
            raise RestError("woocommerce_rest_invalid_order_note", "Order note is required.", 400)
        n = self.state._add_note(order_id, str(data["note"]), bool(data.get("customer_note", False)),
                                 author="admin" if not data.get("added_by_user") else "admin")
        return Response(201, self.render_note(order_id, n),
                        [("Location", self.href(f"orders/{order_id}/notes/{n['id']}"))])

    # ------------------------------------------------------------------ customers
    def list_customers(self, req: Request, **_):
        role = self.enum_arg(req, "role", ["all", "administrator", "editor", "author", "contributor", "subscriber",
                                           "customer", "shop_manager"], "customer")
        items = list(self.state.customers.values())
        if role != "all":
            items = [c for c in items if c["role"] == role]
        if req.query.get("email"):
            items = [c for c in items if c["email"].lower() == str(req.query["email"]).lower()]
        if req.query.get("search"):
            needle = str(req.query["search"]).lower()
            items = [c for c in items if needle in (c["email"] + " " + c["username"] + " " + c["first_name"] + " "
                                                    + c["last_name"]).lower()]
        include = self.id_list(req, "include")
        if include is not None:
            items = [c for c in items if c["id"] in include]
        exclude = self.id_list(req, "exclude")
        if exclude:
            items = [c for c in items if c["id"] not in exclude]
        orderby = self.enum_arg(req, "orderby", ["id", "include", "name", "registered_date"], "name")
        order = self.enum_arg(req, "order", ["asc", "desc"], "asc")
        items = self.sort(items, orderby, order, {
            "id": lambda c: c["id"], "name": lambda c: c["username"].lower(),
            "registered_date": lambda c: c["date_created_gmt"]}, include)
        resp = self.paginate(req, items)
        resp.body = [self.render_customer(c, req.user_id) for c in resp.body]
        return resp

    def get_customer(self, req: Request, id: int):
        c = self.state.customers.get(id)
        if c is None:
            raise RestError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
        return Response(200, self.render_customer(c, req.user_id))

    def create_customer(self, req: Request, **_):
        data = req.body if isinstance(req.body, dict) else {}
        if data.get("id"):
            raise RestError("woocommerce_rest_customer_exists", "Cannot create existing resource.", 400)
        c = self.state.create_customer(data)
        return Response(201, self.render_customer(c, req.user_id), [("Location", self.href(f"customers/{c['id']}"))])

    def update_customer(self, req: Request, id: int):
        data = req.body if isinstance(req.body, dict) else {}
        c = self.state.update_customer(id, data)
        return Response(200, self.render_customer(c, req.user_id))

    def delete_customer(self, req: Request, id: int):
        if str(req.query.get("force", "")).lower() not in ("1", "true"):
            raise RestError("woocommerce_rest_trash_not_supported", "Customers do not support trashing.", 501)
        c = self.state.customers.get(id)
        if c is None:
            raise RestError("woocommerce_rest_invalid_id", "Invalid resource id.", 400)
        before = self.render_customer(c, req.user_id)
        del self.state.customers[id]
        self.state.emit("customer", "deleted", id)
        return Response(200, before)

    def batch_customers(self, req: Request, **_):
        st = self.state

        def create(item):
            return self.render_customer(st.create_customer(item), req.user_id)

        def update(item):
            try:
                cid = int(item.get("id") or 0)
            except (TypeError, ValueError):
                cid = 0
            return self.render_customer(st.update_customer(cid, item), req.user_id)

        def delete(cid):
            c = st.customers.get(cid)
            if c is None:
                raise RestError("woocommerce_rest_invalid_id", "Invalid resource id.", 400)
            before = self.render_customer(c, req.user_id)
            del st.customers[cid]
            st.emit("customer", "deleted", cid)
            return before

        return self.run_batch(req, create, update, delete)

    # ------------------------------------------------------------------ coupons, taxes, gateways
    def list_coupons(self, req: Request, **_):
        items = [c for c in self.state.coupons.values() if c["status"] != "trash"]
        if req.query.get("code"):
            items = [c for c in items if c["code"] == str(req.query["code"]).lower()]
        items = sorted(items, key=lambda c: (c["date_created_gmt"], c["id"]), reverse=True)
        resp = self.paginate(req, items)
        resp.body = [self.render_coupon(c) for c in resp.body]
        return resp

    def get_coupon(self, req: Request, id: int):
        c = self.state.coupons.get(id)
        if c is None:
            raise RestError("woocommerce_rest_shop_coupon_invalid_id", "Invalid ID.", 404)
        return Response(200, self.render_coupon(c))

    def create_coupon(self, req: Request, **_):
        c = self.state.create_coupon(req.body if isinstance(req.body, dict) else {})
        return Response(201, self.render_coupon(c), [("Location", self.href(f"coupons/{c['id']}"))])

    def list_taxes(self, req: Request, **_):
        items = sorted(self.state.taxes.values(), key=lambda t: (t["order"], t["id"]))
        if req.query.get("class"):
            items = [t for t in items if t["class"] == req.query["class"]]
        resp = self.paginate(req, items)
        resp.body = [self.render_tax(t) for t in resp.body]
        return resp

    def get_tax(self, req: Request, id: int):
        t = self.state.taxes.get(id)
        if t is None:
            raise RestError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
        return Response(200, self.render_tax(t))

    def list_gateways(self, req: Request, **_):
        items = _substitute(list(self.state.payment_gateways.values()), self.home)
        return Response(200, items, [("X-WP-Total", str(len(items))), ("X-WP-TotalPages", "1")])

    def get_gateway(self, req: Request, gateway: str):
        g = self.state.payment_gateways.get(gateway)
        if g is None:
            raise RestError("woocommerce_rest_payment_gateway_invalid", "Resource does not exist.", 404)
        return Response(200, _substitute(g, self.home))

    # ------------------------------------------------------------------ webhooks
    def list_webhooks(self, req: Request, **_):
        status = self.enum_arg(req, "status", ["all", "active", "paused", "disabled"], "all")
        items = list(self.state.webhooks.values())
        if status != "all":
            items = [w for w in items if w["status"] == status]
        include = self.id_list(req, "include")
        if include is not None:
            items = [w for w in items if w["id"] in include]
        order = self.enum_arg(req, "order", ["asc", "desc"], "desc")
        orderby = self.enum_arg(req, "orderby", ["date", "id", "title"], "date")
        if orderby == "date":
            items = sorted(items, key=lambda w: w["id"])
            items = sorted(items, key=lambda w: w["date_created_gmt"], reverse=(order == "desc"))
        else:
            key = (lambda w: w["id"]) if orderby == "id" else (lambda w: w["name"].lower())
            items = sorted(items, key=key, reverse=(order == "desc"))
        resp = self.paginate(req, items)
        resp.body = [self.render_webhook(w) for w in resp.body]
        return resp

    def get_webhook(self, req: Request, id: int):
        w = self.state.webhooks.get(id)
        if w is None:
            raise RestError("woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.", 404)
        return Response(200, self.render_webhook(w))

    def create_webhook(self, req: Request, **_):
        data = req.body if isinstance(req.body, dict) else {}
        if data.get("id"):
            raise RestError("woocommerce_rest_shop_webhook_exists", "Cannot create existing shop_webhook.", 400)
        w = self.state.create_webhook_record(data, user_id=req.user_id)
        resp = Response(201, self.render_webhook(w), [("Location", self.href(f"webhooks/{w['id']}"))])
        resp.after = ("ping", w["id"])  # sent synchronously before the answer, outside the lock
        return resp

    def update_webhook(self, req: Request, id: int):
        w = self.state.webhooks.get(id)
        if w is None:
            raise RestError("woocommerce_rest_shop_webhook_invalid_id", "ID is invalid.", 400)
        data = req.body if isinstance(req.body, dict) else {}
        url_changed = False
        if data.get("topic"):
            topic = str(data["topic"]).lower()
            if topic not in WEBHOOK_TOPICS:
                raise RestError("woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic must be valid.", 400)
            w["topic"] = topic
            w["resource"], w["event"] = topic.split(".")
            w["hooks"] = list(WEBHOOK_TOPICS[topic])
        if data.get("delivery_url"):
            url = data["delivery_url"]
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise RestError("woocommerce_rest_shop_webhook_invalid_delivery_url",
                                "Webhook delivery URL must be a valid URL starting with http:// or https://.", 400)
            url_changed = url != w["delivery_url"]
            w["delivery_url"] = url
        if data.get("secret"):
            w["secret"] = str(data["secret"])
        if data.get("status"):
            if data["status"] not in ("active", "paused", "disabled"):
                raise RestError("woocommerce_rest_shop_webhook_invalid_status", "Webhook status must be valid.", 400)
            w["status"] = data["status"]  # failure_count is kept: WooCommerce never resets it here
        if data.get("name"):
            w["name"] = str(data["name"])
        resp = Response(200, None)
        resp.after = ("save", id, url_changed)
        return resp

    def delete_webhook(self, req: Request, id: int):
        if str(req.query.get("force", "")).lower() not in ("1", "true"):
            raise RestError("woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501)
        w = self.state.webhooks.get(id)
        if w is None:
            raise RestError("woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.", 404)
        before = self.render_webhook(w)
        del self.state.webhooks[id]
        return Response(200, before)

