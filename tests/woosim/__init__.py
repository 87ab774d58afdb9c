"""WooCommerce 9.9.5 simulator for tests: ``from tests.woosim import WooSim``.

A real HTTP server on 127.0.0.1 (ThreadingHTTPServer, daemon threads) answering REST wc/v3 like the
captured shop (tests/captures/woocommerce), with OAuth 1.0a over http, WordPress pagination, batches,
WooCommerce's stock/order/tax rules and webhook deliveries run on demand (``deliver_webhooks()``).
See sim.py for the public API.
"""
from .errors import RestError
from .faults import CostModel, Faults
from .sim import WooSim
from .webhooks import signature

__all__ = ["WooSim", "CostModel", "Faults", "RestError", "signature"]
