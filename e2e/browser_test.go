package e2e_test

// Browser tests: Debian's Chromium, driven by playwright-core (npm) from the
// scripts in testdata/browser, against a real `gatehouse serve`, the FastAPI
// example and a second local origin. Each script reports what the browser
// saw as one JSON object; the assertions are here. Dependencies come from
// scripts/browser-deps.sh. Screenshots go to a temporary directory and,
// with -update-screenshots, to docs/screenshots.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "copy the browser tests' screenshots into docs/screenshots")

const (
	chromiumPath      = "/usr/bin/chromium"
	browserDepsScript = "scripts/browser-deps.sh"
	// browserTimeout bounds one script: Chromium's start, the pages, the
	// waits for access tokens to expire.
	browserTimeout = 90 * time.Second
	newPassword    = "a brand new passphrase"
)

// needBrowser fails the test under CI=true, and skips it otherwise, when
// Chromium, node or playwright-core is missing.
func needBrowser(t *testing.T) {
	t.Helper()
	var err error
	if _, err = os.Stat(chromiumPath); err == nil {
		if _, err = exec.LookPath("node"); err == nil {
			_, err = os.Stat(filepath.Join(repoRoot, "e2e", "testdata", "browser", "node_modules", "playwright-core", "package.json"))
		}
	}
	if err == nil {
		return
	}
	msg := "Chromium, node or playwright-core is missing (" + err.Error() + "); run " + browserDepsScript
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// runBrowser runs testdata/browser/SCRIPT.mjs with in as its JSON argument
// and decodes the JSON object it prints into out.
func runBrowser(t *testing.T, script string, in any, out any) {
	t.Helper()
	arg, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script+".mjs", string(arg))
	cmd.Dir = filepath.Join(repoRoot, "e2e", "testdata", "browser")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "CHROMIUM=" + chromiumPath}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := cmd.Run()
	t.Logf("%s.mjs ran %v", script, time.Since(start).Round(100*time.Millisecond))
	var probe struct {
		Error string `json:"error"`
	}
	line := bytes.TrimSpace(stdout.Bytes())
	if i := bytes.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	if err := json.Unmarshal(line, &probe); err != nil || probe.Error != "" || runErr != nil {
		t.Fatalf("%s.mjs: %v %s\nstdout: %s\nstderr: %s", script, runErr, probe.Error, stdout.String(), stderr.String())
	}
	if err := json.Unmarshal(line, out); err != nil {
		t.Fatalf("%s.mjs printed %s: %v", script, line, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s.mjs stderr:\n%s", script, stderr.String())
		}
	})
}

// keepScreenshots checks that each named file of dir is a PNG of some
// substance and, with -update-screenshots, copies it to docs/screenshots.
func keepScreenshots(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("screenshot %s: %v", name, err)
			continue
		}
		if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 10<<10 {
			t.Errorf("screenshot %s is not a PNG of a page (%d bytes)", name, len(b))
			continue
		}
		if *updateScreenshots {
			dst := filepath.Join(repoRoot, "docs", "screenshots", name)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// freePort returns a loopback port nobody listens on now. The FastAPI
// example and Gatehouse each need the other's URL when they start, so one
// port is chosen first; another process could take it in the moment before
// the example binds it, which the example's start would then report.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// browserServer starts Gatehouse for the browser: development cookies
// (plain HTTP on loopback), 5 s access tokens (and so a 5 s reuse grace,
// which may not exceed them), the given extra flags, and
// alice (orders:read) with alicePassword.
func browserServer(t *testing.T, flags ...string) (*proc, string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "gatehouse.db")
	gh := startGatehouse(t, db, "127.0.0.1:0", append([]string{"--dev-cookies", "--access-ttl", "5s", "--reuse-grace", "5s"}, flags...)...)
	gatehouse(t, db, alicePassword+"\n", "user", "add", "alice", "--password-stdin", "--scope", "orders:read profile")
	return gh, db
}

