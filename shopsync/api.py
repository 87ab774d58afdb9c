"""HTTP entry points: the webhook endpoint and the desk's whitelisted actions. Thin on purpose:
each one reads the request, calls the engine (``shopsync.sync``) and shapes the answer."""

from __future__ import annotations

import frappe
from frappe import _

from shopsync.jobs import frappe_runtime
from shopsync.sync import deliveries, intake


@frappe.whitelist(allow_guest=True, xss_safe=True, methods=["POST"])
def webhook():
    """Where a shop's webhooks deliver: ``/api/method/shopsync.api.webhook?site=<site>``.

    Takes no arguments on purpose: Frappe passes a JSON body's keys as keyword arguments, and
    nothing of a delivery may be used before its signature is checked on the raw bytes.
    Frappe itself answers 500 to a body that is not valid JSON before this code runs (see README).
    """
    request = frappe.request
    raw = request.get_data(cache=True) or b""
    # The site comes from the query string: with a JSON body Frappe leaves it out of form_dict.
    site = request.args.get("site")
    answer = intake.receive(frappe_runtime(), site, raw, dict(request.headers))
    frappe.local.response.http_status_code = answer.status
    return answer.body()


def _site_doc(site: str):
    doc = frappe.get_doc("WooCommerce Site", site)
    doc.check_permission("write")
    return doc


@frappe.whitelist(methods=["POST"])
def test_connection(site: str):
    return _site_doc(site).run_connection_test()


@frappe.whitelist(methods=["POST"])
def rotate_secret(site: str):
    return _site_doc(site).rotate_webhook_secret()


@frappe.whitelist(methods=["POST"])
def delete_site(site: str):
    doc = _site_doc(site)
    doc.check_permission("delete")
    return doc.delete_with_webhooks()


@frappe.whitelist(methods=["POST"])
def check_webhooks(site: str):
    return _site_doc(site).check_webhooks()


@frappe.whitelist(methods=["POST"])
def retry_deliveries(names):
    """The Retry button of the webhook log (one entry or a selection)."""
    frappe.only_for(("System Manager", "Sales Manager"))
    names = frappe.parse_json(names) if isinstance(names, str) else names
    if isinstance(names, str):
        names = [names]
    count = deliveries.retry(frappe_runtime(), names)
    frappe.msgprint(_("{0} deliveries queued again").format(count), alert=True)
    return count


@frappe.whitelist(methods=["POST"])
def start_import(name: str):
    doc = frappe.get_doc("WooCommerce Import", name)
    doc.check_permission("write")
    doc.start()
    return doc.status


@frappe.whitelist(methods=["POST"])
def catch_up_orders(site: str):
    _site_doc(site)
    frappe.enqueue("shopsync.jobs.catch_up_orders", queue="long", job_id=f"shopsync:catch_up_orders:{site}",
                   deduplicate=True, site_name=site)
    return {"message": _("Catch-up queued: its result goes to the site's comments and the webhook log."), "ok": True}
