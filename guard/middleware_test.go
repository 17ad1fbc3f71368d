package guard

import (
	"net/http"
	"strings"
	"testing"
)

func TestMiddleware(t *testing.T) {
	long := strings.Repeat("a", MaxTokenSize+1)
	tests := []struct {
		name   string
		opts   []MiddlewareOption
		req    *http.Request
		cookie string // value of the "at" cookie, if any
		want   answer
		// verified is the token the verifier must have been asked about,
		// or "" if it must not have been asked at all.
		verified string
	}{
		{name: "no credentials: 401 with a bare challenge",
			req: request("/"), want: noCredentials("api")},
		{name: "another scheme is no credentials",
			req: request("/", "Basic dXNlcjpwYXNz"), want: noCredentials("api")},
		{name: "a valid token reaches the handler with its claims",
			req: request("/", "Bearer good.tok.en"), want: ok("hello user-1"), verified: "good.tok.en"},
		{name: "the Bearer scheme is case-insensitive",
			req: request("/", "bEaReR good.tok.en"), want: ok("hello user-1"), verified: "good.tok.en"},
		{name: "a token the verifier refuses is invalid_token",
			req: request("/", "Bearer forged.tok.en"), want: invalidToken("api", "the access token is invalid"), verified: "forged.tok.en"},
		{name: "an expired token is invalid_token saying it expired",
			req: request("/", "Bearer expired.tok.en"), want: invalidToken("api", "the access token expired"), verified: "expired.tok.en"},
		{name: "a revoked token is invalid_token saying it was revoked",
			req: request("/", "Bearer revoked.tok.en"), want: invalidToken("api", "the access token was revoked"), verified: "revoked.tok.en"},
		{name: "a verifier that returns no claims and no error fails closed",
			req: request("/", "Bearer nilclaims"), want: invalidToken("api", "the access token is invalid"), verified: "nilclaims"},
		{name: "a token that cannot be checked is 503 without a challenge",
			req: request("/", "Bearer down.tok.en"), verified: "down.tok.en",
			want: answer{status: http.StatusServiceUnavailable,
				body: `{"error":"temporarily_unavailable","error_description":"the access token could not be checked; try again later"}` + "\n"}},
		{name: "a malformed token is invalid_token without reaching the verifier",
			req: request("/", `Bearer bad"tok`), want: invalidToken("api", "the access token is invalid")},
		{name: "Bearer without a token is invalid_token",
			req: request("/", "Bearer"), want: invalidToken("api", "the access token is invalid")},
		{name: "a token over 8 KiB is invalid_token without reaching the verifier",
			req: request("/", "Bearer "+long), want: invalidToken("api", "the access token is invalid")},
		{name: "a token in header and query is 400 invalid_request",
			req:  request("/?access_token=good.tok.en", "Bearer good.tok.en"),
			want: invalidRequest("access tokens in the query string are not accepted")},
		{name: "a token in the query alone is 400 invalid_request",
			req:  request("/?access_token=good.tok.en"),
			want: invalidRequest("access tokens in the query string are not accepted")},
		{name: "two Authorization headers are 400 invalid_request",
			req:  request("/", "Bearer good.tok.en", "Bearer good.tok.en"),
			want: invalidRequest("more than one Authorization header")},
		{name: "WithRealm names the realm of the challenge",
			opts: []MiddlewareOption{WithRealm(`orders "v2"`)}, req: request("/"),
			want: answer{status: http.StatusUnauthorized, auth: `Bearer realm="orders \"v2\""`,
				body: `{"error_description":"a bearer token is required"}` + "\n"}},
		{name: "WithCookie reads the token from the cookie when there is no header",
			opts: []MiddlewareOption{WithCookie("at")}, req: request("/"), cookie: "good.tok.en",
			want: ok("hello user-1"), verified: "good.tok.en"},
		{name: "WithCookie reads the cookie when the header has another scheme",
			opts: []MiddlewareOption{WithCookie("at")}, req: request("/", "Basic eDp5"), cookie: "good.tok.en",
			want: ok("hello user-1"), verified: "good.tok.en"},
		{name: "the header wins over the cookie",
			opts: []MiddlewareOption{WithCookie("at")}, req: request("/", "Bearer forged.tok.en"), cookie: "good.tok.en",
			want: invalidToken("api", "the access token is invalid"), verified: "forged.tok.en"},
		{name: "a bad token in the cookie is invalid_token",
			opts: []MiddlewareOption{WithCookie("at")}, req: request("/"), cookie: "forged.tok.en",
			want: invalidToken("api", "the access token is invalid"), verified: "forged.tok.en"},
		{name: "a malformed cookie is invalid_token without reaching the verifier",
			opts: []MiddlewareOption{WithCookie("at")}, req: request("/"), cookie: "a=b",
			want: invalidToken("api", "the access token is invalid")},
		{name: "the cookie is ignored without WithCookie",
			req: request("/"), cookie: "good.tok.en", want: noCredentials("api")},
		{name: "a query token is refused even beside a cookie",
			opts: []MiddlewareOption{WithCookie("at")}, req: request("/?access_token=x"), cookie: "good.tok.en",
			want: invalidRequest("access tokens in the query string are not accepted")},
		{name: "optional: a request without credentials is served anonymously",
			opts: []MiddlewareOption{WithOptional()}, req: request("/"), want: ok("anonymous")},
		{name: "optional: a valid token still gives the claims",
			opts: []MiddlewareOption{WithOptional()}, req: request("/", "Bearer good.tok.en"),
			want: ok("hello user-1"), verified: "good.tok.en"},
		{name: "optional: a bad token is still 401 invalid_token",
			opts: []MiddlewareOption{WithOptional()}, req: request("/", "Bearer forged.tok.en"),
			want: invalidToken("api", "the access token is invalid"), verified: "forged.tok.en"},
		{name: "optional: a query token is still 400",
			opts: []MiddlewareOption{WithOptional()}, req: request("/?access_token=x"),
			want: invalidRequest("access tokens in the query string are not accepted")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newFake()
			if tt.cookie != "" {
				tt.req.AddCookie(&http.Cookie{Name: "at", Value: tt.cookie})
			}
			rec := serve(Middleware(v, tt.opts...)(echoSubject), tt.req)
			tt.want.check(t, rec)
			switch {
			case tt.verified == "" && len(v.seen) != 0:
				t.Errorf("verifier asked about %q; want not asked", v.seen)
			case tt.verified != "" && (len(v.seen) != 1 || v.seen[0] != tt.verified):
				t.Errorf("verifier asked about %q; want [%s]", v.seen, tt.verified)
			}
			if tok, found := strings.CutPrefix(tt.req.Header.Get("Authorization"), "Bearer "); found {
				noEcho(t, rec, tok)
			}
			noEcho(t, rec, tt.cookie)
		})
	}
}

func TestOptionalIsMiddlewareWithOptional(t *testing.T) {
	v := newFake()
	h := Optional(v, WithRealm("shop"))(echoSubject)
	ok("anonymous").check(t, serve(h, request("/")))
	invalidToken("shop", "the access token is invalid").check(t, serve(h, request("/", "Bearer forged.tok.en")))
}

func TestClaimsFromWithoutMiddlewareReportsFalse(t *testing.T) {
	c, found := ClaimsFrom(request("/").Context())
	if found || c != nil {
		t.Fatalf("ClaimsFrom = %v, %v; want nil, false", c, found)
	}
}
