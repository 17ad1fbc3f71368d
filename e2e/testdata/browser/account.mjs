// The account page: a login, what scripts can see of the cookies, two tabs
// through several access-token expiries, two tabs refreshing at once, the
// sessions as the page shows them, and a logout seen by the other tab.
import { input, launch, newContext, run, watch, signIn, sessionsShown, state, sleep } from "./lib.mjs";

// A request the page would make, from inside the page: its status.
const userinfo = (page) =>
  page.evaluate(() => fetch("userinfo", { credentials: "same-origin" }).then((r) => r.status));

// Tell a page the user came back to it: it refreshes if due and reloads.
async function revisit(page) {
  await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
  await sleep(300);
  await page.waitForFunction(() => !document.querySelector("button:disabled"));
}

run(async () => {
  const { base, username, password, shots, waitSeconds } = input;
  const browser = await launch();
  const ctx = await newContext(browser);
  const errors = [];
  const refreshes = [];
  ctx.on("response", (r) => {
    if (r.url() === base + "/session/refresh") refreshes.push(r.status());
  });

  const tab1 = await ctx.newPage();
  watch(tab1, "tab1", errors);
  await tab1.goto(base + "/account");
  await tab1.locator("#signin:not([hidden])").waitFor();
  await tab1.screenshot({ path: `${shots}/account-signin.png` });
  await signIn(tab1, base, username, password);
  refreshes.length = 0; // the failed probe of the signed-out page does not count
  const documentCookie = await tab1.evaluate(() => document.cookie);
  const cookies = (await ctx.cookies()).map((c) => ({ name: c.name, path: c.path, sameSite: c.sameSite, httpOnly: c.httpOnly, secure: c.secure }));
  const sessionBefore = (await sessionsShown(tab1)).find((s) => s.current)?.id;

  const tab2 = await ctx.newPage();
  watch(tab2, "tab2", errors);
  await tab2.goto(base + "/account");
  await tab2.locator("#account:not([hidden])").waitFor();

  // Several access-token lifetimes pass; both tabs' timers refresh.
  const started = Date.now();
  await sleep(waitSeconds * 1000);
  const waitedSeconds = (Date.now() - started) / 1000;
  const refreshesDuringWait = [...refreshes];
  const apiCallsAfterExpiries = [await userinfo(tab1), await userinfo(tab2)];
  await revisit(tab1);
  await revisit(tab2);
  const tabsAfterExpiries = [await state(tab1), await state(tab2)];
  const sessionsAfterExpiries = await sessionsShown(tab1);

  // Both tabs refresh at the same moment, bypassing their coordination.
  const both = () => fetch("session/refresh", { method: "POST", headers: { "X-Requested-With": "fetch" } }).then((r) => r.status);
  const concurrentRefreshes = await Promise.all([tab1.evaluate(both), tab2.evaluate(both)]);
  await revisit(tab1);
  await revisit(tab2);
  const tabsAfterConcurrent = [await state(tab1), await state(tab2)];
  const sessionsAfterConcurrent = await sessionsShown(tab2);

  // Other devices, for the page to show: signed in through the token
  // endpoint with their user agents, behind a proxy that names them.
  const devices = [
    ["Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0", "203.0.113.24"],
    ["Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "198.51.100.7"],
    ["curl/8.5.0", "192.0.2.55"],
  ];
  for (const [ua, ip] of devices) {
    const r = await fetch(base + "/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "User-Agent": ua, "X-Forwarded-For": ip },
      body: new URLSearchParams({ grant_type: "password", username, password }),
    });
    if (!r.ok) throw new Error(`token for ${ua}: ${r.status}`);
  }
  await revisit(tab1);
  const shownForScreenshot = await sessionsShown(tab1);
  await tab1.screenshot({ path: `${shots}/account.png`, fullPage: true });

  // Log out in tab 1: tab 2 learns it at once, without a request.
  await tab1.click("#logout");
  await tab1.locator("#signin:not([hidden])").waitFor();
  await tab2.locator("#signin:not([hidden])").waitFor({ timeout: 3_000 });
  const otherTabAfterLogout = await state(tab2);
  const otherTabNotice = await tab2.locator("#notice").innerText();
  const cookiesAfterLogout = (await ctx.cookies()).map((c) => c.name);

  await browser.close();
  return {
    documentCookie, cookies, sessionBefore, waitedSeconds, refreshes: refreshesDuringWait,
    tabsAfterExpiries, sessionsAfterExpiries, apiCallsAfterExpiries,
    concurrentRefreshes, tabsAfterConcurrent, sessionsAfterConcurrent,
    shownForScreenshot, otherTabAfterLogout, otherTabNotice, cookiesAfterLogout, errors,
  };
});
