// An orders API on Node's http module whose routes accept Gatehouse access
// tokens. The token is verified locally with jose against the public keys
// Gatehouse publishes at /.well-known/jwks.json (createRemoteJWKSet caches
// them and refetches on an unknown key id, e.g. after a key rotation), as an
// RFC 9068 access token: typ at+jwt, ES256, this issuer, this audience, not
// expired.
//
//   gatehouse serve &                  # the issuer, 127.0.0.1:8080
//   npm ci && npm start                # this API, 127.0.0.1:8083
//   curl -H "Authorization: Bearer $ACCESS" http://127.0.0.1:8083/orders
//
// GET /orders needs the scope orders:read. No token: 401; a token that fails
// verification: 401 invalid_token; a valid token without the scope: 403
// insufficient_scope (RFC 6750).
//
// Environment: GATEHOUSE_ISSUER (default http://127.0.0.1:8080),
// GATEHOUSE_AUDIENCE (default the issuer, as Gatehouse's own default),
// NODE_API_ADDR (default 127.0.0.1:8083; port 0 picks a free one).
import http from 'node:http';
import { createRemoteJWKSet, jwtVerify, errors } from 'jose';

const issuer = (process.env.GATEHOUSE_ISSUER || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const audience = process.env.GATEHOUSE_AUDIENCE || issuer;
const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));

// verify returns the claims of a valid Gatehouse access token, or throws.
async function verify(token) {
  const { payload } = await jwtVerify(token, jwks, {
    issuer,
    audience,
    typ: 'at+jwt', // RFC 9068 §4: an access token, not any JWT signed by these keys
    algorithms: ['ES256'], // the verifier chooses the algorithm, never the token
    requiredClaims: ['exp', 'iat', 'sub'],
  });
  if (payload.scope !== undefined && typeof payload.scope !== 'string') {
    throw new errors.JWTClaimValidationFailed('scope is not a string', payload, 'scope', 'check_failed');
  }
  return payload;
}

// protect wraps a handler: it answers 401 or 403 itself, or calls
// handler(req, res, claims).
function protect(scope, handler) {
  return async (req, res) => {
    const m = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(req.headers.authorization || '');
    if (!m) {
      return send(res, 401, { error: 'unauthorized' }, { 'WWW-Authenticate': `Bearer scope="${scope}"` });
    }
    let claims;
    try {
      claims = await verify(m[1]);
    } catch (err) {
      if (!(err instanceof errors.JOSEError)) throw err;
      return send(res, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    }
    const granted = (claims.scope || '').split(' ').filter(Boolean);
    if (!granted.includes(scope)) {
      return send(res, 403, { error: 'insufficient_scope' }, {
        'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${scope}"`,
      });
    }
    return handler(req, res, claims);
  };
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const routes = {
  'GET /healthz': (req, res) => send(res, 200, { status: 'ok' }),
  'GET /orders': protect('orders:read', (req, res, claims) => send(res, 200, {
    orders: [],
    subject: claims.sub,
    scopes: (claims.scope || '').split(' ').filter(Boolean),
    session_id: claims.sid,
    client_id: claims.client_id,
  })),
  'POST /orders': protect('orders:write', (req, res, claims) => send(res, 201, { created_by: claims.sub })),
};

const server = http.createServer((req, res) => {
  const route = routes[`${req.method} ${new URL(req.url, 'http://x').pathname}`];
  if (!route) return send(res, 404, { error: 'not_found' });
  Promise.resolve(route(req, res)).catch((err) => {
    console.error('error', err);
    if (!res.headersSent) send(res, 500, { error: 'server_error' });
  });
});

const addr = process.env.NODE_API_ADDR || '127.0.0.1:8083';
const sep = addr.lastIndexOf(':');
server.listen(Number(addr.slice(sep + 1)), addr.slice(0, sep).replace(/^\[|\]$/g, ''), () => {
  const a = server.address();
  console.error(`listening addr=${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port} issuer=${issuer}`);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
