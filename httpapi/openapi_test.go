package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/httpapi"
	"github.com/gatehouse/gatehouse/internal/testserver"
	"github.com/gatehouse/gatehouse/password"
)

// openAPIDoc is the embedded document, decoded.
type openAPIDoc struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Responses map[string]openAPIResponse `json:"responses"`
	} `json:"components"`
}

type openAPIOperation struct {
	Summary     string                     `json:"summary"`
	OperationID string                     `json:"operationId"`
	Responses   map[string]openAPIResponse `json:"responses"`
	Parameters  []struct {
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
}

type openAPIResponse struct {
	Ref     string                     `json:"$ref"`
	Content map[string]json.RawMessage `json:"content"`
	Headers map[string]json.RawMessage `json:"headers"`
}

var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func decodeOpenAPI(t *testing.T, b []byte) openAPIDoc {
	t.Helper()
	var d openAPIDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return d
}

// operations lists the document's operations as "METHOD /path".
func (d openAPIDoc) operations(t *testing.T) map[string]openAPIOperation {
	t.Helper()
	out := map[string]openAPIOperation{}
	for path, item := range d.Paths {
		for k, raw := range item {
			if !slices.Contains(openAPIMethods, k) {
				continue
			}
			var op openAPIOperation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", k, path, err)
			}
			out[strings.ToUpper(k)+" "+path] = op
		}
	}
	return out
}

// fullServer has every optional route on: sign-up and the metrics (the
// test server always has a registry).
func fullServer(t *testing.T, o testserver.Options) *testserver.Server {
	o.HTTP = func(c *httpapi.Config) { c.Signup = true }
	return testserver.New(t, o)
}

func TestOpenAPIDescribesEveryRouteAndNoOther(t *testing.T) {
	s := fullServer(t, testserver.Options{})
	registered := httpapi.RoutePatterns(s.Handler)
	if len(registered) < 30 {
		t.Fatalf("only %d routes recorded: %v", len(registered), registered)
	}
	ops := decodeOpenAPI(t, httpapi.OpenAPIDocument).operations(t)
	for _, p := range registered {
		op, ok := ops[p]
		if !ok {
			t.Errorf("route %q is registered but not described in httpapi/openapi.json", p)
			continue
		}
		if op.Summary == "" || op.OperationID == "" || len(op.Responses) == 0 {
			t.Errorf("%s: described without a summary, an operationId or responses", p)
		}
	}
	ids := map[string]string{}
	for p, op := range ops {
		if !slices.Contains(registered, p) {
			t.Errorf("%s is described in httpapi/openapi.json but no such route is registered", p)
		}
		if other, ok := ids[op.OperationID]; ok {
			t.Errorf("%s and %s have the same operationId %q", p, other, op.OperationID)
		}
		ids[op.OperationID] = p
		// Each {name} of the path is a declared path parameter, and no
		// other is (OpenAPI 3.1 §4.8.12.1).
		var inPath, declared []string
		for _, seg := range strings.Split(p, "/") {
			if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
				inPath = append(inPath, strings.Trim(seg, "{}"))
			}
		}
		for _, prm := range op.Parameters {
			if prm.In == "path" {
				declared = append(declared, prm.Name)
			}
		}
		slices.Sort(inPath)
		slices.Sort(declared)
		if !slices.Equal(inPath, declared) {
			t.Errorf("%s: path parameters %v declared, the path has %v", p, declared, inPath)
		}
	}
}

