// The FastAPI example's /docs: "Authorize" with a Gatehouse user's password
// in Swagger UI's default dialog, then "Try it out" on GET /orders.
import { input, launch, newContext, run, watch } from "./lib.mjs";

run(async () => {
  const { api, username, password, shots } = input;
  const browser = await launch();
  const ctx = await newContext(browser, { viewport: { width: 1100, height: 900 } });
  const page = await ctx.newPage();
  const errors = [];
  watch(page, "docs", errors);
  const assets = [];
  page.on("request", (r) => {
    if (/\.(js|css|png)$/.test(new URL(r.url()).pathname)) assets.push(r.url());
  });

  await page.goto(api + "/docs");
  await page.locator(".btn.authorize").waitFor();
  await page.click(".btn.authorize");
  await page.locator(".modal-ux").waitFor();
  await page.fill("#oauth_username", username);
  await page.fill("#oauth_password", password);
  const tokenRequest = page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith("/token"));
  const tokenResponse = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/token"));
  await page.click(".modal-ux .auth-btn-wrapper button.authorize");
  const req = await tokenRequest;
  const resp = await tokenResponse;
  await page.locator(".modal-ux button:has-text('Logout')").waitFor();
  const authorized = await page.locator(".modal-ux").innerText();
  await page.screenshot({ path: `${shots}/fastapi-docs-authorize.png` });
  await page.click(".modal-ux button.close-modal");

  await page.click("#operations-default-list_orders_orders_get .opblock-summary");
  await page.click("#operations-default-list_orders_orders_get .try-out__btn");
  const orders = page.waitForResponse((r) => r.url() === api + "/orders");
  const ordersRequest = page.waitForRequest((r) => r.url() === api + "/orders");
  await page.click("#operations-default-list_orders_orders_get .execute");
  const o = await orders;
  const oreq = await ordersRequest;
  await page.locator("#operations-default-list_orders_orders_get .live-responses-table td.response-col_status:not(.col_header)").waitFor();
  await page.locator("#operations-default-list_orders_orders_get .live-responses-table").scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/fastapi-docs-orders.png` });

  const result = {
    assets,
    tokenRequest: {
      url: req.url(),
      authorization: req.headers()["authorization"] ?? "",
      contentType: req.headers()["content-type"] ?? "",
      body: req.postData() ?? "",
      status: resp.status(),
    },
    authorized,
    executeStatus: o.status(),
    executeBody: await o.text(),
    executeAuthorization: oreq.headers()["authorization"] ?? "",
    errors,
  };
  await browser.close();
  return result;
});
