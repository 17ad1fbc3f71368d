package abuse_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// attacker holds the keys and the web origin of someone who wants a token
// accepted: a JWKS and a certificate served from a URL they control, which
// the server must never fetch.
type attacker struct {
	ec      *ecdsa.PrivateKey
	ed      ed25519.PrivateKey
	rsa     *rsa.PrivateKey
	jwk     string // public JWK of ec, JSON text
	certDER []byte // self-signed certificate of ec
	origin  string
	hits    atomic.Int64
}

func newAttacker(t *testing.T) *attacker {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	point, err := ec.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	jwk := object{{"kty", `"EC"`}, {"crv", `"P-256"`}, {"x", q(enc(point[1:33]))}, {"y", q(enc(point[33:]))},
		{"kid", `"attacker"`}, {"alg", `"ES256"`}, {"use", `"sig"`}}.json()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: issuer},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ec.PublicKey, ec)
	if err != nil {
		t.Fatal(err)
	}
	a := &attacker{ec: ec, ed: ed, rsa: rk, jwk: jwk, certDER: cert}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.hits.Add(1)
		switch r.URL.Path {
		case "/jwks.json":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"keys":[` + jwk + `]}`))
		case "/cert.pem":
			pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: cert})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	a.origin = ts.URL
	return a
}

// ourPublicKey is the server's signing key as its JWKS publishes it: the
// JWK's JSON text, and the key in PEM and DER forms.
type ourPublicKey struct {
	jwk, jwks string
	pem, der  []byte
}

func fetchPublicKey(t *testing.T, s *server, kid string) ourPublicKey {
	t.Helper()
	r := s.do(t, "GET", "/.well-known/jwks.json", "", nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("jwks: %s", r)
	}
	var doc struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	for _, raw := range doc.Keys {
		var k struct{ Kid, Kty, Crv, X, Y string }
		if err := json.Unmarshal(raw, &k); err != nil {
			t.Fatal(err)
		}
		if k.Kid != kid {
			continue
		}
		x, err1 := base64.RawURLEncoding.DecodeString(k.X)
		y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
		if err1 != nil || err2 != nil || k.Kty != "EC" || k.Crv != "P-256" {
			t.Fatalf("JWK %s", raw)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return ourPublicKey{
			jwk: string(raw), jwks: string(r.body), der: der,
			pem: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
		}
	}
	t.Fatalf("kid %s not in the JWKS %s", kid, r.body)
	return ourPublicKey{}
}
