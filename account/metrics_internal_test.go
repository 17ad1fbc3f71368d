package account

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gatehouse/gatehouse/password"
)

func TestLoginOutcomeOfEachError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, LoginOK},
		{ErrBadCredentials, LoginBadCredentials},
		{password.ErrTooLong, LoginBadCredentials},
		{&ThrottledError{}, LoginThrottled},
		{ErrInvalidScope, LoginInvalidScope},
		{fmt.Errorf("%w: %w", password.ErrBusy, errors.New("context canceled")), LoginBusy},
		{ErrContended, LoginError},
		{fmt.Errorf("account: %w", errors.New("database is locked")), LoginError},
	} {
		if got := loginOutcome(tc.err); got != tc.want {
			t.Errorf("loginOutcome(%v) = %q; want %q", tc.err, got, tc.want)
		}
	}
}
