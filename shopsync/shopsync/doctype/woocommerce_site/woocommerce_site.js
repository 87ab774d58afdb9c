// WooCommerce Site form: buttons call shopsync.api; the engine does the work.
// What the shop said (its errors in the connection status, its webhooks' topics and states) is
// text: these fields are shown escaped, whoever wrote them.
function shopsync_site_text_fields(frm) {
	shopsync.show_as_text(frm, { "WooCommerce Site Webhook": ["topic", "status"] });
	shopsync.show_as_text(frm, { "WooCommerce Site": ["connection_status"] }, true, shopsync_connection_line);
}

// The Connection status says what is true and when it was checked ("Connected · checked 5 minutes
// ago"), then the shop's words as text. Statuses written before the check time was kept start with
// their timestamp: it becomes the "checked" time.
function shopsync_connection_line(value, df, options, doc) {
	doc = doc || (typeof cur_frm !== "undefined" && cur_frm && cur_frm.doc) || {};
	let text = String(value == null ? "" : value);
	let when = doc.connection_checked_at;
	const stamp = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.\d+)?: /.exec(text);
	if (stamp) {
		text = text.slice(stamp[0].length);
		when = when || stamp[1];
	}
	if (!text) return "";
	const pill = doc.connection_checked_at
		? `<span class="indicator-pill ${doc.connection_ok ? "green" : "red"}">${doc.connection_ok ? __("Connected") : __("Not connected")}</span> `
		: "";
	const checked = when ? `<span class="text-muted">${__("checked {0}", [frappe.datetime.comment_when(when)])}</span>` : "";
	// shopsync's own lines are translated; the shop's words stay as they came, as text
	return `<div>${pill}${checked}</div><div>${shopsync.shop_text(__(text))}</div>`;
}

// The preview's counts, by what each means (never the engine's keys)
function shopsync_preview_labels() {
	return {
		in_sync: __("In sync"),
		link: __("To link (same SKU on both sides)"),
		create_in_erp: __("Items to create in ERPNext"),
		create_in_shop: __("Products to create in the shop"),
		update_erp: __("Items to update in ERPNext"),
		update_shop: __("Products to update in the shop"),
		conflicts: __("Changed on both sides (you choose)"),
		unlink: __("Links to remove (gone on one side)"),
		draft_in_shop: __("Products to set to draft in the shop"),
		shop_only: __("Only in the shop (not taken)"),
		erp_only: __("Only in ERPNext (not sent)"),
		blacklisted: __("Blacklisted"),
		errors: __("Errors"),
		stock_held: __("Keep the shop's quantity until the stock is set up"),
	};
}

frappe.ui.form.on("WooCommerce Site", {
	setup: shopsync_site_text_fields,
	onload: shopsync_site_text_fields,
	refresh(frm) {
		shopsync_site_text_fields(frm);
		if (frm.is_new()) return;
		if (!frm.doc.enabled) frm.dashboard.set_headline(__("Disabled: its webhooks are paused and nothing is synced."));
		frm.add_custom_button(__("Check webhooks"), () => call(frm, "check_webhooks", __("Checking the shop's webhooks")), __("Webhooks"));
		frm.add_custom_button(__("Catch up orders"), () => shopsync_scope(frm, (scope) =>
			frappe.confirm(scope.orders_since
				? __("Import the orders modified in the shop since {0} that are missing here?", [frappe.datetime.str_to_user(scope.orders_since)])
				: __("Import the orders modified in the shop since the site was first saved that are missing here?"),
				() => call(frm, "catch_up_orders", __("Catching up orders")))), __("Sync"));
		frm.add_custom_button(__("Preview product sync"), () =>
			frappe.call({ method: "shopsync.api.preview_product_sync", args: { site: frm.doc.name }, freeze: true,
				callback(r) {
					const c = r.message.counts;
					const labels = shopsync_preview_labels();
					const rows = Object.keys(labels).filter((k) => c[k]).map((k) =>
						`<tr><td>${frappe.utils.escape_html(labels[k])}</td><td class="text-right">${format_number(c[k], null, 0)}</td></tr>`);
					const table = rows.length ? `<table class="table table-condensed">${rows.join("")}</table>` : __("Nothing to do.");
					frappe.confirm(table + __("Run it now?"), () => call(frm, "run_product_sync", __("Queuing")));
				} }), __("Sync"));
		frm.add_custom_button(__("Associate by SKU"), () => call(frm, "associate_by_sku", __("Associating")), __("Sync"));
		frm.add_custom_button(__("Sync state"), () => frappe.set_route("query-report", "WooCommerce Sync State", { site: frm.doc.name }), __("Sync"));
		frm.add_custom_button(__("Push all stock"), () => shopsync_scope(frm, (scope) =>
			frappe.confirm(__("Push the quantity of all {0} linked items to the shop?", [format_number(scope.item_links, null, 0)]),
				() => call(frm, "push_all_stock", __("Pushing all stock")))), __("Sync"));
		shopsync_first_day(frm);
		// destructive, so away from the webhook check: in the form's menu, in red, said with its counts
		const $delete = frm.page.add_menu_item(__("Delete with webhooks"), () => shopsync_scope(frm, (scope) =>
			frappe.confirm(scope.links
				? __("This site has {0} linked documents: it cannot be deleted. Disable it instead.", [format_number(scope.links, null, 0)])
				: __("Delete this site and its {0} webhooks in the shop? This cannot be undone.", [scope.webhooks]), () => {
				if (scope.links) return;
				frappe.call({ method: "shopsync.api.delete_site", args: { site: frm.doc.name }, freeze: true,
					callback: () => frappe.set_route("List", "WooCommerce Site") });
			})), true);
		if ($delete && $delete.addClass) $delete.addClass("text-danger").css("color", "var(--red-600)");
		frm.add_custom_button(__("Webhook log"), () => frappe.set_route("List", "WooCommerce Webhook Log", { site: frm.doc.name }));
		frm.add_custom_button(__("Links"), () => frappe.set_route("List", "WooCommerce Link", { site: frm.doc.name }));
	},
	test_connection(frm) {
		// the form as it is, saved or not: a typed secret is sent, a stored one stays on the server
		frappe.call({
			method: "shopsync.api.test_connection",
			args: { site: frm.is_new() ? null : frm.doc.name, url: frm.doc.woocommerce_url, key: frm.doc.consumer_key, secret: frm.doc.consumer_secret },
			freeze: true,
			freeze_message: __("Calling the shop"),
			callback(r) {
				// m.message is HTML-escaped on the server (it quotes the shop's own words)
				const m = r.message || {};
				frappe.msgprint({ message: m.message, indicator: m.ok ? "green" : "red", title: __("Connection") });
				// only a test of the stored values updates the saved status; typed values stay in the form
				if (!frm.is_new() && m.stored && !frm.is_dirty()) frm.reload_doc();
			},
		});
	},
	rotate_secret(frm) {
		frappe.confirm(__("Make a new webhook secret and write it to the shop's webhooks?"), () =>
			call(frm, "rotate_secret", __("Rotating the secret"))
		);
	},
});

