frappe.query_reports["WooCommerce Stock Comparison"] = {
	filters: [
		{ fieldname: "site", label: __("WooCommerce Site"), fieldtype: "Link", options: "WooCommerce Site", reqd: 1 },
		{ fieldname: "only_differences", label: __("Only differences"), fieldtype: "Check", default: 1 },
	],
	formatter(value, row, column, data, default_formatter) {
		// errors may quote the shop: text columns are shown as text
		if (column.fieldtype === "Data" && typeof value === "string") value = frappe.utils.escape_html(value);
		return default_formatter(value, row, column, data);
	},
	onload(report) {
		report.page.add_inner_button(__("Push the differing ones"), () =>
			frappe.call({ method: "shopsync.api.push_stock_differences", args: { site: report.get_filter_value("site") },
				freeze: true, callback: (r) => { frappe.msgprint(frappe.utils.escape_html(r.message.message)); report.refresh(); } })
		);
	},
};
