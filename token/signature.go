package token

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"hash"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// p256Order is n, the order of the P-256 group, big-endian.
var p256Order = [32]byte{
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
}

// sign returns the JWS signature of input (RFC 7518 §3): R||S of 32 bytes
// each for ES256.
func (k *Key) sign(input []byte) ([]byte, error) {
	switch {
	case k.edPriv != nil:
		return ed25519.Sign(k.edPriv, input), nil
	case k.secret != nil:
		m := hmac.New(sha256.New, k.secret)
		m.Write(input)
		return m.Sum(nil), nil
	}
	h := sha256.Sum256(input)
	switch {
	case k.ecPriv != nil:
		r, s, err := ecdsa.Sign(rand.Reader, k.ecPriv, h[:])
		if err != nil {
			return nil, err
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig, nil
	case k.rsPriv != nil:
		return rsa.SignPKCS1v15(rand.Reader, k.rsPriv, crypto.SHA256, h[:])
	}
	return nil, errors.New("token: key cannot sign")
}

// verify reports whether sig is the key's signature of input. An ES256
// signature must be exactly 64 bytes with r and s in [1, n-1].
func (k *Key) verify(input, sig []byte) bool {
	switch k.alg {
	case ES256:
		if len(sig) != 64 || !validScalar(sig[:32]) || !validScalar(sig[32:]) {
			return false
		}
		der, err := asn1Signature(sig)
		if err != nil {
			return false
		}
		h := sha256.Sum256(input)
		return ecdsa.VerifyASN1(k.ec, h[:], der)
	case EdDSA:
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(k.ed, input, sig)
	case RS256:
		h := sha256.Sum256(input)
		return rsa.VerifyPKCS1v15(k.rs, crypto.SHA256, h[:], sig) == nil
	case HS256:
		if len(sig) != sha256.Size {
			return false
		}
		m := k.macs.Get().(hash.Hash)
		defer k.macs.Put(m)
		m.Reset()
		m.Write(input)
		var sum [sha256.Size]byte
		return hmac.Equal(m.Sum(sum[:0]), sig)
	}
	return false
}

// validScalar reports whether the 32-byte big-endian b is in [1, n-1].
func validScalar(b []byte) bool {
	if len(b) != 32 || bytes.Compare(b, p256Order[:]) >= 0 {
		return false
	}
	for _, c := range b {
		if c != 0 {
			return true
		}
	}
	return false
}

// asn1Signature re-encodes a JWS R||S signature as the ASN.1 DER
// ECDSA-Sig-Value that crypto/ecdsa verifies.
func asn1Signature(sig []byte) ([]byte, error) {
	b := cryptobyte.NewBuilder(make([]byte, 0, 72))
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		addASN1Unsigned(b, sig[:32])
		addASN1Unsigned(b, sig[32:])
	})
	return b.Bytes()
}

// addASN1Unsigned adds the big-endian unsigned integer v as a DER INTEGER.
func addASN1Unsigned(b *cryptobyte.Builder, v []byte) {
	for len(v) > 1 && v[0] == 0 {
		v = v[1:]
	}
	b.AddASN1(asn1.INTEGER, func(b *cryptobyte.Builder) {
		if v[0]&0x80 != 0 {
			b.AddUint8(0)
		}
		b.AddBytes(v)
	})
}
