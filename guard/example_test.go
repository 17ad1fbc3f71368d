package guard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/guard"
	"github.com/gatehouse/gatehouse/token"
)

// now is the examples' fixed clock, so their output does not depend on the
// day they run.
var now = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func clock() time.Time { return now }

// issue plays the Gatehouse server: it signs a token for user-42 with the
// given scopes and custom claims.
func issue(key *token.Key, scope string, extra map[string]string) string {
	c := &gatehouse.Claims{
		Issuer: "https://auth.example.com", Subject: "user-42", Audience: []string{"orders-api"},
		IssuedAt: now, ExpiresAt: now.Add(15 * time.Minute), ID: "jti-1", ClientID: "gatehouse",
		SessionID: "sid-1", Scopes: []string{scope}, AuthTime: now,
	}
	for name, v := range extra {
		if c.Extra == nil {
			c.Extra = map[string]json.RawMessage{}
		}
		c.Extra[name], _ = json.Marshal(v)
	}
	signer, err := token.NewSigner(key)
	if err != nil {
		log.Fatal(err)
	}
	tok, err := signer.Sign(c)
	if err != nil {
		log.Fatal(err)
	}
	return tok
}

// verifier is what a resource server sharing the server's keys builds; one
// fetching them would call guard.NewRemoteVerifier(ctx, issuerURL, …).
func verifier(key *token.Key) *guard.LocalVerifier {
	keys, err := token.NewKeySet(key.Public())
	if err != nil {
		log.Fatal(err)
	}
	v, err := guard.NewLocalVerifier(keys,
		guard.WithIssuer("https://auth.example.com"),
		guard.WithAudience("orders-api"),
		guard.WithNow(clock))
	if err != nil {
		log.Fatal(err)
	}
	return v
}

func do(h http.Handler, method, target, tok string) {
	r := httptest.NewRequest(method, target, nil)
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	body, _ := io.ReadAll(w.Body)
	fmt.Printf("%d %s", w.Code, body)
	if a := w.Header().Get("WWW-Authenticate"); a != "" {
		fmt.Printf("WWW-Authenticate: %s\n", a)
	}
}

func ExampleMiddleware() {
	key, _ := token.GenerateKey(token.ES256)
	protect := guard.Middleware(verifier(key))

	mux := http.NewServeMux()
	mux.Handle("GET /orders", protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := guard.ClaimsFrom(r.Context())
		fmt.Fprintf(w, "orders of %s\n", claims.Subject)
	})))

	do(mux, "GET", "/orders", issue(key, "orders:read", nil))
	do(mux, "GET", "/orders", "")
	do(mux, "GET", "/orders", "forged.token.value")
	// Output:
	// 200 orders of user-42
	// 401 {"error_description":"a bearer token is required"}
	// WWW-Authenticate: Bearer realm="api"
	// 401 {"error":"invalid_token","error_description":"the access token is invalid"}
	// WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="the access token is invalid"
}

func ExampleClaimsFrom() {
	key, _ := token.GenerateKey(token.ES256)
	listOrders := func(w http.ResponseWriter, r *http.Request) {
		claims, ok := guard.ClaimsFrom(r.Context())
		if !ok {
			http.Error(w, "no claims", http.StatusInternalServerError)
			return
		}
		var tenant string
		if err := claims.Custom("tenant", &tenant); err != nil {
			http.Error(w, "no tenant", http.StatusForbidden)
			return
		}
		fmt.Fprintf(w, "sub=%s scopes=%v session=%s client=%s tenant=%s\n",
			claims.Subject, claims.Scopes, claims.SessionID, claims.ClientID, tenant)
	}
	h := guard.Middleware(verifier(key))(http.HandlerFunc(listOrders))

	do(h, "GET", "/orders", issue(key, "orders:read", map[string]string{"tenant": "acme"}))
	// Output:
	// 200 sub=user-42 scopes=[orders:read] session=sid-1 client=gatehouse tenant=acme
}

