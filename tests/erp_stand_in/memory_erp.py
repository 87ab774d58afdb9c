"""MemoryERP: an in-memory ERPNext 15 that enforces the captured contract.

Generic Frappe behaviour lives here (defaults, naming, link / mandatory / select / length / unique
checks, docstatus lifecycle, update-after-submit, link checks on cancel and delete, transactions,
doc events); ERPNext's per-doctype behaviour lives in ``controllers.py``, stock in ``stock.py`` and
the Sales Order arithmetic in ``taxes.py``. Every behaviour written here was either observed on the
captured site (``tests/captures/erpnext``) or is Frappe's documented rule; the contract test holds it to
the captures.

Storage is a dict per doctype holding plain dicts (children embedded, as ``as_dict()`` gives them).
Writes go through ``_put``/``_remove``, which keep an undo log, so ``transaction()`` can roll back;
one re-entrant lock serialises whole transactions, so several threads may share one instance.
Names, ``=`` / ``in`` / ``like`` filters and unique checks compare the way MariaDB's
``utf8mb4_unicode_ci`` does: case-, accent- and trailing-space-insensitively.
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import json
import random
import re
import threading
import unicodedata
import uuid
from collections import deque
from contextlib import contextmanager
from typing import Any, Callable, Iterable

from shopsync.erp import errors as E
from shopsync.erp.contract import (
    FLOAT_FIELDTYPES,
    INT_FIELDTYPES,
    VARCHAR_FIELDTYPES,
    Contract,
    DocTypeSpec,
    FieldSpec,
)

from . import errors as X
from .clock import FORMAT as STAMP_FORMAT
from .clock import Clock
from .doctypes import Registry
from .rounding import cint, flt

Doc = dict

STANDARD_FIELDS = ("name", "owner", "creation", "modified", "modified_by", "docstatus", "idx", "doctype")
CHILD_FIELDS = ("parent", "parentfield", "parenttype")
TEXT_FIELDTYPES = frozenset(
    {"Data", "Small Text", "Text", "Long Text", "Select", "Link", "Dynamic Link", "Read Only", "Code",
     "Text Editor", "Password", "Phone", "Autocomplete", "HTML Editor", "Markdown Editor", "Attach",
     "Attach Image", "Barcode", "Color", "Signature", "Geolocation", "JSON", "Icon"}
)
#: Frappe's ``ignore_links_on_delete`` hook (frappe + erpnext): links from these never block a delete.
IGNORE_LINKS_ON_DELETE = frozenset(
    {"Communication", "ToDo", "DocShare", "Email Unsubscribe", "Activity Log", "File", "Version",
     "Document Follow", "Comment", "View Log", "Tag Link", "Notification Log", "Email Queue",
     "Document Share Key", "Integration Request", "Unhandled Email", "Webhook Request Log", "Workspace",
     "Route History", "Access Log", "Permission Log", "Error Log", "Stock Ledger Entry", "GL Entry",
     "Payment Ledger Entry"}
)
ADMIN = "Administrator"
_MISSING = object()
_HASH_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_EMAIL_RE = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
    r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$",
    re.IGNORECASE,
)
_PHONE_RE = re.compile(r"^([0-9\ \+\_\-\,\.\*\#\(\)]){1,20}$")


def ci(value: Any) -> Any:
    """The comparison key of a string under ``utf8mb4_unicode_ci``."""
    if not isinstance(value, str):
        return value
    return _ci_key(value)


@functools.lru_cache(maxsize=1 << 16)
def _ci_key(value: str) -> str:
    if value.isascii():
        return value.lower().rstrip(" ")
    text = unicodedata.normalize("NFKD", value)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.casefold().rstrip(" ")


def bold(value: Any) -> str:
    return f"<strong>{value}</strong>"


def scrub(text: str) -> str:
    return text.replace(" ", "_").replace("-", "_").lower()


class MemoryERP:
    """In-memory ERPNext implementing :class:`shopsync.erp.port.ERP` (see the package docstring)."""

    def __init__(
        self,
        contract: Contract | None = None,
        clock: Clock | None = None,
        seed: int = 0,
        user_defaults: dict[str, Any] | None = None,
    ):
        self.meta = contract if isinstance(contract, Registry) else Registry(contract)
        self.clock = clock or Clock()
        #: Frappe's global/user defaults, keyed by fieldname: applied to empty Link fields of that name.
        self.user_defaults: dict[str, Any] = dict(user_defaults or {})
        #: Doctypes whose links never block a delete (Frappe's ``ignore_links_on_delete`` hook);
        #: add shopsync's own here when its hooks.py declares them.
        self.ignore_links_on_delete: set[str] = set(IGNORE_LINKS_ON_DELETE) | _app_hook("ignore_links_on_delete")
        #: msgprint()s (notes and alerts) of successful calls, newest last.
        self.messages: deque[str] = deque(maxlen=500)
        self._rng = random.Random(seed)
        self._hash_tenths, self._hash_seq = -1, 0
        self._lock = threading.RLock()
        self._docs: dict[str, dict[str, Doc]] = {}
        self._index: dict[str, dict[Any, str]] = {}
        #: unique fields' values: (doctype, field) -> comparison key -> names holding it
        self._uidx: dict[tuple[str, str], dict[Any, set[str]]] = {}
        self._series: dict[str, int] = {}
        self._undo: list[tuple] = []
        self._depth = 0
        self._pending: list[tuple[Callable, Doc]] = []
        self._hooks: dict[tuple[str, str], list[tuple[Callable, bool]]] = {}
        from .controllers import controller_for  # late: controllers import this module

        self._controller_for = controller_for

    # ================================================================ seeding
    @classmethod
    def with_test_shop(cls, **kwargs) -> "MemoryERP":
        """An ERP seeded like the captured site (company Test Shop / TS, EUR, France)."""
        from .seed import seed_test_shop

        erp = cls(**kwargs)
        seed_test_shop(erp)
        return erp

    def seed(self, doc: Doc) -> Doc:
        """Store ``doc`` as is (name required unless the doctype names by a field or hash), no
        validation, no events: for setting up data the real site would already hold."""
        with self.transaction():
            doc = copy.deepcopy(doc)
            dt = doc["doctype"]
            spec = self.meta.get(dt)
            if spec and spec.issingle:
                doc["name"] = dt
            if not doc.get("name"):
                rule = (spec.autoname or "") if spec else ""
                if rule.startswith("field:"):
                    doc["name"] = doc[rule[6:]]
                else:
                    doc["name"] = self._hash(dt)
            if spec:
                self._set_defaults(spec, doc, None, is_new=True)
                self._set_child_meta(spec, doc, None)
            stamp = self.clock.stamp()
            doc.setdefault("creation", stamp)
            doc.setdefault("modified", stamp)
            doc.setdefault("owner", ADMIN)
            doc.setdefault("modified_by", ADMIN)
            doc.setdefault("docstatus", 0)
            self._store(dt, doc)
            return self._public(dt, doc["name"])

    # ================================================================ doc events
    def on(self, doctype: str, event: str, callback: Callable[[Doc], Any], after_commit: bool = False):
        """Call ``callback(doc)`` on ``event`` of ``doctype`` ("*" for every doctype), like Frappe's
        ``doc_events``: inline, inside the transaction (an exception aborts it), or, with
        ``after_commit=True``, once the outermost transaction has committed (never on rollback).
        Events: before_insert, validate, before_submit, after_insert, on_update, on_submit,
        before_cancel, on_cancel, on_update_after_submit, on_change (after each of those saves,
        and on a status written by :meth:`update_status`), on_trash, after_delete.
        Returns a function that removes the hook."""
        key = (doctype, event)
        entry = (callback, bool(after_commit))
        with self._lock:
            self._hooks.setdefault(key, []).append(entry)

        def off():
            with self._lock:
                if entry in self._hooks.get(key, []):
                    self._hooks[key].remove(entry)

        return off

    def _fire(self, doctype: str, event: str, doc: Doc) -> None:
        for key in ((doctype, event), ("*", event)):
            for callback, after_commit in list(self._hooks.get(key, ())):
                if after_commit:
                    self._pending.append((callback, copy.deepcopy(doc)))
                else:
                    callback(copy.deepcopy(doc))

    # ================================================================ transactions
    @contextmanager
    def transaction(self):
        """All writes inside land together or not at all (nested calls are savepoints)."""
        self._lock.acquire()
        outer = self._depth == 0
        mark, pending_mark = len(self._undo), len(self._pending)
        self._depth += 1
        try:
            yield self
        except BaseException:
            self._depth -= 1
            self._rollback(mark, pending_mark)
            self._lock.release()
            raise
        self._depth -= 1
        callbacks: list = []
        if outer:
            self._undo.clear()
            callbacks, self._pending = self._pending, []
        self._lock.release()
        self._run_after_commit(callbacks)

    def _rollback(self, mark: int, pending_mark: int) -> None:
        while len(self._undo) > mark:
            entry = self._undo.pop()
            if entry[0] == "doc":
                _, dt, name, old = entry
                self._reindex(dt, name, self._docs[dt].get(name), None if old is _MISSING else old)
                if old is _MISSING:
                    self._docs[dt].pop(name, None)
                    self._index[dt].pop(ci(name), None)
                else:
                    self._docs[dt][name] = old
                    self._index[dt][ci(name)] = name
            else:
                _, key, old = entry
                if old is _MISSING:
                    self._series.pop(key, None)
                else:
                    self._series[key] = old
        del self._pending[pending_mark:]

    @staticmethod
    def _run_after_commit(callbacks) -> None:
        first_error = None
        for callback, doc in callbacks:
            try:
                callback(doc)
            except Exception as exc:  # run them all, then report the first failure
                first_error = first_error or exc
        if first_error is not None:
            raise first_error

    # ================================================================ raw storage
    def _put(self, doctype: str, doc: Doc) -> None:
        table = self._docs.setdefault(doctype, {})
        index = self._index.setdefault(doctype, {})
        name = doc["name"]
        self._undo.append(("doc", doctype, name, table.get(name, _MISSING)))
        self._reindex(doctype, name, table.get(name), doc)
        table[name] = doc
        index[ci(name)] = name

    def _remove(self, doctype: str, name: str) -> None:
        table = self._docs.get(doctype, {})
        if name in table:
            self._undo.append(("doc", doctype, name, table[name]))
            self._reindex(doctype, name, table[name], None)
            del table[name]
            self._index[doctype].pop(ci(name), None)

    def _reindex(self, doctype: str, name: str, old: Doc | None, new: Doc | None) -> None:
        """Keep the unique-value index (built on first use per field) in step with a write."""
        for (dt, field), idx in self._uidx.items():
            if dt != doctype:
                continue
            if old is not None and old.get(field) not in (None, ""):
                holders = idx.get(ci(old.get(field)))
                if holders:
                    holders.discard(name)
            if new is not None and new.get(field) not in (None, ""):
                idx.setdefault(ci(new.get(field)), set()).add(name)

    def _unique_holders(self, doctype: str, field: str, value: Any) -> set[str]:
        key = (doctype, field)
        idx = self._uidx.get(key)
        if idx is None:
            idx = self._uidx[key] = {}
            for other in self._all(doctype):
                if other.get(field) not in (None, ""):
                    idx.setdefault(ci(other.get(field)), set()).add(other["name"])
        return idx.get(ci(value), set())

    def _next_series(self, key: str) -> int:
        old = self._series.get(key, _MISSING)
        self._undo.append(("series", key, old))
        value = (0 if old is _MISSING else old) + 1
        self._series[key] = value
        return value

    def _resolve(self, doctype: str, name: Any) -> str | None:
        if name is None or name == "":
            return None
        table = self._docs.get(doctype)
        if not table:
            return None
        if name in table:
            return name
        return self._index[doctype].get(ci(str(name)))

    def _get_raw(self, doctype: str, name: Any) -> Doc | None:
        """The stored document (do not mutate it), matched case-insensitively."""
        spec = self.meta.get(doctype)
        if spec is not None and spec.issingle:
            name = doctype
        if spec is not None and spec.istable:
            for _, row in self._child_rows(doctype):
                if row.get("name") == name:
                    return row
            return None
        real = self._resolve(doctype, name)
        return self._docs[doctype][real] if real is not None else None

    def _all(self, doctype: str) -> list[Doc]:
        return list(self._docs.get(doctype, {}).values())

    def _child_rows(self, child_doctype: str) -> Iterable[tuple[Doc, Doc]]:
        for parent_dt, fieldname in self.meta.parents_of(child_doctype):
            for parent in self._docs.get(parent_dt, {}).values():
                for row in parent.get(fieldname) or ():
                    yield parent, row

    def _public(self, doctype: str, name: str) -> Doc:
        return copy.deepcopy(self._get_raw(doctype, name))

    def _db_set(self, doctype: str, name: str, values: dict, update_modified: bool = True) -> Doc:
        """``doc.db_set``: write fields straight to storage (no validation, no events)."""
        doc = copy.deepcopy(self._get_raw(doctype, name))
        doc.update(values)
        if update_modified:
            doc["modified"] = self.clock.stamp()
            doc["modified_by"] = ADMIN
        self._store(doctype, doc)
        return doc

    def _hash(self, doctype: str) -> str:
        """A 10-character name that sorts by creation, like Frappe 15's hash names: 7 base-36
        digits of the clock's tenths of a second, then a 3-digit sequence within that tenth."""
        tenths = int(self.clock.now().replace(tzinfo=_dt.timezone.utc).timestamp() * 10)
        while True:
            if tenths != self._hash_tenths:
                self._hash_tenths, self._hash_seq = tenths, 0
            self._hash_seq += 1
            name = _base36(tenths, 7) + _base36(self._hash_seq, 3)
            if self._resolve(doctype, name) is None:
                return name

    def new_doc(self, doctype: str, values: Doc | None = None) -> Doc:
        """``frappe.new_doc``: an unsaved document with Frappe's defaults (and its children's) set."""
        spec = self._spec(doctype)
        doc = self._normalize(spec, {**(values or {}), "doctype": doctype})
        doc.setdefault("docstatus", 0)
        self._set_defaults(spec, doc, None, is_new=True)
        for f in spec.fields:
            if f.is_numeric and doc.get(f.fieldname) is None:
                doc[f.fieldname] = 0.0 if f.fieldtype in FLOAT_FIELDTYPES else 0
        for f in spec.table_fields:
            child_spec = self.meta.get(f.options)
            for idx, row in enumerate(doc.get(f.fieldname) or [], start=1):
                row.update(doctype=f.options, idx=idx, parentfield=f.fieldname, parenttype=doctype, docstatus=0)
                if child_spec is not None:
                    for cf in child_spec.fields:
                        if cf.is_numeric and row.get(cf.fieldname) is None:
                            row[cf.fieldname] = 0.0 if cf.fieldtype in FLOAT_FIELDTYPES else 0
        return doc

    def msgprint(self, message: str) -> None:
        self.messages.append(message)

    # ================================================================ reading (port)
    def get(self, doctype: str, name: str) -> Doc:
        with self._lock:
            self._spec(doctype)
            doc = self._get_raw(doctype, name)
            if doc is None:
                raise E.DoesNotExistError(f"{doctype} {name} not found")
            return copy.deepcopy(doc)

    def exists(self, doctype: str, name: str) -> bool:
        with self._lock:
            return self._get_raw(doctype, name) is not None

    def get_cached_values(self, doctype: str, name: str, fields) -> Doc | None:
        """Frappe's document cache: the stand-in's store is always current."""
        if not name:
            return None
        return self.get_value(doctype, name, list(fields))

    def get_value(self, doctype: str, name: Any, field: Any) -> Any:
        with self._lock:
            if isinstance(name, dict):
                rows = self.find(doctype, name, fields=("name",), limit=1)
                name = rows[0]["name"] if rows else None
            for f in field if isinstance(field, (list, tuple)) else [field]:
                self._check_column(doctype, f, "field list")
            doc = self._get_raw(doctype, name)
            if doc is None:
                return None
            if isinstance(field, (list, tuple)):
                return {f: doc.get(f) for f in field}
            return doc.get(field)

    def get_single_value(self, doctype: str, field: str) -> Any:
        with self._lock:
            doc = self._get_raw(doctype, doctype)
            value = doc.get(field) if doc else None
            if value is None:
                spec = self.meta.get(doctype)
                f = spec.get_field(field) if spec else None
                if f is not None:
                    value = self._default_value(f, {}, None)
                    if value is None and f.is_numeric:
                        value = 0
            return value

    def find(
        self,
        doctype: str,
        filters: dict[str, Any] | list | None = None,
        fields: Iterable[str] = ("name",),
        order_by: str | None = None,
        limit: int | None = None,
    ) -> list[Doc]:
        with self._lock:
            spec = self._spec(doctype)
            if spec.istable:
                rows = [row for _, row in self._child_rows(doctype)]
            else:
                rows = self._all(doctype)
            conditions = self._parse_filters(doctype, filters)
            for cond_dt, field, _, _ in conditions:
                self._check_column(cond_dt, field, "where clause")
            for f in [fields] if isinstance(fields, str) else list(fields or ()):
                if f != "*":
                    self._check_column(doctype, f.partition(" as ")[0].strip(), "field list")
            matched = [r for r in rows if all(self._match(spec, r, c) for c in conditions)]
            matched = self._sort(spec, matched, order_by)
            if limit:
                matched = matched[: int(limit)]
            fields = list(fields) if fields else ["name"]
            if isinstance(fields, str):
                fields = [fields]
            out = []
            for r in matched:
                if "*" in fields:
                    out.append({k: copy.deepcopy(v) for k, v in r.items() if not isinstance(v, list)})
                    continue
                item = {}
                for f in fields:
                    src, _, alias = f.partition(" as ")
                    item[(alias or src).strip()] = copy.deepcopy(r.get(src.strip()))
                out.append(item)
            return out

    def _check_column(self, doctype: str, field: str, where: str) -> None:
        """A field the doctype does not have is an SQL error on the real site, not an empty match."""
        spec = self.meta.get(doctype)
        if spec is None or field in STANDARD_FIELDS or field in CHILD_FIELDS or spec.has_field(field):
            return
        raise E.ValidationError(f"Unknown column '{field}' in '{where}' ({doctype})")

    def _parse_filters(self, doctype: str, filters) -> list[tuple]:
        out = []
        if not filters:
            return out
        if isinstance(filters, dict):
            items = [(doctype, k, v) for k, v in filters.items()]
            for dt, field, value in items:
                if isinstance(value, (tuple, list)) and len(value) == 2 and isinstance(value[0], str):
                    out.append((dt, field, value[0].lower().strip(), value[1]))
                else:
                    out.append((dt, field, "=", value))
            return out
        for cond in filters:
            cond = list(cond)
            if len(cond) == 3:
                cond = [doctype] + cond
            if len(cond) != 4:
                raise E.ValidationError(f"Invalid filter: {cond}")
            out.append((cond[0], cond[1], str(cond[2]).lower().strip(), cond[3]))
        return out

    def _match(self, spec: DocTypeSpec, doc: Doc, cond: tuple) -> bool:
        dt, field, op, value = cond
        if dt != spec.name:
            # a condition on a child table: any row of that doctype matches
            child_spec = self.meta.get(dt)
            for tf in spec.table_fields:
                if tf.options == dt:
                    for row in doc.get(tf.fieldname) or ():
                        if self._match(child_spec, row, (dt, field, op, value)):
                            return True
            return False
        f = spec.get_field(field) if spec else None
        actual = doc.get(field)
        numeric = f is not None and f.is_numeric
        if actual is None:
            actual = 0 if numeric else ""
        return _compare(actual, op, value, numeric)

    def _sort(self, spec: DocTypeSpec, rows: list[Doc], order_by: str | None) -> list[Doc]:
        keys = []
        for part in (order_by or "creation asc").split(","):
            bits = part.strip().replace("`", "").split()
            if not bits:
                continue
            field = bits[0].split(".")[-1]
            desc = len(bits) > 1 and bits[1].lower() == "desc"
            keys.append((field, desc))
        rows = list(rows)
        for field, desc in reversed(keys + [("idx", False)] if spec.istable else keys):
            rows.sort(key=lambda r, f=field: _sort_key(r.get(f)), reverse=desc)
        return rows

    # ================================================================ writing (port)
    def insert(self, doc: Doc, submit: bool = False) -> Doc:
        with self.transaction():
            if not submit:
                return self._insert(copy.deepcopy(doc))
            made = self._insert({**copy.deepcopy(doc), "docstatus": 1})
            if made["doctype"] == "Sales Order":  # the port's insert-submitted: the status a submit sets
                from .controllers import set_sales_order_status

                set_sales_order_status(self, made["name"])
                made = self._public("Sales Order", made["name"])
            return made

    def update(self, doctype: str, name: str, values: Doc) -> Doc:
        with self.transaction():
            return self._update(doctype, name, copy.deepcopy(values))

    def insert_row(self, doc: Doc) -> str:
        """``db_insert``: stored as given (the stand-in still checks the row as an insert would,
        which only refuses more); a duplicate name is refused as the primary key refuses it."""
        with self.transaction():
            return self._insert(copy.deepcopy(doc))["name"]

    def set_values(self, doctype: str, name: str, values: Doc) -> None:
        """``frappe.db.set_value``: plain fields straight to storage, the row must exist."""
        with self.transaction():
            spec = self._spec(doctype)
            self._require(doctype, name)
            for field in values:
                f = spec.get_field(field)
                if f is None and field not in ("modified", "modified_by"):
                    raise E.ValidationError(f"Unknown column '{field}' in 'field list' ({doctype})")
                if f is not None and f.is_table:
                    raise E.ValidationError(f"set_value cannot write the table {field}")
            self._db_set(doctype, self._resolve(doctype, name), dict(values))

    def submit(self, doctype: str, name: str) -> Doc:
        with self.transaction():
            old = self._require(doctype, name)
            if cint(old.get("docstatus")) == 0:
                return self._update(doctype, name, {"docstatus": 1})
            if cint(old.get("docstatus")) == 2:
                raise E.ValidationError("Cannot edit cancelled document")
            return self._update(doctype, name, {})  # saved again, as on the real site

    def cancel(self, doctype: str, name: str) -> Doc:
        with self.transaction():
            return self._cancel(doctype, name)

    def delete(self, doctype: str, name: str) -> None:
        with self.transaction():
            self._delete(doctype, name)

    def make_variant(self, template: str, attributes: dict[str, str]) -> Doc:
        with self._lock:
            from .controllers import make_variant

            return make_variant(self, template, attributes)

    # ================================================================ stock (port)
    #: what the port's ``bins`` promises (FrappeERP reads these columns only)
    BIN_FIELDS = ("item_code", "warehouse", "actual_qty", "reserved_qty", "projected_qty", "modified")

    def bins(self, item_codes: Iterable[str], warehouses: Iterable[str]) -> list[Doc]:
        with self._lock:
            codes = {ci(c) for c in item_codes}
            whs = {ci(w) for w in warehouses}
            out = []
            for b in self._all("Bin"):
                if ci(b.get("item_code")) in codes and ci(b.get("warehouse")) in whs:
                    out.append({f: copy.deepcopy(b.get(f)) for f in self.BIN_FIELDS})
            out.sort(key=lambda b: (b["item_code"], b["warehouse"]))
            return out

    def items_moved_since(self, since: str, warehouses: Iterable[str]) -> set[str]:
        with self._lock:
            whs = {ci(w) for w in warehouses}
            moved = set()
            for sle in self._all("Stock Ledger Entry"):
                if ci(sle.get("warehouse")) in whs and (sle.get("creation") or "") >= since:
                    moved.add(sle["item_code"])
            for b in self._all("Bin"):
                if ci(b.get("warehouse")) in whs and (b.get("modified") or "") >= since:
                    moved.add(b["item_code"])
            return moved

    def items_with_stock_ledger(self, item_codes: Iterable[str], warehouses: Iterable[str]) -> set[str]:
        with self._lock:
            wanted = {ci(c): c for c in item_codes}
            whs = {ci(w) for w in warehouses}
            found = set()
            for sle in self._all("Stock Ledger Entry"):
                code = ci(sle.get("item_code"))
                if code in wanted and ci(sle.get("warehouse")) in whs and not sle.get("is_cancelled"):
                    found.add(wanted[code])
            return found

    def now(self) -> str:
        return self.clock.now_str()

    # ================================================================ stand-in helpers
    def make_sales_invoice(self, source_name: str) -> Doc:
        """ERPNext's ``make_sales_invoice`` (Sales Order -> unsaved Sales Invoice)."""
        from .controllers import make_sales_invoice

        with self._lock:
            return make_sales_invoice(self, source_name)

    def make_sales_return(self, source_name: str) -> Doc:
        """ERPNext's ``make_sales_return`` (submitted Sales Invoice -> unsaved credit note)."""
        from .controllers import make_sales_return

        with self._lock:
            return make_sales_return(self, source_name)

    def make_delivery_return(self, source_name: str) -> Doc:
        """ERPNext's Delivery Note ``make_sales_return`` (submitted Delivery Note -> unsaved return)."""
        from .controllers import make_delivery_return

        with self._lock:
            return make_delivery_return(self, source_name)

    def make_delivery_note(self, source_name: str) -> Doc:
        """ERPNext's ``make_delivery_note`` (Sales Order -> unsaved Delivery Note)."""
        from .controllers import make_delivery_note

        with self._lock:
            return make_delivery_note(self, source_name)

    def get_payment_entry(self, dt: str, dn: str, party_amount: float | None = None,
                          bank_account: str | None = None, reference_date: str | None = None) -> Doc:
        """ERPNext's ``get_payment_entry`` (unsaved Payment Entry against a SO or SI)."""
        from .controllers import get_payment_entry

        with self._lock:
            return get_payment_entry(self, dt, dn, party_amount, bank_account, reference_date)

    def update_status(self, name: str, status: str) -> Doc:
        """ERPNext's ``sales_order.update_status(status, name)`` behind the Close ("Closed"), Hold
        ("On Hold") and Re-open / Resume ("Draft") buttons: the status is written straight, which
        fires only ``on_change`` (no on_update / on_submit / on_update_after_submit), and the
        reserved quantities move in the Bins without any Stock Ledger Entry or Bin event."""
        from .selling import update_status

        with self.transaction():
            return update_status(self, name, status)

    def stock_balance(self, item_code: str, warehouse: str) -> float:
        """``erpnext.stock.utils.get_stock_balance``: the actual qty of the Bin (0 without one)."""
        with self._lock:
            for b in self._all("Bin"):
                if ci(b["item_code"]) == ci(item_code) and ci(b["warehouse"]) == ci(warehouse):
                    return flt(b.get("actual_qty"))
            return 0.0

    # ================================================================ lifecycle
    def _spec(self, doctype: str) -> DocTypeSpec:
        spec = self.meta.get(doctype)
        if spec is None:
            raise E.DoesNotExistError(f"DocType {doctype} not found")
        return spec

    def _require(self, doctype: str, name: str) -> Doc:
        self._spec(doctype)
        doc = self._get_raw(doctype, name)
        if doc is None:
            raise E.DoesNotExistError(f"{doctype} {name} not found")
        return doc

    def _insert(self, doc: Doc) -> Doc:
        doctype = doc.get("doctype")
        if not doctype:
            raise E.ValidationError('"doctype" is a required key')
        spec = self._spec(doctype)
        if spec.issingle:
            values = {k: v for k, v in doc.items() if k not in ("doctype", "name")}
            return self._update(doctype, doctype, values)
        if spec.istable:
            raise E.ValidationError(f"{doctype} is a child table: insert its parent")
        docstatus = cint(doc.get("docstatus"))
        if not spec.is_submittable and docstatus:
            raise X.DocstatusTransitionError("Cannot change docstatus from 0 to 1")
        if docstatus not in (0, 1):
            raise X.DocstatusTransitionError("Cannot change docstatus from 0 to 2")
        prompted_name = doc.get("__newname") or doc.get("name")
        doc = self._normalize(spec, doc)
        doc["docstatus"] = docstatus
        ctrl = self._controller_for(self, doctype)
        self._set_defaults(spec, doc, None, is_new=True)
        ctrl.before_insert(doc)
        self._fire(doctype, "before_insert", doc)
        ctrl.before_validate(doc, None)
        self._validate_links(spec, doc)
        self._set_name(spec, doc, ctrl, prompted_name)
        self._set_child_meta(spec, doc, None)
        ctrl.validate(doc, None)
        self._fire(doctype, "validate", doc)
        self._set_title(spec, doc)
        self._validate_generic(spec, doc)
        if docstatus == 1:
            ctrl.before_submit(doc)
            self._fire(doctype, "before_submit", doc)
        if self._resolve(doctype, doc["name"]) is not None:
            raise E.DuplicateEntryError(f"{doctype} {bold(doc['name'])} already exists")
        self._check_unique(spec, doc)
        stamp = self.clock.stamp()
        doc.update(creation=stamp, modified=stamp, owner=ADMIN, modified_by=ADMIN)
        self._stamp_children(spec, doc, stamp, None)
        self._store(doctype, doc)
        try:
            ctrl.after_insert(doc)
            self._fire(doctype, "after_insert", self._get_raw(doctype, doc["name"]))
            if docstatus == 1:
                ctrl.on_submit(doc, via_insert=True)
                self._fire(doctype, "on_update", self._get_raw(doctype, doc["name"]))
                self._fire(doctype, "on_submit", self._get_raw(doctype, doc["name"]))
        except E.ERPError as exc:
            # written, then refused by its submit's work: the port's insert(..., submit=True) says so
            exc.at_submit = docstatus == 1 and not exc.transient
            raise
        if docstatus != 1:
            ctrl.on_update(doc, None)
            self._fire(doctype, "on_update", self._get_raw(doctype, doc["name"]))
        self._fire(doctype, "on_change", self._get_raw(doctype, doc["name"]))
        return self._public(doctype, doc["name"])

    def _update(self, doctype: str, name: str, values: Doc) -> Doc:
        spec = self._spec(doctype)
        old = self._require(doctype, name)
        if spec.issingle:
            return self._update_single(spec, old, values)
        name = old["name"]
        expected = values.pop("modified", None)
        if expected and str(expected) != str(old.get("modified")):
            now = self.clock.stamp()
            raise E.TimestampMismatchError(
                f"Error: Document has been modified after you have opened it ({old.get('modified')}, {now}). "
                "Please refresh to get the latest document."
            )
        old_status = cint(old.get("docstatus"))
        target = cint(values.get("docstatus", old_status))
        if old_status == 2:
            raise E.ValidationError("Cannot edit cancelled document")
        if old_status == 1 and target == 2:
            return self._cancel(doctype, name)
        if old_status == 1 and target == 0:
            raise X.DocstatusTransitionError("Cannot change docstatus from 1 to 0")
        if old_status == 0 and target == 2:
            raise X.DocstatusTransitionError("Cannot change docstatus from 0 to 2")
        if target == 1 and not spec.is_submittable:
            raise X.DocstatusTransitionError("Cannot change docstatus from 0 to 1")
        doc = copy.deepcopy(old)
        changes = self._normalize(spec, {k: v for k, v in values.items() if k not in STANDARD_FIELDS})
        doc.update(changes)
        doc["docstatus"] = target
        ctrl = self._controller_for(self, doctype)
        if old_status == 1:
            return self._update_after_submit(spec, ctrl, doc, old)
        self._set_defaults(spec, doc, old, is_new=False)
        ctrl.before_validate(doc, old)
        self._validate_links(spec, doc)
        self._set_child_meta(spec, doc, old)
        ctrl.validate(doc, old)
        self._fire(doctype, "validate", doc)
        self._validate_generic(spec, doc)
        if target == 1:
            ctrl.before_submit(doc)
            self._fire(doctype, "before_submit", doc)
        self._check_unique(spec, doc)
        stamp = self.clock.stamp()
        doc.update(modified=stamp, modified_by=ADMIN)
        self._stamp_children(spec, doc, stamp, old)
        self._store(doctype, doc)
        if target == 1:
            ctrl.on_submit(doc, via_insert=False)
            self._fire(doctype, "on_update", self._get_raw(doctype, name))
            self._fire(doctype, "on_submit", self._get_raw(doctype, name))
        else:
            ctrl.on_update(doc, old)
            self._fire(doctype, "on_update", self._get_raw(doctype, name))
        self._fire(doctype, "on_change", self._get_raw(doctype, name))
        return self._public(doctype, name)

    def _update_single(self, spec: DocTypeSpec, old: Doc, values: Doc) -> Doc:
        doc = copy.deepcopy(old)
        doc.update(self._normalize(spec, {k: v for k, v in values.items() if k not in STANDARD_FIELDS}))
        self._validate_links(spec, doc)
        self._validate_selects(spec, doc, "")
        doc["modified"] = self.clock.stamp()
        self._store(spec.name, doc)
        self._fire(spec.name, "on_update", doc)
        self._fire(spec.name, "on_change", doc)
        return self._public(spec.name, spec.name)

    def _update_after_submit(self, spec: DocTypeSpec, ctrl, doc: Doc, old: Doc) -> Doc:
        name = old["name"]
        self._validate_links(spec, doc)
        self._set_child_meta(spec, doc, old)
        ctrl.before_update_after_submit(doc, old)
        self._validate_update_after_submit(spec, doc, old)
        stamp = self.clock.stamp()
        doc.update(modified=stamp, modified_by=ADMIN)
        self._stamp_children(spec, doc, stamp, old)
        self._store(spec.name, doc)
        ctrl.on_update_after_submit(doc, old)
        self._fire(spec.name, "on_update_after_submit", self._get_raw(spec.name, name))
        self._fire(spec.name, "on_change", self._get_raw(spec.name, name))
        return self._public(spec.name, name)

    def _cancel(self, doctype: str, name: str) -> Doc:
        spec = self._spec(doctype)
        old = self._require(doctype, name)
        name = old["name"]
        status = cint(old.get("docstatus"))
        if status == 0:
            raise X.DocstatusTransitionError("Cannot change docstatus from 0 to 2")
        if status == 2:
            raise E.ValidationError("Cannot edit cancelled document")
        ctrl = self._controller_for(self, doctype)
        doc = copy.deepcopy(old)
        doc["docstatus"] = 2
        ctrl.before_cancel(doc)
        self._fire(doctype, "before_cancel", doc)
        stamp = self.clock.stamp()
        doc.update(modified=stamp, modified_by=ADMIN)
        self._stamp_children(spec, doc, stamp, old)
        self._store(doctype, doc)
        ctrl.on_cancel(doc)
        self._fire(doctype, "on_cancel", self._get_raw(doctype, name))
        ignore = set(ctrl.ignore_linked_doctypes) | {"Stock Ledger Entry", "GL Entry", "Payment Ledger Entry"}
        self._check_no_links(doctype, name, "Cancel", ignore)
        self._fire(doctype, "on_change", self._get_raw(doctype, name))
        return self._public(doctype, name)

    def _delete(self, doctype: str, name: str) -> None:
        spec = self._spec(doctype)
        old = self._require(doctype, name)
        name = old["name"]
        if cint(old.get("docstatus")) == 1:
            raise E.ValidationError(
                f"{doctype} {name}: Submitted Record cannot be deleted. You must "
                "<a href='https://docs.erpnext.com//docs/user/manual/en/setting-up/articles/"
                "delete-submitted-document' target='_blank'> Cancel </a> it first."
            )
        ctrl = self._controller_for(self, doctype)
        ctrl.on_trash(old)
        self._fire(doctype, "on_trash", old)
        try:
            self._check_no_links(doctype, name, "Delete", self.ignore_links_on_delete)
        except E.LinkExistsError as exc:
            if spec.has_field("disabled"):
                raise E.LinkExistsError(f"{exc}\nYou can disable this {doctype} instead of deleting it.") from None
            raise
        self._remove(doctype, name)
        self._fire(doctype, "after_delete", old)

    # ================================================================ generic Frappe rules
    def _normalize(self, spec: DocTypeSpec | None, doc: Doc) -> Doc:
        out = {}
        for key, value in doc.items():
            f = spec.get_field(key) if spec else None
            if f is None:
                out[key] = value
            elif f.is_table:
                if value is None:
                    out[key] = []
                    continue
                if not isinstance(value, list):
                    raise E.ValidationError(f"{f.title}: expected a list of rows")
                child_spec = self.meta.get(f.options)
                out[key] = [self._normalize(child_spec, dict(row)) for row in value]
            else:
                out[key] = self._coerce(f, value)
        return out

    def _coerce(self, f: FieldSpec, value: Any) -> Any:
        if value is None:
            return None
        t = f.fieldtype
        if t in FLOAT_FIELDTYPES:
            return flt(value)
        if t in INT_FIELDTYPES:
            return cint(value)
        if t == "Date":
            if isinstance(value, _dt.datetime):
                return value.strftime("%Y-%m-%d")
            if isinstance(value, _dt.date):
                return value.isoformat()
            if value == "":
                return None
            text = str(value).strip()
            if not _DATE_RE.match(text):
                raise E.ValidationError(f"{bold(text)} is not a valid date string.")
            return text[:10]
        if t == "Datetime":
            if isinstance(value, _dt.datetime):
                return value.replace(tzinfo=None).strftime(STAMP_FORMAT)
            if isinstance(value, _dt.date):
                return value.isoformat() + " 00:00:00"
            if value == "":
                return None
            return str(value).replace("T", " ")
        if t == "Time":
            if isinstance(value, (_dt.time, _dt.timedelta)):
                return str(value)
            return str(value)
        if t in TEXT_FIELDTYPES:
            if isinstance(value, bool):
                return str(int(value))
            if isinstance(value, (dict, list)):
                return json.dumps(value)
            if not isinstance(value, str):
                return str(value)
        return value

    def _default_value(self, f: FieldSpec, doc: Doc, parent: Doc | None, title_field: str | None = None) -> Any:
        if f.fieldtype == "Link" and f.options != "User" and self.user_defaults.get(f.fieldname):
            return self.user_defaults[f.fieldname]
        default = f.default
        if f.fieldname == title_field:
            return None  # Frappe leaves the title field to set_title_field
        if default not in (None, ""):
            if isinstance(default, str) and default.startswith(":"):
                ref_doctype = default[1:]
                ref_field = scrub(ref_doctype)
                ref_name = (parent or {}).get(ref_field) or doc.get(ref_field) or self.user_defaults.get(ref_field)
                ref = self._get_raw(ref_doctype, ref_name)
                return ref.get(f.fieldname) if ref else None
            if isinstance(default, str) and default.lower() == "today":
                return self.clock.today()
            if isinstance(default, str) and default.lower() == "now":
                return self.clock.now().strftime(STAMP_FORMAT)
            if default == "__user":
                return ADMIN
            return self._coerce(f, default)
        if f.fieldtype == "Select":
            options = f.select_options
            if options:
                return options[0]
        return None

    def _set_defaults(self, spec: DocTypeSpec, doc: Doc, old: Doc | None, is_new: bool, parent: Doc | None = None) -> None:
        old_rows = {}
        for f in spec.fields:
            if f.is_table:
                rows = doc.get(f.fieldname)
                if rows is None:
                    doc[f.fieldname] = rows = []
                child_spec = self.meta.get(f.options)
                if child_spec is None:
                    continue
                if old is not None:
                    old_rows = {r.get("name") for r in old.get(f.fieldname) or ()}
                for row in rows:
                    if is_new or row.get("name") not in old_rows:
                        self._set_defaults(child_spec, row, None, True, parent=doc)
                continue
            if doc.get(f.fieldname) is not None or not is_new:
                continue
            value = self._default_value(f, doc, parent, spec.title_field)
            if value is not None:
                doc[f.fieldname] = value

    def _set_title(self, spec: DocTypeSpec, doc: Doc) -> None:
        """Frappe's set_title_field for a new document whose title field is ``title``."""
        f = spec.get_field("title") if spec.title_field == "title" else None
        if f is None or doc.get("title") or not isinstance(f.default, str) or not f.default:
            return
        values = {k: ("" if v is None else v) for k, v in doc.items() if not isinstance(v, list)}
        try:
            doc["title"] = f.default.format(**values)
        except (KeyError, IndexError, ValueError):
            pass

    def _set_name(self, spec: DocTypeSpec, doc: Doc, ctrl, prompted: Any) -> None:
        rule = (spec.autoname or "").strip()
        doc["name"] = None
        name = None
        if doc.get("amended_from"):
            name = self._amended_name(spec, doc)
        if not name and prompted and spec.name == "Contact":
            # FrappeERP.insert sets flags.name_set for a given name: Frappe then skips the
            # Contact's autoname ("<full name>-<first link>") and keeps it
            name = str(prompted)
        if not name:
            name = ctrl.autoname(doc)
        if not name and rule:
            name = self._name_from_rule(spec, rule, doc, prompted)
        if not name:
            name = self._hash(spec.name)
        doc["name"] = self._validate_name(spec.name, name)

    def _amended_name(self, spec: DocTypeSpec, doc: Doc) -> str:
        source = self._get_raw(spec.name, doc["amended_from"])
        prefix, number = doc["amended_from"], 1
        if source is not None and source.get("amended_from"):
            head, _, tail = doc["amended_from"].rpartition("-")
            prefix, number = head, cint(tail) + 1
        return f"{prefix}-{number}"

    def _name_from_rule(self, spec: DocTypeSpec, rule: str, doc: Doc, prompted: Any) -> str | None:
        low = rule.lower()
        if low.startswith("field:"):
            fieldname = rule[6:].strip()
            value = str(doc.get(fieldname) or "").strip()
            if not value:
                raise E.ValidationError(f"{spec.label(fieldname)} is required")
            doc[fieldname] = value
            return value
        if low.startswith("naming_series:"):
            series = doc.get("naming_series") or ""
            if not series:
                f = spec.get_field("naming_series")
                options = [o for o in (f.select_options if f else []) if o]
                series = options[0] if options else ""
                doc["naming_series"] = series
            if not series:
                raise E.ValidationError("Naming Series mandatory")
            return self.make_autoname(series, doc)
        if low == "prompt":
            if not prompted:
                raise E.ValidationError("Please set the document name")
            return str(prompted)
        if low == "hash":
            return self._hash(spec.name)
        if low == "uuid":
            return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        if low == "autoincrement":
            return str(self._next_series(f"__autoincrement__{spec.name}"))
        if low.startswith("format:"):
            return self._format_name(rule[7:], doc)
        if "#" in rule or "." in rule:
            return self.make_autoname(rule, doc)
        return None

    def make_autoname(self, key: str, doc: Doc | None = None) -> str:
        """Frappe's naming series: ``SAL-ORD-.YYYY.-`` -> ``SAL-ORD-2026-00001``."""
        if "#" not in key:
            key = key + ".#####"
        parts = key.split(".")
        out = ""
        series_done = False
        for part in parts:
            if part.startswith("#") and not series_done:
                number = self._next_series(out)
                out += str(number).zfill(len(part))
                series_done = True
            else:
                out += self._naming_part(part, doc or {})
        return out

    def _naming_part(self, part: str, doc: Doc) -> str:
        now = self.clock.now()
        table = {"YYYY": now.strftime("%Y"), "YY": now.strftime("%y"), "MM": now.strftime("%m"),
                 "DD": now.strftime("%d"), "FY": now.strftime("%Y")}
        if part in table:
            return table[part]
        if part.startswith("{") and part.endswith("}"):
            return str(doc.get(part[1:-1]) or "")
        if part in doc and part.islower() and doc.get(part) is not None:
            return str(doc[part])
        return part

    def _format_name(self, pattern: str, doc: Doc) -> str:
        out = ""
        pos = 0
        for m in re.finditer(r"\{([^{}]+)\}", pattern):
            out += pattern[pos : m.start()]
            param = m.group(1)
            if param.startswith("#"):
                out += str(self._next_series(out)).zfill(len(param))
            else:
                out += self._naming_part(param, doc) if param.isupper() else str(doc.get(param) or "")
            pos = m.end()
        return out + pattern[pos:]

    def _validate_name(self, doctype: str, name: Any) -> str:
        name = str(name or "").strip()
        if not name:
            raise E.ValidationError(f"No Name Specified for {doctype}")
        if re.search(r"[<>]", name):
            raise X.NameError("Name cannot contain special characters like '<', '>'")
        return name

    def _set_child_meta(self, spec: DocTypeSpec, doc: Doc, old: Doc | None) -> None:
        for f in spec.table_fields:
            old_names = {r.get("name") for r in (old or {}).get(f.fieldname) or ()} if old else set()
            for idx, row in enumerate(doc.get(f.fieldname) or [], start=1):
                if old is None or row.get("name") not in old_names:
                    row["name"] = self._hash(f.options + "#row")
                row["idx"] = idx
                row["parent"] = doc.get("name")
                row["parentfield"] = f.fieldname
                row["parenttype"] = spec.name
                row["doctype"] = f.options
                row["docstatus"] = cint(doc.get("docstatus"))

    def _stamp_children(self, spec: DocTypeSpec, doc: Doc, stamp: str, old: Doc | None) -> None:
        for f in spec.table_fields:
            old_rows = {r.get("name"): r for r in (old or {}).get(f.fieldname) or ()}
            for row in doc.get(f.fieldname) or []:
                previous = old_rows.get(row.get("name"))
                row["creation"] = previous.get("creation", stamp) if previous else stamp
                row["modified"] = stamp
                row["owner"] = ADMIN
                row["modified_by"] = ADMIN
                row["docstatus"] = cint(doc.get("docstatus"))
                row["parent"] = doc["name"]

    def _store(self, doctype: str, doc: Doc) -> None:
        spec = self.meta.get(doctype)
        self._put(doctype, self._clean(spec, doc))

    def _clean(self, spec: DocTypeSpec | None, doc: Doc) -> Doc:
        if spec is None:
            return {k: copy.deepcopy(v) for k, v in doc.items() if not str(k).startswith("__")}
        out: Doc = {}
        for key in STANDARD_FIELDS + (CHILD_FIELDS if spec.istable else ()):
            if doc.get(key) is not None:
                out[key] = doc[key]
        out["doctype"] = spec.name
        for f in spec.fields:
            value = doc.get(f.fieldname)
            if f.is_table:
                child_spec = self.meta.get(f.options)
                out[f.fieldname] = [self._clean(child_spec, row) for row in value or ()]
                continue
            if f.fieldtype in FLOAT_FIELDTYPES:
                value = round(flt(value), 9) if value is not None else 0.0
            elif f.fieldtype in INT_FIELDTYPES:
                value = cint(value) if value is not None else 0
            if value is None:
                continue
            out[f.fieldname] = copy.deepcopy(value)
        return out

    # ---------------------------------------------------------------- links
    def _validate_links(self, spec: DocTypeSpec, doc: Doc) -> None:
        invalid: list[str] = []
        cancelled: list[str] = []
        self._collect_links(spec, doc, "", invalid, cancelled, cint(doc.get("docstatus")))
        for f in spec.table_fields:
            child_spec = self.meta.get(f.options)
            if child_spec is None:
                continue
            for idx, row in enumerate(doc.get(f.fieldname) or [], start=1):
                self._collect_links(child_spec, row, f"Row #{idx}: ", invalid, cancelled, cint(doc.get("docstatus")))
        if invalid:
            raise E.LinkValidationError("Could not find " + ", ".join(invalid))
        if cancelled:
            raise X.CancelledLinkError("Cannot link cancelled document: " + ", ".join(cancelled))

    def _collect_links(self, spec, doc, prefix, invalid, cancelled, docstatus) -> None:
        for f in spec.fields:
            if f.fieldtype == "Link":
                target = f.options
            elif f.fieldtype == "Dynamic Link":
                target = doc.get(f.options)
            else:
                continue
            value = doc.get(f.fieldname)
            if not value or not target:
                continue
            if target == "DocType":
                if value not in self.meta:
                    invalid.append(f"{prefix}{f.title}: {value}")
                continue
            target_spec = self.meta.get(target)
            if target_spec is None:
                continue
            linked = self._get_raw(target, value)
            if linked is None:
                invalid.append(f"{prefix}{f.title}: {value}")
                continue
            if (target_spec.is_submittable and cint(linked.get("docstatus")) == 2
                    and f.fieldname != "amended_from" and docstatus != 2):
                cancelled.append(f"{prefix}{f.title}: {value}")
            for g in spec.fields:
                if g.fetch_from and g.fetch_from.split(".", 1)[0] == f.fieldname:
                    source = g.fetch_from.split(".", 1)[1]
                    if g.read_only or doc.get(g.fieldname) in (None, ""):
                        doc[g.fieldname] = self._coerce(g, linked.get(source))

    def _check_no_links(self, doctype: str, name: str, method: str, ignore: Iterable[str]) -> None:
        ignore = set(ignore)
        key = ci(name)
        for linking_dt in sorted(self.meta):
            spec = self.meta[linking_dt]
            fields = [f for f in spec.fields if (f.fieldtype == "Link" and f.options == doctype) or f.fieldtype == "Dynamic Link"]
            if not fields:
                continue
            if spec.istable:
                pairs = list(self._child_rows(linking_dt))
            else:
                pairs = [(None, d) for d in self._all(linking_dt)]
            for parent, row in pairs:
                owner_dt = parent["doctype"] if parent is not None else linking_dt
                owner_name = parent["name"] if parent is not None else row["name"]
                if owner_dt in ignore:
                    continue
                owner_status = cint((parent or row).get("docstatus"))
                for f in fields:
                    dynamic = f.fieldtype == "Dynamic Link"
                    if dynamic and row.get(f.options) != doctype:
                        continue
                    if ci(row.get(f.fieldname)) != key:
                        continue
                    if method == "Cancel" and (f.fieldname == "amended_from" or owner_status != 1):
                        continue
                    if method == "Delete" and dynamic and owner_status == 2:
                        continue
                    if owner_dt == doctype and ci(owner_name) == key:
                        continue
                    row_note = f"at Row: {row.get('idx')}" if (dynamic and parent is not None) else ""
                    raise E.LinkExistsError(
                        f'Cannot delete or cancel because {doctype} <a href="/app/Form/{doctype}/{name}">{name}</a> '
                        f'is linked with {owner_dt} <a href="/app/Form/{owner_dt}/{owner_name}">{owner_name}</a> {row_note}'
                    )

    # ---------------------------------------------------------------- _validate()
    def _validate_generic(self, spec: DocTypeSpec, doc: Doc) -> None:
        self._validate_mandatory(spec, doc)
        self._validate_data_fields(spec, doc)
        self._validate_selects(spec, doc, "")
        self._validate_length(spec, doc, None)
        for f in spec.table_fields:
            child_spec = self.meta.get(f.options)
            if child_spec is None:
                continue
            for row in doc.get(f.fieldname) or []:
                self._validate_data_fields(child_spec, row)
                self._validate_selects(child_spec, row, f"Row #{row.get('idx')}:")
                self._validate_length(child_spec, row, doc)

    def _validate_mandatory(self, spec: DocTypeSpec, doc: Doc) -> None:
        missing = []
        for f in spec.fields:
            if f.reqd and _is_missing(doc.get(f.fieldname)):
                if f.is_table:
                    missing.append(f"Error: Data missing in table: {f.title}")
                else:
                    missing.append(f"Error: Value missing for {spec.name}: {f.title}")
        for tf in spec.table_fields:
            child_spec = self.meta.get(tf.options)
            if child_spec is None:
                continue
            for row in doc.get(tf.fieldname) or []:
                for f in child_spec.fields:
                    if f.reqd and _is_missing(row.get(f.fieldname)):
                        missing.append(
                            f"Error: {bold(child_spec.name)} Row #{row.get('idx')}: Value missing for: {f.title}"
                        )
        if missing:
            raise E.MandatoryError("\n".join(missing))

    def _validate_data_fields(self, spec: DocTypeSpec, doc: Doc) -> None:
        for f in spec.fields:
            if f.fieldtype != "Data" or not f.options:
                continue
            value = doc.get(f.fieldname)
            if not value:
                continue
            if f.options == "Email":
                for address in re.split(r"[,\n;]", str(value)):
                    address = address.strip()
                    if address and not _EMAIL_RE.match(_email_part(address)):
                        raise X.InvalidEmailAddressError(f"{address} is not a valid Email Address")
            elif f.options == "Phone":
                if not _PHONE_RE.match(str(value)):
                    raise X.InvalidPhoneNumberError(f"{value} is not a valid Phone Number")
            elif f.options == "URL":
                if not re.match(r"^(https?|ftp)://[^\s/$.?#].[^\s]*$", str(value), re.I):
                    raise E.ValidationError(f"'{value}' is not a valid URL")

    def _validate_selects(self, spec: DocTypeSpec, doc: Doc, prefix: str) -> None:
        for f in spec.fields:
            if f.fieldtype != "Select" or f.fieldname == "naming_series":
                continue
            value = doc.get(f.fieldname)
            options = f.select_options
            if not value or not any(options):
                continue
            value = str(value).strip()
            doc[f.fieldname] = value
            if value not in options:
                allowed = '", "'.join(options)
                raise E.ValidationError(f'{prefix} {f.title} cannot be "{value}". It should be one of "{allowed}"')

    def _validate_length(self, spec: DocTypeSpec, doc: Doc, parent: Doc | None) -> None:
        for f in spec.fields:
            if f.fieldtype not in VARCHAR_FIELDTYPES:
                continue
            value = doc.get(f.fieldname)
            if value is None:
                continue
            limit = f.length or 140
            if len(str(value)) > limit:
                if parent is not None:
                    reference = f"{spec.name}, Row {doc.get('idx')}"
                else:
                    reference = f"{spec.name} {doc.get('name')}"
                raise X.CharacterLengthExceededError(
                    f"{reference}: '{f.title}' ({value}) will get truncated, as max characters allowed is {limit}"
                )

    def _check_unique(self, spec: DocTypeSpec, doc: Doc) -> None:
        for f in spec.fields:
            if not f.unique or f.is_table:
                continue
            value = doc.get(f.fieldname)
            if value in (None, ""):
                continue
            if self._unique_holders(spec.name, f.fieldname, value) - {doc["name"]}:
                raise E.UniqueValidationError(f"{f.title} must be unique")
        for tf in spec.table_fields:
            child_spec = self.meta.get(tf.options)
            if child_spec is None:
                continue
            for f in child_spec.fields:
                if not f.unique:
                    continue
                mine = {r.get("name") for r in doc.get(tf.fieldname) or ()}
                taken = {ci(row.get(f.fieldname)) for p, row in self._child_rows(child_spec.name)
                         if row.get("name") not in mine and row.get(f.fieldname)}
                for row in doc.get(tf.fieldname) or ():
                    if row.get(f.fieldname) and ci(row[f.fieldname]) in taken:
                        raise E.UniqueValidationError(f"{f.title} must be unique")

    def _validate_update_after_submit(self, spec: DocTypeSpec, doc: Doc, old: Doc) -> None:
        self._compare_after_submit(spec, doc, old, "")
        for tf in spec.table_fields:
            child_spec = self.meta.get(tf.options)
            if child_spec is None or tf.allow_on_submit:
                continue
            old_rows = old.get(tf.fieldname) or []
            by_name = {r.get("name"): r for r in old_rows}
            for i, row in enumerate(doc.get(tf.fieldname) or []):
                before = by_name.get(row.get("name")) or (old_rows[i] if i < len(old_rows) else {})
                self._compare_after_submit(child_spec, row, before, f"Row #{row.get('idx')}:")

    def _compare_after_submit(self, spec: DocTypeSpec, doc: Doc, old: Doc, prefix: str) -> None:
        for f in spec.fields:
            if f.allow_on_submit:
                continue
            new, before = doc.get(f.fieldname), old.get(f.fieldname)
            if f.is_table:
                if not (new or before):
                    continue
                new, before = len(new or []), len(before or [])
            elif not (new or before):
                continue
            elif f.is_numeric:
                new, before = (flt(new) if f.fieldtype in FLOAT_FIELDTYPES else cint(new),
                               flt(before) if f.fieldtype in FLOAT_FIELDTYPES else cint(before))
            if new != before:
                raise E.UpdateAfterSubmitError(
                    f"{prefix} Not allowed to change {bold(f.title)} after submission from {bold(before)} to {bold(new)}"
                )


