"""What the product engine hands back: the lines of a preview or a result, a preview, a run's
result, the sync state report's rows, and the products and items found on one side only."""

from __future__ import annotations

import dataclasses
from typing import Any

from shopsync.sync import product_mapping as pm


class ProductSyncError(Exception):
    """A request the engine cannot carry out (bad arguments, a direction that forbids it)."""


@dataclasses.dataclass
class Row:
    """One line of a preview, a result or a listing."""

    item_code: str = ""
    product_id: int = 0
    variation_id: int = 0
    sku: str = ""
    name: str = ""
    detail: str = ""

    @property
    def label(self) -> str:
        return pm.woo_label(self.product_id, self.variation_id)


@dataclasses.dataclass
class Preview:
    """What a bulk run would do; nothing is written to build it."""

    create_in_erp: list[Row] = dataclasses.field(default_factory=list)
    create_in_shop: list[Row] = dataclasses.field(default_factory=list)
    link: list[Row] = dataclasses.field(default_factory=list)
    update_erp: list[Row] = dataclasses.field(default_factory=list)
    update_shop: list[Row] = dataclasses.field(default_factory=list)
    conflicts: list[Row] = dataclasses.field(default_factory=list)
    unlink: list[Row] = dataclasses.field(default_factory=list)
    draft_in_shop: list[Row] = dataclasses.field(default_factory=list)
    shop_only: list[Row] = dataclasses.field(default_factory=list)
    erp_only: list[Row] = dataclasses.field(default_factory=list)
    blacklisted: list[Row] = dataclasses.field(default_factory=list)
    errors: list[Row] = dataclasses.field(default_factory=list)
    #: products to be linked whose shop quantity is kept until the site's stock is set up (stock.py)
    stock_held: list[Row] = dataclasses.field(default_factory=list)
    in_sync: int = 0

    LISTS = ("create_in_erp", "create_in_shop", "link", "update_erp", "update_shop", "conflicts", "unlink",
             "draft_in_shop", "shop_only", "erp_only", "blacklisted", "errors", "stock_held")

    @property
    def counts(self) -> dict[str, int]:
        out = {name: len(getattr(self, name)) for name in self.LISTS}
        out["in_sync"] = self.in_sync
        return out

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"counts": self.counts}
        for name in self.LISTS:
            out[name] = [dataclasses.asdict(r) | {"label": r.label} for r in getattr(self, name)]
        return out


@dataclasses.dataclass
class SyncResult:
    """What a run did."""

    created_items: list[str] = dataclasses.field(default_factory=list)
    updated_items: list[str] = dataclasses.field(default_factory=list)
    created_products: list[Row] = dataclasses.field(default_factory=list)
    updated_products: list[Row] = dataclasses.field(default_factory=list)
    linked: list[Row] = dataclasses.field(default_factory=list)
    out_of_sync: list[Row] = dataclasses.field(default_factory=list)
    unlinked: list[Row] = dataclasses.field(default_factory=list)
    drafted: list[Row] = dataclasses.field(default_factory=list)
    skipped: list[Row] = dataclasses.field(default_factory=list)
    errors: list[Row] = dataclasses.field(default_factory=list)
    in_sync: int = 0
    requests: int = 0
    #: the newest ``date_modified_gmt`` seen in the shop: pass it as ``since`` to the next run
    cursor: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.created_items or self.updated_items or self.created_products or self.updated_products
                    or self.linked or self.unlinked or self.drafted or self.out_of_sync)

    def summary(self) -> str:
        parts = []
        for label, value in (
            ("item(s) created", len(self.created_items)),
            ("item(s) updated", len(self.updated_items)),
            ("product(s) created", len(self.created_products)),
            ("product(s) updated", len(self.updated_products)),
            ("linked", len(self.linked)),
            ("out of sync", len(self.out_of_sync)),
            ("unlinked", len(self.unlinked)),
            ("set to draft", len(self.drafted)),
            ("errors", len(self.errors)),
        ):
            if value:
                parts.append(f"{value} {label}")
        return ", ".join(parts) or "nothing to do"


class ResultMark:
    """Where a result's lists stood, to forget what a rolled-back transaction added."""

    def __init__(self, result: SyncResult):
        self.result = result
        self.sizes = {f.name: len(getattr(result, f.name)) for f in dataclasses.fields(result)
                      if isinstance(getattr(result, f.name), list)}
        self.in_sync = result.in_sync

    def rollback(self) -> None:
        for name, size in self.sizes.items():
            del getattr(self.result, name)[size:]
        self.result.in_sync = self.in_sync


@dataclasses.dataclass
class StateRow:
    """One line of the sync state report (and the Item form's indicator)."""

    item_code: str
    item_name: str
    woo_id: int
    woo_variation_id: int
    state: str
    label: str
    last_error: str = ""
    blacklisted: bool = False
    #: which side changed since the last sync: "", "shop", "erp" or "both"
    changed: str = ""
    link: str = ""


@dataclasses.dataclass
class Unmatched:
    """Objects on one side only (nothing of the other side is linked or matches by SKU)."""

    shop_only: list[Row] = dataclasses.field(default_factory=list)
    erp_only: list[Row] = dataclasses.field(default_factory=list)
