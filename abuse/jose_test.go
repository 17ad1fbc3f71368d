package abuse_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/token"
)

// The tests build hostile tokens by hand, from crypto/* and raw JSON text,
// so that a row can hold exactly the bytes it is about (a repeated member,
// invalid UTF-8, a number where a string belongs) and nothing else wrong.

// member is one member of a JSON object, written raw: name is put between
// quotes as it is (escapes included), value is JSON text.
type member struct{ name, value string }

// object is a JSON object kept in order, so that duplicates and member
// order can be written on purpose.
type object []member

// set replaces the first member called name, or appends it.
func (o object) set(name, value string) object {
	out := append(object(nil), o...)
	for i := range out {
		if out[i].name == name {
			out[i].value = value
			return out
		}
	}
	return append(out, member{name, value})
}

// plus appends a member even if one of that name exists.
func (o object) plus(name, value string) object {
	return append(append(object(nil), o...), member{name, value})
}

// without removes every member called name.
func (o object) without(name string) object {
	var out object
	for _, m := range o {
		if m.name != name {
			out = append(out, m)
		}
	}
	return out
}

func (o object) json() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + m.name + `":` + m.value)
	}
	b.WriteByte('}')
	return b.String()
}

// q is s as a JSON string.
func q(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func num(n int64) string { return strconv.FormatInt(n, 10) }

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// signFunc returns the JWS signature of a signing input.
type signFunc func(input []byte) []byte

// compact is the JWS compact serialisation of header and payload (JSON
// text) signed by sign.
func compact(header, payload string, sign signFunc) string {
	in := b64(header) + "." + b64(payload)
	return in + "." + base64.RawURLEncoding.EncodeToString(sign([]byte(in)))
}

func unsigned([]byte) []byte { return nil }

func es256(k *ecdsa.PrivateKey) signFunc {
	return func(in []byte) []byte {
		h := sha256.Sum256(in)
		r, s, err := ecdsa.Sign(rand.Reader, k, h[:])
		if err != nil {
			panic(err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig
	}
}

// es256DER signs as ES256 but in the ASN.1 DER form of crypto/ecdsa,
// which JWS does not use.
func es256DER(k *ecdsa.PrivateKey) signFunc {
	return func(in []byte) []byte {
		h := sha256.Sum256(in)
		sig, err := ecdsa.SignASN1(rand.Reader, k, h[:])
		if err != nil {
			panic(err)
		}
		return sig
	}
}

func hs256(secret []byte) signFunc {
	return func(in []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(in)
		return m.Sum(nil)
	}
}

func eddsa(k ed25519.PrivateKey) signFunc {
	return func(in []byte) []byte { return ed25519.Sign(k, in) }
}

func rs256(k *rsa.PrivateKey) signFunc {
	return func(in []byte) []byte {
		h := sha256.Sum256(in)
		sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, h[:])
		if err != nil {
			panic(err)
		}
		return sig
	}
}

// p256N is the order of the P-256 group.
var p256N, _ = new(big.Int).SetString("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16)

// withSignature replaces the signature of a compact token.
func withSignature(tok string, sig []byte) string {
	i := strings.LastIndexByte(tok, '.')
	return tok[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
}

func signatureOf(t testing.TB, tok string) []byte {
	t.Helper()
	sig, err := base64.RawURLEncoding.DecodeString(tok[strings.LastIndexByte(tok, '.')+1:])
	if err != nil || len(sig) != 64 {
		t.Fatalf("not an ES256 token: %q", tok)
	}
	return sig
}

// highS is tok with its ES256 signature (r, s) malleated to (r, n−s):
// another valid ECDSA signature of the same bytes.
func highS(t testing.TB, tok string) string {
	t.Helper()
	sig := signatureOf(t, tok)
	s := new(big.Int).SetBytes(sig[32:])
	out := append([]byte(nil), sig[:32]...)
	out = append(out, new(big.Int).Sub(p256N, s).FillBytes(make([]byte, 32))...)
	return withSignature(tok, out)
}

// scalars is an ES256 signature of r||s as given.
func scalars(r, s *big.Int) []byte {
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out
}

// nonCanonical changes the unused trailing bits of the last character of
// a base64url segment, which a lenient decoder ignores: the segment then
// decodes to the same bytes but is not their canonical encoding.
func nonCanonical(t testing.TB, seg string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(seg)%4 == 0 || len(seg)%4 == 1 {
		t.Fatalf("segment of length %d has no trailing bits", len(seg))
	}
	last := strings.IndexByte(alphabet, seg[len(seg)-1])
	return seg[:len(seg)-1] + string(alphabet[last|1])
}

// segment returns the i-th segment of a compact token.
func segment(tok string, i int) string { return strings.Split(tok, ".")[i] }

// replaceSegment returns tok with its i-th segment replaced.
func replaceSegment(tok string, i int, seg string) string {
	parts := strings.Split(tok, ".")
	parts[i] = seg
	return strings.Join(parts, ".")
}

// forge mints tokens with the server's own signing key, so that a row
// differs from a token the server would accept in the one way it names.
type forge struct {
	kid, nextKid string
	key          *ecdsa.PrivateKey
	now          time.Time
	sub, sid     string
}

// loadForge reads the server's active signing key from its store and
// opens it with the server's key-encryption key (which an attacker with a
// copy of the database does not have: TestDatabaseCopyGivesNoSigningKey).
func loadForge(t testing.TB, s *server, sub, sid string) *forge {
	t.Helper()
	_, keys, err := s.store.SigningKeys(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := &forge{now: s.clock.Now(), sub: sub, sid: sid}
	for _, k := range keys {
		switch k.State {
		case gatehouse.KeyActive:
			opened, err := token.OpenKey(k, s.srv.KEK)
			if err != nil {
				t.Fatal(err)
			}
			der, err := opened.MarshalPrivate()
			if err != nil {
				t.Fatal(err)
			}
			pk, err := x509.ParsePKCS8PrivateKey(der)
			if err != nil {
				t.Fatal(err)
			}
			ec, ok := pk.(*ecdsa.PrivateKey)
			if !ok || k.Algorithm != "ES256" {
				t.Fatalf("active key is %s %T, want ES256", k.Algorithm, pk)
			}
			f.kid, f.key = k.ID, ec
		case gatehouse.KeyNext:
			f.nextKid = k.ID
		}
	}
	if f.key == nil || f.nextKid == "" {
		t.Fatal("no active and next key")
	}
	return f
}

// header is the header the server writes.
func (f *forge) header() object {
	return object{{"alg", `"ES256"`}, {"typ", `"at+jwt"`}, {"kid", q(f.kid)}}
}

// claims are the claims the server writes, with a fresh jti.
func (f *forge) claims() object {
	now := f.now.Unix()
	jti := make([]byte, 16)
	rand.Read(jti)
	return object{
		{"iss", q(issuer)}, {"sub", q(f.sub)}, {"aud", q(issuer)},
		{"exp", num(now + 600)}, {"iat", num(now)},
		{"jti", q(base64.RawURLEncoding.EncodeToString(jti))},
		{"client_id", q(gatehouse.FirstPartyClientID)}, {"sid", q(f.sid)},
		{"scope", q("orders:read")}, {"auth_time", num(now)},
	}
}

// token signs header and claims with the server's key.
func (f *forge) token(h, c object) string { return compact(h.json(), c.json(), es256(f.key)) }

// good is a token the server accepts.
func (f *forge) good() string { return f.token(f.header(), f.claims()) }

// claimsWith is a valid token whose claims differ by one member.
func (f *forge) claimsWith(name, value string) string {
	return f.token(f.header(), f.claims().set(name, value))
}

// claimsWithout is a valid token without the claim name.
func (f *forge) claimsWithout(name string) string {
	return f.token(f.header(), f.claims().without(name))
}

// headerWith is a valid token whose header differs by one member.
func (f *forge) headerWith(name, value string) string {
	return f.token(f.header().set(name, value), f.claims())
}
