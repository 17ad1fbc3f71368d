// openid-client with its defaults against Gatehouse: discovery (which
// reads /.well-known/openid-configuration and checks its issuer), then the
// grants and endpoints the metadata lists, through the library. HTTPS with
// the test's CA (NODE_EXTRA_CA_CERTS): no allowInsecureRequests. Input:
// one JSON argument; output: one JSON line.
import * as client from "openid-client";

const { issuer, clientId, clientSecret, username, password } = JSON.parse(process.argv[2]);
const out = { steps: [] };
const step = async (name, fn) => {
  try {
    const v = await fn();
    out.steps.push({ name, ok: true });
    return v;
  } catch (e) {
    out.steps.push({ name, ok: false, error: `${e.name}: ${e.message}${e.code ? " (" + e.code + ")" : ""}${e.cause ? " cause: " + JSON.stringify(e.cause) : ""}` });
    return undefined;
  }
};

const config = await step("discovery", () => client.discovery(new URL(issuer), clientId, clientSecret));
if (config) {
  const md = config.serverMetadata();
  out.metadata = md;
  const login = await step("password grant", () =>
    client.genericGrantRequest(config, "password", { username, password, scope: "orders:read" }),
  );
  out.login = login && { token_type: login.token_type, scope: login.scope, expires_in: login.expires_in, hasRefresh: !!login.refresh_token };
  const refreshed = login && (await step("refresh_token grant", () => client.refreshTokenGrant(config, login.refresh_token)));
  out.refreshed = refreshed && { scope: refreshed.scope, newRefresh: refreshed.refresh_token !== login.refresh_token };
  if (refreshed) {
    const userinfo = await step("userinfo", () => {
      const sub = JSON.parse(Buffer.from(refreshed.access_token.split(".")[1], "base64url")).sub;
      return client.fetchUserInfo(config, refreshed.access_token, sub);
    });
    out.userinfo = userinfo;
    out.introspectionBefore = await step("introspection", () => client.tokenIntrospection(config, refreshed.access_token));
    await step("revocation", () => client.tokenRevocation(config, refreshed.refresh_token, { token_type_hint: "refresh_token" }));
    out.introspectionAfter = await step("introspection after revocation", () => client.tokenIntrospection(config, refreshed.access_token));
    out.reuse = await step("refresh after revocation", () => client.refreshTokenGrant(config, refreshed.refresh_token));
  }
  const cc = await step("client_credentials grant", () => client.clientCredentialsGrant(config));
  out.clientCredentials = cc && { token_type: cc.token_type, hasRefresh: !!cc.refresh_token };
}
console.log(JSON.stringify(out));
