"""A WooCommerce Site document in the ERP stand-in, as a user would fill the form."""

from __future__ import annotations

from typing import Any

from shopsync.sync.site import SITE_DOCTYPE, SiteConfig
from shopsync.woocommerce.signature import generate_secret


def site_doc(name: str, url: str, key: str, secret: str, endpoint: str = "", **overrides: Any) -> dict[str, Any]:
    doc = {
        "doctype": SITE_DOCTYPE,
        "site_name": name,
        "enabled": 1,
        "woocommerce_url": url,
        "consumer_key": key,
        "consumer_secret": secret,
        "company": "Test Shop",
        "tax_account": "TVA 20% - TS",
        "freight_account": "Freight and Forwarding Charges - TS",
        "customer_group": "Individual",
        "territory": "France",
        "price_list": "Standard Selling",
        "default_warehouse": "Stores - TS",
        "warehouses": [{"warehouse": "Stores - TS"}],
        "webhook_secret": generate_secret(),
        "endpoint_url": endpoint,
    }
    doc.update(overrides)
    return doc


def add_site(erp: Any, name: str, url: str, key: str, secret: str, endpoint: str = "", **overrides: Any) -> SiteConfig:
    with erp.transaction():
        stored = erp.insert(site_doc(name, url, key, secret, endpoint, **overrides))
    return SiteConfig.from_doc(stored)