// Stock, the first day: until the site's stock is set up, items with no stock in ERPNext keep the
// shop's quantity. Two ways out, each previewed with its counts before it is queued.
function shopsync_first_day(frm) {
	if (frm.doc.enabled && !frm.doc.stock_set_up) {
		frm.dashboard.set_headline(__("Stock not set up yet: items with no stock in ERPNext keep the shop's quantity (see the Stock menu)."));
	}
	frm.add_custom_button(__("Import the shop's stock as opening stock"), () =>
		frappe.call({ method: "shopsync.api.preview_opening_stock", args: { site: frm.doc.name }, freeze: true,
			freeze_message: __("Reading the shop's quantities"),
			callback(r) {
				const c = r.message.counts;
				const text = [
					__("A draft Stock Reconciliation (Opening Stock, {0}) with {1} line(s), for you to check and submit.",
						[frappe.utils.escape_html(r.message.warehouse), c.lines]),
					__("Left out: {0} without a valuation rate or price, {1} at 0 in the shop, {2} already stocked in ERPNext.",
						[c.no_rate, c.empty, c.already_stocked]),
				];
				frappe.confirm(text.join("<br>") + "<br><br>" + __("Create the draft?"), () => call(frm, "import_opening_stock", __("Queuing")));
			} }), __("Stock"));
	frm.add_custom_button(__("Push ERPNext's quantities"), () =>
		frappe.call({ method: "shopsync.api.preview_erp_quantities", args: { site: frm.doc.name }, freeze: true,
			freeze_message: __("Reading the shop's quantities"),
			callback(r) {
				const c = r.message.counts;
				const text = __("{0} product(s) get ERPNext's quantity, {1} of them change, and {2} go to 0 in the shop. From now on ERPNext's quantities are the truth for every product.",
					[c.products, c.changing, c.to_zero]);
				frappe.confirm(text + "<br><br>" + __("Push them?"), () => call(frm, "push_erp_quantities", __("Queuing")));
			} }), __("Stock"));
	frm.add_custom_button(__("Stock comparison"), () =>
		frappe.set_route("query-report", "WooCommerce Stock Comparison", { site: frm.doc.name }), __("Stock"));
}

// How many documents a whole-site action touches, asked before it runs (shopsync.desk.site_scope)
function shopsync_scope(frm, then) {
	frappe.call({ method: "shopsync.desk.site_scope", args: { site: frm.doc.name }, callback: (r) => then(r.message || {}) });
}

function call(frm, method, freeze_message) {
	return frappe.call({
		method: "shopsync.api." + method,
		args: { site: frm.doc.name },
		freeze: true,
		freeze_message,
		callback(r) {
			const m = r.message || {};
			// actions and summaries quote the shop (topics, errors): shown as text
			if (m.message) frappe.msgprint({ message: shopsync.shop_text(m.message), indicator: m.ok ? "green" : "red", title: __("Connection") });
			else if (m.actions && m.actions.length) frappe.msgprint(m.actions.map((a) => shopsync.shop_text(a)).join("<br>"));
			else if (m.summary) frappe.msgprint(shopsync.shop_text(m.summary));
			else frappe.show_alert({ message: __("Done"), indicator: "green" });
			frm.reload_doc();
		},
	});
}
