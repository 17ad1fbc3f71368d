package httpapi

import (
	"net/http"

	"github.com/gatehouse/gatehouse"
)

// handleUserinfo is GET /userinfo: who the token speaks for, with the
// scopes it still grants, from the user the verifier read to accept the
// token (it refused tokens of deleted and disabled users).
func (s *server) handleUserinfo(w http.ResponseWriter, r *http.Request) error {
	c, err := claimsFrom(r.Context())
	if err != nil {
		return err
	}
	u := verifiedUser(r.Context())
	if u == nil || u.ID != c.Subject {
		return errTokenGone
	}
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]string{
		"sub":                c.Subject,
		"preferred_username": u.Username,
		"scope":              gatehouse.FormatScope(c.Scopes),
	})
	return nil
}
