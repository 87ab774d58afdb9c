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
5. else a new Item, made from the shop's product by :mod:`shopsync.sync.item_factory` with the
   catalogue sync's rules (code, name, description, Item Group, stock UOM, prices, template and
   variant), so a product gives the same Item whichever way it first arrives; enabled, since the
   line sells it now. With a WooCommerce client, a variation becomes a **variant** of a template
   made from its variable product; a variation that cannot be one (an "any" value, its product
   held by a plain item), or any line when the shop is not asked, becomes a plain Item from what
   is known of it.

Lookups and shop fetches happen in :meth:`ItemResolver.prefetch`, outside the ERP transaction;
:meth:`ItemResolver.resolve` writes, inside it.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from shopsync.erp.port import ERP, Doc
from shopsync.sync import blacklist as blacklist_mod
from shopsync.sync import product_mapping as pm
from shopsync.sync.failures import is_transient
from shopsync.sync.item_factory import DEFAULT_UOM, ItemFactory, ItemFailure, variation_attribute_names
from shopsync.sync.links import Binder
from shopsync.sync.site import SiteConfig

log = logging.getLogger(__name__)

from shopsync.sync.blacklist import BLACKLIST_DOCTYPE  # noqa: E402


@dataclasses.dataclass(frozen=True)
class ItemRef:
    item_code: str
    stock_uom: str = DEFAULT_UOM
    #: the line's description when it is not the item's (a blacklisted product's line)
    description: str = ""


def _describe(li: dict[str, Any]) -> str:
    name = li.get("name") or "(no name)"
    bits = [f"product id {li.get('product_id')}"]
    if li.get("variation_id"):
        bits.append(f"variation {li.get('variation_id')}")
    if li.get("sku"):
        bits.append(f"SKU {li.get('sku')}")
    return f"“{name}” ({', '.join(bits)})"


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
        #: the lines whose item ``lookup`` found through the product's link (nothing to bind)
        self.linked: set[tuple[int, int]] = set()
        #: each item ``lookup`` found: its stock UOM, read with it
        self.uoms: dict[str, str] = {}
        self.notes: list[str] = []
        self._defaults: dict[str, str] | None = None
        #: new items: the catalogue sync's rules (its notes are the order's)
        self.factory = ItemFactory(erp, site, notes=self.notes)
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
        if code and self._item_exists(code):
            self.linked.add((pid, vid))
            return code
        code = self.factory.code_for({"sku": sku}, (pid, vid)) if sku else ""
        if code and self._item_exists(code):
            return code
        return None

    def _item_exists(self, code: str) -> bool:
        rows = self.erp.find("Item", {"name": code}, fields=("stock_uom",), limit=1)
        if rows:
            self.uoms[code] = rows[0].get("stock_uom") or ""
        return bool(rows)

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
            elif (pid, vid) not in self.linked and self.binder.erp_name("Item", pid, vid) is None:
                self._bind(pid, vid, code, sku)
            if code not in uoms:
                uoms[code] = (self.uoms.get(code) if code in self.uoms else self.erp.get_value("Item", code, "stock_uom")) \
                    or self.defaults()["stock_uom"]
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
            self._defaults = {"item_group": self.factory.ctx.fallback_item_group, "stock_uom": self.factory.uom()}
        return self._defaults

    def _create(self, li: dict[str, Any]) -> str:
        pid, vid = int(li.get("product_id") or 0), int(li.get("variation_id") or 0)
        product = self.products.get((pid, vid))
        parent = self.products.get((pid, 0)) if vid else None
        if product is None:  # the shop was not asked, or could not say: what the line knows
            product = _line_as_product(li, pid, vid)
        if vid and parent and pm.kind_of_product(parent) == pm.VARIABLE and \
                not self.factory.variant_problem(product, (pid, vid), "", variation_attribute_names(parent)):
            template = self._template(pid, parent)
            if template:
                names = [r.get("attribute") for r in self.erp.get("Item", template).get("attributes") or []]
                problem = self.factory.variant_problem(product, (pid, vid), template, names)
                if not problem:
                    item = self.factory.create(product, (pid, vid), parent=parent, template=template, sellable=True)
                    self._bind(pid, vid, item["name"], pm.text(product.get("sku")))
                    self.notes.append(f"variant {item['name']} of {template} created from line {_describe(li)}")
                    return item["name"]
                self.notes.append(f"{problem}: a plain item is made for line {_describe(li)}")
        item = self.factory.create(product, (pid, vid), parent=parent, sellable=True)
        self._bind(pid, vid, item["name"], pm.text(product.get("sku")))
        self.notes.append(f"item {item['name']} created from line {_describe(li)}")
        return item["name"]

    def _template(self, pid: int, parent: dict[str, Any]) -> str | None:
        code = self.lookup(pid, 0, parent.get("sku") or "")
        if code:
            if not self.erp.get_value("Item", code, "has_variants"):
                return None  # an ordinary item holds the parent's SKU: make a plain item instead
            if self.binder.erp_name("Item", pid, 0) is None:
                self._bind(pid, 0, code, parent.get("sku") or "")
            return code
        if not variation_attribute_names(parent):
            return None
        item = self.factory.create(parent, (pid, 0), sellable=True)
        self._bind(pid, 0, item["name"], parent.get("sku") or "")
        self.notes.append(f"template item {item['name']} created from product {pid}")
        return item["name"]


def _line_as_product(li: dict[str, Any], pid: int, vid: int) -> dict[str, Any]:
    """An order line read as the product it sold, when the shop's product is not at hand."""
    if vid:
        return {"id": vid, "parent_id": pid, "type": pm.VARIATION, "sku": li.get("sku") or "", "name": li.get("name") or ""}
    return {"id": pid, "type": pm.SIMPLE, "sku": li.get("sku") or "", "name": li.get("name") or ""}
