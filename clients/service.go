package clients

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/audit"
	"github.com/gatehouse/gatehouse/password"
	"github.com/gatehouse/gatehouse/ratelimit"
	"golang.org/x/sync/singleflight"
)

// Config configures a Service. Store is required.
type Config struct {
	Store gatehouse.Store
	// Passwords verifies client secrets stored as argon2id by older
	// versions; nil: such secrets never match.
	Passwords *password.Hasher
	// Throttle slows down guessing of client secrets (the login throttle);
	// nil means none.
	Throttle *ratelimit.Throttle
	// Audit records every change; default a recorder on Store and Logger.
	Audit  *audit.Recorder
	Logger *slog.Logger
	Now    func() time.Time
}

// Service is the one place where clients change and their credentials are
// checked. It is safe for concurrent use, and several processes may use
// one store at once.
type Service struct {
	store     gatehouse.Store
	passwords *password.Hasher
	throttle  *ratelimit.Throttle
	audit     *audit.Recorder
	log       *slog.Logger
	now       func() time.Time

	// checks merges concurrent checks of the same credentials, keyed by
	// an HMAC under flightKey, random per process (authenticate.go).
	checks    singleflight.Group
	flightKey []byte
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("clients: Store is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Audit == nil {
		cfg.Audit = audit.New(cfg.Store, cfg.Logger, cfg.Now)
	}
	return &Service{store: cfg.Store, passwords: cfg.Passwords, throttle: cfg.Throttle, audit: cfg.Audit, log: cfg.Logger, now: cfg.Now,
		flightKey: []byte(rand.Text())}, nil
}

// FirstParty is the built-in public client of /token calls that name none.
var FirstParty = &gatehouse.Client{ID: gatehouse.FirstPartyClientID, Name: "Gatehouse", Public: true}

// Bounds of a new client's fields.
const (
	maxName      = 128
	maxAudience  = 8
	MaxAccessTTL = 24 * time.Hour
)

// NewClient is a client to register.
type NewClient struct {
	// ID is the chosen client_id (gatehouse.ValidClientID); empty for a
	// generated one.
	ID   string
	Name string
	// Public registers a client without a secret.
	Public    bool
	Scopes    []string
	Audience  []string
	AccessTTL time.Duration // 0: the server's; otherwise 1s to 24h
}

// Create registers a client and returns it with its secret (empty for a
// public client): the secret is not stored and cannot be shown again.
// Errors: ErrInvalid (wrapped, saying which field), ErrIDTaken.
func (s *Service) Create(ctx context.Context, n NewClient, by audit.Actor) (*gatehouse.Client, string, error) {
	c, err := check(n)
	if err != nil {
		return nil, "", err
	}
	var secret string
	if !n.Public {
		secret = newSecret()
		c.SecretHash = password.SecretHash(secret)
	}
	c.CreatedAt = s.now().UTC().Truncate(time.Microsecond)
	if err := s.store.CreateClient(ctx, c); err != nil {
		if errors.Is(err, gatehouse.ErrConflict) {
			return nil, "", ErrIDTaken
		}
		return nil, "", fmt.Errorf("clients: create: %w", err)
	}
	kind := "confidential"
	if c.Public {
		kind = "public"
	}
	s.audit.RecordBy(ctx, by, gatehouse.EventAdmin, "", fmt.Sprintf("client %s registered (%s, scope %s)",
		c.ID, kind, strconv.Quote(gatehouse.FormatScope(c.Scopes))))
	return c, secret, nil
}

