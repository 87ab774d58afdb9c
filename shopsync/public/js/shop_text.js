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
// ``custom``: a formatter of the form's own that shows the text its way (and escapes it itself).
shopsync.show_as_text = function (frm, fields, lines = true, custom = null) {
	const formatter = custom || (lines ? shopsync.shop_text : (value) => shopsync.shop_text(value, false));
	for (const [doctype, names] of Object.entries(fields)) {
		const holders = [frappe.meta.docfield_map[doctype] || {}, ...Object.values((frappe.meta.docfield_copy || {})[doctype] || {})];
		for (const name of names) {
			const field = frm && frm.doctype === doctype && frm.fields_dict ? frm.fields_dict[name] : null;
			const stale = field && field.df && (custom ? field.df.formatter !== custom : !field.df.formatter_is_shop_text);
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

// What happened to a delivery, in the user's language: the log stores a code and its values
// (outcome_code, outcome_args; shopsync.sync.outcome_codes), the templates come with the boot
// (frappe.boot.shopsync_outcomes) and each is a row of the app's translations. The values are
// what the shop or ERPNext named: escaped. Without a code (an entry older than the codes, or one
// still waiting), the stored English text, as text.
shopsync.outcome_text = function (doc) {
	const templates = (frappe.boot && frappe.boot.shopsync_outcomes) || {};
	const template = doc && templates[doc.outcome_code];
	if (!template) return shopsync.shop_text((doc && (doc.error || doc.outcome)) || "", false);
	let args = [];
	try {
		args = JSON.parse(doc.outcome_args || "[]");
	} catch (e) {
		args = [doc.outcome_args];
	}
	if (!Array.isArray(args)) args = [args];
	const values = args.map((a) => frappe.utils.escape_html(a == null ? "" : String(a)));
	// a template that is only its value ("{0}": no rule knew the sentence) stays as written
	return template === "{0}" ? values[0] || "" : __(template, values);
};

// Failed entries whose order ERPNext would not let shopsync change: the user acts in ERPNext.
shopsync.needs_attention = (doc) => Boolean(doc && doc.status === "Failed" && /^needs_attention/.test(doc.outcome_code || ""));

// A stored error of the shop in words (translated) when it holds a known WooCommerce error code
// ("woocommerce_rest_product_invalid_id: Invalid ID." -> "The product no longer exists in the
// shop..."; frappe.boot.shopsync_shop_errors, shopsync.sync.shop_errors); else the text as text.
shopsync.shop_error_text = function (text, lines = false) {
	const meanings = (frappe.boot && frappe.boot.shopsync_shop_errors) || {};
	const found = /\b((?:woocommerce|rest|product)_[a-z_]+)\b/g;
	let match;
	while ((match = found.exec(String(text || "")))) {
		if (meanings[match[1]]) return frappe.utils.escape_html(__(meanings[match[1]]));
	}
	return shopsync.shop_text(text || "", lines);
};
