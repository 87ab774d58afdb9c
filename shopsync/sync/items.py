"""Items for order lines: found by link record, else by SKU, else made.

For each line item of an order, in this order:
1. ``product_id`` 0 (the product was deleted in the shop) -> the order fails, naming the line;
2. a product on the site's blacklist ("WooCommerce Blacklist Entry": the product id, optionally a
   variation id, or the item code) -> the order fails, naming the product; or, on a site that
   imports such orders, the line goes on the site's placeholder item (non-stock, "Product not
   synced" unless the site names one, made at the first such order), its description naming the
   shop's product;
3. the Item link record (site + product id + variation id) -> its Item, when it still exists;
4. an Item whose ``item_code`` is the line's SKU -> that Item (and the link is written);
5. else a new Item: ``item_code`` = the SKU (or ``WC-<site>-<product>[-<variation>]`` without
   one), ``item_name`` = the line's name, Item Group from the site's category table for the
   product's first mapped category, else the site's item group (default "Products"), else Stock
   Settings' default item group; never a group node (see :func:`default_item_group`); stock UOM from Stock Settings (else "Nos"); a virtual or downloadable product is not a
   stock item. With a WooCommerce client, a variation becomes a **variant** of a template made
   from its variable product (attributes as Item Attributes, values added when missing); without
   one, a plain Item from the line.

Lookups and shop fetches happen in :meth:`ItemResolver.prefetch`, outside the ERP transaction;
:meth:`ItemResolver.resolve` writes, inside it.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from shopsync.erp.errors import DoesNotExistError
from shopsync.sync.failures import SyncFailure, is_transient
from shopsync.erp.port import ERP, Doc
from shopsync.sync import blacklist as blacklist_mod
from shopsync.sync.links import Binder
from shopsync.sync.site import DEFAULT_ITEM_GROUP, SiteConfig

log = logging.getLogger(__name__)

from shopsync.sync.blacklist import BLACKLIST_DOCTYPE  # noqa: E402
DEFAULT_UOM = "Nos"


@dataclasses.dataclass(frozen=True)
class ItemRef:
    item_code: str
    stock_uom: str = DEFAULT_UOM
    #: the line's description when it is not the item's (a blacklisted product's line)
    description: str = ""


class ItemFailure(SyncFailure):
    """An order line's item cannot be found or made."""


def woo_item_code(site: str, product_id: int, variation_id: int = 0) -> str:
    code = f"WC-{site}-{product_id}"
    return f"{code}-{variation_id}" if variation_id else code


def _describe(li: dict[str, Any]) -> str:
    name = li.get("name") or "(no name)"
    bits = [f"product id {li.get('product_id')}"]
    if li.get("variation_id"):
        bits.append(f"variation {li.get('variation_id')}")
    if li.get("sku"):
        bits.append(f"SKU {li.get('sku')}")
    return f"“{name}” ({', '.join(bits)})"


def is_leaf_group(erp: ERP, group: str) -> bool:
    """An Item Group that exists and is not a group node (ERPNext's items belong in leaves)."""
    if not group:
        return False
    rows = erp.find("Item Group", {"name": group}, fields=("name", "is_group"))
    return bool(rows) and not int(rows[0].get("is_group") or 0)


def default_item_group(erp: ERP, site: SiteConfig) -> str:
    """The Item Group of an item made from a product with no mapped category: the site's (default
    "Products"), else Stock Settings' default, else "Products"; the first that is a leaf."""
    try:
        stock_default = erp.get_single_value("Stock Settings", "item_group") or ""
    except Exception:  # noqa: BLE001 - an ERP without the setting
        stock_default = ""
    candidates = [getattr(site, "item_group", "") or "", stock_default, DEFAULT_ITEM_GROUP]
    for group in dict.fromkeys(c for c in candidates if c):
        if is_leaf_group(erp, group):
            return group
    raise ItemFailure(
        f"no Item Group to put new items in: {', '.join(dict.fromkeys(c for c in candidates if c))} are group nodes"
        f" or missing; set the site's “Item group for unmapped products” to a group that holds items"
    )


def describe_blacklisted(li: dict[str, Any], site: SiteConfig) -> str:
    """The placeholder line's description: the shop's product, as plain text."""
    return f"Not synced from {site.name}: {_describe(li)}"[:1000]


