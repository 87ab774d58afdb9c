"""The shop's echoes of shopsync's own pushes, recognised before they cost a job.

Every quantity shopsync pushes comes back as a ``product.updated`` delivery: WooCommerce saves the
product and delivers it. Such a delivery only carries what shopsync just wrote; storing it and
running a job for it (1-1.5 s on a real site, on the queue the orders use) does nothing.

So what a push wrote is remembered per site and object id, for a quarter of an hour, in Redis:
the fingerprint of the object as the shop answered the batch (every field but its modification
dates and links; descriptions as their text, since a delivery carries them rendered). A ``product.updated`` whose body has the same fingerprint is the echo: the
intake answers 200 and keeps nothing. A body that differs in anything (a name, a price, a
quantity changed in the shop meanwhile) has another fingerprint and is processed as ever.
The product and price pushes (:mod:`shopsync.sync.products.shop_writes`) remember their answers
the same way. A variation's save makes WooCommerce save its variable parent too (its price range
and stock status are the variations'), which delivers the parent: a push of variations remembers
each parent as the run knew it, without those derived fields (:data:`DERIVED`), and a variable
product whose body differs from it in those fields only is that echo.
Plain Python (no ``frappe``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any, Iterable, Mapping

log = logging.getLogger(__name__)

#: how long a push's answer is remembered (WooCommerce delivers within seconds, a busy
#: Action Scheduler within minutes)
ECHO_TTL = 15 * 60
KEY = "shopsync:echo:{site}:{id}"
PARENT_KEY = "shopsync:echo-parent:{site}:{id}"
#: what changes at every save without being a change of the product, and what only one of the
#: two forms carries (a batch answers in the "edit" context, a delivery is the "view" one)
VOLATILE = frozenset({"date_modified", "date_modified_gmt", "_links", "generated_slug", "permalink_template"})
#: rendered in the view context (wpautop: <p>...</p> and new lines added): compared as their text
RENDERED = frozenset({"description", "short_description"})
#: what WooCommerce computes for a variable product from its variations when one of them is saved
DERIVED = frozenset({"price", "price_html", "on_sale", "stock_status", "purchasable"})
_TAG = re.compile(r"<[^>]*>|\s+")


def _canon(key: str, value: Any) -> Any:
    if key in RENDERED and isinstance(value, str):
        return _TAG.sub("", value)
    if key == "average_rating":
        try:
            return float(value or 0)
        except (TypeError, ValueError):
            return value
    return value


#: A variation is answered by ``products/<id>/variations/batch`` in the variations' shape and
#: delivered in the products' shape (a real capture: webhooks/product_updated_variation_stock.json):
#: compared on the fields both carry alike. Its name (the parent's name and the attributes, in the
#: delivery) follows from those; its tax class "parent" is delivered as ""; its ``image`` is the
#: first of the delivery's ``images``.
VARIATION_FIELDS = frozenset({
    "id", "parent_id", "type", "attributes", "backordered", "backorders", "backorders_allowed", "date_created",
    "date_created_gmt", "date_on_sale_from", "date_on_sale_from_gmt", "date_on_sale_to", "date_on_sale_to_gmt",
    "description", "dimensions", "download_expiry", "download_limit", "downloadable", "downloads",
    "global_unique_id", "low_stock_amount", "manage_stock", "menu_order", "meta_data", "on_sale", "permalink",
    "price", "purchasable", "regular_price", "sale_price", "shipping_class", "shipping_class_id", "sku", "status",
    "stock_quantity", "stock_status", "tax_class", "tax_status", "virtual", "weight"})


def _variation(obj: Mapping[str, Any]) -> dict[str, Any]:
    kept = {k: _canon(k, obj.get(k)) for k in VARIATION_FIELDS}
    if kept["tax_class"] == "parent":
        kept["tax_class"] = ""
    if "images" in obj:
        image = (obj.get("images") or [None])[0]
    else:
        image = obj.get("image")
    kept["image"] = image.get("id") if isinstance(image, Mapping) else None
    return kept


def fingerprint(obj: Mapping[str, Any], leave_out: frozenset = frozenset()) -> str:
    if obj.get("type") == "variation":
        kept = _variation(obj)
    else:
        kept = {k: _canon(k, v) for k, v in obj.items() if k not in VOLATILE and k not in leave_out}
    return hashlib.sha256(json.dumps(kept, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


class EchoMemory:
    def __init__(self, redis_conn: Any, namespace: str = "", ttl: int = ECHO_TTL):
        self.redis = redis_conn
        self.namespace = namespace
        self.ttl = ttl

    def key(self, site: str, obj_id: Any) -> str:
        return KEY.format(site=site, id=obj_id) + (f"@{self.namespace}" if self.namespace else "")

    def parent_key(self, site: str, obj_id: Any) -> str:
        return PARENT_KEY.format(site=site, id=obj_id) + (f"@{self.namespace}" if self.namespace else "")

    def remember(self, site: str, objects: Iterable[Mapping[str, Any]],
                 parents: Iterable[Mapping[str, Any]] = ()) -> int:
        """The objects as the shop answered a push (rows without an error), and the variable
        parents of the variations it saved, as known before (their derived fields left out).
        Never raises."""
        try:
            pipe = self.redis.pipeline(transaction=False)
            n = 0
            for obj in objects:
                if isinstance(obj, Mapping) and obj.get("id") and not obj.get("error"):
                    pipe.set(self.key(site, obj["id"]), fingerprint(obj), ex=self.ttl)
                    n += 1
            for obj in parents:
                if isinstance(obj, Mapping) and obj.get("id") and obj.get("type") == "variable":
                    pipe.set(self.parent_key(site, obj["id"]), fingerprint(obj, DERIVED), ex=self.ttl)
                    n += 1
            if n:
                pipe.execute()
            return n
        except Exception as exc:  # noqa: BLE001 - without it the echo is processed as before
            log.warning("shopsync: could not remember a push's answer (%s)", type(exc).__name__)
            return 0

    def is_echo(self, site: str, payload: Mapping[str, Any]) -> bool:
        """Does ``payload`` carry nothing but what shopsync itself just pushed? Never raises
        (Redis down: not an echo, the delivery is processed)."""
        keys = [self.key(site, payload.get("id"))]
        if payload.get("type") == "variable":
            keys.append(self.parent_key(site, payload.get("id")))
        try:
            stored = self.redis.mget(keys)
        except Exception:  # noqa: BLE001
            return False
        stored = [s.decode() if isinstance(s, bytes) else s for s in stored]
        if stored[0] is not None and stored[0] == fingerprint(payload):
            return True
        return len(stored) > 1 and stored[1] is not None and stored[1] == fingerprint(payload, DERIVED)
