// A link's SKU and last error may quote the shop (its error bodies): shown as text, never HTML.
function shopsync_link_text_fields(frm) {
	shopsync.show_as_text(frm, { "WooCommerce Link": ["sku", "last_error", "woo_modified_gmt", "erp_key", "link_key", "erp_fingerprint", "woo_fingerprint"] });
}

frappe.ui.form.on("WooCommerce Link", {
	setup: shopsync_link_text_fields,
	onload: shopsync_link_text_fields,
	refresh: shopsync_link_text_fields,
});
