// Opens the desk screens that show a shop's words in headless Chromium, logged in, and reports
// whether anything the shop sent ran: window.alert/confirm/prompt are hooked before any page
// script, and every element carrying an onerror attribute is counted. Screenshots of each screen
// go to <shots>. Used by test_desk_xss.py.
//
// usage: node desk_xss_browser.js <base url> <user> <password> <plan json> <payload> <shots dir>
// plan: [{name, path, click?: css selector, expect?: css selector whose text must show the payload}]
"use strict";
const path = require("path");
const fs = require("fs");
const { chromium } = require(process.env.SHOPSYNC_PLAYWRIGHT_CORE || "playwright-core");

const [base, user, password, planJson, payload, shots] = process.argv.slice(2);
const plan = JSON.parse(planJson);

(async () => {
	fs.mkdirSync(shots, { recursive: true });
	const profile = fs.mkdtempSync(path.join(require("os").tmpdir(), "shopsync-chromium-"));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: process.env.SHOPSYNC_CHROMIUM || "/usr/bin/chromium",
		headless: true,
		viewport: { width: 1440, height: 1000 },
		args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
			"--disable-component-update", "--disable-sync"],
	});
	const hits = [];
	let current = "login";
	await context.exposeBinding("__shopsync_ran", (_src, what) => { hits.push({ screen: current, what }); });
	await context.addInitScript(() => {
		for (const name of ["alert", "confirm", "prompt"]) {
			window[name] = (message) => { window.__shopsync_ran(`${name}(${message})`); return name === "confirm" ? false : null; };
		}
	});
	const login = await context.request.post(`${base}/api/method/login`, { form: { usr: user, pwd: password } });
	if (!login.ok()) throw new Error(`login failed: ${login.status()}`);
	const page = context.pages()[0] || (await context.newPage());
	const errors = [];
	page.on("pageerror", (e) => errors.push({ screen: current, error: String(e).slice(0, 300) }));
	const results = [];
	for (const step of plan) {
		current = step.name;
		await page.goto(base + step.path, { waitUntil: "load" });
		await page.waitForLoadState("networkidle").catch(() => {});
		await page.waitForTimeout(step.settle || 2500);
		if (step.click) {
			await page.locator(step.click).first().click();
			await page.waitForLoadState("networkidle").catch(() => {});
			await page.waitForTimeout(2500);
		}
		if (step.expect) {  // wait (bounded) until the screen shows the shop's words, escaped or not
			await page.waitForFunction(([sel, text]) => Array.from(document.querySelectorAll(sel)).some((el) =>
				(el.innerText || "").includes(text) || el.querySelectorAll("[onerror]").length
				|| Array.from(el.querySelectorAll("textarea, input")).some((i) => (i.value || "").includes(text))),
			[step.expect, payload], { timeout: 20000 }).catch(() => {});
		}
		const seen = await page.evaluate(([sel, text]) => {
			const where = sel ? Array.from(document.querySelectorAll(sel)) : [document.body];
			return {
				onerror_elements: document.querySelectorAll("[onerror]").length,
				// read-only long texts are shown in a textarea: its value, not its innerText
				shown_as_text: where.some((el) => (el.innerText || "").includes(text)
					|| Array.from(el.querySelectorAll("textarea, input")).some((i) => (i.value || "").includes(text))),
				where_found: where.length,
			};
		}, [step.expect || null, payload]);
		await page.screenshot({ path: path.join(shots, `${step.name}.png`) });
		results.push({ name: step.name, path: step.path, ...seen });
		await page.keyboard.press("Escape").catch(() => {});
	}
	await context.close();
	fs.rmSync(profile, { recursive: true, force: true });
	process.stdout.write(JSON.stringify({ hits, results, errors }));
})().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
