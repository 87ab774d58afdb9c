from frappe.model.document import Document


class WooCommerceSiteWebhook(Document):
    pass
