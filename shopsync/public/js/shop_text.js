// Whatever a shop sent (product names, error bodies, topics) is shown as text, never as HTML: the
// one helper every shopsync form and list uses (loaded in the desk through hooks.app_include_js).
var shopsync = (globalThis.shopsync = globalThis.shopsync || {});

// Escaped once: a value without < or > has nothing to escape, or Frappe escaped it already (Data
// fields). With ``lines``, line breaks stay line breaks.
shopsync.shop_text = function (value, lines = true) {
	const text = String(value == null ? "" : value).replace(/<br>/g, "\n");
	const safe = /[<>]/.test(text) ? frappe.utils.escape_html(text) : text;
	return lines ? safe.replace(/\n/g, "<br>") : safe.replace(/\n/g, " ");
};

// ``fields``: {doctype: [fieldname, ...]}. Frappe 15's Small/Long Text formatters drop the field,
// so the formatter goes on every copy of each field (the meta's, each document's, the form's own),
// and a field shown before is redrawn. ``frm`` may be null (a list view: the meta's copies only).
shopsync.show_as_text = function (frm, fields, lines = true) {
	const formatter = lines ? shopsync.shop_text : (value) => shopsync.shop_text(value, false);
	for (const [doctype, names] of Object.entries(fields)) {
		const holders = [frappe.meta.docfield_map[doctype] || {}, ...Object.values((frappe.meta.docfield_copy || {})[doctype] || {})];
		for (const name of names) {
			const field = frm && frm.doctype === doctype && frm.fields_dict ? frm.fields_dict[name] : null;
			const stale = field && field.df && !field.df.formatter_is_shop_text;
			for (const holder of holders) {
				if (holder[name]) Object.assign(holder[name], { formatter, formatter_is_shop_text: true });
			}
			if (stale) {
				Object.assign(field.df, { formatter, formatter_is_shop_text: true });
				if (field.refresh) field.refresh();
			}
		}
	}
};
