package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse/gatehouse"
)

func TestAdminUsersWithClaimsAndImportedHashes(t *testing.T) {
	f, _, _, root := adminFixture(t)
	h, _ := bcrypt.GenerateFromPassword([]byte("carol's old password"), bcrypt.MinCost)
	w := f.admin(root, "POST", "/admin/users", fmt.Sprintf(`{"username":"carol","password_hash":%q,"scopes":["orders:read"],"claims":{"role":"admin","tenant":{"id":7}}}`, h))
	if w.Code != http.StatusCreated {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var u struct {
		ID     string                     `json:"id"`
		Claims map[string]json.RawMessage `json:"claims"`
	}
	decode(t, w, &u)
	if string(u.Claims["role"]) != `"admin"` || string(u.Claims["tenant"]) != `{"id":7}` || strings.Contains(w.Body.String(), "$2a$") {
		t.Fatalf("created %s", w.Body)
	}
	tk := f.login("carol", "carol's old password")
	c, err := f.sessions.Authenticate(f.ctx, tk.AccessToken)
	if err != nil || string(c.Extra["role"]) != `"admin"` {
		t.Fatalf("carol's token claims %v, %v", c, err)
	}
	stored, _ := f.store.UserByID(f.ctx, u.ID)
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$") {
		t.Errorf("the imported bcrypt hash was not upgraded at login")
	}

	// PATCH merges claims: a value sets, null removes.
	w = f.admin(root, "PATCH", "/admin/users/"+u.ID, `{"claims":{"role":"user","tenant":null,"dept":"ops"}}`)
	u.Claims = nil
	decode(t, w, &u)
	if w.Code != 200 || len(u.Claims) != 2 || string(u.Claims["role"]) != `"user"` || string(u.Claims["dept"]) != `"ops"` {
		t.Fatalf("PATCH claims: %d %s", w.Code, w.Body)
	}
	// The session lives on; its next refresh carries the new claims.
	w = f.refresh(tk.RefreshToken)
	var rt tokens
	decode(t, w, &rt)
	c, err = f.sessions.Authenticate(f.ctx, rt.AccessToken)
	if err != nil || string(c.Extra["role"]) != `"user"` || c.Extra["tenant"] != nil {
		t.Fatalf("refreshed token claims %v, %v", c.Extra, err)
	}

	big := strings.Repeat("x", gatehouse.MaxCustomClaimsSize)
	for _, tc := range []struct {
		name, method, target, body, want string
	}{
		{"a reserved claim on create", "POST", "/admin/users", `{"username":"dave","password":"dave password 1","claims":{"sub":"root"}}`, `custom claim \"sub\"`},
		{"a reserved claim in another case", "POST", "/admin/users", `{"username":"dave","password":"dave password 1","claims":{"Scope":"x"}}`, `custom claim \"Scope\"`},
		{"oversize claims", "POST", "/admin/users", `{"username":"dave","password":"dave password 1","claims":{"blob":"` + big + `"}}`, "more than the 1024"},
		{"claims that are not an object", "POST", "/admin/users", `{"username":"dave","password":"dave password 1","claims":["role"]}`, "malformed JSON body"},
		{"a hash in no known format", "POST", "/admin/users", `{"username":"dave","password_hash":"$6$salt$hash"}`, "password_hash: "},
		{"a password and a hash", "POST", "/admin/users", fmt.Sprintf(`{"username":"dave","password":"dave password 1","password_hash":%q}`, h), "not both"},
		{"neither password nor hash", "POST", "/admin/users", `{"username":"dave"}`, "required"},
		{"a reserved claim on PATCH", "PATCH", "/admin/users/" + u.ID, `{"claims":{"exp":1}}`, `custom claim \"exp\"`},
		{"a claim name that differs by case on PATCH", "PATCH", "/admin/users/" + u.ID, `{"claims":{"ROLE":"x"}}`, "only by case"},
		{"a claim given twice", "PATCH", "/admin/users/" + u.ID, `{"claims":{"role":"a","role":"admin"}}`, `member \"role\" given twice`},
		{"scopes given twice", "POST", "/admin/users", `{"username":"dave","password":"dave password 1","scopes":[],"scopes":["gatehouse:admin"]}`, `member \"scopes\" given twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := f.admin(root, tc.method, tc.target, tc.body)
			if w.Code != 400 || oauthErr(t, w) != "invalid_request" || !strings.Contains(w.Body.String(), tc.want) {
				t.Fatalf("%d %s, want 400 invalid_request saying %q", w.Code, w.Body, tc.want)
			}
		})
	}
	if _, err := f.store.UserByUsername(f.ctx, "dave"); err == nil {
		t.Error("a refused create stored dave")
	}
	after, _ := f.store.UserByID(f.ctx, u.ID)
	if len(after.Claims) != 2 || string(after.Claims["role"]) != `"user"` {
		t.Errorf("refused PATCHes changed the claims: %s", after.Claims)
	}
}

func TestAdminLooksUsersUpByNameAndPagesThroughThem(t *testing.T) {
	f, _, _, root := adminFixture(t)
	for i := range 7 {
		f.addUser(fmt.Sprintf("user%d", i), "a password 123")
	}
	var page struct {
		Users []struct{ Username string } `json:"users"`
		Next  string                      `json:"next"`
	}
	w := f.admin(root, "GET", "/admin/users?username=USER3", "")
	decode(t, w, &page)
	if w.Code != 200 || len(page.Users) != 1 || page.Users[0].Username != "user3" || page.Next != "" {
		t.Fatalf("look-up by name: %d %s", w.Code, w.Body)
	}
	w = f.admin(root, "GET", "/admin/users?username=nobody", "")
	decode(t, w, &page)
	if w.Code != 200 || len(page.Users) != 0 {
		t.Fatalf("look-up of an unknown name: %d %s", w.Code, w.Body)
	}
	var names []string
	target := "/admin/users?limit=3"
	for range 10 {
		w := f.admin(root, "GET", target, "")
		page.Users, page.Next = nil, ""
		decode(t, w, &page)
		if w.Code != 200 || len(page.Users) > 3 {
			t.Fatalf("%s: %d %s", target, w.Code, w.Body)
		}
		for _, u := range page.Users {
			names = append(names, u.Username)
		}
		if page.Next == "" {
			break
		}
		target = "/admin/users?limit=3&after=" + page.Next
	}
	want := []string{"alice", "root", "user0", "user1", "user2", "user3", "user4", "user5", "user6"}
	if !slices.Equal(names, want) {
		t.Fatalf("paged %q, want %q", names, want)
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "after=%%%", "after=!!", "username=a&limit=2", "bogus=1", "limit=1&limit=2"} {
		if w := f.admin(root, "GET", "/admin/users?"+q, ""); w.Code != 400 {
			t.Errorf("?%s: %d %s, want 400", q, w.Code, w.Body)
		}
	}
}

func TestAdminSeesAndEndsAUsersSessions(t *testing.T) {
	f, alice, tk, root := adminFixture(t)
	w := f.admin(root, "GET", "/admin/users/"+alice.ID+"/sessions", "")
	var out struct {
		Sessions []struct {
			ID       string `json:"id"`
			ClientID string `json:"client_id"`
		} `json:"sessions"`
	}
	decode(t, w, &out)
	if w.Code != 200 || len(out.Sessions) != 1 || out.Sessions[0].ClientID != "gatehouse" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	sid := out.Sessions[0].ID
	if w := f.admin(root, "DELETE", "/admin/users/"+alice.ID+"/sessions/nope", ""); w.Code != 404 {
		t.Errorf("ending an unknown session: %d", w.Code)
	}
	rootUser, _ := f.store.UserByUsername(f.ctx, "root")
	if w := f.admin(root, "DELETE", "/admin/users/"+rootUser.ID+"/sessions/"+sid, ""); w.Code != 404 {
		t.Errorf("ending alice's session under another user: %d", w.Code)
	}
	if w := f.bearer("GET", "/userinfo", tk.AccessToken); w.Code != 200 {
		t.Fatalf("refused requests ended the session: %d", w.Code)
	}
	if w := f.admin(root, "DELETE", "/admin/users/"+alice.ID+"/sessions/"+sid, ""); w.Code != 204 {
		t.Fatalf("ending the session: %d %s", w.Code, w.Body)
	}
	if w := f.bearer("GET", "/userinfo", tk.AccessToken); w.Code != 401 {
		t.Errorf("the ended session's access token: %d", w.Code)
	}
	if w := f.admin(root, "GET", "/admin/users/nobody/sessions", ""); w.Code != 404 {
		t.Errorf("sessions of an unknown user: %d", w.Code)
	}
}

func TestAdminClients(t *testing.T) {
	f, _, _, root := adminFixture(t)
	w := f.admin(root, "POST", "/admin/clients", `{"client_id":"orders-api","name":"Orders","scopes":["orders:read"],"audience":["https://orders.example"],"access_ttl":300}`)
	var c map[string]any
	decode(t, w, &c)
	secret, _ := c["client_secret"].(string)
	if w.Code != 201 || c["client_id"] != "orders-api" || c["type"] != "confidential" || len(secret) != 52 || c["access_ttl"] != 300.0 {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	w = f.admin(root, "POST", "/admin/clients", `{"name":"My SPA","public":true}`)
	c = nil
	decode(t, w, &c)
	spa, _ := c["client_id"].(string)
	if w.Code != 201 || c["type"] != "public" || c["client_secret"] != nil || !strings.HasPrefix(spa, "gh_") {
		t.Fatalf("create public: %d %s", w.Code, w.Body)
	}
	w = f.admin(root, "GET", "/admin/clients/orders-api", "")
	if w.Code != 200 || strings.Contains(w.Body.String(), "secret") || strings.Contains(w.Body.String(), "$gh-sha256$") {
		t.Fatalf("get: %d %s, want no secret nor hash", w.Code, w.Body)
	}
	w = f.admin(root, "GET", "/admin/clients", "")
	var list struct {
		Clients []struct {
			ClientID string `json:"client_id"`
		} `json:"clients"`
	}
	decode(t, w, &list)
	if w.Code != 200 || len(list.Clients) != 4 { // api, mobile (the fixture's), orders-api, the SPA
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	w = f.admin(root, "POST", "/admin/clients/orders-api/rotate-secret", "")
	var rot map[string]string
	decode(t, w, &rot)
	if w.Code != 200 || rot["client_secret"] == secret || len(rot["client_secret"]) != 52 {
		t.Fatalf("rotate: %d %s", w.Code, w.Body)
	}
	if w := f.do(req{method: "POST", target: "/token", body: form("grant_type", "client_credentials"), header: basic("orders-api", secret)}); w.Code != 401 {
		t.Errorf("the old secret after an admin rotation: %d", w.Code)
	}
	for _, tc := range []struct {
		name, method, target, body string
		status                     int
	}{
		{"a taken client_id", "POST", "/admin/clients", `{"client_id":"orders-api"}`, 409},
		{"the first-party id", "POST", "/admin/clients", `{"client_id":"gatehouse"}`, 400},
		{"a bad client_id", "POST", "/admin/clients", `{"client_id":"a b"}`, 400},
		{"a negative lifetime", "POST", "/admin/clients", `{"client_id":"x","access_ttl":-1}`, 400},
		{"a lifetime over a day", "POST", "/admin/clients", `{"client_id":"x","access_ttl":86401}`, 400},
		{"a bad scope", "POST", "/admin/clients", `{"client_id":"x","scopes":["a b"]}`, 400},
		{"an unknown member", "POST", "/admin/clients", `{"client_id":"x","secret":"mine"}`, 400},
		{"rotating a public client", "POST", "/admin/clients/" + spa + "/rotate-secret", "", 400},
		{"an unknown client", "GET", "/admin/clients/nobody", "", 404},
		{"deleting an unknown client", "DELETE", "/admin/clients/nobody", "", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if w := f.admin(root, tc.method, tc.target, tc.body); w.Code != tc.status {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tc.status)
			}
		})
	}
	if w := f.admin(root, "GET", "/admin/clients/x", ""); w.Code != 404 {
		t.Errorf("a refused create stored client x: %d", w.Code)
	}
	// Deleting a client ends the sessions of its users.
	tk := f.login("alice", alicePW, "client_id", spa)
	w = f.admin(root, "DELETE", "/admin/clients/"+spa, "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"sessions_ended":1`) {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	if w := f.bearer("GET", "/userinfo", tk.AccessToken); w.Code != 401 {
		t.Errorf("a token through a deleted client: %d", w.Code)
	}
	// A non-admin cannot.
	if w := f.bearer("GET", "/admin/clients", tk.AccessToken); w.Code != 401 && w.Code != 403 {
		t.Errorf("non-admin: %d", w.Code)
	}
}