func TestBrowserSwaggerUIAuthorizeWithAGatehousePassword(t *testing.T) {
	needBrowser(t)
	needPython(t, "jwt", "cryptography", "fastapi", "uvicorn")
	if _, err := os.Stat(filepath.Join(repoRoot, "examples", "fastapi", "node_modules", "swagger-ui-dist", "swagger-ui-bundle.js")); err != nil {
		needInterop(t, "examples/fastapi/node_modules/swagger-ui-dist (npm ci)", err)
	}
	apiAddr := freePort(t)
	gh, _ := browserServer(t, "--cors-origins", "http://"+apiAddr)
	api := startProc(t, []string{"GATEHOUSE_ISSUER=" + gh.url(), "FASTAPI_ADDR=" + apiAddr},
		systemPython, filepath.Join(repoRoot, "examples", "fastapi", "main.py"))

	shots := t.TempDir()
	var out struct {
		Assets       []string `json:"assets"`
		TokenRequest struct {
			URL, Authorization, ContentType, Body string
			Status                                int
		} `json:"tokenRequest"`
		Authorized     string `json:"authorized"`
		ExecuteStatus  int    `json:"executeStatus"`
		ExecuteBody    string `json:"executeBody"`
		ExecuteRequest string `json:"executeAuthorization"`
		Errors         []string
	}
	runBrowser(t, "swagger", map[string]string{"api": api.url(), "username": "alice", "password": alicePassword, "shots": shots}, &out)

	t.Run("the docs page loads Swagger UI from the app itself", func(t *testing.T) {
		if len(out.Assets) == 0 {
			t.Fatal("no Swagger UI asset was loaded")
		}
		for _, a := range out.Assets {
			if !strings.HasPrefix(a, api.url()+"/static/swagger-ui/") {
				t.Errorf("asset %s does not come from the app", a)
			}
		}
	})
	t.Run("Authorize posts the password grant with Basic Og== to Gatehouse and gets a token", func(t *testing.T) {
		r := out.TokenRequest
		if r.URL != gh.url()+"/token" || r.Authorization != "Basic Og==" || !strings.HasPrefix(r.ContentType, "application/x-www-form-urlencoded") ||
			!strings.Contains(r.Body, "grant_type=password") || !strings.Contains(r.Body, "username=alice") {
			t.Errorf("token request %+v, want the password grant to %s/token with Basic Og==", r, gh.url())
		}
		if r.Status != http.StatusOK || !strings.Contains(out.Authorized, "Authorized") {
			t.Errorf("token answer %d, dialog %q; want 200 and Authorized", r.Status, out.Authorized)
		}
	})
	t.Run("Try it out on GET /orders sends the token and gets 200 with the claims", func(t *testing.T) {
		if !strings.HasPrefix(out.ExecuteRequest, "Bearer ey") {
			t.Errorf("GET /orders sent Authorization %q, want the Bearer token", out.ExecuteRequest)
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(out.ExecuteBody), &body); err != nil || out.ExecuteStatus != http.StatusOK {
			t.Fatalf("GET /orders: %d %s", out.ExecuteStatus, out.ExecuteBody)
		}
		tok := login(t, gh.url(), "alice", alicePassword)
		if sub := jwtPart(t, tok.access, 1)["sub"]; body["subject"] != sub || body["client_id"] != "gatehouse" {
			t.Errorf("claims %v, want alice's subject %v and the first-party client", body, sub)
		}
		if scopes, _ := body["scopes"].([]any); len(scopes) != 2 {
			t.Errorf("scopes %v, want alice's two", body["scopes"])
		}
	})
	if len(out.Errors) > 0 {
		t.Errorf("page errors: %v", out.Errors)
	}
	keepScreenshots(t, shots, "fastapi-docs-authorize.png", "fastapi-docs-orders.png")
}

// accountOut is what account.mjs reports.
type accountOut struct {
	DocumentCookie string `json:"documentCookie"`
	Cookies        []struct {
		Name, Path, SameSite string
		HTTPOnly             bool `json:"httpOnly"`
		Secure               bool `json:"secure"`
	} `json:"cookies"`
	SessionBefore     string         `json:"sessionBefore"`
	Waited            float64        `json:"waitedSeconds"`
	Refreshes         []int          `json:"refreshes"`
	Tabs              []string       `json:"tabsAfterExpiries"`
	SessionsAfter     []shownSession `json:"sessionsAfterExpiries"`
	APICallsAfter     []int          `json:"apiCallsAfterExpiries"`
	Concurrent        []int          `json:"concurrentRefreshes"`
	TabsAfterConc     []string       `json:"tabsAfterConcurrent"`
	SessionsAfterConc []shownSession `json:"sessionsAfterConcurrent"`
	Shown             []shownSession `json:"shownForScreenshot"`
	OtherTabAfterOut  string         `json:"otherTabAfterLogout"`
	OtherTabNotice    string         `json:"otherTabNotice"`
	CookiesAfterOut   []string       `json:"cookiesAfterLogout"`
	Errors            []string
}

