import frappe
from frappe.model.document import Document
from frappe.query_builder import Interval
from frappe.query_builder.functions import Now


class WooCommerceWebhookLog(Document):
    @staticmethod
    def clear_old_logs(days=30):
        """Log Settings' daily clean-up: entries Done or Skipped for longer than ``days`` go;
        Failed and Queued ones stay until someone looks at them."""
        table = frappe.qb.DocType("WooCommerce Webhook Log")
        frappe.db.delete(
            table, filters=(table.modified < (Now() - Interval(days=days))) & table.status.isin(["Done", "Skipped"])
        )
