"""Item <-> product mapping, pure: no ERP, no shop, no I/O.

Both sides are brought to one *canonical* form holding only the synced fields, so that

- a **fingerprint** (a hash of one side's canonical form) tells whether that side changed since the
  last sync: the link keeps the fingerprint of each side as it was when they last agreed;
- two canonical forms can be compared (:func:`differences`) to say whether an item and a product
  already agree when they are first associated.

Synced fields: name, description, short description (when the ERP has a field for it), SKU (the
item code), regular price (the Item Price on the site's price list), sale price (only when the site
names a sale price list), weight, status (a disabled item is a draft product, a disabled variant a
private variation), the category through the site's category mapping, and the main image by URL
(only when the site syncs images; not for variations: the products route and the variations route
of WooCommerce show a variation's image differently). A template item is a variable product (its attribute names are
synced); a variant is a variation (its attribute values are synced).

Canonical values are strings (or a sorted list / dict of strings) so the JSON of a canonical form,
and its hash, is stable across Python versions and across the two sides.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import posixpath
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping
from urllib.parse import unquote, urlsplit

from shopsync.sync.money import cents

SIMPLE, VARIABLE, VARIATION = "simple", "variable", "variation"

#: Custom field of Item that holds the shop's short description (ERPNext's Item has none). The
#: short description is synced only where Item documents carry this field.
SHORT_DESCRIPTION_FIELD = "woocommerce_short_description"

#: Item Group given to an item pulled from a product with no mapped category.
FALLBACK_ITEM_GROUPS = ("Products", "All Item Groups")

ITEM_NAME_MAX = 140
ITEM_CODE_MAX = 140


@dataclasses.dataclass(frozen=True)
class MappingContext:
    """What the mapping needs to know of a site."""

    #: woo category id -> Item Group (the site's category mapping)
    categories: Mapping[int, str] = dataclasses.field(default_factory=dict)
    sync_images: bool = False
    #: the ERP's base URL, to turn "/files/x.jpg" into an address the shop can download
    erp_base_url: str = ""
    #: whether the ERP's Item has a short description field (:data:`SHORT_DESCRIPTION_FIELD`)
    short_description: bool = False
    #: whether a sale price is synced (the site names a sale price list)
    sale_price: bool = False
    #: Item Group for items pulled from products without a mapped category
    fallback_item_group: str = FALLBACK_ITEM_GROUPS[0]

    @property
    def mapped_groups(self) -> set[str]:
        return set(self.categories.values())

    def group_of_categories(self, categories: Iterable[Mapping[str, Any]]) -> str:
        """The Item Group of the first mapped category of a product, "" when none is mapped."""
        for cat in categories or ():
            group = self.categories.get(_int(cat.get("id")))
            if group:
                return group
        return ""

    def category_ids_of_group(self, group: str) -> list[int]:
        return [cid for cid, g in self.categories.items() if g == group]

    @classmethod
    def for_site(cls, site: Any, *, short_description: bool = False, fallback_item_group: str | None = None) -> "MappingContext":
        endpoint = getattr(site, "endpoint_url", "") or ""
        base = endpoint.split("/api/method/", 1)[0] if "/api/method/" in endpoint else ""
        return cls(
            categories={int(k): v for k, v in (getattr(site, "categories", None) or {}).items()},
            sync_images=bool(getattr(site, "sync_images", False)),
            erp_base_url=base.rstrip("/"),
            short_description=short_description,
            sale_price=bool(getattr(site, "sale_price_list", "")),
            fallback_item_group=fallback_item_group or FALLBACK_ITEM_GROUPS[0],
        )


# ------------------------------------------------------------------------------------------------
# normalisation
# ------------------------------------------------------------------------------------------------


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def text(value: Any) -> str:
    """Text as compared: line endings unified, outer blanks removed."""
    if value is None:
        return ""
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


_BREAK = re.compile(r"<br\s*/?>", re.I)
_BLOCK = re.compile(r"</?(?:p|div)(?:\s[^>]*)?>", re.I)


def html_text(value: Any) -> str:
    """A description as compared: the paragraph wrappers the two sides add left out.

    WooCommerce answers with ``wpautop()`` applied ("Hello" comes back "<p>Hello</p>\\n") and the
    ERP's text editor wraps in ``<div class="ql-editor ..."><p>``; neither is a change. Other
    markup counts. What is *sent* is the ERP's text as it is."""
    s = text(value)
    if "<" not in s:
        return "\n".join(" ".join(line.split()) for line in s.split("\n") if line.strip())
    s = _BLOCK.sub("\n", _BREAK.sub("\n", s))
    s = s.replace("&nbsp;", " ")
    return "\n".join(" ".join(line.split()) for line in s.split("\n") if line.strip())


