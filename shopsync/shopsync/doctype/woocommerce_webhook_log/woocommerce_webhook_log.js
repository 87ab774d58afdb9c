// A delivery's topic, error, outcome and payload are what the shop sent: shown as text, never HTML.
function shopsync_log_text_fields(frm) {
	shopsync.show_as_text(frm, { "WooCommerce Webhook Log": ["topic", "resource", "event", "delivery_id", "date_modified_gmt",
		"body_sha256", "dedupe_key", "job_id", "attempt_log", "payload"] });
	shopsync.show_as_text(frm, { "WooCommerce Webhook Log": ["outcome", "error"] }, true, shopsync_log_said);
}

// The outcome (Done, Skipped) or the error (Failed) in the user's language when the entry holds
// its code; else the stored text, as text.
function shopsync_log_said(value, df, options, doc) {
	const field = df && df.fieldname;
	const mine = doc && doc.outcome_code && (field === "error" ? doc.status !== "Done" && doc.status !== "Skipped" : ["Done", "Skipped"].includes(doc.status));
	return mine ? shopsync.outcome_text(doc) : shopsync.shop_text(value);
}

frappe.ui.form.on("WooCommerce Webhook Log", {
	setup: shopsync_log_text_fields,
	onload(frm) {
		shopsync_log_text_fields(frm);
		frm.set_read_only(); // a record of what happened: Retry is the action, never Save
	},
	refresh(frm) {
		shopsync_log_text_fields(frm);
		frm.disable_save();
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
