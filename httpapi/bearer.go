package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

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
	c, err := v.s.sessions.Authenticate(ctx, tok)
	if errors.Is(err, session.ErrInvalidToken) {
		return nil, err
	}
	if err != nil {
		v.s.log.LogAttrs(ctx, slog.LevelError, "access token not checked", slog.Any("err", err))
		return nil, fmt.Errorf("%w: %w", guard.ErrUnavailable, err)
	}
	return c, nil
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
