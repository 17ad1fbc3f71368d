package httpapi

import (
	"net/http"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/session"
)

// clientCredentialsGrant is grant_type=client_credentials (RFC 6749 §4.4):
// a confidential client, already authenticated (its secret throttled as a
// password is), gets a token of its own: sub = client_id, no refresh
// token, within its scopes. A public client is unauthorized_client.
func (s *server) clientCredentialsGrant(r *http.Request, p params, client *gatehouse.Client) (*session.Grant, error) {
	scopes, err := requestedScope(p)
	if err != nil {
		return nil, err
	}
	return s.sessions.ClientCredentials(r.Context(), client, scopes)
}
