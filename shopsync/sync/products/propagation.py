"""Single changes, one at a time: a product delivery from the shop, an Item changed or deleted in
the ERP. Each reads only what its pair needs, decides like a bulk run and writes the same way; a
lost race with another job is raised for the job to run again on fresh reads."""

from __future__ import annotations

from typing import Any, Mapping

from shopsync.erp.port import ERP
from shopsync.sync import product_mapping as pm
from shopsync.sync.links import LINK_DOCTYPE, NOT_LINKED, link_target
from shopsync.sync.outcome import DONE, FAILED, SKIPPED, Outcome
from shopsync.sync.products.apply import apply
from shopsync.sync.products.catalogue import as_int, fetch_shop, key_of
from shopsync.sync.products.engine import KIND, Engine, is_live
from shopsync.sync.products.erp_writes import gone_item_values, update_link
from shopsync.sync.products.plan import Op, plan
from shopsync.sync.products.results import Row, SyncResult
from shopsync.sync.runtime import shop_client
from shopsync.sync.site import SiteConfig


# ================================================================================================
# webhooks
# ================================================================================================


def handle_delivery(rt: Any, site: SiteConfig, event: str, payload: Mapping[str, Any]) -> Outcome:
    """A product.created / updated / deleted delivery (also a variation's: type "variation").

    Returns what the log stores: Done, Skipped (nothing changed, the echo of our own write,
    blacklisted, not taken by the site's direction) or Failed (with the reason).
    """
    erp = rt.erp
    if not isinstance(payload, Mapping) or (payload.get("code") and not payload.get("id")):
        what = payload.get("code", "empty") if isinstance(payload, Mapping) else "not an object"
        return Outcome(SKIPPED, f"No product in the delivery ({what})")
    pid = as_int(payload.get("id"))
    if event == "deleted" or payload.get("status") == "trash":
        # The shop is asked first: a signed body can be re-labelled or replayed as a deletion.
        with shop_client(rt, site) as client:
            still = client.get_unless_gone(f"products/{pid}")
        if still is not None:
            return Outcome(SKIPPED, f"#Woo: {pid} is still in the shop ({still.get('status') or 'present'}):"
                                      " the deletion was not applied")
        return _product_trashed(erp, site, pid)

    product = dict(payload)
    key = key_of(product)
    eng = Engine(erp, site, None)
    eng.single = True
    eng.load_links(product_ids=[key[0]])
    eng.load_blacklist()
    link = eng.links_by_key.get(key)
    sku = pm.text(product.get("sku"))
    code = link.get("erp_name") if is_live(link) else None
    if eng.blacklisted(code or "", key, sku):
        return Outcome(SKIPPED, f"{pm.woo_label(*key)} is on the blacklist of site {site.name}")
    if code is None and not site.pulls_products():
        return Outcome(SKIPPED, f"{pm.woo_label(*key)} is not linked and the site does not take products from the shop")
    seen = (link or {}).get("woo_modified_gmt") or ""
    if code and seen and (product.get("date_modified_gmt") or "") and product["date_modified_gmt"] < seen:
        return Outcome(SKIPPED, f"{pm.woo_label(*key)}: this delivery ({product['date_modified_gmt']}) is older "
                                  f"than the product already synced ({seen})")

    def client():
        return eng.client if eng.client is not None else eng.use_client(rt.client_for(site))

    # read what the decision needs from the shop, outside any transaction
    eng.shop.add(product)
    keys = [key]
    if code is None:
        parent_link = eng.links_by_key.get((key[0], 0)) if key[1] else None
        if key[1] and not is_live(parent_link):
            # a variation of a product we do not know: take the product with all its variations
            fetch_shop(client(), product_ids=[key[0]], shop=eng.shop)
            if key not in eng.shop:
                eng.shop.add(product)
            keys = [(key[0], 0)] + eng.shop.variations_of(key[0])
        elif not key[1] and pm.kind_of_product(product) == pm.VARIABLE and product.get("variations"):
            for var in client().iter(f"products/{key[0]}/variations"):
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
    ops, pv = plan(eng, keys=keys, codes=[], origin="shop")
    if any(o.action in ("push", "draft") for o in ops):
        client()
    if pv.errors:
        _record_clash(eng, pv.errors)
    res = apply(eng, ops) if ops else eng.result
    failures = [r.detail for r in pv.errors + res.errors if r.detail]
    if failures:
        return Outcome(FAILED, "; ".join(dict.fromkeys(failures)))
    if not ops:
        if pv.shop_only:
            return Outcome(SKIPPED, f"{pm.woo_label(*key)}: {pv.shop_only[0].detail or 'not taken'}")
        if pv.blacklisted:
            return Outcome(SKIPPED, f"{pm.woo_label(*key)} is on the blacklist of site {site.name}")
        return Outcome(SKIPPED, f"{pm.woo_label(*key)}: nothing changed since the last sync")
    if res.out_of_sync and not (res.created_items or res.updated_items):
        return Outcome(DONE, f"{pm.woo_label(*key)} out of sync: {res.out_of_sync[0].detail}")
    return Outcome(DONE, res.summary())


