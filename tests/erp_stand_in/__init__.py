"""The in-memory ERPNext stand-in: ``from tests.erp_stand_in import MemoryERP``.

``MemoryERP`` implements :class:`shopsync.erp.port.ERP` and enforces the contract of
``shopsync/erp/contract.json`` (held to the real site's captures by tests/test_erp_contract.py).
Beyond the port: ``MemoryERP.with_test_shop()``, ``erp.clock`` (:class:`Clock`), ``erp.on(...)``
doc events, ``erp.seed(doc)``, ``erp.messages``, ``make_sales_invoice``, ``make_delivery_note``,
``get_payment_entry``, ``stock_balance``, ``update_status`` (Close / Hold / Re-open a Sales Order).
"""

from .clock import Clock
from .memory_erp import MemoryERP

__all__ = ["Clock", "MemoryERP"]
