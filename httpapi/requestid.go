package httpapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gatehouse/gatehouse"
)

// RequestIDHeader carries a request's id, in both directions.
const RequestIDHeader = "X-Request-ID"

// maxRequestIDLen bounds an incoming X-Request-ID: a UUID is 36
// characters, Gatehouse's own ids 22.
const maxRequestIDLen = 64

type requestIDKey struct{}

// RequestID returns the id of the request whose context ctx is (or
// derives from), or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// withRequestID gives every request an id: the incoming X-Request-ID when
// it is well-formed (validRequestID), else a new gatehouse.NewID. The id is
// in the response's X-Request-ID, set before anything else answers, and in
// the request's context, where LogHandler finds it for every log line
// written with that context (docs/metrics.md).
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = gatehouse.NewID()
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// validRequestID reports whether an incoming id may be kept: 1 to 64
// characters among ASCII letters, digits, '-', '_' and '.', which covers
// UUIDs, ULIDs and the ids of common proxies, and can carry no newline,
// quote, space or escape into a log line or a header.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

// LogHandler wraps h so that every record logged with a request's context
// carries the request's id as the attribute request_id. Give the server's
// components (session, account, audit, httpapi) a logger on it; they log
// with the request's context.
func LogHandler(h slog.Handler) slog.Handler { return requestIDHandler{h} }

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
