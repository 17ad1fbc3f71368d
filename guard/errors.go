package guard

import (
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/token"
)

// Verification errors. Every error a guard verifier returns for a token it
// refuses satisfies errors.Is(err, ErrInvalidToken); the token package's
// finer sentinels (token.ErrExpired, token.ErrUnknownKey, …) stay reachable
// through the chain.
var (
	// ErrInvalidToken is token.ErrInvalid: the token was refused.
	ErrInvalidToken = token.ErrInvalid
	// ErrRevoked: the token verified but the revocation check says it is
	// revoked. It wraps ErrInvalidToken.
	ErrRevoked = fmt.Errorf("guard: token revoked: %w", ErrInvalidToken)
	// ErrUnavailable: the revocation check failed, so the token could not be
	// checked. guard fails closed: the token is not accepted. It does not
	// wrap ErrInvalidToken, because the token may well be good; Middleware
	// answers it with 503.
	ErrUnavailable = errors.New("guard: token could not be checked")
)
