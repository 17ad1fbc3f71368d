package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	cases := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct client", "203.0.113.5:4000", nil, "203.0.113.5"},
		{"untrusted peer's header is ignored", "203.0.113.5:4000", []string{"1.2.3.4"}, "203.0.113.5"},
		{"trusted proxy", "10.0.0.1:80", []string{"198.51.100.7"}, "198.51.100.7"},
		{"rightmost untrusted hop", "10.0.0.1:80", []string{"6.6.6.6, 198.51.100.7, 10.0.0.2"}, "198.51.100.7"},
		{"spoofed leftmost entry cannot win", "10.0.0.1:80", []string{"1.1.1.1", "198.51.100.7"}, "198.51.100.7"},
		{"garbage hop stops at the last vouched address", "10.0.0.1:80", []string{"198.51.100.7, nonsense"}, "10.0.0.1"},
		{"all hops trusted", "10.0.0.1:80", []string{"10.0.0.3"}, "10.0.0.3"},
		{"trusted proxy without header", "10.0.0.1:80", nil, "10.0.0.1"},
		{"IPv6 peer", "[2001:db8::1]:443", []string{"1.2.3.4"}, "2001:db8::1"},
		{"IPv4-mapped hop", "[fd00::1]:443", []string{"::ffff:198.51.100.9"}, "198.51.100.9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, h := range tc.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			if got := clientIP(r, trusted); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func FuzzParseJSONParams(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `{"a":1}`, `{"a":"b","a":"c"}`, `[]`, `{"a":"b"} x`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseJSONParams(b)
		if err == nil && p == nil {
			t.Fatal("nil params without error")
		}
	})
}
