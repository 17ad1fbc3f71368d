// Package storemetrics is the store-latency histogram of the server,
// gatehouse_store_duration_seconds{op,result} (docs/metrics.md): a
// decorator of the store reports each call to Latency.Observe, whose
// signature is the decorator's observation hook. The histogram itself is
// Prometheus client_golang's.
package storemetrics
