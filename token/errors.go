package token

import (
	"errors"
	"fmt"
)

// ErrInvalid is matched (errors.Is) by every verification failure. The finer
// sentinels below match it too, so callers test for ErrInvalid to refuse a
// token and for a finer sentinel to say why.
var ErrInvalid = errors.New("token: invalid")

// Verification failures. Each satisfies errors.Is(err, ErrInvalid).
var (
	ErrMalformed   error = &reason{"token: malformed"}           // not a compact JWS of canonical base64url JSON objects
	ErrTooLarge    error = &reason{"token: too large"}           // over Options.MaxSize
	ErrUnknownKey  error = &reason{"token: unknown key"}         // no key of the set has the kid
	ErrSignature   error = &reason{"token: bad signature"}       // the signature does not verify
	ErrExpired     error = &reason{"token: expired"}             // exp is past, beyond the leeway
	ErrNotYetValid error = &reason{"token: not yet valid"}       // nbf or iat is in the future, beyond the leeway
	ErrIssuer      error = &reason{"token: wrong issuer"}        // iss is missing or not the expected issuer
	ErrAudience    error = &reason{"token: wrong audience"}      // aud is missing or does not hold the audience
	ErrType        error = &reason{"token: wrong type"}          // typ is missing or not at+jwt
	ErrHeader      error = &reason{"token: unacceptable header"} // a header member is unknown, mistyped, or alg is not the key's
	ErrClaims      error = &reason{"token: unacceptable claims"} // a required claim is missing or a claim has the wrong type
)

// ErrReservedClaim is returned by Signer.Sign when Claims.Extra names one of
// gatehouse.ReservedClaims: custom claims cannot override reserved ones.
var ErrReservedClaim = errors.New("token: custom claim uses a reserved name")

// reason is a verification sentinel that also matches ErrInvalid.
type reason struct{ msg string }

func (r *reason) Error() string { return r.msg }

// Is makes every reason match ErrInvalid.
func (r *reason) Is(target error) bool { return target == ErrInvalid }

// wrap adds a fixed detail to a verification sentinel. Details never quote
// the token or values taken from it.
func wrap(sentinel error, detail string) error {
	return fmt.Errorf("%w: %s", sentinel, detail)
}
