package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse"
)

// readAdminJSON decodes the JSON object body of an admin request into v:
// application/json only, no unknown members, nothing after the object.
func readAdminJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errInvalidRequest.with("Content-Type must be application/json")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errInvalidRequest.with("malformed JSON body: " + truncateBytes(err.Error(), 120))
	}
	if _, err := dec.Token(); err != io.EOF {
		return errInvalidRequest.with("data after the JSON object")
	}
	return nil
}

// checkScopes validates scope tokens given as a JSON array (the account
// service checks them again; this gives the admin a precise answer).
func checkScopes(sc []string) ([]string, error) {
	out := []string{}
	for _, t := range sc {
		if !gatehouse.ValidScopeToken(t) {
			return nil, errInvalidRequest.with("scopes must be RFC 6749 scope tokens")
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

type userView struct {
	ID                string                     `json:"id"`
	Username          string                     `json:"username"`
	Scopes            []string                   `json:"scopes"`
	Disabled          bool                       `json:"disabled"`
	Claims            map[string]json.RawMessage `json:"claims"`
	CreatedAt         time.Time                  `json:"created_at"`
	UpdatedAt         time.Time                  `json:"updated_at"`
	PasswordChangedAt time.Time                  `json:"password_changed_at"`
}

// viewUser is a user as the admin API shows it: never the password hash.
func viewUser(u *gatehouse.User) userView {
	sc := u.Scopes
	if sc == nil {
		sc = []string{}
	}
	claims := u.Claims
	if claims == nil {
		claims = map[string]json.RawMessage{}
	}
	return userView{
		ID: u.ID, Username: u.Username, Scopes: sc, Disabled: u.Disabled, Claims: claims,
		CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(), PasswordChangedAt: u.PasswordChangedAt.UTC(),
	}
}
