package httpapi

import (
	"testing"
	"time"
)

// FuzzParseWait: wait= is a duration from 0 to MaxFeedWait or a 400, never
// a panic, never a negative or longer wait.
func FuzzParseWait(f *testing.F) {
	for _, s := range []string{"", "0", "30", "30s", "1500ms", "60s", "61s", "-1s", "1h", "1e3s", "9223372036854775807ns", "0.5s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, err := parseWait(v)
		if err == nil && (d < 0 || d > MaxFeedWait) {
			t.Fatalf("parseWait(%q) = %v, outside [0, %v]", v, d, MaxFeedWait)
		}
		if err != nil && d != 0 {
			t.Fatalf("parseWait(%q) = %v with an error", v, d)
		}
		if v == "" && (err != nil || d != 0) {
			t.Fatalf("no wait: %v, %v", d, err)
		}
	})
}

func TestParseWait(t *testing.T) {
	for v, want := range map[string]time.Duration{"30": 30 * time.Second, "30s": 30 * time.Second, "1500ms": 1500 * time.Millisecond, "60s": time.Minute} {
		if d, err := parseWait(v); err != nil || d != want {
			t.Errorf("parseWait(%q) = %v, %v; want %v", v, d, err, want)
		}
	}
}
