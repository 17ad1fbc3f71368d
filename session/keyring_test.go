package session_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/internal/testserver"
	"github.com/gatehouse/gatehouse/session"
	"github.com/gatehouse/gatehouse/token"
)

// publishLead is how long a next key waits before it signs under the
// default policy (JWKS cached for five minutes).
const publishLead = 5*time.Minute + gatehouse.KeyPublishMargin

// replica is a second server on the fixture's store, clock and KEK, with
// its own keyring and session manager (access tokens of accessTTL).
func (f *fixture) replica(accessTTL time.Duration, wrap func(gatehouse.Store) gatehouse.Store) *testserver.Server {
	f.t.Helper()
	return testserver.New(f.t, testserver.Options{Store: f.store, Clock: f.clock, KEK: f.srv.KEK, Wrap: wrap,
		Session: func(c *session.Config) { c.AccessTTL = accessTTL }})
}

// maintain runs Maintain and fails the test on an error.
func maintain(t *testing.T, ctx context.Context, k *session.Keyring) {
	t.Helper()
	if err := k.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
}

// stored returns the policy and the stored keys by state.
func stored(t *testing.T, s gatehouse.Store) (*gatehouse.KeyPolicy, map[gatehouse.KeyState][]*gatehouse.SigningKey) {
	t.Helper()
	p, keys, err := s.SigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := map[gatehouse.KeyState][]*gatehouse.SigningKey{}
	for _, k := range keys {
		m[k.State] = append(m[k.State], k)
	}
	return p, m
}

// countingStore counts RecordSigned calls and can make them fail.
type countingStore struct {
	gatehouse.Store
	records atomic.Int64
	fail    atomic.Bool
}

func (c *countingStore) RecordSigned(ctx context.Context, id string, until time.Time) error {
	c.records.Add(1)
	if c.fail.Load() {
		return errors.New("database unreachable")
	}
	return c.Store.RecordSigned(ctx, id, until)
}

func TestSigningRecordsTheKeysUseAboutOnceAMinuteNotPerToken(t *testing.T) {
	f := newFixture(t)
	cs := &countingStore{}
	b := f.replica(15*time.Minute, func(st gatehouse.Store) gatehouse.Store { cs.Store = st; return cs })
	const logins = 120
	var last *session.Grant
	for range logins {
		g, err := b.Sessions.Login(f.ctx, session.Login{User: f.user})
		if err != nil {
			t.Fatal(err)
		}
		last = g
		f.clock.Advance(time.Second)
	}
	// Two minutes of logins: a write when the first token's exp is past
	// what is recorded, then one a minute.
	if n := cs.records.Load(); n < 1 || n > 3 {
		t.Errorf("%d RecordSigned for %d tokens over two minutes, want 1 to 3", n, logins)
	}
	_, keys := stored(t, f.store)
	active := keys[gatehouse.KeyActive][0]
	if active.SignedUntil.Before(last.Claims.ExpiresAt) {
		t.Errorf("SignedUntil %v, before the exp %v of the last token signed", active.SignedUntil, last.Claims.ExpiresAt)
	}
	if active.SignedUntil.After(last.Claims.ExpiresAt.Add(time.Minute)) {
		t.Errorf("SignedUntil %v, more than a minute after the last exp %v", active.SignedUntil, last.Claims.ExpiresAt)
	}

	t.Run("no token is handed out when its exp cannot be recorded", func(t *testing.T) {
		f.clock.Advance(2 * time.Minute)
		cs.fail.Store(true)
		defer cs.fail.Store(false)
		if g, err := b.Sessions.Login(f.ctx, session.Login{User: f.user}); err == nil {
			t.Fatalf("a login minted %v while its key's use could not be recorded", g.Claims.ID)
		}
	})
}

