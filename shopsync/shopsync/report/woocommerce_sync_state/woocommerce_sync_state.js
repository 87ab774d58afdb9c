frappe.query_reports["WooCommerce Sync State"] = {
	filters: [
		{ fieldname: "site", label: __("WooCommerce Site"), fieldtype: "Link", options: "WooCommerce Site", reqd: 1 },
		{ fieldname: "state", label: __("Sync state"), fieldtype: "Select", options: ["", "In sync", "Out of sync", "Not linked"] },
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
		const resync = (winner) => {
			const links = report.get_checked_items ? report.get_checked_items().map((r) => r.link).filter(Boolean) : [];
			const go = () => frappe.call({ method: "shopsync.api.resync", args: { site: report.get_filter_value("site"), winner, links },
				freeze: true, callback: (r) => { frappe.msgprint(frappe.utils.escape_html(r.message.message)); report.refresh(); } });
			if (links.length) go();
			// two whole sentences: a translation cannot build "the {0}'s version" from a word
			else frappe.confirm(winner === "shop"
				? __("No line ticked: resync the whole site, overwriting ERPNext with the shop's version?")
				: __("No line ticked: resync the whole site, overwriting the shop with the ERP's version?"), go);
		};
		report.page.add_inner_button(__("Resync: keep the shop's"), () => resync("shop"), __("Resync"));
		report.page.add_inner_button(__("Resync: keep the ERP's"), () => resync("erp"), __("Resync"));
	},
	get_datatable_options(options) {
		return Object.assign(options, { checkboxColumn: true });
	},
};
