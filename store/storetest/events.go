package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

// eventKinds are the details of es, in order.
func eventDetails(es []*gatehouse.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Detail
	}
	return out
}

var eventTests = []test{
	{"recorded event round-trips with an id assigned by the store", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		e := &gatehouse.Event{Time: at(time.Second + 5*time.Nanosecond), Kind: gatehouse.EventRefreshReuse,
			UserID: "u1", SessionID: "s1", ClientID: "gatehouse", IP: "2001:db8::1", Detail: "reused"}
		must(t, "RecordEvent", s.RecordEvent(ctx, e))
		if e.ID == 0 {
			t.Fatal("RecordEvent assigned no id")
		}
		es, err := s.Events(ctx, "", 0, 10)
		must(t, "Events", err)
		if len(es) != 1 {
			t.Fatalf("Events = %d, want 1", len(es))
		}
		got := es[0]
		if got.ID != e.ID || got.Kind != e.Kind || got.UserID != e.UserID || got.SessionID != e.SessionID ||
			got.ClientID != e.ClientID || got.IP != e.IP || got.Detail != e.Detail {
			t.Errorf("event = %+v, want %+v", got, e)
		}
		checkTime(t, "Time", got.Time, e.Time)
	}},
	{"RecordEvent assigns increasing ids", func(t *testing.T, s gatehouse.Store) {
		var last int64
		for i := range 5 {
			e := &gatehouse.Event{Time: at(0), Kind: gatehouse.EventLoginOK}
			must(t, "RecordEvent", s.RecordEvent(context.Background(), e))
			if e.ID <= last {
				t.Fatalf("event %d got id %d after %d", i, e.ID, last)
			}
			last = e.ID
		}
	}},
	{"audit events page newest first", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		var ids []int64
		for _, d := range []string{"e1", "e2", "e3", "e4", "e5"} {
			e := &gatehouse.Event{Time: at(0), Kind: gatehouse.EventLoginOK, UserID: "u1", Detail: d}
			must(t, "RecordEvent", s.RecordEvent(ctx, e))
			ids = append(ids, e.ID)
		}
		pages := []struct {
			before int64
			want   []string
		}{
			{0, []string{"e5", "e4"}},
			{ids[3], []string{"e3", "e2"}},
			{ids[1], []string{"e1"}},
			{ids[0], []string{}},
		}
		for _, p := range pages {
			es, err := s.Events(ctx, "", p.before, 2)
			must(t, "Events", err)
			if got := eventDetails(es); !slices.Equal(got, p.want) {
				t.Errorf("Events(before %d, 2) = %q, want %q", p.before, got, p.want)
			}
		}
	}},
	{"audit events of one user", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		for _, e := range []*gatehouse.Event{
			{Kind: gatehouse.EventLoginOK, UserID: "u1", Detail: "a"},
			{Kind: gatehouse.EventLoginOK, UserID: "u2", Detail: "b"},
			{Kind: gatehouse.EventLoginFailed, UserID: "u1", Detail: "c"},
			{Kind: gatehouse.EventAdmin, Detail: "d"},
		} {
			e.Time = at(0)
			must(t, "RecordEvent", s.RecordEvent(ctx, e))
		}
		es, err := s.Events(ctx, "u1", 0, 10)
		must(t, "Events", err)
		if got, want := eventDetails(es), []string{"c", "a"}; !slices.Equal(got, want) {
			t.Errorf("Events(u1) = %q, want %q", got, want)
		}
		es, err = s.Events(ctx, "", 0, 10)
		must(t, "Events", err)
		if got, want := eventDetails(es), []string{"d", "c", "b", "a"}; !slices.Equal(got, want) {
			t.Errorf("Events(all) = %q, want %q", got, want)
		}
	}},
}