type shownSession struct {
	ID      string `json:"id"`
	Current bool   `json:"current"`
	Name    string `json:"name"`
	Meta    string `json:"meta"`
}

func TestBrowserAccountPage(t *testing.T) {
	needBrowser(t)
	gh, _ := browserServer(t, "--trusted-proxies", "127.0.0.1/32")
	shots := t.TempDir()
	const ttl = 5 * time.Second
	var out accountOut
	runBrowser(t, "account", map[string]any{"base": gh.url(), "username": "alice", "password": alicePassword,
		"shots": shots, "waitSeconds": 16}, &out)

	t.Run("no script can read either token", func(t *testing.T) {
		if strings.Contains(out.DocumentCookie, "gatehouse") || strings.Contains(out.DocumentCookie, "ey") {
			t.Errorf("document.cookie = %q", out.DocumentCookie)
		}
		want := map[string]string{"gatehouse-access": "/", "gatehouse-refresh": "/session/refresh"}
		for _, c := range out.Cookies {
			path, ok := want[c.Name]
			if !ok {
				continue
			}
			delete(want, c.Name)
			if !c.HTTPOnly || c.SameSite != "Strict" || c.Path != path {
				t.Errorf("cookie %s: HttpOnly %v SameSite %s Path %s; want HttpOnly, Strict, %s", c.Name, c.HTTPOnly, c.SameSite, c.Path, path)
			}
		}
		if len(want) > 0 {
			t.Errorf("the browser lacks the cookies %v (has %+v)", want, out.Cookies)
		}
	})
	t.Run("two tabs keep working past several expiries without a new login, in one session", func(t *testing.T) {
		if out.Waited < 3*ttl.Seconds() {
			t.Fatalf("waited %.1fs, want at least three access-token lifetimes", out.Waited)
		}
		if len(out.Tabs) != 2 || out.Tabs[0] != "account" || out.Tabs[1] != "account" {
			t.Errorf("tabs show %v, want both the account", out.Tabs)
		}
		for i, s := range out.APICallsAfter {
			if s != http.StatusOK {
				t.Errorf("tab %d's request after the expiries: %d", i+1, s)
			}
		}
		if len(out.SessionsAfter) != 1 || out.SessionsAfter[0].ID != out.SessionBefore || !out.SessionsAfter[0].Current {
			t.Errorf("sessions %+v, want only the login's session %s", out.SessionsAfter, out.SessionBefore)
		}
		// Each expiry needs one refresh; the tabs coordinate, so there are
		// not two per expiry. A page refreshes a third of the lifetime
		// before the expiry it was told (expires_in, whole seconds: a
		// token's exp is truncated to the second, so a 5 s token may say
		// 4), which makes a refresh every 2.7 to 3.3 s; two tabs that did
		// not coordinate would make twice as many.
		shortest := ttl.Seconds() - 1
		cycles := int(out.Waited/(shortest*2/3)) + 1
		if len(out.Refreshes) < 2 || len(out.Refreshes) > cycles+2 {
			t.Errorf("%d refreshes in %.1fs (%v), want between 2 and %d: one per expiry, whichever tab", len(out.Refreshes), out.Waited, out.Refreshes, cycles+2)
		}
		for _, s := range out.Refreshes {
			if s != http.StatusOK {
				t.Errorf("a refresh answered %d (%v)", s, out.Refreshes)
			}
		}
	})
	t.Run("two tabs refreshing at the same moment both keep working and one session remains", func(t *testing.T) {
		if len(out.Concurrent) != 2 || out.Concurrent[0] != 200 || out.Concurrent[1] != 200 {
			t.Errorf("concurrent refreshes answered %v, want 200 twice", out.Concurrent)
		}
		if len(out.TabsAfterConc) != 2 || out.TabsAfterConc[0] != "account" || out.TabsAfterConc[1] != "account" {
			t.Errorf("tabs show %v", out.TabsAfterConc)
		}
		if len(out.SessionsAfterConc) != 1 || out.SessionsAfterConc[0].ID != out.SessionBefore {
			t.Errorf("sessions %+v, want only %s", out.SessionsAfterConc, out.SessionBefore)
		}
		if strings.Contains(gh.logs.String(), "refresh.reuse") {
			t.Error("the server saw refresh-token reuse")
		}
	})
	t.Run("the page shows each session's device, address and times, this one marked", func(t *testing.T) {
		want := map[string]string{"Chrome on Linux": "127.0.0.1", "Firefox on Windows": "203.0.113.24", "Safari on iOS": "198.51.100.7", "curl": "192.0.2.55"}
		for _, s := range out.Shown {
			addr, ok := want[s.Name]
			if !ok {
				t.Errorf("unexpected session %+v", s)
				continue
			}
			delete(want, s.Name)
			if !strings.HasPrefix(s.Meta, addr+" · signed in ") || s.Current != (s.Name == "Chrome on Linux") {
				t.Errorf("session %+v, want address %s, the sign-in time, and current only for this browser", s, addr)
			}
		}
		if len(want) > 0 {
			t.Errorf("sessions not shown: %v (shown %+v)", want, out.Shown)
		}
	})
	t.Run("logging out in one tab logs out the other at once", func(t *testing.T) {
		if out.OtherTabAfterOut != "signin" || !strings.Contains(out.OtherTabNotice, "logged out") {
			t.Errorf("other tab: %s %q", out.OtherTabAfterOut, out.OtherTabNotice)
		}
		if len(out.CookiesAfterOut) != 0 {
			t.Errorf("cookies left after logout: %v", out.CookiesAfterOut)
		}
	})
	if len(out.Errors) > 0 {
		t.Errorf("page errors: %v", out.Errors)
	}
	keepScreenshots(t, shots, "account-signin.png", "account.png")
}

