package httpapi

import (
	"net/http"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/account"
	"github.com/gatehouse/gatehouse/session"
)

// maxPassword is the longest password accepted, checked before any hashing.
const maxPassword = 1024

// passwordGrant is grant_type=password, Gatehouse's first-party login: the
// parameters are read here, and the login policy (throttle, one hash
// whether or not the user exists, the session created only if the user is
// still as checked, rehash, audit) is account.Service.Login's. Every
// failure of the credentials is the same invalid_grant.
func (s *server) passwordGrant(r *http.Request, p params, client *gatehouse.Client) (*session.Grant, error) {
	rawUser, pw := p.get("username"), p.get("password")
	if rawUser == "" || pw == "" {
		return nil, errInvalidRequest.with("username and password are required")
	}
	if len(pw) > maxPassword {
		return nil, errInvalidRequest.with("password too long")
	}
	scopes, err := requestedScope(p)
	if err != nil {
		return nil, err
	}
	return s.accounts.Login(r.Context(), account.LoginRequest{
		Username: rawUser, Password: pw, Client: client, Scopes: scopes,
		IP: clientIP(r, s.proxies), UserAgent: r.UserAgent(),
	})
}
