// The Item form shows its link on every WooCommerce site: "#Woo: 68" and the sync state.
frappe.ui.form.on("Item", {
	refresh(frm) {
		if (frm.is_new()) return;
		frappe.call({ method: "shopsync.api.item_links", args: { item_code: frm.doc.name } }).then((r) => {
			for (const link of r.message || []) {
				const colour = { "In sync": "green", "Out of sync": "orange", "Not linked": "red" }[link.state];
				frm.dashboard.add_indicator(`${link.site} ${link.label}: ${__(link.state)}`, colour);
			}
		});
	},
});
