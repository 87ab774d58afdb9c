from frappe.model.document import Document


class WooCommerceLink(Document):
    pass
