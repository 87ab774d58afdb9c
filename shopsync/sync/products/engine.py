"""What one product run knows: the site, both sides as loaded, and the result so far.

An :class:`Engine` is made per run (a bulk run, a delivery, an Item event). It loads from the ERP
what the run needs: the site's item links (indexed by product and by item), its blacklist, the
items with their attributes and prices; and holds the shop's products read for the run
(:class:`~shopsync.sync.products.catalogue.Shop`). Its views bring an item or a product to the
canonical form the mapping compares (:mod:`shopsync.sync.product_mapping`). The plan, the ERP
writes and the shop writes are functions over it, in their own modules.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any, Iterable, Mapping

from shopsync.erp.port import ERP, Doc
from shopsync.sync import blacklist as blacklist_mod
from shopsync.sync import product_mapping as pm
from shopsync.sync.blacklist import BLACKLIST_DOCTYPE
from shopsync.sync.item_factory import ItemFactory, mapping_context
from shopsync.sync.links import LINK_DOCTYPE, NOT_LINKED, Binder, link_target
from shopsync.sync.products.catalogue import Key, Shop, as_int, chunks, requests_made
from shopsync.sync.products.results import Row, SyncResult
from shopsync.sync.site import SiteConfig

KIND = "Item"
IN_CHUNK = 500  # values per ``("in", [...])`` filter

ITEM_FIELDS = (
    "name", "item_code", "item_name", "item_group", "description", "disabled", "has_variants",
    "variant_of", "weight_per_unit", "weight_uom", "image", "stock_uom", "is_sales_item",
)


def is_live(link: Mapping[str, Any] | None) -> bool:
    """A link that ties an existing item to a product now (not Not linked)."""
    return bool(link) and link.get("state") != NOT_LINKED and bool(link.get("erp_name")) and bool(as_int(link.get("woo_id")))


def is_blacklisted(entries: Iterable[Mapping[str, Any]], item_code: str, key: Key | None, sku: str = "") -> bool:
    return blacklist_mod.match(entries, item_code, key, sku) is not None


def pending_key(site: str, item_code: str) -> str:
    """Name of the Not linked link that carries an item's error before it has a product."""
    return f"{site}-item-0-{hashlib.sha1(item_code.encode('utf-8')).hexdigest()[:16]}"


def find_in(erp: ERP, doctype: str, field: str, values: Iterable[str], filters: dict | None = None,
            fields: Iterable[str] = ("name",)) -> list[Doc]:
    """Rows whose ``field`` is one of ``values``, 500 values a query."""
    values = sorted({v for v in values if v})
    rows: list[Doc] = []
    for part in chunks(values, IN_CHUNK):
        rows += erp.find(doctype, {**(filters or {}), field: ("in", part)}, fields=tuple(fields))
    return rows


def _pick(doc: Mapping[str, Any], fields: Iterable[str]) -> Doc:
    return {f: doc.get(f) for f in fields} | {"name": doc.get("name")}


