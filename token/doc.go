// Package token mints and strictly verifies Gatehouse access tokens: JWTs of
// the RFC 9068 profile (header {"alg","typ":"at+jwt","kid"}), the keys that
// sign them, key sets, and the RFC 7517 JWKS documents that publish them.
//
// What it owns:
//   - Key: one key pinned to exactly one algorithm (ES256, EdDSA, RS256 of
//     at least 2048 bits, HS256 with a secret of at least 256 bits), named
//     by its RFC 7638 thumbprint.
//   - KeySet and its JWKS form (public members only; HS256 never published).
//   - Signer, which mints access tokens from gatehouse.Claims.
//   - The stored form of a key: its public half in the clear, its private
//     half sealed under a key-encryption key (KEK, SealKey and OpenKey:
//     AES-256-GCM from crypto/aes and crypto/cipher under a key derived with
//     crypto/hkdf, the key's algorithm and kid as additional data).
//   - Verifier, which accepts only the narrow profile Gatehouse mints and
//     refuses everything else with an error that is ErrInvalid plus a finer
//     sentinel (ErrMalformed, ErrSignature, ErrExpired, ...).
//
// Which library does what, and why: signatures, hashes, HMAC and key
// encodings are the standard library's (crypto/ecdsa, crypto/ed25519,
// crypto/rsa, crypto/hmac, crypto/x509). The compact-JWS framing and the
// JSON members are read here, by a strict parser, rather than by a general
// JOSE library: golang-jwt v5 and go-jose v4 with default settings accept
// tokens this profile must refuse (ignored crit, b64:false, non-canonical
// base64, invalid UTF-8, duplicate claims, string or missing exp, unchecked
// typ; bench/jwtpeer proves it for golang-jwt). The verifier, never the
// token, decides the algorithm: the kid selects a key and that key's
// algorithm is the only one accepted; no key or URL is ever taken from a
// token.
package token
