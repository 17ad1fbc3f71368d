package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

func TestAdminListsTheKeysWithoutTheirPrivateHalves(t *testing.T) {
	f, _, tk, root := adminFixture(t)
	w := f.admin(root, "GET", "/admin/keys", "")
	var out struct {
		Alg        string `json:"alg"`
		Rotation   int64  `json:"rotation_seconds"`
		JWKSMaxAge int64  `json:"jwks_max_age_seconds"`
		KEKID      string `json:"kek_id"`
		Keys       []struct {
			KID       string     `json:"kid"`
			State     string     `json:"state"`
			SignsFrom *time.Time `json:"signs_from"`
		} `json:"keys"`
	}
	decode(t, w, &out)
	if w.Code != 200 || out.Alg != "ES256" || out.Rotation != 720*3600 || out.JWKSMaxAge != 300 || out.KEKID != f.srv.KEK.ID() || len(out.Keys) != 2 {
		t.Fatalf("GET /admin/keys: %d %s", w.Code, w.Body)
	}
	for _, k := range out.Keys {
		if k.State == "next" && (k.SignsFrom == nil || !k.SignsFrom.Equal(f.clock.Now().Add(5*time.Minute+gatehouse.KeyPublishMargin))) {
			t.Errorf("next key %s signs from %v", k.KID, k.SignsFrom)
		}
	}
	for _, member := range []string{"private", "sealed", `"d"`} {
		if strings.Contains(w.Body.String(), member) {
			t.Errorf("GET /admin/keys shows %s: %s", member, w.Body)
		}
	}
	if w := f.admin(tk.AccessToken, "GET", "/admin/keys", ""); w.Code != http.StatusForbidden {
		t.Errorf("a user without the admin scope: %d", w.Code)
	}
}

func TestAdminRevokesAKeyAtOnce(t *testing.T) {
	f, _, tk, root := adminFixture(t)
	active := f.keys.ActiveKey().ID()
	before := f.keys.KeySet().Keys()

	t.Run("an unknown kid is 404 and changes nothing", func(t *testing.T) {
		w := f.admin(root, "POST", "/admin/keys/no-such-kid/revoke", "")
		if w.Code != http.StatusNotFound || oauthErr(t, w) != "not_found" {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if f.keys.ActiveKey().ID() != active || len(f.keys.KeySet().Keys()) != len(before) {
			t.Error("a refused revocation changed the keys")
		}
		if rs, _ := f.store.Revocations(f.ctx, 0, 10, f.clock.Now()); len(rs) != 0 {
			t.Errorf("a refused revocation wrote the feed: %+v", rs)
		}
	})
	t.Run("the active key: its tokens are refused, the next key signs, the feed says so", func(t *testing.T) {
		w := f.admin(root, "POST", "/admin/keys/"+active+"/revoke", "")
		var out struct {
			Revoked  string `json:"revoked_kid"`
			State    string `json:"state"`
			Active   string `json:"active_kid"`
			ForgetAt int64  `json:"forget_at"`
		}
		decode(t, w, &out)
		if w.Code != 200 || out.Revoked != active || out.State != "active" || out.Active == active || out.Active != f.keys.ActiveKey().ID() {
			t.Fatalf("revoke: %d %s", w.Code, w.Body)
		}
		if _, ok := f.keys.KeySet().Key(active); ok {
			t.Error("the revoked key is still in the key set")
		}
		if jwks := f.do(req{method: "GET", target: "/.well-known/jwks.json"}); strings.Contains(jwks.Body.String(), active) {
			t.Error("the revoked key is still in the JWKS")
		}
		// Every token it signed is refused: the user's, and the admin's own.
		for name, tok := range map[string]string{"user": tk.AccessToken, "admin": root} {
			if w := f.bearer("GET", "/userinfo", tok); w.Code != http.StatusUnauthorized {
				t.Errorf("%s token of the revoked key: %d", name, w.Code)
			}
		}
		rs, err := f.store.Revocations(f.ctx, 0, 10, f.clock.Now())
		if err != nil || len(rs) != 1 || rs[0].Kind != "kid" || rs[0].Value != active || rs[0].ForgetAt.Unix() != out.ForgetAt {
			t.Fatalf("feed %+v, %v; want the kid entry", rs, err)
		}
		// The feed's wire form.
		f.addClient("orders-api", "s3cret-s3cret")
		fw := f.do(req{method: "GET", target: "/revocations", header: basic("orders-api", "s3cret-s3cret")})
		if fw.Code != 200 || !strings.Contains(fw.Body.String(), `"kind":"kid","value":"`+active+`"`) {
			t.Errorf("GET /revocations: %d %s", fw.Code, fw.Body)
		}
	})
}
