frappe.listview_settings["WooCommerce Webhook Log"] = {
	add_fields: ["status", "error"],
	get_indicator(doc) {
		const colour = { Queued: "blue", Processing: "orange", Done: "green", Failed: "red", Skipped: "gray" }[doc.status];
		return [__(doc.status), colour, "status,=," + doc.status];
	},
	onload(listview) {
		// topics and errors come from the shop: shown as text
		const map = frappe.meta.docfield_map["WooCommerce Webhook Log"] || {};
		for (const name of ["topic", "resource", "event", "error", "outcome"]) {
			if (map[name]) map[name].formatter = (value) => {
				const text = value == null ? "" : String(value); // escaped once (Frappe may have done it)
				return /[<>]/.test(text) ? frappe.utils.escape_html(text) : text;
			};
		}
		listview.page.add_action_item(__("Retry"), () => {
			const names = listview.get_checked_items(true);
			frappe.call({ method: "shopsync.api.retry_deliveries", args: { names }, callback: () => listview.refresh() });
		});
	},
};
