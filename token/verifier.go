package token

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse"
)

// Defaults and limits of Options.
const (
	DefaultLeeway  = 30 * time.Second
	MaxLeeway      = 60 * time.Second
	DefaultMaxSize = 8192
)

// Options configure a Verifier.
type Options struct {
	Issuer   string        // required; iss must equal it exactly
	Audience string        // required; aud (a string or an array) must contain it
	Leeway   time.Duration // clock skew allowed on exp, nbf and iat; 0 means 30s; more than 60s is an error
	MaxSize  int           // longest token accepted, checked before any decoding; 0 means 8192 bytes
	Now      func() time.Time
}

// Verifier verifies access tokens strictly against a key set. It is safe
// for concurrent use; SetKeys swaps the key set atomically.
type Verifier struct {
	keys atomic.Pointer[KeySet]
	opts Options
}

// NewVerifier returns a verifier of tokens signed by keys (private or public
// keys; HS256 keys verify with their secret).
func NewVerifier(keys *KeySet, opts Options) (*Verifier, error) {
	switch {
	case keys == nil:
		return nil, errors.New("token: a verifier needs a key set")
	case opts.Issuer == "":
		return nil, errors.New("token: a verifier needs an issuer")
	case opts.Audience == "":
		return nil, errors.New("token: a verifier needs an audience")
	case opts.Leeway < 0 || opts.Leeway > MaxLeeway:
		return nil, fmt.Errorf("token: leeway %v is outside [0, %v]", opts.Leeway, MaxLeeway)
	case opts.MaxSize < 0:
		return nil, fmt.Errorf("token: negative MaxSize %d", opts.MaxSize)
	}
	if opts.Leeway == 0 {
		opts.Leeway = DefaultLeeway
	}
	if opts.MaxSize == 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	v := &Verifier{opts: opts}
	v.keys.Store(keys)
	return v, nil
}

// SetKeys replaces the key set; Verify calls running at the same time use
// the old or the new set. A nil set is an empty one: every token is then
// ErrUnknownKey.
func (v *Verifier) SetKeys(keys *KeySet) {
	if keys == nil {
		keys, _ = NewKeySet()
	}
	v.keys.Store(keys)
}

// Keys returns the current key set.
func (v *Verifier) Keys() *KeySet { return v.keys.Load() }

// Verify returns the claims of tok, with KeyID and Extra filled in, if tok
// is a valid access token. Every failure is ErrInvalid and one of the finer
// sentinels, decided in this order: ErrTooLarge; ErrMalformed (not three
// segments, header or signature not canonical base64url, header not a
// strict JSON object); ErrHeader or ErrType (header members); ErrUnknownKey
// (kid not in the set); ErrHeader (alg is not the key's); ErrSignature;
// ErrMalformed (payload not canonical base64url or not a strict JSON
// object); ErrClaims, ErrIssuer, ErrAudience; ErrExpired; ErrNotYetValid.
// The payload is not decoded before its signature has verified.
func (v *Verifier) Verify(tok string) (*gatehouse.Claims, error) {
	if len(tok) > v.opts.MaxSize {
		return nil, ErrTooLarge
	}
	// One copy of the token, one buffer for the decoded segments.
	tb := []byte(tok)
	h, rest, ok1 := bytes.Cut(tb, []byte{'.'})
	p, s, ok2 := bytes.Cut(rest, []byte{'.'})
	if !ok1 || !ok2 || bytes.IndexByte(s, '.') >= 0 {
		return nil, wrap(ErrMalformed, "not three segments")
	}
	buf := make([]byte, 0, segmentEncoding.DecodedLen(len(h))+segmentEncoding.DecodedLen(len(p))+segmentEncoding.DecodedLen(len(s)))
	hb, ok := appendSegment(buf, h)
	if !ok {
		return nil, wrap(ErrMalformed, "header is not canonical base64url")
	}
	sig, ok := appendSegment(hb[len(hb):], s)
	if !ok {
		return nil, wrap(ErrMalformed, "signature is not canonical base64url")
	}
	hdr, err := parseHeader(hb)
	if err != nil {
		return nil, err
	}
	key, ok := v.keys.Load().Key(hdr.kid)
	if !ok {
		return nil, ErrUnknownKey
	}
	if hdr.alg != string(key.Algorithm()) {
		return nil, wrap(ErrHeader, "alg is not the key's algorithm")
	}
	if !key.verify(tb[:len(h)+1+len(p)], sig) {
		return nil, ErrSignature
	}
	pb, ok := appendSegment(sig[len(sig):], p)
	if !ok {
		return nil, wrap(ErrMalformed, "payload is not canonical base64url")
	}
	var members [16]jsonMember
	ms, err := parseObject(pb, members[:0])
	if err != nil {
		return nil, wrap(ErrMalformed, "payload is not a strict JSON object")
	}
	c, err := decodeClaims(ms, string(pb), hdr.kid)
	if err != nil {
		return nil, err
	}
	if err := v.check(c); err != nil {
		return nil, err
	}
	return c, nil
}

// check validates the values of decoded claims.
func (v *Verifier) check(c *gatehouse.Claims) error {
	now, leeway := v.opts.Now(), v.opts.Leeway
	switch {
	case c.Issuer != v.opts.Issuer:
		return ErrIssuer
	case !slices.Contains(c.Audience, v.opts.Audience):
		return ErrAudience
	case !now.Before(c.ExpiresAt.Add(leeway)):
		return ErrExpired
	case now.Add(leeway).Before(c.NotBefore):
		return wrap(ErrNotYetValid, "nbf is in the future")
	case now.Add(leeway).Before(c.IssuedAt):
		return wrap(ErrNotYetValid, "iat is in the future")
	}
	return nil
}
