"""One WooCommerce shop as the engine sees it: the "WooCommerce Site" document as plain data."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from shopsync.woocommerce.redacted import Secret

SITE_DOCTYPE = "WooCommerce Site"
SITE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$")

STOCK_RULES = ("Actual minus reserved", "Actual", "Projected")
DIRECTIONS = ("Both ways", "Shop to ERP", "ERP to shop")
DEFAULT_ORDER_STATUSES = ("processing", "on-hold", "completed")
#: Item Group of items made from products with no mapped category (ERPNext makes it at setup)
DEFAULT_ITEM_GROUP = "Products"
#: what an order with a blacklisted product becomes
REFUSE_BLACKLISTED = "Refuse the order"
PLACEHOLDER_BLACKLISTED = "Import on the placeholder item"
DEFAULT_PLACEHOLDER_ITEM = "Product not synced"
ROTATION_GRACE = __import__("datetime").timedelta(hours=24)
#: The shortest webhook secret a site accepts (shopsync generates 43 characters).
MIN_SECRET_LENGTH = 24

#: The webhooks every enabled site keeps in its shop.
WEBHOOK_TOPICS = (
    "order.created",
    "order.updated",
    "order.deleted",
    "product.created",
    "product.updated",
    "product.deleted",
    "customer.created",
    "customer.updated",
    "customer.deleted",
)


@dataclasses.dataclass
class SiteConfig:
    name: str
    woocommerce_url: str
    consumer_key: str
    consumer_secret: str = dataclasses.field(repr=False)
    enabled: bool = True
    webhook_secret: str = dataclasses.field(default="", repr=False)
    #: the secret before the last rotation, accepted for ``ROTATION_GRACE`` after it
    previous_webhook_secret: str = dataclasses.field(default="", repr=False)
    secret_rotated_at: str = ""
    endpoint_url: str = ""
    company: str = ""
    sync_user: str = ""
    tax_account: str = ""
    freight_account: str = ""
    shipping_item: str = ""
    customer_group: str = ""
    territory: str = ""
    price_list: str = ""
    sale_price_list: str = ""
    default_warehouse: str = ""
    stock_rule: str = "Actual minus reserved"
    warehouses: list[str] = dataclasses.field(default_factory=list)
    #: the site's stock has been set up in the ERP: items with no Stock Ledger Entry are pushed
    #: (as 0) too; before, they are held (see ``shopsync.sync.stock``)
    stock_set_up: bool = False
    stock_set_up_on: str = ""
    #: the draft Stock Reconciliation made from the shop's quantities (set up once submitted)
    opening_stock_reconciliation: str = ""
    order_statuses: tuple[str, ...] = DEFAULT_ORDER_STATUSES
    import_orders_from: str = ""
    delivery_days: int = 7
    #: requests of one push or listing in flight at most (the shop's PHP workers serve them side
    #: by side); 3 by default, which leaves a 4-worker shop one worker for its customers
    #: (bench/bench_parallel.py)
    parallel_requests: int = 3
    create_sales_invoice: bool = False
    create_payment_entry: bool = False
    push_order_status: bool = False
    #: a submitted Sales Order whose order changed in the shop is cancelled and amended when nothing
    #: of it was delivered, invoiced or paid (shopsync.sync.orders); else it needs attention
    amend_edited_orders: bool = True
    #: a Payment Entry paying an order in full marks it paid in the shop (shopsync.sync.order_status)
    mark_paid_in_shop: bool = False
    product_direction: str = "Both ways"
    sync_images: bool = False
    item_group: str = DEFAULT_ITEM_GROUP
    blacklisted_lines: str = REFUSE_BLACKLISTED
    #: the site's Connection status says the shop answers (a failed check or test clears it; a
    #: delivery carried out sets it again, so a stale "cannot connect" does not outlive the fix)
    connection_ok: bool = True
    placeholder_item: str = ""
    payment_methods: dict[str, str] = dataclasses.field(default_factory=dict)
    categories: dict[int, str] = dataclasses.field(default_factory=dict)
    tax_rates: dict[int, str] = dataclasses.field(default_factory=dict)
    orders_cursor: str = ""
    products_cursor: str = ""
    #: the shop's webhooks of this site as last checked: id -> {"topic", "secret_hash"}
    webhooks: dict[int, dict[str, str]] = dataclasses.field(default_factory=dict)

    def webhook_topic(self, webhook_id: int) -> str | None:
        """The topic of this site's webhook ``webhook_id`` as last checked, None when unknown."""
        row = self.webhooks.get(int(webhook_id or 0))
        return row.get("topic") if row else None

    def secrets_accepted(self, now: str) -> list[str]:
        """The secrets a delivery may be signed with at ``now`` (ERP clock): the current one, and
        the previous one during the grace period after a rotation (WooCommerce keeps signing
        with the old one until each webhook has been rewritten)."""
        accepted = [self.webhook_secret] if self.webhook_secret else []
        if self.previous_webhook_secret and self.in_rotation_grace(now):
            accepted.append(self.previous_webhook_secret)
        return accepted

    def in_rotation_grace(self, now: str) -> bool:
        if not self.secret_rotated_at:
            return False
        import datetime as dt

        rotated = dt.datetime.strptime(str(self.secret_rotated_at)[:19], "%Y-%m-%d %H:%M:%S")
        current = dt.datetime.strptime(str(now)[:19], "%Y-%m-%d %H:%M:%S")
        # a rotation dated in the future would keep the old secret alive for ever: no grace
        return dt.timedelta(0) <= current - rotated < ROTATION_GRACE

    @property
    def stock_warehouses(self) -> list[str]:
        """The warehouses whose stock the shop sees (the default warehouse when none are set)."""
        return self.warehouses or ([self.default_warehouse] if self.default_warehouse else [])

    def pulls_products(self) -> bool:
        return self.product_direction in ("Both ways", "Shop to ERP")

    def pushes_products(self) -> bool:
        return self.product_direction in ("Both ways", "ERP to shop")

    def imports_blacklisted_lines(self) -> bool:
        """Whether an order with a blacklisted product is imported, that line on the placeholder item."""
        return self.blacklisted_lines == PLACEHOLDER_BLACKLISTED

    @property
    def placeholder_item_code(self) -> str:
        return self.placeholder_item or DEFAULT_PLACEHOLDER_ITEM

    def tax_account_for(self, rate_id: int | None) -> str:
        return self.tax_rates.get(int(rate_id or 0)) or self.tax_account

    @classmethod
    def from_doc(cls, doc: dict[str, Any], consumer_secret: str = "", webhook_secret: str = "",
                 previous_webhook_secret: str = "") -> "SiteConfig":
        """Build from a WooCommerce Site document (secrets come decrypted, apart from the doc)."""
        statuses = tuple(
            s.strip() for s in (doc.get("order_statuses") or ",".join(DEFAULT_ORDER_STATUSES)).split(",") if s.strip()
        )
        return cls(
            name=doc["name"],
            woocommerce_url=doc.get("woocommerce_url") or "",
            consumer_key=doc.get("consumer_key") or "",
            consumer_secret=Secret(consumer_secret or _stored(doc.get("consumer_secret"))),
            enabled=bool(doc.get("enabled", 1)),
            webhook_secret=Secret(webhook_secret or _stored(doc.get("webhook_secret"))),
            previous_webhook_secret=Secret(previous_webhook_secret or _stored(doc.get("previous_webhook_secret"))),
            secret_rotated_at=str(doc.get("secret_rotated_at") or ""),
            endpoint_url=doc.get("endpoint_url") or "",
            company=doc.get("company") or "",
            sync_user=doc.get("sync_user") or "",
            tax_account=doc.get("tax_account") or "",
            freight_account=doc.get("freight_account") or "",
            shipping_item=doc.get("shipping_item") or "",
            customer_group=doc.get("customer_group") or "",
            territory=doc.get("territory") or "",
            price_list=doc.get("price_list") or "",
            sale_price_list=doc.get("sale_price_list") or "",
            default_warehouse=doc.get("default_warehouse") or "",
            stock_rule=doc.get("stock_rule") or "Actual minus reserved",
            warehouses=[r["warehouse"] for r in doc.get("warehouses") or [] if r.get("warehouse")],
            stock_set_up=bool(doc.get("stock_set_up")),
            stock_set_up_on=str(doc.get("stock_set_up_on") or ""),
            opening_stock_reconciliation=doc.get("opening_stock_reconciliation") or "",
            order_statuses=statuses,
            import_orders_from=str(doc.get("import_orders_from") or ""),
            # 0 is a choice (delivered the day of the order), only an unset value takes the default
            delivery_days=_int_or(doc.get("delivery_days"), 7),
            parallel_requests=max(1, _int_or(doc.get("parallel_requests"), 3)),
            create_sales_invoice=bool(doc.get("create_sales_invoice")),
            create_payment_entry=bool(doc.get("create_payment_entry")),
            push_order_status=bool(doc.get("push_order_status")),
            amend_edited_orders=bool(_int_or(doc.get("amend_edited_orders"), 1)),
            mark_paid_in_shop=bool(doc.get("mark_paid_in_shop")),
            product_direction=doc.get("product_direction") or "Both ways",
            sync_images=bool(doc.get("sync_images")),
            item_group=doc.get("item_group") or DEFAULT_ITEM_GROUP,
            blacklisted_lines=doc.get("blacklisted_lines") or REFUSE_BLACKLISTED,
            connection_ok=bool(doc.get("connection_ok", 1)),
            placeholder_item=doc.get("placeholder_item") or "",
            payment_methods={r["woo_method"]: r["mode_of_payment"] for r in doc.get("payment_methods") or []},
            categories={int(r["woo_category_id"]): r["item_group"] for r in doc.get("categories") or []},
            tax_rates={int(r["woo_rate_id"]): r["account"] for r in doc.get("tax_rates") or []},
            orders_cursor=doc.get("orders_cursor") or "",
            products_cursor=doc.get("products_cursor") or "",
            webhooks={
                int(r["woo_webhook_id"]): {"topic": r.get("topic") or "", "secret_hash": r.get("secret_hash") or ""}
                for r in doc.get("webhooks") or [] if r.get("woo_webhook_id")
            },
        )


