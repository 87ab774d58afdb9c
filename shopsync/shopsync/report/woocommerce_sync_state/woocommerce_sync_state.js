frappe.query_reports["WooCommerce Sync State"] = {
	filters: [
		{ fieldname: "site", label: __("WooCommerce Site"), fieldtype: "Link", options: "WooCommerce Site", reqd: 1 },
		{ fieldname: "state", label: __("Product data"), fieldtype: "Select", options: ["", "In sync", "Out of sync", "Not linked"] },
		{ fieldname: "read_shop", label: __("Read the shop now"), fieldtype: "Check" },
	],
	formatter(value, row, column, data, default_formatter) {
		// names, labels and errors may come from the shop: text columns are shown as text
		if (column.fieldtype === "Data" && typeof value === "string") value = frappe.utils.escape_html(value);
		value = default_formatter(value, row, column, data);
		if (column.fieldname === "state" && data) {
			const colour = { "In sync": "green", "Out of sync": "orange", "Not linked": "red" }[data.state] || "gray";
			value = `<span class="indicator-pill ${colour}">${frappe.utils.escape_html(__(data.state || ""))}</span>`;
		}
		return value;
	},
	onload(report) {
		// "sync" here is the product data (name, prices, description...); stock is the Stock Comparison's
		if (report.page && report.page.set_title) report.page.set_title(__("WooCommerce product data sync"));
		const resync = (winner) => {
			const site = report.get_filter_value("site");
			const links = report.get_checked_items ? report.get_checked_items().map((r) => r.link).filter(Boolean) : [];
			const go = () => frappe.call({ method: "shopsync.api.resync", args: { site, winner, links },
				freeze: true, callback: (r) => { frappe.msgprint(frappe.utils.escape_html(r.message.message)); report.refresh(); } });
			if (links.length) return go();
			// no line ticked: the whole site, said with how many links it touches before it runs;
			// two whole sentences: a translation cannot build "the {0}'s version" from a word
			frappe.call({ method: "shopsync.desk.site_scope", args: { site }, callback(r) {
				const count = format_number((r.message || {}).item_links || 0, null, 0);
				const where = frappe.utils.escape_html(site);
				frappe.confirm(winner === "shop"
					? __("No line ticked: resync all {0} linked items of site {1}, overwriting ERPNext with the shop's version?", [count, where])
					: __("No line ticked: resync all {0} linked items of site {1}, overwriting the shop with ERPNext's version?", [count, where]), go);
			} });
		};
		report.page.add_inner_button(__("Resync: keep the shop's"), () => resync("shop"), __("Resync"));
		report.page.add_inner_button(__("Resync: keep ERPNext's"), () => resync("erp"), __("Resync"));
	},
	get_datatable_options(options) {
		return Object.assign(options, { checkboxColumn: true });
	},
};
