// A link's SKU and last error may quote the shop (its error bodies): shown as text, never HTML.
function shopsync_link_text(value) {
	// escaped once: a value without < or > has nothing to escape, or Frappe escaped it already (Data fields)
	const text = String(value == null ? "" : value).replace(/<br>/g, "\n");
	return (/[<>]/.test(text) ? frappe.utils.escape_html(text) : text).replace(/\n/g, "<br>");
}
function shopsync_link_text_fields(frm) {
	// Frappe 15's Small/Long Text formatters drop the field, so the formatter goes on every copy
	// of each field (the meta's, each document's, the form's own), and a field shown before is redrawn
	const fields = { "WooCommerce Link": ["sku", "last_error", "woo_modified_gmt", "erp_key", "link_key", "erp_fingerprint", "woo_fingerprint"] };
	for (const [doctype, names] of Object.entries(fields)) {
		const holders = [frappe.meta.docfield_map[doctype] || {}, ...Object.values((frappe.meta.docfield_copy || {})[doctype] || {})];
		for (const name of names) {
			const field = frm && frm.doctype === doctype && frm.fields_dict ? frm.fields_dict[name] : null;
			const stale = field && field.df && field.df.formatter !== shopsync_link_text;
			for (const holder of holders) if (holder[name]) holder[name].formatter = shopsync_link_text;
			if (stale) {
				field.df.formatter = shopsync_link_text;
				if (field.refresh) field.refresh();
			}
		}
	}
}

frappe.ui.form.on("WooCommerce Link", {
	setup: shopsync_link_text_fields,
	onload: shopsync_link_text_fields,
	refresh: shopsync_link_text_fields,
});
