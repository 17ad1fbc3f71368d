package guardtest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/guard"
	"github.com/gatehouse/gatehouse/token"
)

// Issuer is a test issuer: an ES256 key, its JWKS and metadata served at
// URL (the issuer of its tokens). Everything it opens is closed when the
// test ends.
type Issuer struct {
	// URL is the issuer: the iss of its tokens and the URL a verifier
	// discovers the keys from.
	URL string
	// Audience is the aud of its tokens.
	Audience string

	signer *token.Signer
}

// NewIssuer starts an issuer of tokens for audience.
func NewIssuer(t testing.TB, audience string) *Issuer {
	t.Helper()
	key, err := token.GenerateKey(token.ES256)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := token.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := token.NewKeySet(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := keys.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	iss := &Issuer{Audience: audience, signer: signer}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"issuer": iss.URL, "jwks_uri": iss.URL + "/.well-known/jwks.json"})
	})
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Write(jwks)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	iss.URL = srv.URL
	return iss
}

// Token returns an access token of the issuer for subject with the given
// scopes, valid for the next fifteen minutes.
func (i *Issuer) Token(t testing.TB, subject string, scopes ...string) string {
	t.Helper()
	now := time.Now().Truncate(time.Second)
	tok, err := i.signer.Sign(&gatehouse.Claims{
		Issuer:    i.URL,
		Subject:   subject,
		Audience:  []string{i.Audience},
		ExpiresAt: now.Add(15 * time.Minute),
		IssuedAt:  now,
		ID:        gatehouse.NewID(),
		ClientID:  "gatehouse",
		SessionID: gatehouse.NewID(),
		Scopes:    scopes,
		AuthTime:  now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Verifier returns guard's remote verifier of the issuer's tokens, the one
// an API builds in production from the issuer's URL; it is closed when the
// test ends.
func (i *Issuer) Verifier(t testing.TB, opts ...guard.Option) *guard.RemoteVerifier {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := guard.NewRemoteVerifier(ctx, i.URL, append([]guard.Option{guard.WithAudience(i.Audience)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// Get sends GET url with the bearer token tok (none when empty) and
// returns the status and the body.
func Get(t testing.TB, url, tok string) (int, string) {
	t.Helper()
	return Do(t, http.MethodGet, url, tok)
}

// Do sends a request without a body with the bearer token tok (none when
// empty) and returns the status and the body.
func Do(t testing.TB, method, url, tok string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}
