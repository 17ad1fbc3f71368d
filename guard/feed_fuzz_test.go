package guard

import (
	"encoding/json"
	"log/slog"
	"testing"
)

// FuzzFeedAnswer feeds arbitrary answers to the check of the revocation
// feed's answers: it never panics, and what it accepts keeps the feed's
// promises (a next not behind the cursor unless resynchronising, entries of
// known kinds with a value and a forget time, a user entry with its time).
func FuzzFeedAnswer(f *testing.F) {
	for _, s := range []string{
		`{"revocations":[],"next":0,"resync":false}`,
		`{"revocations":[{"cursor":1,"kind":"jti","value":"AAAAAAAAAAAAAAAAAAAAAA","forget_at":9}],"next":1}`,
		`{"revocations":[{"cursor":2,"kind":"user","value":"u","issued_before":5,"forget_at":9}],"next":2,"resync":true}`,
		`{"revocations":[{"cursor":3,"kind":"kid","value":"k","forget_at":9},{"cursor":4,"kind":"tenant","value":"x","forget_at":9}],"next":4}`,
		`{"revocations":null,"next":-1}`,
	} {
		f.Add([]byte(s), int64(0))
	}
	feed := &RevocationFeed{logger: slog.New(slog.DiscardHandler)}
	f.Fuzz(func(t *testing.T, body []byte, since int64) {
		var a feedAnswer
		if json.Unmarshal(body, &a) != nil {
			return
		}
		es, err := feed.entries(&a, since)
		if err != nil {
			return
		}
		if *a.Next < 0 || (!a.Resync && *a.Next < since) {
			t.Fatalf("accepted next %d from cursor %d (resync %v)", *a.Next, since, a.Resync)
		}
		for _, e := range es {
			switch {
			case e.value == "" || e.forget <= 0:
				t.Fatalf("accepted %+v", e)
			case e.kind != kindJTI && e.kind != kindSID && e.kind != kindUser && e.kind != kindKID:
				t.Fatalf("accepted an unknown kind %+v", e)
			}
		}
		newRevocationSet().add(es)
	})
}
