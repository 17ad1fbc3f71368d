package session_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/internal/testserver"
	"github.com/gatehouse/gatehouse/session"
	"github.com/gatehouse/gatehouse/token"
)

// BenchmarkSign compares Keyring.Sign, which records the active key's use
// in the store before it hands a token out, with the bare signature of the
// same key (token.Signer.Sign): the baseline, measured in the same run.
// The clock moves by step per token: the keyring writes when a token's
// exp passes what it recorded, a minute ahead, so "1ms per token" is a
// write every 60,000 tokens (as under load) and "60ms per token" one every
// 1,000 (a store write in the loop, to see its cost).
func BenchmarkSign(b *testing.B) {
	srv := testserver.New(b, testserver.Options{})
	ctx := context.Background()
	_, keys, err := srv.Store.SigningKeys(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var signer *token.Signer
	for _, k := range keys {
		if k.State == gatehouse.KeyActive {
			key, err := token.OpenKey(k, srv.KEK)
			if err != nil {
				b.Fatal(err)
			}
			if signer, err = token.NewSigner(key); err != nil {
				b.Fatal(err)
			}
		}
	}
	claims := func() *gatehouse.Claims {
		now := srv.Clock.Now()
		return &gatehouse.Claims{Issuer: testserver.Issuer, Subject: "u1", Audience: []string{testserver.Issuer},
			ExpiresAt: now.Add(15 * time.Minute).Truncate(time.Second), IssuedAt: now.Truncate(time.Second),
			ID: gatehouse.NewID(), ClientID: gatehouse.FirstPartyClientID, SessionID: "s1", Scopes: []string{"orders:read"}}
	}
	b.Run("token.Signer", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			srv.Clock.Advance(time.Millisecond)
			if _, err := signer.Sign(claims()); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, step := range []time.Duration{time.Millisecond, 60 * time.Millisecond} {
		b.Run("Keyring.Sign/"+step.String()+"_per_token", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				srv.Clock.Advance(step)
				if _, err := srv.Keys.Sign(ctx, claims()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRefreshParallel is Manager.Refresh with 32 goroutines at once,
// each chaining its own session's refresh tokens, on SQLite and on
// PostgreSQL: the whole refresh but HTTP (rotation, signature, the
// store's writes), to profile with -cpuprofile.
func BenchmarkRefreshParallel(b *testing.B) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		b.Run(name, func(b *testing.B) {
			srv := testserver.New(b, testserver.Options{Postgres: pg})
			ctx := context.Background()
			u := benchUser(b, srv)
			par := max(1, 32/runtime.GOMAXPROCS(0))
			tokens := make([]string, par*runtime.GOMAXPROCS(0))
			for i := range tokens {
				g, err := srv.Sessions.Login(ctx, session.Login{User: u})
				if err != nil {
					b.Fatal(err)
				}
				tokens[i] = g.RefreshToken
			}
			var next atomic.Int64
			b.SetParallelism(par)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				tok := tokens[next.Add(1)-1]
				for pb.Next() {
					g, err := srv.Sessions.Refresh(ctx, session.Refresh{Token: tok})
					if err != nil {
						b.Error(err)
						return
					}
					tok = g.RefreshToken
				}
			})
		})
	}
}

// BenchmarkCheck is Manager.Check of a user's access token on SQLite: the
// signature check plus the token's state read from the store. "first" is
// a token the manager has not seen (each iteration a new one, signed
// before the timer), "again" one token checked over and over, as a page's
// /userinfo calls are (the verified-token cache, verified.go, skips its
// signature check); token.Verifier alone is the baseline of the same run.
func BenchmarkCheck(b *testing.B) {
	srv := testserver.New(b, testserver.Options{})
	ctx := context.Background()
	u := benchUser(b, srv)
	g, err := srv.Sessions.Login(ctx, session.Login{User: u})
	if err != nil {
		b.Fatal(err)
	}
	v, err := srv.Keys.Verifier(token.Options{Issuer: testserver.Issuer, Audience: testserver.Issuer, Now: srv.Clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("token.Verifier", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(g.AccessToken); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("first", func(b *testing.B) {
		toks := make([]string, b.N)
		for i := range toks {
			c := *g.Claims
			c.ID = gatehouse.NewID()
			if toks[i], err = srv.Keys.Sign(ctx, &c); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if _, err := srv.Sessions.Check(ctx, toks[i]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("again", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := srv.Sessions.Check(ctx, g.AccessToken); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchUser adds a user with one scope to srv's store.
func benchUser(b *testing.B, srv *testserver.Server) *gatehouse.User {
	b.Helper()
	now := srv.Clock.Now()
	u := &gatehouse.User{ID: gatehouse.NewID(), Username: "bench", PasswordHash: "x",
		Scopes: []string{"orders:read"}, CreatedAt: now, UpdatedAt: now, Epoch: now}
	if err := srv.Store.CreateUser(context.Background(), u); err != nil {
		b.Fatal(err)
	}
	return u
}