func TestOpenAPIServedIsFilledInForThisServer(t *testing.T) {
	s := testserver.New(t, testserver.Options{}) // no sign-up
	r := s.Do(t, "GET", "/openapi.json", "", nil, nil)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /openapi.json: %s", r)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
		Paths      map[string]any `json:"paths"`
		Components struct {
			SecuritySchemes struct {
				PasswordLogin struct {
					Flows struct {
						Password struct {
							TokenURL string `json:"tokenUrl"`
						} `json:"password"`
					} `json:"flows"`
				} `json:"passwordLogin"`
				AccessCookie struct {
					Name string `json:"name"`
				} `json:"accessCookie"`
			} `json:"securitySchemes"`
		} `json:"components"`
	}
	r.Decode(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != testserver.Issuer {
		t.Errorf("servers %+v, want the issuer %s", doc.Servers, testserver.Issuer)
	}
	if got := doc.Components.SecuritySchemes.PasswordLogin.Flows.Password.TokenURL; got != testserver.Issuer+"/token" {
		t.Errorf("password flow tokenUrl %q, want %s/token", got, testserver.Issuer)
	}
	if got := doc.Components.SecuritySchemes.AccessCookie.Name; got != "__Host-gatehouse-access" {
		t.Errorf("access cookie %q, want the server's __Host-gatehouse-access", got)
	}
	if _, ok := doc.Paths["/signup"]; ok {
		t.Error("/signup is served in the document of a server without sign-up")
	}
	if _, ok := doc.Paths["/token"]; !ok {
		t.Error("/token is missing from the served document")
	}
}

// specChecker holds real answers to the document: each status must be
// one the operation lists, with a body of a documented media type that
// its schema accepts and the headers it declares.
type specChecker struct {
	doc      openAPIDoc
	ops      map[string]openAPIOperation
	compiler *jsonschema.Compiler
	checked  map[string]bool
}

func newSpecChecker(t *testing.T) *specChecker {
	t.Helper()
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(httpapi.OpenAPIDocument))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("mem:///openapi.json", raw); err != nil {
		t.Fatal(err)
	}
	d := decodeOpenAPI(t, httpapi.OpenAPIDocument)
	return &specChecker{doc: d, ops: d.operations(t), compiler: c, checked: map[string]bool{}}
}

