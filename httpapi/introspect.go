package httpapi

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/session"
)

// introspection is the RFC 7662 §2.2 answer for an active token.
type introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope"`
	ClientID  string `json:"client_id"`
	Sub       string `json:"sub"`
	Username  string `json:"username,omitempty"`
	TokenType string `json:"token_type"`
	Exp       int64  `json:"exp"`
	Iat       int64  `json:"iat"`
	Iss       string `json:"iss"`
	Aud       any    `json:"aud"`
	Jti       string `json:"jti"`
	Sid       string `json:"sid,omitempty"`
}

var inactive = map[string]bool{"active": false}

// handleIntrospect is POST /introspect (RFC 7662), for registered
// confidential clients only. It reflects revocation at once, since it
// checks the token as the server's own endpoints do. A client's own token
// (client_credentials) is active while its client exists and has not
// revoked it (no username, no sid). Refresh tokens and anything that is
// not a valid, unrevoked access token are {"active":false}.
func (s *server) handleIntrospect(w http.ResponseWriter, r *http.Request) error {
	p, err := readParams(w, r, true)
	if err != nil {
		return err
	}
	if _, err := s.confidentialClient(r, p); err != nil {
		return err
	}
	tok := p.get("token")
	if tok == "" {
		return errInvalidRequest.with("token is required")
	}
	noStore(w)
	if len(tok) > maxBearer {
		writeJSON(w, http.StatusOK, inactive)
		return nil
	}
	// Authenticate judges by the session and the user as they are now, and
	// its claims carry only the scopes the user still has.
	t, err := s.sessions.Check(r.Context(), tok)
	if errors.Is(err, session.ErrInvalidToken) {
		writeJSON(w, http.StatusOK, inactive)
		return nil
	}
	if err != nil {
		return err
	}
	c := t.Claims
	var username string
	if t.User != nil {
		username = t.User.Username
	}
	var aud any = c.Audience
	if len(c.Audience) == 1 {
		aud = c.Audience[0]
	}
	writeJSON(w, http.StatusOK, introspection{
		Active: true, Scope: gatehouse.FormatScope(c.Scopes), ClientID: c.ClientID, Sub: c.Subject,
		Username: username, TokenType: "Bearer", Exp: c.ExpiresAt.Unix(), Iat: c.IssuedAt.Unix(),
		Iss: c.Issuer, Aud: aud, Jti: c.ID, Sid: c.SessionID,
	})
	return nil
}
