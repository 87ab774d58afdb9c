"""Writing the ERP: items pulled from the shop (created or updated, with their prices), and the
link records that tie them to their products.

Every write happens inside an ``erp.transaction()`` block that holds no shop call. A bulk run
writes 100 pairs a transaction; when one fails, each pair of that chunk is written alone, so the
bad one is set aside with its reason on its link and the others land.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from shopsync.erp.errors import ERPError
from shopsync.erp.port import Doc
from shopsync.sync import product_mapping as pm
from shopsync.sync.failures import is_lost_race, is_transient
from shopsync.sync.links import IN_SYNC, LINK_DOCTYPE, NOT_LINKED, OUT_OF_SYNC, erp_key, link_target
from shopsync.sync.products.catalogue import Key
from shopsync.sync.products.engine import KIND, Engine, is_live, pending_key
from shopsync.sync.products.plan import Op
from shopsync.sync.products.results import ProductSyncError, ResultMark
from shopsync.sync.runtime import engine_writes
from shopsync.woocommerce.errors import WooError

log = logging.getLogger(__name__)


def error_text(exc: BaseException) -> str:
    """What a failed pair's link and the run's errors say: a shop's error (a WooError) in its own
    plain sentence with WooCommerce's code, never a key or secret; an ERP's refusal as it said it."""
    if isinstance(exc, WooError):
        return str(exc)
    return str(exc) or type(exc).__name__


def write_chunk(eng: Engine, ops: list[Op]) -> None:
    """One transaction for the chunk; if it fails, each op alone, to set the bad one aside."""
    snapshot = (dict(eng.links_by_key), dict(eng.links_by_item))
    mark = ResultMark(eng.result)
    try:
        with eng.erp.transaction():
            for op in ops:
                write_op(eng, op)
        return
    except Exception as exc:  # noqa: BLE001
        eng.links_by_key, eng.links_by_item = snapshot
        mark.rollback()
        _forget_writes(eng, ops)
        if len(ops) == 1:
            if is_transient(exc) or (eng.single and is_lost_race(exc)):
                # a single change (a delivery, an Item event) that met another job: its job
                # runs it again on fresh reads instead of recording a failure
                raise
            op = ops[0]
            msg = error_text(exc)
            eng.result.errors.append(op.row or eng.row(op.code, op.key, msg))
            eng.result.errors[-1].detail = msg
            note_error(eng, op.code, op.key, msg)
            return
    for op in ops:
        write_chunk(eng, [op])


def _forget_writes(eng: Engine, ops: list[Op]) -> None:
    """After a rollback: read again the items the transaction had touched."""
    eng.factory.forget()
    for op in ops:
        codes = [op.code] if op.code else []
        obj = eng.shop.get(op.key) if op.key else None
        if op.code is None and obj is not None:
            codes.append(eng.factory.code_for(obj, op.key))
        for code in codes:
            eng.reload_item(code)


def note_error(eng: Engine, code: str | None, key: Key | None, msg: str) -> None:
    """Put ``msg`` on the pair's link (in its own transaction)."""
    try:
        with eng.erp.transaction():
            link = eng.links_by_key.get(key) if key else None
            if link is None and code:
                link = eng.links_by_item.get(code)
            if link is not None:
                update_link(eng, link, last_error=msg[:2000])
            elif code and eng.erp.exists("Item", code):
                _pending_link(eng, code, msg)
    except ERPError:
        log.warning("shopsync: could not record an error for %s/%s", code, key)


def write_op(eng: Engine, op: Op) -> None:
    if op.action == "pull":
        pull(eng, op)
    elif op.action == "link":
        bind(eng, op.key, op.code, state=op.state, error=op.error)
        eng.result.linked.append(op.row or eng.row(op.code, op.key))
        if op.state == OUT_OF_SYNC:
            eng.result.out_of_sync.append(op.row or eng.row(op.code, op.key))
    elif op.action == "mark":
        link = eng.links_by_key.get(op.key) or eng.links_by_item.get(op.code)
        if op.state == IN_SYNC:
            bind(eng, op.key, op.code, state=IN_SYNC)
            eng.result.in_sync += 1
        else:
            update_link(eng, link, state=op.state, last_error=op.error or None)
            eng.result.out_of_sync.append(op.row or eng.row(op.code, op.key))
    elif op.action == "unlink":
        link = eng.links_by_key.get(op.key) or eng.links_by_item.get(op.code)
        if link is not None:
            update_link(eng, link, state=NOT_LINKED, **gone_item_values(eng, op.code, op.error))
        eng.result.unlinked.append(op.row or eng.row(op.code, op.key))


# ---------------------------------------------------------------- pull: shop -> ERP
def pull(eng: Engine, op: Op) -> None:
    key = op.key
    obj = eng.shop.get(key)
    code = op.code
    if code is None:
        code = _create_item(eng, key, obj, eng.shop.parent(key))
        eng.result.created_items.append(code)
    else:
        _update_item(eng, code, obj)
    state, error = state_after(eng, code, obj)
    bind(eng, key, code, state=state, error=error)
    if state == OUT_OF_SYNC:
        eng.result.out_of_sync.append(eng.row(code, key, error))


