// Opens desk screens in headless Chromium, logged in as a given user, and reports what each shows:
// its visible text, its primary button, and JavaScript errors. Screenshots go to <shots>. Used by
// test_real_desk_trail.py.
//
// usage: node desk_browser.js <base url> <user> <password> <plan json> <shots dir>
// plan: [{name, path, wait?: text to wait for (bounded), settle?: ms}]
"use strict";
const path = require("path");
const fs = require("fs");
const { chromium } = require(process.env.SHOPSYNC_PLAYWRIGHT_CORE || "playwright-core");

const [base, user, password, planJson, shots] = process.argv.slice(2);
const plan = JSON.parse(planJson);

(async () => {
	fs.mkdirSync(shots, { recursive: true });
	const browser = await chromium.launch({
		executablePath: process.env.SHOPSYNC_CHROMIUM || "/usr/bin/chromium",
		headless: true,
		args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"],
	});
	const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
	const login = await context.request.post(`${base}/api/method/login`, { form: { usr: user, pwd: password } });
	if (!login.ok()) throw new Error(`login failed: ${login.status()}`);
	const page = await context.newPage();
	const errors = [];
	let current = "login";
	page.on("pageerror", (e) => errors.push({ screen: current, error: String(e).slice(0, 300) }));
	const results = [];
	for (const step of plan) {
		current = step.name;
		await page.goto(base + step.path, { waitUntil: "load" });
		await page.waitForLoadState("networkidle").catch(() => {});
		if (step.wait) {
			await page.waitForFunction((text) => document.body.innerText.includes(text), step.wait, { timeout: 20000 }).catch(() => {});
		}
		await page.waitForTimeout(step.settle || 2000);
		const seen = await page.evaluate(() => {
			const visible = (el) => el && el.offsetParent !== null;
			const primary = Array.from(document.querySelectorAll(".page-head .primary-action")).filter(visible);
			return {
				text: document.body.innerText.slice(0, 30000),
				primary: primary.map((b) => b.innerText.trim()),
			};
		});
		await page.screenshot({ path: path.join(shots, `${step.name}.png`) });
		results.push({ name: step.name, path: step.path, ...seen });
	}
	await browser.close();
	process.stdout.write(JSON.stringify({ results, errors }));
})().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
