"""Writing the shop: products and variations created, updated or set to draft, in batches of 100
(``products/batch``, ``products/<id>/variations/batch``), then what the shop accepted recorded on
the links in short ERP transactions, and what it refused put on the links with its reason.

Order of the batches: products (simple and variable) first, with the new attribute values of a
variable product whose variations are about to be created; then the variations, per product.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Mapping

from shopsync.sync import product_mapping as pm
from shopsync.sync.links import NOT_LINKED, link_target
from shopsync.sync.products.catalogue import Key, as_int, chunks
from shopsync.sync.products.engine import Engine, is_live
from shopsync.sync.products.erp_writes import bind, gone_item_values, note_error, state_after, update_link
from shopsync.sync.products.plan import Op
from shopsync.woocommerce.client import BatchItemError

ERP_CHUNK = 100  # links recorded per ERP transaction


def push(eng: Engine, ops: list[Op]) -> None:
    """Carry out the ``push`` and ``draft`` ops of a plan."""
    creates = [o for o in ops if o.action == "push" and o.key is None]
    updates = [o for o in ops if o.action == "push" and o.key is not None]
    drafts = [o for o in ops if o.action == "draft"]
    done: list[tuple[Op, Key, dict]] = []  # (op, key, product as the shop answered)
    failed: list[tuple[Op, str]] = []

    # products (simple and variable) first, then variations per parent
    product_updates: list[tuple[Op, dict]] = []
    variation_updates: dict[int, list[tuple[Op, dict]]] = defaultdict(list)
    for op in updates:
        payload = _payload(eng, op.code, op.key)
        (variation_updates[op.key[0]] if op.key[1] else product_updates).append((op, payload))
    for op in drafts:
        payload = {"status": "private" if op.key[1] else "draft"}
        (variation_updates[op.key[0]] if op.key[1] else product_updates).append((op, payload))

    new_products: list[tuple[Op, dict]] = []
    new_variations: dict[int, list[tuple[Op, str, dict]]] = defaultdict(list)
    for op in creates:
        item = eng.items[op.code]
        if item.get("variant_of"):
            t_link = eng.links_by_item.get(item["variant_of"])
            pid = link_target(t_link)[0]
            new_variations[pid].append((op, op.code, {}))
        else:
            new_products.append((op, _payload(eng, op.code, None)))

    # parents of new variations get the new attribute values first
    for pid, entries in new_variations.items():
        parent = eng.shop.products.get(pid)
        if parent is None:
            continue
        template = eng.links_by_key.get((pid, 0), {}).get("erp_name")
        if template and template in eng.items:
            attrs = pm.variable_attributes(eng.attribute_options(template), parent)
            if _attrs_changed(parent, attrs):
                for op, payload in product_updates:
                    if op.key == (pid, 0):
                        payload["attributes"] = attrs
                        break
                else:
                    product_updates.append((Op("parent", (pid, 0), template), {"attributes": attrs}))

    if product_updates or new_products:
        res = eng.client.batch(
            "products/batch",
            create=[p for _, p in new_products],
            update=[{"id": op.key[0], **p} for op, p in product_updates],
        )
        remember_echoes(eng, [answer for action, _, answer in res.pairs if action == "update"])
        by_sku = {pm.text(p.get("sku")).casefold(): op for op, p in new_products}
        by_id = {op.key[0]: op for op, _ in product_updates}
        for action, sent, answer in res.pairs:
            if action == "create":
                op = by_sku.get(pm.text(sent.get("sku")).casefold())
                if op is not None:
                    key = (as_int(answer.get("id")), 0)
                    eng.shop.add(answer)
                    done.append((op, key, answer))
            else:
                op = by_id.get(as_int(sent.get("id")))
                if op is not None:
                    eng.shop.add(answer)
                    if op.action != "parent":
                        done.append((op, op.key, answer))
        for err in res.errors:
            sent = err.object if isinstance(err.object, Mapping) else {"id": err.object}
            op = by_id.get(as_int(sent.get("id"))) if err.action != "create" else by_sku.get(pm.text(sent.get("sku")).casefold())
            if op is not None and op.action != "parent":
                failed.append((op, _batch_error_text(eng, op, sent, err)))

    # variations of the variable products just created
    for op, key, answer in list(done):
        if op.key is None and eng.items[op.code].get("has_variants"):
            for v_code in sorted(eng.variants_of.get(op.code, [])):
                if _variant_to_create(eng, v_code):
                    new_variations[key[0]].append((Op("push", None, v_code, row=eng.row(v_code)), v_code, {}))
    for pid in sorted(set(new_variations) | set(variation_updates)):
        parent = eng.shop.products.get(pid)
        creates_v = []
        for op, v_code, _ in new_variations.get(pid, []):
            creates_v.append((op, pm.variation_payload(eng.erp_canon(v_code), eng.ctx, parent=parent,
                                                       item_image_url=eng.items[v_code].get("image") or "")))
        updates_v = variation_updates.get(pid, [])
        if not creates_v and not updates_v:
            continue
        res = eng.client.batch(
            f"products/{pid}/variations/batch",
            create=[p for _, p in creates_v],
            update=[{"id": op.key[1], **p} for op, p in updates_v],
        )
        # the variations saved, and their parent, which WooCommerce saves after them
        remember_echoes(eng, [answer for action, _, answer in res.pairs if action == "update"],
                        parents=[parent] if parent is not None and res.pairs else [])
        by_sku = {pm.text(p.get("sku")).casefold(): op for op, p in creates_v}
        by_id = {op.key[1]: op for op, _ in updates_v}
        for action, sent, answer in res.pairs:
            answer = {**answer, "parent_id": answer.get("parent_id") or pid, "type": answer.get("type") or pm.VARIATION}
            op = by_sku.get(pm.text(sent.get("sku")).casefold()) if action == "create" else by_id.get(as_int(sent.get("id")))
            if op is not None:
                key = (pid, as_int(answer.get("id")))
                eng.shop.add(answer, parent_id=pid)
                done.append((op, key, answer))
        for err in res.errors:
            sent = err.object if isinstance(err.object, Mapping) else {"id": err.object}
            op = by_sku.get(pm.text(sent.get("sku")).casefold()) if err.action == "create" else by_id.get(as_int(sent.get("id")))
            if op is not None:
                failed.append((op, _batch_error_text(eng, op, sent, err)))

    # record what the shop accepted, in short transactions
    for part in chunks(done, ERP_CHUNK):
        with eng.erp.transaction():
            for op, key, answer in part:
                _after_push(eng, op, key, answer)
    for part in chunks(failed, ERP_CHUNK):
        for op, msg in part:
            eng.result.errors.append(eng.row(op.code, op.key, msg))
            note_error(eng, op.code, op.key, msg)


def remember_echoes(eng: Engine, answers: list[Mapping[str, Any]], parents: list[Mapping[str, Any]] = ()) -> None:
    """What the shop answered a push, so that its ``product.updated`` echoes cost no job
    (:mod:`shopsync.sync.echoes`): in the run's memory, else the runtime's, else nowhere."""
    memory = eng.echoes
    if memory is None:
        from shopsync.sync.runtime import NoRuntime, current

        try:
            memory = current().echoes
        except NoRuntime:
            return
    if memory is not None and (answers or parents):
        memory.remember(eng.site.name, answers, parents=parents)


def _variant_to_create(eng: Engine, v_code: str) -> bool:
    item = eng.items.get(v_code) or {}
    if item.get("disabled") or eng.blacklisted(v_code, None):
        return False
    return not is_live(eng.links_by_item.get(v_code))


def _after_push(eng: Engine, op: Op, key: Key, answer: dict) -> None:
    if op.action == "draft":
        link = eng.links_by_key.get(key) or eng.links_by_item.get(op.code)
        if link is not None:
            update_link(eng, link, state=NOT_LINKED, woo_fingerprint=pm.fingerprint(pm.woo_canonical(answer, eng.ctx)),
                        **gone_item_values(eng, op.code, op.error))
        eng.result.drafted.append(eng.row(op.code, key))
        return
    state, error = state_after(eng, op.code, answer)
    bind(eng, key, op.code, state=state, error=error, woo_obj=answer)
    row = eng.row(op.code, key)
    (eng.result.created_products if op.key is None else eng.result.updated_products).append(row)


def _payload(eng: Engine, code: str, key: Key | None) -> dict:
    item = eng.items[code]
    canon = eng.erp_canon(code)
    current = eng.shop.get(key) if key else None
    if canon["kind"] == pm.VARIATION:
        return pm.variation_payload(canon, eng.ctx, current=current, parent=eng.shop.parent(key) if key else None,
                                    item_image_url=item.get("image") or "")
    return pm.product_payload(canon, eng.ctx, current=current, item_image_url=item.get("image") or "",
                              attribute_options=eng.attribute_options(code) if canon["kind"] == pm.VARIABLE else None)


def _batch_error_text(eng: Engine, op: Op, sent: Mapping[str, Any], err: BatchItemError) -> str:
    code = err.code or ""
    if code == "product_invalid_sku":
        other_id = as_int((err.data or {}).get("resource_id"))
        return sku_clash_message(pm.text(sent.get("sku")) or op.code, op.code, None, eng.link_of_object(other_id),
                                 other_product=other_id)
    what = "create" if op.key is None else "update"
    return f"The shop refused to {what} the product of item {op.code}: {err.message or code} ({code})"


def _attrs_changed(parent: Mapping[str, Any], attrs: list[dict]) -> bool:
    have = {pm.text(a.get("name")): list(a.get("options") or []) for a in parent.get("attributes") or []}
    want = {pm.text(a.get("name")): list(a.get("options") or []) for a in attrs}
    return have != want


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
