"""Items made from shop products: one set of rules, whether a product first arrives through an
order line (:mod:`shopsync.sync.items`) or through the catalogue sync (:mod:`shopsync.sync.products`).

The same shop product makes the same Item either way:

- **code**: the product's SKU cut to 140 characters (ERPNext's limit), else
  ``WC-<site>-<product>[-<variation>]``;
- **fields** from :func:`shopsync.sync.product_mapping.item_values`: name (a variation's is
  "<product> - <values>"), description, weight, image (when the site syncs images), short
  description (when the ERP has the field), enabled unless the product is not published;
- **Item Group**: the site's group for the product's first mapped category, else the site's item
  group (see :func:`default_item_group`); never a group node (a category mapped to one falls back,
  with a note);
- **stock UOM** from Stock Settings (else "Nos"); a virtual or downloadable product is not a
  stock item;
- a **variable product** is a template (``has_variants``) with its variation attributes as Item
  Attributes (values added where missing); a **variation** is a variant of that template
  (ERPNext's ``make_variant``), one value per attribute of the template;
- **prices**: the regular price on the site's price list, the sale price on its sale price list
  (when it names one), in the item's stock UOM.

Where the two callers differ, it is in what they need, not in the Item: an order line must be
sold now, so an item made for one is enabled even when the product is no longer published; and
an order goes through where the catalogue refuses, so a variation that cannot be a variant
("any" value, its product is a plain item) is made a plain item for an order line, and is an
error for the catalogue sync (see :meth:`ItemFactory.variant_problem`).
"""

from __future__ import annotations

import weakref
from typing import Any, Iterable, Mapping

from shopsync.erp.errors import DoesNotExistError, ERPError
from shopsync.erp.port import ERP, Doc
from shopsync.sync import product_mapping as pm
from shopsync.sync.failures import SyncFailure
from shopsync.sync.runtime import engine_writes
from shopsync.sync.site import DEFAULT_ITEM_GROUP, SiteConfig

DEFAULT_UOM = "Nos"


class ItemFailure(SyncFailure):
    """An item cannot be found or made."""


def woo_item_code(site: str, product_id: int, variation_id: int = 0) -> str:
    """The item code of a product without SKU."""
    code = f"WC-{site}-{product_id}"
    return f"{code}-{variation_id}" if variation_id else code


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


_FIELD_CACHE: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def has_field(erp: ERP, doctype: str, field: str) -> bool:
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


def mapping_context(erp: ERP, site: SiteConfig) -> pm.MappingContext:
    """What the mapping needs to know of ``site`` on this ERP."""
    return pm.MappingContext.for_site(
        site, short_description=has_field(erp, "Item", pm.SHORT_DESCRIPTION_FIELD),
        fallback_item_group=default_item_group(erp, site),
    )


def variation_attributes(variation: Mapping[str, Any]) -> dict[str, str]:
    """A variation's attribute -> value ("" for "any")."""
    return {pm.text(a.get("name")): pm.text(a.get("option")) for a in variation.get("attributes") or []}


def variation_attribute_names(product: Mapping[str, Any]) -> list[str]:
    """The attributes a variable product's variations are made on."""
    names = [pm.text(a.get("name")) for a in product.get("attributes") or [] if a.get("variation", True)]
    return [n for n in names if n]


