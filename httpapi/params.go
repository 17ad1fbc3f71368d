package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"unicode/utf8"
)

// maxBody caps form and JSON request bodies (docs/admin-api.md).
const maxBody = 64 << 10

// params are the parameters of a request: each name at most once, every
// value valid UTF-8. An empty value counts as absent (RFC 6749 §3.1).
type params map[string]string

func (p params) get(name string) string { return p[name] }

// readBody reads at most maxBody bytes of the request body: a larger body,
// announced or not, is errTooLarge before anything is parsed.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > maxBody {
		return nil, errTooLarge
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge
		}
		return nil, errInvalidRequest.with("unreadable request body")
	}
	return b, nil
}

// readParams parses a form-encoded or JSON body strictly. With noQuery,
// any query string is invalid_request: the token endpoints never take
// credentials or tokens in the URL (RFC 6749 §3.2, §2.3.1).
func readParams(w http.ResponseWriter, r *http.Request, noQuery bool) (params, error) {
	if noQuery && (r.URL.RawQuery != "" || r.URL.ForceQuery) {
		return nil, errInvalidRequest.with("parameters must be sent in the request body, not the query string")
	}
	body, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		return params{}, nil
	}
	ct := r.Header.Values("Content-Type")
	if len(ct) != 1 {
		return nil, errInvalidRequest.with("Content-Type must be application/x-www-form-urlencoded or application/json")
	}
	mt, mp, err := mime.ParseMediaType(ct[0])
	if err != nil {
		return nil, errInvalidRequest.with("malformed Content-Type")
	}
	if cs, ok := mp["charset"]; ok && !equalFoldASCII(cs, "utf-8") {
		return nil, errInvalidRequest.with("charset must be UTF-8")
	}
	if !utf8.Valid(body) {
		return nil, errInvalidRequest.with("request body is not valid UTF-8")
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		return parseForm(string(body))
	case "application/json":
		return parseJSONParams(body)
	default:
		return nil, errInvalidRequest.with("Content-Type must be application/x-www-form-urlencoded or application/json")
	}
}

// parseForm parses an application/x-www-form-urlencoded string; a name
// given twice is invalid_request (RFC 6749 §3.1), even if once empty.
func parseForm(s string) (params, error) {
	vs, err := url.ParseQuery(s)
	if err != nil {
		return nil, errInvalidRequest.with("malformed form body")
	}
	return fromValues(vs)
}

func fromValues(vs url.Values) (params, error) {
	p := make(params, len(vs))
	for k, v := range vs {
		if len(v) != 1 {
			return nil, errInvalidRequest.with("parameter " + quoteName(k) + " repeated")
		}
		if !utf8.ValidString(k) || !utf8.ValidString(v[0]) {
			return nil, errInvalidRequest.with("parameters must be valid UTF-8")
		}
		if v[0] != "" {
			p[k] = v[0]
		}
	}
	return p, nil
}

// parseJSONParams parses one JSON object whose members are all strings,
// with no member twice and nothing after the object.
func parseJSONParams(body []byte) (params, error) {
	bad := func(desc string) (params, error) { return nil, errInvalidRequest.with(desc) }
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return bad("JSON body must be an object")
	}
	p := params{}
	seen := map[string]bool{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return bad("malformed JSON body")
		}
		k, _ := kt.(string)
		if seen[k] {
			return bad("parameter " + quoteName(k) + " repeated")
		}
		seen[k] = true
		vt, err := dec.Token()
		if err != nil {
			return bad("malformed JSON body")
		}
		v, ok := vt.(string)
		if !ok {
			return bad("parameter " + quoteName(k) + " must be a string")
		}
		if v != "" {
			p[k] = v
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return bad("malformed JSON body")
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("data after the JSON object")
	}
	return p, nil
}

// quoteName quotes a parameter name for an error description, shortened
// so that a hostile name cannot bloat the answer.
func quoteName(k string) string {
	if len(k) > 40 {
		k = k[:40]
		for len(k) > 0 && !utf8.ValidString(k) {
			k = k[:len(k)-1]
		}
		k += "…"
	}
	b, _ := json.Marshal(k)
	return string(b)
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
