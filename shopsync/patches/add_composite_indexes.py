"""Composite indexes on sites installed before they existed: the links by (site, type, ERP name)
and the webhook log by (site, resource, resource id, status). A new install gets them from each
DocType's ``on_doctype_update``; ``frappe.db.add_index`` skips an index that is already there."""

from shopsync.shopsync.doctype.woocommerce_link import woocommerce_link
from shopsync.shopsync.doctype.woocommerce_webhook_log import woocommerce_webhook_log


def execute():
    woocommerce_link.on_doctype_update()
    woocommerce_webhook_log.on_doctype_update()