// TestARetiredKeyStaysPublishedUntilItsLastTokenExpires: replicas with
// different access-token lifetimes keep a retired key for the longest
// token any of them signed with it, recorded in the store, whoever rotates
// and whatever their flags (before, `keys rotate --access-ttl 1s` deleted a
// key whose tokens a server with --access-ttl 1h had issued).
func TestARetiredKeyStaysPublishedUntilItsLastTokenExpires(t *testing.T) {
	f := newFixture(t)
	long := f.replica(time.Hour, nil)
	short := f.replica(time.Minute, nil)
	g, err := long.Sessions.Login(f.ctx, session.Login{User: f.user})
	if err != nil {
		t.Fatal(err)
	}
	kid := long.Keys.ActiveKey().ID()
	// The short-lived replica rotates, then its process ends: a new one on
	// the same store (a restart, or the command line) keeps house.
	f.clock.Advance(publishLead)
	if _, err := short.Keys.Rotate(f.ctx, "test"); err != nil {
		t.Fatal(err)
	}
	fresh, err := session.LoadKeyring(f.ctx, f.store, session.KeyringConfig{KEK: f.srv.KEK, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{2 * time.Minute, 30 * time.Minute, time.Hour - publishLead - time.Second} {
		f.clock.Set(g.Claims.IssuedAt.Add(publishLead + d))
		maintain(t, f.ctx, fresh)
		maintain(t, f.ctx, short.Keys)
		if _, ok := short.Keys.KeySet().Key(kid); !ok {
			t.Fatalf("%v after the rotation, the retired key left the key set; its token expires at %v", d, g.Claims.ExpiresAt)
		}
		if _, err := short.Sessions.Authenticate(f.ctx, g.AccessToken); err != nil {
			t.Fatalf("%v after the rotation, the short-lived replica refuses a valid token of the retired key: %v", d, err)
		}
	}
	// Once that token (and the minute recorded ahead of it) has expired,
	// with the leeway, the key leaves the key set and its row is deleted.
	f.clock.Set(g.Claims.ExpiresAt.Add(time.Minute + gatehouse.RevocationMargin + time.Second))
	maintain(t, f.ctx, fresh)
	maintain(t, f.ctx, short.Keys)
	if _, ok := short.Keys.KeySet().Key(kid); ok {
		t.Error("the retired key is still published after its last token expired")
	}
	for _, k := range fresh.Keys() {
		if k.ID == kid {
			t.Errorf("the retired key %s is still stored: %+v", kid, k)
		}
	}
}

func TestARetiredKeysPrivatePartIsDestroyedAtRetirement(t *testing.T) {
	f := newFixture(t)
	old := f.keys.ActiveKey().ID()
	f.clock.Advance(publishLead)
	if _, err := f.keys.Rotate(f.ctx, "test"); err != nil {
		t.Fatal(err)
	}
	_, keys := stored(t, f.store)
	r := keys[gatehouse.KeyRetired]
	if len(r) != 1 || r[0].ID != old || r[0].PrivateKey != nil || len(r[0].PublicKey) == 0 {
		t.Fatalf("retired keys %+v, want %s with its public half only", r, old)
	}
}

func TestScheduledRotationHappensOnceAcrossReplicasWhenTheNextKeyIsReady(t *testing.T) {
	f := newFixture(t)
	b := f.replica(15*time.Minute, nil)
	rot := time.Hour
	if _, err := f.keys.ChangePolicy(f.ctx, session.KeyPolicyChange{Rotation: &rot}, "test"); err != nil {
		t.Fatal(err)
	}
	first := f.keys.ActiveKey().ID()
	_, keys := stored(t, f.store)
	next := keys[gatehouse.KeyNext][0].ID
	// Not due before the period, however ready the next key is.
	f.clock.Advance(rot - time.Second)
	for range 3 {
		maintain(t, f.ctx, f.keys)
		maintain(t, f.ctx, b.Keys)
	}
	if f.keys.ActiveKey().ID() != first {
		t.Fatal("rotated before the rotation period")
	}
	f.login() // the first key signs a token: once retired, it stays published
	// Due: both replicas keep house at once, several times; one rotates.
	f.clock.Advance(time.Second)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			k := f.keys
			if i%2 == 1 {
				k = b.Keys
			}
			errs[i] = k.Maintain(f.ctx)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Maintain %d: %v", i, err)
		}
	}
	_, keys = stored(t, f.store)
	if len(keys[gatehouse.KeyRetired]) != 1 || keys[gatehouse.KeyRetired][0].ID != first {
		t.Fatalf("retired keys %v, want exactly the first active key", keys[gatehouse.KeyRetired])
	}
	active := keys[gatehouse.KeyActive][0].ID
	if active != next {
		t.Fatalf("active key %s, want the former next key %s: one rotation", active, next)
	}
	if f.keys.ActiveKey().ID() != active || b.Keys.ActiveKey().ID() != active {
		t.Fatalf("replicas sign with %s and %s, want both %s", f.keys.ActiveKey().ID(), b.Keys.ActiveKey().ID(), active)
	}
	// The next rotation waits for the period again, and for the new next
	// key's lead; the period being over, it happens at the lead.
	f.clock.Advance(rot)
	maintain(t, f.ctx, b.Keys)
	maintain(t, f.ctx, f.keys)
	if f.keys.ActiveKey().ID() == active {
		t.Fatal("no second rotation a period later")
	}
}

