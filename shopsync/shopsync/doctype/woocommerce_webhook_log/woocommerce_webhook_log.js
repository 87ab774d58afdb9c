// A delivery's topic, error, outcome and payload are what the shop sent: shown as text, never HTML.
function shopsync_log_text(value) {
	// escaped once: a value without < or > has nothing to escape, or Frappe escaped it already (Data fields)
	const text = String(value == null ? "" : value).replace(/<br>/g, "\n");
	return (/[<>]/.test(text) ? frappe.utils.escape_html(text) : text).replace(/\n/g, "<br>");
}
var SHOPSYNC_LOG_SHOP_TEXT = ["topic", "resource", "event", "delivery_id", "date_modified_gmt", "body_sha256", "dedupe_key",
	"job_id", "outcome", "error", "attempt_log", "payload"];
function shopsync_log_text_fields(frm) {
	// Frappe 15's Small/Long Text formatters drop the field, so the formatter goes on every copy
	// of each field (the meta's, each document's, the form's own), and a field shown before is redrawn
	const fields = { "WooCommerce Webhook Log": SHOPSYNC_LOG_SHOP_TEXT };
	for (const [doctype, names] of Object.entries(fields)) {
		const holders = [frappe.meta.docfield_map[doctype] || {}, ...Object.values((frappe.meta.docfield_copy || {})[doctype] || {})];
		for (const name of names) {
			const field = frm && frm.doctype === doctype && frm.fields_dict ? frm.fields_dict[name] : null;
			const stale = field && field.df && field.df.formatter !== shopsync_log_text;
			for (const holder of holders) if (holder[name]) holder[name].formatter = shopsync_log_text;
			if (stale) {
				field.df.formatter = shopsync_log_text;
				if (field.refresh) field.refresh();
			}
		}
	}
}

frappe.ui.form.on("WooCommerce Webhook Log", {
	setup: shopsync_log_text_fields,
	onload: shopsync_log_text_fields,
	refresh(frm) {
		shopsync_log_text_fields(frm);
		if (["Failed", "Skipped", "Queued"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Retry"), () =>
				frappe.call({ method: "shopsync.api.retry_deliveries", args: { names: [frm.doc.name] }, callback: () => frm.reload_doc() })
			);
		}
	},
});
