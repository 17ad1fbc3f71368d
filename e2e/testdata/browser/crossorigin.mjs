// Pages of other origins try to use the victim's Gatehouse cookies: forms
// posted to the cookie endpoints, fetches with credentials. One origin of
// the same site (127.0.0.1, another port: the browser sends the cookies),
// one of another site (localhost: SameSite=Strict keeps them home), and a
// listed origin that may read.
import { input, launch, newContext, run, watch, signIn, sessionsShown, state, sleep } from "./lib.mjs";

const attempts = {
  "GET /userinfo with credentials": (gh) => fetch(gh + "/userinfo", { credentials: "include" }),
  "POST /session/logout with the CSRF header": (gh) =>
    fetch(gh + "/session/logout", { method: "POST", credentials: "include", headers: { "X-Requested-With": "fetch" } }),
  "POST /session/logout as a no-cors text/plain request": (gh) =>
    fetch(gh + "/session/logout", { method: "POST", mode: "no-cors", credentials: "include", body: "all=true" }),
  "POST /token": (gh) =>
    fetch(gh + "/token", { method: "POST", body: new URLSearchParams({ grant_type: "password", username: "alice", password: "x" }) }),
};

const friendly = {
  "GET /userinfo with credentials": (gh) => fetch(gh + "/userinfo", { credentials: "include" }),
  "POST /session/refresh with the CSRF header": (gh) =>
    fetch(gh + "/session/refresh", { method: "POST", credentials: "include", headers: { "X-Requested-With": "fetch" } }),
};

// tryFetch runs one attempt inside page and describes what the page got.
async function tryFetch(page, gh, fn) {
  return page.evaluate(
    async ([gh, src]) => {
      try {
        const r = await eval(src)(gh);
        if (r.type === "opaque") return "opaque";
        return `${r.status} ${await r.text()}`;
      } catch (e) {
        return `${e.name}: ${e.message}`;
      }
    },
    [gh, fn.toString()],
  );
}

run(async () => {
  const { base, username, password, sameSite, crossSite, friend } = input;
  const browser = await launch();
  const ctx = await newContext(browser);
  const errors = [];
  const victim = await ctx.newPage();
  watch(victim, "victim", errors);
  await signIn(victim, base, username, password);

  const forms = [];
  const fetches = [];
  for (const origin of [sameSite, crossSite]) {
    for (const name of ["logout", "refresh", "password", "login"]) {
      console.error(`form ${name} from ${origin}`);
      const form = await ctx.newPage();
      await form.goto(`${origin}/${name}`);
      const answer = form.waitForResponse((r) => r.url().startsWith(base + "/session/"));
      await form.evaluate(() => document.forms[0].submit());
      forms.push({ name, origin, status: (await answer).status() });
      await form.waitForLoadState();
      // (Not closed: closing a page whose text/plain form navigation was
      // refused can hang in this Chromium; the browser closes them all.)
    }
    const page = await ctx.newPage();
    await page.goto(origin + "/");
    for (const [name, fn] of Object.entries(attempts)) {
      console.error(`fetch ${name} from ${origin}`);
      fetches.push({ name, origin, result: await tryFetch(page, base, fn) });
    }
    await page.close();
  }
  const page = await ctx.newPage();
  await page.goto(friend + "/");
  for (const [name, fn] of Object.entries(friendly)) {
    fetches.push({ name, origin: friend, result: await tryFetch(page, base, fn) });
  }
  await page.close();

  // The victim's page, on its next request.
  await victim.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
  await sleep(500);
  await victim.waitForFunction(() => !document.querySelector("button:disabled"));
  const result = {
    forms,
    fetches,
    victimAfter: await state(victim),
    victimUsername: await victim.locator("#username").innerText(),
    victimSessions: await sessionsShown(victim),
    errors,
  };
  await browser.close();
  return result;
});
