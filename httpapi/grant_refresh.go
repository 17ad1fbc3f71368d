package httpapi

import (
	"net/http"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/session"
)

// maxRefreshToken caps a presented refresh token; ours are far shorter.
const maxRefreshToken = 512

// refreshGrant is grant_type=refresh_token (RFC 6749 §6): a one-time
// token rotated by session, bound to its client, optionally narrowing
// the scope.
func (s *server) refreshGrant(r *http.Request, p params, client *gatehouse.Client) (*session.Grant, error) {
	tok := p.get("refresh_token")
	if tok == "" {
		return nil, errInvalidRequest.with("refresh_token is required")
	}
	scopes, err := requestedScope(p)
	if err != nil {
		return nil, err
	}
	if len(tok) > maxRefreshToken {
		return nil, errInvalidGrant.with("the grant is invalid, expired or revoked")
	}
	g, err := s.sessions.Refresh(r.Context(), session.Refresh{
		Token:     tok,
		Client:    client,
		Scopes:    scopes,
		UserAgent: r.UserAgent(),
		IP:        clientIP(r, s.proxies),
	})
	return g, err
}
