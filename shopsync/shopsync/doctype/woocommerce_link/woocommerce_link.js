// A link's SKU and last error may quote the shop (its error bodies): shown as text, never HTML.
function shopsync_link_text(value) {
	return frappe.utils.escape_html(String(value == null ? "" : value).replace(/<br>/g, "\n")).replace(/\n/g, "<br>");
}
function shopsync_link_text_fields() {
	const map = frappe.meta.docfield_map["WooCommerce Link"] || {};
	for (const name of ["sku", "last_error", "woo_modified_gmt", "erp_key", "link_key", "erp_fingerprint", "woo_fingerprint"]) {
		if (map[name]) map[name].formatter = shopsync_link_text;
	}
}

frappe.ui.form.on("WooCommerce Link", {
	setup: shopsync_link_text_fields,
	onload: shopsync_link_text_fields,
	refresh: shopsync_link_text_fields,
});