def price(value: Any) -> str:
    """ "39.9", 39.9, "39.90" -> "39.90"; None, "" -> "" (no price)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    try:
        return str(cents(value))
    except (ValueError, InvalidOperation):
        return ""


def weight(value: Any) -> str:
    """ "0.60", 0.6 -> "0.6"; 0, "", None -> "" (no weight)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    try:
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return ""
    if not d.is_finite() or d == 0:
        return ""
    d = d.normalize()
    out = format(d, "f")
    return out


def image_key(url: Any) -> str:
    """What identifies an image across both sides: its file name, lower case.

    The shop copies an image it is given into its media library, so the address it answers with is
    not the one it was sent; the file name survives (WordPress may add "-1" or "-scaled")."""
    url = text(url)
    if not url:
        return ""
    name = posixpath.basename(unquote(urlsplit(url).path)).lower()
    stem, dot, ext = name.rpartition(".")
    if dot:
        stem = re.sub(r"-(scaled|\d+)$", "", stem)
        name = f"{stem}.{ext}"
    return name


def absolute_url(url: str, base: str) -> str:
    url = text(url)
    if not url or re.match(r"^[a-z][a-z0-9+.-]*://", url, re.I):
        return url
    return f"{base.rstrip('/')}/{url.lstrip('/')}" if base else url


# ------------------------------------------------------------------------------------------------
# canonical forms
# ------------------------------------------------------------------------------------------------


def kind_of_item(item: Mapping[str, Any]) -> str:
    if item.get("has_variants"):
        return VARIABLE
    if item.get("variant_of"):
        return VARIATION
    return SIMPLE


def kind_of_product(product: Mapping[str, Any]) -> str:
    t = product.get("type") or ""
    if t == VARIATION or (_int(product.get("parent_id")) and t not in (SIMPLE, VARIABLE, "grouped", "external")):
        return VARIATION
    if t == VARIABLE:
        return VARIABLE
    return SIMPLE


def erp_canonical(
    item: Mapping[str, Any],
    ctx: MappingContext,
    *,
    price_rate: Any = None,
    sale_rate: Any = None,
    attributes: Iterable[tuple[str, str]] = (),
) -> dict[str, Any]:
    """The synced fields of an Item.

    ``price_rate``: its Item Price on the site's price list (None: none); ``sale_rate``: on the
    sale price list; ``attributes``: (attribute, value) rows of a variant, or the attribute names
    of a template (value "").
    """
    kind = kind_of_item(item)
    active = not item.get("disabled")
    out: dict[str, Any] = {"kind": kind, "sku": text(item.get("item_code") or item.get("name")), "active": active}
    if kind == VARIATION:
        out["attributes"] = {text(a): text(v) for a, v in attributes if text(a)}
        out["regular_price"] = price(price_rate)
        out["weight"] = weight(item.get("weight_per_unit"))
    else:
        name = text(item.get("item_name"))
        description = html_text(item.get("description"))
        if description == name:  # ERPNext fills an empty description with the item name
            description = ""
        out["name"] = name
        out["description"] = description
        if ctx.short_description:
            out["short_description"] = html_text(item.get(SHORT_DESCRIPTION_FIELD))
        group = text(item.get("item_group"))
        out["category"] = group if group in ctx.mapped_groups else ""
        if kind == VARIABLE:
            out["attributes"] = sorted({text(a) for a, _ in attributes if text(a)})
        else:
            out["regular_price"] = price(price_rate)
            out["weight"] = weight(item.get("weight_per_unit"))
    if ctx.sale_price and kind != VARIABLE:
        out["sale_price"] = price(sale_rate)
    if ctx.sync_images and kind != VARIATION:
        out["image"] = image_key(item.get("image"))
    return out


