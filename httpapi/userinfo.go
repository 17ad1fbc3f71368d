package httpapi

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/account"
)

// handleUserinfo is GET /userinfo: who the token speaks for, with the
// scopes it still grants. The verifier has refused tokens of deleted and
// disabled users; one deleted since is invalid_token too.
func (s *server) handleUserinfo(w http.ResponseWriter, r *http.Request) error {
	c, err := claimsFrom(r.Context())
	if err != nil {
		return err
	}
	u, err := s.accounts.Get(r.Context(), c.Subject)
	if errors.Is(err, account.ErrNotFound) || (err == nil && u.Disabled) {
		return errTokenGone
	}
	if err != nil {
		return err
	}
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]string{
		"sub":                c.Subject,
		"preferred_username": u.Username,
		"scope":              gatehouse.FormatScope(c.Scopes),
	})
	return nil
}
