"""WooSim: a WooCommerce 9.9.5 shop (REST wc/v3 + webhooks) on 127.0.0.1 for tests."""
from __future__ import annotations

import copy
import threading
import time

from .faults import CostModel, Faults
from .oauth import OAuthVerifier
from .rest import Rest
from .server import SimHTTPServer, dispatch
from .store import SEED, State
from .webhooks import WebhookEngine


class WooSim:
    """A simulated WooCommerce shop.

    ``https=True`` keeps serving plain http on loopback (``sim.url`` stays ``http://``, no TLS) but
    behaves as if WordPress' ``is_ssl()`` were true, as behind a TLS-terminating proxy that WordPress
    trusts: HTTP Basic auth and ``consumer_key``/``consumer_secret`` query parameters are accepted
    (WooCommerce tries them first, then OAuth); an OAuth signature is accepted whether the client
    signed the ``https://`` or the ``http://`` form of the URL.
    """

    def __init__(self, consumer_key: str = "ck_test", consumer_secret: str = "cs_test", https: bool = False,
                 auto_deliver: bool = False, permissions: str = "read_write", webhook_timeout: float = 10.0,
                 auto_deliver_interval: float = 0.1):
        self.https = https
        self.lock = threading.RLock()
        self.verifier = OAuthVerifier()
        self.verifier.add_key(consumer_key, consumer_secret, user_id=1, permissions=permissions)
        self.faults = Faults()
        self.cost = CostModel()
        self.requests: list[dict] = []
        self.webhook_timeout = webhook_timeout
        self.clock_offset = 0.0
        self.auto_deliver = auto_deliver
        self.auto_deliver_interval = auto_deliver_interval
        self._server: SimHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._port: int | None = None
        self.webhook_engine = WebhookEngine(self)
        self.state = State(self)
        self.rest = Rest(self)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "WooSim":
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = SimHTTPServer(self)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                                        name="woosim-http", daemon=True)
        self._thread.start()
        if self.auto_deliver:
            threading.Thread(target=self._auto_deliver_loop, name="woosim-cron", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "WooSim":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("WooSim not started")
        return self._port

    @property
    def url(self) -> str:
        """The shop's base URL ('http://127.0.0.1:PORT/'); REST lives under wp-json/wc/v3/.
        Before start() it reads http://127.0.0.1:8080/ (the captured shop's address)."""
        return f"http://127.0.0.1:{self._port or 8080}/"

    @property
    def api_url(self) -> str:
        return self.url + "wp-json/wc/v3/"

    def home_url(self, https: bool | None = None) -> str:
        scheme = "https" if (self.https if https is None else https) else "http"
        port = self._port or 8080
        return f"{scheme}://127.0.0.1:{port}"

    # ------------------------------------------------------------------ clock
    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move the shop's clock (dates, OAuth timestamp window, Delivery-ID second)."""
        self.clock_offset += seconds

    def _sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    # ------------------------------------------------------------------ internals used by the server
    def _dispatch(self, method, raw_path, route, query_string, headers, body):
        return dispatch(self, method, raw_path, route, query_string, headers, body)

    def _log_request(self, entry: dict) -> None:
        with self.lock:
            self.requests.append(entry)

    def _on_event(self, resource: str, event: str, resource_id: int) -> None:
        self.webhook_engine.on_event(resource, event, resource_id)

    def _auto_deliver_loop(self) -> None:
        while not self._stopping.wait(self.auto_deliver_interval):
            try:
                self.deliver_webhooks()
            except Exception:  # pragma: no cover - keep the cron alive
                pass

    def reset_request_log(self) -> None:
        with self.lock:
            self.requests.clear()

    # ------------------------------------------------------------------ webhooks
    def deliver_webhooks(self) -> list[dict]:
        """Run the pending delivery queue now (what WP-Cron does every minute)."""
        return self.webhook_engine.deliver_all()

    @property
    def pending_webhooks(self) -> list[dict]:
        return self.webhook_engine.pending()

    @property
    def webhook_log(self) -> list[dict]:
        """Every outgoing webhook request (pings and deliveries) with headers and body."""
        with self.lock:
            return [dict(x) for x in self.webhook_engine.log]

    def add_webhook(self, topic: str, delivery_url: str, secret: str = "", name: str = "", status: str = "active",
                    ping: bool = True) -> dict:
        """Like POST webhooks (ping included unless ping=False). Returns the REST representation."""
        with self.lock:
            w = self.state.create_webhook_record({"topic": topic, "delivery_url": delivery_url, "secret": secret,
                                                  "name": name, "status": status})
            body = self.rest.render_webhook(w)
        if ping:
            self.webhook_engine.ping(w["id"])
        return body

    def update_webhook(self, webhook_id: int, **fields) -> dict:
        """Change a webhook record (any stored field, e.g. status, failure_count) and save it like WooCommerce."""
        with self.lock:
            w = self.state.webhooks[webhook_id]
            url_changed = "delivery_url" in fields and fields["delivery_url"] != w["delivery_url"]
            w.update(fields)
        self.webhook_engine.after_save(webhook_id, url_changed=url_changed)
        with self.lock:
            return self.rest.render_webhook(self.state.webhooks[webhook_id])

    # ------------------------------------------------------------------ helpers that act like REST calls
    def add_product(self, **fields) -> dict:
        with self.lock:
            p = self.state.create_product(fields)
            return self.rest.render_product(p)

    def add_variation(self, parent_id: int, **fields) -> dict:
        with self.lock:
            v = self.state.create_variation(parent_id, fields)
            return self.rest.render_variation(v)

    def update_product(self, product_id: int, **fields) -> dict:
        """Update a product or a variation (variations fire product.updated with type variation)."""
        with self.lock:
            if product_id in self.state.variations:
                v = self.state.update_variation(None, product_id, fields)
                return self.rest.render_variation(v)
            p = self.state.update_product(product_id, fields)
            return self.rest.render_product(p)

    def set_stock(self, product_id: int, quantity: int) -> dict:
        return self.update_product(product_id, manage_stock=True, stock_quantity=quantity)

    def trash_product(self, product_id: int) -> dict:
        with self.lock:
            self.state.trash_product(product_id)
            return self.rest.render_product(self.state.products[product_id])

    def delete_product(self, product_id: int) -> None:
        """Permanent delete (no product.deleted webhook, like WooCommerce)."""
        with self.lock:
            self.state.delete_product(product_id)

    def add_customer(self, **fields) -> dict:
        with self.lock:
            c = self.state.create_customer(fields)
            return self.rest.render_customer(c)

    def update_customer(self, customer_id: int, **fields) -> dict:
        with self.lock:
            return self.rest.render_customer(self.state.update_customer(customer_id, fields))

    def add_order(self, **fields) -> dict:
        """Create an order the way POST orders does: line items reference products
        (``line_items=[{"product_id": 10, "quantity": 2}]``), totals and taxes computed by WooCommerce's
        rules, stock reduced for processing/on-hold/completed, order.created + order.updated fired."""
        with self.lock:
            o = self.state.create_order(fields)
            return self.rest.render_order(o)

    def update_order(self, order_id: int, **fields) -> dict:
        with self.lock:
            return self.rest.render_order(self.state.update_order(order_id, fields))

    def add_refund(self, order_id: int, **fields) -> dict:
        fields.setdefault("api_refund", False)
        with self.lock:
            return self.rest.render_refund(self.state.create_refund(order_id, fields))

    def add_coupon(self, **fields) -> dict:
        with self.lock:
            return self.rest.render_coupon(self.state.create_coupon(fields))

    def get(self, route: str, **query) -> dict | list:
        """What an authenticated ``GET /wp-json/wc/v3/<route>`` answers (the body only, errors as WP_Error
        bodies), without HTTP and without touching the request log: ``sim.get("products/42")``,
        ``sim.get("orders", status="processing")``."""
        from .errors import RestError
        from .rest import Request

        route = route.strip("/")
        with self.lock:
            try:
                handler, kwargs, _ = self.rest.match("GET", route)
                req = Request(method="GET", route=route, query={k: str(v) for k, v in query.items()},
                              query_pairs=[(k, str(v)) for k, v in query.items()], body=None)
                return self.rest.fields(req, handler(req, **kwargs).body)
            except RestError as err:
                return err.body()

    # ------------------------------------------------------------------ seeding
    def seed(self, products: int = 30, variable_products: int = 1, customers: int = 4, orders: int = 5) -> "WooSim":
        """A shop like the captured one. With the defaults the ids and SKUs are the captured ones:
        categories 16-18 (15 is Uncategorized), attribute 1 (pa_size) with terms 19-21, simple products
        10-39 (RW-S-001..030), variable product 40 (RW-V-HOODIE) with variations 41-43 (-S/-M/-L),
        coupon 44 (bienvenue10), customers 2-5, orders 45-49 (processing, on-hold, completed, cancelled,
        pending guest) with the captured lines, shipping, fee, coupon and taxes. Seeding fires no webhooks.
        """
        with self.lock:
            _seed(self.state, products, variable_products, customers, orders)
        return self

    def seed_like_capture(self) -> "WooSim":
        return self.seed()


def _seed(st: State, n_products: int, n_variable: int, n_customers: int, n_orders: int) -> None:
    cat_ids = {}
    for c in SEED["categories"]:
        if c["id"] == 15:
            continue
        if any(o["slug"] == c["slug"] for o in st.categories.values()):
            cat_ids[c["id"]] = next(o["id"] for o in st.categories.values() if o["slug"] == c["slug"])
            continue
        made = st.create_category({"name": c["name"], "slug": c["slug"], "description": c["description"],
                                   "parent": cat_ids.get(c["parent"], c["parent"])})
        cat_ids[c["id"]] = made["id"]
    size = next((a for a in st.attributes.values() if a["slug"] == "pa_size"), None)
    if size is None:
        size = st.create_attribute(SEED["attribute"])
        for name, order in (("S", 0), ("M", 1), ("L", 2)):
            st.create_term(size["id"], {"name": name, "slug": name.lower(), "menu_order": order})
    table = SEED["simple_products"]
    for i in range(n_products):
        n = i + 1
        if i < len(table):
            row = table[i]
        else:
            row = {"name": f"Produit de test {n:03d}", "sku": f"RW-S-{n:03d}",
                   "regular_price": f"{4.90 + 3.5 * n:.2f}", "sale_price": "", "stock_quantity": 10 + n,
                   "weight": f"{n / 10:.2f}", "categories": [18], "tax_class": ""}
        data = {"name": row["name"], "type": "simple", "status": "publish", "sku": row["sku"],
                "regular_price": row["regular_price"],
                "description": f"<p>Description du produit {row['name']}.</p>",
                "short_description": f"{row['name']} – produit de test n°{n}", "manage_stock": True,
                "stock_quantity": row["stock_quantity"], "weight": row["weight"],
                "categories": [{"id": cat_ids.get(c, c)} for c in row["categories"]], "tax_status": "taxable",
                "tax_class": row["tax_class"]}
        if row["sale_price"]:
            data["sale_price"] = row["sale_price"]
        st.create_product(data, fire=False)
    for k in range(n_variable):
        body = copy.deepcopy(SEED["variable_product"])
        body["attributes"][0]["id"] = size["id"]
        body["default_attributes"][0]["id"] = size["id"]
        body["categories"] = [{"id": cat_ids.get(c["id"], c["id"])} for c in body["categories"]]
        if k:
            body["name"] = f"{body['name']} {k + 1}"
            body["sku"] = f"{body['sku']}-{k + 1}"
        parent = st.create_product(body, fire=False)
        for row in SEED["variations"]:
            sku = row["sku"] if not k else row["sku"].replace("RW-V-HOODIE", body["sku"])
            st.create_variation(parent["id"], {"sku": sku, "regular_price": row["regular_price"],
                                               "manage_stock": True, "stock_quantity": row["stock_quantity"],
                                               "weight": row["weight"],
                                               "attributes": [{"id": size["id"], "option": row["option"]}]},
                                fire=False)
    if st.coupon_by_code(SEED["coupon"]["code"]) is None:
        st.create_coupon(SEED["coupon"], fire=False)
    for i in range(n_customers):
        if i < len(SEED["customers"]):
            data = copy.deepcopy(SEED["customers"][i])
        else:
            data = {"email": f"client{i + 1}@example.test", "first_name": "Client", "last_name": f"{i + 1}",
                    "username": f"client{i + 1}"}
        st.create_customer(data, fire=False)
    customer_ids = sorted(c for c in st.customers if st.customers[c]["role"] == "customer")
    simple_ids = sorted(p for p, v in st.products.items() if v["type"] == "simple")
    statuses = ["processing", "on-hold", "completed", "cancelled", "pending"]
    for i in range(n_orders):
        if i < len(SEED["orders"]) and n_products >= 6 and n_variable >= 1 and n_customers >= 2:
            data = copy.deepcopy(SEED["orders"][i])
        else:
            pid = simple_ids[i % len(simple_ids)] if simple_ids else 0
            cid = customer_ids[i % len(customer_ids)] if customer_ids else 0
            data = {"status": statuses[i % len(statuses)], "customer_id": cid, "payment_method": "cod",
                    "payment_method_title": "Paiement à la livraison",
                    "billing": {"first_name": "Client", "last_name": str(i), "country": "FR",
                                "email": st.customers[cid]["email"] if cid else f"invite{i}@example.test"},
                    "shipping": {"first_name": "Client", "last_name": str(i), "country": "FR"},
                    "line_items": [{"product_id": pid, "quantity": 1 + i % 3}],
                    "shipping_lines": [{"method_id": "flat_rate", "method_title": "Colissimo", "total": "5.90"}]}
        st.create_order(data, fire=False)
