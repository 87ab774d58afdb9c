from frappe.model.document import Document


class WooCommerceDeliveryReceipt(Document):
    """One per delivery ever received (its dedupe key), kept after the log entry is cleared."""
