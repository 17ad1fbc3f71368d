package httpapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gatehouse/gatehouse"
)

// feedPage is how many revocations one call to /revocations returns at most.
const feedPage = 1000

type revocationView struct {
	Cursor   int64  `json:"cursor"`
	Kind     string `json:"kind"`
	Value    string `json:"value"`
	ForgetAt int64  `json:"forget_at"`
	// IssuedBefore, for a "user" entry: every access token of the user
	// whose iat is before it (Unix seconds) is revoked. It is the user's
	// epoch rounded down to the second; tokens issued within that second,
	// before the epoch moved, belong to sessions that have their own "sid"
	// entries.
	IssuedBefore int64 `json:"issued_before,omitempty"`
}

// handleRevocations is GET /revocations?since=CURSOR: the revocation feed
// for resource servers, after the cursor: "jti" and "sid" entries, "user"
// entries (with issued_before) and "kid" entries (a revoked signing key:
// drop it from the key set and refuse every token it signed), for
// registered confidential clients (HTTP Basic; there is no body on a GET). "next" is the cursor of
// the last entry returned, or since when there is none: pass it back as
// since. An empty page means the caller is up to date.
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
		if k != "since" {
			return errInvalidRequest.with("unexpected parameter " + quoteName(k) + "; client credentials go in the Authorization header")
		}
	}
	if _, err := s.confidentialClient(r, params{}); err != nil {
		return err
	}
	var since int64
	if v := qp.get("since"); v != "" {
		since, err = strconv.ParseInt(v, 10, 64)
		if err != nil || since < 0 {
			return errInvalidRequest.with("since must be a non-negative integer cursor")
		}
	}
	revs, err := s.store.Revocations(r.Context(), since, feedPage, s.now())
	if err != nil {
		return err
	}
	out := make([]revocationView, 0, len(revs))
	next := since
	for _, v := range revs {
		rv := revocationView{Cursor: v.Cursor, Kind: v.Kind, Value: v.Value, ForgetAt: v.ForgetAt.Unix()}
		if v.Kind == gatehouse.RevokeUser {
			rv.IssuedBefore = v.Time.Unix()
		}
		out = append(out, rv)
		next = v.Cursor
	}
	noStore(w)
	writeJSON(w, http.StatusOK, map[string]any{"revocations": out, "next": next})
	return nil
}
