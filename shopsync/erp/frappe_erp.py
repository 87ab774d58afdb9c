"""The ERP port over Frappe: where the engine's reads and writes become ``frappe`` calls.

This module, ``shopsync.jobs``, ``shopsync.api``, ``shopsync.events`` and the doctype controllers
are the only ones that import ``frappe``.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import re
import uuid
from decimal import Decimal
from typing import Any, Iterable, Iterator

import frappe
from frappe.utils import format_timedelta
from frappe.utils import now as frappe_now

from shopsync.erp import errors

_ALIASES = {
    # Frappe exception class names that the port reports as one of its own.
    "QueryDeadlockError": errors.LockTimeout,
    "QueryTimeoutError": errors.LockTimeout,
    "LinkExpiredError": errors.LinkValidationError,
    "CannotChangeConstantError": errors.UpdateAfterSubmitError,
}


def _translate(exc: Exception) -> errors.ERPError | None:
    if type(exc).__name__ == "IntegrityError" and exc.args and exc.args[0] == 1062:
        # a unique key hit below Frappe's own checks (MariaDB's "Duplicate entry"): another job's
        # row committed a moment ago, a lost race the job runs again
        return errors.DuplicateEntryError(_message(exc))
    for cls in type(exc).__mro__:
        hit = _ALIASES.get(cls.__name__) or errors.BY_EXC_TYPE.get(cls.__name__)
        if hit:
            return hit(_message(exc))
    if isinstance(exc, frappe.ValidationError):
        return errors.ValidationError(_message(exc))
    return None


def _message(exc: Exception) -> str:
    text = str(exc) or ""
    if not text and getattr(frappe.local, "message_log", None):
        try:
            text = "; ".join(json.loads(m).get("message", "") if isinstance(m, str) else m.get("message", "") for m in frappe.local.message_log)
        except Exception:  # noqa: BLE001
            text = type(exc).__name__
    return frappe.utils.strip_html(text) or type(exc).__name__


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except errors.ERPError:
        raise
    except Exception as exc:  # noqa: BLE001
        translated = _translate(exc)
        if translated is None:
            raise
        frappe.clear_messages()
        raise translated from exc


def _written(doc: Any) -> bool:
    """Whether ``doc``'s row is in the database (this transaction included)."""
    try:
        return bool(doc.name) and bool(frappe.db.exists(doc.doctype, doc.name))
    except Exception:  # noqa: BLE001 - a broken transaction: say nothing more
        return False


_SIMPLE = (str, int, float, bool, type(None))


def _value(value: Any) -> Any:
    """A value as a JSON round trip would give it (dates as text, decimals as floats), without
    the round trip: documents and rows are walked once, and most values are returned as they are."""
    if isinstance(value, (datetime.date, datetime.time)):  # a datetime is a date
        return str(value)
    if isinstance(value, datetime.timedelta):
        return format_timedelta(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return _row(value)
    if isinstance(value, (list, tuple)):
        return [v if isinstance(v, _SIMPLE) else _value(v) for v in value]
    return json.loads(frappe.as_json(value))


def _row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, _SIMPLE) else _value(v) for k, v in row.items()}


def _plain(doc: Any) -> dict[str, Any]:
    return _row(doc.as_dict(convert_dates_to_str=True))


