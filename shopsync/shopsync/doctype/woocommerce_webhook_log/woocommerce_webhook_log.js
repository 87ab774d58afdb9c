frappe.ui.form.on("WooCommerce Webhook Log", {
	refresh(frm) {
		if (["Failed", "Skipped", "Queued"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Retry"), () =>
				frappe.call({ method: "shopsync.api.retry_deliveries", args: { names: [frm.doc.name] }, callback: () => frm.reload_doc() })
			);
		}
	},
});
