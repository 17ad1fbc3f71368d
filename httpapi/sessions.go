package httpapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse"
)

type sessionView struct {
	ID         string    `json:"id"`
	ClientID   string    `json:"client_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
	Current    bool      `json:"current"`
}

// handleSessions is GET /sessions: the caller's active sessions, most
// recently used first, the one of the presented token marked current.
func (s *server) handleSessions(w http.ResponseWriter, r *http.Request) error {
	c, err := claimsFrom(r.Context())
	if err != nil {
		return err
	}
	ss, err := s.sessions.Sessions(r.Context(), c.Subject)
	if err != nil {
		return err
	}
	out := make([]sessionView, 0, len(ss))
	for _, x := range ss {
		out = append(out, viewSession(x, c.SessionID))
	}
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
	return nil
}

func viewSession(x *gatehouse.Session, current string) sessionView {
	exp := x.ExpiresAt
	if x.IdleExpiresAt.Before(exp) {
		exp = x.IdleExpiresAt
	}
	return sessionView{
		ID: x.ID, ClientID: x.ClientID, CreatedAt: x.CreatedAt.UTC(), LastUsedAt: x.LastUsedAt.UTC(),
		ExpiresAt: exp.UTC(), UserAgent: x.UserAgent, IP: x.IP, Current: x.ID == current,
	}
}

// handleEndSession is DELETE /sessions/{id}: ends one of the caller's
// sessions. Another user's session is 404, as is one that does not exist.
func (s *server) handleEndSession(w http.ResponseWriter, r *http.Request) error {
	c, err := claimsFrom(r.Context())
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if len(id) > 128 {
		return errNotFound
	}
	err = s.sessions.EndSession(r.Context(), c.Subject, id, "ended by the user")
	if errors.Is(err, gatehouse.ErrNotFound) {
		return errNotFound.with("no such session")
	}
	if err != nil {
		return err
	}
	noStore(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
