package httpapi

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/gatehouse/gatehouse"
)

// logoutMode is what a logout ends.
type logoutMode int

const (
	logoutThis   logoutMode = iota // the caller's session
	logoutAll                      // every session of the user (all=true)
	logoutOthers                   // every session but the caller's (others=true)
)

// handleLogout is POST /logout: it ends the caller's session; with
// all=true (form body or query) every session and access token of the user
// issued before now; with others=true every session of the user but the
// caller's ("log out my other devices"). 204 in every case; the ended
// sessions' access tokens are refused at once.
func (s *server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	c, mode, err := s.logoutRequest(w, r)
	if err != nil {
		return err
	}
	if _, err := s.logout(r, c, mode); err != nil {
		return err
	}
	noStore(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// logoutRequest reads the claims and the mode of a logout.
func (s *server) logoutRequest(w http.ResponseWriter, r *http.Request) (*gatehouse.Claims, logoutMode, error) {
	c, err := claimsFrom(r.Context())
	if err != nil {
		return nil, 0, err
	}
	p, err := readParams(w, r, false)
	if err != nil {
		return nil, 0, err
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, 0, errInvalidRequest.with("malformed query string")
	}
	qp, err := fromValues(q)
	if err != nil {
		return nil, 0, err
	}
	all, err := logoutFlag("all", p.get("all"), qp.get("all"))
	if err != nil {
		return nil, 0, err
	}
	others, err := logoutFlag("others", p.get("others"), qp.get("others"))
	if err != nil {
		return nil, 0, err
	}
	switch {
	case all && others:
		return nil, 0, errInvalidRequest.with("all and others exclude each other")
	case all:
		return c, logoutAll, nil
	case others:
		return c, logoutOthers, nil
	}
	return c, logoutThis, nil
}

// logout ends what mode says and returns how many sessions it ended.
func (s *server) logout(r *http.Request, c *gatehouse.Claims, mode logoutMode) (int, error) {
	ctx := r.Context()
	switch mode {
	case logoutAll:
		return s.accounts.EndSessions(ctx, c.Subject, "logout everywhere", s.self(r, c))
	case logoutOthers:
		return s.sessions.EndOtherSessions(ctx, c.Subject, c.SessionID, "ended by the user from another session")
	}
	err := s.sessions.EndSession(ctx, c.Subject, c.SessionID, "logout")
	if errors.Is(err, gatehouse.ErrNotFound) {
		return 0, nil // already purged: nothing left to end
	}
	if err != nil {
		return 0, err
	}
	return 1, nil
}

// logoutFlag reads a flag from the body or the query: "true" or "false"
// (or absent), the same wherever it is given.
func logoutFlag(name, body, query string) (bool, error) {
	if body != "" && query != "" && body != query {
		return false, errInvalidRequest.with(name + " given twice")
	}
	v := body
	if v == "" {
		v = query
	}
	switch v {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, errInvalidRequest.with(name + ` must be "true" or "false"`)
}