func TestBrowserEndingSessionsAndChangingThePassword(t *testing.T) {
	needBrowser(t)
	gh, _ := browserServer(t)
	shots := t.TempDir()
	var out struct {
		ShownToA          []shownSession `json:"shownToA"`
		AAfterEnd         []shownSession `json:"aAfterEndingB"`
		BAfterEnd         string         `json:"bAfterEnded"`
		BNotice           string         `json:"bNotice"`
		WrongCurrent      string         `json:"wrongCurrentError"`
		ChangedNotice     string         `json:"changedNotice"`
		AAfterChange      string         `json:"aAfterChange"`
		AAfterChangeShown []shownSession `json:"aAfterChangeShown"`
		BAfterChange      string         `json:"bAfterChange"`
		BOldPassword      string         `json:"bOldPasswordError"`
		BNewPassword      string         `json:"bNewPassword"`
		Errors            []string
	}
	runBrowser(t, "devices", map[string]any{"base": gh.url(), "username": "alice", "password": alicePassword,
		"newPassword": newPassword, "shots": shots}, &out)

	t.Run("ending a session in tab A logs out tab B on its next request", func(t *testing.T) {
		if len(out.ShownToA) != 2 {
			t.Fatalf("A sees %+v, want its own and B's session", out.ShownToA)
		}
		if len(out.AAfterEnd) != 1 || !out.AAfterEnd[0].Current {
			t.Errorf("A sees %+v after ending B's, want only its own", out.AAfterEnd)
		}
		if out.BAfterEnd != "signin" || !strings.Contains(out.BNotice, "session has ended") {
			t.Errorf("B shows %s %q, want the sign-in form saying the session ended", out.BAfterEnd, out.BNotice)
		}
	})
	t.Run("changing the password needs the current one, keeps A and signs B out", func(t *testing.T) {
		if !strings.Contains(out.WrongCurrent, "current password is not right") {
			t.Errorf("a wrong current password: %q", out.WrongCurrent)
		}
		if !strings.Contains(out.ChangedNotice, "password was changed") || !strings.Contains(out.ChangedNotice, "1 other session") {
			t.Errorf("notice %q", out.ChangedNotice)
		}
		if out.AAfterChange != "account" || len(out.AAfterChangeShown) != 1 {
			t.Errorf("A: %s %+v, want the account with one session", out.AAfterChange, out.AAfterChangeShown)
		}
		if out.BAfterChange != "signin" {
			t.Errorf("B shows %s after the password change, want the sign-in form", out.BAfterChange)
		}
		if !strings.Contains(out.BOldPassword, "not right") || out.BNewPassword != "account" {
			t.Errorf("B with the old password: %q; with the new one: %s", out.BOldPassword, out.BNewPassword)
		}
		if r := call(t, "POST", gh.url(), "/token", map[string][]string{"grant_type": {"password"}, "username": {"alice"}, "password": {newPassword}}, ""); r.status != 200 {
			t.Errorf("the new password does not log in at /token: %d", r.status)
		}
	})
	if len(out.Errors) > 0 {
		t.Errorf("page errors: %v", out.Errors)
	}
	keepScreenshots(t, shots, "account-password-changed.png")
}

