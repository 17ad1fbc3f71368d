package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

func newKey(id string, state gatehouse.KeyState, created time.Time) *gatehouse.SigningKey {
	return &gatehouse.SigningKey{
		ID: id, Algorithm: "ES256", PrivateKey: []byte("pkcs8:" + id), State: state, CreatedAt: created,
	}
}

// keyStates are the ids and states of the stored keys, newest first.
func keyStates(t *testing.T, s gatehouse.Store) []string {
	t.Helper()
	ks, err := s.SigningKeys(context.Background())
	must(t, "SigningKeys", err)
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.ID + ":" + string(k.State)
	}
	return out
}

var keyTests = []test{
	{"SigningKeys of an empty store is empty", func(t *testing.T, s gatehouse.Store) {
		if ks := keyStates(t, s); len(ks) != 0 {
			t.Errorf("SigningKeys = %q, want none", ks)
		}
	}},
	{"InitSigningKeys stores the pair once", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		active, next := newKey("k1", gatehouse.KeyActive, at(0)), newKey("k2", gatehouse.KeyNext, at(time.Second))
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
		ks, err := s.SigningKeys(ctx)
		must(t, "SigningKeys", err)
		if len(ks) != 2 {
			t.Fatalf("SigningKeys = %d keys, want 2", len(ks))
		}
		for i, want := range []*gatehouse.SigningKey{next, active} { // newest first
			got := ks[i]
			if got.ID != want.ID || got.Algorithm != want.Algorithm || !bytes.Equal(got.PrivateKey, want.PrivateKey) || got.State != want.State {
				t.Errorf("key %d = %+v, want %+v", i, got, want)
			}
			checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
			checkTime(t, "RetiredAt", got.RetiredAt, time.Time{})
		}
	}},
	{"RotateSigningKeys retires the active key and promotes the next", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		_, err := s.InitSigningKeys(ctx, newKey("k1", gatehouse.KeyActive, at(0)), newKey("k2", gatehouse.KeyNext, at(time.Second)))
		must(t, "InitSigningKeys", err)
		must(t, "RotateSigningKeys", s.RotateSigningKeys(ctx, newKey("k3", gatehouse.KeyNext, at(time.Hour)), at(time.Hour)))
		must(t, "RotateSigningKeys", s.RotateSigningKeys(ctx, newKey("k4", gatehouse.KeyNext, at(2*time.Hour)), at(2*time.Hour)))
		if got, want := keyStates(t, s), []string{"k4:next", "k3:active", "k2:retired", "k1:retired"}; !equal(got, want) {
			t.Errorf("keys = %q, want %q", got, want)
		}
		ks, err := s.SigningKeys(ctx)
		must(t, "SigningKeys", err)
		checkTime(t, "k2 RetiredAt", ks[2].RetiredAt, at(2*time.Hour))
		checkTime(t, "k1 RetiredAt", ks[3].RetiredAt, at(time.Hour))
		checkTime(t, "k3 RetiredAt", ks[1].RetiredAt, time.Time{})
	}},
	{"RotateSigningKeys without keys is ErrNotFound", func(t *testing.T, s gatehouse.Store) {
		err := s.RotateSigningKeys(context.Background(), newKey("k1", gatehouse.KeyNext, at(0)), at(0))
		wantErr(t, "RotateSigningKeys", err, gatehouse.ErrNotFound)
		if ks := keyStates(t, s); len(ks) != 0 {
			t.Errorf("keys = %q, want none", ks)
		}
	}},
	{"RotateSigningKeys to a taken id is ErrConflict and changes nothing", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		_, err := s.InitSigningKeys(ctx, newKey("k1", gatehouse.KeyActive, at(0)), newKey("k2", gatehouse.KeyNext, at(time.Second)))
		must(t, "InitSigningKeys", err)
		err = s.RotateSigningKeys(ctx, newKey("k1", gatehouse.KeyNext, at(time.Hour)), at(time.Hour))
		wantErr(t, "RotateSigningKeys", err, gatehouse.ErrConflict)
		if got, want := keyStates(t, s), []string{"k2:next", "k1:active"}; !equal(got, want) {
			t.Errorf("keys = %q, want %q", got, want)
		}
	}},
	{"DeleteSigningKey removes the key", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		_, err := s.InitSigningKeys(ctx, newKey("k1", gatehouse.KeyActive, at(0)), newKey("k2", gatehouse.KeyNext, at(time.Second)))
		must(t, "InitSigningKeys", err)
		must(t, "RotateSigningKeys", s.RotateSigningKeys(ctx, newKey("k3", gatehouse.KeyNext, at(time.Hour)), at(time.Hour)))
		must(t, "DeleteSigningKey", s.DeleteSigningKey(ctx, "k1"))
		if got, want := keyStates(t, s), []string{"k3:next", "k2:active"}; !equal(got, want) {
			t.Errorf("keys = %q, want %q", got, want)
		}
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
