package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/account"
)

// The admin API maps each route onto account.Service, which owns every
// change to a user: conditional writes, ending sessions, audit.
// docs/admin-api.md documents every route and body.

// Pages of users: limit= defaults to 100, at most 1000.
const (
	defaultPage = 100
	maxPage     = 1000
)

// handleAdminListUsers is GET /admin/users: a page of users ordered by
// username (?limit=N&after=CURSOR, "next" is the cursor of the following
// page, "" at the end), or the user with a username (?username=NAME, in
// any form with the same canonical form; none when there is no such user).
func (s *server) handleAdminListUsers(w http.ResponseWriter, r *http.Request) error {
	qp, err := queryParams(r)
	if err != nil {
		return err
	}
	for k := range qp {
		if k != "limit" && k != "after" && k != "username" {
			return errInvalidRequest.with("unexpected parameter " + quoteName(k))
		}
	}
	if name := qp.get("username"); name != "" {
		if qp.get("limit") != "" || qp.get("after") != "" {
			return errInvalidRequest.with("username= looks one user up; it takes no limit or after")
		}
		out := []userView{}
		u, err := s.accounts.ByName(r.Context(), name)
		switch {
		case errors.Is(err, account.ErrNotFound):
		case err != nil:
			return err
		default:
			out = append(out, viewUser(u))
		}
		noStore(w)
		writeJSON(w, http.StatusOK, map[string]any{"users": out, "next": ""})
		return nil
	}
	limit, err := pageLimit(qp.get("limit"))
	if err != nil {
		return err
	}
	after, err := base64.RawURLEncoding.DecodeString(qp.get("after"))
	if err != nil {
		return errInvalidRequest.with("after must be the next of a previous page")
	}
	us, err := s.accounts.Page(r.Context(), string(after), limit)
	if err != nil {
		return err
	}
	out := make([]userView, 0, len(us))
	for _, u := range us {
		out = append(out, viewUser(u))
	}
	next := ""
	if len(us) == limit {
		next = base64.RawURLEncoding.EncodeToString([]byte(us[len(us)-1].Username))
	}
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]any{"users": out, "next": next})
	return nil
}

// queryParams reads the query string strictly: each name at most once.
func queryParams(r *http.Request) (params, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errInvalidRequest.with("malformed query string")
	}
	return fromValues(q)
}

// pageLimit reads limit=: 1 to maxPage, defaultPage when absent.
func pageLimit(v string) (int, error) {
	if v == "" {
		return defaultPage, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPage {
		return 0, errInvalidRequest.with("limit must be 1 to " + strconv.Itoa(maxPage))
	}
	return n, nil
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
	Username     string                     `json:"username"`
	Password     string                     `json:"password"`
	PasswordHash string                     `json:"password_hash"`
	Scopes       []string                   `json:"scopes"`
	Disabled     bool                       `json:"disabled"`
	Claims       map[string]json.RawMessage `json:"claims"`
}

// handleAdminCreateUser is POST /admin/users: {"username", "password" or
// "password_hash", "scopes":[...], "disabled", "claims":{...}} → 201 with
// the user. The username is stored in its canonical form; a taken name is
// 409. A password_hash (bcrypt, passlib pbkdf2-sha256, argon2id, argon2i)
// is stored as it is and upgraded at the first login.
func (s *server) handleAdminCreateUser(w http.ResponseWriter, r *http.Request) error {
	var in createUser
	if err := readAdminJSON(w, r, &in); err != nil {
		return err
	}
	scopes, err := checkScopes(in.Scopes)
	if err != nil {
		return err
	}
	switch {
	case in.Password != "" && in.PasswordHash != "":
		return errInvalidRequest.with("give password or password_hash, not both")
	case in.Password == "" && in.PasswordHash == "":
		return errInvalidRequest.with("password or password_hash is required")
	case len(in.Password) > maxPassword:
		return errInvalidRequest.with("password too long")
	}
	by, err := s.actor(r)
	if err != nil {
		return err
	}
	u, err := s.accounts.Create(r.Context(), account.NewUser{
		Username: in.Username, Password: in.Password, PasswordHash: in.PasswordHash, Scopes: scopes,
		Disabled: in.Disabled, Claims: in.Claims,
	}, by)
	if err != nil {
		return err
	}
	noStore(w)
	writeJSON(w, http.StatusCreated, viewUser(u))
	return nil
}

type updateUser struct {
	Scopes   *[]string                  `json:"scopes"`
	Disabled *bool                      `json:"disabled"`
	Password *string                    `json:"password"`
	Claims   map[string]json.RawMessage `json:"claims"`
}

// handleAdminUpdateUser is PATCH /admin/users/{id}: any of "scopes",
// "disabled", "password" and "claims", applied to the user as it is when
// written. "claims" is a JSON merge patch (RFC 7396) of the user's custom
// claims, member by member: a value sets the claim, null removes it. A new
// password, disabling and taking a scope away end every session and
// access token of the user issued before, at once; a change of claims
// reaches the user's tokens at their next refresh.
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
	for name, v := range in.Claims {
		if string(v) == "null" {
			c.UnsetClaims = append(c.UnsetClaims, name)
			continue
		}
		if c.SetClaims == nil {
			c.SetClaims = map[string]json.RawMessage{}
		}
		c.SetClaims[name] = v
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

// handleAdminUserSessions is GET /admin/users/{id}/sessions: the user's
// active sessions, most recently used first.
func (s *server) handleAdminUserSessions(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	if _, err := s.accounts.Get(r.Context(), id); err != nil {
		return err
	}
	ss, err := s.sessions.Sessions(r.Context(), id)
	if err != nil {
		return err
	}
	out := make([]sessionView, 0, len(ss))
	for _, x := range ss {
		out = append(out, viewSession(x, ""))
	}
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
	return nil
}

// handleAdminEndSession is DELETE /admin/users/{id}/sessions/{sid}: ends
// one session of the user (and its access tokens, at once). A session that
// is not the user's is 404.
func (s *server) handleAdminEndSession(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	sid := r.PathValue("sid")
	if sid == "" || len(sid) > 128 {
		return errNotFound.with("no such session")
	}
	by, err := s.actor(r)
	if err != nil {
		return err
	}
	err = s.sessions.EndSession(r.Context(), id, sid, "ended by an admin ("+by.By+")")
	if errors.Is(err, gatehouse.ErrNotFound) {
		return errNotFound.with("no such session")
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
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