// TestTheNextKeyIsPublishedAJWKSCacheLifetimeBeforeItSigns samples the JWKS
// every second of simulated time while the keys rotate as often as they
// may, and checks each token's key against the JWKS a verifier fetched a
// cache lifetime before.
func TestTheNextKeyIsPublishedAJWKSCacheLifetimeBeforeItSigns(t *testing.T) {
	f := newFixture(t)
	rot, maxAge := time.Second, 10*time.Second
	if _, err := f.keys.ChangePolicy(f.ctx, session.KeyPolicyChange{Rotation: &rot, JWKSMaxAge: &maxAge}, "test"); err != nil {
		t.Fatal(err)
	}
	// The shorter cache lifetime applies to key sets served from now on:
	// those served before may be cached five minutes.
	f.clock.Advance(5 * time.Minute)
	jwks := map[int64]*token.KeySet{} // by second: the JWKS served then
	rotations := 0
	last := f.keys.ActiveKey().ID()
	for s := int64(0); s < 120; s++ {
		maintain(t, f.ctx, f.keys)
		now := f.clock.Now().Unix()
		doc, age := f.keys.JWKS()
		if age != maxAge {
			t.Fatalf("JWKS cache lifetime %v, want %v", age, maxAge)
		}
		set, err := token.ParseJWKS(doc)
		if err != nil {
			t.Fatal(err)
		}
		jwks[now] = set
		g := f.login()
		kid := f.keys.ActiveKey().ID()
		if kid != last {
			rotations++
			last = kid
		}
		// A verifier that fetched the JWKS a cache lifetime ago (or any
		// time since) has the key.
		if fetched, ok := jwks[now-int64(maxAge/time.Second)]; ok {
			if _, ok := fetched.Key(kid); !ok {
				t.Fatalf("second %d: a token signed with %s, absent from the JWKS served %v before", s, kid, maxAge)
			}
		}
		if !f.authenticates(g.AccessToken) {
			t.Fatalf("second %d: a fresh token refused", s)
		}
		f.clock.Advance(time.Second)
	}
	if rotations < 8 {
		t.Errorf("%d rotations in two minutes with a 1s period and a 12s lead, want about 10", rotations)
	}
}

