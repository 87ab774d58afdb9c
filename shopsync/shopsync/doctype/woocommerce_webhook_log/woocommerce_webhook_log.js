// A delivery's topic, error, outcome and payload are what the shop sent: shown as text, never HTML.
function shopsync_log_text(value) {
	return frappe.utils.escape_html(String(value == null ? "" : value).replace(/<br>/g, "\n")).replace(/\n/g, "<br>");
}
var SHOPSYNC_LOG_SHOP_TEXT = ["topic", "resource", "event", "delivery_id", "date_modified_gmt", "body_sha256", "dedupe_key",
	"job_id", "outcome", "error", "attempt_log", "payload"];
function shopsync_log_text_fields() {
	const map = frappe.meta.docfield_map["WooCommerce Webhook Log"] || {};
	for (const name of SHOPSYNC_LOG_SHOP_TEXT) if (map[name]) map[name].formatter = shopsync_log_text;
}

frappe.ui.form.on("WooCommerce Webhook Log", {
	setup: shopsync_log_text_fields,
	onload: shopsync_log_text_fields,
	refresh(frm) {
		shopsync_log_text_fields();
		if (["Failed", "Skipped", "Queued"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Retry"), () =>
				frappe.call({ method: "shopsync.api.retry_deliveries", args: { names: [frm.doc.name] }, callback: () => frm.reload_doc() })
			);
		}
	},
});
