"""Errors the ERP port raises.

They mirror the exceptions ERPNext 15 raises (their names are Frappe's ``exc_type``, see
``tests/captures/erpnext/golden/h*``), so the engine can react to them without importing Frappe.
The Frappe implementation of the port translates ``frappe.exceptions`` into these; the in-memory
stand-in raises them itself.
"""

from __future__ import annotations


class ERPError(Exception):
    """Base of every error raised through the ERP port."""

    #: Frappe's exception class name for this error (``exc_type`` in a REST answer).
    exc_type = "ValidationError"
    #: HTTP status Frappe answers with for it.
    http_status = 417
    #: True when re-running the same work later may succeed (lock timeouts, deadlocks).
    transient = False
    #: True when an ``insert(..., submit=True)`` was refused after the document had passed its
    #: validation and was written: by its submit's work (ERPNext's credit limit check runs in the
    #: Sales Order's ``on_submit``). Tells a submit's refusal from a save's in any site language.
    at_submit = False


class ValidationError(ERPError):
    exc_type = "ValidationError"


class MandatoryError(ValidationError):
    exc_type = "MandatoryError"


class LinkValidationError(ValidationError):
    exc_type = "LinkValidationError"


class DoesNotExistError(ValidationError):
    exc_type = "DoesNotExistError"
    http_status = 404


class DuplicateEntryError(ValidationError):
    exc_type = "DuplicateEntryError"
    http_status = 409


class UniqueValidationError(ValidationError):
    exc_type = "UniqueValidationError"


class UpdateAfterSubmitError(ValidationError):
    exc_type = "UpdateAfterSubmitError"


class LinkExistsError(ValidationError):
    exc_type = "LinkExistsError"


class NegativeStockError(ValidationError):
    exc_type = "NegativeStockError"


class InvalidQtyError(ValidationError):
    exc_type = "InvalidQtyError"


class UOMMustBeIntegerError(ValidationError):
    exc_type = "UOMMustBeIntegerError"


class TimestampMismatchError(ValidationError):
    exc_type = "TimestampMismatchError"


class LockTimeout(ERPError):
    """The database could not take a lock in time (deadlock, lock wait timeout)."""

    exc_type = "QueryDeadlockError"
    http_status = 500
    transient = True


BY_EXC_TYPE = {
    cls.exc_type: cls
    for cls in (
        ValidationError,
        MandatoryError,
        LinkValidationError,
        DoesNotExistError,
        DuplicateEntryError,
        UniqueValidationError,
        UpdateAfterSubmitError,
        LinkExistsError,
        NegativeStockError,
        InvalidQtyError,
        UOMMustBeIntegerError,
        TimestampMismatchError,
        LockTimeout,
    )
}
BY_EXC_TYPE["QueryTimeoutError"] = LockTimeout
