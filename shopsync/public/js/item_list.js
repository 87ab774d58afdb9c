// The Item list shows, beside each item's name, its WooCommerce link on every site: "#Woo: 68"
// in the colour of its sync state (green in sync, orange out of sync, red not linked).
(() => {
	const settings = (frappe.listview_settings["Item"] = frappe.listview_settings["Item"] || {});
	const previous = settings.refresh;
	const colour = { "In sync": "green", "Out of sync": "orange", "Not linked": "red" };
	settings.refresh = function (listview) {
		if (previous) previous.call(this, listview);
		const names = (listview.data || []).map((d) => d.name);
		if (!names.length) return;
		frappe.xcall("shopsync.api.item_list_states", { item_codes: names }).then((states) => {
			// Each row's checkbox carries its item code in data-name: Frappe 15.72 sets it as is
			// (checkbox.dataset.name = doc.name), earlier 15.x releases wrote escape(doc.name).
			// Compare values instead of building a selector from a code (accents, "/", "@", "+",
			// quotes and brackets all stay intact).
			const checkbox_of = {};
			listview.$result.find(".list-row-checkbox").each((i, el) => {
				checkbox_of[el.getAttribute("data-name")] = el;
			});
			for (const [name, links] of Object.entries(states || {})) {
				const checkbox = checkbox_of[name] || checkbox_of[escape(name)];
				if (!checkbox) continue;
				const $subject = $(checkbox).closest(".list-row").find(".list-subject").first();
				$subject.find(".shopsync-woo").remove();
				const esc = frappe.utils.escape_html;
				const pills = links.map((l) =>
					`<span class="indicator-pill ${colour[l.state] || "gray"} shopsync-woo" title="${esc(l.site)}: ${esc(__(l.state || ""))}" style="margin-left: 6px">${esc(l.label)}</span>`
				);
				$subject.append(pills.join(""));
			}
		});
	};
})();
