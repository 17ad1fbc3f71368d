package httpapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/session"
)

// The admin routes of the signing keys map onto session.Keyring, which
// owns the keys' lifecycle (docs/keys.md); the keyring records the audit
// events.

type keyView struct {
	KID         string     `json:"kid"`
	Algorithm   string     `json:"alg"`
	State       string     `json:"state"`
	CreatedAt   time.Time  `json:"created_at"`
	ActivatedAt *time.Time `json:"activated_at,omitempty"`
	RetiredAt   *time.Time `json:"retired_at,omitempty"`
	SignedUntil *time.Time `json:"signed_until,omitempty"`
	// SignsFrom, for the next key: when it may sign.
	SignsFrom *time.Time `json:"signs_from,omitempty"`
	// PublishedUntil, for a retired key: when it leaves the JWKS.
	PublishedUntil *time.Time `json:"published_until,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// handleAdminListKeys is GET /admin/keys: the policy and the keys, never
// their private parts.
func (s *server) handleAdminListKeys(w http.ResponseWriter, r *http.Request) error {
	if err := s.keyring.Reload(r.Context()); err != nil {
		return err
	}
	p := s.keyring.Policy()
	out := []keyView{}
	for _, k := range s.keyring.Keys() {
		v := keyView{KID: k.ID, Algorithm: k.Algorithm, State: string(k.State), CreatedAt: k.CreatedAt.UTC(),
			ActivatedAt: timePtr(k.ActivatedAt), RetiredAt: timePtr(k.RetiredAt), SignedUntil: timePtr(k.SignedUntil)}
		switch k.State {
		case gatehouse.KeyNext:
			v.SignsFrom = timePtr(p.NextSignsFrom(k))
		case gatehouse.KeyRetired:
			v.PublishedUntil = timePtr(k.PublishedUntil())
		}
		out = append(out, v)
	}
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]any{
		"alg":                  p.Algorithm,
		"rotation_seconds":     int64(p.Rotation / time.Second),
		"jwks_max_age_seconds": int64(p.JWKSMaxAge / time.Second),
		"kek_id":               p.KEKID,
		"keys":                 out,
	})
	return nil
}

// handleAdminRotateKeys is POST /admin/keys/rotate: the next key starts
// signing, the active one retires (published until its tokens expire), a
// new next key is published. 409 with Retry-After while the next key has
// not been published for a JWKS cache lifetime.
func (s *server) handleAdminRotateKeys(w http.ResponseWriter, r *http.Request) error {
	by, err := s.actor(r)
	if err != nil {
		return err
	}
	kid, err := s.keyring.Rotate(r.Context(), "admin "+by.By)
	var nr *session.NotReadyError
	if errors.As(err, &nr) {
		retryAfter(w, nr.SignsFrom.Sub(s.now()))
	}
	if err != nil {
		return err
	}
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]string{"active_kid": kid})
	return nil
}

// handleAdminRevokeKey is POST /admin/keys/{kid}/revoke: the emergency
// revocation of a signing key (session.Keyring.Revoke). 404 for an unknown
// kid, and nothing changes.
func (s *server) handleAdminRevokeKey(w http.ResponseWriter, r *http.Request) error {
	kid := r.PathValue("kid")
	if kid == "" || len(kid) > 128 {
		return errNotFound.with("no such signing key")
	}
	by, err := s.actor(r)
	if err != nil {
		return err
	}
	rv, err := s.keyring.Revoke(r.Context(), kid, "admin "+by.By)
	if err != nil {
		return err
	}
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]any{
		"revoked_kid": kid,
		"state":       string(rv.Key.State),
		"forget_at":   rv.ForgetAt.Unix(),
		"active_kid":  rv.Active,
	})
	return nil
}
