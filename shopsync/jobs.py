"""Background work inside a bench: the Runtime built from Frappe, and the scheduled jobs.

Every function here is thin: build the runtime, call the engine, let the engine record the outcome.
"""

from __future__ import annotations

import frappe

from shopsync.sync.runtime import Runtime
from shopsync.sync.site import SITE_DOCTYPE, SiteConfig

QUEUE_TIMEOUT = {"default": 600, "long": 3600}


def load_site(name: str) -> SiteConfig:
    from shopsync.erp.errors import DoesNotExistError

    if not name or not frappe.db.exists(SITE_DOCTYPE, name):
        raise DoesNotExistError(f"WooCommerce Site {name} not found")
    doc = frappe.get_doc(SITE_DOCTYPE, name)
    return SiteConfig.from_doc(
        doc.as_dict(),
        consumer_secret=doc.get_password("consumer_secret", raise_exception=False) or "",
        webhook_secret=doc.get_password("webhook_secret", raise_exception=False) or "",
    )


def client_for(site: SiteConfig):
    from shopsync.woocommerce import WooClient

    return WooClient(site.woocommerce_url, site.consumer_key, site.consumer_secret)


def enqueue(method: str, *, job_id: str, queue: str = "default", **kwargs) -> bool:
    job = frappe.enqueue(
        method, queue=queue, timeout=QUEUE_TIMEOUT.get(queue), job_id=job_id, deduplicate=True,
        enqueue_after_commit=True, **kwargs,
    )
    return job is not None or True  # after-commit jobs are pushed later; dedupe logs its drop


def list_sites() -> list[str]:
    return frappe.get_all(SITE_DOCTYPE, filters={"enabled": 1}, pluck="name")


def frappe_runtime() -> Runtime:
    from shopsync.erp.frappe_erp import FrappeERP

    return Runtime(erp=FrappeERP(), load_site=load_site, client_for=client_for, enqueue=enqueue, list_sites=list_sites)


# --- scheduler ---------------------------------------------------------------------------------

def sweep_deliveries():
    """Every minute: queue again the deliveries that wait with no job behind them."""
    from shopsync.sync import deliveries

    deliveries.sweep(frappe_runtime())


def hourly():
    """Every hour, per enabled site: webhook health check, order catch-up, stock catch-up."""
    rt = frappe_runtime()
    for name in rt.list_sites():
        for job in ("check_webhooks", "catch_up_orders", "catch_up_stock"):
            rt.enqueue(f"shopsync.jobs.{job}", job_id=f"shopsync:{job}:{name}", queue="long", site_name=name)


def check_webhooks(site_name: str):
    frappe.get_doc(SITE_DOCTYPE, site_name).check_webhooks()


def catch_up_orders(site_name: str):
    from shopsync.sync import catchup

    rt = frappe_runtime()
    site = rt.load_site(site_name)
    summary = catchup.catch_up_orders(rt.erp, site, rt.client_for(site), save_cursor=_save_cursor(site_name))
    frappe.db.set_value(SITE_DOCTYPE, site_name, "last_catch_up_at", frappe.utils.now())
    return summary


def _save_cursor(site_name: str):
    def save(cursor: str) -> None:
        frappe.db.set_value(SITE_DOCTYPE, site_name, "orders_cursor", cursor)
        frappe.db.commit()

    return save


def catch_up_stock(site_name: str):
    from shopsync.sync import stock

    rt = frappe_runtime()
    site = rt.load_site(site_name)
    return stock.catch_up_stock(rt.erp, site, rt.client_for(site), now=rt.erp.now())
