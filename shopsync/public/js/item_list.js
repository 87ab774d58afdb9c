// The Item list shows, beside each item's name, how it stands in the shops: "Woo: in sync" in the
// colour of its sync state (green in sync, orange out of sync, red not linked) for one site; each
// shop named when the item is linked on several ("shop1 ✓ · shop2 ⚠"); a grey "Not linked" for an
// item that would go to a shop and is linked on none.
(() => {
	const settings = (frappe.listview_settings["Item"] = frappe.listview_settings["Item"] || {});
	const previous = settings.refresh;
	const colour = { "In sync": "green", "Out of sync": "orange", "Not linked": "red" };
	settings.refresh = function (listview) {
		if (previous) previous.call(this, listview);
		const names = (listview.data || []).map((d) => d.name);
		if (!names.length) return;
		frappe.xcall("shopsync.desk.item_pills", { item_codes: names }).then((answer) => {
			const states = Object.assign({}, (answer && answer.links) || {});
			for (const code of (answer && answer.eligible) || []) states[code] = [];
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
				$subject.append(shopsync_item_pill(links));
			}
		});
	};
})();

// One pill per item: its state on its one site, or each site named with a mark, in the colour of
// the worst state; a grey "Not linked" when it is linked nowhere.
function shopsync_item_pill(links) {
	const esc = frappe.utils.escape_html;
	const colour = { "In sync": "green", "Out of sync": "orange", "Not linked": "red" };
	const style = 'style="margin-left: 6px"';
	if (!links.length) {
		return `<span class="indicator-pill gray shopsync-woo" title="${esc(__("Linked to no WooCommerce product"))}" ${style}>${esc(__("Not linked"))}</span>`;
	}
	const worst = ["Not linked", "Out of sync", "In sync"].find((s) => links.some((l) => l.state === s)) || "In sync";
	const title = links.map((l) => `${l.site}: ${__(l.state || "")} (${l.label})`).join("\n");
	let text;
	if (links.length === 1) {
		const said = { "In sync": __("Woo: in sync"), "Out of sync": __("Woo: out of sync"), "Not linked": __("Woo: not linked") };
		text = esc(said[links[0].state] || links[0].state || "");
	} else {
		const mark = { "In sync": "✓", "Out of sync": "⚠", "Not linked": "✗" };
		text = links.map((l) => `${esc(l.site)} ${mark[l.state] || "?"}`).join(" · ");
	}
	return `<span class="indicator-pill ${colour[worst] || "gray"} shopsync-woo" title="${esc(title)}" ${style}>${text}</span>`;
}
