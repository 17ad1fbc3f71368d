package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

// The store takes sealed keys as opaque bytes: the suite's keys are
// stand-ins, "sealed:"+id under the KEK named testKEK.
const testKEK = "kek-1"

func newKey(id string, state gatehouse.KeyState, created time.Time) *gatehouse.SigningKey {
	k := &gatehouse.SigningKey{
		ID: id, Algorithm: "ES256", PublicKey: []byte("public:" + id), PrivateKey: []byte("sealed:" + id),
		KEKID: testKEK, State: state, CreatedAt: created,
	}
	if state == gatehouse.KeyActive {
		k.ActivatedAt = created
	}
	return k
}

// adoptKEK makes testKEK the policy's KEK on a store without keys.
func adoptKEK(t *testing.T, s gatehouse.Store) {
	t.Helper()
	must(t, "SealSigningKeys (adopt the KEK)", s.SealSigningKeys(context.Background(), &gatehouse.KeySealing{From: "", To: testKEK}))
}

// initKeys adopts testKEK and stores the pair k1 (active) and k2 (next).
func initKeys(t *testing.T, s gatehouse.Store) {
	t.Helper()
	adoptKEK(t, s)
	ok, err := s.InitSigningKeys(context.Background(), newKey("k1", gatehouse.KeyActive, at(0)), newKey("k2", gatehouse.KeyNext, at(time.Second)))
	must(t, "InitSigningKeys", err)
	if !ok {
		t.Fatal("InitSigningKeys on an empty store stored nothing")
	}
}

func keyRotation(active, next, newNext string, now time.Time) *gatehouse.KeyRotation {
	return &gatehouse.KeyRotation{ActiveID: active, NextID: next, NewNext: newKey(newNext, gatehouse.KeyNext, now), Now: now}
}

// storedKeys returns the policy and the keys by id.
func storedKeys(t *testing.T, s gatehouse.Store) (*gatehouse.KeyPolicy, map[string]*gatehouse.SigningKey) {
	t.Helper()
	p, ks, err := s.SigningKeys(context.Background())
	must(t, "SigningKeys", err)
	m := make(map[string]*gatehouse.SigningKey, len(ks))
	for _, k := range ks {
		m[k.ID] = k
	}
	return p, m
}

// keyStates are the ids and states of the stored keys, newest first.
func keyStates(t *testing.T, s gatehouse.Store) []string {
	t.Helper()
	_, ks, err := s.SigningKeys(context.Background())
	must(t, "SigningKeys", err)
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.ID + ":" + string(k.State)
	}
	return out
}

