// Gatehouse's own /docs: Swagger UI renders /openapi.json under the page's
// Content-Security-Policy, "Authorize" takes a bearer token, and "Try it
// out" on GET /userinfo sends it to the same server.
import { input, launch, newContext, run, watch } from "./lib.mjs";

run(async () => {
  const { base, token, shots } = input;
  const browser = await launch();
  const ctx = await newContext(browser, { viewport: { width: 1200, height: 1000 } });
  // Swagger UI's bundle is 1.7 MB of script: give its first render time
  // on a busy machine.
  ctx.setDefaultTimeout(40_000);
  const page = await ctx.newPage();
  const errors = [];
  watch(page, "docs", errors);
  // A refusal by the Content-Security-Policy shows as a console error.
  const cspViolations = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));

  await page.goto(base + "/docs");
  await page.locator(".opblock").first().waitFor();
  const title = await page.locator(".info .title").innerText();
  const operations = await page.$$eval(".opblock", (els) =>
    els.map((el) => {
      const method = el.querySelector(".opblock-summary-method")?.textContent ?? "";
      const path = el.querySelector(".opblock-summary-path")?.getAttribute("data-path") ?? "";
      return `${method} ${path}`;
    }),
  );
  await page.screenshot({ path: `${shots}/docs.png` });

  await page.click(".btn.authorize");
  await page.locator(".modal-ux").waitFor();
  await page.fill("#auth-bearer-value", token);
  await page.click(".auth-container:has(#auth-bearer-value) button.authorize");
  await page.locator(".auth-container:has(h4:has-text('bearerAuth')) h6:has-text('Authorized')").waitFor();
  await page.click(".modal-ux button.close-modal");

  const op = "#operations-Account-userinfo";
  await page.click(`${op} .opblock-summary`);
  await page.click(`${op} .try-out__btn`);
  const response = page.waitForResponse((r) => r.url() === base + "/userinfo");
  const request = page.waitForRequest((r) => r.url() === base + "/userinfo");
  await page.click(`${op} .execute`);
  const resp = await response;
  const req = await request;
  await page.locator(`${op} .live-responses-table td.response-col_status:not(.col_header)`).waitFor();
  const shown = await page.locator(`${op} .live-responses-table .response-col_status`).last().innerText();
  await page.locator(`${op} .live-responses-table`).scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/docs-try-userinfo.png` });

  const result = {
    title,
    operations,
    requests,
    cspViolations,
    tryAuthorization: req.headers()["authorization"] ?? "",
    tryStatus: resp.status(),
    tryBody: await resp.text(),
    shownStatus: shown,
    errors,
  };
  await browser.close();
  return result;
});
