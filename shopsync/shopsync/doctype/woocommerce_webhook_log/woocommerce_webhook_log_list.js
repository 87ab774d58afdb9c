frappe.listview_settings["WooCommerce Webhook Log"] = {
	add_fields: ["status", "error"],
	get_indicator(doc) {
		const colour = { Queued: "blue", Processing: "orange", Done: "green", Failed: "red", Skipped: "gray" }[doc.status];
		return [__(doc.status), colour, "status,=," + doc.status];
	},
	onload(listview) {
		// topics and errors come from the shop: shown as text
		shopsync.show_as_text(null, { "WooCommerce Webhook Log": ["topic", "resource", "event", "error", "outcome"] }, false);
		listview.page.add_action_item(__("Retry"), () => {
			const names = listview.get_checked_items(true);
			frappe.call({ method: "shopsync.api.retry_deliveries", args: { names }, callback: () => listview.refresh() });
		});
	},
};