def product_image(product: Mapping[str, Any]) -> str:
    """The main image's address: ``images[0].src`` (products route) or ``image.src`` (variations)."""
    images = product.get("images")
    if isinstance(images, list) and images:
        return text((images[0] or {}).get("src"))
    image = product.get("image")
    if isinstance(image, Mapping):
        return text(image.get("src"))
    return ""


def woo_canonical(product: Mapping[str, Any], ctx: MappingContext) -> dict[str, Any]:
    """The synced fields of a product or variation, in either route's representation."""
    kind = kind_of_product(product)
    status = product.get("status") or "publish"
    out: dict[str, Any] = {"kind": kind, "sku": text(product.get("sku")), "active": status == "publish"}
    if kind == VARIATION:
        out["attributes"] = {text(a.get("name")): text(a.get("option")) for a in product.get("attributes") or [] if text(a.get("name"))}
        out["regular_price"] = price(product.get("regular_price"))
        out["weight"] = weight(product.get("weight"))
    else:
        out["name"] = text(product.get("name"))
        out["description"] = html_text(product.get("description"))
        if ctx.short_description:
            out["short_description"] = html_text(product.get("short_description"))
        out["category"] = ctx.group_of_categories(product.get("categories") or [])
        if kind == VARIABLE:
            out["attributes"] = sorted(
                {text(a.get("name")) for a in product.get("attributes") or [] if a.get("variation", True) and text(a.get("name"))}
            )
        else:
            out["regular_price"] = price(product.get("regular_price"))
            out["weight"] = weight(product.get("weight"))
    if ctx.sale_price and kind != VARIABLE:
        out["sale_price"] = price(product.get("sale_price"))
    if ctx.sync_images and kind != VARIATION:
        out["image"] = image_key(product_image(product))
    return out


def fingerprint(canonical: Mapping[str, Any]) -> str:
    """A stable hash of a canonical form (40 hex digits)."""
    raw = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


def differences(erp: Mapping[str, Any], woo: Mapping[str, Any]) -> list[str]:
    """The synced fields on which an item and a product disagree (empty: they agree).

    An item without an image or a price leaves the shop's as they are, so those only count when
    the ERP has one. A sale price is compared only on sites with a sale price list, where an
    item with no price in that list means "no sale": the shop's sale price is then cleared."""
    out = []
    for key in sorted(set(erp) | set(woo)):
        a, b = erp.get(key), woo.get(key)
        if key in ("image", "regular_price") and not a:
            continue
        if a != b:
            out.append(key)
    return out


# ------------------------------------------------------------------------------------------------
# ERP -> shop: payloads
# ------------------------------------------------------------------------------------------------


def _merged_categories(group: str, current: Iterable[Mapping[str, Any]] | None, ctx: MappingContext) -> list[dict]:
    """The product's categories with the mapped ones set to ``group``; unmapped ones kept."""
    current_ids = [_int(c.get("id")) for c in current or () if _int(c.get("id"))]
    kept = [cid for cid in current_ids if cid not in ctx.categories or ctx.categories[cid] == group]
    if group and not any(ctx.categories.get(cid) == group for cid in kept):
        wanted = ctx.category_ids_of_group(group)
        if wanted:
            kept.append(wanted[0])
    return [{"id": cid} for cid in kept]


