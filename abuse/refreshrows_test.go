package abuse_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse/internal/testserver"
	"github.com/gatehouse/gatehouse/store/sqlite"
)

// tokenRow is what a copy of the database holds of one refresh token.
type tokenRow struct {
	hash, sealed []byte
	session      string
}

// refreshServer is a test server whose refresh_tokens table the test reads
// directly, as someone holding a copy of the database would.
type refreshServer struct {
	*testserver.Server
	rows func(t *testing.T) []tokenRow
}

func newRefreshServer(t *testing.T, pg bool) *refreshServer {
	if pg {
		st, dsn := testserver.Postgres(t)
		s := testserver.New(t, testserver.Options{Store: st})
		return &refreshServer{Server: s, rows: func(t *testing.T) []tokenRow {
			conn, err := pgx.Connect(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			rows, err := conn.Query(context.Background(), `SELECT hash, coalesce(sealed_successor, ''::bytea), session_id FROM refresh_tokens`)
			if err != nil {
				t.Fatal(err)
			}
			out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tokenRow, error) {
				var tr tokenRow
				return tr, r.Scan(&tr.hash, &tr.sealed, &tr.session)
			})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}}
	}
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := testserver.New(t, testserver.Options{Store: st})
	return &refreshServer{Server: s, rows: func(t *testing.T) []tokenRow {
		db, err := sql.Open("sqlite", path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.Query(`SELECT hash, coalesce(sealed_successor, x''), session_id FROM refresh_tokens`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []tokenRow
		for rows.Next() {
			var tr tokenRow
			if err := rows.Scan(&tr.hash, &tr.sealed, &tr.session); err != nil {
				t.Fatal(err)
			}
			out = append(out, tr)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}}
}

// unroll is the attack of finding 6: with a copy of the database and some
// refresh tokens, open every sealed successor that a known token unseals,
// again and again, and return every token learnt. The sealing key is
// HKDF-SHA256 over the token's decoded secret (info "gatehouse refresh
// successor seal v1"), AES-256-GCM, nonce first, the token's hash as
// additional data.
func unroll(rows []tokenRow, known ...string) map[string]bool {
	learnt := map[string]bool{}
	for _, k := range known {
		learnt[k] = true
	}
	for changed := true; changed; {
		changed = false
		for k := range learnt {
			h := sha256.Sum256([]byte(k))
			secret, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(k, "ghr_"))
			if err != nil {
				continue
			}
			for _, r := range rows {
				if !bytes.Equal(r.hash, h[:]) || len(r.sealed) < 12 {
					continue
				}
				key, err := hkdf.Key(sha256.New, secret, nil, "gatehouse refresh successor seal v1", 32)
				if err != nil {
					continue
				}
				block, _ := aes.NewCipher(key)
				aead, _ := cipher.NewGCM(block)
				pt, err := aead.Open(nil, r.sealed[:12], r.sealed[12:], h[:])
				if err == nil && !learnt[string(pt)] {
					learnt[string(pt)] = true
					changed = true
				}
			}
		}
	}
	return learnt
}

// Finding 6: every sealed successor was kept for the whole session, each
// sealed under the token it replaced, so a copy of the database and one old
// refresh token unrolled the chain to the live token.
func TestDatabaseCopyAndAnOldRefreshTokenDoNotOpenTheLiveOne(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		s := newRefreshServer(t, pg)
		s.AddUser("alice", oldPassword)
		chain := []string{s.Login(t, "alice", oldPassword).RefreshToken}
		for range 4 {
			chain = append(chain, s.Refresh(t, chain[len(chain)-1]).RefreshToken)
			s.Clock.Advance(11 * time.Second) // past the grace window
		}
		live := chain[len(chain)-1]
		// Housekeeping has run, as it does on a schedule.
		if _, err := s.Sessions.Purge(s.Ctx); err != nil {
			t.Fatal(err)
		}
		rows := s.rows(t)
		for i, old := range chain[:len(chain)-1] {
			if learnt := unroll(rows, old); learnt[live] {
				t.Errorf("a copy of the database and retired token #%d open the live refresh token", i)
			}
		}
		// The live token is still the live one.
		s.Refresh(t, live)
	})
}

// Finding 11: refresh-token rows grew without bound within a session (200
// refreshes, 201 rows kept for up to 90 days).
func TestRefreshStateIsBoundedPerSession(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		s := newRefreshServer(t, pg)
		s.AddUser("alice", oldPassword)
		first := s.Login(t, "alice", oldPassword)
		rt := first.RefreshToken
		for range 200 {
			rt = s.Refresh(t, rt).RefreshToken
		}
		if n := len(s.rows(t)); n > 2 {
			t.Errorf("refresh-token rows after 200 refreshes of one session: %d, want at most 2", n)
		}
		// Reuse of the very first token is still detected: the session ends.
		s.Clock.Advance(11 * time.Second)
		if r, _ := s.TryRefresh(t, first.RefreshToken, nil); r.Status != http.StatusBadRequest || r.OAuthError() != "invalid_grant" {
			t.Fatalf("reuse of the first token: %s", r)
		}
		if r, _ := s.TryRefresh(t, rt, nil); r.Status != http.StatusBadRequest {
			t.Errorf("the live token after the first one was reused: %s, want invalid_grant (session revoked)", r)
		}
		if r := s.Bearer(t, "GET", "/userinfo", first.AccessToken); r.Status != http.StatusUnauthorized {
			t.Errorf("an access token of the session after reuse: %s, want 401", r)
		}
	})
}
