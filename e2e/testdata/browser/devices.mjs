// Two devices (browser profiles) of one user: A ends B's session, B learns
// it on its next request; A changes the password (a wrong current one
// first), stays signed in, and B is signed out.
import { input, launch, newContext, run, watch, signIn, sessionsShown, state, sleep } from "./lib.mjs";

const firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";

// The user comes back to the page: it refreshes if due and reloads what it
// shows, which is its next request.
async function revisit(page) {
  await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
  await page.waitForFunction(() => {
    const s = document.getElementById("signin"), a = document.getElementById("account");
    return !s.hidden || (!a.hidden && document.querySelectorAll("#sessions li").length > 0 && !document.querySelector("button:disabled"));
  });
  await sleep(300);
}

async function changePassword(page, current, next) {
  await page.fill("#current-password", current);
  await page.fill("#new-password", next);
  await page.fill("#repeat-password", next);
  await page.click("#password-form button[type=submit]");
  await page.waitForFunction(() => !document.querySelector("#password-form button").disabled);
}

run(async () => {
  const { base, username, password, newPassword, shots } = input;
  const browser = await launch();
  const errors = [];
  const a = await (await newContext(browser)).newPage();
  const b = await (await newContext(browser, { userAgent: firefox })).newPage();
  watch(a, "A", errors);
  watch(b, "B", errors);

  await signIn(a, base, username, password);
  await signIn(b, base, username, password);
  await revisit(a);
  const shownToA = await sessionsShown(a);

  // A signs B out.
  await a.click('#sessions li[data-current="false"] button.end');
  await a.waitForFunction(() => document.querySelectorAll("#sessions li").length === 1);
  const aAfterEndingB = await sessionsShown(a);
  await revisit(b);
  const bAfterEnded = await state(b);
  const bNotice = await b.locator("#notice").innerText();

  // B signs in again; A changes the password, first with a wrong current one.
  await signIn(b, base, username, password);
  await revisit(a);
  await changePassword(a, "not the password", newPassword);
  const wrongCurrentError = await a.locator("#password-error").innerText();
  await changePassword(a, password, newPassword);
  await a.locator("#notice:not([hidden])").waitFor();
  const changedNotice = await a.locator("#notice").innerText();
  await a.waitForFunction(() => document.querySelectorAll("#sessions li").length === 1);
  await a.screenshot({ path: `${shots}/account-password-changed.png`, fullPage: true });
  await revisit(a);
  const aAfterChange = await state(a);
  const aAfterChangeShown = await sessionsShown(a);

  await revisit(b);
  const bAfterChange = await state(b);
  await b.fill("#signin-username", username);
  await b.fill("#signin-password", password);
  await b.click("#signin-form button[type=submit]");
  await b.locator("#signin-error:not([hidden])").waitFor();
  const bOldPasswordError = await b.locator("#signin-error").innerText();
  await b.fill("#signin-password", newPassword);
  await b.click("#signin-form button[type=submit]");
  await b.locator("#account:not([hidden])").waitFor();
  const bNewPassword = await state(b);

  await browser.close();
  return {
    shownToA, aAfterEndingB, bAfterEnded, bNotice, wrongCurrentError, changedNotice,
    aAfterChange, aAfterChangeShown, bAfterChange, bOldPasswordError, bNewPassword, errors,
  };
});
