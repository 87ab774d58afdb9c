"""Frappe/ERPNext exception types the stand-in raises that ``shopsync.erp.errors`` does not name.

Each subclasses the closest port error, so ``except ValidationError`` still catches it, and carries
Frappe's ``exc_type``. (Candidates for ``shopsync/erp/errors.py``.)
"""

from __future__ import annotations

from shopsync.erp.errors import LinkValidationError, ValidationError


class ItemPriceDuplicateItem(ValidationError):
    exc_type = "ItemPriceDuplicateItem"


class PartyDisabled(ValidationError):
    exc_type = "PartyDisabled"


class InvalidItemAttributeValueError(ValidationError):
    exc_type = "InvalidItemAttributeValueError"


class ItemVariantExistsError(ValidationError):
    exc_type = "ItemVariantExistsError"


class EmptyStockReconciliationItemsError(ValidationError):
    exc_type = "EmptyStockReconciliationItemsError"


class OpeningEntryAccountError(ValidationError):
    exc_type = "OpeningEntryAccountError"


class CancelledLinkError(LinkValidationError):
    exc_type = "CancelledLinkError"


class InvalidEmailAddressError(ValidationError):
    exc_type = "InvalidEmailAddressError"


class InvalidPhoneNumberError(ValidationError):
    exc_type = "InvalidPhoneNumberError"


class CharacterLengthExceededError(ValidationError):
    exc_type = "CharacterLengthExceededError"


class NameError(ValidationError):  # noqa: A001 - Frappe's name
    exc_type = "NameError"


class DocstatusTransitionError(ValidationError):
    exc_type = "DocstatusTransitionError"


class WarehouseRequired(ValidationError):
    exc_type = "WarehouseRequired"


class StockOverReturnError(ValidationError):
    """erpnext.controllers.sales_and_purchase_return.StockOverReturnError (golden k1)."""
    exc_type = "StockOverReturnError"
