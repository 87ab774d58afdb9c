from frappe.model.document import Document


class WooCommerceCategoryMap(Document):
    pass
