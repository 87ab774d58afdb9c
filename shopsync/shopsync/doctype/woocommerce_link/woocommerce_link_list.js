frappe.listview_settings["WooCommerce Link"] = {
	add_fields: ["state", "woo_id"],
	get_indicator(doc) {
		const colour = { "In sync": "green", "Out of sync": "orange", "Not linked": "red" }[doc.state];
		return [__(doc.state), colour, "state,=," + doc.state];
	},
};