// otherOrigin is a local server on another port (another origin of the
// same site, 127.0.0.1) or another host name (localhost: another site)
// whose pages try to use Gatehouse's cookies.
func otherOrigin(t *testing.T, gatehouseURL *string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	// Forms a page of another origin would post, auto-submitted by the test.
	forms := map[string]string{
		"/logout":   `<form method="post" action="%s/session/logout"><input name="all" value="true"></form>`,
		"/refresh":  `<form method="post" enctype="text/plain" action="%s/session/refresh"><input name="x" value="y"></form>`,
		"/password": `<form method="post" enctype="multipart/form-data" action="%s/session/password"><input name="current_password" value="` + alicePassword + `"><input name="new_password" value="owned by another site"></form>`,
		"/login":    `<form method="post" action="%s/session/login"><input name="username" value="mallory"><input name="password" value="mallory's password"></form>`,
	}
	for path, form := range forms {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, "<!doctype html><title>another origin</title>"+form, *gatehouseURL)
		})
	}
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>another origin</title><p>another origin")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestBrowserAnotherOriginCannotUseTheCookies(t *testing.T) {
	needBrowser(t)
	var ghURL string
	evil := otherOrigin(t, &ghURL)   // not listed
	friend := otherOrigin(t, &ghURL) // listed in --cors-origins
	gh, db := browserServer(t, "--cors-origins", friend.URL)
	ghURL = gh.url()
	gatehouse(t, db, "mallory's password\n", "user", "add", "mallory", "--password-stdin")
	_, evilPort, _ := net.SplitHostPort(strings.TrimPrefix(evil.URL, "http://"))

	var out struct {
		Forms []struct {
			Name, Origin string
			Status       int
		} `json:"forms"`
		Fetches []struct {
			Name, Origin, Result string
		} `json:"fetches"`
		After    string         `json:"victimAfter"`
		Username string         `json:"victimUsername"`
		Sessions []shownSession `json:"victimSessions"`
		Errors   []string
	}
	runBrowser(t, "crossorigin", map[string]any{"base": gh.url(), "username": "alice", "password": alicePassword,
		"sameSite": evil.URL, "crossSite": "http://localhost:" + evilPort, "friend": friend.URL}, &out)

	for _, f := range out.Forms {
		t.Logf("form %s from %s: %d", f.Name, f.Origin, f.Status)
	}
	for _, f := range out.Fetches {
		t.Logf("fetch %s from %s: %.60s", f.Name, f.Origin, f.Result)
	}
	t.Run("forms posted from another origin change nothing", func(t *testing.T) {
		if len(out.Forms) != 8 {
			t.Fatalf("%d forms posted, want 4 from each of two origins: %+v", len(out.Forms), out.Forms)
		}
		for _, f := range out.Forms {
			// The same site (another port) sends the cookies and is refused
			// by the CSRF rule (403); another site does not even send them
			// (SameSite=Strict), so whatever it posts has no session.
			if f.Status < 400 || f.Status >= 500 || (strings.Contains(f.Origin, "127.0.0.1") && f.Status != http.StatusForbidden) {
				t.Errorf("%s from %s: %d, want 403 (same site) or a refusal", f.Name, f.Origin, f.Status)
			}
		}
	})
	t.Run("fetches from an unlisted origin get no CORS grant; the listed one does", func(t *testing.T) {
		for _, f := range out.Fetches {
			listed := f.Origin == friend.URL
			switch {
			case listed && !strings.HasPrefix(f.Result, "200 "):
				t.Errorf("%s from the listed origin: %s, want 200 with a readable body", f.Name, f.Result)
			case !listed && f.Result != "TypeError: Failed to fetch" && f.Result != "opaque":
				t.Errorf("%s from %s: %s, want no grant", f.Name, f.Origin, f.Result)
			}
		}
		if len(out.Fetches) < 5 {
			t.Errorf("%d fetches, want at least 5: %+v", len(out.Fetches), out.Fetches)
		}
	})
	t.Run("the victim is still signed in as herself, with one session and her password", func(t *testing.T) {
		if out.After != "account" || out.Username != "alice" || len(out.Sessions) != 1 {
			t.Errorf("victim page: %s as %q with %d sessions", out.After, out.Username, len(out.Sessions))
		}
		if r := call(t, "POST", gh.url(), "/token", map[string][]string{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePassword}}, ""); r.status != 200 {
			t.Errorf("alice's password changed: /token answers %d", r.status)
		}
	})
	if len(out.Errors) > 0 {
		t.Errorf("page errors: %v", out.Errors)
	}
}
