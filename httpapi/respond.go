package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// noStore marks a response that carries or concerns tokens as not to be
// cached (RFC 6749 §5.1).
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// writeJSON writes v as the JSON body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own types are marshalled; this cannot happen.
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// writeOAuth writes e as an RFC 6749 §5.2 error, never cached. A 401
// invalid_client carries the Basic challenge (RFC 6749 §5.2).
func writeOAuth(w http.ResponseWriter, e *oauthError) {
	noStore(w)
	if e.Status == http.StatusUnauthorized && e.Code == errInvalidClient.Code {
		w.Header().Set("WWW-Authenticate", `Basic realm="gatehouse"`)
	}
	writeJSON(w, e.Status, errorBody{Error: e.Code, Description: e.Description})
}

// retryAfter sets Retry-After to d in whole seconds, rounded up, at least 1.
func retryAfter(w http.ResponseWriter, d time.Duration) {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(s))
}

// fail answers err: an *oauthError as itself, anything else as a logged
// 500 without detail.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var oe *oauthError
	if errors.As(err, &oe) {
		if oe.Status == http.StatusServiceUnavailable {
			retryAfter(w, time.Second)
		}
		writeOAuth(w, oe)
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	noStore(w)
	writeJSON(w, http.StatusInternalServerError, errorBody{Error: "server_error"})
}
