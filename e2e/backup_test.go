package e2e_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBackupUnderLoadThenRestore: `gatehouse backup` copies the SQLite
// database while a server serves logins and refreshes; the copy passes
// PRAGMA integrity_check and holds every session acknowledged before the
// backup began; a server started on the copy (with the key-encryption key
// copied beside it) logs users in; and the command the backup printed ends
// the sessions the copy brought back.
func TestBackupUnderLoadThenRestore(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "gatehouse.db")
	gatehouse(t, db, alicePassword+"\n", "user", "add", "alice", "--password-stdin")
	base := startGatehouse(t, db, "127.0.0.1:0", "--issuer", replicaIssuer).url()

	type ack struct {
		sid    string
		access string
		at     time.Time // when the answer arrived
	}
	var (
		mu   sync.Mutex
		acks []ack
	)
	acked := func() int { mu.Lock(); defer mu.Unlock(); return len(acks) }
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rt string
			for i := 0; ctx.Err() == nil; i++ {
				form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
				if i%5 == 0 {
					form = url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePassword}}
				}
				r, err := send(ctx, base, "/token", form, "")
				if err != nil || r.status != http.StatusOK {
					if ctx.Err() == nil && (err != nil || r.status != http.StatusTooManyRequests) {
						t.Errorf("under load: %v", answer(r, err))
						return
					}
					time.Sleep(50 * time.Millisecond) // 429: the throttle counts logins in flight
					i--
					continue
				}
				at := time.Now()
				access, _ := r.json["access_token"].(string)
				rt, _ = r.json["refresh_token"].(string)
				mu.Lock()
				acks = append(acks, ack{sid: claim(t, access, "sid"), access: access, at: at})
				mu.Unlock()
			}
		}()
	}
	waitAcks := func(n int) {
		for deadline := time.Now().Add(time.Minute); acked() < n && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitAcks(20)
	began := time.Now()
	copyPath := filepath.Join(dir, "restore", "copy.db")
	if err := os.Mkdir(filepath.Dir(copyPath), 0o700); err != nil {
		t.Fatal(err)
	}
	out := gatehouse(t, db, "", "backup", copyPath)
	during := acked()
	waitAcks(during + 10) // the load went on after the backup too
	stop()
	wg.Wait()
	t.Logf("%s%d acknowledged logins and refreshes, %d before the backup ended", out, len(acks), during)

	// The copy is whole, and holds every session acknowledged before the
	// backup began.
	copyDB, err := sql.Open("sqlite", copyPath+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	var check string
	if err := copyDB.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("PRAGMA integrity_check of the copy: %q, %v", check, err)
	}
	inCopy := map[string]bool{}
	rows, err := copyDB.Query("SELECT id FROM sessions")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		inCopy[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	copyDB.Close()
	var before []ack
	for _, a := range acks {
		if a.at.Before(began) {
			before = append(before, a)
			if !inCopy[a.sid] {
				t.Errorf("session %s, acknowledged %v before the backup began, is not in the copy", a.sid, began.Sub(a.at))
			}
		}
	}
	if len(before) == 0 {
		t.Fatal("no session was acknowledged before the backup: the test proves nothing")
	}

	// Restore: the copy and the key-encryption key beside it.
	kek, err := os.ReadFile(filepath.Join(dir, "gatehouse.kek"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(copyPath), "copy.kek"), kek, 0o600); err != nil {
		t.Fatal(err)
	}
	restored := startGatehouse(t, copyPath, "127.0.0.1:0", "--issuer", replicaIssuer).url() // the same issuer: its tokens are ours
	fresh := login(t, restored, "alice", alicePassword)
	if r := userinfo(t, restored, fresh.access); r.status != http.StatusOK {
		t.Fatalf("userinfo on the restored server: %d %s", r.status, r.body)
	}
	old := before[len(before)-1]
	if r := userinfo(t, restored, old.access); r.status != http.StatusOK {
		t.Fatalf("before sessions revoke, a session of the backup on the restored server: %d %s; want it back", r.status, r.body)
	}
	m := regexp.MustCompile(`gatehouse sessions revoke --issued-before (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("backup did not print the command to run after a restore:\n%s", out)
	}
	ended := gatehouse(t, copyPath, "", "sessions", "revoke", "--issued-before", m[1])
	t.Log(strings.TrimSpace(ended))
	wantInvalidToken(t, userinfo(t, restored, old.access))
	again := login(t, restored, "alice", alicePassword)
	if r := userinfo(t, restored, again.access); r.status != http.StatusOK {
		t.Fatalf("a login after sessions revoke: %d %s", r.status, r.body)
	}
}

// claim reads a string claim of a JWT (not verified).
func claim(t *testing.T, jwt, name string) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Errorf("not a JWT: %.20q", jwt)
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	v, _ := c[name].(string)
	if err != nil || v == "" {
		t.Errorf("no %s claim in %s: %v", name, raw, err)
	}
	return v
}
