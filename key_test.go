package gatehouse_test

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

func TestKeyPublished(t *testing.T) {
	m := gatehouse.RevocationMargin
	cases := []struct {
		name string
		key  gatehouse.SigningKey
		now  time.Time
		want bool
	}{
		{"a next key is published", gatehouse.SigningKey{State: gatehouse.KeyNext}, t0, true},
		{"the active key is published", gatehouse.SigningKey{State: gatehouse.KeyActive}, t0, true},
		{"a retired key is published until its last exp plus the margin",
			gatehouse.SigningKey{State: gatehouse.KeyRetired, RetiredAt: t0.Add(-time.Hour), SignedUntil: t0}, t0.Add(m - time.Nanosecond), true},
		{"then it is not",
			gatehouse.SigningKey{State: gatehouse.KeyRetired, RetiredAt: t0.Add(-time.Hour), SignedUntil: t0}, t0.Add(m), false},
		{"a retired key that signed nothing stays the margin after it retired",
			gatehouse.SigningKey{State: gatehouse.KeyRetired, RetiredAt: t0}, t0.Add(m - time.Nanosecond), true},
		{"and goes then",
			gatehouse.SigningKey{State: gatehouse.KeyRetired, RetiredAt: t0}, t0.Add(m), false},
	}
	for _, tc := range cases {
		if got := tc.key.Published(tc.now); got != tc.want {
			t.Errorf("%s: Published = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestNextKeySignsAJWKSCacheLifetimeAfterItIsPublished(t *testing.T) {
	p := gatehouse.KeyPolicy{Algorithm: "ES256", Rotation: time.Hour, JWKSMaxAge: 5 * time.Minute}
	next := &gatehouse.SigningKey{State: gatehouse.KeyNext, Algorithm: "ES256", CreatedAt: t0}
	if got, want := p.NextSignsFrom(next), t0.Add(5*time.Minute+gatehouse.KeyPublishMargin); !got.Equal(want) {
		t.Errorf("NextSignsFrom = %v, want %v", got, want)
	}
	// Shortening the cache lifetime: key sets served under the longer one
	// are still cached; a next key waits for them.
	short := p.WithJWKSMaxAge(time.Second, t0.Add(time.Minute))
	if got, want := short.NextSignsFrom(next), t0.Add(6*time.Minute+gatehouse.KeyPublishMargin); !got.Equal(want) {
		t.Errorf("after shortening the lifetime at t0+1m, NextSignsFrom = %v, want %v", got, want)
	}
	later := &gatehouse.SigningKey{State: gatehouse.KeyNext, CreatedAt: t0.Add(time.Hour)}
	if got, want := short.NextSignsFrom(later), t0.Add(time.Hour+time.Second+gatehouse.KeyPublishMargin); !got.Equal(want) {
		t.Errorf("a key created long after, NextSignsFrom = %v, want %v", got, want)
	}
	// Lengthening it never shortens the wait of the key sets served before.
	long := short.WithJWKSMaxAge(10*time.Minute, t0.Add(2*time.Minute))
	if !long.JWKSStaleUntil.Equal(short.JWKSStaleUntil) || long.JWKSMaxAge != 10*time.Minute {
		t.Errorf("lengthened: %+v", long)
	}
}

func TestRotationDue(t *testing.T) {
	p := gatehouse.KeyPolicy{Algorithm: "ES256", Rotation: time.Hour, JWKSMaxAge: 5 * time.Minute}
	active := &gatehouse.SigningKey{State: gatehouse.KeyActive, Algorithm: "ES256", ActivatedAt: t0}
	next := &gatehouse.SigningKey{State: gatehouse.KeyNext, Algorithm: "ES256", CreatedAt: t0}
	ready := p.NextSignsFrom(next)
	migrated := p
	migrated.Algorithm = "EdDSA"
	edNext := &gatehouse.SigningKey{State: gatehouse.KeyNext, Algorithm: "EdDSA", CreatedAt: t0.Add(10 * time.Minute)}
	off := p
	off.Rotation = 0
	cases := []struct {
		name         string
		p            gatehouse.KeyPolicy
		active, next *gatehouse.SigningKey
		now          time.Time
		want         bool
	}{
		{"not before the period", p, active, next, t0.Add(time.Hour - time.Nanosecond), false},
		{"at the period", p, active, next, t0.Add(time.Hour), true},
		{"never before the next key may sign", gatehouse.KeyPolicy{Algorithm: "ES256", Rotation: time.Second, JWKSMaxAge: 5 * time.Minute},
			active, next, ready.Add(-time.Nanosecond), false},
		{"once it may", gatehouse.KeyPolicy{Algorithm: "ES256", Rotation: time.Second, JWKSMaxAge: 5 * time.Minute}, active, next, ready, true},
		{"no scheduled rotation when off", off, active, next, t0.Add(1000 * time.Hour), false},
		{"an algorithm migration is due once the new key may sign", migrated, active, edNext, migrated.NextSignsFrom(edNext), true},
		{"but not before", migrated, active, edNext, migrated.NextSignsFrom(edNext).Add(-time.Nanosecond), false},
		{"and even when scheduled rotation is off", func() gatehouse.KeyPolicy { q := migrated; q.Rotation = 0; return q }(),
			active, edNext, t0.Add(time.Hour), true},
		{"a next key of another algorithm than the policy's does not make a migration", p, active, edNext, t0.Add(30 * time.Minute), false},
		{"without a next key", p, active, nil, t0.Add(2 * time.Hour), false},
	}
	for _, tc := range cases {
		if got := tc.p.RotationDue(tc.active, tc.next, tc.now); got != tc.want {
			t.Errorf("%s: RotationDue = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestKIDForgetAt(t *testing.T) {
	p := gatehouse.KeyPolicy{JWKSMaxAge: 5 * time.Minute}
	cached := 5*time.Minute + gatehouse.KeyPublishMargin + gatehouse.RevocationMargin
	if got, want := p.KIDForgetAt(t0, t0.Add(time.Hour)), t0.Add(time.Hour+gatehouse.RevocationMargin); !got.Equal(want) {
		t.Errorf("a key with tokens for an hour: %v, want %v", got, want)
	}
	if got, want := p.KIDForgetAt(t0, time.Time{}), t0.Add(cached); !got.Equal(want) {
		t.Errorf("a key that signed nothing: %v, want every cached JWKS expired, %v", got, want)
	}
	p.JWKSStaleUntil = t0.Add(20 * time.Minute)
	if got, want := p.KIDForgetAt(t0, time.Time{}), t0.Add(20*time.Minute+gatehouse.KeyPublishMargin+gatehouse.RevocationMargin); !got.Equal(want) {
		t.Errorf("with key sets cached under a longer lifetime: %v, want %v", got, want)
	}
}