func TestAnAlgorithmMigrationIsARotation(t *testing.T) {
	f := newFixture(t)
	b := f.replica(15*time.Minute, nil)
	esActive := f.keys.ActiveKey()
	before := f.login()
	if _, err := f.keys.ChangePolicy(f.ctx, session.KeyPolicyChange{Algorithm: token.EdDSA}, "test"); err != nil {
		t.Fatal(err)
	}
	p, keys := stored(t, f.store)
	next := keys[gatehouse.KeyNext][0]
	if p.Algorithm != "EdDSA" || next.Algorithm != "EdDSA" || keys[gatehouse.KeyActive][0].ID != esActive.ID() {
		t.Fatalf("after the change: policy %s, next %s (%s), active %s; want an EdDSA next key and the ES256 key still signing",
			p.Algorithm, next.ID, next.Algorithm, keys[gatehouse.KeyActive][0].ID)
	}
	if !strings.Contains(f.srv.Logs.String(), "signing algorithm migration") {
		t.Error("the log does not say that the algorithm migrates")
	}
	// The EdDSA key signs once published for a JWKS cache lifetime, with
	// no rotation period due: the other replica may be the one to rotate.
	f.clock.Advance(publishLead - time.Second)
	maintain(t, f.ctx, b.Keys)
	if b.Keys.ActiveKey().Algorithm() != token.ES256 {
		t.Fatal("the EdDSA key signs before verifiers have it")
	}
	f.clock.Advance(time.Second)
	maintain(t, f.ctx, b.Keys)
	maintain(t, f.ctx, f.keys)
	if f.keys.ActiveKey().Algorithm() != token.EdDSA || f.keys.ActiveKey().ID() != next.ID {
		t.Fatalf("active key %s (%s), want the EdDSA next key %s", f.keys.ActiveKey().ID(), f.keys.ActiveKey().Algorithm(), next.ID)
	}
	after := f.login()
	if !f.authenticates(before.AccessToken) || !f.authenticates(after.AccessToken) {
		t.Error("tokens of the retired ES256 and of the EdDSA key must both verify")
	}
	// The next key is EdDSA too, whoever generated it.
	_, keys = stored(t, f.store)
	if keys[gatehouse.KeyNext][0].Algorithm != "EdDSA" {
		t.Errorf("the next key after the migration is %s", keys[gatehouse.KeyNext][0].Algorithm)
	}
}