def _int_or(value: object, default: int) -> int:
    return default if value is None or str(value).strip() == "" else int(value)


def _stored(value: object) -> str:
    """A Password field's value as read from a document: Frappe shows a stored one as asterisks,
    which must never be taken for the secret itself."""
    text = str(value or "")
    return "" if text and set(text) == {"*"} else text


def validate_rotation(webhook_secret: str, secret_rotated_at: str, now: str) -> None:
    """What a site's secrets must be: long enough to resist guessing, a rotation not dated in the
    future (it would keep the previous secret accepted for ever)."""
    if webhook_secret and len(webhook_secret) < MIN_SECRET_LENGTH:
        raise ValueError(f"The webhook secret must be at least {MIN_SECRET_LENGTH} characters long.")
    if secret_rotated_at and str(secret_rotated_at)[:19] > str(now)[:19]:
        raise ValueError(f"The secret rotation date {str(secret_rotated_at)[:19]} is in the future.")


def validate_site_name(name: str) -> None:
    if not SITE_NAME_RE.match(name or ""):
        raise ValueError(
            f"Site name {name!r} must start with a letter or digit and hold only letters, digits, '-' and '_'"
            " (60 at most): it is part of the webhook endpoint URL."
        )


def endpoint_url(base_url: str, site_name: str) -> str:
    """The URL the shop's webhooks deliver to: one per site, the site named in it."""
    return f"{base_url.rstrip('/')}/api/method/shopsync.api.webhook?site={site_name}"
