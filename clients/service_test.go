package clients_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/audit"
	"github.com/gatehouse/gatehouse/clients"
	"github.com/gatehouse/gatehouse/internal/testserver"
	"github.com/gatehouse/gatehouse/ratelimit"
)

var admin = audit.Actor{By: "an admin"}

func TestCreateChosenAndGeneratedClients(t *testing.T) {
	s := testserver.New(t, testserver.Options{Throttle: &testserver.NoLimits})
	c, secret, err := s.Clients.Create(s.Ctx, clients.NewClient{ID: "orders-api", Name: "Orders", Scopes: []string{"orders:read", "orders:read"},
		Audience: []string{"https://orders.example"}, AccessTTL: 5 * time.Minute}, admin)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "orders-api" || len(secret) != 52 || !slices.Equal(c.Scopes, []string{"orders:read"}) || c.AccessTTL != 5*time.Minute {
		t.Fatalf("client %+v, secret of %d characters", c, len(secret))
	}
	stored, err := s.Store.ClientByID(s.Ctx, "orders-api")
	if err != nil || stored.SecretHash == "" || strings.Contains(stored.SecretHash, secret) {
		t.Fatalf("stored %+v, %v; want only a hash of the secret", stored, err)
	}
	gen, secret2, err := s.Clients.Create(s.Ctx, clients.NewClient{Name: "worker"}, admin)
	if err != nil || !strings.HasPrefix(gen.ID, "gh_") || secret2 == secret {
		t.Fatalf("generated %+v, %v", gen, err)
	}
	pub, none, err := s.Clients.Create(s.Ctx, clients.NewClient{ID: "my-spa", Public: true}, admin)
	if err != nil || none != "" || pub.Confidential() || pub.Name != "my-spa" {
		t.Fatalf("public %+v, secret %q, %v", pub, none, err)
	}
	if _, _, err := s.Clients.Create(s.Ctx, clients.NewClient{ID: "orders-api"}, admin); !errors.Is(err, clients.ErrIDTaken) {
		t.Errorf("a taken id: %v", err)
	}
	// A user id that begins with '-' or '_' (gatehouse.NewID makes some)
	// cannot be a client_id at all; take the first user whose id could.
	u := s.AddUser("alice", "correct horse battery staple")
	for i := 0; u.ID[0] == '-' || u.ID[0] == '_'; i++ {
		u = s.AddUser(fmt.Sprintf("alice%d", i), "correct horse battery staple")
	}
	if _, _, err := s.Clients.Create(s.Ctx, clients.NewClient{ID: u.ID}, admin); !errors.Is(err, clients.ErrIDTaken) {
		t.Errorf("a user's id as client_id: %v, want ErrIDTaken (its tokens' sub would be the user's)", err)
	}
}

