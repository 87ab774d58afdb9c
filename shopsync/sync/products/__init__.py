"""Products both ways: link records, sync state, association, propagation, resync, blacklist.

Plain Python, no ``frappe``. The mapping itself (item <-> product, fingerprints) is in
:mod:`shopsync.sync.product_mapping`, the rules that make an Item from a product in
:mod:`shopsync.sync.item_factory` (shared with the order import); this package reads both sides,
decides, and writes.

**Links.** One "WooCommerce Link" (``link_type`` Item) per item and site: ``woo_id`` the product
(for a variation: its parent product), ``woo_variation_id`` the variation, ``woo_parent_id`` the
parent of a variation, ``sku``, and the fingerprint of each side's synced fields when they last
agreed (``erp_fingerprint``, ``woo_fingerprint``). The state follows: both fingerprints as they are
now -> **In sync**; either differs -> **Out of sync**; no link, or the product gone -> **Not linked**.

The rooms, in the order a run goes through them:

- :mod:`.catalogue` — the shop's products as read (:class:`Shop`, :func:`fetch_shop`);
- :mod:`.engine` — what one run knows: the site, the ERP's items, prices, links and blacklist as
  loaded, their canonical forms, the result so far (:class:`Engine`);
- :mod:`.plan` — deciding, for each pair, what to do (:class:`Op`), and the :class:`Preview`;
- :mod:`.apply` — carrying out a plan: :mod:`.erp_writes` (items pulled, links bound, 100 pairs
  a transaction) then :mod:`.shop_writes` (batches of 100 to the shop, what it accepted recorded);
- :mod:`.propagation` — single changes: :func:`handle_delivery` (the webhook job for
  product.created / updated / deleted), :func:`push_item` (queued by the Item / Item Price doc
  events), :func:`item_deleted` (queued by the Item's on_trash);
- :mod:`.operations` — :func:`preview_first_sync` / :func:`run_first_sync` / :func:`run_sync`
  (bulk runs), :func:`associate`, :func:`associate_by_sku`, :func:`unmatched`,
  :func:`create_on_other_side`, :func:`resync`;
- :mod:`.report` — :func:`sync_state`, for the report and the Item indicator;
- :mod:`.blacklisting` — :func:`blacklist_add`, :func:`blacklist_remove`, :func:`blacklist_entries`;
- :mod:`.results` — what the engine hands back (:class:`Row`, :class:`SyncResult`, ...).
"""

from shopsync.sync.products.apply import ERP_CHUNK, Progress
from shopsync.sync.products.blacklisting import blacklist_add, blacklist_entries, blacklist_remove
from shopsync.sync.products.catalogue import BATCH, Key, Shop, fetch_shop, key_of
from shopsync.sync.products.engine import IN_CHUNK, ITEM_FIELDS, KIND, Engine, is_blacklisted, is_live
from shopsync.sync.products.operations import (
    associate,
    associate_by_sku,
    create_on_other_side,
    preview_first_sync,
    resync,
    run_first_sync,
    run_sync,
    unmatched,
)
from shopsync.sync.products.plan import Op
from shopsync.sync.products.propagation import handle_delivery, item_deleted, push_item
from shopsync.sync.products.report import sync_state
from shopsync.sync.products.results import Preview, ProductSyncError, Row, StateRow, SyncResult, Unmatched
from shopsync.sync.products.shop_writes import sku_clash_message

__all__ = [
    "BATCH", "ERP_CHUNK", "IN_CHUNK", "ITEM_FIELDS", "KIND", "Engine", "Key", "Op", "Preview", "ProductSyncError",
    "Progress", "Row", "Shop", "StateRow", "SyncResult", "Unmatched", "associate", "associate_by_sku",
    "blacklist_add", "blacklist_entries", "blacklist_remove", "create_on_other_side", "fetch_shop",
    "handle_delivery", "is_blacklisted", "is_live", "item_deleted", "key_of", "preview_first_sync",
    "push_item", "resync", "run_first_sync", "run_sync", "sku_clash_message", "sync_state", "unmatched",
]
