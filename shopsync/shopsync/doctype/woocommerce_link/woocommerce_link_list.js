frappe.listview_settings["WooCommerce Link"] = {
	add_fields: ["state", "woo_id"],
	get_indicator(doc) {
		const colour = { "In sync": "green", "Out of sync": "orange", "Not linked": "red" }[doc.state];
		return [__(doc.state), colour, "state,=," + doc.state];
	},
	onload() {
		// a link's SKU and last error may quote the shop: shown as text
		const map = frappe.meta.docfield_map["WooCommerce Link"] || {};
		for (const name of ["sku", "last_error", "woo_modified_gmt", "erp_key", "link_key"]) {
			if (map[name]) map[name].formatter = (value) => {
				const text = value == null ? "" : String(value); // escaped once (Frappe may have done it)
				return /[<>]/.test(text) ? frappe.utils.escape_html(text) : text;
			};
		}
	},
};
