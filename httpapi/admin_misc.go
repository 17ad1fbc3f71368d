package httpapi

import (
	"net/http"
	"strconv"
	"time"
)

type eventView struct {
	ID        int64     `json:"id"`
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind"`
	UserID    string    `json:"user_id,omitempty"`
	SessionID string    `json:"session_id,omitempty"`
	ClientID  string    `json:"client_id,omitempty"`
	IP        string    `json:"ip,omitempty"`
	Detail    string    `json:"detail,omitempty"`
}

// handleAdminEvents is GET /admin/events?user=ID&before=ID&limit=N: the
// audit log, newest first. "next" is the before= of the following page, 0
// at the end.
func (s *server) handleAdminEvents(w http.ResponseWriter, r *http.Request) error {
	qp, err := queryParams(r)
	if err != nil {
		return err
	}
	num := func(name string, def, max int64) (int64, bool) {
		v := qp.get(name)
		if v == "" {
			return def, true
		}
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil && n >= 0 && n <= max
	}
	before, ok1 := num("before", 0, 1<<62)
	limit, ok2 := num("limit", 100, 1000)
	if !ok1 || !ok2 || limit == 0 {
		return errInvalidRequest.with("before must be an event id and limit 1 to 1000")
	}
	evs, err := s.store.Events(r.Context(), qp.get("user"), before, int(limit))
	if err != nil {
		return err
	}
	out := make([]eventView, 0, len(evs))
	var next int64
	for _, e := range evs {
		out = append(out, eventView{ID: e.ID, Time: e.Time.UTC(), Kind: e.Kind, UserID: e.UserID,
			SessionID: e.SessionID, ClientID: e.ClientID, IP: e.IP, Detail: e.Detail})
		next = e.ID
	}
	if int64(len(evs)) < limit {
		next = 0
	}
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]any{"events": out, "next": next})
	return nil
}
