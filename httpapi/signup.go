package httpapi

import (
	"net/http"
)

// handleSignup is POST /signup, served only with Config.Signup: username
// and password, form-encoded or JSON, → 201 {"sub","preferred_username"}.
// The new user has no scopes; an administrator grants them. Sign-ups are
// bounded per client address by their own limit (account.Service.Signup),
// so the endpoint cannot be used to create accounts in bulk, nor to close
// sign-up or any login for others. A taken username is 409: an open
// sign-up necessarily tells whether a name exists.
func (s *server) handleSignup(w http.ResponseWriter, r *http.Request) error {
	p, err := readParams(w, r, true)
	if err != nil {
		return err
	}
	for name := range p {
		if name != "username" && name != "password" {
			return errInvalidRequest.with("unknown parameter " + quoteName(name))
		}
	}
	if len(p.get("password")) > maxPassword {
		return errInvalidRequest.with("password too long")
	}
	u, err := s.accounts.Signup(r.Context(), p.get("username"), p.get("password"), clientIP(r, s.proxies))
	if err != nil {
		return err
	}
	noStore(w)
	writeJSON(w, http.StatusCreated, map[string]string{"sub": u.ID, "preferred_username": u.Username})
	return nil
}
