package guard

import (
	"net/http"
	"testing"
	"time"
)

func TestRequireScope(t *testing.T) {
	fixed := func() time.Time { return testNow }
	tests := []struct {
		name  string
		chain func(v Verifier, next http.Handler) http.Handler
		req   *http.Request
		want  answer
	}{
		{"RequireScope lets a token with every scope through",
			func(v Verifier, next http.Handler) http.Handler {
				return Middleware(v)(RequireScope("orders:read", "orders:write")(next))
			}, request("/", "Bearer good.tok.en"), ok("hello user-1")},
		{"RequireScope with a scope missing is 403 insufficient_scope naming all it needs",
			func(v Verifier, next http.Handler) http.Handler {
				return Middleware(v)(RequireScope("orders:read", "orders:write")(next))
			}, request("/", "Bearer stale.tok.en"),
			insufficientScope("the access token lacks a required scope", "orders:read orders:write")},
		{"RequireScope without Middleware denies with 401 (fail closed)",
			func(v Verifier, next http.Handler) http.Handler { return RequireScope("orders:read")(next) },
			request("/", "Bearer good.tok.en"), noCredentials("api")},
		{"RequireScope after Optional denies an anonymous request with 401",
			func(v Verifier, next http.Handler) http.Handler {
				return Optional(v, WithRealm("shop"))(RequireScope("orders:read")(next))
			}, request("/"), noCredentials("shop")},
		{"RequireScope after Optional serves a token with the scope",
			func(v Verifier, next http.Handler) http.Handler {
				return Optional(v)(RequireScope("orders:read")(next))
			}, request("/", "Bearer stale.tok.en"), ok("hello user-2")},
		{"RequireAnyScope lets a token with one of the scopes through",
			func(v Verifier, next http.Handler) http.Handler {
				return Middleware(v)(RequireAnyScope("admin", "orders:read")(next))
			}, request("/", "Bearer stale.tok.en"), ok("hello user-2")},
		{"RequireAnyScope with none of the scopes is 403 listing them",
			func(v Verifier, next http.Handler) http.Handler {
				return Middleware(v)(RequireAnyScope("admin", "orders:refund")(next))
			}, request("/", "Bearer good.tok.en"),
			insufficientScope("the access token lacks every accepted scope", "admin orders:refund")},
		{"RequireAnyScope without Middleware denies with 401 (fail closed)",
			func(v Verifier, next http.Handler) http.Handler { return RequireAnyScope("orders:read")(next) },
			request("/", "Bearer good.tok.en"), noCredentials("api")},
		{"RequireFresh lets a login within maxAge through",
			func(v Verifier, next http.Handler) http.Handler {
				return Middleware(v, WithClock(fixed))(RequireFresh(5 * time.Minute)(next))
			}, request("/", "Bearer good.tok.en"), ok("hello user-1")},
		{"RequireFresh with an older login is 401 saying a fresh login is required",
			func(v Verifier, next http.Handler) http.Handler {
				return Middleware(v, WithClock(fixed))(RequireFresh(5 * time.Minute)(next))
			}, request("/", "Bearer stale.tok.en"), invalidToken("api", "a fresh login is required")},
		{"RequireFresh with no auth_time is 401 (fail closed)",
			func(v Verifier, next http.Handler) http.Handler {
				return Middleware(v, WithClock(fixed))(RequireFresh(5 * time.Minute)(next))
			}, request("/", "Bearer noauth.tok.en"), invalidToken("api", "a fresh login is required")},
		{"RequireFresh reads Middleware's clock",
			func(v Verifier, next http.Handler) http.Handler {
				later := func() time.Time { return testNow.Add(5 * time.Minute) }
				return Middleware(v, WithClock(later))(RequireFresh(5 * time.Minute)(next))
			}, request("/", "Bearer good.tok.en"), invalidToken("api", "a fresh login is required")},
		{"RequireFresh without Middleware denies with 401 (fail closed)",
			func(v Verifier, next http.Handler) http.Handler { return RequireFresh(time.Hour)(next) },
			request("/", "Bearer good.tok.en"), noCredentials("api")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.want.check(t, serve(tt.chain(newFake(), echoSubject), tt.req))
		})
	}
}

func TestScopeConstructorsPanicOnMistakes(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"RequireScope with a quote in a scope", func() { RequireScope(`a"b`) }},
		{"RequireScope with a space in a scope", func() { RequireScope("a b") }},
		{"RequireScope with an empty scope", func() { RequireScope("") }},
		{"RequireAnyScope with no scope", func() { RequireAnyScope() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tt.f()
		})
	}
}
