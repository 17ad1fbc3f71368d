package httpapi

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/clients"
)

// authenticateClient identifies the client of a request to /token,
// /revoke, /introspect or /revocations (RFC 6749 §2.3.1): HTTP Basic
// (form-urlencoded id and secret; an empty secret is how golang.org/x/oauth2
// presents a public client), or client_id and client_secret in the body,
// never both. The check itself, and its throttle, are clients.Service's:
// without any client_id the client is the built-in public first-party
// client, whether the id is absent, empty in the body or empty in Basic
// (Swagger UI's "Authorize" dialog sends `Basic Og==`, an empty id and an
// empty secret, by default); an unknown client, a missing or wrong secret
// of a confidential client, or a secret presented for a public client (or
// without an id) is invalid_client.
func (s *server) authenticateClient(r *http.Request, p params) (*gatehouse.Client, error) {
	id, secret := p.get("client_id"), p.get("client_secret")
	if auth := r.Header.Values("Authorization"); len(auth) > 0 {
		if len(auth) > 1 {
			return nil, errInvalidRequest.with("more than one Authorization header")
		}
		bid, bsecret, ok := parseBasic(auth[0])
		if !ok {
			return nil, errInvalidClient
		}
		if secret != "" || (id != "" && id != bid) {
			return nil, errInvalidRequest.with("client credentials sent in more than one way")
		}
		id, secret = bid, bsecret
	}
	return s.clients.Authenticate(r.Context(), clients.Credentials{ID: id, Secret: secret, IP: clientIP(r, s.proxies)})
}

// confidentialClient is authenticateClient for the endpoints only a
// registered confidential client may use (introspection, the revocation
// feed): public clients, the first-party one included, are invalid_client.
func (s *server) confidentialClient(r *http.Request, p params) (*gatehouse.Client, error) {
	c, err := s.authenticateClient(r, p)
	if err != nil {
		return nil, err
	}
	if !c.Confidential() {
		return nil, errInvalidClient.with("a confidential client is required")
	}
	return c, nil
}

// parseBasic reads an HTTP Basic Authorization header (scheme
// case-insensitive) whose user and password are form-urlencoded
// (RFC 6749 §2.3.1). Both may be empty.
func parseBasic(h string) (id, secret string, ok bool) {
	scheme, rest, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return "", "", false
	}
	u, pw, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", false
	}
	if id, err = url.QueryUnescape(u); err != nil {
		return "", "", false
	}
	if secret, err = url.QueryUnescape(pw); err != nil {
		return "", "", false
	}
	return id, secret, true
}
