"""The shop's catalogue as read: products and variations, keyed by (product id, variation id).

The shop is read with ``client.iter`` (100 a page) or ``include=`` lists of 100 ids; a variable
product's variations with one request per 100 variations of that product (WooCommerce has no route
listing variations across products)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Mapping

from shopsync.sync import product_mapping as pm

BATCH = 100  # objects per shop request (WooCommerce answers 413 beyond 100)

Key = tuple[int, int]  # (product id, variation id); variation id 0 for a product


def as_int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def chunks(values: list, size: int) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def key_of(product: Mapping[str, Any]) -> Key:
    if pm.kind_of_product(product) == pm.VARIATION:
        return (as_int(product.get("parent_id")), as_int(product.get("id")))
    return (as_int(product.get("id")), 0)


def requests_made(client: Any) -> int:
    """How many requests ``client`` has sent so far (0 for a client that does not count)."""
    return int(getattr(client, "request_count", 0) or 0)


class Shop:
    """Products and variations as read from the shop (or from a delivery)."""

    def __init__(self, complete: bool = False):
        self.products: dict[int, dict] = {}
        self.variations: dict[Key, dict] = {}
        #: every product of the shop was listed: a linked product absent from it is gone
        self.complete = complete
        self.cursor = ""

    def add(self, obj: Mapping[str, Any], parent_id: int = 0) -> Key:
        obj = dict(obj)
        if parent_id and not obj.get("parent_id"):
            obj["parent_id"] = parent_id
        if parent_id and not obj.get("type"):
            obj["type"] = pm.VARIATION
        key = key_of(obj)
        if key[1]:
            self.variations[key] = obj
        else:
            self.products[key[0]] = obj
        modified = obj.get("date_modified_gmt") or ""
        if modified > self.cursor:
            self.cursor = modified
        return key

    def get(self, key: Key) -> dict | None:
        return self.variations.get(key) if key[1] else self.products.get(key[0])

    def parent(self, key: Key) -> dict | None:
        return self.products.get(key[0]) if key[1] else None

    def keys(self) -> list[Key]:
        return [(pid, 0) for pid in self.products] + list(self.variations)

    def variations_of(self, pid: int) -> list[Key]:
        return sorted(k for k in self.variations if k[0] == pid)

    def __contains__(self, key: Key) -> bool:
        return self.get(key) is not None


def fetch_shop(client: Any, *, since: str = "", product_ids: Iterable[int] = (), variation_keys: Iterable[Key] = (),
               with_variations: bool = True, shop: Shop | None = None) -> Shop:
    """Read products from the shop with as few requests as it allows.

    - nothing named: every product (``client.iter``, 100 a page) -> a complete listing;
    - ``since``: products modified after it (``modified_after``, GMT), the newest last;
    - ``product_ids`` / ``variation_keys``: those objects, 100 ids a request (``include=``).

    The variations of every variable product read are listed too (one request per 100 variations
    of each product: WooCommerce has no route listing variations across products).
    """
    product_ids = sorted({int(p) for p in product_ids if p})
    variation_keys = sorted(set(variation_keys))
    if shop is None:
        shop = Shop(complete=not since and not product_ids and not variation_keys)
    listed: list[dict] = []
    if since:
        params = {"modified_after": since, "dates_are_gmt": "true", "orderby": "modified", "order": "asc"}
        listed += list(client.iter("products", params))
    elif not product_ids and not variation_keys:
        listed += list(client.iter("products", {"orderby": "id", "order": "asc"}))
    for part in chunks(product_ids, BATCH):
        listed += list(client.iter("products", {"include": ",".join(map(str, part)), "orderby": "include"}))
    for obj in listed:
        if obj.get("status") == "trash":
            continue
        shop.add(obj)
    if with_variations:
        for obj in listed:
            if pm.kind_of_product(obj) == pm.VARIABLE and obj.get("variations") and obj.get("status") != "trash":
                for var in client.iter(f"products/{obj['id']}/variations"):
                    shop.add(var, parent_id=as_int(obj["id"]))
    by_parent: dict[int, list[int]] = defaultdict(list)
    for pid, vid in variation_keys:
        if (pid, vid) not in shop:
            by_parent[pid].append(vid)
    for pid, vids in by_parent.items():
        for part in chunks(sorted(vids), BATCH):
            for var in client.iter(f"products/{pid}/variations", {"include": ",".join(map(str, part))}):
                shop.add(var, parent_id=pid)
    return shop
