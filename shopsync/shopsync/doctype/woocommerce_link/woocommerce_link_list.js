frappe.listview_settings["WooCommerce Link"] = {
	add_fields: ["state", "woo_id"],
	hide_name_column: true, // the key is the title already
	get_indicator(doc) {
		const colour = { "In sync": "green", "Out of sync": "orange", "Not linked": "red" }[doc.state];
		return [__(doc.state), colour, "state,=," + doc.state];
	},
	onload() {
		// a link's SKU and last error may quote the shop: shown as text
		shopsync.show_as_text(null, { "WooCommerce Link": ["sku", "last_error", "woo_modified_gmt", "erp_key", "link_key"] }, false);
	},
};
