package httpapi

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/gatehouse/gatehouse"
)

// handleLogout is POST /logout: it ends the caller's session, or with
// all=true (form body or query) every session of the user. 204 either
// way; the session's access tokens are refused at once.
func (s *server) handleLogout(w http.ResponseWriter, r *http.Request) {
	c := claimsFrom(r.Context())
	p, err := readParams(w, r, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.fail(w, r, errInvalidRequest.with("malformed query string"))
		return
	}
	qp, err := fromValues(q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	all, err := logoutAll(p.get("all"), qp.get("all"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	switch {
	case all:
		_, err = s.sessions.EndUserSessions(ctx, c.Subject, "logout everywhere")
	case c.SessionID != "":
		err = s.sessions.EndSession(ctx, c.Subject, c.SessionID, "logout")
		if errors.Is(err, gatehouse.ErrNotFound) {
			err = nil // already purged: nothing left to end
		}
	default:
		tok, _ := ctx.Value(rawTokenKey).(string)
		err = s.sessions.RevokeToken(ctx, tok, "access_token", c.ClientID)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	noStore(w)
	w.WriteHeader(http.StatusNoContent)
}

// logoutAll reads the all flag from the body or the query: "true" or
// "false" (or absent), the same wherever it is given.
func logoutAll(body, query string) (bool, error) {
	if body != "" && query != "" && body != query {
		return false, errInvalidRequest.with("all given twice")
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
	return false, errInvalidRequest.with(`all must be "true" or "false"`)
}
