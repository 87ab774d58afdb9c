"""Deciding: what to do for each pair (item, product), as a list of :class:`Op` and a
:class:`~shopsync.sync.products.results.Preview`, before anything is written.

For a linked pair the current fingerprints are compared with the ones stored on the link: nothing
changed -> nothing to do (this is also how the echo of our own writes is dropped: the webhook that
follows a push, the doc event that follows a pull); one side changed -> it is copied to the other
when the site's direction allows, else the link goes Out of sync; both changed -> nothing is
overwritten, the link goes Out of sync and the user picks the winner with Resync.

An unlinked product is associated with the item whose code is its SKU, else its item is to be
created; an unlinked item meant for the shop (see :meth:`Engine.eligible`) gets a product.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Mapping

from shopsync.sync import product_mapping as pm
from shopsync.sync.links import IN_SYNC, NOT_LINKED, OUT_OF_SYNC, link_target
from shopsync.sync.products.catalogue import Key, key_of
from shopsync.sync.products.engine import Engine, is_live
from shopsync.sync.products.results import Preview, Row


@dataclasses.dataclass
class Op:
    """One thing to do for one pair. ``key`` None: the product is to be created; ``code`` None:
    the item is to be created."""

    action: str  # pull | push | link | mark | unlink | draft (| parent: a variable product's attributes)
    key: Key | None
    code: str | None
    state: str = IN_SYNC
    error: str = ""
    row: Row | None = None


def decide_linked(eng: Engine, key: Key, code: str, link: Mapping[str, Any], origin: str | None = None) -> Op:
    """A live link whose item and product are both at hand."""
    erp_c, woo_c = eng.erp_canon(code), eng.woo_canon(key)
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
            return Op("mark", key, code, IN_SYNC, row=eng.row(code, key))
        return Op("none", key, code)
    fields = ", ".join(diffs)
    if erp_changed and woo_changed:
        return Op("mark", key, code, OUT_OF_SYNC, row=eng.row(code, key, f"changed on both sides: {fields}"),
                  error=f"Changed in the shop and in the ERP since the last sync; they now differ on {fields}. "
                        "Nothing was overwritten: choose which version to keep (Resync).")
    if woo_changed:
        if eng.site.pulls_products():
            return Op("pull", key, code, row=eng.row(code, key, fields))
        return Op("mark", key, code, OUT_OF_SYNC, row=eng.row(code, key, f"changed in the shop: {fields}"),
                  error=f"Changed in the shop ({fields}); the site only sends products from the ERP to the shop.")
    if erp_changed:
        if eng.site.pushes_products():
            return Op("push", key, code, row=eng.row(code, key, fields))
        return Op("mark", key, code, OUT_OF_SYNC, row=eng.row(code, key, f"changed in the ERP: {fields}"),
                  error=f"Changed in the ERP ({fields}); the site only takes products from the shop.")
    if link.get("state") != OUT_OF_SYNC:
        return Op("mark", key, code, OUT_OF_SYNC, row=eng.row(code, key, fields),
                  error=link.get("last_error") or f"The item and the product differ on {fields}.")
    return Op("none", key, code)


def item_gone_op(eng: Engine, key: Key, code: str) -> Op:
    """A linked item deleted in the ERP: its product goes to draft (or, on a site that does not
    send products, only the link goes Not linked)."""
    if eng.site.pushes_products():
        return Op("draft", key, code, NOT_LINKED, error="The item was deleted in the ERP; the product was set to draft.",
                  row=eng.row(code, key, "item deleted in the ERP"))
    return Op("unlink", key, code, NOT_LINKED, error="The item was deleted in the ERP.",
              row=eng.row(code, key, "item deleted in the ERP"))


def product_gone_op(eng: Engine, key: Key, code: str) -> Op:
    return Op("unlink", key, code, NOT_LINKED, error="The product is no longer in the shop.",
              row=eng.row(code, key, "product no longer in the shop"))


def plan(eng: Engine, keys: Iterable[Key] | None = None, codes: Iterable[str] | None = None, *,
         keep: str | None = None, origin: str | None = None, create: bool = True) -> tuple[list[Op], Preview]:
    """Decide for the shop objects ``keys`` (default: all read) and the items ``codes``
    (default: all loaded). ``keep``: for pairs associated now, which side wins (None: link
    them and show Out of sync where they differ). ``create``: create what exists on one side
    only (per the site's direction)."""
    ops: list[Op] = []
    pv = Preview()
    keys = list(eng.shop.keys() if keys is None else keys)
    codes = list(eng.items if codes is None else codes)
    seen_codes: set[str] = set()
    creating_parents: set[int] = set()
    sku_index: dict[str, str] = {}
    for code in eng.items:
        sku_index.setdefault(code.casefold(), code)

    # 1. every shop object in scope
    for key in sorted(keys, key=lambda k: (k[1] != 0, k)):
        obj = eng.shop.get(key)
        if obj is None:
            continue
        sku = pm.text(obj.get("sku"))
        link = eng.links_by_key.get(key)
        code = link.get("erp_name") if is_live(link) else None
        if eng.blacklisted(code or "", key, sku):
            pv.blacklisted.append(eng.row(code, key))
            if code:
                seen_codes.add(code)
            continue
        if code and code in eng.items:
            seen_codes.add(code)
            record(decide_linked(eng, key, code, link, origin), ops, pv)
            continue
        if code and code not in eng.items:
            # the item is gone from the ERP: the product goes to draft, the link to Not linked
            if eng.erp.exists("Item", code):
                eng.reload_item(code)
                seen_codes.add(code)
                record(decide_linked(eng, key, code, link, origin), ops, pv)
                continue
            record(item_gone_op(eng, key, code), ops, pv)
            continue
        # not linked: associate by SKU, else create the item
        match = sku_index.get(sku.casefold()) if sku else None
        if match:
            seen_codes.add(match)
            if associate_op(eng, key, match, keep, ops, pv) and pm.kind_of_product(obj) == pm.VARIABLE:
                creating_parents.add(key[0])  # its new variations can be made under the template
            continue
        parent_ok = True
        if key[1]:
            parent_link = eng.links_by_key.get((key[0], 0))
            parent_ok = key[0] in creating_parents or (is_live(parent_link) and
                                                       bool(eng.items.get(parent_link["erp_name"], {}).get("has_variants")))
        if create and eng.site.pulls_products() and parent_ok:
            if pm.kind_of_product(obj) == pm.VARIABLE:
                creating_parents.add(key[0])
            op = Op("pull", key, None, row=eng.row(None, key))
            ops.append(op)
            pv.create_in_erp.append(op.row)
        else:
            why = "the site does not take products from the shop" if not eng.site.pulls_products() else (
                "its variable product is not linked to a template item" if not parent_ok else "")
            pv.shop_only.append(eng.row(None, key, why))

    # 2. every item in scope not met above
    creating_templates: set[str] = set()
    for code in sorted(codes, key=lambda c: (bool(eng.items.get(c, {}).get("variant_of")), c)):
        if code in seen_codes or code not in eng.items:
            continue
        link = eng.links_by_item.get(code)
        key = link_target(link) if is_live(link) else None
        if eng.blacklisted(code, key):
            pv.blacklisted.append(eng.row(code, key))
            continue
        if key is not None:
            if key in eng.shop:
                record(decide_linked(eng, key, code, link, origin), ops, pv)
            elif eng.shop.complete:
                record(product_gone_op(eng, key, code), ops, pv)
            continue
        if link is not None and link.get("state") == NOT_LINKED:
            if eng.eligible(code) or link.get("last_error"):
                pv.erp_only.append(eng.row(code, None, link.get("last_error") or "not linked"))
            continue
        if not eng.eligible(code):
            continue
        item = eng.items[code]
        template = item.get("variant_of")
        if template:
            if template in creating_templates:
                continue  # created with its template
            t_link = eng.links_by_item.get(template)
            if not is_live(t_link):
                if not eng.blacklisted(template, None):
                    pv.erp_only.append(eng.row(code, None, f"its template {template} is not linked"))
                continue
        if create and eng.site.pushes_products():
            if item.get("has_variants"):
                creating_templates.add(code)
            op = Op("push", None, code, row=eng.row(code, None))
            ops.append(op)
            pv.create_in_shop.append(op.row)
        else:
            pv.erp_only.append(eng.row(code, None, "" if eng.site.pushes_products() else
                                       "the site does not send products to the shop"))
    return ops, pv


def associate_op(eng: Engine, key: Key, code: str, keep: str | None, ops: list[Op], pv: Preview) -> bool:
    """Plan the link of an unlinked product and the item holding its SKU; False if they cannot be."""
    obj = eng.shop.get(key)
    other = eng.links_by_item.get(code)
    if is_live(other) and link_target(other) != key:
        msg = (f"SKU {pm.text(obj.get('sku'))} of {pm.woo_label(*key)} “{pm.text(obj.get('name'))}” is the code of "
               f"item {code}, which is already linked to {pm.woo_label(*link_target(other))}. Change the product's "
               "SKU, or unlink the item first.")
        pv.errors.append(eng.row(code, key, msg))
        eng.result.errors.append(eng.row(code, key, msg))
        return False
    if eng.blacklisted(code, None):
        pv.blacklisted.append(eng.row(code, key))
        return False
    mismatch = kind_mismatch(eng.items[code], obj)
    if mismatch:
        pv.errors.append(eng.row(code, key, mismatch))
        return False
    diffs = pm.differences(eng.erp_canon(code), eng.woo_canon(key))
    row = eng.row(code, key, ", ".join(diffs) if diffs else "identical")
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


def record(op: Op, ops: list[Op], pv: Preview) -> None:
    """Add ``op`` to the plan and to the preview's list it belongs to."""
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


def kind_mismatch(item: Mapping[str, Any], obj: Mapping[str, Any]) -> str:
    """Why an item and a product cannot be linked for their kinds ("" when they can)."""
    ik, pk = pm.kind_of_item(item), pm.kind_of_product(obj)
    if ik == pk:
        return ""
    names = {pm.SIMPLE: "a simple product", pm.VARIABLE: "a variable product (template item)", pm.VARIATION: "a variation (variant item)"}
    return (f"Item {item.get('name')} is {names[ik]} but {pm.woo_label(*key_of(obj))} is {names[pk]}; "
            "they cannot be linked")
