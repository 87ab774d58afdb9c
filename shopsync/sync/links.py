"""The binder: link records between ERP documents and WooCommerce objects, per site.

A link is one "WooCommerce Link" document. Its name (``link_key``) is built from the site, the kind
and the WooCommerce id, so the database's primary key makes "one ERP document per remote object"
hold even under concurrent jobs: a second insert fails with ``DuplicateEntryError`` and the whole
transaction that tried it rolls back. ``erp_key`` (unique) does the same for the ERP side.
"""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

from shopsync.erp.errors import DoesNotExistError
from shopsync.erp.port import ERP, Doc

LINK_DOCTYPE = "WooCommerce Link"

ERP_DOCTYPE_OF = {
    "Order": "Sales Order",
    "Customer": "Customer",
    "Item": "Item",
    "Address": "Address",
    "Refund": "Sales Invoice",  # a shop refund -> its credit note (shopsync.sync.refunds)
}

IN_SYNC, OUT_OF_SYNC, NOT_LINKED = "In sync", "Out of sync", "Not linked"

#: a link's ``sku`` and ``erp_key`` are Data fields (140 characters); a shop's SKU may be longer
SKU_MAX = KEY_MAX = 140


def _fit(values: dict[str, Any]) -> dict[str, Any]:
    if isinstance(values.get("sku"), str) and len(values["sku"]) > SKU_MAX:
        values = {**values, "sku": values["sku"][:SKU_MAX]}
    return values


def link_target(link: Mapping[str, Any]) -> tuple[int, int]:
    """``(product id, variation id)`` of an Item link; variation id 0 for a product.

    A variation link carries ``woo_variation_id`` (and its product in ``woo_parent_id``, or in
    ``woo_id`` as the binder's key has it); a link with only ``woo_parent_id`` set is read as a
    variation whose id is ``woo_id``.
    """
    woo_id = int(link.get("woo_id") or 0)
    variation = int(link.get("woo_variation_id") or 0)
    parent = int(link.get("woo_parent_id") or 0)
    if variation:
        return (parent or woo_id, variation)
    if parent and parent != woo_id:
        return (parent, woo_id)
    return (woo_id, 0)


def link_key(site: str, kind: str, woo_id: int | str, variation_id: int | str = 0) -> str:
    key = f"{site}-{kind.lower()}-{woo_id}"
    if variation_id and str(variation_id) != "0":
        key += f"-{variation_id}"
    return key


def erp_key(site: str, erp_doctype: str, erp_name: str) -> str:
    """The link's unique key on the ERP side. It is a Data field (140 characters): a longer one (a
    140-character item code made from a long SKU) keeps its start and ends with a hash of the whole,
    folded like the database's unique index folds it."""
    key = f"{site}|{erp_doctype}|{erp_name}"
    if len(key) <= KEY_MAX:
        return key
    return f"{key[:KEY_MAX - 17]}~{hashlib.sha1(key.casefold().encode('utf-8')).hexdigest()[:16]}"


class Binder:
    """Reads and writes the link records of one site through the ERP port."""

    def __init__(self, erp: ERP, site: str):
        self.erp = erp
        self.site = site

    def get(self, kind: str, woo_id: int | str, variation_id: int | str = 0) -> Doc | None:
        try:
            return self.erp.get(LINK_DOCTYPE, link_key(self.site, kind, woo_id, variation_id))
        except DoesNotExistError:
            return None

    def erp_name(self, kind: str, woo_id: int | str, variation_id: int | str = 0) -> str | None:
        link = self.get(kind, woo_id, variation_id)
        if link and link.get("state") != NOT_LINKED:
            return link.get("erp_name")
        return None

    def for_erp(self, erp_doctype: str, name: str) -> Doc | None:
        rows = self.erp.find(
            LINK_DOCTYPE, {"erp_key": erp_key(self.site, erp_doctype, name)}, fields=("*",), limit=1
        )
        return rows[0] if rows else None

    def bind(
        self,
        kind: str,
        woo_id: int | str,
        erp_name: str,
        variation_id: int | str = 0,
        **extra: Any,
    ) -> Doc:
        """Insert the link. Raises DuplicateEntryError when the remote object is already bound
        (its name is its link key) and UniqueValidationError when the ERP document is (its erp_key
        is unique). Written as a bare row: every field is built here and fitted to its column, and
        the document it names was just made or read by the caller."""
        erp_doctype = ERP_DOCTYPE_OF[kind]
        doc = {
            "doctype": LINK_DOCTYPE,
            "link_key": link_key(self.site, kind, woo_id, variation_id),
            "site": self.site,
            "link_type": kind,
            "woo_id": int(woo_id),
            "woo_variation_id": int(variation_id or 0),
            "erp_doctype": erp_doctype,
            "erp_name": erp_name,
            "erp_key": erp_key(self.site, erp_doctype, erp_name),
            "state": extra.pop("state", IN_SYNC),
            "last_synced_at": self.erp.now(),
        }
        doc.update(_fit(extra))
        name = self.erp.insert_row(doc)
        return {**doc, "name": name}

    def update(self, link: Doc, **values: Any) -> Doc:
        """Bookkeeping on a link (state, fingerprints, errors, times): written straight to the row,
        so a concurrent job that touched the same link a moment ago cannot make it fail."""
        values = _fit(values)
        self.erp.set_values(LINK_DOCTYPE, link["name"], values)
        merged = dict(link)
        merged.update(values)
        return merged

    def all(self, kind: str, **filters: Any) -> list[Doc]:
        return self.erp.find(LINK_DOCTYPE, {"site": self.site, "link_type": kind, **filters}, fields=("*",))