func ExampleRequireScope() {
	key, _ := token.GenerateKey(token.ES256)
	protect := guard.Middleware(verifier(key))
	deleteOrder := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "deleted", r.PathValue("id"))
	})
	mux := http.NewServeMux()
	mux.Handle("DELETE /orders/{id}", protect(guard.RequireScope("orders:write")(deleteOrder)))

	do(mux, "DELETE", "/orders/7", issue(key, "orders:write", nil))
	do(mux, "DELETE", "/orders/7", issue(key, "orders:read", nil))
	// Output:
	// 200 deleted 7
	// 403 {"error":"insufficient_scope","error_description":"the access token lacks a required scope"}
	// WWW-Authenticate: Bearer realm="api", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders:write"
}

func ExampleLocalVerifier_Verify() {
	key, _ := token.GenerateKey(token.ES256)
	v := verifier(key)

	// Outside HTTP (a gRPC interceptor, a WebSocket upgrade, a worker):
	claims, err := v.Verify(context.Background(), issue(key, "orders:read", nil))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.Subject, claims.Scopes, claims.ExpiresAt.UTC().Format(time.RFC3339))

	_, err = v.Verify(context.Background(), "forged.token.value")
	fmt.Println(errors.Is(err, guard.ErrInvalidToken))
	// Output:
	// user-42 [orders:read] 2030-01-02T03:19:05Z
	// true
}

// An API that follows Gatehouse's revocation feed as the client it was
// registered as (`gatehouse client add orders-api`): a logged-out token is
// refused within moments, with no call to Gatehouse per request. The
// staleness gauge comes from guard/guardprom.
func ExampleWithRevocationFeed() {
	ctx := context.Background()
	v, err := guard.NewRemoteVerifier(ctx, "https://auth.example.com",
		guard.WithAudience("orders-api"),
		guard.WithRevocationFeed("orders-api", "the client secret"),
		guard.WithMaxStaleness(2*time.Minute)) // 503 rather than trust an older state
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	http.Handle("GET /orders", guard.Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	log.Printf("revocations known as of %v ago", v.Feed().Staleness())
}

func ExampleWithCookie() {
	key, _ := token.GenerateKey(token.ES256)
	// The access token may also come from the cookie that Gatehouse's
	// browser mode sets; state-changing requests that it authenticates must
	// pass the CSRF rule.
	protect := guard.Middleware(verifier(key), guard.WithCookie(guard.AccessCookie))
	mux := http.NewServeMux()
	mux.Handle("POST /orders", protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "order created")
	})))

	send := func(headers ...string) {
		r := httptest.NewRequest("POST", "/orders", strings.NewReader(`{"item":"tea"}`))
		r.Header.Set("Content-Type", "application/json")
		r.AddCookie(&http.Cookie{Name: guard.AccessCookie, Value: issue(key, "orders:write", nil)})
		for _, h := range headers {
			name, value, _ := strings.Cut(h, ": ")
			r.Header.Set(name, value)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Printf("%d %s", w.Code, w.Body)
	}
	send("Sec-Fetch-Site: same-origin", guard.CSRFHeader+": fetch") // the app's own fetch
	send("Sec-Fetch-Site: same-origin")                             // no CSRF header
	send("Sec-Fetch-Site: cross-site", guard.CSRFHeader+": fetch")  // another site
	// Output:
	// 200 order created
	// 403 {"error":"invalid_request","error_description":"the X-Requested-With header is required with cookie credentials"}
	// 403 {"error":"invalid_request","error_description":"cross-origin request refused"}
}

// A user's custom claims (gatehouse user add alice --claim role=admin)
// are read from the claims into the caller's own type.
func ExampleClaims_DecodeCustom() {
	key, _ := token.GenerateKey(token.ES256)
	type profile struct {
		Role   string `json:"role"`
		Tenant string `json:"tenant"`
	}
	h := guard.Middleware(verifier(key))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := guard.ClaimsFrom(r.Context())
		var p profile
		if err := claims.DecodeCustom(&p); err != nil || p.Role != "admin" {
			http.Error(w, `{"error":"forbidden"}`, http.StatusForbidden)
			return
		}
		fmt.Fprintf(w, "admin of %s\n", p.Tenant)
	}))

	do(h, "GET", "/admin", issue(key, "orders:read", map[string]string{"role": "admin", "tenant": "acme"}))
	do(h, "GET", "/admin", issue(key, "orders:read", map[string]string{"role": "user"}))
	// Output:
	// 200 admin of acme
	// 403 {"error":"forbidden"}
}
