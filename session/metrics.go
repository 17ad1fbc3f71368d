package session

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse/gatehouse"
)

// Outcomes of a refresh, the label of gatehouse_refreshes_total.
const (
	RefreshRotated = "rotated" // a live token was rotated
	RefreshRetry   = "retry"   // the token just rotated came back within the grace window
	RefreshReuse   = "reuse"   // a retired token came back: its session was revoked
	RefreshEnded   = "ended"   // the session had ended (revoked, idle, too old, user changed)
	RefreshInvalid = "invalid" // malformed, unknown, another client's, or a wider scope
	RefreshError   = "error"   // the store failed, or the successor could not be unsealed
)

var refreshOutcomes = []string{RefreshRotated, RefreshRetry, RefreshReuse, RefreshEnded, RefreshInvalid, RefreshError}

// Causes of the revocations this package makes, values of the cause label
// of gatehouse_revocations_total (docs/metrics.md lists every cause).
const (
	CauseLogout       = "logout"        // POST /logout, /session/logout
	CauseLogoutOthers = "logout_others" // "log out my other devices"
	CauseSessionEnded = "session_ended" // the user ended one of their sessions
	CauseRevoke       = "revoke"        // RFC 7009 /revoke of a refresh or access token
	CauseReuse        = "reuse"         // a retired refresh token came back
	CauseAdmin        = "admin"         // an admin ended one session
	CauseKeyRevoked   = "key_revoked"   // a signing key was revoked
	CauseOther        = "other"         // a session ended for a reason not listed here
)

// RevocationCounters counts revocations by cause: one series of
// gatehouse_revocations_total per cause, each a constant label, so that
// several packages (each counting its own causes) register the one metric
// on one registry. Causes must not repeat across packages.
type RevocationCounters map[string]prometheus.Counter

// NewRevocationCounters returns counters for causes, each at zero.
func NewRevocationCounters(causes ...string) RevocationCounters {
	c := RevocationCounters{}
	for _, cause := range causes {
		c[cause] = prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatehouse_revocations_total",
			Help: "Revocations made by this process, by cause: a session ended, an access token denied, " +
				"every token of a user revoked at once, or a signing key revoked.",
			ConstLabels: prometheus.Labels{"cause": cause},
		})
	}
	return c
}

// Inc counts one revocation of cause; a cause it has no counter for is
// counted as nothing (the tests of each cause catch that).
func (c RevocationCounters) Inc(cause string) {
	if ctr, ok := c[cause]; ok {
		ctr.Inc()
	}
}

// Collectors returns the counters, to register.
func (c RevocationCounters) Collectors() []prometheus.Collector {
	out := make([]prometheus.Collector, 0, len(c))
	for _, ctr := range c {
		out = append(out, ctr)
	}
	return out
}

// managerMetrics is what a Manager counts.
type managerMetrics struct {
	refreshes   *prometheus.CounterVec
	revocations RevocationCounters
}

func newManagerMetrics() *managerMetrics {
	m := &managerMetrics{
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_refreshes_total",
			Help: "refresh_token grants, by outcome: rotated, retry, reuse, ended, invalid, error.",
		}, []string{"outcome"}),
		revocations: NewRevocationCounters(CauseLogout, CauseLogoutOthers, CauseSessionEnded, CauseRevoke, CauseReuse, CauseAdmin, CauseOther),
	}
	for _, o := range refreshOutcomes {
		m.refreshes.WithLabelValues(o)
	}
	return m
}

// Collectors returns the Manager's Prometheus metrics, to register on the
// server's registry: gatehouse_refreshes_total{outcome} and its causes of
// gatehouse_revocations_total{cause}.
func (m *Manager) Collectors() []prometheus.Collector {
	return append([]prometheus.Collector{m.metrics.refreshes}, m.metrics.revocations.Collectors()...)
}

// causeOf is the cause of ending a session for reason, as the server's
// endpoints word it (httpapi): bounded, whatever the reason says.
func causeOf(reason string) string {
	switch {
	case reason == "logout":
		return CauseLogout
	case reason == "ended by the user from another session":
		return CauseLogoutOthers
	case reason == "ended by the user":
		return CauseSessionEnded
	case reason == revokedReason:
		return CauseRevoke
	case strings.HasPrefix(reason, "ended by an admin"):
		return CauseAdmin
	}
	return CauseOther
}

// revokedReason is why RFC 7009 revocation of a refresh token ends its
// session.
const revokedReason = "refresh token revoked"

// keyStates are the values of the state label of gatehouse_signing_keys.
var keyStates = []gatehouse.KeyState{gatehouse.KeyNext, gatehouse.KeyActive, gatehouse.KeyRetired}

var keysDesc = prometheus.NewDesc("gatehouse_signing_keys",
	"Signing keys in the store as this process last loaded them, by state: next (published, not signing yet), "+
		"active (signing), retired (published until their tokens expire).", []string{"state"}, nil)

// keysCollector reports the keyring's keys by state at each scrape.
type keysCollector struct{ k *Keyring }

func (c keysCollector) Describe(ch chan<- *prometheus.Desc) { ch <- keysDesc }

func (c keysCollector) Collect(ch chan<- prometheus.Metric) {
	n := map[gatehouse.KeyState]int{}
	for _, sk := range c.k.Keys() {
		n[sk.State]++
	}
	for _, s := range keyStates {
		ch <- prometheus.MustNewConstMetric(keysDesc, prometheus.GaugeValue, float64(n[s]), string(s))
	}
}

// Collectors returns the Keyring's Prometheus metrics, to register on the
// server's registry: gatehouse_signing_keys{state} and the key_revoked
// cause of gatehouse_revocations_total.
func (k *Keyring) Collectors() []prometheus.Collector {
	return append([]prometheus.Collector{keysCollector{k}}, k.revocations.Collectors()...)
}
