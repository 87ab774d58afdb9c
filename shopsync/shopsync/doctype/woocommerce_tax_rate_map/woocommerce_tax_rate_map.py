from frappe.model.document import Document


class WooCommerceTaxRateMap(Document):
    pass
