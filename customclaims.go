package gatehouse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxCustomClaimsSize caps a user's custom claims: the bytes of their
// compact JSON object. Every access token of the user carries them, and a
// token must stay well inside a browser cookie (4 KiB) and the Bearer
// header cap (8 KiB) whatever the signing algorithm; 1 KiB of claims makes
// a token of at most about 2.8 KiB.
const MaxCustomClaimsSize = 1024

// maxClaimDepth bounds the nesting of a custom claim's value.
const maxClaimDepth = 8

// ErrInvalidClaims: custom claims that a token cannot carry. The error
// returned is a *ClaimError, which says which claim and why.
var ErrInvalidClaims = errors.New("gatehouse: invalid custom claims")

// ClaimError is why custom claims were refused: Name is the claim ("" when
// the object as a whole is at fault).
type ClaimError struct {
	Name   string
	Reason string
}

func (e *ClaimError) Error() string {
	if e.Name == "" {
		return "custom claims: " + e.Reason
	}
	return fmt.Sprintf("custom claim %q: %s", e.Name, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalidClaims) hold.
func (e *ClaimError) Unwrap() error { return ErrInvalidClaims }

// CheckCustomClaims checks a user's custom claims and returns them in
// canonical form (each value compact JSON, re-encoded), so that what is
// stored is what every token will carry and no token can be refused at
// mint time. Refused (a *ClaimError):
//   - a name that is empty, longer than 64 bytes, not UTF-8, or reserved
//     (IsReservedClaim: RFC 7519 and RFC 9068 names, and what Gatehouse
//     mints), or two names equal under case folding ("role" and "Role");
//   - a value that is not one JSON value, nests deeper than 8, holds an
//     object with two members whose names are equal under case folding
//     (verifiers refuse such tokens), or holds U+FFFD (what invalid UTF-8
//     and lone surrogate escapes decode to: refused rather than changed);
//   - claims whose compact JSON object exceeds MaxCustomClaimsSize bytes.
//
// nil and empty claims are no claims (nil is returned).
func CheckCustomClaims(claims map[string]json.RawMessage) (map[string]json.RawMessage, error) {
	if len(claims) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(claims))
	for name := range claims {
		names = append(names, name)
	}
	slices.Sort(names)
	out := make(map[string]json.RawMessage, len(claims))
	for i, name := range names {
		if err := checkClaimName(name); err != nil {
			return nil, err
		}
		// The verifier refuses tokens whose member names are equal under
		// case folding, as strings.EqualFold compares them.
		if j := slices.IndexFunc(names[:i], func(o string) bool { return strings.EqualFold(o, name) }); j >= 0 {
			return nil, &ClaimError{Name: name, Reason: fmt.Sprintf("differs from %q only by case", names[j])}
		}
		v, err := canonicalValue(claims[name])
		if err != nil {
			return nil, &ClaimError{Name: name, Reason: err.Error()}
		}
		out[name] = v
	}
	size, err := customClaimsSize(out)
	if err != nil {
		return nil, &ClaimError{Reason: err.Error()}
	}
	if size > MaxCustomClaimsSize {
		return nil, &ClaimError{Reason: fmt.Sprintf("%d bytes of JSON, more than the %d a token may carry", size, MaxCustomClaimsSize)}
	}
	return out, nil
}

// customClaimsSize is the length of the claims as one compact JSON object.
func customClaimsSize(claims map[string]json.RawMessage) (int, error) {
	b, err := json.Marshal(claims)
	return len(b), err
}

func checkClaimName(name string) error {
	switch {
	case name == "":
		return &ClaimError{Name: name, Reason: "the name is empty"}
	case len(name) > 64:
		return &ClaimError{Name: name[:64], Reason: "the name is longer than 64 bytes"}
	case !utf8.ValidString(name) || strings.ContainsRune(name, utf8.RuneError):
		return &ClaimError{Name: strings.ToValidUTF8(name, "\uFFFD"), Reason: "the name is not UTF-8"}
	case IsReservedClaim(name):
		return &ClaimError{Name: name, Reason: "the name is reserved (RFC 7519, RFC 9068, or minted by Gatehouse)"}
	}
	return nil
}

// canonicalValue reads raw as exactly one JSON value and writes it back in
// compact form.
func canonicalValue(raw json.RawMessage) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := readValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON value")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errors.New("not JSON")
	}
	return b, nil
}

// orderedObject keeps an object's members in the order they came, so the
// canonical form changes nothing but white space.
type orderedObject struct {
	names  []string
	values []any
}

func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, n := range o.names {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(n)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(o.values[i])
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// readValue reads one JSON value from dec, refusing what a strict
// verifier refuses.
func readValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxClaimDepth {
		return nil, fmt.Errorf("nested deeper than %d", maxClaimDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, errors.New("not JSON")
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			var o orderedObject
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, errors.New("not JSON")
				}
				k := kt.(string)
				if strings.ContainsRune(k, utf8.RuneError) {
					return nil, errors.New("a member name holds U+FFFD (invalid UTF-8 or a lone surrogate)")
				}
				if j := slices.IndexFunc(o.names, func(n string) bool { return strings.EqualFold(n, k) }); j >= 0 {
					return nil, fmt.Errorf("members %q and %q of one object repeat a name, or differ only by case", o.names[j], k)
				}
				v, err := readValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				o.names, o.values = append(o.names, k), append(o.values, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, errors.New("not JSON")
			}
			return o, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := readValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, errors.New("not JSON")
			}
			return arr, nil
		}
		return nil, errors.New("not JSON")
	case string:
		if strings.ContainsRune(t, utf8.RuneError) {
			return nil, errors.New("the value holds U+FFFD (invalid UTF-8 or a lone surrogate)")
		}
		return t, nil
	default: // json.Number, bool, nil
		return t, nil
	}
}

// ApplyClaimChanges returns current with the claims of set added or
// replaced and those named in unset removed, checked (CheckCustomClaims).
// A name both set and unset is refused. Names in unset that current does
// not have are not an error.
func ApplyClaimChanges(current, set map[string]json.RawMessage, unset []string) (map[string]json.RawMessage, error) {
	next := make(map[string]json.RawMessage, len(current)+len(set))
	for k, v := range current {
		next[k] = v
	}
	for _, k := range unset {
		if _, both := set[k]; both {
			return nil, &ClaimError{Name: k, Reason: "both set and removed"}
		}
		delete(next, k)
	}
	for k, v := range set {
		next[k] = v
	}
	return CheckCustomClaims(next)
}
