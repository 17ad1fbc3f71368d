package httpapi

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/gatehouse/gatehouse"
)

// handleLogout is POST /logout: it ends the caller's session, or with
// all=true (form body or query) every session and access token of the user
// issued before now. 204 either way; the session's access tokens are
// refused at once.
func (s *server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	c, err := claimsFrom(r.Context())
	if err != nil {
		return err
	}
	p, err := readParams(w, r, false)
	if err != nil {
		return err
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errInvalidRequest.with("malformed query string")
	}
	qp, err := fromValues(q)
	if err != nil {
		return err
	}
	all, err := logoutAll(p.get("all"), qp.get("all"))
	if err != nil {
		return err
	}
	ctx := r.Context()
	if all {
		_, err = s.accounts.EndSessions(ctx, c.Subject, "logout everywhere", s.self(r, c))
	} else {
		err = s.sessions.EndSession(ctx, c.Subject, c.SessionID, "logout")
		if errors.Is(err, gatehouse.ErrNotFound) {
			err = nil // already purged: nothing left to end
		}
	}
	if err != nil {
		return err
	}
	noStore(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
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
