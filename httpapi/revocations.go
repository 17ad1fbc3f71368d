package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
)

// feedPage is how many revocations one call to /revocations returns at most.
const feedPage = 1000

type revocationView struct {
	Cursor   int64  `json:"cursor"`
	Kind     string `json:"kind"`
	Value    string `json:"value"`
	ForgetAt int64  `json:"forget_at"`
}

// handleRevocations is GET /revocations?since=CURSOR: the revocation feed
// for resource servers, after the cursor, for registered confidential
// clients (HTTP Basic; there is no body on a GET). "next" is the cursor of
// the last entry returned, or since when there is none: pass it back as
// since. An empty page means the caller is up to date.
func (s *server) handleRevocations(w http.ResponseWriter, r *http.Request) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.fail(w, r, errInvalidRequest.with("malformed query string"))
		return
	}
	qp, err := fromValues(q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for k := range qp {
		if k != "since" {
			s.fail(w, r, errInvalidRequest.with("unexpected parameter "+quoteName(k)+"; client credentials go in the Authorization header"))
			return
		}
	}
	if _, err := s.confidentialClient(r, params{}); err != nil {
		s.fail(w, r, err)
		return
	}
	var since int64
	if v := qp.get("since"); v != "" {
		since, err = strconv.ParseInt(v, 10, 64)
		if err != nil || since < 0 {
			s.fail(w, r, errInvalidRequest.with("since must be a non-negative integer cursor"))
			return
		}
	}
	revs, err := s.store.Revocations(r.Context(), since, feedPage, s.now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]revocationView, 0, len(revs))
	next := since
	for _, v := range revs {
		out = append(out, revocationView{Cursor: v.Cursor, Kind: v.Kind, Value: v.Value, ForgetAt: v.ForgetAt.Unix()})
		next = v.Cursor
	}
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]any{"revocations": out, "next": next})
}
