package guardprom_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gatehouse/gatehouse/guard"
	"github.com/gatehouse/gatehouse/guard/guardprom"
)

// The gauges of a feed, scraped as Prometheus reads them: the staleness
// follows the feed's clock, the entries are counted by kind.
func TestCollectorExportsTheFeedsState(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("since") == "0" {
			json.NewEncoder(w).Encode(map[string]any{"next": 2, "resync": false, "revocations": []map[string]any{
				{"cursor": 1, "kind": "jti", "value": "AAAAAAAAAAAAAAAAAAAAAA", "forget_at": 4102444800},
				{"cursor": 2, "kind": "user", "value": "u1", "issued_before": 1, "forget_at": 4102444800},
			}})
			return
		}
		if r.URL.Query().Get("wait") != "" {
			<-r.Context().Done() // a long poll that nothing answers
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"next": 2, "resync": false, "revocations": []any{}})
	}))
	defer srv.Close()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	feed, err := guard.NewRevocationFeed(context.Background(), srv.URL, "api", "secret", guard.WithNow(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(guardprom.NewCollector(feed))
	now = now.Add(42 * time.Second)
	want := `
# HELP gatehouse_guard_revocation_feed_entries Revocations held in memory, by kind.
# TYPE gatehouse_guard_revocation_feed_entries gauge
gatehouse_guard_revocation_feed_entries{kind="jti"} 1
gatehouse_guard_revocation_feed_entries{kind="kid"} 0
gatehouse_guard_revocation_feed_entries{kind="sid"} 0
gatehouse_guard_revocation_feed_entries{kind="user"} 1
# HELP gatehouse_guard_revocation_feed_staleness_seconds Seconds since the revocation feed last answered; a healthy feed stays below its long-poll wait.
# TYPE gatehouse_guard_revocation_feed_staleness_seconds gauge
gatehouse_guard_revocation_feed_staleness_seconds 42
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"gatehouse_guard_revocation_feed_staleness_seconds", "gatehouse_guard_revocation_feed_entries"); err != nil {
		t.Fatal(err)
	}
}
