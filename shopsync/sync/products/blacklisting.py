"""A site's blacklist as the desk edits it: items, products (with their variations) and
variations set aside (how an entry is matched is :mod:`shopsync.sync.blacklist`)."""

from __future__ import annotations

from typing import Iterable

from shopsync.erp.port import ERP, Doc
from shopsync.sync.blacklist import BLACKLIST_DOCTYPE
from shopsync.sync.products.catalogue import as_int
from shopsync.sync.products.results import ProductSyncError
from shopsync.sync.site import SiteConfig


def blacklist_add(erp: ERP, site: SiteConfig | str, *, item_code: str = "", product_id: int = 0,
                  variation_id: int = 0, reason: str = "") -> Doc:
    """Set an item, a product (with its variations) or a variation aside on a site."""
    name = site if isinstance(site, str) else site.name
    if not item_code and not product_id and not variation_id:
        raise ProductSyncError("Name an item, a product or a variation to blacklist")
    with erp.transaction():
        return erp.insert({"doctype": BLACKLIST_DOCTYPE, "site": name, "item_code": item_code or None,
                           "woo_id": int(product_id or 0), "woo_variation_id": int(variation_id or 0),
                           "reason": reason or None})


def blacklist_remove(erp: ERP, site: SiteConfig | str, *, names: Iterable[str] = (), item_code: str = "",
                     product_id: int = 0, variation_id: int = 0) -> int:
    """**Remove from blacklist**: entries by name, or those naming the item / product / variation."""
    site_name = site if isinstance(site, str) else site.name
    rows = erp.find(BLACKLIST_DOCTYPE, {"site": site_name}, fields=("name", "item_code", "woo_id", "woo_variation_id"))
    names = set(names)
    drop = []
    for r in rows:
        if r["name"] in names or (item_code and r.get("item_code") == item_code) or (
                product_id and as_int(r.get("woo_id")) == int(product_id) and as_int(r.get("woo_variation_id")) == int(variation_id or 0)):
            drop.append(r["name"])
    with erp.transaction():
        for n in drop:
            erp.delete(BLACKLIST_DOCTYPE, n)
    return len(drop)


def blacklist_entries(erp: ERP, site: SiteConfig | str) -> list[Doc]:
    site_name = site if isinstance(site, str) else site.name
    return erp.find(BLACKLIST_DOCTYPE, {"site": site_name}, fields=("name", "item_code", "woo_id", "woo_variation_id", "reason"))
