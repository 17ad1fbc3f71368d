package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse"
)

// feedPage is how many revocations one call to /revocations returns at most.
const feedPage = 1000

// MaxFeedWait is the longest wait= a feed reader may ask for.
const MaxFeedWait = 60 * time.Second

type revocationView struct {
	Cursor int64  `json:"cursor"`
	Kind   string `json:"kind"`
	Value  string `json:"value"`
	// IssuedBefore, for a "user" entry: every access token of the user
	// whose iat is before it (Unix seconds) is revoked. It is the user's
	// epoch rounded down to the second; tokens issued within that second,
	// before the epoch moved, belong to sessions that have their own "sid"
	// entries.
	IssuedBefore int64 `json:"issued_before,omitempty"`
	// ForgetAt is when the entry may be forgotten, in Unix seconds rounded
	// up, so that it is never earlier than the store's.
	ForgetAt int64 `json:"forget_at"`
}

type feedAnswer struct {
	Revocations []revocationView `json:"revocations"`
	Next        int64            `json:"next"`
	// Resync tells a reader that its cursor could not be continued from
	// (entries after it were purged, or it is not a cursor of this feed):
	// the page starts over from the beginning of the feed, a snapshot of
	// every entry in force, and next continues it.
	Resync bool `json:"resync"`

	revoked []time.Time // when each entry was revoked, for the lag metric
}

// handleRevocations is GET /revocations?since=CURSOR&wait=DURATION: the
// revocation feed for resource servers, for registered confidential
// clients (HTTP Basic; there is no body on a GET): "jti" and "sid"
// entries, "user" entries (with issued_before) and "kid" entries (a revoked
// signing key: drop it from the key set and refuse every token it signed).
// docs/revocation.md is its description. With wait, a reader that is up to date is answered when
// an entry comes, or with an empty page once wait has passed.
func (s *server) handleRevocations(w http.ResponseWriter, r *http.Request) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errInvalidRequest.with("malformed query string")
	}
	qp, err := fromValues(q)
	if err != nil {
		return err
	}
	for k := range qp {
		if k != "since" && k != "wait" {
			return errInvalidRequest.with("unexpected parameter " + quoteName(k) + "; client credentials go in the Authorization header")
		}
	}
	var since int64
	if v := qp.get("since"); v != "" {
		since, err = strconv.ParseInt(v, 10, 64)
		if err != nil || since < 0 {
			return errInvalidRequest.with("since must be a non-negative integer cursor")
		}
	}
	wait, err := parseWait(qp.get("wait"))
	if err != nil {
		return err
	}
	if _, err := s.confidentialClient(r, params{}); err != nil {
		return err
	}
	ans, err := s.feedPage(r.Context(), since)
	if err != nil {
		return err
	}
	if wait > 0 && !ans.Resync && len(ans.Revocations) == 0 && ans.Next == since {
		// The answer may come after the server's WriteTimeout.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(wait + 10*time.Second))
		s.metrics.feedWaiting.Inc()
		ans, err = s.waitFeed(r.Context(), since, wait)
		s.metrics.feedWaiting.Dec()
		if err != nil {
			return err
		}
	}
	if since > 0 && !ans.Resync {
		s.observeFeedLag(ans)
	}
	noStore(w)
	writeJSON(w, http.StatusOK, ans)
	return nil
}

// parseWait reads wait=: whole seconds ("30") or a duration with a unit
// ("30s", "1500ms"), from 0 to MaxFeedWait.
func parseWait(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	bad := errInvalidRequest.with("wait must be a duration from 0s to " + MaxFeedWait.String() + ", such as 30s")
	var d time.Duration
	if n, err := strconv.ParseUint(v, 10, 8); err == nil {
		d = time.Duration(n) * time.Second
	} else if strings.HasSuffix(v, "s") && v[0] >= '0' && v[0] <= '9' {
		if d, err = time.ParseDuration(v); err != nil {
			return 0, bad
		}
	} else {
		return 0, bad
	}
	if d < 0 || d > MaxFeedWait {
		return 0, bad
	}
	return d, nil
}

// waitFeed waits, up to wait, for the feed to move past since, and answers
// with what it then holds (an empty page when nothing came). The server
// shutting down ends the wait at once.
func (s *server) waitFeed(ctx context.Context, since int64, wait time.Duration) (*feedAnswer, error) {
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if s.stopping != nil {
		go func() {
			select {
			case <-s.stopping:
				cancel()
			case <-wctx.Done():
			}
		}()
	}
	for {
		werr := s.store.WaitRevocations(wctx, since)
		if ctx.Err() != nil {
			return nil, ctx.Err() // the client went away
		}
		// Read again whether woken or timed out: an entry committed just as
		// the wait ended is answered now rather than on the next call.
		ans, err := s.feedPage(ctx, since)
		if err != nil || werr != nil || ans.Resync || len(ans.Revocations) > 0 || ans.Next != since {
			return ans, err
		}
	}
}

// feedPage is the answer to a reader at cursor since: the entries in force
// after it, or a snapshot from the start when it cannot continue (Resync):
// since is below the feed's floor (it missed purged entries) or above its
// head (a cursor of another database, or of this one before a restore).
// since 0 is a new reader, who gets the snapshot without being told to
// resynchronise. next is the last entry's cursor when the page is full,
// and otherwise the head read before the page: every entry up to it that
// is not in the page is forgettable, so a reader never re-reads them and
// is not sent back to resynchronise when Purge removes them.
func (s *server) feedPage(ctx context.Context, since int64) (*feedAnswer, error) {
	b, err := s.store.RevocationBounds(ctx)
	if err != nil {
		return nil, err
	}
	ans := &feedAnswer{Revocations: []revocationView{}}
	from := since
	if since > b.Head || (since > 0 && since < b.Floor) {
		ans.Resync, from = true, 0
	}
	revs, err := s.store.Revocations(ctx, from, feedPage, s.now())
	if err != nil {
		return nil, err
	}
	for _, v := range revs {
		rv := revocationView{Cursor: v.Cursor, Kind: v.Kind, Value: v.Value, ForgetAt: ceilUnix(v.ForgetAt)}
		if v.Kind == gatehouse.RevokeUser {
			rv.IssuedBefore = v.Time.Unix()
		}
		ans.Revocations = append(ans.Revocations, rv)
		ans.revoked = append(ans.revoked, v.Time)
	}
	ans.Next = max(from, b.Head)
	if n := len(revs); n == feedPage {
		ans.Next = revs[n-1].Cursor
	} else if n > 0 {
		ans.Next = max(ans.Next, revs[n-1].Cursor)
	}
	return ans, nil
}

// ceilUnix is t in Unix seconds, rounded up.
func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// observeFeedLag records, for each entry of a page delivered to a reader
// continuing from its cursor, how long after the revocation it is
// delivered: the time a resource server that follows the feed may still
// honour a revoked token. An entry's time is the revoking process's clock,
// now this one's; a negative difference (clock skew) counts as 0.
func (s *server) observeFeedLag(ans *feedAnswer) {
	now := s.now()
	for _, v := range ans.revoked {
		s.metrics.feedLag.Observe(max(now.Sub(v).Seconds(), 0))
	}
}
