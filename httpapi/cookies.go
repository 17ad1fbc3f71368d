package httpapi

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/guard"
	"github.com/gatehouse/gatehouse/session"
)

// Cookie names of browser mode. The access cookie's are guard's, so an API
// protected by guard.WithCookie(guard.AccessCookie) reads what the server
// sets.
const (
	refreshCookie    = "__Secure-gatehouse-refresh"
	devRefreshCookie = "gatehouse-refresh"
)

// cookieJar sets and reads the cookies of browser mode: the access token
// in a __Host- cookie for the whole host, the refresh token in a __Secure-
// cookie sent only to the refresh endpoint; both HttpOnly (no script reads
// them), Secure and SameSite=Strict (no other site makes the browser send
// them). With dev set (--dev-cookies, a loopback issuer only) they lose
// the prefixes and Secure, so a browser keeps them over plain HTTP.
type cookieJar struct {
	access, refresh string
	refreshPath     string
	secure          bool
}

// newCookieJar returns the jar of a server whose public URL is issuer: the
// refresh cookie's path is the issuer's path + /session/refresh.
func newCookieJar(issuer string, dev bool) (cookieJar, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return cookieJar{}, fmt.Errorf("httpapi: issuer %q is not an absolute URL", issuer)
	}
	j := cookieJar{
		access: guard.AccessCookie, refresh: refreshCookie,
		refreshPath: strings.TrimRight(u.Path, "/") + "/session/refresh",
		secure:      true,
	}
	if dev {
		if err := CheckDevCookiesIssuer(issuer); err != nil {
			return cookieJar{}, fmt.Errorf("httpapi: development cookies: %w", err)
		}
		j.access, j.refresh, j.secure = guard.DevAccessCookie, devRefreshCookie, false
	}
	return j, nil
}

// CheckDevCookiesIssuer tells whether a server whose public URL is issuer
// may use development cookies (plain HTTP, no Secure): only on a loopback
// host, where no other machine can read them.
func CheckDevCookiesIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || !loopbackHost(u.Hostname()) {
		return fmt.Errorf("need a loopback issuer (localhost, 127.0.0.0/8 or [::1]), not %s", issuer)
	}
	return nil
}

// loopbackHost reports whether host is localhost or a loopback address.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && a.Unmap().IsLoopback()
}

// set puts the grant's tokens in the cookies: the access cookie lives as
// long as its token, the refresh cookie as long as the session may (its
// idle and absolute ends, whichever comes first; each refresh moves it).
func (j cookieJar) set(w http.ResponseWriter, g *session.Grant, now time.Time) {
	http.SetCookie(w, j.cookie(j.access, "/", g.AccessToken, g.ExpiresIn))
	end := g.Session.ExpiresAt
	if g.Session.IdleExpiresAt.Before(end) {
		end = g.Session.IdleExpiresAt
	}
	http.SetCookie(w, j.cookie(j.refresh, j.refreshPath, g.RefreshToken, end.Sub(now)))
}

// clear tells the browser to drop both cookies.
func (j cookieJar) clear(w http.ResponseWriter) {
	http.SetCookie(w, j.cookie(j.access, "/", "", -1))
	http.SetCookie(w, j.cookie(j.refresh, j.refreshPath, "", -1))
}

// cookie is one cookie of the jar; a negative life deletes it.
func (j cookieJar) cookie(name, path, value string, life time.Duration) *http.Cookie {
	maxAge := int(life / time.Second)
	if life < 0 || maxAge == 0 {
		maxAge = -1 // Max-Age=0: delete now
	}
	return &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: j.secure, SameSite: http.SameSiteStrictMode,
	}
}

// refreshToken is the refresh cookie's value; "" when there is none (or
// more than one, which a browser sends only when cookies of another path
// or domain shadow ours: refused rather than guessed).
func (j cookieJar) refreshToken(r *http.Request) string {
	var v string
	n := 0
	for _, c := range r.CookiesNamed(j.refresh) {
		v = c.Value
		n++
	}
	if n != 1 {
		return ""
	}
	return v
}
