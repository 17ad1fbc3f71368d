package httpapi

import "net/http"

// handleJWKS is GET /.well-known/jwks.json: the public keys (active, next,
// retired while their tokens live), cacheable for five minutes so that a
// rotation reaches verifiers well before the next key signs.
func (s *server) handleJWKS(w http.ResponseWriter, r *http.Request) error {
	b, err := s.keyring.KeySet().JWKS()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
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
