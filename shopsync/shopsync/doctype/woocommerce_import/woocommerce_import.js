frappe.ui.form.on("WooCommerce Import", {
	refresh(frm) {
		if (frm.is_new()) return;
		const label = frm.doc.status === "Interrupted" ? __("Resume") : __("Start");
		if (["Draft", "Interrupted", "Done"].includes(frm.doc.status)) {
			frm.add_custom_button(frm.doc.status === "Done" ? __("Run again") : label, () =>
				frappe.call({ method: "shopsync.api.start_import", args: { name: frm.doc.name }, callback: () => frm.reload_doc() })
			).addClass("btn-primary");
		}
		frappe.realtime.off("shopsync_import_progress");
		frappe.realtime.on("shopsync_import_progress", (data) => {
			if (data.name !== frm.doc.name) return;
			const text = __("{0} done: {1} created, {2} failed", [data.done, data.created, data.failed]);
			if (data.percent !== null && data.percent !== undefined) frm.dashboard.show_progress(__("Import"), data.percent, text);
			else frm.dashboard.set_headline(text);
			if (data.finished) frm.reload_doc();
		});
	},
});
