package guard

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse"
)

// Claims are the verified claims of an access token. Custom claims are read
// with Claims.Custom. A *Claims may be shared between requests (the
// verified-token cache hands out the same value for the same token): treat
// it as read-only.
type Claims = gatehouse.Claims

// authState is what Middleware leaves in the request context: the claims
// (nil for an anonymous request let through by Optional) and what the
// authorization middleware after it needs to answer in the same terms.
type authState struct {
	claims *Claims
	realm  string
	now    func() time.Time
}

// stateKey is the unexported context key of *authState.
type stateKey struct{}

func withState(ctx context.Context, s *authState) context.Context {
	return context.WithValue(ctx, stateKey{}, s)
}

func stateFrom(ctx context.Context) *authState {
	s, _ := ctx.Value(stateKey{}).(*authState)
	return s
}

// ClaimsFrom returns the claims of the verified token of the request whose
// context ctx is. ok is false when no Middleware verified a token for it
// (no middleware, or an anonymous request let through by Optional).
func ClaimsFrom(ctx context.Context) (claims *Claims, ok bool) {
	s := stateFrom(ctx)
	if s == nil || s.claims == nil {
		return nil, false
	}
	return s.claims, true
}
