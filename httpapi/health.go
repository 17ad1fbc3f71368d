package httpapi

import (
	"log/slog"
	"net/http"
)

// handleHealthz is GET /healthz: the process answers.
func (s *server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !s.ready.wasReady.Swap(true) {
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "ready: the database takes writes")
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz is GET /readyz: 503 while the server drains (after
// SIGTERM), or when a write cannot succeed (Config.Ready: the database is
// down, frozen, out of disk or read-only); 200 otherwise. The check's
// answer is reused for a second.
func (s *server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if s.draining() {
		retryAfter(w, 0)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
		return
	}
	if err := s.ready.get(r.Context()); err != nil {
		// Logged when readiness turns, not at every poll.
		if s.ready.wasReady.Swap(false) {
			s.log.LogAttrs(r.Context(), slog.LevelWarn, "not ready: the database cannot take a write", slog.Any("err", err))
		}
		retryAfter(w, 0)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return
	}
	if !s.ready.wasReady.Swap(true) {
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "ready: the database takes writes")
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
