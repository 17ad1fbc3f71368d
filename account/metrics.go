package account

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse/gatehouse/password"
	"github.com/gatehouse/gatehouse/session"
)

// Outcomes of a password login, the label of gatehouse_logins_total. A
// wrong password, an unknown user and a disabled account are one outcome,
// as they are one answer on the wire: /metrics must not tell an attacker
// which of them a guess hit (docs/metrics.md; the audit log says which).
const (
	LoginOK             = "ok"
	LoginBadCredentials = "bad_credentials"
	LoginThrottled      = "throttled"
	LoginInvalidScope   = "invalid_scope"
	LoginBusy           = "busy"  // no hashing slot freed up in time (503)
	LoginError          = "error" // the store failed, or the user kept changing
)

var loginOutcomes = []string{LoginOK, LoginBadCredentials, LoginThrottled, LoginInvalidScope, LoginBusy, LoginError}

// Causes of the revocations this package makes (session.RevocationCounters).
const (
	CauseLogoutAll      = "logout_all"      // the user logged out everywhere
	CauseAdminAll       = "admin_all"       // an admin revoked every session of a user
	CausePasswordChange = "password_change" // a new password (by the user or an admin)
	CauseDisable        = "disable"         // the user was disabled
	CauseScopeRemoval   = "scope_removal"   // a scope was taken away
	CauseUserDeleted    = "user_deleted"    // the user was deleted
	CauseOtherAll       = "other_all"       // every session of a user ended for another reason
)

type serviceMetrics struct {
	logins      *prometheus.CounterVec
	revocations session.RevocationCounters
}

func newServiceMetrics() *serviceMetrics {
	m := &serviceMetrics{
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_logins_total",
			Help: "Password logins, by outcome: ok, bad_credentials (wrong password, unknown user or disabled account), " +
				"throttled, invalid_scope, busy, error.",
		}, []string{"outcome"}),
		revocations: session.NewRevocationCounters(CauseLogoutAll, CauseAdminAll, CausePasswordChange, CauseDisable,
			CauseScopeRemoval, CauseUserDeleted, CauseOtherAll),
	}
	for _, o := range loginOutcomes {
		m.logins.WithLabelValues(o)
	}
	return m
}

// Collectors returns the Service's Prometheus metrics, to register on the
// server's registry: gatehouse_logins_total{outcome} and its causes of
// gatehouse_revocations_total{cause}.
func (s *Service) Collectors() []prometheus.Collector {
	return append([]prometheus.Collector{s.metrics.logins}, s.metrics.revocations.Collectors()...)
}

// loginOutcome is the outcome of a login that returned err.
func loginOutcome(err error) string {
	var throttled *ThrottledError
	switch {
	case err == nil:
		return LoginOK
	case errors.Is(err, ErrBadCredentials), errors.Is(err, password.ErrTooLong):
		return LoginBadCredentials
	case errors.As(err, &throttled):
		return LoginThrottled
	case errors.Is(err, ErrInvalidScope):
		return LoginInvalidScope
	case errors.Is(err, password.ErrBusy):
		return LoginBusy
	}
	return LoginError
}

// causeOfAll is the cause of ending every session of a user for reason, as
// the server's endpoints word it (httpapi).
func causeOfAll(reason string) string {
	switch reason {
	case "logout everywhere":
		return CauseLogoutAll
	case "revoked by an admin":
		return CauseAdminAll
	}
	return CauseOtherAll
}
