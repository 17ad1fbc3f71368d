package httpapi

import (
	"net/http"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/account"
)

// The admin API maps each route onto account.Service, which owns every
// change to a user: conditional writes, ending sessions, audit.

// handleAdminListUsers is GET /admin/users.
func (s *server) handleAdminListUsers(w http.ResponseWriter, r *http.Request) error {
	us, err := s.accounts.List(r.Context())
	if err != nil {
		return err
	}
	out := make([]userView, 0, len(us))
	for _, u := range us {
		out = append(out, viewUser(u))
	}
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

// handleAdminGetUser is GET /admin/users/{id}.
func (s *server) handleAdminGetUser(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	u, err := s.accounts.Get(r.Context(), id)
	if err != nil {
		return err
	}
	noStore(w)
	writeJSON(w, http.StatusOK, viewUser(u))
	return nil
}

type createUser struct {
	Username string   `json:"username"`
	Password string   `json:"password"`
	Scopes   []string `json:"scopes"`
}

// handleAdminCreateUser is POST /admin/users: {"username","password",
// "scopes":[...]} → 201 with the user. The username is stored in its
// canonical form; a taken name is 409.
func (s *server) handleAdminCreateUser(w http.ResponseWriter, r *http.Request) error {
	var in createUser
	if err := readAdminJSON(w, r, &in); err != nil {
		return err
	}
	scopes, err := checkScopes(in.Scopes)
	if err != nil {
		return err
	}
	if len(in.Password) > maxPassword {
		return errInvalidRequest.with("password too long")
	}
	by, err := s.actor(r)
	if err != nil {
		return err
	}
	u, err := s.accounts.Create(r.Context(), account.NewUser{Username: in.Username, Password: in.Password, Scopes: scopes}, by)
	if err != nil {
		return err
	}
	noStore(w)
	writeJSON(w, http.StatusCreated, viewUser(u))
	return nil
}

type updateUser struct {
	Scopes   *[]string `json:"scopes"`
	Disabled *bool     `json:"disabled"`
	Password *string   `json:"password"`
}

// handleAdminUpdateUser is PATCH /admin/users/{id}: any of "scopes",
// "disabled", "password", applied to the user as it is when written. A new
// password, disabling and taking a scope away end every session and access
// token of the user issued before, at once.
func (s *server) handleAdminUpdateUser(w http.ResponseWriter, r *http.Request) error {
	var in updateUser
	if err := readAdminJSON(w, r, &in); err != nil {
		return err
	}
	id, err := userID(r)
	if err != nil {
		return err
	}
	c := account.Changes{Disabled: in.Disabled, Password: in.Password}
	if in.Scopes != nil {
		sc, err := checkScopes(*in.Scopes)
		if err != nil {
			return err
		}
		c.Scopes = &sc
	}
	if in.Password != nil && len(*in.Password) > maxPassword {
		return errInvalidRequest.with("password too long")
	}
	by, err := s.actor(r)
	if err != nil {
		return err
	}
	u, _, err := s.accounts.Update(r.Context(), id, c, by)
	if err != nil {
		return err
	}
	noStore(w)
	writeJSON(w, http.StatusOK, viewUser(u))
	return nil
}

// handleAdminDeleteUser is DELETE /admin/users/{id}: the user, its sessions
// and every token issued to it end in one atomic operation.
func (s *server) handleAdminDeleteUser(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	by, err := s.actor(r)
	if err != nil {
		return err
	}
	if err := s.accounts.Delete(r.Context(), id, by); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleAdminRevokeSessions is POST /admin/users/{id}/revoke-sessions: every
// session and access token of the user issued before now ends.
func (s *server) handleAdminRevokeSessions(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	by, err := s.actor(r)
	if err != nil {
		return err
	}
	n, err := s.accounts.EndSessions(r.Context(), id, "revoked by an admin", by)
	if err != nil {
		return err
	}
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]int{"revoked": n})
	return nil
}

// userID is the {id} of an admin route; an implausible one is not found.
func userID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if id == "" || len(id) > 128 {
		return "", errNotFound.with("no such user")
	}
	return id, nil
}

// actor is the admin making the request, for the audit log.
func (s *server) actor(r *http.Request) (account.Actor, error) {
	c, err := claimsFrom(r.Context())
	if err != nil {
		return account.Actor{}, err
	}
	return account.Actor{By: c.Subject, ClientID: c.ClientID, IP: clientIP(r, s.proxies)}, nil
}

// self is the user acting on their own account (logout everywhere).
func (s *server) self(r *http.Request, c *gatehouse.Claims) account.Actor {
	return account.Actor{By: "the user", ClientID: c.ClientID, IP: clientIP(r, s.proxies)}
}
