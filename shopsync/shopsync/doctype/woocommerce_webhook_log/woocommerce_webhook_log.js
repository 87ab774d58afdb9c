// A delivery's topic, error, outcome and payload are what the shop sent: shown as text, never HTML.
function shopsync_log_text_fields(frm) {
	shopsync.show_as_text(frm, { "WooCommerce Webhook Log": ["topic", "resource", "event", "delivery_id", "date_modified_gmt",
		"body_sha256", "dedupe_key", "job_id", "outcome", "error", "attempt_log", "payload"] });
}

frappe.ui.form.on("WooCommerce Webhook Log", {
	setup: shopsync_log_text_fields,
	onload: shopsync_log_text_fields,
	refresh(frm) {
		shopsync_log_text_fields(frm);
		// what happened, in the user's language, where the eye lands first
		const said = shopsync.outcome_text(frm.doc);
		if (said) {
			const colour = frm.doc.status === "Failed" ? (shopsync.needs_attention(frm.doc) ? "orange" : "red") : frm.doc.status === "Done" ? "green" : "blue";
			frm.set_intro(said, colour);
		}
		if (["Failed", "Skipped", "Queued"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Retry"), () =>
				frappe.call({ method: "shopsync.api.retry_deliveries", args: { names: [frm.doc.name] }, callback: () => frm.reload_doc() })
			);
		}
	},
});
