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
			for (const [name, links] of Object.entries(states || {})) {
				const $row = listview.$result
					.find(`.list-row-checkbox[data-name="${encodeURIComponent(name)}"]`)
					.closest(".list-row");
				const $subject = $row.find(".list-subject").first();
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