// pointerEscape escapes a JSON pointer token (RFC 6901).
func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// check holds r, the answer to op ("METHOD /path/{template}"), to the
// document.
func (c *specChecker) check(t *testing.T, op string, r *testserver.Response) {
	t.Helper()
	o, ok := c.ops[op]
	if !ok {
		t.Fatalf("%s is not in the document", op)
	}
	code := fmt.Sprint(r.Status)
	resp, ok := o.Responses[code]
	if !ok {
		t.Errorf("%s answered %s, a status the document does not list", op, r)
		return
	}
	method, path, _ := strings.Cut(op, " ")
	base := "#/paths/" + pointerEscape(path) + "/" + strings.ToLower(method) + "/responses/" + code
	if resp.Ref != "" {
		base = resp.Ref
		name := strings.TrimPrefix(resp.Ref, "#/components/responses/")
		resp = c.doc.Components.Responses[name]
	}
	for h := range resp.Headers {
		if r.Header.Get(h) == "" {
			t.Errorf("%s %d: no %s header, which the document declares", op, r.Status, h)
		}
	}
	c.checked[op+" "+code] = true
	if len(resp.Content) == 0 {
		if len(bytes.TrimSpace(r.Body)) != 0 {
			t.Errorf("%s %d: a body (%q) where the document has none", op, r.Status, r.Body)
		}
		return
	}
	ct := r.Header.Get("Content-Type")
	mt, _, _ := strings.Cut(ct, ";")
	if _, ok := resp.Content[mt]; !ok {
		t.Errorf("%s %d: Content-Type %q, the document has %v", op, r.Status, ct, keys(resp.Content))
		return
	}
	if !strings.Contains(mt, "json") {
		return
	}
	sch, err := c.compiler.Compile("mem:///openapi.json" + base + "/content/" + pointerEscape(mt) + "/schema")
	if err != nil {
		t.Fatalf("%s %d: compile the schema: %v", op, r.Status, err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.Body))
	if err != nil {
		t.Errorf("%s %d: body %q: %v", op, r.Status, r.Body, err)
		return
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("%s %d: body %s does not match the document's schema: %v", op, r.Status, r.Body, err)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

const (
	specPW    = "correct horse battery"
	specAdmin = "admin password here"
)

func TestOpenAPIRealAnswersMatchTheSchemas(t *testing.T) {
	s := fullServer(t, testserver.Options{Throttle: &testserver.NoLimits})
	s.AddUser("alice", specPW, "orders:read", "orders:write")
	s.AddUser("root", specAdmin, gatehouse.AdminScope)
	s.AddClient("orders-api", "orders-secret")
	c := newSpecChecker(t)
	form, basic := testserver.Form, http.Header{"Authorization": {"Basic b3JkZXJzLWFwaTpvcmRlcnMtc2VjcmV0"}} // orders-api:orders-secret
	jsonHeader := func(tok string) http.Header {
		h := http.Header{"X-Requested-With": {"spec"}}
		if tok != "" {
			h.Set("Authorization", "Bearer "+tok)
		}
		return h
	}
	doJSON := func(method, target string, h http.Header, body string) *testserver.Response {
		return s.Do(t, method, target, "application/json", strings.NewReader(body), h)
	}

	// OAuth 2.0
	r, alice := s.TryLogin(t, "alice", specPW)
	c.check(t, "POST /token", r)
	r, _ = s.TryLogin(t, "alice", "wrong password")
	c.check(t, "POST /token", r)
	c.check(t, "POST /token", s.PostForm(t, "/token", form("grant_type", "implicit"), nil))
	c.check(t, "POST /token", s.PostForm(t, "/token", form("grant_type", "password", "client_id", "nobody"), nil))
	c.check(t, "POST /token", s.Do(t, "POST", "/token", "application/json", strings.NewReader(`{"grant_type":"client_credentials"}`), basic))
	c.check(t, "POST /token", s.PostForm(t, "/token", form("grant_type", "password", "password", strings.Repeat("x", 70<<10)), nil))
	r, refreshed := s.TryRefresh(t, alice.RefreshToken, nil)
	c.check(t, "POST /token", r)
	c.check(t, "POST /introspect", s.PostForm(t, "/introspect", form("token", refreshed.AccessToken), basic))
	c.check(t, "POST /introspect", s.PostForm(t, "/introspect", form("token", "not a token"), basic))
	c.check(t, "POST /introspect", s.PostForm(t, "/introspect", form("token", refreshed.AccessToken), nil))
	c.check(t, "GET /revocations", s.Do(t, "GET", "/revocations?since=0", "", nil, basic))
	c.check(t, "GET /revocations", s.Do(t, "GET", "/revocations?since=-1", "", nil, basic))

	// The caller's own routes.
	c.check(t, "GET /userinfo", s.Bearer(t, "GET", "/userinfo", refreshed.AccessToken))
	c.check(t, "GET /userinfo", s.Do(t, "GET", "/userinfo", "", nil, nil))
	c.check(t, "GET /userinfo", s.Bearer(t, "GET", "/userinfo", "not.a.token"))
	c.check(t, "GET /userinfo", s.Do(t, "GET", "/userinfo?access_token=x", "", nil, nil))
	c.check(t, "GET /sessions", s.Bearer(t, "GET", "/sessions", refreshed.AccessToken))
	c.check(t, "DELETE /sessions/{id}", s.Bearer(t, "DELETE", "/sessions/nosuchsession", refreshed.AccessToken))
	other := s.Login(t, "alice", specPW)
	c.check(t, "POST /logout", s.Bearer(t, "POST", "/logout", other.AccessToken))
	c.check(t, "POST /revoke", s.PostForm(t, "/revoke", form("token", refreshed.RefreshToken), nil))
	c.check(t, "POST /revoke", s.PostForm(t, "/revoke", form("token_type_hint", "access_token"), nil))
	c.check(t, "POST /signup", s.PostForm(t, "/signup", form("username", "bob", "password", "bobs password"), nil))
	c.check(t, "POST /signup", s.PostForm(t, "/signup", form("username", "bob", "password", "bobs password"), nil))

	// Browser mode.
	login := doJSON("POST", "/session/login", jsonHeader(""), `{"username":"alice","password":"`+specPW+`"}`)
	c.check(t, "POST /session/login", login)
	c.check(t, "POST /session/login", doJSON("POST", "/session/login", nil, `{"username":"alice","password":"`+specPW+`"}`))
	c.check(t, "POST /session/refresh", doJSON("POST", "/session/refresh", jsonHeader(""), `{}`))
	b := s.Login(t, "alice", specPW)
	c.check(t, "POST /session/password", doJSON("POST", "/session/password", jsonHeader(b.AccessToken),
		`{"current_password":"`+specPW+`","new_password":"`+specPW+` 2"}`))
	b = s.Login(t, "alice", specPW+" 2")
	c.check(t, "POST /session/logout", doJSON("POST", "/session/logout", jsonHeader(b.AccessToken), `{}`))
	c.check(t, "GET /account", s.Do(t, "GET", "/account", "", nil, nil))
	c.check(t, "GET /account/{asset}", s.Do(t, "GET", "/account/account.js", "", nil, nil))
	c.check(t, "GET /account/{asset}", s.Do(t, "GET", "/account/account.html", "", nil, nil))

	// Discovery and operations.
	for _, p := range []string{"/.well-known/jwks.json", "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration",
		"/openapi.json", "/docs", "/healthz", "/readyz", "/metrics"} {
		c.check(t, "GET "+p, s.Do(t, "GET", p, "", nil, nil))
	}
	c.check(t, "GET /docs/{file}", s.Do(t, "GET", "/docs/docs-init.js", "", nil, nil))
	c.check(t, "GET /docs/{file}", s.Do(t, "GET", "/docs/nosuchfile", "", nil, nil))

	// Admin.
	admin := s.Login(t, "root", specAdmin, "scope", gatehouse.AdminScope).AccessToken
	c.check(t, "GET /admin/users", s.Bearer(t, "GET", "/admin/users", s.Login(t, "alice", specPW+" 2").AccessToken))
	c.check(t, "GET /admin/users", s.Bearer(t, "GET", "/admin/users", admin))
	c.check(t, "GET /admin/users", s.Bearer(t, "GET", "/admin/users?limit=0", admin))
	r = s.PostJSON(t, "POST", "/admin/users", admin, map[string]any{"username": "carol", "password": "carols password", "scopes": []string{"orders:read"}, "claims": map[string]any{"tenant": 7}})
	c.check(t, "POST /admin/users", r)
	var carol struct{ ID string }
	r.Decode(t, &carol)
	c.check(t, "POST /admin/users", s.PostJSON(t, "POST", "/admin/users", admin, map[string]any{"username": "carol", "password": "carols password"}))
	c.check(t, "GET /admin/users/{id}", s.Bearer(t, "GET", "/admin/users/"+carol.ID, admin))
	c.check(t, "GET /admin/users/{id}", s.Bearer(t, "GET", "/admin/users/nosuchuser", admin))
	c.check(t, "PATCH /admin/users/{id}", s.PostJSON(t, "PATCH", "/admin/users/"+carol.ID, admin, map[string]any{"disabled": true}))
	c.check(t, "GET /admin/users/{id}/sessions", s.Bearer(t, "GET", "/admin/users/"+carol.ID+"/sessions", admin))
	c.check(t, "POST /admin/users/{id}/revoke-sessions", s.Bearer(t, "POST", "/admin/users/"+carol.ID+"/revoke-sessions", admin))
	c.check(t, "DELETE /admin/users/{id}/sessions/{sid}", s.Bearer(t, "DELETE", "/admin/users/"+carol.ID+"/sessions/nosuch", admin))
	c.check(t, "DELETE /admin/users/{id}", s.Bearer(t, "DELETE", "/admin/users/"+carol.ID, admin))
	r = s.PostJSON(t, "POST", "/admin/clients", admin, map[string]any{"client_id": "reports", "scopes": []string{"reports:read"}})
	c.check(t, "POST /admin/clients", r)
	c.check(t, "GET /admin/clients", s.Bearer(t, "GET", "/admin/clients", admin))
	c.check(t, "GET /admin/clients/{id}", s.Bearer(t, "GET", "/admin/clients/reports", admin))
	c.check(t, "POST /admin/clients/{id}/rotate-secret", s.Bearer(t, "POST", "/admin/clients/reports/rotate-secret", admin))
	c.check(t, "DELETE /admin/clients/{id}", s.Bearer(t, "DELETE", "/admin/clients/reports", admin))
	c.check(t, "GET /admin/events", s.Bearer(t, "GET", "/admin/events?limit=5", admin))
	c.check(t, "GET /admin/keys", s.Bearer(t, "GET", "/admin/keys", admin))
	c.check(t, "POST /admin/keys/rotate", s.Bearer(t, "POST", "/admin/keys/rotate", admin)) // 409: the next key is new
	s.Clock.Advance(time.Hour)
	admin = s.Login(t, "root", specAdmin, "scope", gatehouse.AdminScope).AccessToken
	c.check(t, "POST /admin/keys/rotate", s.Bearer(t, "POST", "/admin/keys/rotate", admin))
	var keys struct {
		Keys []struct{ KID, State string }
	}
	s.Bearer(t, "GET", "/admin/keys", admin).Decode(t, &keys)
	for _, k := range keys.Keys {
		if k.State == "retired" {
			c.check(t, "POST /admin/keys/{kid}/revoke", s.Bearer(t, "POST", "/admin/keys/"+k.KID+"/revoke", admin))
		}
	}
	c.check(t, "POST /admin/keys/{kid}/revoke", s.Bearer(t, "POST", "/admin/keys/nosuchkey/revoke", admin))

	// Every operation was held to the document at least once, with a
	// success and with an error wherever one was sent.
	for op := range c.ops {
		found := false
		for k := range c.checked {
			if strings.HasPrefix(k, op+" ") {
				found = true
			}
		}
		if !found {
			t.Errorf("no answer of %s was checked", op)
		}
	}
}

func TestOpenAPIThrottledAndBusyAnswersMatchTheSchemas(t *testing.T) {
	c := newSpecChecker(t)
	t.Run("429 with Retry-After", func(t *testing.T) {
		s := testserver.New(t, testserver.Options{}) // the default throttle
		s.AddUser("alice", specPW)
		var last *testserver.Response
		for range 10 {
			last, _ = s.TryLogin(t, "alice", "wrong password")
			if last.Status == http.StatusTooManyRequests {
				break
			}
		}
		if last.Status != http.StatusTooManyRequests {
			t.Fatalf("10 wrong passwords: %s, want 429", last)
		}
		c.check(t, "POST /token", last)
	})
	t.Run("503 with Retry-After", func(t *testing.T) {
		s := testserver.New(t, testserver.Options{
			Hashing:  &password.Config{MaxConcurrent: 1, MaxWait: time.Millisecond},
			Throttle: &testserver.NoLimits,
		})
		answers := make(chan *testserver.Response, 8)
		for i := range 8 {
			go func() {
				r, _ := s.TryLogin(t, fmt.Sprintf("nobody%d", i), "whatever it is")
				answers <- r
			}()
		}
		busy := 0
		for range 8 {
			r := <-answers
			c.check(t, "POST /token", r)
			if r.Status == http.StatusServiceUnavailable {
				busy++
			}
		}
		if busy == 0 {
			t.Fatal("8 concurrent logins through one hashing slot: no 503")
		}
	})
}
