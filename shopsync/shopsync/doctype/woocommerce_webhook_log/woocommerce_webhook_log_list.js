// The log is a record of what happened: nobody adds or edits an entry (Retry is the action).
// Where the eye lands: Failed in red, needs attention in orange; Skipped entries are quiet (grey,
// and left out until the user asks for them with the Status filter). The Outcome column says what
// happened, or why nothing was done, in the user's language (shopsync.outcome_text).
frappe.listview_settings["WooCommerce Webhook Log"] = {
	add_fields: ["status", "error", "outcome", "outcome_code", "outcome_args"],
	filters: [["status", "!=", "Skipped"]],
	hide_name_column: true, // a random name: the topic and the resource id say which delivery it is
	get_indicator(doc) {
		if (shopsync.needs_attention(doc)) return [__("Needs attention"), "orange", "outcome_code,like,needs_attention%"];
		const colour = { Queued: "blue", Processing: "orange", Done: "green", Failed: "red", Skipped: "gray" }[doc.status];
		return [__(doc.status), colour, "status,=," + doc.status];
	},
	formatters: {
		resource_id(value) {
			return value ? `#${cint(value)}` : "";
		},
		outcome(value, df, doc) {
			const text = shopsync.outcome_text(doc);
			const colour = doc.status === "Failed" ? (shopsync.needs_attention(doc) ? "text-warning" : "text-danger") : doc.status === "Skipped" ? "text-muted" : "";
			return `<span class="ellipsis ${colour}" title="${text.replace(/"/g, "&quot;")}">${text}</span>`;
		},
	},
	onload(listview) {
		// Skipped stays quiet when the list is opened from a link too (the site's "Webhook log"
		// button): route options replace the default filters, so the status one is added back
		// unless the route names a status itself
		const before_refresh = listview.before_refresh.bind(listview);
		listview.before_refresh = function () {
			const from_route = Boolean(frappe.route_options);
			return Promise.resolve(before_refresh()).then(() => {
				if (from_route && this.filter_area && !this.filter_area.get().some((f) => f[1] === "status")) {
					return this.filter_area.add([[this.doctype, "status", "!=", "Skipped"]], false);
				}
			});
		};
		// topics and errors come from the shop: shown as text
		shopsync.show_as_text(null, { "WooCommerce Webhook Log": ["topic", "resource", "event", "error", "outcome"] }, false);
		listview.page.add_action_item(__("Retry"), () => {
			const names = listview.get_checked_items(true);
			frappe.call({ method: "shopsync.api.retry_deliveries", args: { names }, callback: () => listview.refresh() });
		});
	},
};
