// A link's SKU and last error may quote the shop (its error bodies): shown as text, never HTML.
function shopsync_link_text_fields(frm) {
	shopsync.show_as_text(frm, { "WooCommerce Link": ["sku", "last_error", "woo_modified_gmt", "erp_key", "link_key", "erp_fingerprint", "woo_fingerprint"] });
}

frappe.ui.form.on("WooCommerce Link", {
	setup: shopsync_link_text_fields,
	onload(frm) {
		shopsync_link_text_fields(frm);
		frm.set_read_only(); // a record of what was synced: Resync is the action, never Save
	},
	refresh(frm) {
		shopsync_link_text_fields(frm);
		frm.disable_save();
		if (frm.doc.link_type === "Item" && frm.doc.erp_name) {
			// the action that resolves a link's state, where the user is: the Item's Resync
			frm.add_custom_button(__("Open the item to resync it"), () => frappe.set_route("Form", "Item", frm.doc.erp_name));
		}
	},
});
