package httpapi

import (
	"encoding/json"
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
	switch {
	case e.Status == http.StatusUnauthorized && e.Code == errInvalidClient.Code:
		w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`"`)
	case e.Code == errTokenGone.Code:
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`", error="invalid_token"`)
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

// handlerFunc is a handler that returns its error instead of answering
// it; handle answers it, in one place.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc: an error it returns is answered by fail.
func (s *server) handle(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// fail answers err: a wire error or a domain error (wire maps it) as its
// precise answer, anything else as a logged 500 without detail.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if oe, wait := wire(err); oe != nil {
		if wait > 0 {
			retryAfter(w, wait)
		}
		writeOAuth(w, oe)
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	noStore(w)
	writeJSON(w, http.StatusInternalServerError, errorBody{Error: "server_error"})
}

// truncateBytes cuts s to at most n bytes.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
