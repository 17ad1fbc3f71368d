package httpapi

import (
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/account"
	"github.com/gatehouse/gatehouse/clients"
	"github.com/gatehouse/gatehouse/guard"
	"github.com/gatehouse/gatehouse/session"
)

// Browser mode: the same logins and refreshes as /token, with the tokens
// in HttpOnly cookies (cookieJar) instead of the body, every request
// checked by the CSRF rule that guard's cookie mode applies (guard.CSRF),
// and the account page (account_page.go). See docs/browser.md.

// sessionAnswer is the body of a login or a refresh in browser mode: no
// token, only what a page needs to plan its next refresh.
type sessionAnswer struct {
	ExpiresIn int64  `json:"expires_in"`
	Scope     string `json:"scope"`
}

// browserRoutes adds the cookie endpoints and the account page.
func (s *server) browserRoutes(mux *routeMux, self func(http.Handler) http.Handler) {
	h := s.handle
	csrf := s.csrf.Protect
	mux.Handle("POST /session/login", csrf(h(s.handleSessionLogin)))
	mux.Handle("POST /session/refresh", csrf(h(s.handleSessionRefresh)))
	mux.Handle("POST /session/logout", self(h(s.handleSessionLogout)))
	mux.Handle("POST /session/password", self(h(s.handleSessionPassword)))
	mux.Handle("GET /account", http.HandlerFunc(s.handleAccountPage))
	mux.Handle("GET /account/{asset}", http.HandlerFunc(s.handleAccountAsset))
}

// selfRoutes is the middleware of the caller's own routes (/userinfo,
// /sessions, /logout, the cookie endpoints that need a session): guard, as
// on every bearer route, also reading the access cookie, whose
// state-changing requests must pass the CSRF rule.
func (s *server) selfRoutes() func(http.Handler) http.Handler {
	verify := guard.Middleware(verifier{s}, guard.WithRealm(realm),
		guard.WithCookie(s.cookies.access), guard.WithCSRF(s.csrf), guard.WithClock(s.now))
	return func(h http.Handler) http.Handler { return withUserSlot(verify(h)) }
}

// handleSessionLogin is POST /session/login: the password grant of the
// first-party client (account.Service.Login: throttle, one hash, audit),
// its tokens set as cookies. JSON {"username", "password", "scope"?}.
func (s *server) handleSessionLogin(w http.ResponseWriter, r *http.Request) error {
	p, err := readParams(w, r, true)
	if err != nil {
		return err
	}
	g, err := s.passwordGrant(r, p, clients.FirstParty)
	if err != nil {
		return err
	}
	return s.sessionGranted(w, g)
}

// handleSessionRefresh is POST /session/refresh: the refresh_token grant
// (session.Manager.Refresh: rotation, the grace window, reuse detection)
// with the refresh cookie, its tokens set as cookies. An optional JSON
// {"scope"} narrows the scope. A failed refresh leaves the cookies alone:
// a request sent with an old cookie must not delete the new ones another
// tab has just received.
func (s *server) handleSessionRefresh(w http.ResponseWriter, r *http.Request) error {
	p, err := readParams(w, r, true)
	if err != nil {
		return err
	}
	if p.get("refresh_token") != "" {
		return errInvalidRequest.with("the refresh token comes from its cookie, not the body")
	}
	tok := s.cookies.refreshToken(r)
	if tok == "" {
		return errInvalidGrant.with("no refresh cookie")
	}
	p["refresh_token"] = tok
	g, err := s.refreshGrant(r, p, clients.FirstParty)
	if err != nil {
		return err
	}
	return s.sessionGranted(w, g)
}

// sessionGranted sets the grant's cookies and answers 200 without tokens.
func (s *server) sessionGranted(w http.ResponseWriter, g *session.Grant) error {
	s.cookies.set(w, g, s.now())
	noStore(w)
	writeJSON(w, http.StatusOK, sessionAnswer{ExpiresIn: int64(g.ExpiresIn.Seconds()), Scope: gatehouse.FormatScope(g.Scopes)})
	return nil
}

// handleSessionLogout is POST /session/logout: /logout (this session; with
// {"all": "true"} every session of the user; with {"others": "true"} every
// one but this), and unless this session goes on, the cookies are dropped.
func (s *server) handleSessionLogout(w http.ResponseWriter, r *http.Request) error {
	c, mode, err := s.logoutRequest(w, r)
	if err != nil {
		return err
	}
	if _, err := s.logout(r, c, mode); err != nil {
		return err
	}
	if mode != logoutOthers {
		s.cookies.clear(w)
	}
	noStore(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleSessionPassword is POST /session/password: the user changes their
// own password, JSON {"current_password", "new_password"}. The current
// password is checked by the login policy (a fresh login), every session of
// the user ends, and this browser gets a new session in its cookies
// (account.Service.ChangeOwnPassword). 200 {"expires_in", "scope",
// "sessions_ended"}: how many other sessions ended.
func (s *server) handleSessionPassword(w http.ResponseWriter, r *http.Request) error {
	c, err := claimsFrom(r.Context())
	if err != nil {
		return err
	}
	p, err := readParams(w, r, true)
	if err != nil {
		return err
	}
	current, next := p.get("current_password"), p.get("new_password")
	if current == "" || next == "" {
		return errInvalidRequest.with("current_password and new_password are required")
	}
	if len(current) > maxPassword || len(next) > maxPassword {
		return errInvalidRequest.with("password too long")
	}
	g, ended, err := s.accounts.ChangeOwnPassword(r.Context(), account.PasswordChange{
		UserID: c.Subject, SessionID: c.SessionID, Current: current, New: next,
		IP: clientIP(r, s.proxies), UserAgent: r.UserAgent(),
	})
	if err != nil {
		return err
	}
	s.cookies.set(w, g, s.now())
	noStore(w)
	writeJSON(w, http.StatusOK, struct {
		sessionAnswer
		Ended int `json:"sessions_ended"`
	}{sessionAnswer{ExpiresIn: int64(g.ExpiresIn.Seconds()), Scope: gatehouse.FormatScope(g.Scopes)}, ended})
	return nil
}

// browserMode sets up CORS, the CSRF rule and the cookies from cfg.
func (s *server) browserMode(cfg Config) error {
	var err error
	if s.cors, err = newCORS(cfg.CORSOrigins); err != nil {
		return err
	}
	if s.csrf, err = guard.NewCSRF(s.cors.allowed()...); err != nil {
		return err
	}
	if s.cookies, err = newCookieJar(s.issuer, cfg.DevCookies); err != nil {
		return err
	}
	if s.assets, err = loadAssets(); err != nil {
		return err
	}
	if !cfg.DevCookies && strings.HasPrefix(s.issuer, "http://") {
		s.log.Info("browser mode: the issuer is plain HTTP, and browsers keep the Secure cookies of /session/login only over HTTPS; serve Gatehouse over HTTPS, or use --dev-cookies for local development")
	}
	if cfg.DevCookies {
		s.log.Warn("development cookies: browser-mode cookies are sent over plain HTTP, without Secure and without the __Host-/__Secure- prefixes; never use --dev-cookies in production",
			"access_cookie", s.cookies.access, "refresh_cookie", s.cookies.refresh)
	}
	return nil
}