// check validates n and returns the client it describes.
func check(n NewClient) (*gatehouse.Client, error) {
	id := n.ID
	if id == "" {
		id = "gh_" + rand.Text()
	} else if err := gatehouse.ValidClientID(id); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	name := n.Name
	if name == "" {
		name = id
	}
	if len(name) > maxName || !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return nil, invalid("the name must be at most %d bytes of UTF-8 without control characters", maxName)
	}
	scopes, err := tokens(n.Scopes, "scopes must be RFC 6749 scope tokens")
	if err != nil {
		return nil, err
	}
	aud, err := tokens(n.Audience, "an audience must be printable ASCII without spaces, quotes or backslashes")
	if err != nil {
		return nil, err
	}
	if len(aud) > maxAudience {
		return nil, invalid("at most %d audiences", maxAudience)
	}
	for _, a := range aud {
		if len(a) > 256 {
			return nil, invalid("an audience is at most 256 bytes")
		}
	}
	if n.AccessTTL != 0 && (n.AccessTTL < time.Second || n.AccessTTL > MaxAccessTTL || n.AccessTTL%time.Second != 0) {
		return nil, invalid("the access-token lifetime must be whole seconds from 1s to %v", MaxAccessTTL)
	}
	return &gatehouse.Client{ID: id, Name: name, Public: n.Public, Scopes: scopes, Audience: aud, AccessTTL: n.AccessTTL}, nil
}

// tokens checks RFC 6749 scope tokens (the same characters make a safe
// audience) and drops duplicates.
func tokens(in []string, why string) ([]string, error) {
	var out []string
	for _, t := range in {
		if !gatehouse.ValidScopeToken(t) {
			return nil, invalid("%s", why)
		}
		if !contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// newSecret is a client secret: two rand.Text, 52 base32 characters, 260
// random bits.
func newSecret() string { return rand.Text() + rand.Text() }

// Get returns the client. ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (*gatehouse.Client, error) {
	c, err := s.store.ClientByID(ctx, id)
	return c, storeError(err)
}

// List returns every client, ordered by name.
func (s *Service) List(ctx context.Context) ([]*gatehouse.Client, error) {
	cs, err := s.store.ListClients(ctx)
	return cs, storeError(err)
}

// maxAttempts bounds how often a change lost to a concurrent one is tried
// again.
const maxAttempts = 8

// RotateSecret gives a confidential client a new secret and returns it:
// the old one stops working at once, and every token the client obtained
// for itself with it is revoked (its epoch moves; the feed says so), on
// every server sharing the store. Errors: ErrNotFound, ErrInvalid for a
// public client, ErrContended.
func (s *Service) RotateSecret(ctx context.Context, id string, by audit.Actor) (string, error) {
	for range maxAttempts {
		c, err := s.store.ClientByID(ctx, id)
		if err != nil {
			return "", storeError(err)
		}
		if c.Public {
			return "", invalid("a public client has no secret")
		}
		secret := newSecret()
		epoch := gatehouse.NextClientEpoch(s.now(), c)
		err = s.store.RotateClientSecret(ctx, id, password.SecretHash(secret), epoch)
		if errors.Is(err, gatehouse.ErrStale) {
			continue
		}
		if err != nil {
			return "", storeError(err)
		}
		s.audit.RecordBy(ctx, by, gatehouse.EventAdmin, "", "client "+id+" secret rotated; its own tokens issued before are revoked")
		return secret, nil
	}
	return "", ErrContended
}

// Delete removes the client: its credentials stop working, the sessions
// of users who logged in through it end, and every token it obtained for
// itself is revoked, at once. It returns how many sessions ended. Errors:
// ErrNotFound, ErrContended.
func (s *Service) Delete(ctx context.Context, id string, by audit.Actor) (int, error) {
	for range maxAttempts {
		c, err := s.store.ClientByID(ctx, id)
		if err != nil {
			return 0, storeError(err)
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		n, err := s.store.DeleteClient(ctx, id, "client deleted", now, gatehouse.NextClientEpoch(now, c))
		if errors.Is(err, gatehouse.ErrStale) {
			continue
		}
		if err != nil {
			return 0, storeError(err)
		}
		s.audit.RecordBy(ctx, by, gatehouse.EventAdmin, "", fmt.Sprintf("client %s deleted, %d sessions ended", id, n))
		return n, nil
	}
	return 0, ErrContended
}

// storeError maps the store's not-found to the service's.
func storeError(err error) error {
	if errors.Is(err, gatehouse.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("clients: %w", err)
	}
	return nil
}