# ==================================================================== helpers
def _app_hook(name: str) -> set[str]:
    """A list hook of shopsync's hooks.py (Frappe merges these over all installed apps)."""
    try:
        from shopsync import hooks
    except Exception:  # pragma: no cover - hooks.py is plain data
        return set()
    return set(getattr(hooks, name, None) or ())


def _base36(number: int, width: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 36)
        digits = _HASH_ALPHABET[rest] + digits
    return digits.rjust(width, "0")[-width:]


def _is_missing(value: Any) -> bool:
    if value is None or value == []:
        return True
    if isinstance(value, str):
        return not re.sub(r"<[^>]*>", "", value).strip()
    return False


def _email_part(address: str) -> str:
    m = re.search(r"<([^>]+)>", address)
    return (m.group(1) if m else address).strip()


def _sort_key(value: Any):
    if value is None or value == "":
        return (0, 0, "")
    if isinstance(value, (int, float)):
        return (1, value, "")
    return (2, 0, ci(str(value)))


def _like(pattern: str) -> re.Pattern:
    regex = ""
    for ch in ci(str(pattern)):
        if ch == "%":
            regex += ".*"
        elif ch == "_":
            regex += "."
        else:
            regex += re.escape(ch)
    return re.compile(f"^{regex}$", re.DOTALL)


