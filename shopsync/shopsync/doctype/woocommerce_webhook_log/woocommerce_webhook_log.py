import frappe
from frappe.model.document import Document
from frappe.query_builder import Interval
from frappe.query_builder.functions import Now

#: the deliveries waiting for one object ("site, resource, resource id, status": every job and the
#: sweeper look them up this way)
COMPOSITE_INDEXES = [["site", "resource", "resource_id", "status"]]


def on_doctype_update():
    """Frappe runs this when the DocType is installed or synced; the patch
    shopsync.patches.add_composite_indexes runs it once on sites that already have the table."""
    for fields in COMPOSITE_INDEXES:
        frappe.db.add_index("WooCommerce Webhook Log", fields)


class WooCommerceWebhookLog(Document):
    def validate(self):
        # a record of what the shop delivered and what came of it: only shopsync writes it (Retry
        # is the action)
        from shopsync.desk import refuse_hand_edits

        refuse_hand_edits(self)

    @staticmethod
    def clear_old_logs(days=30):
        """Log Settings' daily clean-up: entries Done or Skipped for longer than ``days`` go;
        Failed and Queued ones stay until someone looks at them."""
        table = frappe.qb.DocType("WooCommerce Webhook Log")
        frappe.db.delete(
            table, filters=(table.modified < (Now() - Interval(days=days))) & table.status.isin(["Done", "Skipped"])
        )
