package httpapi

import "net/http"

// handleRevoke is POST /revoke (RFC 7009). The client authenticates as on
// /token (a public client needs no secret) and may revoke only its own
// tokens; a refresh token ends its session, an access token is refused
// until it expires. Unknown, malformed and foreign tokens answer 200 too
// (RFC 7009 §2.2), so the answer tells nothing about the token.
func (s *server) handleRevoke(w http.ResponseWriter, r *http.Request) error {
	p, err := readParams(w, r, true)
	if err != nil {
		return err
	}
	client, err := s.authenticateClient(r, p)
	if err != nil {
		return err
	}
	tok := p.get("token")
	if tok == "" {
		return errInvalidRequest.with("token is required")
	}
	if len(tok) <= maxBearer {
		if err := s.sessions.RevokeToken(r.Context(), tok, p.get("token_type_hint"), client.ID); err != nil {
			return err
		}
	}
	noStore(w)
	w.WriteHeader(http.StatusOK)
	return nil
}