def _compare(actual: Any, op: str, value: Any, numeric: bool) -> bool:
    def norm(v):
        if numeric:
            return flt(v)
        if v is None:
            return ""
        return ci(v) if isinstance(v, str) else v

    if op in ("=", "=="):
        return norm(actual) == norm(value)
    if op in ("!=", "<>"):
        return norm(actual) != norm(value)
    if op == "in":
        values = value.split(",") if isinstance(value, str) else list(value or [])
        return norm(actual) in {norm(v.strip() if isinstance(v, str) else v) for v in values}
    if op == "not in":
        values = value.split(",") if isinstance(value, str) else list(value or [])
        return norm(actual) not in {norm(v.strip() if isinstance(v, str) else v) for v in values}
    if op == "like":
        return bool(_like(value).match(ci(str(actual))))
    if op == "not like":
        return not _like(value).match(ci(str(actual)))
    if op == "is":
        is_set = actual not in (None, "")
        return is_set if str(value).lower() == "set" else not is_set
    if op == "between":
        low, high = value
        return norm(low) <= norm(actual) <= norm(high)
    a, b = norm(actual), norm(value)
    if not numeric and isinstance(a, (int, float)) != isinstance(b, (int, float)):
        a, b = str(a), str(b)
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    raise E.ValidationError(f"Unsupported filter operator: {op}")