def _filters(filters: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (filters or {}).items():
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_COMPARE = ("<", ">", "<=", ">=")


def _plain_query(doctype: str, filters: dict[str, Any], fields: Iterable[str], order_by: str,
                 limit: int | None) -> tuple[str, list[Any]] | None:
    """The SELECT ``frappe.get_all`` makes for the engine's plain filters, written at once: most of
    a job's reads are one indexed lookup, and get_all's query builder cost more than the query.
    Only what reads the same both ways is written here (names checked; ``= value``, with get_all's
    ``ifnull`` for an empty one; ``in`` a list of non-empty values; a comparison with a number, as
    get_all writes it for a number field); None for anything else, which goes to get_all."""
    if "`" in doctype or not all(f == "*" or _IDENT.match(f) for f in fields):
        return None
    where: list[str] = []
    values: list[Any] = []
    for key, value in filters.items():
        if not _IDENT.match(key):
            return None
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                return None
            op, operand = str(value[0]).lower(), value[1]
            if op == "in" and isinstance(operand, (list, tuple, set)) and operand and all(
                    isinstance(v, (str, int)) and not isinstance(v, bool) and v != "" for v in operand):
                where.append(f"`{key}` in ({', '.join(['%s'] * len(operand))})")
                values.extend(operand)
            elif op in _COMPARE and isinstance(operand, (int, float)) and not isinstance(operand, bool):
                where.append(f"ifnull(`{key}`, 0) {op} %s")
                values.append(operand)
            else:
                return None
        elif isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
            where.append(f"ifnull(`{key}`, %s) = %s" if value in ("", 0) else f"`{key}` = %s")
            values.extend([value, value] if value in ("", 0) else [value])
        else:
            return None
    order = order_by.split()
    if len(order) != 2 or not _IDENT.match(order[0]) or order[1].lower() not in ("asc", "desc"):
        return None
    columns = ", ".join("*" if f == "*" else f"`{f}`" for f in fields)
    query = f"select {columns} from `tab{doctype}`" + (f" where {' and '.join(where)}" if where else "")
    query += f" order by `{order[0]}` {order[1]}" + (f" limit {int(limit)}" if limit else "")
    return query, values


def select_rows(doctype: str, filters: dict[str, Any] | None = None, fields: Iterable[str] = ("name",),
                order_by: str = "creation asc", limit: int | None = None) -> list[dict[str, Any]]:
    """Rows as ``frappe.get_all`` reads them (raw values): its SELECT written at once when the
    filters are plain (:func:`_plain_query`), else get_all itself."""
    query = _plain_query(doctype, filters or {}, fields, order_by, limit)
    if query is not None:
        return frappe.db.sql(query[0], query[1], as_dict=True)
    return frappe.get_all(doctype, filters=_filters(filters), fields=list(fields), order_by=order_by,
                          limit_page_length=limit or 0)


class FrappeERP:
    """Implements ``shopsync.erp.port.ERP`` inside a bench."""

    def __init__(self) -> None:
        self._depth = 0

    def get(self, doctype: str, name: str) -> dict[str, Any]:
        with _errors():
            meta = frappe.get_meta(doctype)
            if not (meta.istable or meta.issingle or meta.get_table_fields()):
                # a document without child tables (a link, a log entry): its row is all of it,
                # read without building the document and its controller
                rows = select_rows(doctype, {"name": name}, ("*",))
                if not rows:
                    raise frappe.DoesNotExistError(f"{doctype} {name} not found")
                row = rows[0]
                row["doctype"] = doctype
                return _row(row)
            return _plain(frappe.get_doc(doctype, name))

    def exists(self, doctype: str, name: str) -> bool:
        if isinstance(name, str) and not frappe.get_meta(doctype).issingle:
            return bool(select_rows(doctype, {"name": name}, limit=1))
        return bool(frappe.db.exists(doctype, name))

    def find(self, doctype, filters=None, fields=("name",), order_by=None, limit=None):
        with _errors():
            rows = select_rows(doctype, filters, fields, order_by or "creation asc", limit)
        return [_row(r) for r in rows]

    def get_value(self, doctype: str, name: str, field: str) -> Any:
        if isinstance(name, str) and _IDENT.match(field) and not frappe.get_meta(doctype).issingle:
            rows = select_rows(doctype, {"name": name}, (field,), limit=1)
            return rows[0][field] if rows else None
        return frappe.db.get_value(doctype, name, field)

    def get_cached_values(self, doctype: str, name: str, fields) -> dict[str, Any] | None:
        if not name:
            return None
        fields = list(fields)
        values = frappe.get_cached_value(doctype, name, fields, as_dict=True)  # None: no such record
        return _row(dict(values)) if values is not None else None

    def get_single_value(self, doctype: str, field: str) -> Any:
        return frappe.db.get_single_value(doctype, field)

    def insert(self, doc: dict[str, Any], submit: bool = False) -> dict[str, Any]:
        new = None
        try:
            with _errors():
                new = frappe.get_doc(doc)
                if doc.get("name"):
                    new.flags.name_set = True
                if submit:
                    new.docstatus = 1
                new.insert(ignore_permissions=True)
                if submit and hasattr(new, "set_status"):
                    # ERPNext sets a new document's status only once it is saved (StatusUpdater.set_status
                    # returns early while is_new()): what validate does on a draft's submit, done here
                    new.set_status(update=True)
                return _plain(new)
        except errors.ERPError as exc:
            # Frappe writes the row (db_insert) after validate and before_submit, then runs
            # on_submit: a row present in this transaction means the submit's work refused it
            if submit and not exc.transient and new is not None and _written(new):
                exc.at_submit = True
            raise

    def update(self, doctype: str, name: str, values: dict[str, Any]) -> dict[str, Any]:
        with _errors():
            doc = frappe.get_doc(doctype, name)
            doc.update(values)
            doc.save(ignore_permissions=True)
            return _plain(doc)

    def insert_row(self, doc: dict[str, Any]) -> str:
        with _errors():
            # names it by its naming rule, stamps creation and owner; a duplicate name raises
            # frappe.DuplicateEntryError (after a msgprint, which _errors clears)
            row = frappe.get_doc(doc)
            row.db_insert()
            return row.name

    def set_values(self, doctype: str, name: str, values: dict[str, Any]) -> None:
        with _errors():
            frappe.db.set_value(doctype, name, dict(values))

    def submit(self, doctype: str, name: str) -> dict[str, Any]:
        with _errors():
            doc = frappe.get_doc(doctype, name)
            doc.flags.ignore_permissions = True
            doc.submit()
            return _plain(doc)

    def cancel(self, doctype: str, name: str) -> dict[str, Any]:
        with _errors():
            doc = frappe.get_doc(doctype, name)
            doc.flags.ignore_permissions = True
            doc.cancel()
            return _plain(doc)

    def delete(self, doctype: str, name: str) -> None:
        with _errors():
            frappe.delete_doc(doctype, name, ignore_permissions=True)

    def make_variant(self, template: str, attributes: dict[str, str]) -> dict[str, Any]:
        from erpnext.controllers.item_variant import create_variant

        with _errors():
            return _plain(create_variant(template, attributes))

    def make_sales_invoice(self, source_name: str) -> dict[str, Any]:
        from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

        with _errors():
            return _plain(make_sales_invoice(source_name))

    def make_sales_return(self, source_name: str) -> dict[str, Any]:
        from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return

        with _errors():
            return _plain(make_sales_return(source_name))

    def make_delivery_return(self, source_name: str) -> dict[str, Any]:
        from erpnext.stock.doctype.delivery_note.delivery_note import make_sales_return

        with _errors():
            return _plain(make_sales_return(source_name))

    def update_status(self, name: str, status: str) -> dict[str, Any]:
        from erpnext.selling.doctype.sales_order.sales_order import update_status

        with _errors():
            update_status(status, name)
            return _plain(frappe.get_doc("Sales Order", name))

    def get_payment_entry(self, dt: str, dn: str) -> dict[str, Any]:
        from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

        with _errors():
            return _plain(get_payment_entry(dt, dn))

    def bins(self, item_codes: Iterable[str], warehouses: Iterable[str]) -> list[dict[str, Any]]:
        items, whs = list(item_codes), list(warehouses)
        if not items or not whs:
            return []
        return self.find(
            "Bin",
            {"item_code": ("in", items), "warehouse": ("in", whs)},
            fields=("item_code", "warehouse", "actual_qty", "reserved_qty", "projected_qty", "modified"),
        )

    def items_moved_since(self, since: str, warehouses: Iterable[str]) -> set[str]:
        whs = list(warehouses)
        if not whs:
            return set()
        moved = frappe.get_all(
            "Stock Ledger Entry",
            filters={"creation": (">=", since), "warehouse": ("in", whs), "is_cancelled": 0},
            pluck="item_code",
            distinct=True,
        )
        touched = frappe.get_all(
            "Bin", filters={"modified": (">=", since), "warehouse": ("in", whs)}, pluck="item_code"
        )
        return set(moved) | set(touched)

    def items_with_stock_ledger(self, item_codes: Iterable[str], warehouses: Iterable[str]) -> set[str]:
        items, whs = list(item_codes), list(warehouses)
        if not items or not whs:
            return set()
        return set(frappe.get_all(
            "Stock Ledger Entry",
            filters={"item_code": ("in", items), "warehouse": ("in", whs), "is_cancelled": 0},
            pluck="item_code",
            distinct=True,
        ))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Outermost: commit on success, roll back on error. Nested: a savepoint."""
        if self._depth:
            point = "shopsync_" + uuid.uuid4().hex[:12]
            frappe.db.savepoint(point)
            self._depth += 1
            try:
                yield
            except BaseException:
                frappe.db.rollback(save_point=point)
                raise
            finally:
                self._depth -= 1
            return
        self._depth = 1
        try:
            yield
        except BaseException:
            frappe.db.rollback()
            raise
        else:
            frappe.db.commit()
        finally:
            self._depth = 0

    def now(self) -> str:
        return frappe_now()[:19]
