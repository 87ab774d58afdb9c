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
		if (["Item", "Customer", "Address"].includes(frm.doc.link_type) && frappe.model.can_delete("WooCommerce Link")) {
			// an order's or a refund's link is never unlinked: it keeps the order one Sales Order
			frm.add_custom_button(__("Unlink"), () => {
				frappe.confirm(__("Unlink {0} from #{1} of site {2}? Both stay as they are.", [
					frappe.utils.escape_html(frm.doc.erp_name || ""), cint(frm.doc.woo_id), frappe.utils.escape_html(frm.doc.site)]), () => {
					frappe.call({ method: "shopsync.api.unlink", args: { name: frm.doc.name }, freeze: true }).then((r) => {
						frappe.msgprint(r.message);
						frappe.set_route("List", "WooCommerce Link");
					});
				});
			});
		}
	},
});
