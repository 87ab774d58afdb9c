import frappe
from frappe.model.document import Document

#: the link of an ERP document on a site ("site, type and ERP name": every order line, stock push
#: and Item form looks links up this way)
COMPOSITE_INDEXES = [["site", "link_type", "erp_name"]]


class WooCommerceLink(Document):
    def validate(self):
        # a record of what was synced: only shopsync writes it (Resync is the action)
        from shopsync.desk import refuse_hand_edits

        refuse_hand_edits(self)


def on_doctype_update():
    """Frappe runs this when the DocType is installed or synced; the patch
    shopsync.patches.add_composite_indexes runs it once on sites that already have the table."""
    for fields in COMPOSITE_INDEXES:
        frappe.db.add_index("WooCommerce Link", fields)