def product_payload(
    canonical: Mapping[str, Any],
    ctx: MappingContext,
    *,
    current: Mapping[str, Any] | None = None,
    item_image_url: str = "",
    attribute_options: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    """What to send to create (``current`` None) or update a product (simple or variable).

    ``attribute_options``: for a variable product, attribute name -> the values its variations use.
    """
    kind = canonical["kind"]
    out: dict[str, Any] = {
        "name": canonical.get("name", ""),
        "description": canonical.get("description", ""),
        "sku": canonical["sku"],
        "status": "publish" if canonical["active"] else "draft",
    }
    if current is None:
        out["type"] = kind
    if "short_description" in canonical:
        out["short_description"] = canonical["short_description"]
    cats = _merged_categories(canonical.get("category", ""), (current or {}).get("categories"), ctx)
    current_cats = [{"id": _int(c.get("id"))} for c in (current or {}).get("categories") or []]
    if current is None or cats != current_cats:
        if cats or current is not None:
            out["categories"] = cats
    if kind == SIMPLE:
        if canonical.get("regular_price"):
            out["regular_price"] = canonical["regular_price"]
        out["weight"] = canonical.get("weight", "")
    if "sale_price" in canonical and canonical["sale_price"]:
        out["sale_price"] = canonical["sale_price"]
    elif "sale_price" in canonical and current is not None and (current.get("sale_price") or ""):
        out["sale_price"] = ""
    if kind == VARIABLE:
        out["attributes"] = variable_attributes(attribute_options or {}, current)
    image = _image_payload(canonical, ctx, current, item_image_url)
    if image is not None:
        out["images"] = image
    return out


def _image_payload(canonical, ctx, current, item_image_url) -> list[dict] | None:
    if not ctx.sync_images or not canonical.get("image") or not item_image_url:
        return None
    if current is not None and image_key(product_image(current)) == canonical["image"]:
        return None
    rest = [{"id": _int(i.get("id"))} for i in ((current or {}).get("images") or [])[1:] if _int(i.get("id"))]
    return [{"src": absolute_url(item_image_url, ctx.erp_base_url)}] + rest


def variable_attributes(options: Mapping[str, list[str]], current: Mapping[str, Any] | None) -> list[dict]:
    """The attributes of a variable product: each ERP attribute with every value in use, merged
    with what the product has (a global attribute keeps its id, its other options stay)."""
    out: list[dict] = []
    seen: set[str] = set()
    for attr in (current or {}).get("attributes") or []:
        name = text(attr.get("name"))
        row = {k: attr[k] for k in ("id", "name", "position", "visible", "variation") if k in attr}
        opts = list(attr.get("options") or [])
        for value in options.get(name, []):
            if value not in opts:
                opts.append(value)
        row["options"] = opts
        if name in options:
            row["variation"] = True
        out.append(row)
        seen.add(name)
    for name, values in options.items():
        if name in seen:
            continue
        out.append({"name": name, "position": len(out), "visible": True, "variation": True, "options": list(values)})
    return out


def variation_payload(
    canonical: Mapping[str, Any],
    ctx: MappingContext,
    *,
    current: Mapping[str, Any] | None = None,
    parent: Mapping[str, Any] | None = None,
    item_image_url: str = "",
) -> dict[str, Any]:
    """What to send to create or update a variation of ``parent``."""
    ids = {text(a.get("name")): _int(a.get("id")) for a in (parent or {}).get("attributes") or []}
    attrs = []
    for name, option in sorted(canonical.get("attributes", {}).items()):
        attrs.append({"id": ids[name], "option": option} if ids.get(name) else {"name": name, "option": option})
    out: dict[str, Any] = {
        "sku": canonical["sku"],
        "status": "publish" if canonical["active"] else "private",
        "weight": canonical.get("weight", ""),
        "attributes": attrs,
    }
    if canonical.get("regular_price"):
        out["regular_price"] = canonical["regular_price"]
    if "sale_price" in canonical and canonical["sale_price"]:
        out["sale_price"] = canonical["sale_price"]
    elif "sale_price" in canonical and current is not None and (current.get("sale_price") or ""):
        out["sale_price"] = ""
    return out


# ------------------------------------------------------------------------------------------------
# shop -> ERP: item values
# ------------------------------------------------------------------------------------------------


def item_code_for(product: Mapping[str, Any]) -> str:
    """The item code of an item pulled from a product: its SKU, or WOO-<id> without one."""
    sku = text(product.get("sku"))
    if sku:
        return sku[:ITEM_CODE_MAX]
    if kind_of_product(product) == VARIATION:
        return f"WOO-{_int(product.get('parent_id'))}-{_int(product.get('id'))}"
    return f"WOO-{_int(product.get('id'))}"


def item_values(
    product: Mapping[str, Any],
    ctx: MappingContext,
    *,
    current: Mapping[str, Any] | None = None,
    parent_name: str = "",
) -> dict[str, Any]:
    """Item fields to write from a product (``current``: the Item as it is, None to create).

    Only fields that differ from ``current`` are returned on an update. The price goes to the Item
    Price (:func:`woo_canonical`'s ``regular_price``), not here."""
    canon = woo_canonical(product, ctx)
    kind = canon["kind"]
    values: dict[str, Any] = {"disabled": 0 if canon["active"] else 1}
    if kind == VARIATION:
        values["weight_per_unit"] = float(canon["weight"] or 0)
        if current is None:
            opts = " ".join(v for _, v in sorted(canon["attributes"].items()))
            base = text(parent_name) or text(product.get("name"))
            name = text(product.get("name")) if " - " in text(product.get("name")) else f"{base} - {opts}".strip(" -")
            values["item_name"] = name[:ITEM_NAME_MAX]
    else:
        values["item_name"] = (canon["name"] or canon["sku"] or item_code_for(product))[:ITEM_NAME_MAX]
        values["description"] = text(product.get("description")) if canon["description"] else values["item_name"]
        if ctx.short_description:
            values[SHORT_DESCRIPTION_FIELD] = text(product.get("short_description"))
        group = canon["category"]
        if group:
            values["item_group"] = group
        elif current is None:
            values["item_group"] = ctx.fallback_item_group
        elif text(current.get("item_group")) in ctx.mapped_groups:
            # the product left every mapped category: the item goes back to the fallback group
            values["item_group"] = ctx.fallback_item_group
        if kind == SIMPLE:
            values["weight_per_unit"] = float(canon["weight"] or 0)
    if ctx.sync_images and kind != VARIATION:
        src = product_image(product)
        if src and (current is None or image_key(current.get("image")) != image_key(src)):
            values["image"] = src
    if values.get("weight_per_unit"):
        values["weight_uom"] = "Kg"
    if current is not None:
        values = {k: v for k, v in values.items() if _differs(current.get(k), v, html=k in _HTML_FIELDS)}
        if "description" in values and not canon["description"] and \
                html_text(current.get("description")) in ("", html_text(current.get("item_name"))):
            values.pop("description")
    return values


_HTML_FIELDS = ("description", SHORT_DESCRIPTION_FIELD)


def _differs(a: Any, b: Any, html: bool = False) -> bool:
    if html:
        return html_text(a) != html_text(b)
    if isinstance(b, (int, float)) and not isinstance(b, bool):
        try:
            return float(a or 0) != float(b)
        except (TypeError, ValueError):
            return True
    return text(a) != text(b)


# ------------------------------------------------------------------------------------------------
# labels
# ------------------------------------------------------------------------------------------------


def woo_label(product_id: Any, variation_id: Any = 0) -> str:
    """ "#Woo: 68", "#Woo: 40/42" for a variation."""
    pid, vid = _int(product_id), _int(variation_id)
    if not pid and not vid:
        return ""
    return f"#Woo: {pid}/{vid}" if vid else f"#Woo: {pid}"
