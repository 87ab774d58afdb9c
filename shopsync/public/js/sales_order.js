// The Sales Order form of an order from a WooCommerce shop says so, and when the order changed in
// the shop after the Sales Order was submitted (the link Out of sync), offers WooCommerce > Amend
// from the shop: cancel and amend with the order as the shop has it now. The server refuses, with
// the reason, while the Sales Order is delivered, invoiced or paid.
frappe.ui.form.on("Sales Order", {
	refresh(frm) {
		if (frm.is_new() || frm.doc.docstatus !== 1) return;
		frappe.call({ method: "shopsync.api.order_link", args: { sales_order: frm.doc.name } }).then((r) => {
			const link = r.message;
			// only an order edited in the shop (not one cancelled there that ERPNext would not cancel)
			if (!link || link.state !== "Out of sync" || !/changed in the shop/i.test(link.last_error || "")) return;
			const esc = frappe.utils.escape_html;
			// last_error says what changed ("Changed in the shop after the Sales Order was submitted: ...")
			const why = link.last_error ? esc(link.last_error.slice(0, 400)) : esc(__("Changed in the shop"));
			frm.set_intro(`WooCommerce (${esc(link.site)}, #${esc(String(link.woo_id))}): ${why}`, "orange");
			frm.add_custom_button(__("Amend from the shop"), () => shopsync_amend_from_shop(frm), __("WooCommerce"));
		});
	},
});

function shopsync_amend_from_shop(frm) {
	frappe.confirm(__("Cancel this Sales Order and amend it with the order as the shop has it now?"), () =>
		frappe.call({ method: "shopsync.api.amend_from_shop", args: { sales_order: frm.doc.name }, freeze: true,
			freeze_message: __("Amend from the shop") })
	);
}
