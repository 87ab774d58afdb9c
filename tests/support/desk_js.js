// Runs shopsync's desk scripts in node with a small stand-in of the Frappe desk API, feeds them
// the shop's words, and prints as JSON the HTML each one hands to the desk (msgprint, intros,
// pills, report cells, field formatters). tests/test_desk_js.py reads it.
//
// usage: node desk_js.js <repo> <payload>
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const [repo, payload] = process.argv.slice(2);
const out = {};

// frappe.utils.escape_html exactly as Frappe 15 has it (frappe/public/js/frappe/utils/utils.js)
function escape_html(txt) {
	if (!txt) return "";
	const map = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#x60;", "=": "&#x3D;" };
	return String(txt).replace(/[&<>"'`=]/g, (c) => map[c] || c);
}
// Frappe 15's Data formatter: the value as is (no escaping), through a field's custom formatter
function data_formatter(value, df) {
	value = value == null ? "" : value;
	const std = df && frappe.meta.docfield_map[df.parent] && frappe.meta.docfield_map[df.parent][df.fieldname];
	if (std && typeof std.formatter === "function") value = std.formatter(value, df);
	return value;
}

const handlers = {};
const msgprints = [];
let next_call = null; // what the next frappe.call / xcall answers
global.frappe = {
	utils: { escape_html },
	meta: { docfield_map: {}, docfield_copy: {} },
	ui: { form: { on: (doctype, h) => { handlers[doctype] = Object.assign(handlers[doctype] || {}, h); } } },
	listview_settings: {},
	query_reports: {},
	msgprint: (m) => msgprints.push(typeof m === "string" ? m : m.message),
	show_alert: () => {},
	confirm: (text, yes) => yes && yes(),
	set_route: () => {},
	realtime: { on: () => {}, off: () => {} },
	call: (opts) => {
		const r = { message: next_call };
		if (opts && opts.callback) opts.callback(r);
		return Promise.resolve(r);
	},
	xcall: () => Promise.resolve(next_call),
};
global.format_number = (value) => String(value);
global.__ = (text, args) => (args ? String(text).replace(/\{(\d+)\}/g, (_, i) => args[i]) : text);

function load(rel) {
	const file = path.join(repo, rel);
	if (fs.existsSync(file)) vm.runInThisContext(fs.readFileSync(file, "utf8"), { filename: rel });
}
function run(doctype, event, frm) {
	const h = handlers[doctype] || {};
	if (typeof h[event] === "function") h[event](frm);
}
// The meta's fields and, as Frappe makes them when a form opens (before any form script runs),
// the document's own copies. types: {fieldname: fieldtype}, Data by default.
function fields(doctype, names, types = {}) {
	frappe.meta.docfield_map[doctype] = {};
	frappe.meta.docfield_copy[doctype] = { "doc-1": {} };
	for (const n of names) {
		const df = { fieldname: n, parent: doctype, fieldtype: types[n] || "Data" };
		frappe.meta.docfield_map[doctype][n] = df;
		frappe.meta.docfield_copy[doctype]["doc-1"][n] = Object.assign({}, df);
	}
}
// frappe.format as Frappe 15 does it: df.formatter, else the fieldtype's formatter; its Small Text
// and Long Text formatters call Text(value) without the field, so no custom formatter applies there
function frappe_format(value, df) {
	if (df.formatter) return df.formatter(value, df, {}, {});
	if (df.fieldtype === "Data") return data_formatter(value, df);
	return data_formatter(String(value).replace(/\n/g, "<br>"), undefined);
}
// what the desk shows: in a grid or list (the meta's field), and in the form (the document's
// copy; a read-only Data control escapes the value itself before formatting it)
function formatted(doctype, names) {
	const res = {};
	for (const n of names) {
		res[n] = data_formatter(payload, frappe.meta.docfield_map[doctype][n]);
		const copy = frappe.meta.docfield_copy[doctype]["doc-1"][n];
		res[n + " (form)"] = frappe_format(copy.fieldtype === "Data" ? escape_html(payload) : payload, copy);
	}
	return res;
}
function fields_of(doctype) {
	const out = {};
	for (const [n, df] of Object.entries((frappe.meta.docfield_copy[doctype] || {})["doc-1"] || {})) out[n] = { df, refresh: () => {} };
	return out;
}
function form(buttons, doctype = "x") {
	return {
		doc: { name: "boutique", enabled: 1, status: "Failed" }, doctype, fields_dict: fields_of(doctype),
		is_new: () => false, is_dirty: () => false, reload_doc: () => {},
		add_custom_button: (label, fn) => { buttons[label] = fn; return { addClass: () => {} }; },
		set_read_only: () => {}, disable_save: () => {},
		page: { add_menu_item: (label, fn) => { buttons[label] = fn; return { addClass: () => ({ css: () => {} }) }; } },
		dashboard: { set_headline: () => {}, show_progress: () => {} },
		set_intro: (html) => { out.item_intro = html; },
	};
}

// The Item list's rows as Frappe 15 renders them: each row's checkbox holds the item code in its
// data-name attribute (written by `attr(code)`); `$result.find` answers the class selector and
// the attribute selectors jQuery would match exactly (value compared as written), so a script
// that encodes a code differently from Frappe finds no row. Then a realtime update redraws the
// rows as Frappe's render_list does (their pills gone, refresh not called). Returns the pills each
// row shows after the refresh and after the redraw.
async function item_list_rows(codes, attr) {
	const pills = {};
	const rows = codes.map((code) => {
		pills[code] = [];
		const subject = { first: () => subject, find: (sel) => ({ remove: () => { if (sel === ".shopsync-woo") pills[code] = []; } }),
			append: (html) => { if (html) pills[code].push(html); } };
		const row = { find: (sel) => (sel === ".list-subject" ? subject : null) };
		const checkbox = { value: attr(code), getAttribute: (n) => (n === "data-name" ? attr(code) : null), row };
		return checkbox;
	});
	const nowhere = { find: () => ({ first: () => ({ find: () => ({ remove: () => {} }), append: () => {} }) }) }; // jQuery's empty set
	const collection = (els) => ({
		length: els.length,
		each: (fn) => { els.forEach((el, i) => fn.call(el, i, el)); return collection(els); },
		closest: (sel) => (sel === ".list-row" && els.length ? els[0].row : nowhere),
	});
	const find = (selector) => {
		if (selector === ".list-row-checkbox") return collection(rows);
		const m = /^\.list-row-checkbox\[data-name=(["'])(.*)\1\]$/.exec(selector);
		if (!m) throw new Error(`the stand-in list does not answer ${selector}`);
		const wanted = m[2].replace(/\\(.)/g, "$1");
		return collection(rows.filter((el) => el.value === wanted));
	};
	global.$ = (el) => collection([el]);
	const listview = { data: codes.map((name) => ({ name })), $result: { find },
		render_list: () => { for (const code of codes) pills[code] = []; } };
	const settings = frappe.listview_settings["Item"];
	if (settings.onload) settings.onload(listview);
	settings.refresh(listview);
	await new Promise((r) => setTimeout(r, 10));
	const after_refresh = JSON.parse(JSON.stringify(pills));
	listview.render_list();
	return { after_refresh, after_redraw: pills };
}

(async () => {
	// the site form: connection status and webhooks table; the messages of its buttons
	fields("WooCommerce Site", ["connection_status"], { connection_status: "Small Text" });
	fields("WooCommerce Site Webhook", ["topic", "status"]);
	load("shopsync/public/js/shop_text.js"); // app_include_js: in the desk before any form script
	load("shopsync/shopsync/doctype/woocommerce_site/woocommerce_site.js");
	const buttons = {};
	const frm = form(buttons, "WooCommerce Site");
	run("WooCommerce Site", "setup", frm);
	run("WooCommerce Site", "onload", frm);
	run("WooCommerce Site", "refresh", frm);
	out.site_fields = Object.assign(formatted("WooCommerce Site", ["connection_status"]),
		formatted("WooCommerce Site Webhook", ["topic", "status"]));
	next_call = { actions: [`created order.created (#12): ${payload}`] };
	buttons[__("Check webhooks")]();
	next_call = { summary: payload };
	buttons[__("Push all stock")]();
	out.site_messages = msgprints.splice(0);

	// webhook log form and list, link list and form, import form
	fields("WooCommerce Webhook Log", ["topic", "error", "outcome", "payload"],
		{ error: "Long Text", outcome: "Small Text", payload: "Long Text" });
	load("shopsync/shopsync/doctype/woocommerce_webhook_log/woocommerce_webhook_log.js");
	run("WooCommerce Webhook Log", "onload", form({}, "WooCommerce Webhook Log"));
	out.log_fields = formatted("WooCommerce Webhook Log", ["topic", "error", "outcome", "payload"]);
	fields("WooCommerce Webhook Log", ["topic"]);
	load("shopsync/shopsync/doctype/woocommerce_webhook_log/woocommerce_webhook_log_list.js");
	frappe.listview_settings["WooCommerce Webhook Log"].onload({ page: { add_action_item: () => {} }, before_refresh: () => Promise.resolve() });
	out.log_list_fields = formatted("WooCommerce Webhook Log", ["topic"]);
	fields("WooCommerce Link", ["sku", "last_error"], { last_error: "Small Text" });
	load("shopsync/shopsync/doctype/woocommerce_link/woocommerce_link.js");
	run("WooCommerce Link", "onload", form({}, "WooCommerce Link"));
	out.link_fields = formatted("WooCommerce Link", ["sku", "last_error"]);
	fields("WooCommerce Import", ["summary"], { summary: "Long Text" });
	load("shopsync/shopsync/doctype/woocommerce_import/woocommerce_import.js");
	run("WooCommerce Import", "onload", form({}, "WooCommerce Import"));
	out.import_fields = formatted("WooCommerce Import", ["summary"]);

	// the reports: every text cell of a row full of the shop's words
	const row = { item_code: "ITEM-1", item_name: payload, woo: payload, state: "Out of sync", changed: payload,
		kind: payload, last_error: payload, link: "L-1" };
	out.reports = {};
	for (const [name, rel] of [["WooCommerce Sync State", "shopsync/shopsync/report/woocommerce_sync_state/woocommerce_sync_state.js"],
		["WooCommerce Stock Comparison", "shopsync/shopsync/report/woocommerce_stock_comparison/woocommerce_stock_comparison.js"]]) {
		load(rel);
		const fmt = frappe.query_reports[name].formatter || ((v, r, c, d, def) => def(v, r, c, d));
		out.reports[name] = Object.keys(row).map((k) => fmt(row[k], 0, { fieldname: k, fieldtype: "Data" }, row, (v) => data_formatter(v)));
		let inner = {};
		const report = { page: { add_inner_button: (label, fn) => { inner[label] = fn; } }, get_filter_value: () => "boutique",
			get_checked_items: () => [{ link: "L-1" }], refresh: () => {} };
		frappe.query_reports[name].onload(report);
		next_call = { message: payload };
		for (const fn of Object.values(inner)) fn();
		out.reports[name + " messages"] = msgprints.splice(0);
	}

	// the Item form's intro and the Item list's pills
	load("shopsync/public/js/item.js");
	next_call = [{ site: payload, woo_id: 68, state: "Out of sync", last_error: payload, label: payload }];
	run("Item", "refresh", form({}));
	await new Promise((r) => setTimeout(r, 10));
	frappe.listview_settings["Item"] = {};
	load("shopsync/public/js/item_list.js");
	// item codes as users type them: accents, "/", "@", "+", a space, quotes and brackets
	const codes = ["ITEM-1", "Crème brûlée 250g", "VIS/M6-20", "cadeau@noël", "A+B", `Tuyau 1/2" l'[pro]`];
	out.item_codes = codes;
	next_call = { links: Object.fromEntries(codes.map((code) => [code, [{ site: payload, state: "In sync", label: payload }]])), eligible: [] };
	const rows = await item_list_rows(codes, (code) => code); // Frappe 15.72: checkbox.dataset.name = doc.name
	out.item_pills = [].concat(...Object.values(rows.after_refresh));
	out.item_pills_by_code = rows.after_refresh;
	out.item_pills_by_code_after_redraw = rows.after_redraw;
	out.item_pills_by_code_escape = (await item_list_rows(codes, (code) => escape(code))).after_refresh; // earlier 15.x: data-name="${escape(doc.name)}"

	process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
