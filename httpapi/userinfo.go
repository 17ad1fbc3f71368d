package httpapi

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse"
)

// handleUserinfo is GET /userinfo: who the token speaks for. A token of a
// deleted or disabled user is invalid_token.
func (s *server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	c := claimsFrom(r.Context())
	u, err := s.store.UserByID(r.Context(), c.Subject)
	if errors.Is(err, gatehouse.ErrNotFound) || (err == nil && u.Disabled) {
		writeBearer(w, errBadToken)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]string{
		"sub":                c.Subject,
		"preferred_username": u.Username,
		"scope":              gatehouse.FormatScope(c.Scopes),
	})
}
