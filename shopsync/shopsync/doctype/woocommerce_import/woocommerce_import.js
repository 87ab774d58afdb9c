// The summary quotes the shop (why orders failed or were skipped): shown as text, never HTML.
function shopsync_import_text(value) {
	// escaped once: a value without < or > has nothing to escape, or Frappe escaped it already (Data fields)
	const text = String(value == null ? "" : value).replace(/<br>/g, "\n");
	return (/[<>]/.test(text) ? frappe.utils.escape_html(text) : text).replace(/\n/g, "<br>");
}
function shopsync_import_text_fields(frm) {
	// Frappe 15's Long Text formatter drops the field, so the formatter goes on every copy of it
	const doctype = "WooCommerce Import";
	const holders = [frappe.meta.docfield_map[doctype] || {}, ...Object.values((frappe.meta.docfield_copy || {})[doctype] || {})];
	for (const name of ["summary", "statuses", "resume_state"]) {
		const field = frm && frm.fields_dict ? frm.fields_dict[name] : null;
		const stale = field && field.df && field.df.formatter !== shopsync_import_text;
		for (const holder of holders) if (holder[name]) holder[name].formatter = shopsync_import_text;
		if (stale) {
			field.df.formatter = shopsync_import_text;
			if (field.refresh) field.refresh();
		}
	}
}

frappe.ui.form.on("WooCommerce Import", {
	setup: shopsync_import_text_fields,
	onload: shopsync_import_text_fields,
	refresh(frm) {
		shopsync_import_text_fields(frm);
		if (frm.is_new()) return;
		const label = frm.doc.status === "Interrupted" ? __("Resume") : __("Start");
		if (["Draft", "Interrupted", "Done"].includes(frm.doc.status)) {
			frm.add_custom_button(frm.doc.status === "Done" ? __("Run again") : label, () =>
				frappe.call({ method: "shopsync.api.start_import", args: { name: frm.doc.name }, callback: () => frm.reload_doc() })
			).addClass("btn-primary");
		}
		// the job publishes to the Import's document room: everyone with this form open gets it
		if (frappe.realtime.doc_subscribe) frappe.realtime.doc_subscribe(frm.doctype, frm.doc.name);
		frappe.realtime.off("shopsync_import_progress");
		frappe.realtime.on("shopsync_import_progress", (data) => {
			if (data.name !== frm.doc.name) return;
			const text = __("{0} done: {1} created, {2} failed", [data.done, data.created, data.failed]);
			if (data.percent !== null && data.percent !== undefined) frm.dashboard.show_progress(__("Import"), data.percent, text);
			else frm.dashboard.set_headline(text);
			if (data.finished) frm.reload_doc();
		});
	},
});
