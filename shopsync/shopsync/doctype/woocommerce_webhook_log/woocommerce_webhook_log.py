from frappe.model.document import Document


class WooCommerceWebhookLog(Document):
    pass