class Engine:
    def __init__(self, erp: ERP, site: SiteConfig, client: Any = None):
        self.erp = erp
        self.site = site
        self.client = client
        #: one change (a delivery, an Item event), not a whole run: a lost race is raised for its
        #: job to run it again, where a whole run records it and goes on
        self.single = False
        self.binder = Binder(erp, site.name)
        self.ctx = mapping_context(erp, site)
        #: Items made from products: the same rules as the order import's
        self.factory = ItemFactory(erp, site, self.ctx)
        self.items: dict[str, Doc] = {}
        self.attrs: dict[str, list[tuple[str, str]]] = {}
        self.prices: dict[str, Doc] = {}
        self.sale_prices: dict[str, Doc] = {}
        self.variants_of: dict[str, list[str]] = defaultdict(list)
        self.links_by_key: dict[Key, Doc] = {}
        self.links_by_item: dict[str, Doc] = {}
        self.blacklist: list[Doc] = []
        self.shop = Shop()
        #: every link of the site is indexed (else look the others up in the ERP)
        self.links_complete = False
        self.result = SyncResult()
        self.requests_before = requests_made(client)
        #: where the shop's answers to this run's pushes are remembered (shopsync.sync.echoes);
        #: None: the runtime's, when there is one
        self.echoes: Any = None

    def use_client(self, client: Any) -> Any:
        """Give the run its shop client (a delivery reads the shop only when it must)."""
        self.client = client
        self.requests_before = requests_made(client)
        return client

    # -------------------------------------------------------------------------------- loading
    def load(self, codes: Iterable[str] | None = None) -> None:
        self.load_links()
        self.load_blacklist()
        self.load_items(codes)

    def load_links(self, *, product_ids: Iterable[int] | None = None, codes: Iterable[str] | None = None) -> None:
        """Every item link of the site, or (for one delivery or one item) those of ``product_ids``
        (a product with its variations) and of the items ``codes``, added to what is loaded."""
        base = {"site": self.site.name, "link_type": KIND}
        if product_ids is None and codes is None:
            rows = self.erp.find(LINK_DOCTYPE, base, fields=("*",))
            self.links_by_key, self.links_by_item = {}, {}
            self.links_complete = True
        else:
            rows = find_in(self.erp, LINK_DOCTYPE, "woo_id", [int(p) for p in product_ids or () if p], base, fields=("*",))
            rows += find_in(self.erp, LINK_DOCTYPE, "erp_name", codes or (), base, fields=("*",))
        for row in rows:
            self.index_link(row)

    def index_link(self, row: Doc) -> None:
        if as_int(row.get("woo_id")):
            self.links_by_key[link_target(row)] = row
        code = row.get("erp_name")
        if code and row.get("erp_key"):
            old = self.links_by_item.get(code)
            if old is None or not is_live(old) or is_live(row):
                self.links_by_item[code] = row

    def forget_link(self, row: Doc) -> None:
        if self.links_by_key.get(link_target(row), {}).get("name") == row.get("name"):
            self.links_by_key.pop(link_target(row), None)
        code = row.get("erp_name")
        if code and self.links_by_item.get(code, {}).get("name") == row.get("name"):
            self.links_by_item.pop(code, None)

    def load_blacklist(self) -> None:
        self.blacklist = self.erp.find(
            BLACKLIST_DOCTYPE, {"site": self.site.name}, fields=("name", "item_code", "woo_id", "woo_variation_id", "reason"))

    @property
    def item_fields(self) -> tuple[str, ...]:
        return ITEM_FIELDS + ((pm.SHORT_DESCRIPTION_FIELD,) if self.ctx.short_description else ())

    def load_items(self, codes: Iterable[str] | None = None) -> None:
        fields = self.item_fields
        if codes is None:
            rows = self.erp.find("Item", {}, fields=fields)
            self._set_items(rows, every=True)
            return
        wanted = {c for c in codes if c}
        rows = find_in(self.erp, "Item", "name", wanted, fields=fields)
        # a template comes with its variants, a variant with its template (and siblings)
        templates = {r["name"] for r in rows if r.get("has_variants")} | {r["variant_of"] for r in rows if r.get("variant_of")}
        if templates:
            more = find_in(self.erp, "Item", "variant_of", templates, fields=fields)
            more += find_in(self.erp, "Item", "name", templates - {r["name"] for r in rows}, fields=fields)
            seen = {r["name"] for r in rows}
            rows += [r for r in more if r["name"] not in seen and not seen.add(r["name"])]
        self._set_items(rows)

    def _set_items(self, rows: list[Doc], every: bool = False) -> None:
        """Index ``rows`` with their attributes and prices (``every``: all items: read whole tables)."""
        codes = [r["name"] for r in rows]
        for r in rows:
            self.items[r["name"]] = r
            if r.get("variant_of"):
                if r["name"] not in self.variants_of[r["variant_of"]]:
                    self.variants_of[r["variant_of"]].append(r["name"])
        attr_fields = ("parent", "attribute", "attribute_value", "idx")
        if every:
            attr_rows = self.erp.find("Item Variant Attribute", {"parenttype": "Item"}, fields=attr_fields)
        else:
            attr_rows = find_in(self.erp, "Item Variant Attribute", "parent", codes, {"parenttype": "Item"},
                                fields=attr_fields)
        by_parent: dict[str, list] = defaultdict(list)
        for a in sorted(attr_rows, key=lambda a: (a.get("parent") or "", as_int(a.get("idx")))):
            by_parent[a["parent"]].append((a.get("attribute") or "", a.get("attribute_value") or ""))
        for code in codes:
            self.attrs[code] = by_parent.get(code, [])
        if self.site.price_list:
            self._load_prices(None if every else codes, self.site.price_list, self.prices)
        sale_list = getattr(self.site, "sale_price_list", "")
        if sale_list:
            self._load_prices(None if every else codes, sale_list, self.sale_prices)

    def _load_prices(self, codes: list[str] | None, price_list: str, into: dict[str, Doc]) -> None:
        fields = ("name", "item_code", "price_list_rate", "uom", "customer", "supplier")
        if codes is None:
            rows = self.erp.find("Item Price", {"price_list": price_list}, fields=fields)
        else:
            rows = find_in(self.erp, "Item Price", "item_code", codes, {"price_list": price_list}, fields=fields)
        for r in rows:
            if r.get("customer") or r.get("supplier"):
                continue
            into.setdefault(r["item_code"], r)

    def reload_item(self, code: str) -> None:
        self.items.pop(code, None)
        self.prices.pop(code, None)
        self.sale_prices.pop(code, None)
        rows = find_in(self.erp, "Item", "name", [code], fields=self.item_fields)
        if rows:
            self._set_items(rows)

    def remember_item(self, item: Doc) -> None:
        """Index an item just inserted, from the document itself (no query: bulk runs insert many)."""
        code = item["name"]
        self.items[code] = _pick(item, self.item_fields)
        self.attrs[code] = [(a.get("attribute") or "", a.get("attribute_value") or "") for a in item.get("attributes") or []]
        if item.get("variant_of") and code not in self.variants_of[item["variant_of"]]:
            self.variants_of[item["variant_of"]].append(code)

    # -------------------------------------------------------------------------------- views
    def erp_canon(self, code: str) -> dict[str, Any]:
        item = self.items[code]
        price = self.prices.get(code)
        sale = self.sale_prices.get(code)
        return pm.erp_canonical(
            item, self.ctx,
            price_rate=price.get("price_list_rate") if price else None,
            sale_rate=sale.get("price_list_rate") if sale else None,
            attributes=self.attrs.get(code, []),
        )

    def woo_canon(self, key: Key) -> dict[str, Any]:
        return pm.woo_canonical(self.shop.get(key), self.ctx)

    def blacklisted(self, code: str = "", key: Key | None = None, sku: str = "") -> bool:
        return bool(self.blacklist) and is_blacklisted(self.blacklist, code, key, sku)

    def eligible(self, code: str) -> bool:
        """Whether a new item goes to the shop on its own: a sales item, enabled, in a mapped Item
        Group (a variant: its template is)."""
        item = self.items.get(code)
        if not item or item.get("disabled") or not as_int(item.get("is_sales_item", 1)):
            return False
        if item.get("variant_of"):
            return self.eligible(item["variant_of"])
        return (item.get("item_group") or "") in self.ctx.mapped_groups

    def row(self, code: str | None = None, key: Key | None = None, detail: str = "") -> Row:
        obj = self.shop.get(key) if key else None
        item = self.items.get(code or "") or {}
        name = (obj or {}).get("name") or item.get("item_name") or ""
        return Row(item_code=code or "", product_id=key[0] if key else 0, variation_id=key[1] if key else 0,
                   sku=(obj or {}).get("sku") or (code or ""), name=name, detail=detail)

    def attribute_options(self, template: str) -> dict[str, list[str]]:
        """Attribute -> values used by the template's variants (enabled, not blacklisted)."""
        out: dict[str, list[str]] = {a: [] for a, _ in self.attrs.get(template, [])}
        for v_code in sorted(self.variants_of.get(template, [])):
            item = self.items.get(v_code) or {}
            if item.get("disabled") or self.blacklisted(v_code, None):
                continue
            for a, v in self.attrs.get(v_code, []):
                if v and v not in out.setdefault(a, []):
                    out[a].append(v)
        return out

    def link_of_object(self, woo_object_id: int) -> Doc | None:
        """The live link of a product or variation, by its own id."""
        if not woo_object_id:
            return None
        link = self.links_by_key.get((woo_object_id, 0))
        if is_live(link):
            return link
        for key, link in self.links_by_key.items():
            if key[1] == woo_object_id and is_live(link):
                return link
        if self.links_complete:
            return None
        base = {"site": self.site.name, "link_type": KIND}
        rows = self.erp.find(LINK_DOCTYPE, {**base, "woo_id": woo_object_id, "woo_variation_id": 0}, fields=("*",))
        rows += self.erp.find(LINK_DOCTYPE, {**base, "woo_variation_id": woo_object_id}, fields=("*",))
        return next((r for r in rows if is_live(r)), None)
