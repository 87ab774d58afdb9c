"""Products both ways: link records, sync state, association, propagation, resync, blacklist.

Plain Python, no ``frappe``. The mapping itself (item <-> product, fingerprints) is in
:mod:`shopsync.sync.product_mapping`; this module reads both sides, decides, and writes.

**Links.** One "WooCommerce Link" (``link_type`` Item) per item and site: ``woo_id`` the product
(for a variation: its parent product), ``woo_variation_id`` the variation, ``woo_parent_id`` the
parent of a variation, ``sku``, and the fingerprint of each side's synced fields when they last
agreed (``erp_fingerprint``, ``woo_fingerprint``). The state follows: both fingerprints as they are
now -> **In sync**; either differs -> **Out of sync**; no link, or the product gone -> **Not linked**.

**Deciding.** For a pair (item, product) the current fingerprints are compared with the stored
ones: nothing changed -> nothing to do (this is also how the echo of our own writes is dropped:
the webhook that follows a push, the doc event that follows a pull); one side changed -> it is
copied to the other when the site's direction allows, else the link goes Out of sync; both
changed -> nothing is overwritten, the link goes Out of sync and the user picks the winner with
:func:`resync`.

**Writes.** ERP writes happen in ``erp.transaction()`` blocks holding no shop call; the shop is
written with batches of 100 (``products/batch``, ``products/<id>/variations/batch``) and read
with ``client.iter`` (100 a page) or ``include=`` lists of 100 ids.

Entry points (what the Frappe edge calls):

- :func:`handle_delivery` — webhook job (product.created / updated / deleted);
- :func:`push_item` — job queued by the Item / Item Price doc events;
- :func:`item_deleted` — job queued by the Item's on_trash;
- :func:`sync_state` — the report and the Item indicator;
- :func:`preview_first_sync` / :func:`run_first_sync` / :func:`run_sync` — bulk runs;
- :func:`associate`, :func:`associate_by_sku`, :func:`unmatched`, :func:`create_on_other_side`;
- :func:`resync` — pick the winner on a link, a selection or a whole site;
- :func:`blacklist_add`, :func:`blacklist_remove`, :func:`blacklist_entries`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import weakref
from collections import defaultdict
from typing import Any, Callable, Iterable, Mapping

from shopsync.erp.errors import DoesNotExistError, ERPError
from shopsync.sync.failures import is_lost_race, is_transient
from shopsync.erp.port import ERP, Doc
from shopsync.sync import product_mapping as pm
from shopsync.sync import blacklist as blacklist_mod
from shopsync.sync.links import IN_SYNC, LINK_DOCTYPE, NOT_LINKED, OUT_OF_SYNC, Binder, erp_key, link_target
from shopsync.sync.site import SiteConfig
from shopsync.sync.items import default_item_group
from shopsync.sync.runtime import shop_client

log = logging.getLogger(__name__)

KIND = "Item"
from shopsync.sync.blacklist import BLACKLIST_DOCTYPE  # noqa: E402
BATCH = 100  # objects per shop request (WooCommerce answers 413 beyond 100)
ERP_CHUNK = 100  # pairs written per ERP transaction in bulk runs
IN_CHUNK = 500  # values per ``("in", [...])`` filter
DEFAULT_UOM = "Nos"

Key = tuple[int, int]  # (product id, variation id); variation id 0 for a product
Progress = Callable[[str, int, int], None]

ITEM_FIELDS = (
    "name", "item_code", "item_name", "item_group", "description", "disabled", "has_variants",
    "variant_of", "weight_per_unit", "weight_uom", "image", "stock_uom", "is_sales_item",
)


class ProductSyncError(Exception):
    """A request the engine cannot carry out (bad arguments, a direction that forbids it)."""


# ================================================================================================
# results
# ================================================================================================


@dataclasses.dataclass
class Row:
    """One line of a preview, a result or a listing."""

    item_code: str = ""
    product_id: int = 0
    variation_id: int = 0
    sku: str = ""
    name: str = ""
    detail: str = ""

    @property
    def label(self) -> str:
        return pm.woo_label(self.product_id, self.variation_id)


@dataclasses.dataclass
class Preview:
    """What a bulk run would do; nothing is written to build it."""

    create_in_erp: list[Row] = dataclasses.field(default_factory=list)
    create_in_shop: list[Row] = dataclasses.field(default_factory=list)
    link: list[Row] = dataclasses.field(default_factory=list)
    update_erp: list[Row] = dataclasses.field(default_factory=list)
    update_shop: list[Row] = dataclasses.field(default_factory=list)
    conflicts: list[Row] = dataclasses.field(default_factory=list)
    unlink: list[Row] = dataclasses.field(default_factory=list)
    draft_in_shop: list[Row] = dataclasses.field(default_factory=list)
    shop_only: list[Row] = dataclasses.field(default_factory=list)
    erp_only: list[Row] = dataclasses.field(default_factory=list)
    blacklisted: list[Row] = dataclasses.field(default_factory=list)
    errors: list[Row] = dataclasses.field(default_factory=list)
    #: products to be linked whose shop quantity is kept until the site's stock is set up (stock.py)
    stock_held: list[Row] = dataclasses.field(default_factory=list)
    in_sync: int = 0

    LISTS = ("create_in_erp", "create_in_shop", "link", "update_erp", "update_shop", "conflicts", "unlink",
             "draft_in_shop", "shop_only", "erp_only", "blacklisted", "errors", "stock_held")

    @property
    def counts(self) -> dict[str, int]:
        out = {name: len(getattr(self, name)) for name in self.LISTS}
        out["in_sync"] = self.in_sync
        return out

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"counts": self.counts}
        for name in self.LISTS:
            out[name] = [dataclasses.asdict(r) | {"label": r.label} for r in getattr(self, name)]
        return out


@dataclasses.dataclass
class SyncResult:
    """What a run did."""

    created_items: list[str] = dataclasses.field(default_factory=list)
    updated_items: list[str] = dataclasses.field(default_factory=list)
    created_products: list[Row] = dataclasses.field(default_factory=list)
    updated_products: list[Row] = dataclasses.field(default_factory=list)
    linked: list[Row] = dataclasses.field(default_factory=list)
    out_of_sync: list[Row] = dataclasses.field(default_factory=list)
    unlinked: list[Row] = dataclasses.field(default_factory=list)
    drafted: list[Row] = dataclasses.field(default_factory=list)
    skipped: list[Row] = dataclasses.field(default_factory=list)
    errors: list[Row] = dataclasses.field(default_factory=list)
    in_sync: int = 0
    requests: int = 0
    #: the newest ``date_modified_gmt`` seen in the shop: pass it as ``since`` to the next run
    cursor: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.created_items or self.updated_items or self.created_products or self.updated_products
                    or self.linked or self.unlinked or self.drafted or self.out_of_sync)

    def summary(self) -> str:
        parts = []
        for label, value in (
            ("item(s) created", len(self.created_items)),
            ("item(s) updated", len(self.updated_items)),
            ("product(s) created", len(self.created_products)),
            ("product(s) updated", len(self.updated_products)),
            ("linked", len(self.linked)),
            ("out of sync", len(self.out_of_sync)),
            ("unlinked", len(self.unlinked)),
            ("set to draft", len(self.drafted)),
            ("errors", len(self.errors)),
        ):
            if value:
                parts.append(f"{value} {label}")
        return ", ".join(parts) or "nothing to do"


@dataclasses.dataclass
class StateRow:
    """One line of the sync state report (and the Item form's indicator)."""

    item_code: str
    item_name: str
    woo_id: int
    woo_variation_id: int
    state: str
    label: str
    last_error: str = ""
    blacklisted: bool = False
    #: which side changed since the last sync: "", "shop", "erp" or "both"
    changed: str = ""
    link: str = ""


@dataclasses.dataclass
class Unmatched:
    """Objects on one side only (nothing of the other side is linked or matches by SKU)."""

    shop_only: list[Row] = dataclasses.field(default_factory=list)
    erp_only: list[Row] = dataclasses.field(default_factory=list)


# ================================================================================================
# small helpers
# ================================================================================================


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def is_live(link: Mapping[str, Any] | None) -> bool:
    return bool(link) and link.get("state") != NOT_LINKED and bool(link.get("erp_name")) and bool(_int(link.get("woo_id")))


def key_of(product: Mapping[str, Any]) -> Key:
    if pm.kind_of_product(product) == pm.VARIATION:
        return (_int(product.get("parent_id")), _int(product.get("id")))
    return (_int(product.get("id")), 0)


def is_blacklisted(entries: Iterable[Mapping[str, Any]], item_code: str, key: Key | None, sku: str = "") -> bool:
    return blacklist_mod.match(entries, item_code, key, sku) is not None


def _pending_key(site: str, item_code: str) -> str:
    """Name of the Not linked link that carries an item's error before it has a product."""
    return f"{site}-item-0-{hashlib.sha1(item_code.encode('utf-8')).hexdigest()[:16]}"


def _chunks(values: list, size: int) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _find_in(erp: ERP, doctype: str, field: str, values: Iterable[str], filters: dict | None = None,
             fields: Iterable[str] = ("name",)) -> list[Doc]:
    values = sorted({v for v in values if v})
    rows: list[Doc] = []
    for part in _chunks(values, IN_CHUNK):
        rows += erp.find(doctype, {**(filters or {}), field: ("in", part)}, fields=tuple(fields))
    return rows


def _requests(client: Any) -> int:
    return int(getattr(client, "request_count", 0) or 0)


def _error_text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


# ================================================================================================
# the shop side as read
# ================================================================================================


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
    for part in _chunks(product_ids, BATCH):
        listed += list(client.iter("products", {"include": ",".join(map(str, part)), "orderby": "include"}))
    for obj in listed:
        if obj.get("status") == "trash":
            continue
        shop.add(obj)
    if with_variations:
        for obj in listed:
            if pm.kind_of_product(obj) == pm.VARIABLE and obj.get("variations") and obj.get("status") != "trash":
                for var in client.iter(f"products/{obj['id']}/variations"):
                    shop.add(var, parent_id=_int(obj["id"]))
    by_parent: dict[int, list[int]] = defaultdict(list)
    for pid, vid in variation_keys:
        if (pid, vid) not in shop:
            by_parent[pid].append(vid)
    for pid, vids in by_parent.items():
        for part in _chunks(sorted(vids), BATCH):
            for var in client.iter(f"products/{pid}/variations", {"include": ",".join(map(str, part))}):
                shop.add(var, parent_id=pid)
    return shop


# ================================================================================================
# the engine
# ================================================================================================


@dataclasses.dataclass
class Op:
    """One thing to do for one pair. ``key`` None: the product is to be created; ``code`` None:
    the item is to be created."""

    action: str  # pull | push | link | mark | unlink | draft
    key: Key | None
    code: str | None
    state: str = IN_SYNC
    error: str = ""
    row: Row | None = None


class _Engine:
    def __init__(self, erp: ERP, site: SiteConfig, client: Any = None):
        self.erp = erp
        self.site = site
        self.client = client
        #: one change (a delivery, an Item event), not a whole run: a lost race is raised for its
        #: job to run it again, where a whole run records it and goes on
        self.single = False
        self.binder = Binder(erp, site.name)
        self.ctx = pm.MappingContext.for_site(
            site, short_description=_has_field(erp, "Item", pm.SHORT_DESCRIPTION_FIELD),
            fallback_item_group=default_item_group(erp, site),
        )
        self.items: dict[str, Doc] = {}
        self.attrs: dict[str, list[tuple[str, str]]] = {}
        self.prices: dict[str, Doc] = {}
        self.sale_prices: dict[str, Doc] = {}
        self.variants_of: dict[str, list[str]] = defaultdict(list)
        self.links_by_key: dict[Key, Doc] = {}
        self.links_by_item: dict[str, Doc] = {}
        self.blacklist: list[Doc] = []
        self.shop = Shop()
        self._attribute_cache: dict[str, Doc | None] = {}
        #: every link of the site is indexed (else look the others up in the ERP)
        self._links_complete = False
        self._uom: str | None = None
        self.result = SyncResult()
        self._req0 = _requests(client)

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
            self._links_complete = True
        else:
            rows = _find_in(self.erp, LINK_DOCTYPE, "woo_id", [int(p) for p in product_ids or () if p], base, fields=("*",))
            rows += _find_in(self.erp, LINK_DOCTYPE, "erp_name", codes or (), base, fields=("*",))
        for row in rows:
            self._index_link(row)

    def _index_link(self, row: Doc) -> None:
        if _int(row.get("woo_id")):
            self.links_by_key[link_target(row)] = row
        code = row.get("erp_name")
        if code and row.get("erp_key"):
            old = self.links_by_item.get(code)
            if old is None or not is_live(old) or is_live(row):
                self.links_by_item[code] = row

    def _forget_link(self, row: Doc) -> None:
        if self.links_by_key.get(link_target(row), {}).get("name") == row.get("name"):
            self.links_by_key.pop(link_target(row), None)
        code = row.get("erp_name")
        if code and self.links_by_item.get(code, {}).get("name") == row.get("name"):
            self.links_by_item.pop(code, None)

    def load_blacklist(self) -> None:
        self.blacklist = self.erp.find(
            BLACKLIST_DOCTYPE, {"site": self.site.name}, fields=("name", "item_code", "woo_id", "woo_variation_id", "reason"))

    def load_items(self, codes: Iterable[str] | None = None) -> None:
        fields = ITEM_FIELDS + ((pm.SHORT_DESCRIPTION_FIELD,) if self.ctx.short_description else ())
        if codes is None:
            rows = self.erp.find("Item", {}, fields=fields)
            self._set_items(rows, every=True)
            return
        else:
            wanted = {c for c in codes if c}
            rows = _find_in(self.erp, "Item", "name", wanted, fields=fields)
            # a template comes with its variants, a variant with its template (and siblings)
            templates = {r["name"] for r in rows if r.get("has_variants")} | {r["variant_of"] for r in rows if r.get("variant_of")}
            if templates:
                more = _find_in(self.erp, "Item", "variant_of", templates, fields=fields)
                more += _find_in(self.erp, "Item", "name", templates - {r["name"] for r in rows}, fields=fields)
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
            attr_rows = _find_in(self.erp, "Item Variant Attribute", "parent", codes, {"parenttype": "Item"},
                                 fields=attr_fields)
        by_parent: dict[str, list] = defaultdict(list)
        for a in sorted(attr_rows, key=lambda a: (a.get("parent") or "", _int(a.get("idx")))):
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
            rows = _find_in(self.erp, "Item Price", "item_code", codes, {"price_list": price_list}, fields=fields)
        for r in rows:
            if r.get("customer") or r.get("supplier"):
                continue
            into.setdefault(r["item_code"], r)

    def reload_item(self, code: str) -> None:
        self.items.pop(code, None)
        self.prices.pop(code, None)
        self.sale_prices.pop(code, None)
        rows = _find_in(self.erp, "Item", "name", [code], fields=ITEM_FIELDS + (
            (pm.SHORT_DESCRIPTION_FIELD,) if self.ctx.short_description else ()))
        if rows:
            self._set_items(rows)

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
        if not item or item.get("disabled") or not _int(item.get("is_sales_item", 1)):
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

    # -------------------------------------------------------------------------------- deciding
    def decide_linked(self, key: Key, code: str, link: Doc, origin: str | None = None) -> Op:
        """A live link whose item and product are both at hand."""
        erp_c, woo_c = self.erp_canon(code), self.woo_canon(key)
        erp_fp, woo_fp = pm.fingerprint(erp_c), pm.fingerprint(woo_c)
        diffs = pm.differences(erp_c, woo_c)
        stored_erp, stored_woo = link.get("erp_fingerprint") or "", link.get("woo_fingerprint") or ""
        if not stored_erp or not stored_woo:
            # a link made elsewhere (an order's item) carries no baseline: the side that speaks wins
            erp_changed = origin == "erp" or (origin is None and bool(diffs))
            woo_changed = origin == "shop" or (origin is None and bool(diffs))
        else:
            erp_changed, woo_changed = erp_fp != stored_erp, woo_fp != stored_woo
        if not diffs:
            if erp_changed or woo_changed or link.get("state") != IN_SYNC or link.get("last_error"):
                return Op("mark", key, code, IN_SYNC, row=self.row(code, key))
            return Op("none", key, code)
        fields = ", ".join(diffs)
        if erp_changed and woo_changed:
            return Op("mark", key, code, OUT_OF_SYNC, row=self.row(code, key, f"changed on both sides: {fields}"),
                      error=f"Changed in the shop and in the ERP since the last sync; they now differ on {fields}. "
                            "Nothing was overwritten: choose which version to keep (Resync).")
        if woo_changed:
            if self.site.pulls_products():
                return Op("pull", key, code, row=self.row(code, key, fields))
            return Op("mark", key, code, OUT_OF_SYNC, row=self.row(code, key, f"changed in the shop: {fields}"),
                      error=f"Changed in the shop ({fields}); the site only sends products from the ERP to the shop.")
        if erp_changed:
            if self.site.pushes_products():
                return Op("push", key, code, row=self.row(code, key, fields))
            return Op("mark", key, code, OUT_OF_SYNC, row=self.row(code, key, f"changed in the ERP: {fields}"),
                      error=f"Changed in the ERP ({fields}); the site only takes products from the shop.")
        if link.get("state") != OUT_OF_SYNC:
            return Op("mark", key, code, OUT_OF_SYNC, row=self.row(code, key, fields),
                      error=link.get("last_error") or f"The item and the product differ on {fields}.")
        return Op("none", key, code)

    def plan(self, keys: Iterable[Key] | None = None, codes: Iterable[str] | None = None, *,
             keep: str | None = None, origin: str | None = None, create: bool = True) -> tuple[list[Op], Preview]:
        """Decide for the shop objects ``keys`` (default: all read) and the items ``codes``
        (default: all loaded). ``keep``: for pairs associated now, which side wins (None: link
        them and show Out of sync where they differ). ``create``: create what exists on one side
        only (per the site's direction)."""
        ops: list[Op] = []
        pv = Preview()
        keys = list(self.shop.keys() if keys is None else keys)
        codes = list(self.items if codes is None else codes)
        seen_codes: set[str] = set()
        creating_parents: set[int] = set()
        sku_index: dict[str, str] = {}
        for code in self.items:
            sku_index.setdefault(code.casefold(), code)

        # 1. every shop object in scope
        for key in sorted(keys, key=lambda k: (k[1] != 0, k)):
            obj = self.shop.get(key)
            if obj is None:
                continue
            sku = pm.text(obj.get("sku"))
            link = self.links_by_key.get(key)
            code = link.get("erp_name") if is_live(link) else None
            if self.blacklisted(code or "", key, sku):
                pv.blacklisted.append(self.row(code, key))
                if code:
                    seen_codes.add(code)
                continue
            if code and code in self.items:
                seen_codes.add(code)
                op = self.decide_linked(key, code, link, origin)
                self._record(op, ops, pv)
                continue
            if code and code not in self.items:
                # the item is gone from the ERP: the product goes to draft, the link to Not linked
                if self.erp.exists("Item", code):
                    self.reload_item(code)
                    seen_codes.add(code)
                    self._record(self.decide_linked(key, code, link, origin), ops, pv)
                    continue
                if self.site.pushes_products():
                    op = Op("draft", key, code, NOT_LINKED, error="The item was deleted in the ERP; the product was set to draft.",
                            row=self.row(code, key, "item deleted in the ERP"))
                else:
                    op = Op("unlink", key, code, NOT_LINKED, error="The item was deleted in the ERP.",
                            row=self.row(code, key, "item deleted in the ERP"))
                self._record(op, ops, pv)
                continue
            # not linked: associate by SKU, else create the item
            match = sku_index.get(sku.casefold()) if sku else None
            if match:
                seen_codes.add(match)
                if self._associate_op(key, match, keep, ops, pv) and pm.kind_of_product(obj) == pm.VARIABLE:
                    creating_parents.add(key[0])  # its new variations can be made under the template
                continue
            parent_ok = True
            if key[1]:
                parent_link = self.links_by_key.get((key[0], 0))
                parent_ok = key[0] in creating_parents or (is_live(parent_link) and
                                                           bool(self.items.get(parent_link["erp_name"], {}).get("has_variants")))
            if create and self.site.pulls_products() and parent_ok:
                if pm.kind_of_product(obj) == pm.VARIABLE:
                    creating_parents.add(key[0])
                op = Op("pull", key, None, row=self.row(None, key))
                ops.append(op)
                pv.create_in_erp.append(op.row)
            else:
                why = "the site does not take products from the shop" if not self.site.pulls_products() else (
                    "its variable product is not linked to a template item" if not parent_ok else "")
                pv.shop_only.append(self.row(None, key, why))

        # 2. every item in scope not met above
        creating_templates: set[str] = set()
        for code in sorted(codes, key=lambda c: (bool(self.items.get(c, {}).get("variant_of")), c)):
            if code in seen_codes or code not in self.items:
                continue
            link = self.links_by_item.get(code)
            key = link_target(link) if is_live(link) else None
            if self.blacklisted(code, key):
                pv.blacklisted.append(self.row(code, key))
                continue
            if key is not None:
                if key in self.shop:
                    self._record(self.decide_linked(key, code, link, origin), ops, pv)
                elif self.shop.complete:
                    op = Op("unlink", key, code, NOT_LINKED, error="The product is no longer in the shop.",
                            row=self.row(code, key, "product no longer in the shop"))
                    self._record(op, ops, pv)
                continue
            if link is not None and link.get("state") == NOT_LINKED:
                if self.eligible(code) or link.get("last_error"):
                    pv.erp_only.append(self.row(code, None, link.get("last_error") or "not linked"))
                continue
            if not self.eligible(code):
                continue
            item = self.items[code]
            template = item.get("variant_of")
            if template:
                if template in creating_templates:
                    continue  # created with its template
                t_link = self.links_by_item.get(template)
                if not is_live(t_link):
                    if not self.blacklisted(template, None):
                        pv.erp_only.append(self.row(code, None, f"its template {template} is not linked"))
                    continue
            if create and self.site.pushes_products():
                if item.get("has_variants"):
                    creating_templates.add(code)
                op = Op("push", None, code, row=self.row(code, None))
                ops.append(op)
                pv.create_in_shop.append(op.row)
            else:
                pv.erp_only.append(self.row(code, None, "" if self.site.pushes_products() else
                                            "the site does not send products to the shop"))
        return ops, pv

    def _associate_op(self, key: Key, code: str, keep: str | None, ops: list[Op], pv: Preview) -> bool:
        """Plan the link of an unlinked product and the item holding its SKU; False if they cannot be."""
        obj = self.shop.get(key)
        other = self.links_by_item.get(code)
        if is_live(other) and link_target(other) != key:
            msg = (f"SKU {pm.text(obj.get('sku'))} of {pm.woo_label(*key)} “{pm.text(obj.get('name'))}” is the code of "
                   f"item {code}, which is already linked to {pm.woo_label(*link_target(other))}. Change the product's "
                   "SKU, or unlink the item first.")
            pv.errors.append(self.row(code, key, msg))
            self.result.errors.append(self.row(code, key, msg))
            return False
        if self.blacklisted(code, None):
            pv.blacklisted.append(self.row(code, key))
            return False
        mismatch = _kind_mismatch(self.items[code], obj)
        if mismatch:
            pv.errors.append(self.row(code, key, mismatch))
            return False
        diffs = pm.differences(self.erp_canon(code), self.woo_canon(key))
        row = self.row(code, key, ", ".join(diffs) if diffs else "identical")
        pv.link.append(row)
        if not diffs or keep is None:
            ops.append(Op("link", key, code, IN_SYNC if not diffs else OUT_OF_SYNC, row=row,
                          error="" if not diffs else f"Associated by SKU; they differ on {', '.join(diffs)}. "
                                                      "Choose which version to keep (Resync)."))
        elif keep == "shop":
            ops.append(Op("pull", key, code, row=row))
            pv.update_erp.append(row)
        else:
            ops.append(Op("push", key, code, row=row))
            pv.update_shop.append(row)
        return True

    @staticmethod
    def _record(op: Op, ops: list[Op], pv: Preview) -> None:
        if op.action == "none":
            pv.in_sync += 1
            return
        ops.append(op)
        if op.action == "pull":
            pv.update_erp.append(op.row)
        elif op.action == "push":
            pv.update_shop.append(op.row)
        elif op.action == "mark" and op.state == OUT_OF_SYNC:
            pv.conflicts.append(op.row)
        elif op.action == "mark":
            pv.in_sync += 1
        elif op.action == "unlink":
            pv.unlink.append(op.row)
        elif op.action == "draft":
            pv.draft_in_shop.append(op.row)

    # -------------------------------------------------------------------------------- applying
    def apply(self, ops: list[Op], progress: Progress | None = None) -> SyncResult:
        erp_ops = [o for o in ops if o.action in ("pull", "link", "mark", "unlink")]
        shop_ops = [o for o in ops if o.action in ("push", "draft")]
        total = len(ops)
        done = 0
        # ERP first: products before variations (a variant needs its template)
        erp_ops.sort(key=lambda o: (o.key is not None and o.key[1] != 0, o.key or (0, 0)))
        for part in _chunks(erp_ops, ERP_CHUNK):
            self._erp_chunk(part)
            done += len(part)
            if progress:
                progress("erp", done, total)
        if shop_ops:
            self._shop_ops(shop_ops)
        done += len(shop_ops)
        if progress:
            progress("shop", done, total)
        self.result.requests = _requests(self.client) - self._req0
        self.result.cursor = self.shop.cursor
        return self.result

    def _erp_chunk(self, ops: list[Op]) -> None:
        """One transaction for the chunk; if it fails, each op alone, to set the bad one aside."""
        snapshot = (dict(self.links_by_key), dict(self.links_by_item))
        mark = _ResultMark(self.result)
        try:
            with self.erp.transaction():
                for op in ops:
                    self._erp_op(op)
            return
        except Exception as exc:  # noqa: BLE001
            if len(ops) == 1:
                self.links_by_key, self.links_by_item = snapshot
                mark.rollback()
                self._forget_writes(ops)
                if is_transient(exc) or (self.single and is_lost_race(exc)):
                    # a single change (a delivery, an Item event) that met another job: its job
                    # runs it again on fresh reads instead of recording a failure
                    raise
                op = ops[0]
                msg = _error_text(exc)
                self.result.errors.append(op.row or self.row(op.code, op.key, msg))
                self.result.errors[-1].detail = msg
                self._note_error(op.code, op.key, msg)
                return
            self.links_by_key, self.links_by_item = snapshot
            mark.rollback()
            self._forget_writes(ops)
        for op in ops:
            self._erp_chunk([op])

    def _forget_writes(self, ops: list[Op]) -> None:
        """After a rollback: read again the items the transaction had touched."""
        self._attribute_cache.clear()
        for op in ops:
            codes = [op.code] if op.code else []
            obj = self.shop.get(op.key) if op.key else None
            if op.code is None and obj is not None:
                codes.append(self._item_code_for(obj, op.key))
            for code in codes:
                self.reload_item(code)

    def _note_error(self, code: str | None, key: Key | None, msg: str) -> None:
        """Put ``msg`` on the pair's link (in its own transaction)."""
        try:
            with self.erp.transaction():
                link = self.links_by_key.get(key) if key else None
                if link is None and code:
                    link = self.links_by_item.get(code)
                if link is not None:
                    self._update_link(link, last_error=msg[:2000])
                elif code and self.erp.exists("Item", code):
                    self._pending_link(code, msg)
        except ERPError:
            log.warning("shopsync: could not record an error for %s/%s", code, key)

    def _erp_op(self, op: Op) -> None:
        if op.action == "pull":
            self._pull(op)
        elif op.action == "link":
            self._bind(op.key, op.code, state=op.state, error=op.error)
            self.result.linked.append(op.row or self.row(op.code, op.key))
            if op.state == OUT_OF_SYNC:
                self.result.out_of_sync.append(op.row or self.row(op.code, op.key))
        elif op.action == "mark":
            link = self.links_by_key.get(op.key) or self.links_by_item.get(op.code)
            if op.state == IN_SYNC:
                self._bind(op.key, op.code, state=IN_SYNC)
                self.result.in_sync += 1
            else:
                self._update_link(link, state=op.state, last_error=op.error or None)
                self.result.out_of_sync.append(op.row or self.row(op.code, op.key))
        elif op.action == "unlink":
            link = self.links_by_key.get(op.key) or self.links_by_item.get(op.code)
            if link is not None:
                self._update_link(link, state=NOT_LINKED, **self._gone_item_values(op.code, op.error))
            self.result.unlinked.append(op.row or self.row(op.code, op.key))

    # ---------------------------------------------------------------- pull: shop -> ERP
    def _pull(self, op: Op) -> None:
        key = op.key
        obj = self.shop.get(key)
        parent = self.shop.parent(key)
        code = op.code
        if code is None:
            code = self._create_item(key, obj, parent)
            self.result.created_items.append(code)
        else:
            self._update_item(code, key, obj)
        state, error = self._state_after(code, obj)
        self._bind(key, code, state=state, error=error)
        if state == OUT_OF_SYNC:
            self.result.out_of_sync.append(self.row(code, key, error))

    def _state_after(self, code: str, obj: Mapping[str, Any]) -> tuple[str, str]:
        """The state once one side was copied to the other: In sync, unless what cannot be copied
        still differs (an item code is never renamed after a SKU)."""
        diffs = pm.differences(self.erp_canon(code), pm.woo_canonical(obj, self.ctx))
        if not diffs:
            return IN_SYNC, ""
        if diffs == ["sku"]:
            return OUT_OF_SYNC, (f"The product's SKU {pm.text(obj.get('sku')) or '(none)'} differs from the item code "
                                 f"{code}; item codes are not renamed from the shop. Resync keeping the ERP's version "
                                 "to set the SKU.")
        return OUT_OF_SYNC, f"They still differ on {', '.join(diffs)} after the sync."

    def _create_item(self, key: Key, obj: dict, parent: dict | None) -> str:
        kind = pm.kind_of_product(obj)
        code = self._item_code_for(obj, key)
        values = pm.item_values(obj, self.ctx, parent_name=(parent or {}).get("name", ""))
        if kind == pm.VARIATION:
            t_link = self.links_by_key.get((key[0], 0))
            template = t_link.get("erp_name") if is_live(t_link) else None
            if not template or not self.items.get(template, {}).get("has_variants"):
                raise ProductSyncError(
                    f"Variation #{key[1]} of product #{key[0]}: its variable product is not linked to a template item")
            attrs = {pm.text(a.get("name")): pm.text(a.get("option")) for a in obj.get("attributes") or []}
            t_names = [a for a, _ in self.attrs.get(template, [])]
            missing = [n for n in t_names if not attrs.get(n)] + [n for n, v in attrs.items() if not v and n not in t_names]
            if missing:
                raise ProductSyncError(
                    f"Variation #{key[1]} of product #{key[0]} has no value for {', '.join(missing)} (\"any\"); "
                    "an ERPNext variant needs one value per attribute")
            t_attrs = [a for a, _ in self.attrs.get(template, [])]
            extra = sorted(set(attrs) - set(t_attrs))
            if extra:
                raise ProductSyncError(
                    f"Variation #{key[1]} of product #{key[0]} uses attribute(s) {', '.join(extra)} that template "
                    f"{template} does not have")
            for name, value in attrs.items():
                self._ensure_attribute(name, [value])
            doc = dict(self.erp.make_variant(template, attrs))
            for k in ("name", "__islocal", "__unsaved"):
                doc.pop(k, None)
            doc["doctype"] = "Item"
            doc["item_code"] = code
            doc.update(values)
            doc.setdefault("description", values.get("item_name") or code)
        else:
            doc = {
                "doctype": "Item",
                "item_code": code,
                "stock_uom": self.default_uom(),
                "is_stock_item": 0 if (obj.get("virtual") or obj.get("downloadable")) else 1,
                **values,
            }
            if kind == pm.VARIABLE:
                names = [pm.text(a.get("name")) for a in obj.get("attributes") or [] if a.get("variation", True)]
                names = [n for n in names if n]
                if not names:
                    raise ProductSyncError(f"Variable product #{key[0]} has no attribute used for variations")
                for a in obj.get("attributes") or []:
                    if pm.text(a.get("name")) in names:
                        self._ensure_attribute(pm.text(a.get("name")), [pm.text(o) for o in a.get("options") or []])
                doc["has_variants"] = 1
                doc["attributes"] = [{"attribute": n} for n in names]
        item = self.erp.insert(doc)
        code = item.get("name") or code
        self._remember_item(item)
        self._set_price(code, obj)
        return code

    def _remember_item(self, item: Doc) -> None:
        """Index an item just inserted, from the document itself (no query: bulk runs insert many)."""
        code = item["name"]
        self.items[code] = _pick(item, ITEM_FIELDS + ((pm.SHORT_DESCRIPTION_FIELD,) if self.ctx.short_description else ()))
        self.attrs[code] = [(a.get("attribute") or "", a.get("attribute_value") or "") for a in item.get("attributes") or []]
        if item.get("variant_of") and code not in self.variants_of[item["variant_of"]]:
            self.variants_of[item["variant_of"]].append(code)

    def _item_code_for(self, obj: dict, key: Key) -> str:
        sku = pm.text(obj.get("sku"))
        if sku:
            return sku[:pm.ITEM_CODE_MAX]
        return _woo_item_code(self.site.name, key[0], key[1])

    def _update_item(self, code: str, key: Key, obj: dict) -> None:
        current = self.items[code]
        values = pm.item_values(obj, self.ctx, current=current)
        changed = False
        if values:
            self.erp.update("Item", code, values)
            current.update(values)
            changed = True
        if self._set_price(code, obj):
            changed = True
        if changed:
            self.result.updated_items.append(code)

    def _set_price(self, code: str, obj: Mapping[str, Any]) -> bool:
        changed = False
        canon = pm.woo_canonical(obj, self.ctx)
        if self.site.price_list and canon.get("regular_price"):
            changed |= self._upsert_price(code, self.site.price_list, canon["regular_price"], self.prices)
        sale_list = getattr(self.site, "sale_price_list", "")
        if sale_list and "sale_price" in canon:
            if canon["sale_price"]:
                changed |= self._upsert_price(code, sale_list, canon["sale_price"], self.sale_prices)
            elif code in self.sale_prices:
                self.erp.delete("Item Price", self.sale_prices.pop(code)["name"])
                changed = True
        return changed

    def _upsert_price(self, code: str, price_list: str, rate: str, into: dict[str, Doc]) -> bool:
        row = into.get(code)
        value = float(rate)
        if row is not None:
            if pm.price(row.get("price_list_rate")) == pm.price(rate):
                return False
            self.erp.update("Item Price", row["name"], {"price_list_rate": value})
            row["price_list_rate"] = value
            return True
        uom = self.items.get(code, {}).get("stock_uom") or self.default_uom()
        doc = self.erp.insert({"doctype": "Item Price", "item_code": code, "price_list": price_list,
                               "price_list_rate": value, "uom": uom})
        into[code] = {"name": doc["name"], "item_code": code, "price_list_rate": value, "uom": uom}
        return True

    def _ensure_attribute(self, name: str, values: list[str]) -> None:
        """The Item Attribute ``name`` with every value of ``values`` (added where missing)."""
        values = [v for v in values if v]
        if name not in self._attribute_cache:
            try:
                self._attribute_cache[name] = self.erp.get("Item Attribute", name)
            except DoesNotExistError:
                self._attribute_cache[name] = None
        attr = self._attribute_cache[name]
        rows = [{"attribute_value": r.get("attribute_value"), "abbr": r.get("abbr")}
                for r in (attr or {}).get("item_attribute_values") or []]
        have = {r["attribute_value"] for r in rows}
        abbrs = {r["abbr"] for r in rows}
        added = False
        for value in values:
            if value in have:
                continue
            abbr, n = value[:140], 1
            while abbr in abbrs:
                abbr, n = f"{value[:130]}-{n}", n + 1
            rows.append({"attribute_value": value, "abbr": abbr})
            have.add(value)
            abbrs.add(abbr)
            added = True
        if attr is None:
            self._attribute_cache[name] = self.erp.insert(
                {"doctype": "Item Attribute", "attribute_name": name, "item_attribute_values": rows})
        elif added:
            self._attribute_cache[name] = self.erp.update("Item Attribute", name, {"item_attribute_values": rows})

    def default_uom(self) -> str:
        if self._uom is None:
            try:
                self._uom = self.erp.get_single_value("Stock Settings", "stock_uom") or DEFAULT_UOM
            except ERPError:
                self._uom = DEFAULT_UOM
        return self._uom

    # ---------------------------------------------------------------- links
    def _bind(self, key: Key, code: str, *, state: str, error: str = "", woo_obj: Mapping[str, Any] | None = None) -> Doc:
        """Create or update the link of (key, code) with both sides' fingerprints as they are now."""
        obj = woo_obj if woo_obj is not None else self.shop.get(key)
        values: dict[str, Any] = {
            "erp_fingerprint": pm.fingerprint(self.erp_canon(code)),
            "woo_fingerprint": pm.fingerprint(pm.woo_canonical(obj, self.ctx)),
            "woo_modified_gmt": obj.get("date_modified_gmt") or None,
            "sku": pm.text(obj.get("sku")) or None,
            "state": state,
            "last_error": error or None,
            "last_synced_at": self.erp.now(),
        }
        existing = self.links_by_key.get(key)
        if existing is None and not self._links_complete:
            existing = self.binder.get(KIND, key[0], key[1])
        # the item's former link (Not linked, or a pending error) makes way
        former = self.links_by_item.get(code)
        if former is None and not self._links_complete:
            former = self.binder.for_erp("Item", code)
        if former is not None and (existing is None or former.get("name") != existing.get("name")):
            if is_live(former) and link_target(former) != key:
                raise ProductSyncError(
                    f"Item {code} is already linked to {pm.woo_label(*link_target(former))}; unlink it first")
            self.erp.delete(LINK_DOCTYPE, former["name"])
            self._forget_link(former)
        if existing is not None:
            if is_live(existing) and existing.get("erp_name") != code:
                raise ProductSyncError(
                    f"{pm.woo_label(*key)} is already linked to item {existing.get('erp_name')}; unlink it first")
            values.update(erp_name=code, erp_doctype="Item", erp_key=erp_key(self.site.name, "Item", code))
            if key[1]:
                values["woo_parent_id"] = key[0]
            doc = self._update_link(existing, **values)
        else:
            extra = dict(values)
            if key[1]:
                extra["woo_parent_id"] = key[0]
            doc = self.binder.bind(KIND, key[0], code, key[1], **extra)
        self._index_link(doc)
        return doc

    def _update_link(self, link: Doc, **values: Any) -> Doc:
        self._forget_link(link)
        doc = self.binder.update(link, **values)
        merged = {**link, **values, **(doc or {})}
        self._index_link(merged)
        return merged

    def _pending_link(self, code: str, msg: str) -> Doc:
        """A Not linked link for an item that has no product yet, carrying why."""
        former = self.links_by_item.get(code)
        if former is None and not self._links_complete:
            former = self.binder.for_erp("Item", code)
        if former is not None:
            return self._update_link(former, last_error=msg[:2000])
        doc = self.erp.insert({
            "doctype": LINK_DOCTYPE, "link_key": _pending_key(self.site.name, code), "site": self.site.name,
            "link_type": KIND, "woo_id": 0, "woo_variation_id": 0, "erp_doctype": "Item", "erp_name": code,
            "erp_key": erp_key(self.site.name, "Item", code), "state": NOT_LINKED, "last_error": msg[:2000],
            "sku": code,
        })
        self._index_link(doc)
        return doc

    # ---------------------------------------------------------------- push: ERP -> shop
    def _shop_ops(self, ops: list[Op]) -> None:
        creates = [o for o in ops if o.action == "push" and o.key is None]
        updates = [o for o in ops if o.action == "push" and o.key is not None]
        drafts = [o for o in ops if o.action == "draft"]
        done: list[tuple[Op, Key, dict]] = []  # (op, key, product as the shop answered)
        failed: list[tuple[Op, str]] = []

        # products (simple and variable) first, then variations per parent
        product_updates: list[tuple[Op, dict]] = []
        variation_updates: dict[int, list[tuple[Op, dict]]] = defaultdict(list)
        for op in updates:
            payload = self._payload(op.code, op.key)
            (variation_updates[op.key[0]] if op.key[1] else product_updates).append((op, payload))
        for op in drafts:
            payload = {"status": "private" if op.key[1] else "draft"}
            (variation_updates[op.key[0]] if op.key[1] else product_updates).append((op, payload))

        new_products: list[tuple[Op, dict]] = []
        new_variations: dict[int, list[tuple[Op, str, dict]]] = defaultdict(list)
        for op in creates:
            item = self.items[op.code]
            if item.get("variant_of"):
                t_link = self.links_by_item.get(item["variant_of"])
                pid = link_target(t_link)[0]
                new_variations[pid].append((op, op.code, {}))
            else:
                new_products.append((op, self._payload(op.code, None)))

        # parents of new variations get the new attribute values first
        for pid, entries in new_variations.items():
            parent = self.shop.products.get(pid)
            if parent is None:
                continue
            template = self.links_by_key.get((pid, 0), {}).get("erp_name")
            if template and template in self.items:
                attrs = pm.variable_attributes(self._attribute_options(template), parent)
                if _attrs_changed(parent, attrs):
                    for op, payload in product_updates:
                        if op.key == (pid, 0):
                            payload["attributes"] = attrs
                            break
                    else:
                        product_updates.append((Op("parent", (pid, 0), template), {"attributes": attrs}))

        if product_updates or new_products:
            res = self.client.batch(
                "products/batch",
                create=[p for _, p in new_products],
                update=[{"id": op.key[0], **p} for op, p in product_updates],
            )
            by_sku = {pm.text(p.get("sku")).casefold(): op for op, p in new_products}
            by_id = {op.key[0]: op for op, _ in product_updates}
            for action, sent, answer in res.pairs:
                if action == "create":
                    op = by_sku.get(pm.text(sent.get("sku")).casefold())
                    if op is not None:
                        key = (_int(answer.get("id")), 0)
                        self.shop.add(answer)
                        done.append((op, key, answer))
                else:
                    op = by_id.get(_int(sent.get("id")))
                    if op is not None:
                        self.shop.add(answer)
                        if op.action != "parent":
                            done.append((op, op.key, answer))
            for err in res.errors:
                sent = err.object if isinstance(err.object, Mapping) else {"id": err.object}
                op = by_id.get(_int(sent.get("id"))) if err.action != "create" else by_sku.get(pm.text(sent.get("sku")).casefold())
                if op is not None and op.action != "parent":
                    failed.append((op, self._batch_error_text(op, sent, err)))

        # variations of the variable products just created
        for op, key, answer in list(done):
            if op.key is None and self.items[op.code].get("has_variants"):
                for v_code in sorted(self.variants_of.get(op.code, [])):
                    if self._variant_to_create(v_code):
                        new_variations[key[0]].append((Op("push", None, v_code, row=self.row(v_code)), v_code, {}))
        for pid in sorted(set(new_variations) | set(variation_updates)):
            parent = self.shop.products.get(pid)
            creates_v = []
            for op, v_code, _ in new_variations.get(pid, []):
                creates_v.append((op, pm.variation_payload(self.erp_canon(v_code), self.ctx, parent=parent,
                                                           item_image_url=self.items[v_code].get("image") or "")))
            updates_v = variation_updates.get(pid, [])
            if not creates_v and not updates_v:
                continue
            res = self.client.batch(
                f"products/{pid}/variations/batch",
                create=[p for _, p in creates_v],
                update=[{"id": op.key[1], **p} for op, p in updates_v],
            )
            by_sku = {pm.text(p.get("sku")).casefold(): op for op, p in creates_v}
            by_id = {op.key[1]: op for op, _ in updates_v}
            for action, sent, answer in res.pairs:
                answer = {**answer, "parent_id": answer.get("parent_id") or pid, "type": answer.get("type") or pm.VARIATION}
                op = by_sku.get(pm.text(sent.get("sku")).casefold()) if action == "create" else by_id.get(_int(sent.get("id")))
                if op is not None:
                    key = (pid, _int(answer.get("id")))
                    self.shop.add(answer, parent_id=pid)
                    done.append((op, key, answer))
            for err in res.errors:
                sent = err.object if isinstance(err.object, Mapping) else {"id": err.object}
                op = by_sku.get(pm.text(sent.get("sku")).casefold()) if err.action == "create" else by_id.get(_int(sent.get("id")))
                if op is not None:
                    failed.append((op, self._batch_error_text(op, sent, err)))

        # record what the shop accepted, in short transactions
        for part in _chunks(done, ERP_CHUNK):
            with self.erp.transaction():
                for op, key, answer in part:
                    self._after_push(op, key, answer)
        for part in _chunks(failed, ERP_CHUNK):
            for op, msg in part:
                self.result.errors.append(self.row(op.code, op.key, msg))
                self._note_error(op.code, op.key, msg)

    def _variant_to_create(self, v_code: str) -> bool:
        item = self.items.get(v_code) or {}
        if item.get("disabled") or self.blacklisted(v_code, None):
            return False
        return not is_live(self.links_by_item.get(v_code))

    def _after_push(self, op: Op, key: Key, answer: dict) -> None:
        if op.action == "draft":
            link = self.links_by_key.get(key) or self.links_by_item.get(op.code)
            if link is not None:
                self._update_link(link, state=NOT_LINKED, woo_fingerprint=pm.fingerprint(pm.woo_canonical(answer, self.ctx)),
                                  **self._gone_item_values(op.code, op.error))
            self.result.drafted.append(self.row(op.code, key))
            return
        state, error = self._state_after(op.code, answer)
        self._bind(key, op.code, state=state, error=error, woo_obj=answer)
        row = self.row(op.code, key)
        (self.result.created_products if op.key is None else self.result.updated_products).append(row)

    def _gone_item_values(self, code: str, why: str) -> dict[str, Any]:
        """Link fields once its item is deleted: no item named any more (the link field would not
        validate), the code kept in the message."""
        if self.erp.exists("Item", code):
            return {"last_error": why or None}
        return {"erp_name": None, "erp_key": None, "last_error": f"Item {code}: {why}" if why else f"Item {code} deleted"}

    def _attribute_options(self, template: str) -> dict[str, list[str]]:
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

    def _payload(self, code: str, key: Key | None) -> dict:
        item = self.items[code]
        canon = self.erp_canon(code)
        current = self.shop.get(key) if key else None
        if canon["kind"] == pm.VARIATION:
            return pm.variation_payload(canon, self.ctx, current=current, parent=self.shop.parent(key) if key else None,
                                        item_image_url=item.get("image") or "")
        return pm.product_payload(canon, self.ctx, current=current, item_image_url=item.get("image") or "",
                                  attribute_options=self._attribute_options(code) if canon["kind"] == pm.VARIABLE else None)

    def _batch_error_text(self, op: Op, sent: Mapping[str, Any], err: Any) -> str:
        code = getattr(err, "code", "") or ""
        data = getattr(err, "data", None) or {}
        if code == "product_invalid_sku":
            other_id = _int(data.get("resource_id"))
            return sku_clash_message(pm.text(sent.get("sku")) or op.code, op.code, None, self._link_of_object(other_id),
                                     other_product=other_id)
        what = "create" if op.key is None else "update"
        return f"The shop refused to {what} the product of item {op.code}: {getattr(err, 'message', '') or code} ({code})"

    def _link_of_object(self, woo_object_id: int) -> Doc | None:
        """The live link of a product or variation, by its own id."""
        if not woo_object_id:
            return None
        link = self.links_by_key.get((woo_object_id, 0))
        if is_live(link):
            return link
        for key, link in self.links_by_key.items():
            if key[1] == woo_object_id and is_live(link):
                return link
        if self._links_complete:
            return None
        base = {"site": self.site.name, "link_type": KIND}
        rows = self.erp.find(LINK_DOCTYPE, {**base, "woo_id": woo_object_id, "woo_variation_id": 0}, fields=("*",))
        rows += self.erp.find(LINK_DOCTYPE, {**base, "woo_variation_id": woo_object_id}, fields=("*",))
        return next((r for r in rows if is_live(r)), None)


class _ResultMark:
    """Where the result's lists stood, to forget what a rolled-back transaction added."""

    def __init__(self, result: SyncResult):
        self.result = result
        self.sizes = {f.name: len(getattr(result, f.name)) for f in dataclasses.fields(result)
                      if isinstance(getattr(result, f.name), list)}
        self.in_sync = result.in_sync

    def rollback(self) -> None:
        for name, size in self.sizes.items():
            del getattr(self.result, name)[size:]
        self.result.in_sync = self.in_sync


def _attrs_changed(parent: Mapping[str, Any], attrs: list[dict]) -> bool:
    have = {pm.text(a.get("name")): list(a.get("options") or []) for a in parent.get("attributes") or []}
    want = {pm.text(a.get("name")): list(a.get("options") or []) for a in attrs}
    return have != want


def _kind_mismatch(item: Mapping[str, Any], obj: Mapping[str, Any]) -> str:
    ik, pk = pm.kind_of_item(item), pm.kind_of_product(obj)
    if ik == pk:
        return ""
    names = {pm.SIMPLE: "a simple product", pm.VARIABLE: "a variable product (template item)", pm.VARIATION: "a variation (variant item)"}
    return (f"Item {item.get('name')} is {names[ik]} but {pm.woo_label(*key_of(obj))} is {names[pk]}; "
            "they cannot be linked")


def _pick(doc: Mapping[str, Any], fields: Iterable[str]) -> Doc:
    return {f: doc.get(f) for f in fields} | {"name": doc.get("name")}


def _woo_item_code(site: str, product_id: int, variation_id: int = 0) -> str:
    """Item code of a product without SKU (the same as the order import's)."""
    try:
        from shopsync.sync.items import woo_item_code
    except ImportError:  # pragma: no cover - the order import is a sibling module
        code = f"WC-{site}-{product_id}"
        return f"{code}-{variation_id}" if variation_id else code
    return woo_item_code(site, product_id, variation_id)


def sku_clash_message(sku: str, code: str | None, key: Key | None, other: Mapping[str, Any] | None,
                      other_product: int = 0) -> str:
    """The error for a SKU used twice, naming both sides."""
    mine = f"item {code}" if code else "this product"
    if key:
        mine += f" ({pm.woo_label(*key)})"
    if other is not None and is_live(other):
        theirs = f"{pm.woo_label(*link_target(other))}, linked to item {other.get('erp_name')}"
        if other_product and other_product not in link_target(other):
            theirs = f"product #{other_product} ({theirs})"
    elif other_product:
        theirs = f"product #{other_product}, which is not linked to any item"
    else:
        theirs = "another product"
    return (f"SKU {sku} of {mine} is already used by {theirs}. Change one of the two SKUs, "
            "or associate them if they are the same product.")


_FIELD_CACHE: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def _has_field(erp: ERP, doctype: str, field: str) -> bool:
    """Whether ``doctype`` has the custom field ``field`` on this ERP (Frappe names a Custom Field
    "<doctype>-<fieldname>"); asked once per ERP object."""
    try:
        cache = _FIELD_CACHE.setdefault(erp, {})
    except TypeError:  # not weak-referenceable: ask every time
        cache = {}
    if (doctype, field) not in cache:
        try:
            cache[(doctype, field)] = bool(erp.exists("Custom Field", f"{doctype}-{field}"))
        except Exception:  # noqa: BLE001 - an ERP without the Custom Field doctype
            cache[(doctype, field)] = False
    return cache[(doctype, field)]


# ================================================================================================
# webhooks
# ================================================================================================


def handle_delivery(rt: Any, site: SiteConfig, event: str, payload: Mapping[str, Any]):
    """A product.created / updated / deleted delivery (also a variation's: type "variation").

    Returns a :class:`shopsync.sync.deliveries.Outcome`: Done, Skipped (nothing changed, the echo
    of our own write, blacklisted, not taken by the site's direction) or Failed (with the reason).
    """
    from shopsync.sync.deliveries import Outcome

    erp = rt.erp
    if not isinstance(payload, Mapping) or (payload.get("code") and not payload.get("id")):
        what = payload.get("code", "empty") if isinstance(payload, Mapping) else "not an object"
        return Outcome("Skipped", f"No product in the delivery ({what})")
    pid = _int(payload.get("id"))
    if event == "deleted" or payload.get("status") == "trash":
        # The shop is asked first: a signed body can be re-labelled or replayed as a deletion.
        with shop_client(rt, site) as client:
            still = client.get_unless_gone(f"products/{pid}")
        if still is not None:
            return Outcome("Skipped", f"#Woo: {pid} is still in the shop ({still.get('status') or 'present'}):"
                                      " the deletion was not applied")
        return _product_trashed(erp, site, pid)

    product = dict(payload)
    key = key_of(product)
    eng = _Engine(erp, site, None)
    eng.single = True
    eng.load_links(product_ids=[key[0]])
    eng.load_blacklist()
    link = eng.links_by_key.get(key)
    sku = pm.text(product.get("sku"))
    code = link.get("erp_name") if is_live(link) else None
    if eng.blacklisted(code or "", key, sku):
        return Outcome("Skipped", f"{pm.woo_label(*key)} is on the blacklist of site {site.name}")
    if code is None and not site.pulls_products():
        return Outcome("Skipped", f"{pm.woo_label(*key)} is not linked and the site does not take products from the shop")
    seen = (link or {}).get("woo_modified_gmt") or ""
    if code and seen and (product.get("date_modified_gmt") or "") and product["date_modified_gmt"] < seen:
        return Outcome("Skipped", f"{pm.woo_label(*key)}: this delivery ({product['date_modified_gmt']}) is older "
                                  f"than the product already synced ({seen})")

    def use_client():
        if eng.client is None:
            eng.client = rt.client_for(site)
            eng._req0 = _requests(eng.client)
        return eng.client

    # read what the decision needs from the shop, outside any transaction
    eng.shop.add(product)
    keys = [key]
    if code is None:
        parent_link = eng.links_by_key.get((key[0], 0)) if key[1] else None
        if key[1] and not is_live(parent_link):
            # a variation of a product we do not know: take the product with all its variations
            fetch_shop(use_client(), product_ids=[key[0]], shop=eng.shop)
            if key not in eng.shop:
                eng.shop.add(product)
            keys = [(key[0], 0)] + eng.shop.variations_of(key[0])
        elif not key[1] and pm.kind_of_product(product) == pm.VARIABLE and product.get("variations"):
            for var in use_client().iter(f"products/{key[0]}/variations"):
                eng.shop.add(var, parent_id=key[0])
            keys = [key] + eng.shop.variations_of(key[0])
    codes = set()
    for k in keys + [(k[0], 0) for k in keys if k[1]]:
        lk = eng.links_by_key.get(k)
        if is_live(lk):
            codes.add(lk["erp_name"])
        s = pm.text((eng.shop.get(k) or {}).get("sku"))
        if s:
            codes.add(s)
    eng.load_items(codes)
    eng.load_links(codes=list(eng.items))
    ops, pv = eng.plan(keys=keys, codes=[], origin="shop")
    if any(o.action in ("push", "draft") for o in ops):
        use_client()
    if pv.errors:
        _record_clash(eng, pv.errors)
    res = eng.apply(ops) if ops else eng.result
    failures = [r.detail for r in pv.errors + res.errors if r.detail]
    if failures:
        return Outcome("Failed", "; ".join(dict.fromkeys(failures)))
    if not ops:
        if pv.shop_only:
            return Outcome("Skipped", f"{pm.woo_label(*key)}: {pv.shop_only[0].detail or 'not taken'}")
        if pv.blacklisted:
            return Outcome("Skipped", f"{pm.woo_label(*key)} is on the blacklist of site {site.name}")
        return Outcome("Skipped", f"{pm.woo_label(*key)}: nothing changed since the last sync")
    if res.out_of_sync and not (res.created_items or res.updated_items):
        return Outcome("Done", f"{pm.woo_label(*key)} out of sync: {res.out_of_sync[0].detail}")
    return Outcome("Done", res.summary())


def _record_clash(eng: _Engine, rows: list[Row]) -> None:
    """A duplicate SKU found while pulling: the error goes on the link of the item holding it."""
    for r in rows:
        if not r.item_code:
            continue
        link = eng.links_by_item.get(r.item_code)
        if link is not None:
            with eng.erp.transaction():
                eng._update_link(link, last_error=r.detail[:2000])


def _product_trashed(erp: ERP, site: SiteConfig, pid: int):
    """product.deleted (a trash; a permanent delete sends nothing): its links go Not linked, the
    items stay. ``pid`` may be a variation's id."""
    from shopsync.sync.deliveries import Outcome

    rows = erp.find(LINK_DOCTYPE, {"site": site.name, "link_type": KIND, "woo_id": pid}, fields=("*",))
    rows += erp.find(LINK_DOCTYPE, {"site": site.name, "link_type": KIND, "woo_variation_id": pid}, fields=("*",))
    rows = [r for r in {r["name"]: r for r in rows}.values() if r.get("state") != NOT_LINKED]
    if not rows:
        return Outcome("Skipped", f"#Woo: {pid} trashed; it was not linked")
    with erp.transaction():
        for r in rows:
            erp.update(LINK_DOCTYPE, r["name"], {
                "state": NOT_LINKED, "last_error": f"The product was deleted in the shop ({erp.now()}); the item stays.",
                "last_synced_at": erp.now()})
    items = ", ".join(sorted(r.get("erp_name") or "" for r in rows))
    return Outcome("Done", f"#Woo: {pid} trashed in the shop: item(s) {items} not linked any more")


# ================================================================================================
# ERP events
# ================================================================================================


def push_item(erp: ERP, site: SiteConfig, client: Any, item_code: str) -> SyncResult:
    """After an Item or Item Price change (queued by the doc events, one job per item).

    No shop request when the item's synced fields did not change since the last sync."""
    eng = _Engine(erp, site, client)
    eng.single = True
    if not erp.exists("Item", item_code):
        return item_deleted(erp, site, client, item_code)
    eng.load_blacklist()
    eng.load_items([item_code])
    eng.load_links(codes=list(eng.items))
    item = eng.items[item_code]
    link = eng.links_by_item.get(item_code)
    if eng.blacklisted(item_code, link_target(link) if is_live(link) else None):
        eng.result.skipped.append(eng.row(item_code, None, "blacklisted"))
        return eng.result
    if is_live(link):
        key = link_target(link)
        erp_fp = pm.fingerprint(eng.erp_canon(item_code))
        if link.get("erp_fingerprint") and erp_fp == link["erp_fingerprint"]:
            eng.result.in_sync += 1
            return eng.result  # nothing of ours changed (or it is the echo of a pull)
        if not site.pushes_products():
            fetch_shop(client, product_ids=[key[0]] if not key[1] else [], variation_keys=[key] if key[1] else [],
                       with_variations=False, shop=eng.shop)
        else:
            fetch_shop(client, product_ids=[key[0]], variation_keys=[key] if key[1] else [], with_variations=False,
                       shop=eng.shop)
        if key not in eng.shop:
            ops = [Op("unlink", key, item_code, NOT_LINKED, error="The product is no longer in the shop.",
                      row=eng.row(item_code, key))]
        else:
            ops, _ = eng.plan(keys=[key], codes=[], origin="erp")
        return eng.apply(ops)
    # not linked
    if link is not None and link.get("state") == NOT_LINKED and _int(link.get("woo_id")):
        # its product was trashed in the shop: not made again unless asked (Create on the other side)
        eng.result.skipped.append(eng.row(item_code, None, "not linked (use Create on the other side)"))
        return eng.result
    if not site.pushes_products() or not eng.eligible(item_code):
        eng.result.skipped.append(eng.row(item_code, None, "not for the shop"))
        return eng.result
    template = item.get("variant_of")
    if template:
        t_link = eng.links_by_item.get(template)
        if not is_live(t_link):
            return push_item(erp, site, client, template) if not eng.blacklisted(template, None) else eng.result
        fetch_shop(client, product_ids=[link_target(t_link)[0]], with_variations=False, shop=eng.shop)
    ops, pv = eng.plan(keys=[], codes=[item_code], origin="erp")
    return eng.apply(ops)


def item_deleted(erp: ERP, site: SiteConfig, client: Any, item_code: str) -> SyncResult:
    """After an Item was deleted: its product goes to draft (a variation: private), never deleted;
    the link goes Not linked."""
    eng = _Engine(erp, site, client)
    eng.load_links(codes=[item_code])
    link = eng.links_by_item.get(item_code)
    if link is None:
        rows = erp.find(LINK_DOCTYPE, {"site": site.name, "link_type": KIND, "erp_name": item_code}, fields=("*",))
        link = next((r for r in rows if is_live(r)), None)
    if not is_live(link):
        eng.result.skipped.append(eng.row(item_code, None, "not linked"))
        return eng.result
    key = link_target(link)
    eng.load_blacklist()
    if eng.blacklisted(item_code, key):
        eng.result.skipped.append(eng.row(item_code, key, "blacklisted"))
        return eng.result
    op = Op("draft", key, item_code, NOT_LINKED, error="The item was deleted in the ERP; the product was set to draft.",
            row=eng.row(item_code, key))
    if site.pushes_products():
        return eng.apply([op])
    with erp.transaction():
        eng._update_link(link, state=NOT_LINKED, **eng._gone_item_values(
            item_code, "The item was deleted in the ERP; the site does not send products to the shop."))
    eng.result.unlinked.append(eng.row(item_code, key))
    return eng.result


# ================================================================================================
# bulk runs
# ================================================================================================


def _default_keep(site: SiteConfig) -> str | None:
    if site.product_direction == "Shop to ERP":
        return "shop"
    if site.product_direction == "ERP to shop":
        return "erp"
    return None


def _check_keep(site: SiteConfig, keep: str | None) -> None:
    if keep not in (None, "shop", "erp"):
        raise ProductSyncError(f"keep/winner must be 'shop' or 'erp', not {keep!r}")
    if keep == "shop" and not site.pulls_products():
        raise ProductSyncError(f"Site {site.name} does not take products from the shop ({site.product_direction})")
    if keep == "erp" and not site.pushes_products():
        raise ProductSyncError(f"Site {site.name} does not send products to the shop ({site.product_direction})")


def _prepare(erp: ERP, site: SiteConfig, client: Any, since: str = "") -> _Engine:
    eng = _Engine(erp, site, client)
    eng.load()
    eng.shop = fetch_shop(client, since=since)
    if since:
        # linked items changed in the ERP whose product did not change in the shop
        want: list[Key] = []
        for code, link in eng.links_by_item.items():
            if not is_live(link) or code not in eng.items:
                continue
            key = link_target(link)
            if key in eng.shop:
                continue
            if pm.fingerprint(eng.erp_canon(code)) != (link.get("erp_fingerprint") or ""):
                want.append(key)
        # new variants under linked templates need their parent product
        for code, item in eng.items.items():
            t = item.get("variant_of")
            if t and not is_live(eng.links_by_item.get(code)) and is_live(eng.links_by_item.get(t)):
                want.append((link_target(eng.links_by_item[t])[0], 0))
        if want:
            pids = sorted({k[0] for k in want})
            fetch_shop(client, product_ids=pids, variation_keys=[k for k in want if k[1]], with_variations=False, shop=eng.shop)
    return eng


def preview_first_sync(erp: ERP, site: SiteConfig, client: Any, *, keep: str | None | bool = False,
                       since: str = "") -> Preview:
    """What :func:`run_first_sync` would do, reading both sides and writing nothing.

    ``keep``: which side wins for pairs associated by SKU that differ ("shop" / "erp"; None: link
    them Out of sync for the user to choose; default: the site's direction decides)."""
    keep = _default_keep(site) if keep is False else keep
    _check_keep(site, keep)
    eng = _prepare(erp, site, client, since)
    _, pv = eng.plan(keep=keep)
    from shopsync.sync import stock  # the first day: what keeps its shop quantity

    rows = pv.link + pv.create_in_erp
    held = stock.held_on_first_sync(erp, site, [(r.item_code, eng.shop.get((r.product_id, r.variation_id))) for r in rows])
    pv.stock_held = [dataclasses.replace(r, detail=f"shop quantity {q}") for r, q in zip(rows, held) if q is not None]
    return pv


def run_first_sync(erp: ERP, site: SiteConfig, client: Any, *, keep: str | None | bool = False,
                   progress: Progress | None = None) -> SyncResult:
    """Read both catalogues whole and carry out what :func:`preview_first_sync` showed."""
    return run_sync(erp, site, client, keep=keep, progress=progress)


def run_sync(erp: ERP, site: SiteConfig, client: Any, *, since: str = "", keep: str | None | bool = False,
             progress: Progress | None = None) -> SyncResult:
    """A bulk run. Without ``since``: every product is read (and a linked product missing from
    the shop is unlinked). With ``since`` (a previous run's ``result.cursor``): only products
    modified after it are listed, plus the products of items changed in the ERP."""
    keep = _default_keep(site) if keep is False else keep
    _check_keep(site, keep)
    eng = _prepare(erp, site, client, _since_with_overlap(since))
    ops, pv = eng.plan(keep=keep)
    eng.result.skipped += pv.shop_only + pv.erp_only + pv.blacklisted
    eng.result.errors += [r for r in pv.errors if r not in eng.result.errors]
    res = eng.apply(ops, progress)
    if not res.cursor or (since and res.cursor < since):
        res.cursor = since or res.cursor
    return res


def _since_with_overlap(since: str, seconds: int = 1) -> str:
    """``since`` a little earlier: the shop's dates have whole seconds."""
    if not since:
        return ""
    import datetime as dt

    try:
        t = dt.datetime.fromisoformat(since.replace("Z", ""))
    except ValueError:
        return since
    return (t - dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")


def associate_by_sku(erp: ERP, site: SiteConfig, client: Any, *, keep: str | None = None,
                     progress: Progress | None = None) -> SyncResult:
    """Link every unlinked product to the unlinked item whose code is its SKU; create nothing.

    ``keep``: for pairs that differ, which side wins (None: link them Out of sync)."""
    _check_keep(site, keep)
    eng = _Engine(erp, site, client)
    eng.load()
    eng.shop = fetch_shop(client)
    keys = [k for k in eng.shop.keys() if not is_live(eng.links_by_key.get(k))]
    ops, pv = eng.plan(keys=keys, codes=[], keep=keep, create=False)
    ops = [o for o in ops if o.code is not None and o.row in pv.link]
    eng.result.errors += [r for r in pv.errors if r not in eng.result.errors]
    return eng.apply(ops, progress)


def associate(erp: ERP, site: SiteConfig, client: Any, item_code: str, product_id: int, variation_id: int = 0,
              keep: str = "shop") -> SyncResult:
    """Link ``item_code`` to a product (or variation) chosen by hand, keeping ``keep``'s version.

    A template linked to a variable product brings its variants along, matched to the variations
    by attribute values (then by SKU); those left over are listed in ``skipped``."""
    if keep not in ("shop", "erp"):
        raise ProductSyncError("keep must be 'shop' or 'erp'")
    _check_keep(site, keep)
    eng = _Engine(erp, site, client)
    eng.load_links()
    eng.load_blacklist()
    if not erp.exists("Item", item_code):
        raise ProductSyncError(f"Item {item_code} does not exist")
    eng.load_items([item_code])
    key = (int(product_id), int(variation_id or 0))
    fetch_shop(client, product_ids=[key[0]], variation_keys=[key] if key[1] else [],
               with_variations=not key[1] and bool(eng.items[item_code].get("has_variants")), shop=eng.shop)
    obj = eng.shop.get(key)
    if obj is None:
        raise ProductSyncError(f"{pm.woo_label(*key)} is not in the shop")
    if eng.blacklisted(item_code, key, obj.get("sku") or ""):
        raise ProductSyncError(f"Item {item_code} or {pm.woo_label(*key)} is on the blacklist of site {site.name}")
    mismatch = _kind_mismatch(eng.items[item_code], obj)
    if mismatch:
        raise ProductSyncError(mismatch)
    other = eng.links_by_key.get(key)
    if is_live(other) and other.get("erp_name") != item_code:
        raise ProductSyncError(f"{pm.woo_label(*key)} is already linked to item {other['erp_name']}")
    mine = eng.links_by_item.get(item_code)
    if is_live(mine) and link_target(mine) != key:
        raise ProductSyncError(f"Item {item_code} is already linked to {pm.woo_label(*link_target(mine))}")
    ops = [Op("pull" if keep == "shop" else "push", key, item_code, row=eng.row(item_code, key))]
    if eng.items[item_code].get("has_variants"):
        ops += _match_variants(eng, item_code, key[0], keep)
    if keep == "shop":
        return eng.apply(ops)
    # the link first (so the push records on it), then the push
    with erp.transaction():
        for op in ops:
            eng._bind(op.key, op.code, state=OUT_OF_SYNC)
    return eng.apply(ops)


def _match_variants(eng: _Engine, template: str, pid: int, keep: str) -> list[Op]:
    ops = []
    free_keys = [k for k in eng.shop.variations_of(pid) if not is_live(eng.links_by_key.get(k))]
    by_attrs: dict[tuple, Key] = {}
    by_sku: dict[str, Key] = {}
    for k in free_keys:
        v = eng.shop.get(k)
        by_attrs[tuple(sorted((pm.text(a.get("name")), pm.text(a.get("option"))) for a in v.get("attributes") or []))] = k
        if pm.text(v.get("sku")):
            by_sku[pm.text(v.get("sku")).casefold()] = k
    for v_code in sorted(eng.variants_of.get(template, [])):
        if is_live(eng.links_by_item.get(v_code)) or eng.blacklisted(v_code, None):
            continue
        k = by_attrs.get(tuple(sorted(eng.attrs.get(v_code, [])))) or by_sku.get(v_code.casefold())
        if k is None:
            eng.result.skipped.append(eng.row(v_code, None, "no variation with the same attribute values"))
            continue
        by_attrs = {a: kk for a, kk in by_attrs.items() if kk != k}
        ops.append(Op("pull" if keep == "shop" else "push", k, v_code, row=eng.row(v_code, k)))
    return ops


def unmatched(erp: ERP, site: SiteConfig, client: Any) -> Unmatched:
    """Products with no item, items (meant for the shop) with no product; blacklisted ones left out."""
    eng = _prepare(erp, site, client)
    _, pv = eng.plan(keep=None, create=True)
    out = Unmatched()
    out.shop_only = pv.create_in_erp + pv.shop_only
    out.erp_only = pv.create_in_shop + pv.erp_only
    return out


def create_on_other_side(erp: ERP, site: SiteConfig, client: Any, *, item_codes: Iterable[str] = (),
                         products: Iterable[Key | int] = ()) -> SyncResult:
    """**Create on the other side**: products for ``item_codes``, items for ``products``
    (product ids, or (product id, variation id))."""
    item_codes = [c for c in item_codes if c]
    keys = [(int(p), 0) if isinstance(p, int) else (int(p[0]), int(p[1])) for p in products]
    if item_codes and not site.pushes_products():
        raise ProductSyncError(f"Site {site.name} does not send products to the shop ({site.product_direction})")
    if keys and not site.pulls_products():
        raise ProductSyncError(f"Site {site.name} does not take products from the shop ({site.product_direction})")
    eng = _Engine(erp, site, client)
    eng.load_links()
    eng.load_blacklist()
    ops: list[Op] = []
    if keys:
        fetch_shop(client, product_ids=sorted({k[0] for k in keys}), variation_keys=[k for k in keys if k[1]],
                   shop=eng.shop)
        skus = [pm.text((eng.shop.get(k) or {}).get("sku")) for k in eng.shop.keys()]
        eng.load_items([s for s in skus if s] + [l["erp_name"] for k, l in eng.links_by_key.items()
                                                 if k[0] in {kk[0] for kk in keys} and is_live(l)])
        wanted = set(keys) | {k for k in eng.shop.keys() if (k[0], 0) in keys}
        for key in sorted(wanted, key=lambda k: (k[1] != 0, k)):
            obj = eng.shop.get(key)
            if obj is None:
                eng.result.errors.append(eng.row(None, key, "not in the shop"))
                continue
            if is_live(eng.links_by_key.get(key)):
                continue
            if eng.blacklisted("", key, obj.get("sku") or ""):
                eng.result.skipped.append(eng.row(None, key, "blacklisted"))
                continue
            code = eng._item_code_for(obj, key)
            if code in eng.items or erp.exists("Item", code):
                eng.result.errors.append(eng.row(code, key, sku_clash_message(
                    obj.get("sku") or code, None, key, eng.links_by_item.get(code)) if is_live(eng.links_by_item.get(code))
                    else f"Item {code} already exists: associate it instead"))
                continue
            ops.append(Op("pull", key, None, row=eng.row(None, key)))
    if item_codes:
        eng.load_items(item_codes)
        for code in item_codes:
            if code not in eng.items:
                eng.result.errors.append(eng.row(code, None, "no such item"))
                continue
            if eng.blacklisted(code, None):
                eng.result.skipped.append(eng.row(code, None, "blacklisted"))
                continue
            if is_live(eng.links_by_item.get(code)):
                continue
            template = eng.items[code].get("variant_of")
            if template:
                t_link = eng.links_by_item.get(template)
                if not is_live(t_link):
                    eng.result.errors.append(eng.row(code, None, f"its template {template} has no product: create that first"))
                    continue
                fetch_shop(client, product_ids=[link_target(t_link)[0]], with_variations=False, shop=eng.shop)
            ops.append(Op("push", None, code, row=eng.row(code, None)))
    return eng.apply(ops)


def resync(erp: ERP, site: SiteConfig, client: Any, winner: str, *, item_codes: Iterable[str] | None = None,
           links: Iterable[str] | None = None, progress: Progress | None = None) -> SyncResult:
    """**Resync**: make the two sides agree, ``winner`` ("shop" or "erp") overwriting the other,
    on the links of ``item_codes`` or ``links`` (link names), or on every link of the site."""
    if winner not in ("shop", "erp"):
        raise ProductSyncError("winner must be 'shop' or 'erp'")
    _check_keep(site, winner)
    eng = _Engine(erp, site, client)
    eng.load_links()
    eng.load_blacklist()
    chosen: list[Doc]
    if links is not None:
        names = set(links)
        chosen = [l for l in eng.links_by_key.values() if l.get("name") in names]
    elif item_codes is not None:
        codes = set(item_codes)
        chosen = [l for c, l in eng.links_by_item.items() if c in codes]
    else:
        chosen = list(eng.links_by_key.values())
    chosen = [l for l in chosen if is_live(l)]
    eng.load_items([l["erp_name"] for l in chosen])
    keys = [link_target(l) for l in chosen]
    fetch_shop(client, product_ids=sorted({k[0] for k in keys}), variation_keys=[k for k in keys if k[1]],
               with_variations=False, shop=eng.shop)
    ops: list[Op] = []
    for l in chosen:
        key, code = link_target(l), l["erp_name"]
        if eng.blacklisted(code, key):
            eng.result.skipped.append(eng.row(code, key, "blacklisted"))
            continue
        if code not in eng.items:
            ops.append(Op("draft", key, code, NOT_LINKED, error="The item was deleted in the ERP; the product was set to draft.",
                          row=eng.row(code, key)) if site.pushes_products() else
                       Op("unlink", key, code, NOT_LINKED, error="The item was deleted in the ERP.", row=eng.row(code, key)))
            continue
        if key not in eng.shop:
            ops.append(Op("unlink", key, code, NOT_LINKED, error="The product is no longer in the shop.", row=eng.row(code, key)))
            continue
        diffs = pm.differences(eng.erp_canon(code), eng.woo_canon(key))
        if not diffs:
            ops.append(Op("mark", key, code, IN_SYNC, row=eng.row(code, key)))
        else:
            ops.append(Op("pull" if winner == "shop" else "push", key, code, row=eng.row(code, key, ", ".join(diffs))))
    return eng.apply(ops, progress)


# ================================================================================================
# the state, for the report and the Item form
# ================================================================================================


def sync_state(erp: ERP, site: SiteConfig, client: Any = None, item_codes: Iterable[str] | None = None, *,
               save: bool = True) -> list[StateRow]:
    """The state of every item link of the site (or of ``item_codes``), with the products read
    from the shop when a client is given (else the states stored on the links). Items meant for
    the shop that have no link are listed Not linked. ``save``: write states that changed."""
    eng = _Engine(erp, site, client)
    eng.load_links()
    eng.load_blacklist()
    if item_codes is None:
        eng.load_items(None)
        codes = sorted(set(eng.links_by_item) | {c for c in eng.items if eng.eligible(c)})
    else:
        codes = sorted(set(item_codes))
        eng.load_items(codes)
    links = {c: eng.links_by_item.get(c) for c in codes}
    if client is not None:
        keys = [link_target(l) for l in links.values() if is_live(l)]
        if item_codes is None:
            fetch_shop(client, shop=eng.shop, with_variations=True)
        else:
            fetch_shop(client, product_ids=sorted({k[0] for k in keys}), variation_keys=[k for k in keys if k[1]],
                       with_variations=False, shop=eng.shop)
    rows: list[StateRow] = []
    updates: list[tuple[Doc, dict]] = []
    for code in codes:
        link = links.get(code)
        item = eng.items.get(code) or {}
        key = link_target(link) if link else (0, 0)
        black = eng.blacklisted(code, key if is_live(link) else None)
        state, changed = NOT_LINKED, ""
        error = (link or {}).get("last_error") or ""
        if is_live(link):
            state = link.get("state") or IN_SYNC
            if client is not None and code in eng.items:
                if key not in eng.shop:
                    state, error = NOT_LINKED, "The product is no longer in the shop."
                else:
                    erp_c, woo_c = eng.erp_canon(code), eng.woo_canon(key)
                    diffs = pm.differences(erp_c, woo_c)
                    stored_e, stored_w = link.get("erp_fingerprint") or "", link.get("woo_fingerprint") or ""
                    e_ch = pm.fingerprint(erp_c) != stored_e if stored_e else bool(diffs)
                    w_ch = pm.fingerprint(woo_c) != stored_w if stored_w else bool(diffs)
                    changed = "both" if e_ch and w_ch else "erp" if e_ch else "shop" if w_ch else ""
                    state = OUT_OF_SYNC if (changed or diffs) else IN_SYNC
                if save and state != link.get("state"):
                    updates.append((link, {"state": state, **({"last_error": error} if state == NOT_LINKED else {})}))
        rows.append(StateRow(
            item_code=code, item_name=item.get("item_name") or "", woo_id=key[0] if is_live(link) else 0,
            woo_variation_id=key[1] if is_live(link) else 0, state=state,
            label=pm.woo_label(*key) if is_live(link) or state == NOT_LINKED and key[0] else "",
            last_error=error, blacklisted=black, changed=changed, link=(link or {}).get("name") or "",
        ))
    if updates:
        with erp.transaction():
            for link, values in updates:
                erp.update(LINK_DOCTYPE, link["name"], values)
    return rows


# ================================================================================================
# blacklist
# ================================================================================================


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
                product_id and _int(r.get("woo_id")) == int(product_id) and _int(r.get("woo_variation_id")) == int(variation_id or 0)):
            drop.append(r["name"])
    with erp.transaction():
        for n in drop:
            erp.delete(BLACKLIST_DOCTYPE, n)
    return len(drop)


def blacklist_entries(erp: ERP, site: SiteConfig | str) -> list[Doc]:
    site_name = site if isinstance(site, str) else site.name
    return erp.find(BLACKLIST_DOCTYPE, {"site": site_name}, fields=("name", "item_code", "woo_id", "woo_variation_id", "reason"))