// checkKey fails unless got is want, field by field.
func checkKey(t *testing.T, got, want *gatehouse.SigningKey) {
	t.Helper()
	if got == nil {
		t.Fatalf("key %s missing", want.ID)
	}
	if got.ID != want.ID || got.Algorithm != want.Algorithm || got.State != want.State || got.KEKID != want.KEKID ||
		!bytes.Equal(got.PublicKey, want.PublicKey) || !bytes.Equal(got.PrivateKey, want.PrivateKey) {
		t.Errorf("key = %+v\nwant  %+v", got, want)
	}
	checkTime(t, want.ID+" CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, want.ID+" ActivatedAt", got.ActivatedAt, want.ActivatedAt)
	checkTime(t, want.ID+" RetiredAt", got.RetiredAt, want.RetiredAt)
	checkTime(t, want.ID+" SignedUntil", got.SignedUntil, want.SignedUntil)
}

// kidEntries are the "kid" feed entries.
func kidEntries(t *testing.T, s gatehouse.Store) []gatehouse.Revocation {
	t.Helper()
	var out []gatehouse.Revocation
	for _, r := range feed(t, s, time.Time{}) {
		if r.Kind == gatehouse.RevokeKID {
			out = append(out, r)
		}
	}
	return out
}

var keyTests = []test{
	{"a new store has the default policy and no keys", func(t *testing.T, s gatehouse.Store) {
		p, ks, err := s.SigningKeys(context.Background())
		must(t, "SigningKeys", err)
		if len(ks) != 0 {
			t.Errorf("SigningKeys = %d keys, want none", len(ks))
		}
		if p.Algorithm != "ES256" || p.Rotation != 720*time.Hour || p.JWKSMaxAge != 5*time.Minute ||
			!p.JWKSStaleUntil.IsZero() || p.KEKID != "" || p.Version == 0 {
			t.Errorf("policy = %+v, want ES256, 720h, 5m, no KEK", p)
		}
	}},
	{"SetKeyPolicy writes if, and only if, the version is the stored one", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		adoptKEK(t, s)
		p, _ := storedKeys(t, s)
		v := p.Version
		p.Algorithm, p.Rotation, p.JWKSMaxAge, p.JWKSStaleUntil = "EdDSA", time.Hour, time.Second, at(time.Minute)
		p.KEKID = "another"
		must(t, "SetKeyPolicy", s.SetKeyPolicy(ctx, p))
		if p.Version != v+1 {
			t.Errorf("Version = %d, want %d", p.Version, v+1)
		}
		got, _ := storedKeys(t, s)
		if got.Algorithm != "EdDSA" || got.Rotation != time.Hour || got.JWKSMaxAge != time.Second || got.Version != v+1 {
			t.Errorf("policy = %+v", got)
		}
		checkTime(t, "JWKSStaleUntil", got.JWKSStaleUntil, at(time.Minute))
		if got.KEKID != testKEK {
			t.Errorf("SetKeyPolicy wrote the KEK id %q", got.KEKID)
		}
		stale := *got
		stale.Version = v
		stale.Algorithm = "RS256"
		wantErr(t, "SetKeyPolicy from an old version", s.SetKeyPolicy(ctx, &stale), gatehouse.ErrStale)
		if again, _ := storedKeys(t, s); again.Algorithm != "EdDSA" || again.Version != v+1 {
			t.Errorf("a stale SetKeyPolicy wrote: %+v", again)
		}
	}},
	{"InitSigningKeys stores the pair once, every field kept", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		adoptKEK(t, s)
		active, next := newKey("k1", gatehouse.KeyActive, at(0)), newKey("k2", gatehouse.KeyNext, at(time.Second))
		active.SignedUntil = at(time.Hour)
		ok, err := s.InitSigningKeys(ctx, active, next)
		must(t, "InitSigningKeys", err)
		if !ok {
			t.Fatal("InitSigningKeys on an empty store stored nothing")
		}
		ok, err = s.InitSigningKeys(ctx, newKey("k3", gatehouse.KeyActive, at(time.Hour)), newKey("k4", gatehouse.KeyNext, at(time.Hour)))
		must(t, "InitSigningKeys again", err)
		if ok {
			t.Error("InitSigningKeys stored a second pair")
		}
		if got, want := keyStates(t, s), []string{"k2:next", "k1:active"}; !equal(got, want) {
			t.Fatalf("keys = %q, want %q", got, want)
		}
		_, m := storedKeys(t, s)
		checkKey(t, m["k1"], active)
		checkKey(t, m["k2"], next)
	}},
	{"InitSigningKeys of keys under another KEK, or before any KEK, is ErrStale", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		_, err := s.InitSigningKeys(ctx, newKey("k1", gatehouse.KeyActive, at(0)), newKey("k2", gatehouse.KeyNext, at(0)))
		wantErr(t, "InitSigningKeys before a KEK", err, gatehouse.ErrStale)
		adoptKEK(t, s)
		other := newKey("k2", gatehouse.KeyNext, at(0))
		other.KEKID = "kek-2"
		_, err = s.InitSigningKeys(ctx, newKey("k1", gatehouse.KeyActive, at(0)), other)
		wantErr(t, "InitSigningKeys under another KEK", err, gatehouse.ErrStale)
		if ks := keyStates(t, s); len(ks) != 0 {
			t.Errorf("keys = %q, want none", ks)
		}
	}},
	{"RotateSigningKeys retires the active key, destroys its private part and promotes the next", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		initKeys(t, s)
		must(t, "RecordSigned", s.RecordSigned(ctx, "k1", at(20*time.Minute)))
		must(t, "RotateSigningKeys", s.RotateSigningKeys(ctx, keyRotation("k1", "k2", "k3", at(time.Hour))))
		must(t, "RotateSigningKeys", s.RotateSigningKeys(ctx, keyRotation("k2", "k3", "k4", at(2*time.Hour))))
		if got, want := keyStates(t, s), []string{"k4:next", "k3:active", "k2:retired", "k1:retired"}; !equal(got, want) {
			t.Errorf("keys = %q, want %q", got, want)
		}
		_, m := storedKeys(t, s)
		k1 := newKey("k1", gatehouse.KeyRetired, at(0))
		k1.PrivateKey, k1.ActivatedAt, k1.RetiredAt, k1.SignedUntil = nil, at(0), at(time.Hour), at(20*time.Minute)
		checkKey(t, m["k1"], k1)
		k2 := newKey("k2", gatehouse.KeyRetired, at(time.Second))
		k2.PrivateKey, k2.ActivatedAt, k2.RetiredAt = nil, at(time.Hour), at(2*time.Hour)
		checkKey(t, m["k2"], k2)
		k3 := newKey("k3", gatehouse.KeyActive, at(time.Hour))
		k3.ActivatedAt = at(2 * time.Hour)
		checkKey(t, m["k3"], k3)
		checkKey(t, m["k4"], newKey("k4", gatehouse.KeyNext, at(2*time.Hour)))
	}},
	{"RotateSigningKeys from keys that changed since is ErrStale and changes nothing", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		err := s.RotateSigningKeys(ctx, keyRotation("k1", "k2", "k3", at(time.Hour)))
		wantErr(t, "RotateSigningKeys without keys", err, gatehouse.ErrStale)
		initKeys(t, s)
		must(t, "RotateSigningKeys", s.RotateSigningKeys(ctx, keyRotation("k1", "k2", "k3", at(time.Hour))))
		for name, r := range map[string]*gatehouse.KeyRotation{
			"the same rotation again":    keyRotation("k1", "k2", "k4", at(2*time.Hour)),
			"the right active, old next": keyRotation("k2", "k1", "k4", at(2*time.Hour)),
			"the right next, old active": keyRotation("k1", "k3", "k4", at(2*time.Hour)),
		} {
			wantErr(t, "RotateSigningKeys: "+name, s.RotateSigningKeys(ctx, r), gatehouse.ErrStale)
		}
		other := keyRotation("k2", "k3", "k4", at(2*time.Hour))
		other.NewNext.KEKID = "kek-2"
		wantErr(t, "RotateSigningKeys to a key under another KEK", s.RotateSigningKeys(ctx, other), gatehouse.ErrStale)
		wantErr(t, "RotateSigningKeys to a taken id", s.RotateSigningKeys(ctx, keyRotation("k2", "k3", "k1", at(2*time.Hour))), gatehouse.ErrConflict)
		if got, want := keyStates(t, s), []string{"k3:next", "k2:active", "k1:retired"}; !equal(got, want) {
			t.Errorf("keys = %q, want %q", got, want)
		}
	}},
	{"ReplaceNextKey swaps the next key, if it is still the one seen", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		initKeys(t, s)
		ed := newKey("e1", gatehouse.KeyNext, at(time.Minute))
		ed.Algorithm = "EdDSA"
		must(t, "ReplaceNextKey", s.ReplaceNextKey(ctx, "k2", ed))
		if got, want := keyStates(t, s), []string{"e1:next", "k1:active"}; !equal(got, want) {
			t.Fatalf("keys = %q, want %q", got, want)
		}
		_, m := storedKeys(t, s)
		checkKey(t, m["e1"], ed)
		wantErr(t, "ReplaceNextKey of a next key replaced since", s.ReplaceNextKey(ctx, "k2", newKey("e2", gatehouse.KeyNext, at(time.Minute))), gatehouse.ErrStale)
		wantErr(t, "ReplaceNextKey of the active key", s.ReplaceNextKey(ctx, "k1", newKey("e2", gatehouse.KeyNext, at(time.Minute))), gatehouse.ErrStale)
		other := newKey("e2", gatehouse.KeyNext, at(time.Minute))
		other.KEKID = "kek-2"
		wantErr(t, "ReplaceNextKey by a key under another KEK", s.ReplaceNextKey(ctx, "e1", other), gatehouse.ErrStale)
		if got, want := keyStates(t, s), []string{"e1:next", "k1:active"}; !equal(got, want) {
			t.Errorf("keys = %q, want %q", got, want)
		}
	}},
	{"RecordSigned raises SignedUntil, never lowers it, and refuses a key that is gone", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		initKeys(t, s)
		must(t, "RecordSigned", s.RecordSigned(ctx, "k1", at(20*time.Minute)))
		must(t, "RecordSigned lower", s.RecordSigned(ctx, "k1", at(10*time.Minute)))
		_, m := storedKeys(t, s)
		checkTime(t, "SignedUntil", m["k1"].SignedUntil, at(20*time.Minute))
		must(t, "RecordSigned higher", s.RecordSigned(ctx, "k1", at(30*time.Minute)))
		_, m = storedKeys(t, s)
		checkTime(t, "SignedUntil", m["k1"].SignedUntil, at(30*time.Minute))
		wantErr(t, "RecordSigned of an unknown key", s.RecordSigned(ctx, "nope", at(time.Hour)), gatehouse.ErrNotFound)
		// A retired key still records: a replica that has not reloaded yet
		// signs with it for a moment.
		must(t, "RotateSigningKeys", s.RotateSigningKeys(ctx, keyRotation("k1", "k2", "k3", at(time.Hour))))
		must(t, "RecordSigned of a retired key", s.RecordSigned(ctx, "k1", at(time.Hour+15*time.Minute)))
		_, m = storedKeys(t, s)
		checkTime(t, "SignedUntil of the retired key", m["k1"].SignedUntil, at(time.Hour+15*time.Minute))
	}},
	{"DeleteRetiredKey deletes a retired key only once it retired and its SignedUntil passed before the cutoff", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		initKeys(t, s)
		must(t, "RecordSigned", s.RecordSigned(ctx, "k1", at(90*time.Minute)))
		must(t, "RotateSigningKeys", s.RotateSigningKeys(ctx, keyRotation("k1", "k2", "k3", at(time.Hour))))
		must(t, "RotateSigningKeys", s.RotateSigningKeys(ctx, keyRotation("k2", "k3", "k4", at(2*time.Hour))))
		for _, tc := range []struct {
			id     string
			before time.Time
			want   bool
		}{
			{"k1", at(90 * time.Minute), false}, // a token it signed lives until then
			{"k3", at(24 * time.Hour), false},   // active
			{"k4", at(24 * time.Hour), false},   // next
			{"nope", at(24 * time.Hour), false},
			{"k2", at(2 * time.Hour), false}, // retired then, without having signed: a replica may still
			{"k1", at(90*time.Minute + time.Microsecond), true},
			{"k2", at(2*time.Hour + time.Microsecond), true},
			{"k1", at(24 * time.Hour), false}, // gone already: not an error
		} {
			got, err := s.DeleteRetiredKey(ctx, tc.id, tc.before)
			must(t, "DeleteRetiredKey", err)
			if got != tc.want {
				t.Errorf("DeleteRetiredKey(%s, %v) = %v, want %v", tc.id, tc.before, got, tc.want)
			}
		}
		if got, want := keyStates(t, s), []string{"k4:next", "k3:active"}; !equal(got, want) {
			t.Errorf("keys = %q, want %q", got, want)
		}
	}},
	{"RevokeSigningKey of the active key: the next key signs, a new next key, a kid entry", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		initKeys(t, s)
		sess, _ := createSession(t, s, "s1", "u1", at(0))
		must(t, "RecordSigned", s.RecordSigned(ctx, "k1", at(40*time.Minute)))
		old, err := s.RevokeSigningKey(ctx, &gatehouse.KeyRevocation{ID: "k1", Replacement: newKey("k3", gatehouse.KeyNext, at(time.Minute)), At: at(time.Minute)})
		must(t, "RevokeSigningKey", err)
		if old.ID != "k1" || old.State != gatehouse.KeyActive {
			t.Errorf("RevokeSigningKey returned %+v, want the active key k1", old)
		}
		checkTime(t, "its SignedUntil", old.SignedUntil, at(40*time.Minute))
		if got, want := keyStates(t, s), []string{"k3:next", "k2:active"}; !equal(got, want) {
			t.Fatalf("keys = %q, want %q", got, want)
		}
		_, m := storedKeys(t, s)
		checkTime(t, "k2 ActivatedAt", m["k2"].ActivatedAt, at(time.Minute))
		es := kidEntries(t, s)
		if len(es) != 1 || es[0].Value != "k1" {
			t.Fatalf("kid entries %+v, want one for k1", es)
		}
		checkTime(t, "Time", es[0].Time, at(time.Minute))
		checkTime(t, "ForgetAt", es[0].ForgetAt, at(40*time.Minute).Add(gatehouse.RevocationMargin))
		wantErr(t, "RecordSigned of the revoked key", s.RecordSigned(ctx, "k1", at(time.Hour)), gatehouse.ErrNotFound)
		st, err := s.TokenState(ctx, sess.ID, "j1", "k1")
		must(t, "TokenState", err)
		if !st.KIDRevoked || st.JTIRevoked {
			t.Errorf("TokenState(kid k1) = KIDRevoked %v, JTIRevoked %v; want true, false", st.KIDRevoked, st.JTIRevoked)
		}
		for _, kid := range []string{"k2", ""} {
			st, err := s.TokenState(ctx, sess.ID, "j1", kid)
			must(t, "TokenState", err)
			if st.KIDRevoked {
				t.Errorf("TokenState(kid %q).KIDRevoked = true", kid)
			}
		}
	}},
	{"RevokeSigningKey of the next or a retired key", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		initKeys(t, s)
		must(t, "RotateSigningKeys", s.RotateSigningKeys(ctx, keyRotation("k1", "k2", "k3", at(time.Hour))))
		old, err := s.RevokeSigningKey(ctx, &gatehouse.KeyRevocation{ID: "k3", Replacement: newKey("k4", gatehouse.KeyNext, at(2*time.Hour)), At: at(2 * time.Hour)})
		must(t, "RevokeSigningKey of the next key", err)
		if old.State != gatehouse.KeyNext {
			t.Errorf("revoked %+v, want the next key", old)
		}
		if got, want := keyStates(t, s), []string{"k4:next", "k2:active", "k1:retired"}; !equal(got, want) {
			t.Fatalf("keys = %q, want %q", got, want)
		}
		_, err = s.RevokeSigningKey(ctx, &gatehouse.KeyRevocation{ID: "k1", At: at(3 * time.Hour)})
		must(t, "RevokeSigningKey of a retired key", err)
		if got, want := keyStates(t, s), []string{"k4:next", "k2:active"}; !equal(got, want) {
			t.Fatalf("keys = %q, want %q", got, want)
		}
		es := kidEntries(t, s)
		if len(es) != 2 || es[0].Value != "k3" || es[1].Value != "k1" || es[1].Cursor <= es[0].Cursor {
			t.Fatalf("kid entries %+v, want k3 then k1", es)
		}
		// Neither had a recorded exp: forgettable once every JWKS cached
		// with them (for five minutes, the default policy) has expired.
		cached := 5*time.Minute + gatehouse.KeyPublishMargin + gatehouse.RevocationMargin
		checkTime(t, "k3 ForgetAt", es[0].ForgetAt, at(2*time.Hour+cached))
		checkTime(t, "k1 ForgetAt", es[1].ForgetAt, at(3*time.Hour+cached))
	}},
	{"RevokeSigningKey of an unknown key, or without a replacement, changes nothing", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		initKeys(t, s)
		_, err := s.RevokeSigningKey(ctx, &gatehouse.KeyRevocation{ID: "nope", Replacement: newKey("k3", gatehouse.KeyNext, at(0)), At: at(time.Minute)})
		wantErr(t, "RevokeSigningKey of an unknown key", err, gatehouse.ErrNotFound)
		_, err = s.RevokeSigningKey(ctx, &gatehouse.KeyRevocation{ID: "k1", At: at(time.Minute)})
		wantErr(t, "RevokeSigningKey of the active key without a replacement", err, gatehouse.ErrStale)
		other := newKey("k3", gatehouse.KeyNext, at(0))
		other.KEKID = "kek-2"
		_, err = s.RevokeSigningKey(ctx, &gatehouse.KeyRevocation{ID: "k2", Replacement: other, At: at(time.Minute)})
		wantErr(t, "RevokeSigningKey with a replacement under another KEK", err, gatehouse.ErrStale)
		if got, want := keyStates(t, s), []string{"k2:next", "k1:active"}; !equal(got, want) {
			t.Errorf("keys = %q, want %q", got, want)
		}
		if es := kidEntries(t, s); len(es) != 0 {
			t.Errorf("kid entries %+v, want none", es)
		}
	}},
	{"SealSigningKeys moves every key to a new KEK, if none was added since", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		wantErr(t, "SealSigningKeys to no KEK", s.SealSigningKeys(ctx, &gatehouse.KeySealing{}), gatehouse.ErrStale)
		initKeys(t, s)
		must(t, "RotateSigningKeys", s.RotateSigningKeys(ctx, keyRotation("k1", "k2", "k3", at(time.Hour))))
		resealed := func(id string) *gatehouse.SigningKey {
			k := newKey(id, gatehouse.KeyNext, at(0))
			k.PrivateKey, k.KEKID = []byte("resealed:"+id), "kek-2"
			return k
		}
		// k3 missing: a key stored since the caller read them.
		err := s.SealSigningKeys(ctx, &gatehouse.KeySealing{From: testKEK, To: "kek-2", Keys: []*gatehouse.SigningKey{resealed("k2")}})
		wantErr(t, "SealSigningKeys without every key", err, gatehouse.ErrStale)
		err = s.SealSigningKeys(ctx, &gatehouse.KeySealing{From: "kek-0", To: "kek-2", Keys: []*gatehouse.SigningKey{resealed("k2"), resealed("k3")}})
		wantErr(t, "SealSigningKeys from another KEK", err, gatehouse.ErrStale)
		p, m := storedKeys(t, s)
		if p.KEKID != testKEK || m["k2"].KEKID != testKEK || string(m["k2"].PrivateKey) != "sealed:k2" {
			t.Fatalf("a refused sealing wrote: policy %+v, k2 %+v", p, m["k2"])
		}
		// The retired k1 is given a private part: it keeps none.
		must(t, "SealSigningKeys", s.SealSigningKeys(ctx, &gatehouse.KeySealing{From: testKEK, To: "kek-2",
			Keys: []*gatehouse.SigningKey{resealed("k1"), resealed("k2"), resealed("k3")}}))
		p, m = storedKeys(t, s)
		if p.KEKID != "kek-2" {
			t.Errorf("policy KEK %q, want kek-2", p.KEKID)
		}
		for _, id := range []string{"k2", "k3"} {
			if m[id].KEKID != "kek-2" || string(m[id].PrivateKey) != "resealed:"+id || m[id].State == gatehouse.KeyRetired {
				t.Errorf("key %s = %+v", id, m[id])
			}
		}
		if m["k1"].PrivateKey != nil || m["k1"].State != gatehouse.KeyRetired {
			t.Errorf("retired key k1 = %+v, want no private part", m["k1"])
		}
		// Keys from now on are sealed under the new KEK only.
		wantErr(t, "RotateSigningKeys under the old KEK", s.RotateSigningKeys(ctx, keyRotation("k2", "k3", "k4", at(2*time.Hour))), gatehouse.ErrStale)
	}},
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
