package ratelimit

import (
	"strings"
	"testing"
)

// hashTag is the part of key that Redis Cluster hashes: the first {…}
// that is not empty, or the whole key.
func hashTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}

func TestTheKeysOfEachScriptShareOneHashTag(t *testing.T) {
	th, clk, _ := newMemThrottle(Config{})
	const prefix = "gatehouse:"
	k := keysFor("alice", "198.51.100.7")
	var dims []dimension
	for _, known := range []bool{false, true} {
		dims = append(dims, th.loginDims(k, known, clk.Now())...)
	}
	dims = append(dims, th.signupDim("198.51.100.7"))
	tags := map[string]string{}
	for _, d := range dims {
		count, block := hashTag(prefix+d.res.Count), hashTag(prefix+d.res.Block)
		if count != block || count == prefix+d.res.Count {
			t.Errorf("%s: %q and %q hash apart", d.reason, d.res.Count, d.res.Block)
		}
		tags[d.reason] = count
	}
	if hashTag(prefix+k.known) != tags[ReasonPair] {
		t.Errorf("the known mark %q hashes apart from the pair %q", k.known, k.pairFail)
	}
	if len(tags) != 5 {
		t.Errorf("tags %v; want five dimensions", tags)
	}
}
