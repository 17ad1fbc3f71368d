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
// application/json only, no unknown members, no member twice in any
// object (encoding/json would keep the last: {"scopes":[…],"scopes":[…]}
// would mean two things), nothing after the object.
func readAdminJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errInvalidRequest.with("Content-Type must be application/json")
	}
	if name, ok := repeatedMember(json.NewDecoder(bytes.NewReader(body)), 0); ok {
		return errInvalidRequest.with("member " + quoteName(name) + " given twice")
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

// repeatedMember reads one JSON value from dec and reports the first
// member name that an object in it repeats. Malformed JSON reports
// nothing: the decoder that follows refuses it.
func repeatedMember(dec *json.Decoder, depth int) (string, bool) {
	if depth > 32 {
		return "", false
	}
	t, err := dec.Token()
	if err != nil {
		return "", false
	}
	switch t {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return "", false
			}
			name, _ := k.(string)
			if seen[name] {
				return name, true
			}
			seen[name] = true
			if n, ok := repeatedMember(dec, depth+1); ok {
				return n, true
			}
		}
		dec.Token()
	case json.Delim('['):
		for dec.More() {
			if n, ok := repeatedMember(dec, depth+1); ok {
				return n, true
			}
		}
		dec.Token()
	}
	return "", false
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