func TestARevokedKeyIsRefusedAtOnceByEveryReplica(t *testing.T) {
	f := newFixture(t)
	b := f.replica(15*time.Minute, nil)
	g := f.login()
	// Checked once before the revocation (the verified-token cache holds it).
	if !f.authenticates(g.AccessToken) {
		t.Fatal("a fresh token was refused")
	}
	kid := f.keys.ActiveKey().ID()
	next := f.keys.Policy() // for the forget time
	_, keysBefore := stored(t, f.store)
	nextKid := keysBefore[gatehouse.KeyNext][0].ID

	rv, err := b.Keys.Revoke(f.ctx, kid, "test")
	if err != nil {
		t.Fatal(err)
	}
	if rv.Key.ID != kid || rv.Key.State != gatehouse.KeyActive || rv.Active != nextKid {
		t.Fatalf("Revoke = %+v, want the active key revoked and the next key %s signing", rv, nextKid)
	}
	wantForget := next.KIDForgetAt(f.clock.Now(), g.Claims.ExpiresAt)
	if rv.ForgetAt.Before(wantForget) || rv.ForgetAt.Before(g.Claims.ExpiresAt.Add(gatehouse.RevocationMargin)) {
		t.Errorf("ForgetAt %v, before %v", rv.ForgetAt, wantForget)
	}
	// f has not reloaded: the key is still in its key set, yet it refuses
	// the token at once.
	if _, ok := f.keys.KeySet().Key(kid); !ok {
		t.Fatal("test setup: f reloaded already")
	}
	if f.authenticates(g.AccessToken) {
		t.Fatal("a replica that has not reloaded yet accepted a token of the revoked key")
	}
	// The key left b's JWKS at once, and f's on its next reload.
	if _, ok := b.Keys.KeySet().Key(kid); ok {
		t.Error("the revoked key is still in the JWKS of the replica that revoked it")
	}
	// f's next token: its recorded use covers a minute, so it may still
	// sign with the revoked key until its reload (a second, in serve); once
	// it must record again, the store refuses and it takes up the new key.
	f.clock.Advance(2 * time.Minute)
	g2 := f.login()
	if k := f.keys.ActiveKey().ID(); k != nextKid {
		t.Fatalf("f signs with %s after its record was refused, want %s", k, nextKid)
	}
	if !f.authenticates(g2.AccessToken) {
		t.Error("a token of the key that took over is refused")
	}
	if _, ok := f.keys.KeySet().Key(kid); ok {
		t.Error("the revoked key is still in f's JWKS after it reloaded")
	}
	// The feed tells resource servers.
	rs, err := f.store.Revocations(f.ctx, 0, 100, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Kind != gatehouse.RevokeKID || rs[0].Value != kid || !rs[0].ForgetAt.Equal(rv.ForgetAt.Truncate(time.Microsecond)) {
		t.Errorf("feed %+v, want one kid entry for %s forgettable at %v", rs, kid, rv.ForgetAt)
	}
	if _, err := b.Keys.Revoke(f.ctx, kid, "test"); !errors.Is(err, session.ErrUnknownKey) {
		t.Errorf("revoking it again: %v, want ErrUnknownKey", err)
	}
}

func TestKeysAreSealedUnderTheKEK(t *testing.T) {
	f := newFixture(t)
	_, keys := stored(t, f.store)
	for _, k := range append(keys[gatehouse.KeyActive], keys[gatehouse.KeyNext]...) {
		if k.KEKID != f.srv.KEK.ID() {
			t.Errorf("key %s sealed under %q, want %s", k.ID, k.KEKID, f.srv.KEK.ID())
		}
		if _, err := token.OpenKey(k, f.srv.KEK); err != nil {
			t.Errorf("key %s does not open with the KEK: %v", k.ID, err)
		}
	}
	other, _ := token.ParseKEK(token.GenerateKEK())
	if _, err := session.LoadKeyring(f.ctx, f.store, session.KeyringConfig{KEK: other, Now: f.clock.Now}); !errors.Is(err, session.ErrWrongKEK) {
		t.Fatalf("LoadKeyring with another KEK: %v, want ErrWrongKEK", err)
	}
	if _, err := session.LoadKeyring(f.ctx, f.store, session.KeyringConfig{Now: f.clock.Now}); err == nil {
		t.Fatal("LoadKeyring without a KEK succeeded")
	}
}

func TestRewrapMovesTheKeysAndAnOldProcessKeepsSigning(t *testing.T) {
	f := newFixture(t)
	g := f.login()
	next, _ := token.ParseKEK(token.GenerateKEK())
	n, err := session.RewrapKeys(f.ctx, f.store, f.srv.KEK, next, session.KeyringConfig{Now: f.clock.Now})
	if err != nil || n != 2 {
		t.Fatalf("RewrapKeys = %d, %v; want the active and next keys", n, err)
	}
	if n, err := session.RewrapKeys(f.ctx, f.store, f.srv.KEK, next, session.KeyringConfig{}); err != nil || n != 0 {
		t.Errorf("RewrapKeys again = %d, %v; want nothing to do", n, err)
	}
	_, keys := stored(t, f.store)
	for _, k := range append(keys[gatehouse.KeyActive], keys[gatehouse.KeyNext]...) {
		if _, err := token.OpenKey(k, f.srv.KEK); err == nil {
			t.Errorf("key %s still opens with the old KEK", k.ID)
		}
	}
	// The old process keeps the key it opened, and creates none.
	g2 := f.login()
	if !f.authenticates(g.AccessToken) || !f.authenticates(g2.AccessToken) {
		t.Error("the process holding the old KEK stopped verifying or signing")
	}
	f.clock.Advance(publishLead)
	if _, err := f.keys.Rotate(f.ctx, "test"); !errors.Is(err, session.ErrWrongKEK) {
		t.Errorf("Rotate by a process with the old KEK: %v, want ErrWrongKEK", err)
	}
	rot := time.Second
	if _, err := f.keys.ChangePolicy(f.ctx, session.KeyPolicyChange{Rotation: &rot}, "test"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Second)
	maintain(t, f.ctx, f.keys)
	if _, keys := stored(t, f.store); len(keys[gatehouse.KeyRetired]) != 0 {
		t.Error("a process with the old KEK rotated on schedule")
	}
	if !strings.Contains(f.srv.Logs.String(), "sealed under another key-encryption key (a rewrap)") {
		t.Error("the process with the old KEK does not say it no longer creates keys")
	}
	// A process with the new KEK rotates; the old one verifies the new
	// key's tokens and keeps signing with the key it has.
	k2, err := session.LoadKeyring(f.ctx, f.store, session.KeyringConfig{KEK: next, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k2.Rotate(f.ctx, "test"); err != nil {
		t.Fatal(err)
	}
	maintain(t, f.ctx, f.keys)
	if !strings.Contains(f.srv.Logs.String(), "cannot open the active signing key") {
		t.Error("the old process does not say it cannot open the new active key")
	}
	if g3 := f.login(); !f.authenticates(g3.AccessToken) {
		t.Error("the old process's tokens are refused after the rotation")
	}
}

func TestSigningWhileRotatingNeverFails(t *testing.T) {
	f := newFixture(t)
	b := f.replica(15*time.Minute, nil)
	rot := time.Second
	maxAge := time.Duration(0)
	if _, err := f.keys.ChangePolicy(f.ctx, session.KeyPolicyChange{Rotation: &rot, JWKSMaxAge: &maxAge}, "test"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(publishLead)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var failures, tokens atomic.Int64
	for w := range 4 {
		wg.Go(func() {
			m := f.m
			if w%2 == 1 {
				m = b.Sessions
			}
			for {
				select {
				case <-stop:
					return
				default:
				}
				g, err := m.Login(f.ctx, session.Login{User: f.user})
				if err != nil {
					failures.Add(1)
					t.Errorf("login while rotating: %v", err)
					return
				}
				tokens.Add(1)
				if _, err := f.m.Authenticate(f.ctx, g.AccessToken); err != nil {
					failures.Add(1)
					var kids []string
					for _, k := range f.keys.KeySet().Keys() {
						kids = append(kids, k.ID()[:6])
					}
					_, ks := stored(t, f.store)
					var st []string
					for state, l := range ks {
						for _, k := range l {
							st = append(st, string(state)+":"+k.ID[:6]+":"+k.SignedUntil.Format("15:04:05"))
						}
					}
					t.Errorf("worker %d: a fresh token refused while rotating: %v; f knows %v; store %v; now %v", w, err, kids, st, f.clock.Now().Format("15:04:05"))
					return
				}
			}
		})
	}
	for range 10 {
		f.clock.Advance(gatehouse.KeyPublishMargin)
		maintain(t, f.ctx, f.keys)
		maintain(t, f.ctx, b.Keys)
	}
	close(stop)
	wg.Wait()
	_, keys := stored(t, f.store)
	if failures.Load() != 0 || tokens.Load() == 0 || len(keys[gatehouse.KeyRetired]) < 5 {
		t.Errorf("%d failures in %d tokens, %d rotations", failures.Load(), tokens.Load(), len(keys[gatehouse.KeyRetired]))
	}
}

// TestATokenOfAKeyRotatedElsewhereIsAcceptedAtOnce: a replica that has not
// reloaded since another rotated twice (its active key is one this replica
// never saw) takes the keys up when a token names an unknown kid.
func TestATokenOfAKeyRotatedElsewhereIsAcceptedAtOnce(t *testing.T) {
	f := newFixture(t)
	b := f.replica(15*time.Minute, nil)
	for range 2 {
		f.clock.Advance(publishLead)
		if _, err := b.Keys.Rotate(f.ctx, "test"); err != nil {
			t.Fatal(err)
		}
	}
	g, err := b.Sessions.Login(f.ctx, session.Login{User: f.user})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.keys.KeySet().Key(b.Keys.ActiveKey().ID()); ok {
		t.Fatal("test setup: f already knows the new key")
	}
	if !f.authenticates(g.AccessToken) {
		t.Fatal("a token signed by a key rotated on another replica was refused")
	}
}