func TestCreateRefusesBadFields(t *testing.T) {
	s := testserver.New(t, testserver.Options{})
	for name, n := range map[string]clients.NewClient{
		"the first-party id":      {ID: "gatehouse"},
		"a space in the id":       {ID: "orders api"},
		"a colon in the id":       {ID: "a:b"},
		"a 65-character id":       {ID: strings.Repeat("a", 65)},
		"a scope with a quote":    {ID: "x", Scopes: []string{`a"b`}},
		"an audience with space":  {ID: "x", Audience: []string{"a b"}},
		"nine audiences":          {ID: "x", Audience: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}},
		"a lifetime under 1s":     {ID: "x", AccessTTL: time.Millisecond},
		"a lifetime over 24h":     {ID: "x", AccessTTL: 25 * time.Hour},
		"a lifetime of 1.5s":      {ID: "x", AccessTTL: 1500 * time.Millisecond},
		"a name with a control":   {ID: "x", Name: "a\nb"},
		"a name that is not UTF8": {ID: "x", Name: "\xff"},
	} {
		if _, _, err := s.Clients.Create(s.Ctx, n, admin); !errors.Is(err, clients.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if cs, _ := s.Clients.List(s.Ctx); len(cs) != 0 {
		t.Errorf("%d clients after refusals", len(cs))
	}
}

func TestAuthenticate(t *testing.T) {
	s := testserver.New(t, testserver.Options{Throttle: &testserver.NoLimits})
	conf, secret, _ := s.Clients.Create(s.Ctx, clients.NewClient{ID: "api"}, admin)
	s.Clients.Create(s.Ctx, clients.NewClient{ID: "spa", Public: true}, admin)
	auth := func(id, sec string) (*gatehouse.Client, error) {
		return s.Clients.Authenticate(s.Ctx, clients.Credentials{ID: id, Secret: sec, IP: "192.0.2.1"})
	}
	if c, err := auth("api", secret); err != nil || c.ID != conf.ID {
		t.Fatalf("the right secret: %+v, %v", c, err)
	}
	if c, err := auth("spa", ""); err != nil || c.ID != "spa" {
		t.Fatalf("a public client by its id: %+v, %v", c, err)
	}
	if c, err := auth("", ""); err != nil || c != clients.FirstParty {
		t.Fatalf("no client_id: %+v, %v; want the first-party client", c, err)
	}
	for name, cr := range map[string][2]string{
		"a wrong secret":                {"api", secret + "x"},
		"no secret for a confidential":  {"api", ""},
		"an unknown client":             {"nobody", "x"},
		"an unknown client, no secret":  {"nobody", ""},
		"a secret for a public client":  {"spa", "x"},
		"a secret without a client_id":  {"", "x"},
		"a secret for the first party":  {"gatehouse", "x"},
		"a client_id of 257 bytes":      {strings.Repeat("a", 257), ""},
		"a secret of 257 bytes":         {"api", strings.Repeat("a", 257)},
		"another client's right secret": {"spa", secret},
	} {
		if _, err := auth(cr[0], cr[1]); !errors.Is(err, clients.ErrInvalidClient) {
			t.Errorf("%s: %v, want ErrInvalidClient", name, err)
		}
	}
}

func TestWrongSecretsAreThrottledLikePasswords(t *testing.T) {
	cfg := ratelimit.Config{PairFree: 3, AccountFree: 1 << 20, IPFree: 1 << 20, GlobalPerSecond: -1}
	s := testserver.New(t, testserver.Options{Throttle: &cfg})
	_, secret, _ := s.Clients.Create(s.Ctx, clients.NewClient{ID: "api"}, admin)
	auth := func(sec string) error {
		_, err := s.Clients.Authenticate(s.Ctx, clients.Credentials{ID: "api", Secret: sec, IP: "192.0.2.9"})
		return err
	}
	var throttled *clients.ThrottledError
	for i := range 10 {
		err := auth("wrong")
		if errors.As(err, &throttled) {
			if i < 4 {
				t.Fatalf("throttled after %d wrong secrets, want the free 3 and the one that earns the first delay", i)
			}
			break
		}
		if !errors.Is(err, clients.ErrInvalidClient) {
			t.Fatalf("wrong secret %d: %v", i, err)
		}
	}
	if throttled == nil || throttled.RetryAfter <= 0 {
		t.Fatal("ten wrong secrets in a row were never throttled")
	}
	// While throttled, even the right secret is not checked.
	if err := auth(secret); !errors.As(err, &throttled) {
		t.Fatalf("the right secret while throttled: %v", err)
	}
	s.Clock.Advance(throttled.RetryAfter)
	if err := auth(secret); err != nil {
		t.Fatalf("the right secret after the delay: %v", err)
	}
	// The success reset the pair: wrong secrets are free again.
	if err := auth("wrong"); !errors.Is(err, clients.ErrInvalidClient) {
		t.Fatalf("after a success: %v", err)
	}
}

func TestParallelWrongSecretsAreAdmittedNoMoreThanSequentialOnes(t *testing.T) {
	cfg := ratelimit.Config{PairFree: 3, AccountFree: 1 << 20, IPFree: 1 << 20, GlobalPerSecond: -1}
	s := testserver.New(t, testserver.Options{Throttle: &cfg})
	s.Clients.Create(s.Ctx, clients.NewClient{ID: "api"}, admin)
	const n = 40
	guesses := make([]string, n)
	for i := range guesses {
		guesses[i] = fmt.Sprintf("wrong-%d", i) // forty different guesses
	}
	errs := authenticateAtOnce(s, guesses)
	checked := 0
	for _, err := range errs {
		if errors.Is(err, clients.ErrInvalidClient) {
			checked++
		}
	}
	if checked > 4 {
		t.Fatalf("%d of %d parallel wrong secrets were checked; one at a time 4 would be", checked, n)
	}
}

// A resource server introspects with several requests at once: each
// reservation counts as a failure until it settles, so without merging the
// concurrent checks of one client's right secret, more of them than the
// pair's free failures are refused with 429.
func TestParallelRightSecretsAreNeverRefused(t *testing.T) {
	cfg := ratelimit.Config{PairFree: 3, AccountFree: 1 << 20, IPFree: 1 << 20, GlobalPerSecond: -1}
	s := testserver.New(t, testserver.Options{Throttle: &cfg})
	_, secret, err := s.Clients.Create(s.Ctx, clients.NewClient{ID: "api"}, admin)
	if err != nil {
		t.Fatal(err)
	}
	const rounds, n = 20, 16
	for round := range rounds {
		for i, err := range authenticateAtOnce(s, slices.Repeat([]string{secret}, n)) {
			if err != nil {
				t.Fatalf("round %d, call %d of %d at once with the right secret: %v", round, i, n, err)
			}
		}
	}
	// A wrong secret sent at the same time as right ones is its own check,
	// and fails.
	wrong := authenticateAtOnce(s, append([]string{secret + "x"}, slices.Repeat([]string{secret}, 8)...))[0]
	if !errors.Is(wrong, clients.ErrInvalidClient) {
		t.Fatalf("a wrong secret among right ones: %v, want ErrInvalidClient", wrong)
	}
}

func TestRotateSecretAndDelete(t *testing.T) {
	s := testserver.New(t, testserver.Options{Throttle: &testserver.NoLimits})
	_, old, _ := s.Clients.Create(s.Ctx, clients.NewClient{ID: "api"}, admin)
	fresh, err := s.Clients.RotateSecret(s.Ctx, "api", admin)
	if err != nil || fresh == old {
		t.Fatalf("RotateSecret = %q, %v", fresh, err)
	}
	if _, err := s.Clients.Authenticate(s.Ctx, clients.Credentials{ID: "api", Secret: old}); !errors.Is(err, clients.ErrInvalidClient) {
		t.Errorf("the old secret after a rotation: %v", err)
	}
	if _, err := s.Clients.Authenticate(s.Ctx, clients.Credentials{ID: "api", Secret: fresh}); err != nil {
		t.Errorf("the new secret: %v", err)
	}
	// Two rotations within one second both take effect, each moving the epoch on.
	again, err := s.Clients.RotateSecret(s.Ctx, "api", admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Clients.Authenticate(s.Ctx, clients.Credentials{ID: "api", Secret: again}); err != nil {
		t.Errorf("the third secret: %v", err)
	}
	s.Clients.Create(s.Ctx, clients.NewClient{ID: "spa", Public: true}, admin)
	if _, err := s.Clients.RotateSecret(s.Ctx, "spa", admin); !errors.Is(err, clients.ErrInvalid) {
		t.Errorf("rotating a public client's secret: %v", err)
	}
	if _, err := s.Clients.RotateSecret(s.Ctx, "nobody", admin); !errors.Is(err, clients.ErrNotFound) {
		t.Errorf("rotating an unknown client: %v", err)
	}
	if _, err := s.Clients.Delete(s.Ctx, "api", admin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Clients.Authenticate(s.Ctx, clients.Credentials{ID: "api", Secret: again}); !errors.Is(err, clients.ErrInvalidClient) {
		t.Errorf("a deleted client: %v", err)
	}
	if _, err := s.Clients.Delete(s.Ctx, "api", admin); !errors.Is(err, clients.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	evs, _ := s.Store.Events(s.Ctx, "", 0, 100)
	var details []string
	for _, e := range evs {
		details = append(details, e.Detail)
	}
	for _, want := range []string{"client api registered", "client api secret rotated", "client api deleted"} {
		if !slices.ContainsFunc(details, func(d string) bool { return strings.HasPrefix(d, want) }) {
			t.Errorf("no audit event %q in %q", want, details)
		}
	}
}

// authenticateAtOnce authenticates client "api" once per secret, all calls
// released together from one address, and returns their errors in order.
func authenticateAtOnce(s *testserver.Server, secrets []string) []error {
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, len(secrets))
	for i, secret := range secrets {
		wg.Go(func() {
			<-start
			_, errs[i] = s.Clients.Authenticate(s.Ctx, clients.Credentials{ID: "api", Secret: secret, IP: "192.0.2.9"})
		})
	}
	close(start)
	wg.Wait()
	return errs
}
