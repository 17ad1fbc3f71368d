package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/guard"
	"github.com/gatehouse/gatehouse/session"
)

// realm is the realm of the server's Bearer challenges.
const realm = "gatehouse"

// maxBearer caps an access token presented to /revoke and /introspect,
// checked before any decoding (guard caps the Bearer routes the same).
const maxBearer = guard.MaxTokenSize

// verifier is the guard.Verifier of the server's own bearer routes:
// session.Manager.Authenticate, which decides from durable session and user
// state. A token it refuses is invalid_token; a token it could not check
// (the store failed) is guard.ErrUnavailable, answered 503, never 401.
type verifier struct{ s *server }

func (v verifier) Verify(ctx context.Context, tok string) (*guard.Claims, error) {
	c, u, err := v.s.sessions.AuthenticateUser(ctx, tok)
	if errors.Is(err, session.ErrInvalidToken) {
		return nil, err
	}
	if err != nil {
		// An unavailable store is logged where it fails, at most once per
		// cause and interval (store/resilient); anything else here.
		if !errors.Is(err, gatehouse.ErrUnavailable) {
			v.s.log.LogAttrs(ctx, slog.LevelError, "access token not checked", slog.Any("err", err))
		}
		return nil, fmt.Errorf("%w: %w", guard.ErrUnavailable, err)
	}
	if slot, ok := ctx.Value(userSlotKey{}).(*userSlot); ok {
		slot.user = u
	}
	return c, nil
}

// userSlotKey is the context key of the slot in which the verifier leaves
// the user it read for a bearer route, so the handler does not read it
// again.
type userSlotKey struct{}

type userSlot struct{ user *gatehouse.User }

// withUserSlot gives the request a slot for the verified user.
func withUserSlot(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userSlotKey{}, &userSlot{})))
	})
}

// verifiedUser is the user the verifier read for this request's token
// (nil outside a bearer route).
func verifiedUser(ctx context.Context) *gatehouse.User {
	slot, _ := ctx.Value(userSlotKey{}).(*userSlot)
	if slot == nil {
		return nil
	}
	return slot.user
}

// claimsFrom returns the claims guard verified; handlers run only behind
// guard.Middleware, which refuses a request without them, and treat their
// absence as an error (fail closed).
func claimsFrom(ctx context.Context) (*gatehouse.Claims, error) {
	c, ok := guard.ClaimsFrom(ctx)
	if !ok || c == nil {
		return nil, errors.New("httpapi: bearer route without verified claims")
	}
	return c, nil
}
