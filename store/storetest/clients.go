package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

func newClient(id, name string) *gatehouse.Client {
	return &gatehouse.Client{ID: id, Name: name, SecretHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$c2VjcmV0", CreatedAt: at(0)}
}

var clientTests = []test{
	{"created clients round-trip, confidential and public", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		conf := newClient("c1", "orders-api")
		conf.CreatedAt = at(time.Second + 999*time.Nanosecond)
		pub := &gatehouse.Client{ID: "c2", Name: "mobile", Public: true, CreatedAt: at(time.Minute)}
		for _, c := range []*gatehouse.Client{conf, pub} {
			must(t, "CreateClient", s.CreateClient(ctx, c))
			got, err := s.ClientByID(ctx, c.ID)
			must(t, "ClientByID", err)
			if got.ID != c.ID || got.Name != c.Name || got.SecretHash != c.SecretHash || got.Public != c.Public {
				t.Errorf("client = %+v, want %+v", got, c)
			}
			checkTime(t, "CreatedAt", got.CreatedAt, c.CreatedAt)
		}
	}},
	{"CreateClient with a taken id is ErrConflict", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "CreateClient", s.CreateClient(ctx, newClient("c1", "a")))
		wantErr(t, "CreateClient", s.CreateClient(ctx, newClient("c1", "b")), gatehouse.ErrConflict)
		got, err := s.ClientByID(ctx, "c1")
		must(t, "ClientByID", err)
		if got.Name != "a" {
			t.Errorf("Name = %q, want the first client's", got.Name)
		}
	}},
	{"ClientByID of an unknown id is ErrNotFound", func(t *testing.T, s gatehouse.Store) {
		_, err := s.ClientByID(context.Background(), "nobody")
		wantErr(t, "ClientByID", err, gatehouse.ErrNotFound)
	}},
	{"ListClients orders by name", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "CreateClient", s.CreateClient(ctx, newClient("c1", "reports")))
		must(t, "CreateClient", s.CreateClient(ctx, newClient("c2", "billing")))
		must(t, "CreateClient", s.CreateClient(ctx, newClient("c3", "orders")))
		cs, err := s.ListClients(ctx)
		must(t, "ListClients", err)
		var names []string
		for _, c := range cs {
			names = append(names, c.Name)
		}
		if want := []string{"billing", "orders", "reports"}; !slices.Equal(names, want) {
			t.Errorf("ListClients = %q, want %q", names, want)
		}
	}},
}
