// The Item form says, above its tabs, how it stands on every WooCommerce site: "#Woo: 68, In sync".
frappe.ui.form.on("Item", {
	refresh(frm) {
		if (frm.is_new()) return;
		frappe.call({ method: "shopsync.api.item_links", args: { item_code: frm.doc.name } }).then((r) => {
			const links = r.message || [];
			if (!links.length) return;
			const colour = { "In sync": "green", "Out of sync": "orange", "Not linked": "red" };
			const worst = links.some((l) => l.state === "Not linked") ? "red" : links.some((l) => l.state === "Out of sync") ? "orange" : "green";
			const lines = links.map((l) => {
				const error = l.last_error ? ` (${frappe.utils.escape_html(l.last_error.slice(0, 120))})` : "";
				const esc = frappe.utils.escape_html;
				return `<span class="indicator-pill ${colour[l.state] || "gray"}">${esc(__(l.state || ""))}</span> WooCommerce ${esc(l.site)} ${esc(l.label)}${error}`;
			});
			frm.set_intro(lines.join("<br>"), worst === "green" ? "blue" : worst);
		});
	},
});
