// The Item list shows, beside each item's name, how it stands in the shops: "Woo: in sync" in the
// colour of its sync state (green in sync, orange out of sync, red not linked) for one site; each
// shop named when the item is linked on several ("shop1 ✓ · shop2 ⚠"); a grey "Not linked" for an
// item that would go to a shop and is linked on none.
(() => {
	const settings = (frappe.listview_settings["Item"] = frappe.listview_settings["Item"] || {});
	const previous_onload = settings.onload;
	const previous = settings.refresh;
	const known = Object.create(null); // item code -> its links (empty: eligible, linked nowhere), as the server last said

	// Each row's checkbox carries its item code in data-name: Frappe 15.72 sets it as is
	// (checkbox.dataset.name = doc.name), earlier 15.x releases wrote escape(doc.name). Codes are
	// compared as values, never put in a selector (accents, "/", "@", "+", quotes and brackets).
	function code_of(checkbox) {
		const value = checkbox.getAttribute("data-name");
		return value in known ? value : unescape(value);
	}

	function paint(listview) {
		listview.$result.find(".list-row-checkbox").each((i, checkbox) => {
			const links = known[code_of(checkbox)];
			if (!links) return;
			const $subject = $(checkbox).closest(".list-row").find(".list-subject").first();
			$subject.find(".shopsync-woo").remove();
			$subject.append(shopsync_item_pill(links));
		});
	}

	settings.onload = function (listview) {
		if (previous_onload) previous_onload.call(this, listview);
		// A realtime update (a user or a job saved an Item on screen) redraws the rows without
		// calling refresh, which dropped their pills: paint them again from what is known.
		const render_list = listview.render_list;
		listview.render_list = function () {
			const out = render_list.apply(this, arguments);
			paint(listview);
			return out;
		};
	};

	settings.refresh = function (listview) {
		if (previous) previous.call(this, listview);
		const names = (listview.data || []).map((d) => d.name);
		if (!names.length) return;
		frappe.xcall("shopsync.desk.item_pills", { item_codes: names }).then((answer) => {
			const links = (answer && answer.links) || {};
			const eligible = new Set((answer && answer.eligible) || []);
			for (const name of names) {
				if (links[name]) known[name] = links[name];
				else if (eligible.has(name)) known[name] = [];
				else delete known[name];
			}
			paint(listview);
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