def state_after(eng: Engine, code: str, obj: Mapping[str, Any]) -> tuple[str, str]:
    """The state once one side was copied to the other: In sync, unless what cannot be copied
    still differs (an item code is never renamed after a SKU)."""
    diffs = pm.differences(eng.erp_canon(code), pm.woo_canonical(obj, eng.ctx))
    if not diffs:
        return IN_SYNC, ""
    if diffs == ["sku"]:
        return OUT_OF_SYNC, (f"The product's SKU {pm.text(obj.get('sku')) or '(none)'} differs from the item code "
                             f"{code}; item codes are not renamed from the shop. Resync keeping the ERP's version "
                             "to set the SKU.")
    return OUT_OF_SYNC, f"They still differ on {', '.join(diffs)} after the sync."


def _create_item(eng: Engine, key: Key, obj: dict, parent: dict | None) -> str:
    template = ""
    if pm.kind_of_product(obj) == pm.VARIATION:
        t_link = eng.links_by_key.get((key[0], 0))
        template = t_link.get("erp_name") if is_live(t_link) else ""
        if not template or not eng.items.get(template, {}).get("has_variants"):
            raise ProductSyncError(
                f"Variation #{key[1]} of product #{key[0]}: its variable product is not linked to a template item")
        problem = eng.factory.variant_problem(obj, key, template, [a for a, _ in eng.attrs.get(template, [])])
        if problem:
            raise ProductSyncError(problem)
    item = eng.factory.create(obj, key, parent=parent, template=template,
                              prices=eng.prices, sale_prices=eng.sale_prices)
    eng.remember_item(item)
    return item["name"]


def _update_item(eng: Engine, code: str, obj: dict) -> None:
    current = eng.items[code]
    values = pm.item_values(obj, eng.ctx, current=current)
    changed = False
    if values:
        with engine_writes():  # pulled from the shop: the Item hook queues no push of it back
            eng.erp.update("Item", code, values)
        current.update(values)
        changed = True
    if eng.factory.set_prices(code, obj, eng.prices, eng.sale_prices, uom=current.get("stock_uom") or ""):
        changed = True
    if changed:
        eng.result.updated_items.append(code)


# ---------------------------------------------------------------- links
def bind(eng: Engine, key: Key, code: str, *, state: str, error: str = "", woo_obj: Mapping[str, Any] | None = None) -> Doc:
    """Create or update the link of (key, code) with both sides' fingerprints as they are now."""
    obj = woo_obj if woo_obj is not None else eng.shop.get(key)
    values: dict[str, Any] = {
        "erp_fingerprint": pm.fingerprint(eng.erp_canon(code)),
        "woo_fingerprint": pm.fingerprint(pm.woo_canonical(obj, eng.ctx)),
        "woo_modified_gmt": obj.get("date_modified_gmt") or None,
        "sku": pm.text(obj.get("sku")) or None,
        "state": state,
        "last_error": error or None,
        "last_synced_at": eng.erp.now(),
    }
    existing = eng.links_by_key.get(key)
    if existing is None and not eng.links_complete:
        existing = eng.binder.get(KIND, key[0], key[1])
    # the item's former link (Not linked, or a pending error) makes way
    former = eng.links_by_item.get(code)
    if former is None and not eng.links_complete:
        former = eng.binder.for_erp("Item", code)
    if former is not None and (existing is None or former.get("name") != existing.get("name")):
        if is_live(former) and link_target(former) != key:
            raise ProductSyncError(
                f"Item {code} is already linked to {pm.woo_label(*link_target(former))}; unlink it first")
        eng.erp.delete(LINK_DOCTYPE, former["name"])
        eng.forget_link(former)
    if existing is not None:
        if is_live(existing) and existing.get("erp_name") != code:
            raise ProductSyncError(
                f"{pm.woo_label(*key)} is already linked to item {existing.get('erp_name')}; unlink it first")
        values.update(erp_name=code, erp_doctype="Item", erp_key=erp_key(eng.site.name, "Item", code))
        if key[1]:
            values["woo_parent_id"] = key[0]
        doc = update_link(eng, existing, **values)
    else:
        extra = dict(values)
        if key[1]:
            extra["woo_parent_id"] = key[0]
        doc = eng.binder.bind(KIND, key[0], code, key[1], **extra)
    eng.index_link(doc)
    return doc


def update_link(eng: Engine, link: Doc, **values: Any) -> Doc:
    eng.forget_link(link)
    doc = eng.binder.update(link, **values)
    merged = {**link, **values, **(doc or {})}
    eng.index_link(merged)
    return merged


def _pending_link(eng: Engine, code: str, msg: str) -> Doc:
    """A Not linked link for an item that has no product yet, carrying why."""
    former = eng.links_by_item.get(code)
    if former is None and not eng.links_complete:
        former = eng.binder.for_erp("Item", code)
    if former is not None:
        return update_link(eng, former, last_error=msg[:2000])
    doc = eng.erp.insert({
        "doctype": LINK_DOCTYPE, "link_key": pending_key(eng.site.name, code), "site": eng.site.name,
        "link_type": KIND, "woo_id": 0, "woo_variation_id": 0, "erp_doctype": "Item", "erp_name": code,
        "erp_key": erp_key(eng.site.name, "Item", code), "state": NOT_LINKED, "last_error": msg[:2000],
        "sku": code,
    })
    eng.index_link(doc)
    return doc


def gone_item_values(eng: Engine, code: str, why: str) -> dict[str, Any]:
    """Link fields once its item is deleted: no item named any more (the link field would not
    validate), the code kept in the message."""
    if eng.erp.exists("Item", code):
        return {"last_error": why or None}
    return {"erp_name": None, "erp_key": None, "last_error": f"Item {code}: {why}" if why else f"Item {code} deleted"}
