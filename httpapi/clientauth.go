package httpapi

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/password"
)

// maxClientField caps a client_id or client_secret before any lookup.
const maxClientField = 256

// firstParty is the built-in public client used when no client_id is given.
var firstParty = &gatehouse.Client{ID: gatehouse.FirstPartyClientID, Name: "Gatehouse", Public: true}

// authenticateClient identifies the client of a request to /token,
// /revoke, /introspect or /revocations (RFC 6749 §2.3.1): HTTP Basic
// (form-urlencoded id and secret; an empty secret is how golang.org/x/oauth2
// presents a public client), or client_id and client_secret in the body,
// never both. Without any client_id the client is the built-in public
// first-party client, whether the id is absent, empty in the body or empty
// in Basic: Swagger UI's "Authorize" dialog sends `Basic Og==` (an empty id
// and an empty secret) by default. An unknown client, a missing or wrong
// secret of a confidential client, or a secret presented for a public
// client (or without an id) is invalid_client.
func (s *server) authenticateClient(r *http.Request, p params) (*gatehouse.Client, error) {
	id, secret := p.get("client_id"), p.get("client_secret")
	hasSecret := secret != ""
	if auth := r.Header.Values("Authorization"); len(auth) > 0 {
		if len(auth) > 1 {
			return nil, errInvalidRequest.with("more than one Authorization header")
		}
		bid, bsecret, ok := parseBasic(auth[0])
		if !ok {
			return nil, errInvalidClient
		}
		if hasSecret || (id != "" && id != bid) {
			return nil, errInvalidRequest.with("client credentials sent in more than one way")
		}
		id, secret, hasSecret = bid, bsecret, bsecret != ""
	}
	if len(id) > maxClientField || len(secret) > maxClientField {
		return nil, errInvalidClient
	}
	if id == "" {
		if hasSecret {
			return nil, errInvalidClient
		}
		return firstParty, nil
	}
	c, err := s.store.ClientByID(r.Context(), id)
	if errors.Is(err, gatehouse.ErrNotFound) {
		if id == gatehouse.FirstPartyClientID && !hasSecret {
			return firstParty, nil
		}
		return nil, errInvalidClient
	}
	if err != nil {
		return nil, err
	}
	if c.Public || c.SecretHash == "" {
		if hasSecret {
			return nil, errInvalidClient
		}
		return c, nil
	}
	if !hasSecret {
		return nil, errInvalidClient
	}
	if password.IsSecretHash(c.SecretHash) {
		if !password.VerifySecret(secret, c.SecretHash) {
			return nil, errInvalidClient
		}
		return c, nil
	}
	ok, _, err := s.passwords.Verify(r.Context(), secret, c.SecretHash)
	switch {
	case errors.Is(err, password.ErrBusy):
		return nil, errBusy
	case errors.Is(err, password.ErrTooLong):
		return nil, errInvalidClient
	case err != nil:
		return nil, err
	case !ok:
		return nil, errInvalidClient
	}
	return c, nil
}

// confidentialClient is authenticateClient for the endpoints only a
// registered confidential client may use (introspection, the revocation
// feed): public clients, the first-party one included, are invalid_client.
func (s *server) confidentialClient(r *http.Request, p params) (*gatehouse.Client, error) {
	c, err := s.authenticateClient(r, p)
	if err != nil {
		return nil, err
	}
	if c.Public || c.SecretHash == "" {
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