def blacklisted(entries: list[Doc], item_code: str, key: tuple[int, int], sku: str = "") -> Doc | None:
    """The blacklist entry that keeps this line's product out of the site, if any."""
    return blacklist_mod.match(entries, item_code, key, sku)


class ItemResolver:
    def __init__(self, erp: ERP, site: SiteConfig, binder: Binder | None = None, client: Any = None):
        self.erp = erp
        self.site = site
        self.binder = binder or Binder(erp, site.name)
        self.client = client
        self.products: dict[tuple[int, int], dict[str, Any] | None] = {}
        self.found: dict[tuple[int, int], str] = {}
        self.notes: list[str] = []
        self._defaults: dict[str, str] | None = None
        #: line id -> description, for blacklisted lines imported on the placeholder item
        self.placeholder_lines: dict[int, str] = {}

    # --- checks (no writes) --------------------------------------------------------------------
    def blacklist(self) -> list[Doc]:
        return self.erp.find(
            BLACKLIST_DOCTYPE, {"site": self.site.name}, fields=("item_code", "woo_id", "woo_variation_id", "reason")
        )

    def check_order(self, order: dict[str, Any]) -> None:
        """Fail on a line without product or with a blacklisted one; finds the items that exist."""
        entries = None
        for li in order.get("line_items") or []:
            pid, vid = int(li.get("product_id") or 0), int(li.get("variation_id") or 0)
            if not pid:
                raise ItemFailure(
                    f"line {_describe(li)} has no product in the shop (product_id 0: the product was deleted);"
                    " the order cannot be imported until the line is replaced"
                )
            if (pid, vid) not in self.found:
                code = self.lookup(pid, vid, li.get("sku") or "")
                if code:
                    self.found[(pid, vid)] = code
            if entries is None:
                entries = self.blacklist()
            hit = blacklisted(entries, self.found.get((pid, vid), ""), (pid, vid), li.get("sku") or "")
            if hit is not None:
                why = f": {hit['reason']}" if hit.get("reason") else ""
                if not self.site.imports_blacklisted_lines():
                    raise ItemFailure(f"product {_describe(li)} is on the blacklist of site {self.site.name}{why}")
                self.placeholder_lines[int(li["id"])] = describe_blacklisted(li, self.site)
                self.notes.append(
                    f"product {_describe(li)} is on the blacklist of site {self.site.name}{why}:"
                    f" its line is on item {self.site.placeholder_item_code}"
                )

    # --- reads and shop fetches (outside the transaction) ---------------------------------------
    def lookup(self, pid: int, vid: int, sku: str) -> str | None:
        code = self.binder.erp_name("Item", pid, vid)
        if code and self.erp.exists("Item", code):
            return code
        if sku and self.erp.exists("Item", sku):
            return sku
        return None

    def prefetch(self, order: dict[str, Any]) -> None:
        """The shop's product for each line whose item does not exist yet (after check_order)."""
        for li in order.get("line_items") or []:
            pid, vid = int(li.get("product_id") or 0), int(li.get("variation_id") or 0)
            key = (pid, vid)
            if key in self.found or key in self.products or int(li.get("id") or 0) in self.placeholder_lines:
                continue
            if self.client is None:
                self.products[key] = None
                continue
            self.products[key] = self._fetch(pid, vid)
            if vid and (pid, 0) not in self.products:
                self.products[(pid, 0)] = self._fetch(pid, 0)

    def _fetch(self, pid: int, vid: int) -> dict[str, Any] | None:
        path = f"products/{pid}/variations/{vid}" if vid else f"products/{pid}"
        try:
            return self.client.get(path)
        except Exception as exc:  # noqa: BLE001
            if is_transient(exc):
                raise ItemFailure(f"the shop did not answer for product {pid}: {exc}", retryable=True) from None
            self.notes.append(f"product {pid}{'/' + str(vid) if vid else ''} not readable in the shop ({type(exc).__name__}); item made from the order line")
            return None

    # --- writes (inside the transaction) --------------------------------------------------------
    def resolve(self, order: dict[str, Any]) -> dict[int, ItemRef]:
        refs: dict[int, ItemRef] = {}
        uoms: dict[str, str] = {}
        for li in order.get("line_items") or []:
            if int(li["id"]) in self.placeholder_lines:
                code = self.placeholder()
                if code not in uoms:
                    uoms[code] = self.erp.get_value("Item", code, "stock_uom") or self.defaults()["stock_uom"]
                refs[int(li["id"])] = ItemRef(code, uoms[code], self.placeholder_lines[int(li["id"])])
                continue
            pid, vid = int(li.get("product_id") or 0), int(li.get("variation_id") or 0)
            sku = li.get("sku") or ""
            code = self.found.get((pid, vid))
            if code is None:
                code = self.lookup(pid, vid, sku)  # again: a concurrent job may have made it
                if code is not None:
                    self._bind(pid, vid, code, sku)
                else:
                    code = self._create(li)
                self.found[(pid, vid)] = code
            elif self.binder.erp_name("Item", pid, vid) is None:
                self._bind(pid, vid, code, sku)
            if code not in uoms:
                uoms[code] = self.erp.get_value("Item", code, "stock_uom") or self.defaults()["stock_uom"]
            refs[int(li["id"])] = ItemRef(code, uoms[code])
        return refs

    def placeholder(self) -> str:
        """The site's placeholder item, made (non-stock, in the default group) when missing."""
        code = self.site.placeholder_item_code
        if not self.erp.exists("Item", code):
            self.erp.insert({
                "doctype": "Item", "item_code": code, "item_name": code, "item_group": self.defaults()["item_group"],
                "stock_uom": self.defaults()["stock_uom"], "is_stock_item": 0, "is_sales_item": 1,
                "description": "Order lines of WooCommerce products that are not synced (blacklisted)",
            })
            self.notes.append(f"placeholder item {code} created")
        if not self.erp.find(BLACKLIST_DOCTYPE, {"site": self.site.name, "item_code": code}, fields=("name",)):
            # kept out of the product sync and the stock push of the site, like the products it stands for
            self.erp.insert({"doctype": BLACKLIST_DOCTYPE, "site": self.site.name, "item_code": code,
                             "reason": "placeholder item for the order lines of blacklisted products"})
        return code

    def _bind(self, pid: int, vid: int, code: str, sku: str = "") -> None:
        existing = self.binder.get("Item", pid, vid)
        if existing is not None:
            if existing.get("erp_name") != code:
                from shopsync.sync.links import erp_key

                self.binder.update(existing, erp_name=code, erp_key=erp_key(self.site.name, "Item", code), state="In sync")
            return
        other = self.binder.for_erp("Item", code)
        if other is not None:
            # The Item already stands for another product of this shop (same SKU twice): keep one link.
            self.notes.append(f"item {code} is already linked to product {other.get('woo_id')}; not linked to {pid}")
            return
        extra: dict[str, Any] = {"sku": sku or None}
        if vid:
            extra["woo_parent_id"] = pid
        self.binder.bind("Item", pid, code, vid, **extra)

    def defaults(self) -> dict[str, str]:
        if self._defaults is None:
            group = default_item_group(self.erp, self.site)
            uom = self.erp.get_single_value("Stock Settings", "stock_uom") or DEFAULT_UOM
            self._defaults = {"item_group": group, "stock_uom": uom}
        return self._defaults

    def item_group(self, product: dict[str, Any] | None) -> str:
        for cat in (product or {}).get("categories") or []:
            group = self.site.categories.get(int(cat.get("id") or 0))
            if group:
                if is_leaf_group(self.erp, group):
                    return group
                self.notes.append(f"category {cat.get('id')} is mapped to {group}, a group node: item put in {self.defaults()['item_group']}")
        return self.defaults()["item_group"]

    def _create(self, li: dict[str, Any]) -> str:
        pid, vid = int(li.get("product_id") or 0), int(li.get("variation_id") or 0)
        product = self.products.get((pid, vid))
        parent = self.products.get((pid, 0)) if vid else product
        sku = li.get("sku") or (product or {}).get("sku") or ""
        code = sku or woo_item_code(self.site.name, pid, vid)
        name = (li.get("name") or (product or {}).get("name") or code)[:140]
        if vid and parent and parent.get("type") == "variable" and self._fully_specified(product, parent):
            template = self._template(pid, parent)
            if template:
                return self._variant(template, li, product, parent, code, name)
        doc = {
            "doctype": "Item",
            "item_code": code,
            "item_name": name,
            "item_group": self.item_group(parent if vid else product),
            "stock_uom": self.defaults()["stock_uom"],
            "is_stock_item": 0 if self._virtual(product) else 1,
            "description": name,
        }
        item = self.erp.insert(doc)
        self._bind(pid, vid, item["name"], sku)
        self.notes.append(f"item {item['name']} created from line {_describe(li)}")
        return item["name"]

    @staticmethod
    def _fully_specified(product: dict[str, Any] | None, parent: dict[str, Any]) -> bool:
        """Every variation attribute of the parent has a value on the variation ("any" has none)."""
        wanted = {a.get("name") for a in parent.get("attributes") or [] if a.get("variation")}
        given = {a.get("name") for a in (product or {}).get("attributes") or [] if a.get("option")}
        return bool(wanted) and wanted <= given

    @staticmethod
    def _virtual(product: dict[str, Any] | None) -> bool:
        return bool(product and (product.get("virtual") or product.get("downloadable")))

    def _template(self, pid: int, parent: dict[str, Any]) -> str | None:
        code = self.lookup(pid, 0, parent.get("sku") or "")
        if code:
            if not self.erp.get_value("Item", code, "has_variants"):
                return None  # an ordinary item holds the parent's SKU: make a plain item instead
            if self.binder.erp_name("Item", pid, 0) is None:
                self._bind(pid, 0, code, parent.get("sku") or "")
            return code
        attributes = [a for a in parent.get("attributes") or [] if a.get("variation")]
        if not attributes:
            return None
        for attr in attributes:
            self._attribute(attr["name"], attr.get("options") or [])
        doc = {
            "doctype": "Item",
            "item_code": parent.get("sku") or woo_item_code(self.site.name, pid),
            "item_name": (parent.get("name") or str(pid))[:140],
            "item_group": self.item_group(parent),
            "stock_uom": self.defaults()["stock_uom"],
            "is_stock_item": 0 if self._virtual(parent) else 1,
            "has_variants": 1,
            "attributes": [{"attribute": a["name"]} for a in attributes],
            "description": (parent.get("name") or str(pid))[:140],
        }
        item = self.erp.insert(doc)
        self._bind(pid, 0, item["name"], parent.get("sku") or "")
        self.notes.append(f"template item {item['name']} created from product {pid}")
        return item["name"]

    def _attribute(self, name: str, values: list[str]) -> None:
        try:
            attr = self.erp.get("Item Attribute", name)
        except DoesNotExistError:
            attr = None
        rows = list((attr or {}).get("item_attribute_values") or [])
        have = {r.get("attribute_value") for r in rows}
        abbrs = {r.get("abbr") for r in rows}
        added = False
        for value in values:
            if value in have:
                continue
            abbr = value[:140]
            n = 1
            while abbr in abbrs:
                abbr = f"{value[:130]}-{n}"
                n += 1
            rows.append({"attribute_value": value, "abbr": abbr})
            have.add(value)
            abbrs.add(abbr)
            added = True
        if attr is None:
            self.erp.insert({"doctype": "Item Attribute", "attribute_name": name, "item_attribute_values": rows})
        elif added:
            self.erp.update("Item Attribute", name, {"item_attribute_values": [
                {"attribute_value": r.get("attribute_value"), "abbr": r.get("abbr")} for r in rows
            ]})

    def _variant(self, template: str, li: dict[str, Any], product: dict[str, Any], parent: dict[str, Any], code: str, name: str) -> str:
        pid, vid = int(li.get("product_id") or 0), int(li.get("variation_id") or 0)
        values = {a["name"]: a.get("option") for a in product.get("attributes") or [] if a.get("name") and a.get("option")}
        for attr, value in values.items():
            self._attribute(attr, [value])
        doc = dict(self.erp.make_variant(template, values))
        doc.update(doctype="Item", item_code=code, item_name=name, description=name)
        doc.pop("name", None)
        item = self.erp.insert(doc)
        self._bind(pid, vid, item["name"], li.get("sku") or "")
        self.notes.append(f"variant {item['name']} of {template} created from line {_describe(li)}")
        return item["name"]
