"""The ERP port: the whole of what the engine asks of ERPNext.

The engine (``shopsync.sync``) only ever talks to an object of this shape. Two implementations:

- ``shopsync.erp.frappe_erp.FrappeERP``: the real one, inside a bench (imports ``frappe``);
- ``tests.erp_stand_in.MemoryERP``: in memory, holding the ERPNext 15 contract written down in
  ``shopsync/erp/contract.json`` (mandatory fields, links, select values, child tables, naming,
  Sales Order arithmetic), checked against a real site's captures by a contract test.

Documents travel as plain dicts, as Frappe's ``as_dict()`` gives them: ``{"doctype": ..., "name":
..., field: value, child_table_field: [{...}, ...]}``. Errors are those of ``shopsync.erp.errors``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Iterable, Protocol, runtime_checkable

Doc = dict[str, Any]


@runtime_checkable
class ERP(Protocol):
    # --- reading -------------------------------------------------------------------------------
    def get(self, doctype: str, name: str) -> Doc:
        """The document with its child tables; ``DoesNotExistError`` when there is none."""

    def exists(self, doctype: str, name: str) -> bool:
        ...

    def find(
        self,
        doctype: str,
        filters: dict[str, Any] | None = None,
        fields: Iterable[str] = ("name",),
        order_by: str | None = None,
        limit: int | None = None,
    ) -> list[Doc]:
        """Rows of ``doctype`` whose fields equal ``filters`` (a value may also be
        ``("in", [...])``, ``(">", x)``, ``(">=", x)``, ``("<", x)``, ``("like", "a%")``).
        For a child doctype, filters on ``parent``/``parenttype`` work as in Frappe."""

    def get_value(self, doctype: str, name: str, field: str) -> Any:
        ...

    def get_single_value(self, doctype: str, field: str) -> Any:
        ...

    def get_cached_values(self, doctype: str, name: str, fields: Iterable[str]) -> Doc | None:
        """``fields`` of a master record every order reads and that rarely changes (a Company's
        currency, a Price List's), from Frappe's document cache, which every save of the record
        clears. None when there is no such record."""

    # --- writing -------------------------------------------------------------------------------
    def insert(self, doc: Doc, submit: bool = False) -> Doc:
        """Validate and insert; returns the stored document (name, defaults, computed totals).
        ``submit``: inserted submitted in one step (validated once, then its submit's work), left
        as a submit of the saved draft leaves it (its status too, which Frappe's own insert of a
        ``docstatus`` 1 document leaves at "Draft")."""

    def update(self, doctype: str, name: str, values: Doc) -> Doc:
        """Set fields (child tables replaced whole when given) and save."""

    def insert_row(self, doc: Doc) -> str:
        """Write a new bookkeeping row as it is (Frappe's ``db_insert``) and return its name: named
        by its doctype's naming rule, no validation, no events, no cache to clear. A row of that
        name already there raises ``DuplicateEntryError``. For rows only shopsync writes, built
        and checked by its own code (a delivery's receipt, its log entry as the intake stores it)."""

    def set_values(self, doctype: str, name: str, values: Doc) -> None:
        """Write plain fields straight to the row (Frappe's ``db.set_value``): no validation, no
        events, no check that the row is unchanged since read. For bookkeeping (a link's state,
        a log entry's status) that another job may touch at the same moment."""

    def submit(self, doctype: str, name: str) -> Doc:
        ...

    def cancel(self, doctype: str, name: str) -> Doc:
        ...

    def delete(self, doctype: str, name: str) -> None:
        ...

    def make_variant(self, template: str, attributes: dict[str, str]) -> Doc:
        """An unsaved variant of ``template`` (ERPNext's ``create_variant``)."""

    # --- ERPNext's own mappers: unsaved documents made from a submitted one ----------------------
    def make_sales_invoice(self, source_name: str) -> Doc:
        """An unsaved Sales Invoice for a Sales Order (ERPNext's ``make_sales_invoice``)."""

    def make_sales_return(self, source_name: str) -> Doc:
        """An unsaved credit note against a submitted Sales Invoice (ERPNext's ``make_sales_return``:
        its lines not yet returned at negative quantities, golden k1)."""

    def make_delivery_return(self, source_name: str) -> Doc:
        """An unsaved return against a submitted Delivery Note (ERPNext's Delivery Note
        ``make_sales_return``: its rows not yet returned at negative quantities, golden k4)."""

    def get_payment_entry(self, dt: str, dn: str) -> Doc:
        """An unsaved Payment Entry for an invoice or order (ERPNext's ``get_payment_entry``)."""

    def update_status(self, name: str, status: str) -> Doc:
        """A Sales Order's Close ("Closed") / Re-open ("Draft") (ERPNext's ``update_status``: a
        Closed order reserves nothing, golden j2 and k4)."""

    # --- stock ---------------------------------------------------------------------------------
    def bins(self, item_codes: Iterable[str], warehouses: Iterable[str]) -> list[Doc]:
        """Bin rows (item_code, warehouse, actual_qty, reserved_qty, projected_qty, modified)."""

    def items_moved_since(self, since: str, warehouses: Iterable[str]) -> set[str]:
        """Item codes with a Stock Ledger Entry created, or a Bin modified, at or after
        ``since`` (``YYYY-MM-DD HH:MM:SS``, the ERP's clock) in any of ``warehouses``."""

    def items_with_stock_ledger(self, item_codes: Iterable[str], warehouses: Iterable[str]) -> set[str]:
        """Those of ``item_codes`` with at least one live (not cancelled) Stock Ledger Entry in
        any of ``warehouses``: items whose stock has been entered in the ERP at least once."""

    # --- the unit of work ----------------------------------------------------------------------
    def transaction(self) -> AbstractContextManager[None]:
        """All writes inside land together or not at all."""

    def now(self) -> str:
        """The ERP's clock, ``YYYY-MM-DD HH:MM:SS``."""
