from frappe.model.document import Document


class WooCommercePaymentMethodMap(Document):
    pass
