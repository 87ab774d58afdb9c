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


def record_webhooks(erp: Any, site_name: str, report: Any) -> SiteConfig:
    """What the site's controller does after a webhook check: the shop's webhooks of the site
    (id, topic, fingerprint of the secret written) kept on the site. Returns the site reloaded."""
    rows = [{"topic": r["topic"], "woo_webhook_id": r["woo_webhook_id"], "status": r.get("status"),
             "secret_hash": r.get("secret_hash") or ""} for r in report.rows]
    with erp.transaction():
        stored = erp.update(SITE_DOCTYPE, site_name, {"webhooks": rows})
    return SiteConfig.from_doc(stored)


def know_webhooks(erp: Any, site_name: str, hooks: list[dict[str, Any]]) -> SiteConfig:
    """The site as a webhook check leaves it when ``hooks`` (the shop's webhook objects) are its own."""
    rows = [{"topic": h["topic"], "woo_webhook_id": int(h["id"]), "status": h.get("status") or "active"} for h in hooks]
    with erp.transaction():
        stored = erp.update(SITE_DOCTYPE, site_name, {"webhooks": rows})
    return SiteConfig.from_doc(stored)
