// Package guardprom exports a guard.RevocationFeed's state as Prometheus
// metrics. It is a package of its own so that guard itself stays free of
// the Prometheus client (guard/deps_test.go): an API that wants the gauges
// imports this one too.
package guardprom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse/gatehouse/guard"
)

var (
	staleness = prometheus.NewDesc("gatehouse_guard_revocation_feed_staleness_seconds",
		"Seconds since the revocation feed last answered; a healthy feed stays below its long-poll wait.", nil, nil)
	entries = prometheus.NewDesc("gatehouse_guard_revocation_feed_entries",
		"Revocations held in memory, by kind.", []string{"kind"}, nil)
	cursor = prometheus.NewDesc("gatehouse_guard_revocation_feed_cursor",
		"The feed cursor the next poll continues from.", nil, nil)
	resyncs = prometheus.NewDesc("gatehouse_guard_revocation_feed_resyncs_total",
		"Snapshots the feed sent to resynchronise from.", nil, nil)
	failures = prometheus.NewDesc("gatehouse_guard_revocation_feed_failures_total",
		"Polls of the feed that failed.", nil, nil)
)

// Collector is a prometheus.Collector of one feed's metrics, read from
// RevocationFeed.Stats at each scrape.
type Collector struct {
	feed *guard.RevocationFeed
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns the collector of feed. Register it with a registry:
//
//	reg.MustRegister(guardprom.NewCollector(verifier.Feed()))
func NewCollector(feed *guard.RevocationFeed) *Collector {
	return &Collector{feed: feed}
}

// Describe sends the descriptions of the feed's metrics.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{staleness, entries, cursor, resyncs, failures} {
		ch <- d
	}
}

// Collect sends the feed's current values.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.feed.Stats()
	ch <- prometheus.MustNewConstMetric(staleness, prometheus.GaugeValue, st.Staleness.Seconds())
	for kind, n := range st.Entries {
		ch <- prometheus.MustNewConstMetric(entries, prometheus.GaugeValue, float64(n), kind)
	}
	ch <- prometheus.MustNewConstMetric(cursor, prometheus.GaugeValue, float64(st.Cursor))
	ch <- prometheus.MustNewConstMetric(resyncs, prometheus.CounterValue, float64(st.Resyncs))
	ch <- prometheus.MustNewConstMetric(failures, prometheus.CounterValue, float64(st.Failures))
}
