package httpapi

import (
	"net/http"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/session"
)

// tokenResponse is the RFC 6749 §5.1 answer (without a refresh token for
// a client's own token, §4.4.3).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
}

// handleToken is POST /token: it reads the parameters strictly,
// authenticates the client, and hands the request to its grant.
func (s *server) handleToken(w http.ResponseWriter, r *http.Request) error {
	p, err := readParams(w, r, true)
	if err != nil {
		return err
	}
	client, err := s.authenticateClient(r, p)
	if err != nil {
		return err
	}
	var g *session.Grant
	switch p.get("grant_type") {
	case "password":
		g, err = s.passwordGrant(r, p, client)
	case "refresh_token":
		g, err = s.refreshGrant(r, p, client)
	case "client_credentials":
		g, err = s.clientCredentialsGrant(r, p, client)
	case "":
		err = errInvalidRequest.with("grant_type is required")
	default:
		err = errUnsupportedGrantType
	}
	if err != nil {
		return err
	}
	noStore(w)
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken:  g.AccessToken,
		TokenType:    "Bearer",
		ExpiresIn:    int64(g.ExpiresIn.Seconds()),
		RefreshToken: g.RefreshToken,
		Scope:        gatehouse.FormatScope(g.Scopes),
	})
	return nil
}

// requestedScope parses the optional scope parameter: nil when absent or
// empty (the default scope: RFC 6749 §3.3 lets the server choose it),
// invalid_scope when it is not RFC 6749 §3.3 syntax.
func requestedScope(p params) ([]string, error) {
	sc, err := gatehouse.ParseScope(p.get("scope"))
	if err != nil {
		return nil, errInvalidScope.with("scope is not a space-separated list of scope tokens")
	}
	return sc, nil
}
