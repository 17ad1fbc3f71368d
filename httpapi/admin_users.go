package httpapi

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/password"
)

// handleAdminListUsers is GET /admin/users.
func (s *server) handleAdminListUsers(w http.ResponseWriter, r *http.Request) {
	us, err := s.store.ListUsers(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]userView, 0, len(us))
	for _, u := range us {
		out = append(out, viewUser(u))
	}
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

// handleAdminGetUser is GET /admin/users/{id}.
func (s *server) handleAdminGetUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.userByPath(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, viewUser(u))
}

type createUser struct {
	Username string   `json:"username"`
	Password string   `json:"password"`
	Scopes   []string `json:"scopes"`
}

// handleAdminCreateUser is POST /admin/users: {"username","password",
// "scopes":[...]} → 201 with the user. The username is stored in its
// canonical form; a taken name is 409.
func (s *server) handleAdminCreateUser(w http.ResponseWriter, r *http.Request) {
	var in createUser
	if err := readAdminJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	scopes, err := checkScopes(in.Scopes)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.createUser(r.Context(), in.Username, in.Password, scopes)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.adminEvent(r, gatehouse.EventAdmin, u.ID, "user created")
	noStore(w)
	writeJSON(w, http.StatusCreated, viewUser(u))
}

type updateUser struct {
	Scopes   *[]string `json:"scopes"`
	Disabled *bool     `json:"disabled"`
	Password *string   `json:"password"`
}

// handleAdminUpdateUser is PATCH /admin/users/{id}: any of "scopes",
// "disabled", "password". Disabling a user or setting their password ends
// all their sessions.
func (s *server) handleAdminUpdateUser(w http.ResponseWriter, r *http.Request) {
	var in updateUser
	if err := readAdminJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.userByPath(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	now := s.now().UTC()
	nu := *u
	endSessions := ""
	if in.Scopes != nil {
		if nu.Scopes, err = checkScopes(*in.Scopes); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if in.Password != nil {
		if err := s.passwords.CheckPolicy(*in.Password); err != nil {
			s.fail(w, r, policyError(err))
			return
		}
		if nu.PasswordHash, err = s.passwords.Hash(ctx, *in.Password); err != nil {
			s.fail(w, r, hashError(err))
			return
		}
		nu.PasswordChangedAt = now
		endSessions = "password changed"
	}
	if in.Disabled != nil {
		nu.Disabled = *in.Disabled
		if nu.Disabled && !u.Disabled {
			endSessions = "user disabled"
		}
	}
	nu.UpdatedAt = now
	if err := s.store.UpdateUser(ctx, &nu); err != nil {
		if errors.Is(err, gatehouse.ErrNotFound) {
			err = errNotFound.with("no such user")
		}
		s.fail(w, r, err)
		return
	}
	if endSessions != "" {
		if _, err := s.sessions.EndUserSessions(ctx, nu.ID, endSessions); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	switch {
	case in.Password != nil:
		s.adminEvent(r, gatehouse.EventPasswordChanged, nu.ID, "password set")
	}
	if nu.Disabled != u.Disabled {
		kind, what := gatehouse.EventUserDisabled, "user disabled"
		if !nu.Disabled {
			kind, what = gatehouse.EventAdmin, "user enabled"
		}
		s.adminEvent(r, kind, nu.ID, what)
	}
	if in.Scopes != nil {
		s.adminEvent(r, gatehouse.EventAdmin, nu.ID, "scopes set to "+quoteName(gatehouse.FormatScope(nu.Scopes)))
	}
	noStore(w)
	writeJSON(w, http.StatusOK, viewUser(&nu))
}

// handleAdminDeleteUser is DELETE /admin/users/{id}: its sessions end
// first, so their access tokens are refused at once, then it is deleted.
func (s *server) handleAdminDeleteUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.userByPath(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.sessions.EndUserSessions(r.Context(), u.ID, "user deleted"); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.store.DeleteUser(r.Context(), u.ID); err != nil && !errors.Is(err, gatehouse.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	s.adminEvent(r, gatehouse.EventAdmin, u.ID, "user deleted")
	w.WriteHeader(http.StatusNoContent)
}

// handleAdminRevokeSessions is POST /admin/users/{id}/revoke-sessions.
func (s *server) handleAdminRevokeSessions(w http.ResponseWriter, r *http.Request) {
	u, err := s.userByPath(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := s.sessions.EndUserSessions(r.Context(), u.ID, "revoked by an admin")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.adminEvent(r, gatehouse.EventAdmin, u.ID, "all sessions revoked")
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]int{"revoked": n})
}

func (s *server) userByPath(r *http.Request) (*gatehouse.User, error) {
	id := r.PathValue("id")
	if id == "" || len(id) > 128 {
		return nil, errNotFound.with("no such user")
	}
	u, err := s.store.UserByID(r.Context(), id)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errNotFound.with("no such user")
	}
	return u, err
}

func policyError(err error) error {
	switch {
	case errors.Is(err, password.ErrTooShort):
		return errInvalidRequest.with("password too short")
	case errors.Is(err, password.ErrTooLong):
		return errInvalidRequest.with("password too long")
	}
	return err
}
