"""The WooCommerce backend adapter: the only part of shopsync that speaks HTTP to a shop.

- :class:`WooClient`: wc/v3 REST calls with WooCommerce's authentication, timeouts, retries,
  pagination (:meth:`WooClient.iter`), batches (:meth:`WooClient.batch`), webhook calls and the
  connection test (:func:`shopsync.woocommerce.connection.check_connection`, which works on a
  client);
- typed errors (:mod:`shopsync.woocommerce.errors`);
- webhook signatures (:mod:`shopsync.woocommerce.signature`).

No frappe here.
"""

from __future__ import annotations

from shopsync.woocommerce.client import BatchItemError, BatchResult, WooClient
from shopsync.woocommerce.connection import ConnectionCheck, check_connection
from shopsync.woocommerce.errors import (
    AuthError,
    ConnectionFailed,
    NotFoundError,
    RateLimited,
    ServerError,
    TooLarge,
    WooError,
    WooValidationError,
)

__all__ = [
    "WooClient",
    "BatchResult",
    "BatchItemError",
    "ConnectionCheck",
    "check_connection",
    "WooError",
    "AuthError",
    "NotFoundError",
    "WooValidationError",
    "RateLimited",
    "ServerError",
    "ConnectionFailed",
    "TooLarge",
]
