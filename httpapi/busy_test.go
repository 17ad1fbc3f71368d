package httpapi_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/httpapi"
	"github.com/gatehouse/gatehouse/password"
)

func TestALoginStormPastTheHashingBoundGets503WithRetryAfter(t *testing.T) {
	// One hashing slot, a millisecond of patience, and the real argon2id
	// cost for the dummy hash that unknown users are checked against.
	busy, err := password.New(password.Config{MaxConcurrent: 1, MaxWait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(c *httpapi.Config) { c.Passwords = busy })
	const n = 8
	codes := make([]int, n)
	retry := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			w := f.postForm("/token", form("grant_type", "password", "username", fmt.Sprintf("nobody%d", i), "password", "whatever it is"))
			codes[i], retry[i] = w.Code, w.Header().Get("Retry-After")
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
