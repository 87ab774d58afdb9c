from frappe.model.document import Document


class WooCommerceSiteWarehouse(Document):
    pass
