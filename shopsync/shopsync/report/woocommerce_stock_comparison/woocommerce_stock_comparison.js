frappe.query_reports["WooCommerce Stock Comparison"] = {
	filters: [
		{ fieldname: "site", label: __("WooCommerce Site"), fieldtype: "Link", options: "WooCommerce Site", reqd: 1 },
		{ fieldname: "only_differences", label: __("Only differences"), fieldtype: "Check", default: 1 },
	],
	onload(report) {
		report.page.add_inner_button(__("Push the differing ones"), () =>
			frappe.call({ method: "shopsync.api.push_stock_differences", args: { site: report.get_filter_value("site") },
				freeze: true, callback: (r) => { frappe.msgprint(r.message.message); report.refresh(); } })
		);
	},
};
