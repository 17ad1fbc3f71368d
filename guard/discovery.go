package guard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/token"
)

// Size caps of what a RemoteVerifier reads from the issuer.
const (
	maxMetadataSize = 64 << 10
	maxJWKSSize     = 1 << 20
)

// Background refresh bounds: without a Cache-Control max-age the JWKS is
// refreshed every defaultRefreshPeriod; a max-age is honoured but never
// below the refetch interval nor above maxRefreshPeriod.
const (
	defaultRefreshPeriod = 15 * time.Minute
	maxRefreshPeriod     = 24 * time.Hour
)

// ErrInsecureIssuer: the issuer or jwks_uri is plain http:// and neither
// loopback nor allowed by WithInsecureHTTP.
var ErrInsecureIssuer = errors.New("guard: issuer must use https (or loopback http, or WithInsecureHTTP)")

// ErrIssuerMismatch: the metadata names another issuer than the URL it was
// fetched for (RFC 8414 §3.3).
var ErrIssuerMismatch = errors.New("guard: metadata issuer differs from the issuer URL")

// checkIssuer checks an issuer identifier (RFC 8414 §2: https, no query, no
// fragment) under the transport rule.
func checkIssuer(raw string, insecure bool) (*url.URL, error) {
	u, err := checkURL(raw, insecure)
	if err != nil {
		return nil, err
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return nil, fmt.Errorf("guard: issuer %q has a query or fragment", raw)
	}
	return u, nil
}

// checkURL enforces the transport rule on the issuer, the jwks_uri and any
// redirect: https, or http to loopback, or http when insecure.
func checkURL(raw string, insecure bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("guard: %w", err)
	}
	if u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("guard: %q is not an absolute URL without userinfo", raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && (insecure || isLoopback(u.Hostname())):
	case u.Scheme == "http":
		return nil, fmt.Errorf("%w: %s", ErrInsecureIssuer, raw)
	default:
		return nil, fmt.Errorf("guard: %q: scheme must be https", raw)
	}
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// metadataURL is where RFC 8414 §3.1 puts the metadata of issuer u: the
// well-known path between the host and the issuer's path.
func metadataURL(u *url.URL) string {
	m := *u
	m.Path = "/.well-known/oauth-authorization-server" + strings.TrimSuffix(u.Path, "/")
	m.RawPath = ""
	return m.String()
}

type metadata struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

// discover fetches the issuer's metadata and returns its jwks_uri.
func discover(ctx context.Context, hc *http.Client, issuer string, insecure bool) (string, error) {
	u, err := checkIssuer(issuer, insecure)
	if err != nil {
		return "", err
	}
	body, _, err := get(ctx, hc, metadataURL(u), maxMetadataSize)
	if err != nil {
		return "", fmt.Errorf("guard: metadata: %w", err)
	}
	var md metadata
	if err := json.Unmarshal(body, &md); err != nil {
		return "", fmt.Errorf("guard: metadata: %w", err)
	}
	if md.Issuer != issuer {
		return "", fmt.Errorf("%w: got %q, want %q", ErrIssuerMismatch, md.Issuer, issuer)
	}
	if md.JWKSURI == "" {
		return "", errors.New("guard: metadata has no jwks_uri")
	}
	if _, err := checkURL(md.JWKSURI, insecure); err != nil {
		return "", fmt.Errorf("guard: jwks_uri: %w", err)
	}
	return md.JWKSURI, nil
}

// fetchJWKS fetches and parses the key set, and says how long it may be
// cached (ok false when the response does not say).
func fetchJWKS(ctx context.Context, hc *http.Client, uri string) (*token.KeySet, time.Duration, bool, error) {
	body, h, err := get(ctx, hc, uri, maxJWKSSize)
	if err != nil {
		return nil, 0, false, fmt.Errorf("guard: jwks: %w", err)
	}
	ks, err := token.ParseJWKS(body)
	if err != nil {
		return nil, 0, false, fmt.Errorf("guard: jwks: %w", err)
	}
	if len(ks.Keys()) == 0 {
		return nil, 0, false, errors.New("guard: jwks: no keys")
	}
	age, ok := cacheLifetime(h)
	return ks, age, ok, nil
}

// get fetches uri and returns at most limit bytes of a 200 response.
func get(ctx context.Context, hc *http.Client, uri string, limit int64) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: status %d", uri, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(body)) > limit {
		return nil, nil, fmt.Errorf("GET %s: response over %d bytes", uri, limit)
	}
	return body, resp.Header, nil
}

// cacheLifetime reads how long a response may be used from its
// Cache-Control (max-age, less Age; no-cache and no-store mean 0).
func cacheLifetime(h http.Header) (time.Duration, bool) {
	var maxAge time.Duration
	found := false
	for _, v := range h.Values("Cache-Control") {
		for d := range strings.SplitSeq(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache":
				return 0, true
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
				if err != nil || n < 0 {
					continue
				}
				maxAge, found = time.Duration(min(n, int64(maxRefreshPeriod/time.Second)))*time.Second, true
			}
		}
	}
	if !found {
		return 0, false
	}
	if age, err := strconv.ParseInt(h.Get("Age"), 10, 64); err == nil && age > 0 {
		maxAge = max(0, maxAge-time.Duration(min(age, int64(maxRefreshPeriod/time.Second)))*time.Second)
	}
	return maxAge, true
}

// defaultHTTPClient applies the transport rule to redirects too.
func defaultHTTPClient(insecure bool) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			_, err := checkURL(req.URL.String(), insecure)
			return err
		},
	}
}
