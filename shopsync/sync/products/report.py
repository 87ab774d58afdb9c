"""The sync state of a site's items: the WooCommerce Sync State report and the Item form's
indicator, with the products read from the shop when a client is given."""

from __future__ import annotations

from typing import Any, Iterable

from shopsync.erp.port import ERP, Doc
from shopsync.sync import product_mapping as pm
from shopsync.sync.links import IN_SYNC, LINK_DOCTYPE, NOT_LINKED, OUT_OF_SYNC, link_target
from shopsync.sync.products.catalogue import fetch_shop
from shopsync.sync.products.engine import Engine, is_live
from shopsync.sync.products.results import StateRow
from shopsync.sync.site import SiteConfig


def sync_state(erp: ERP, site: SiteConfig, client: Any = None, item_codes: Iterable[str] | None = None, *,
               save: bool = True) -> list[StateRow]:
    """The state of every item link of the site (or of ``item_codes``), with the products read
    from the shop when a client is given (else the states stored on the links). Items meant for
    the shop that have no link are listed Not linked. ``save``: write states that changed."""
    eng = Engine(erp, site, client)
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
