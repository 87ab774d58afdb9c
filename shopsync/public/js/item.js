// The Item form says, above its tabs, how it stands on every WooCommerce site ("In sync", "Out of
// sync" with why, in words), and offers the action that resolves it where the user is:
// WooCommerce > Resync, on every site the item is linked on.
frappe.ui.form.on("Item", {
	refresh(frm) {
		if (frm.is_new()) return;
		frappe.call({ method: "shopsync.api.item_links", args: { item_code: frm.doc.name } }).then((r) => {
			const links = r.message || [];
			if (!links.length) return;
			const esc = frappe.utils.escape_html;
			const colour = { "In sync": "green", "Out of sync": "orange", "Not linked": "red" };
			const worst = links.some((l) => l.state === "Not linked") ? "red" : links.some((l) => l.state === "Out of sync") ? "orange" : "green";
			const lines = links.map((l) => {
				const error = l.last_error ? `: ${shopsync.shop_error_text(l.last_error.slice(0, 300))}` : "";
				return `<span class="indicator-pill ${colour[l.state] || "gray"}">${esc(__(l.state || ""))}</span> ${esc(l.site)} (${esc(l.label)})${error}`;
			});
			if (worst !== "green") lines.push(__("To make both sides agree, use WooCommerce > Resync above."));
			frm.set_intro(lines.join("<br>"), worst === "green" ? "blue" : worst);
			frm.add_custom_button(__("Resync: keep the shop's version"), () => shopsync_item_resync(frm, "shop"), __("WooCommerce"));
			frm.add_custom_button(__("Resync: keep ERPNext's version"), () => shopsync_item_resync(frm, "erp"), __("WooCommerce"));
		});
	},
});

function shopsync_item_resync(frm, winner) {
	// two whole sentences: a translation cannot build "the {0}'s version" from a word
	const question = winner === "shop"
		? __("Overwrite this item in ERPNext with the shop's version, on every site it is linked on?")
		: __("Overwrite this item's product in the shop with ERPNext's version, on every site it is linked on?");
	frappe.confirm(question, () =>
		frappe.call({ method: "shopsync.desk.resync_item", args: { item_code: frm.doc.name, winner }, freeze: true,
			freeze_message: __("Resyncing"),
			callback(r) {
				// the lines are escaped on the server (they quote the shop)
				frappe.msgprint({ message: (r.message || []).join("<br>"), title: __("Resync"), indicator: "blue" });
				frm.reload_doc();
			} })
	);
}
