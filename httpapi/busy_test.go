package httpapi_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testserver"
	"github.com/gatehouse/gatehouse/password"
)

func TestALoginStormPastTheHashingBoundGets503WithRetryAfter(t *testing.T) {
	// One hashing slot, a millisecond of patience, and the real argon2id
	// cost for the dummy hash that unknown users are checked against.
	s := testserver.New(t, testserver.Options{
		Hashing:  &password.Config{MaxConcurrent: 1, MaxWait: time.Millisecond},
		Throttle: &testserver.NoLimits,
	})
	const n = 8
	codes := make([]int, n)
	retry := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, _ := s.TryLogin(t, fmt.Sprintf("nobody%d", i), "whatever it is")
			codes[i], retry[i] = r.Status, r.Header.Get("Retry-After")
		})
	}
	wg.Wait()
	busyAnswers := 0
	for i, c := range codes {
		switch c {
		case http.StatusServiceUnavailable:
			busyAnswers++
			if retry[i] == "" {
				t.Errorf("request %d: 503 without Retry-After", i)
			}
		case http.StatusBadRequest: // invalid_grant: it got the slot
		default:
			t.Errorf("request %d: status %d", i, c)
		}
	}
	if busyAnswers == 0 {
		t.Fatalf("%d concurrent logins through one hashing slot: no 503 (codes %v)", n, codes)
	}
}
