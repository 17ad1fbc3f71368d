package gatehouse

import "time"

// KeyState is where a signing key is in its life (docs/keys.md).
type KeyState string

const (
	// KeyNext is published in the JWKS but does not sign yet, so verifiers
	// have it before the first token it signs reaches them.
	KeyNext KeyState = "next"
	// KeyActive signs new access tokens. There is exactly one.
	KeyActive KeyState = "active"
	// KeyRetired no longer signs; its private part is destroyed, and its
	// public part is published until every token it signed has expired.
	KeyRetired KeyState = "retired"
)

// SigningKey is a stored signing key. The store never holds a private key
// in the clear: PrivateKey is sealed under a key-encryption key (KEK) that
// is not in the database (token.SealKey), except for rows written before
// keys were sealed, which the first process holding a KEK seals.
type SigningKey struct {
	ID        string // kid: the RFC 7638 thumbprint
	Algorithm string // ES256, EdDSA, RS256 or HS256
	// PublicKey is the public half (PKIX DER; nil for HS256, and for rows
	// written before keys were sealed until they are): the key set and the
	// JWKS are built from it without opening PrivateKey.
	PublicKey []byte
	// PrivateKey is the private half sealed under the KEK named KEKID;
	// empty once destroyed (a retired key never signs again). Plain PKCS#8
	// DER when KEKID is empty (a row written before keys were sealed).
	PrivateKey []byte
	KEKID      string
	State      KeyState
	// CreatedAt is when the key was stored and published.
	CreatedAt time.Time
	// ActivatedAt is when the key began to sign; zero for a next key.
	ActivatedAt time.Time
	// RetiredAt is when the key stopped signing; zero unless retired.
	RetiredAt time.Time
	// SignedUntil is at least the latest exp of any access token signed
	// with the key, recorded before the token was handed out (Keyring.Sign
	// records ahead, so that it writes about once a minute, not per
	// token); zero while it signed nothing.
	SignedUntil time.Time
}

// Published reports whether the key is in the key set at now: a next or
// active key always, a retired key before PublishedUntil.
func (k *SigningKey) Published(now time.Time) bool {
	return k.State != KeyRetired || now.Before(k.PublishedUntil())
}

// PublishedUntil is when a retired key leaves the key set (zero for a key
// that is not retired): once no token it signed may still be honoured, that
// is SignedUntil plus RevocationMargin (the longest clock leeway a verifier
// may allow, and a second), and not before that margin after it retired: a
// replica that has not taken up the rotation yet (it does within a second)
// may still sign with it, recording its use first.
func (k *SigningKey) PublishedUntil() time.Time {
	if k.State != KeyRetired {
		return time.Time{}
	}
	until := k.SignedUntil
	if k.RetiredAt.After(until) {
		until = k.RetiredAt
	}
	return until.Add(RevocationMargin)
}

// KeyPolicy is the deployment's signing-key policy, kept in the store so
// that every process sharing it agrees: replicas generate keys of one
// algorithm, rotate on one schedule and send one JWKS cache lifetime.
type KeyPolicy struct {
	// Algorithm of the keys generated from now on.
	Algorithm string
	// Rotation is the period of scheduled rotations; zero for none.
	Rotation time.Duration
	// JWKSMaxAge is the Cache-Control max-age of the JWKS: how long a
	// verifier may keep a key set it fetched.
	JWKSMaxAge time.Duration
	// JWKSStaleUntil is until when a key set served under an earlier,
	// longer JWKSMaxAge may still be cached somewhere.
	JWKSStaleUntil time.Time
	// KEKID names the key-encryption key the private keys are sealed under;
	// empty until a process holding a KEK first seals them.
	KEKID string
	// Version moves on with every write (SetKeyPolicy is conditional on it).
	Version int64
}

// KeyPublishMargin is added to a JWKS cache lifetime to decide when a next
// key may sign: it covers the reload interval in which every replica takes
// a new key up into the JWKS it serves (a second) and a second of clock
// difference between the replica that created the key and the one that
// makes it active.
const KeyPublishMargin = 2 * time.Second

// NextSignsFrom is the earliest time the next key may sign: once every key
// set a verifier may have cached without it has expired, that is a JWKS
// cache lifetime after the key was published (and after JWKSStaleUntil),
// plus KeyPublishMargin.
func (p *KeyPolicy) NextSignsFrom(next *SigningKey) time.Time {
	t := next.CreatedAt.Add(p.JWKSMaxAge)
	if p.JWKSStaleUntil.After(t) {
		t = p.JWKSStaleUntil
	}
	return t.Add(KeyPublishMargin)
}

// RotationDue reports whether the keys are due to rotate at now: the next
// key may sign (NextSignsFrom), and either the active key has signed for
// the rotation period, or the next key is of the policy's algorithm and the
// active key is not (an algorithm migration is a rotation).
func (p *KeyPolicy) RotationDue(active, next *SigningKey, now time.Time) bool {
	switch {
	case active == nil || next == nil || now.Before(p.NextSignsFrom(next)):
		return false
	case next.Algorithm == p.Algorithm && active.Algorithm != p.Algorithm:
		return true
	}
	return p.Rotation > 0 && !now.Before(active.ActivatedAt.Add(p.Rotation))
}

// WithJWKSMaxAge returns p with the JWKS cache lifetime d, set at now. A
// shorter lifetime does not shorten the wait of a next key: key sets
// already served under the longer one may be cached until now plus it
// (JWKSStaleUntil).
func (p KeyPolicy) WithJWKSMaxAge(d time.Duration, now time.Time) KeyPolicy {
	if d < p.JWKSMaxAge {
		if until := now.Add(p.JWKSMaxAge); until.After(p.JWKSStaleUntil) {
			p.JWKSStaleUntil = until
		}
	}
	p.JWKSMaxAge = d
	return p
}

// KIDForgetAt is when the "kid" feed entry of a key revoked at at may be
// forgotten: every token it signed has expired (ForgetAt of signedUntil,
// its SignedUntil), and so has every key set a verifier may have cached
// with the key in it (served until at, and a reload later, cached for the
// JWKS cache lifetime): a leaked key signs tokens of any exp, which only
// dropping the key refuses.
func (p *KeyPolicy) KIDForgetAt(at, signedUntil time.Time) time.Time {
	cached := at.Add(p.JWKSMaxAge)
	if p.JWKSStaleUntil.After(cached) {
		cached = p.JWKSStaleUntil
	}
	f := ForgetAt(at, signedUntil)
	if c := cached.Add(KeyPublishMargin + RevocationMargin); c.After(f) {
		return c
	}
	return f
}

// KeyRotation asks a store to rotate the signing keys, if, and only if,
// they are still as the caller saw them.
type KeyRotation struct {
	ActiveID, NextID string
	// NewNext is the new next key, sealed under the policy's KEK.
	NewNext *SigningKey
	Now     time.Time
}

// KeyRevocation asks a store to revoke a signing key at once.
type KeyRevocation struct {
	ID string
	// Replacement becomes the next key when the revoked key is the active
	// or the next one (the next key becomes active in place of an active
	// one). Sealed under the policy's KEK.
	Replacement *SigningKey
	At          time.Time
}

// KeySealing asks a store to replace the sealed private parts of keys,
// moving every key from one KEK to another.
type KeySealing struct {
	// From is the KEK the keys are sealed under now ("" for keys stored in
	// the clear), To the KEK they are sealed under after.
	From, To string
	// Keys are the keys as they are to be stored: ID, PublicKey,
	// PrivateKey (sealed under To, or empty to destroy it) and KEKID.
	Keys []*SigningKey
}
