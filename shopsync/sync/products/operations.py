"""What the desk and the scheduler ask of the product engine as a whole: the first sync (previewed,
then run), the hourly run, association (by SKU, or chosen by hand), the products and items found
on one side only, **Create on the other side**, and **Resync**."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Iterable

from shopsync.erp.port import ERP, Doc
from shopsync.sync import product_mapping as pm
from shopsync.sync.links import IN_SYNC, NOT_LINKED, OUT_OF_SYNC, link_target
from shopsync.sync.products.apply import Progress, apply
from shopsync.sync.products.catalogue import Key, fetch_shop
from shopsync.sync.products.engine import Engine, is_live
from shopsync.sync.products.erp_writes import bind
from shopsync.sync.products.plan import Op, kind_mismatch, plan
from shopsync.sync.products.results import Preview, ProductSyncError, SyncResult, Unmatched
from shopsync.sync.products.shop_writes import sku_clash_message
from shopsync.sync.site import SiteConfig


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


def _prepare(erp: ERP, site: SiteConfig, client: Any, since: str = "") -> Engine:
    eng = Engine(erp, site, client)
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
    _, pv = plan(eng, keep=keep)
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
    ops, pv = plan(eng, keep=keep)
    eng.result.skipped += pv.shop_only + pv.erp_only + pv.blacklisted
    eng.result.errors += [r for r in pv.errors if r not in eng.result.errors]
    res = apply(eng, ops, progress)
    if not res.cursor or (since and res.cursor < since):
        res.cursor = since or res.cursor
    return res


def _since_with_overlap(since: str, seconds: int = 1) -> str:
    """``since`` a little earlier: the shop's dates have whole seconds."""
    if not since:
        return ""
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
    eng = Engine(erp, site, client)
    eng.load()
    eng.shop = fetch_shop(client)
    keys = [k for k in eng.shop.keys() if not is_live(eng.links_by_key.get(k))]
    ops, pv = plan(eng, keys=keys, codes=[], keep=keep, create=False)
    ops = [o for o in ops if o.code is not None and o.row in pv.link]
    eng.result.errors += [r for r in pv.errors if r not in eng.result.errors]
    return apply(eng, ops, progress)


def associate(erp: ERP, site: SiteConfig, client: Any, item_code: str, product_id: int, variation_id: int = 0,
              keep: str = "shop") -> SyncResult:
    """Link ``item_code`` to a product (or variation) chosen by hand, keeping ``keep``'s version.

    A template linked to a variable product brings its variants along, matched to the variations
    by attribute values (then by SKU); those left over are listed in ``skipped``."""
    if keep not in ("shop", "erp"):
        raise ProductSyncError("keep must be 'shop' or 'erp'")
    _check_keep(site, keep)
    eng = Engine(erp, site, client)
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
    mismatch = kind_mismatch(eng.items[item_code], obj)
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
        return apply(eng, ops)
    # the link first (so the push records on it), then the push
    with erp.transaction():
        for op in ops:
            bind(eng, op.key, op.code, state=OUT_OF_SYNC)
    return apply(eng, ops)


def _match_variants(eng: Engine, template: str, pid: int, keep: str) -> list[Op]:
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
    _, pv = plan(eng, keep=None, create=True)
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
    eng = Engine(erp, site, client)
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
            code = eng.factory.code_for(obj, key)
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
    return apply(eng, ops)


def resync(erp: ERP, site: SiteConfig, client: Any, winner: str, *, item_codes: Iterable[str] | None = None,
           links: Iterable[str] | None = None, progress: Progress | None = None) -> SyncResult:
    """**Resync**: make the two sides agree, ``winner`` ("shop" or "erp") overwriting the other,
    on the links of ``item_codes`` or ``links`` (link names), or on every link of the site."""
    if winner not in ("shop", "erp"):
        raise ProductSyncError("winner must be 'shop' or 'erp'")
    _check_keep(site, winner)
    eng = Engine(erp, site, client)
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
    return apply(eng, ops, progress)