class ItemFactory:
    """Makes Items (with their attributes and prices) from shop products, for one site.

    ``ctx``: the site's mapping context (made on first use when not given); ``notes``: where to
    say what was decided on the way (a category mapped to a group node)."""

    def __init__(self, erp: ERP, site: SiteConfig, ctx: pm.MappingContext | None = None,
                 notes: list[str] | None = None):
        self.erp = erp
        self.site = site
        self._ctx = ctx
        self.notes = notes if notes is not None else []
        self._uom: str | None = None
        self._attributes: dict[str, Doc | None] = {}
        self._leaves: dict[str, bool] = {}

    @property
    def ctx(self) -> pm.MappingContext:
        if self._ctx is None:
            self._ctx = mapping_context(self.erp, self.site)
        return self._ctx

    def forget(self) -> None:
        """After a rollback: what was read or written in it is read again."""
        self._attributes.clear()

    # ------------------------------------------------------------------ the rules
    def code_for(self, product: Mapping[str, Any], key: tuple[int, int]) -> str:
        sku = pm.text(product.get("sku"))
        if sku:
            return sku[:pm.ITEM_CODE_MAX]
        return woo_item_code(self.site.name, key[0], key[1])

    def uom(self) -> str:
        if self._uom is None:
            try:
                self._uom = self.erp.get_single_value("Stock Settings", "stock_uom") or DEFAULT_UOM
            except ERPError:
                self._uom = DEFAULT_UOM
        return self._uom

    def item_group(self, group: str) -> str:
        """``group`` when it holds items, else the site's fallback (with a note)."""
        if group == self.ctx.fallback_item_group:
            return group
        if group not in self._leaves:
            self._leaves[group] = is_leaf_group(self.erp, group)
        if self._leaves[group]:
            return group
        self.notes.append(f"the product's category is mapped to {group}, a group node: item put in {self.ctx.fallback_item_group}")
        return self.ctx.fallback_item_group

    def variant_problem(self, variation: Mapping[str, Any], key: tuple[int, int], template: str,
                        template_attributes: Iterable[str]) -> str:
        """Why ``variation`` cannot be a variant of ``template`` ("" when it can)."""
        attrs = variation_attributes(variation)
        names = list(template_attributes)
        missing = [n for n in names if not attrs.get(n)] + [n for n, v in attrs.items() if not v and n not in names]
        if missing:
            return (f"Variation #{key[1]} of product #{key[0]} has no value for {', '.join(missing)} (\"any\"); "
                    "an ERPNext variant needs one value per attribute")
        extra = sorted(set(attrs) - set(names))
        if extra:
            return (f"Variation #{key[1]} of product #{key[0]} uses attribute(s) {', '.join(extra)} that template "
                    f"{template} does not have")
        return ""

    # ------------------------------------------------------------------ making
    def create(self, product: Mapping[str, Any], key: tuple[int, int], *, parent: Mapping[str, Any] | None = None,
               template: str = "", sellable: bool = False,
               prices: dict[str, Doc] | None = None, sale_prices: dict[str, Doc] | None = None) -> Doc:
        """Insert the Item of ``product`` (its attributes and prices with it) and return it.

        A variation is a variant of ``template`` when one is given (check :meth:`variant_problem`
        first), else a plain item in its product's category. ``sellable``: enabled whatever the
        product's status (an order line's item).
        ``prices`` / ``sale_prices``: item code -> Item Price, updated with the prices made."""
        kind = pm.kind_of_product(product)
        code = self.code_for(product, key)
        values = pm.item_values(product, self.ctx, parent_name=(parent or {}).get("name", ""))
        if sellable:
            values["disabled"] = 0
        if kind == pm.VARIATION and template:
            attrs = variation_attributes(product)
            for name, value in attrs.items():
                self.attribute(name, [value])
            doc = dict(self.erp.make_variant(template, attrs))
            for k in ("name", "__islocal", "__unsaved"):
                doc.pop(k, None)
            doc["doctype"] = "Item"
            doc["item_code"] = code
            doc.update(values)
            doc.setdefault("description", values.get("item_name") or code)
        else:
            if kind == pm.VARIATION:  # a plain item standing for a variation: its product's category
                group = self.ctx.group_of_categories((parent or {}).get("categories") or [])
                values["item_group"] = group or self.ctx.fallback_item_group
                values.setdefault("description", values.get("item_name") or code)
            values["item_group"] = self.item_group(values.get("item_group") or self.ctx.fallback_item_group)
            doc = {
                "doctype": "Item",
                "item_code": code,
                "stock_uom": self.uom(),
                "is_stock_item": 0 if (product.get("virtual") or product.get("downloadable")) else 1,
                **values,
            }
            if kind == pm.VARIABLE:
                names = variation_attribute_names(product)
                if not names:
                    raise ItemFailure(f"Variable product #{key[0]} has no attribute used for variations")
                for a in product.get("attributes") or []:
                    if pm.text(a.get("name")) in names:
                        self.attribute(pm.text(a.get("name")), [pm.text(o) for o in a.get("options") or []])
                doc["has_variants"] = 1
                doc["attributes"] = [{"attribute": n} for n in names]
        with engine_writes():  # from the shop: the Item hooks queue no push of it back
            item = self.erp.insert(doc)
            if kind != pm.VARIABLE:  # ERPNext keeps prices off templates
                self.set_prices(item["name"], product, {} if prices is None else prices,
                                {} if sale_prices is None else sale_prices, uom=item.get("stock_uom") or self.uom())
        return item

    def attribute(self, name: str, values: list[str]) -> None:
        """The Item Attribute ``name`` with every value of ``values`` (added where missing)."""
        values = [v for v in values if v]
        if name not in self._attributes:
            try:
                self._attributes[name] = self.erp.get("Item Attribute", name)
            except DoesNotExistError:
                self._attributes[name] = None
        attr = self._attributes[name]
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
            self._attributes[name] = self.erp.insert(
                {"doctype": "Item Attribute", "attribute_name": name, "item_attribute_values": rows})
        elif added:
            self._attributes[name] = self.erp.update("Item Attribute", name, {"item_attribute_values": rows})

    # ------------------------------------------------------------------ prices
    def set_prices(self, code: str, product: Mapping[str, Any], prices: dict[str, Doc], sale_prices: dict[str, Doc],
                   *, uom: str = "") -> bool:
        """The item's prices as the product's: regular price on the site's price list, sale price on
        its sale price list (removed when the product has none). Whether anything was written."""
        with engine_writes():  # from the shop: the Item Price hook queues no push of it back
            return self._set_prices(code, product, prices, sale_prices, uom)

    def _set_prices(self, code: str, product: Mapping[str, Any], prices: dict[str, Doc], sale_prices: dict[str, Doc],
                    uom: str) -> bool:
        changed = False
        canon = pm.woo_canonical(product, self.ctx)
        uom = uom or self.uom()
        if self.site.price_list and canon.get("regular_price"):
            changed |= self._upsert_price(code, self.site.price_list, canon["regular_price"], prices, uom)
        sale_list = getattr(self.site, "sale_price_list", "")
        if sale_list and "sale_price" in canon:
            if canon["sale_price"]:
                changed |= self._upsert_price(code, sale_list, canon["sale_price"], sale_prices, uom)
            elif code in sale_prices:
                self.erp.delete("Item Price", sale_prices.pop(code)["name"])
                changed = True
        return changed

    def _upsert_price(self, code: str, price_list: str, rate: str, into: dict[str, Doc], uom: str) -> bool:
        row = into.get(code)
        value = float(rate)
        if row is not None:
            if pm.price(row.get("price_list_rate")) == pm.price(rate):
                return False
            self.erp.update("Item Price", row["name"], {"price_list_rate": value})
            row["price_list_rate"] = value
            return True
        doc = self.erp.insert({"doctype": "Item Price", "item_code": code, "price_list": price_list,
                               "price_list_rate": value, "uom": uom})
        into[code] = {"name": doc["name"], "item_code": code, "price_list_rate": value, "uom": uom}
        return True
