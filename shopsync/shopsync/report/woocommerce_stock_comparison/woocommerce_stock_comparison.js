frappe.query_reports["WooCommerce Stock Comparison"] = {
	filters: [
		{ fieldname: "site", label: __("WooCommerce Site"), fieldtype: "Link", options: "WooCommerce Site", reqd: 1 },
		{ fieldname: "only_differences", label: __("Only differences"), fieldtype: "Check", default: 1 },
	],
	formatter(value, row, column, data, default_formatter) {
		// errors may quote the shop: text columns are shown as text
		if (column.fieldtype === "Data" && typeof value === "string") value = frappe.utils.escape_html(value);
		value = default_formatter(value, row, column, data);
		if (column.fieldname === "state" && data && data.state) {
			const colour = data.held ? "orange" : data.difference ? "red" : "green";
			value = `<span class="indicator-pill ${colour}">${value}</span>`;
		}
		return value;
	},
	onload(report) {
		// "sync" here is the stock (quantities); product data is the Sync State's
		if (report.page && report.page.set_title) report.page.set_title(__("WooCommerce stock comparison"));
		report.page.add_inner_button(__("Push the differing ones"), () =>
			frappe.call({ method: "shopsync.api.push_stock_differences", args: { site: report.get_filter_value("site") },
				freeze: true, callback: (r) => { frappe.msgprint(frappe.utils.escape_html(r.message.message)); report.refresh(); } })
		);
	},
};
