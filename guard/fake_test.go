package guard

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/token"
)

// fakeVerifier accepts the tokens in good and answers the others with the
// error in bad, or ErrInvalidToken. It records what it was asked.
type fakeVerifier struct {
	good map[string]*Claims
	bad  map[string]error
	seen []string
}

func (f *fakeVerifier) Verify(_ context.Context, tok string) (*Claims, error) {
	f.seen = append(f.seen, tok)
	if c, ok := f.good[tok]; ok {
		return c, nil
	}
	if err, ok := f.bad[tok]; ok {
		return nil, err
	}
	return nil, fmt.Errorf("fake: %w", ErrInvalidToken)
}

var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newFake() *fakeVerifier {
	return &fakeVerifier{
		good: map[string]*Claims{
			"good.tok.en":   {Subject: "user-1", Scopes: []string{"orders:read", "orders:write"}, AuthTime: testNow.Add(-time.Minute)},
			"stale.tok.en":  {Subject: "user-2", Scopes: []string{"orders:read"}, AuthTime: testNow.Add(-time.Hour)},
			"noauth.tok.en": {Subject: "user-3"},
			"nilclaims":     nil,
		},
		bad: map[string]error{
			"expired.tok.en": fmt.Errorf("fake: %w", fmt.Errorf("%w: %w", token.ErrExpired, token.ErrInvalid)),
			"revoked.tok.en": ErrRevoked,
			"down.tok.en":    fmt.Errorf("%w: store down", ErrUnavailable),
		},
	}
}

// echoSubject is the protected handler: it answers 200 with the subject, or
// "anonymous".
var echoSubject = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, ok := ClaimsFrom(r.Context())
	if !ok {
		fmt.Fprint(w, "anonymous")
		return
	}
	fmt.Fprint(w, "hello "+c.Subject)
})

// answer is what a response must be, exactly.
type answer struct {
	status int
	auth   string // WWW-Authenticate
	body   string
}

func (a answer) check(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code != a.status {
		t.Errorf("status = %d, want %d", rec.Code, a.status)
	}
	if got := rec.Header().Get("WWW-Authenticate"); got != a.auth {
		t.Errorf("WWW-Authenticate = %q, want %q", got, a.auth)
	}
	if got := rec.Body.String(); got != a.body {
		t.Errorf("body = %q, want %q", got, a.body)
	}
	if a.status >= 400 {
		if got := rec.Header().Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type = %q, want application/json", got)
		}
		if got := rec.Header().Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", got)
		}
	}
}

func ok(body string) answer { return answer{status: http.StatusOK, body: body} }

func noCredentials(realm string) answer {
	return answer{
		status: http.StatusUnauthorized,
		auth:   `Bearer realm="` + realm + `"`,
		body:   `{"error_description":"a bearer token is required"}` + "\n",
	}
}

func invalidToken(realm, desc string) answer {
	return answer{
		status: http.StatusUnauthorized,
		auth:   `Bearer realm="` + realm + `", error="invalid_token", error_description="` + desc + `"`,
		body:   `{"error":"invalid_token","error_description":"` + desc + `"}` + "\n",
	}
}

func invalidRequest(desc string) answer {
	return answer{
		status: http.StatusBadRequest,
		auth:   `Bearer realm="api", error="invalid_request", error_description="` + desc + `"`,
		body:   `{"error":"invalid_request","error_description":"` + desc + `"}` + "\n",
	}
}

func insufficientScope(desc, scope string) answer {
	return answer{
		status: http.StatusForbidden,
		auth:   `Bearer realm="api", error="insufficient_scope", error_description="` + desc + `", scope="` + scope + `"`,
		body:   `{"error":"insufficient_scope","error_description":"` + desc + `"}` + "\n",
	}
}

// request builds a GET with the given Authorization headers.
func request(target string, auth ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for _, a := range auth {
		r.Header.Add("Authorization", a)
	}
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// noEcho fails if the response carries tok.
func noEcho(t *testing.T, rec *httptest.ResponseRecorder, tok string) {
	t.Helper()
	if tok == "" || rec.Code < 400 {
		return
	}
	all := rec.Body.String()
	for _, v := range rec.Header() {
		all += strings.Join(v, "\n")
	}
	if strings.Contains(all, tok) {
		t.Errorf("the response echoes the token %q", tok)
	}
}