def _record_clash(eng: Engine, rows: list[Row]) -> None:
    """A duplicate SKU found while pulling: the error goes on the link of the item holding it."""
    for r in rows:
        if not r.item_code:
            continue
        link = eng.links_by_item.get(r.item_code)
        if link is not None:
            with eng.erp.transaction():
                update_link(eng, link, last_error=r.detail[:2000])


def _product_trashed(erp: ERP, site: SiteConfig, pid: int) -> Outcome:
    """product.deleted (a trash; a permanent delete sends nothing): its links go Not linked, the
    items stay. ``pid`` may be a variation's id."""
    rows = erp.find(LINK_DOCTYPE, {"site": site.name, "link_type": KIND, "woo_id": pid}, fields=("*",))
    rows += erp.find(LINK_DOCTYPE, {"site": site.name, "link_type": KIND, "woo_variation_id": pid}, fields=("*",))
    rows = [r for r in {r["name"]: r for r in rows}.values() if r.get("state") != NOT_LINKED]
    if not rows:
        return Outcome(SKIPPED, f"#Woo: {pid} trashed; it was not linked")
    with erp.transaction():
        for r in rows:
            erp.update(LINK_DOCTYPE, r["name"], {
                "state": NOT_LINKED, "last_error": f"The product was deleted in the shop ({erp.now()}); the item stays.",
                "last_synced_at": erp.now()})
    items = ", ".join(sorted(r.get("erp_name") or "" for r in rows))
    return Outcome(DONE, f"#Woo: {pid} trashed in the shop: item(s) {items} not linked any more")


# ================================================================================================
# ERP events
# ================================================================================================


def push_item(erp: ERP, site: SiteConfig, client: Any, item_code: str) -> SyncResult:
    """After an Item or Item Price change (queued by the doc events, one job per item).

    No shop request when the item's synced fields did not change since the last sync."""
    eng = Engine(erp, site, client)
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
            ops, _ = plan(eng, keys=[key], codes=[], origin="erp")
        return apply(eng, ops)
    # not linked
    if link is not None and link.get("state") == NOT_LINKED and as_int(link.get("woo_id")):
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
    ops, _ = plan(eng, keys=[], codes=[item_code], origin="erp")
    return apply(eng, ops)


def item_deleted(erp: ERP, site: SiteConfig, client: Any, item_code: str) -> SyncResult:
    """After an Item was deleted: its product goes to draft (a variation: private), never deleted;
    the link goes Not linked."""
    eng = Engine(erp, site, client)
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
        return apply(eng, [op])
    with erp.transaction():
        update_link(eng, link, state=NOT_LINKED, **gone_item_values(
            eng, item_code, "The item was deleted in the ERP; the site does not send products to the shop."))
    eng.result.unlinked.append(eng.row(item_code, key))
    return eng.result
