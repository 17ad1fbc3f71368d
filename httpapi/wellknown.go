package httpapi

import (
	"net/http"
	"strconv"
	"time"
)

// handleJWKS is GET /.well-known/jwks.json: the public keys (next, active,
// retired while their tokens live), cacheable for the key policy's JWKS
// cache lifetime (five minutes by default). A next key is published at
// least that long before it signs, so a verifier's cached copy always
// holds the key of any token it gets (docs/keys.md).
func (s *server) handleJWKS(w http.ResponseWriter, r *http.Request) error {
	b, maxAge := s.keyring.JWKS()
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age="+strconv.FormatInt(int64(maxAge/time.Second), 10))
	w.Write(b)
	return nil
}

// metadata is the RFC 8414 authorization server metadata.
type metadata struct {
	Issuer                   string   `json:"issuer"`
	TokenEndpoint            string   `json:"token_endpoint"`
	JWKSURI                  string   `json:"jwks_uri"`
	RevocationEndpoint       string   `json:"revocation_endpoint"`
	IntrospectionEndpoint    string   `json:"introspection_endpoint"`
	UserinfoEndpoint         string   `json:"userinfo_endpoint"`
	RevocationFeed           string   `json:"gatehouse_revocations_endpoint"`
	GrantTypes               []string `json:"grant_types_supported"`
	ResponseTypes            []string `json:"response_types_supported"`
	TokenAuthMethods         []string `json:"token_endpoint_auth_methods_supported"`
	RevocationAuthMethods    []string `json:"revocation_endpoint_auth_methods_supported"`
	IntrospectionAuthMethods []string `json:"introspection_endpoint_auth_methods_supported"`
}

// handleMetadata is GET /.well-known/oauth-authorization-server: every
// endpoint Gatehouse has. There is no authorization endpoint, so no
// response type.
func (s *server) handleMetadata(w http.ResponseWriter, r *http.Request) error {
	clientAuth := []string{"client_secret_basic", "client_secret_post", "none"}
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, metadata{
		Issuer:                   s.issuer,
		TokenEndpoint:            s.issuer + "/token",
		JWKSURI:                  s.issuer + "/.well-known/jwks.json",
		RevocationEndpoint:       s.issuer + "/revoke",
		IntrospectionEndpoint:    s.issuer + "/introspect",
		UserinfoEndpoint:         s.issuer + "/userinfo",
		RevocationFeed:           s.issuer + "/revocations",
		GrantTypes:               []string{"password", "refresh_token", "client_credentials"},
		ResponseTypes:            []string{},
		TokenAuthMethods:         clientAuth,
		RevocationAuthMethods:    clientAuth,
		IntrospectionAuthMethods: []string{"client_secret_basic", "client_secret_post"},
	})
	return nil
}
