package httpapi

import (
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/clients"
)

// The client routes of the admin API map onto clients.Service, which owns
// every change to a client.

type clientView struct {
	ClientID  string    `json:"client_id"`
	Name      string    `json:"name"`
	Type      string    `json:"type"` // "confidential" or "public"
	Scopes    []string  `json:"scopes"`
	Audience  []string  `json:"audience"`
	AccessTTL int64     `json:"access_ttl"` // seconds; 0 is the server's
	CreatedAt time.Time `json:"created_at"`
	// Secret is the client's secret, only in the answer that made it.
	Secret string `json:"client_secret,omitempty"`
}

// viewClient is a client as the admin API shows it: never the secret's hash.
func viewClient(c *gatehouse.Client) clientView {
	v := clientView{ClientID: c.ID, Name: c.Name, Type: "confidential", Scopes: c.Scopes, Audience: c.Audience,
		AccessTTL: int64(c.AccessTTL / time.Second), CreatedAt: c.CreatedAt.UTC()}
	if !c.Confidential() {
		v.Type = "public"
	}
	if v.Scopes == nil {
		v.Scopes = []string{}
	}
	if v.Audience == nil {
		v.Audience = []string{}
	}
	return v
}

// handleAdminListClients is GET /admin/clients: every client, by name.
func (s *server) handleAdminListClients(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.clients.List(r.Context())
	if err != nil {
		return err
	}
	out := make([]clientView, 0, len(cs))
	for _, c := range cs {
		out = append(out, viewClient(c))
	}
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]any{"clients": out})
	return nil
}

type createClient struct {
	ClientID  string   `json:"client_id"`
	Name      string   `json:"name"`
	Public    bool     `json:"public"`
	Scopes    []string `json:"scopes"`
	Audience  []string `json:"audience"`
	AccessTTL int64    `json:"access_ttl"` // seconds
}

// handleAdminCreateClient is POST /admin/clients: {"client_id" (omit for
// a generated one), "name", "public", "scopes", "audience", "access_ttl"}
// → 201 with the client and, for a confidential client, its
// "client_secret", shown this once.
func (s *server) handleAdminCreateClient(w http.ResponseWriter, r *http.Request) error {
	var in createClient
	if err := readAdminJSON(w, r, &in); err != nil {
		return err
	}
	if in.AccessTTL < 0 || in.AccessTTL > int64(clients.MaxAccessTTL/time.Second) {
		return errInvalidRequest.with("access_ttl must be 0 (the server's) or 1 to 86400 seconds")
	}
	by, err := s.actor(r)
	if err != nil {
		return err
	}
	c, secret, err := s.clients.Create(r.Context(), clients.NewClient{
		ID: in.ClientID, Name: in.Name, Public: in.Public, Scopes: in.Scopes, Audience: in.Audience,
		AccessTTL: time.Duration(in.AccessTTL) * time.Second,
	}, by)
	if err != nil {
		return err
	}
	v := viewClient(c)
	v.Secret = secret
	noStore(w)
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// clientID is the {id} of a client route; an implausible one is not found.
func clientID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if id == "" || len(id) > gatehouse.MaxClientIDLength+16 {
		return "", errNotFound.with("no such client")
	}
	return id, nil
}

// handleAdminGetClient is GET /admin/clients/{id}.
func (s *server) handleAdminGetClient(w http.ResponseWriter, r *http.Request) error {
	id, err := clientID(r)
	if err != nil {
		return err
	}
	c, err := s.clients.Get(r.Context(), id)
	if err != nil {
		return err
	}
	noStore(w)
	writeJSON(w, http.StatusOK, viewClient(c))
	return nil
}

// handleAdminDeleteClient is DELETE /admin/clients/{id}: the client's
// credentials stop working, the sessions of users who logged in through
// it end, and the tokens it got for itself are revoked, at once.
func (s *server) handleAdminDeleteClient(w http.ResponseWriter, r *http.Request) error {
	id, err := clientID(r)
	if err != nil {
		return err
	}
	by, err := s.actor(r)
	if err != nil {
		return err
	}
	n, err := s.clients.Delete(r.Context(), id, by)
	if err != nil {
		return err
	}
	s.metrics.revocations.Inc(causeClientDeleted)
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]int{"sessions_ended": n})
	return nil
}

// handleAdminRotateClientSecret is POST /admin/clients/{id}/rotate-secret:
// a new secret, shown this once; the old one stops working and the
// tokens the client got for itself with it are revoked.
func (s *server) handleAdminRotateClientSecret(w http.ResponseWriter, r *http.Request) error {
	id, err := clientID(r)
	if err != nil {
		return err
	}
	by, err := s.actor(r)
	if err != nil {
		return err
	}
	secret, err := s.clients.RotateSecret(r.Context(), id, by)
	if err != nil {
		return err
	}
	s.metrics.revocations.Inc(causeClientSecretRotated)
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]string{"client_id": id, "client_secret": secret})
	return nil
}
