from frappe.model.document import Document


class WooCommerceBlacklistEntry(Document):
    pass
