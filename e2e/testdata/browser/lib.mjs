// Shared by the browser scripts of e2e/browser_test.go: Debian's Chromium,
// driven by playwright-core, in a network-closed sandbox.
import { chromium } from "playwright-core";

// The flags keep Chromium from reaching out on its own (updates, sync,
// QUIC probes), which a closed network refuses many times over.
export const chromiumArgs = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// input is the JSON object the Go test passes as the only argument.
export const input = JSON.parse(process.argv[2] || "{}");

// launch starts Chromium with a fresh profile (playwright makes a
// temporary user-data-dir for every launch and removes it on close).
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: chromiumArgs,
    headless: true,
    timeout: 30_000,
  });
}

// newContext is a new browser profile ("device"): its own cookies and
// storage.
export async function newContext(browser, options = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 820 }, deviceScaleFactor: 1, ...options });
  ctx.setDefaultTimeout(15_000);
  return ctx;
}

// watch logs a page's errors to stderr (the Go test shows them when it
// fails) and records them.
export function watch(page, name, errors) {
  page.on("pageerror", (e) => {
    errors.push(`${name}: ${e.message}`);
    console.error(`[${name}] page error: ${e.message}`);
  });
  page.on("console", (m) => console.error(`[${name}] console.${m.type()}: ${m.text()}`));
}

// done prints the result as one JSON line and exits.
export function done(result) {
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
}

// run runs main and turns a failure into a JSON {"error"} line (exit 1).
export function run(main) {
  main().then(done, (e) => {
    process.stdout.write(JSON.stringify({ error: String(e && e.stack ? e.stack : e) }) + "\n");
    process.exit(1);
  });
}

// signIn logs in through the account page's form.
export async function signIn(page, base, username, password) {
  await page.goto(base + "/account");
  await page.locator("#signin:not([hidden])").waitFor();
  await page.fill("#signin-username", username);
  await page.fill("#signin-password", password);
  await page.click("#signin-form button[type=submit]");
  await page.locator("#account:not([hidden])").waitFor();
  await page.locator("#sessions li").first().waitFor();
}

// sessionsShown lists what the page shows of the sessions.
export function sessionsShown(page) {
  return page.$$eval("#sessions li", (lis) =>
    lis.map((li) => ({
      id: li.dataset.session,
      current: li.dataset.current === "true",
      name: li.querySelector(".device-name")?.firstChild?.textContent ?? "",
      meta: li.querySelector(".device-meta")?.textContent ?? "",
    })),
  );
}

// state is what the page shows: "account", "signin" or "loading".
export function state(page) {
  return page.evaluate(() =>
    !document.getElementById("account").hidden ? "account" : !document.getElementById("signin").hidden ? "signin" : "loading",
  );
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
