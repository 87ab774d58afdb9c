"""The blacklist: items and products a site keeps out entirely (never created, updated, or
stock-pushed there). One reading of an entry for the order import, the product sync and stock."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

BLACKLIST_DOCTYPE = "WooCommerce Blacklist Entry"


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def match(entries: Iterable[Mapping[str, Any]], item_code: str, key: tuple[int, int] | None,
          sku: str = "") -> Mapping[str, Any] | None:
    """The entry that names the item (by code, or by the SKU it goes by in the shop), the product
    (and so all its variations) or the variation; None when there is none.
    ``key`` is (product id, variation id), variation id 0 for a simple product."""
    pid, vid = key or (0, 0)
    for e in entries:
        code = e.get("item_code") or ""
        if code and (code == item_code or (sku and code == sku)):
            return e
        b_id, b_var = _int(e.get("woo_id")), _int(e.get("woo_variation_id"))
        if pid and b_id and b_id == pid and (not b_var or b_var == vid):
            return e
        if vid and (b_var == vid or (b_id == vid and not b_var)):
            return e
    return None
