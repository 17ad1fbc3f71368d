package token

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The strict JSON reader of headers, claims and JWKS documents. It accepts
// exactly RFC 8259 text in UTF-8 and refuses what encoding/json lets
// through: invalid UTF-8 (which encoding/json replaces by U+FFFD), lone
// UTF-16 surrogates in escapes, and objects that repeat a member name at
// any depth (encoding/json keeps the last one). Names are compared after
// unescaping and, as encoding/json matches them to struct fields, under
// Unicode simple case folding (strings.EqualFold): "s\u0075b", "SUB" and
// "ſub" (U+017F) all repeat "sub". Values are handed out raw, as slices of
// the input.

// maxDepth bounds nesting, so a hostile document cannot exhaust the stack.
const maxDepth = 32

// duplicateScanLimit: objects with more members than this check for
// repeated names with a map instead of pairwise.
const duplicateScanLimit = 16

var errJSON = errors.New("token: not strict JSON")

// jsonMember is one member of an object: its name as written between the
// quotes and its raw value.
type jsonMember struct {
	name    []byte
	escaped bool // name holds a backslash escape
	value   []byte
	at      int // offset of value in the parsed data
}

// key returns the member name, unescaped.
func (m *jsonMember) key() string {
	if !m.escaped {
		return string(m.name)
	}
	s, _ := unquote(m.name) // validated by the scanner
	return s
}

// is reports whether the member name is s, without allocating.
func (m *jsonMember) is(s string) bool {
	if !m.escaped {
		return string(m.name) == s
	}
	return m.key() == s
}

// parseObject reads data, which must be one JSON object and nothing else,
// and appends its members to dst. Nested values are validated the same
// way (duplicates included) and returned raw.
func parseObject(data []byte, dst []jsonMember) ([]jsonMember, error) {
	if !utf8.Valid(data) {
		return nil, errJSON
	}
	s := scanner{data: data}
	s.ws()
	if s.peek() != '{' {
		return nil, errJSON
	}
	dst, err := s.object(dst, 0)
	if err != nil {
		return nil, err
	}
	s.ws()
	if s.pos != len(s.data) {
		return nil, errJSON
	}
	return dst, nil
}

// arrayElements appends the raw elements of raw, a JSON array validated by
// parseObject, to dst. It fails if raw is not an array.
func arrayElements(raw []byte, dst [][]byte) ([][]byte, error) {
	s := scanner{data: raw}
	if s.peek() != '[' {
		return nil, errJSON
	}
	s.pos++
	s.ws()
	if s.peek() == ']' {
		return dst, nil
	}
	for {
		s.ws()
		start := s.pos
		if err := s.value(1); err != nil {
			return nil, err
		}
		dst = append(dst, s.data[start:s.pos:s.pos])
		s.ws()
		switch s.next() {
		case ',':
		case ']':
			return dst, nil
		default:
			return nil, errJSON
		}
	}
}

// jsonString returns the string a raw JSON value holds; ok is false when
// the value is not a string.
func jsonString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	s, err := unquote(inner)
	return s, err == nil
}

// stringIn is jsonString for a member of an object parsed from src's
// bytes: a string without escapes is a substring of src, not a copy, so
// that decoding a token's claims costs one string allocation.
func (m *jsonMember) stringIn(src string) (string, bool) {
	v := m.value
	if len(v) < 2 || v[0] != '"' || bytes.IndexByte(v, '\\') >= 0 {
		return jsonString(v)
	}
	return src[m.at+1 : m.at+len(v)-1], true
}

// unquote unescapes the validated contents of a JSON string.
func unquote(inner []byte) (string, error) {
	q := make([]byte, 0, len(inner)+2)
	q = append(append(append(q, '"'), inner...), '"')
	var s string
	err := json.Unmarshal(q, &s)
	return s, err
}

type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) peek() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

func (s *scanner) next() byte {
	c := s.peek()
	s.pos++
	return c
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// object reads an object starting at '{', appending its members to dst.
func (s *scanner) object(dst []jsonMember, depth int) ([]jsonMember, error) {
	if depth >= maxDepth {
		return nil, errJSON
	}
	s.pos++ // '{'
	first := len(dst)
	s.ws()
	if s.peek() == '}' {
		s.pos++
		return dst, nil
	}
	for {
		s.ws()
		var m jsonMember
		var err error
		if m.name, m.escaped, err = s.str(); err != nil {
			return nil, err
		}
		s.ws()
		if s.next() != ':' {
			return nil, errJSON
		}
		s.ws()
		start := s.pos
		if err := s.value(depth + 1); err != nil {
			return nil, err
		}
		m.value, m.at = s.data[start:s.pos:s.pos], start
		dst = append(dst, m)
		s.ws()
		switch s.next() {
		case ',':
		case '}':
			if repeatsName(dst[first:]) {
				return nil, errJSON
			}
			return dst, nil
		default:
			return nil, errJSON
		}
	}
}

// repeatsName reports whether two members have names that are equal
// after unescaping, ignoring case as strings.EqualFold does.
func repeatsName(ms []jsonMember) bool {
	if len(ms) > duplicateScanLimit {
		seen := make(map[string]struct{}, len(ms))
		var buf [64]byte
		for i := range ms {
			var k []byte
			if m := &ms[i]; m.escaped {
				k = appendFolded(buf[:0], m.key())
			} else {
				k = appendFolded(buf[:0], m.name)
			}
			if _, dup := seen[string(k)]; dup {
				return true
			}
			seen[string(k)] = struct{}{}
		}
		return false
	}
	for i := range ms {
		for j := i + 1; j < len(ms); j++ {
			a, b := &ms[i], &ms[j]
			if !a.escaped && !b.escaped {
				if !foldApart(a.name, b.name) && bytes.EqualFold(a.name, b.name) {
					return true
				}
			} else if strings.EqualFold(a.key(), b.key()) {
				return true
			}
		}
	}
	return false
}

// foldApart reports whether the first bytes of two unescaped names show
// that the names differ ignoring case: both bytes are ASCII and differ in
// more than the bit (0x20) that tells an ASCII letter's cases apart. Most
// pairs of claim names differ there, which spares repeatsName a call to
// bytes.EqualFold.
func foldApart(x, y []byte) bool {
	return len(x) > 0 && len(y) > 0 && x[0]|y[0] < utf8.RuneSelf && x[0]|0x20 != y[0]|0x20
}

// appendFolded appends name to dst with each rune replaced by the least
// rune of its simple case-folding orbit, as encoding/json's foldName does:
// two names fold to the same bytes exactly when strings.EqualFold holds.
func appendFolded[T string | []byte](dst []byte, name T) []byte {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= utf8.RuneSelf {
			return appendFoldedRunes(dst, string(name[i:]))
		}
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// appendFoldedRunes is appendFolded from a name's first non-ASCII byte on.
func appendFoldedRunes(dst []byte, s string) []byte {
	for _, r := range s {
		dst = utf8.AppendRune(dst, foldRune(r))
	}
	return dst
}

// foldRune returns the least rune of r's simple case-folding orbit.
func foldRune(r rune) rune {
	for {
		next := unicode.SimpleFold(r)
		if next <= r {
			return next
		}
		r = next
	}
}

// value validates one value of any kind.
func (s *scanner) value(depth int) error {
	switch c := s.peek(); {
	case c == '{':
		// Nested members are checked and dropped.
		var buf [8]jsonMember
		_, err := s.object(buf[:0], depth)
		return err
	case c == '[':
		return s.array(depth)
	case c == '"':
		_, _, err := s.str()
		return err
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return errJSON
}

func (s *scanner) array(depth int) error {
	if depth >= maxDepth {
		return errJSON
	}
	s.pos++ // '['
	s.ws()
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	for {
		s.ws()
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.ws()
		switch s.next() {
		case ',':
		case ']':
			return nil
		default:
			return errJSON
		}
	}
}

func (s *scanner) literal(lit string) error {
	if !bytes.HasPrefix(s.data[s.pos:], []byte(lit)) {
		return errJSON
	}
	s.pos += len(lit)
	return nil
}

// number validates -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	if s.peek() == '-' {
		s.pos++
	}
	switch c := s.peek(); {
	case c == '0':
		s.pos++
	case '1' <= c && c <= '9':
		s.digits()
	default:
		return errJSON
	}
	if s.peek() == '.' {
		s.pos++
		if s.digits() == 0 {
			return errJSON
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.pos++
		if c := s.peek(); c == '+' || c == '-' {
			s.pos++
		}
		if s.digits() == 0 {
			return errJSON
		}
	}
	return nil
}

func (s *scanner) digits() int {
	n := 0
	for '0' <= s.peek() && s.peek() <= '9' {
		s.pos++
		n++
	}
	return n
}

// str reads a string starting at '"' and returns what is between the
// quotes, and whether it holds an escape. The input is valid UTF-8
// (checked by parseObject); control characters must be escaped, escapes
// must be the RFC 8259 ones, and \u escapes must not leave a surrogate
// unpaired.
func (s *scanner) str() ([]byte, bool, error) {
	if s.next() != '"' {
		return nil, false, errJSON
	}
	start := s.pos
	escaped := false
	for {
		c := s.next()
		switch {
		case c == '"':
			return s.data[start : s.pos-1], escaped, nil
		case c < 0x20: // control character, or 0 at the end of the input
			return nil, false, errJSON
		case c == '\\':
			escaped = true
			switch s.next() {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if !s.unicodeEscape() {
					return nil, false, errJSON
				}
			default:
				return nil, false, errJSON
			}
		}
	}
}

// unicodeEscape reads the XXXX of \uXXXX (and the low half of a surrogate
// pair) and reports whether it denotes a Unicode scalar value.
func (s *scanner) unicodeEscape() bool {
	r, ok := s.hex4()
	if !ok {
		return false
	}
	if !utf16.IsSurrogate(r) {
		return true
	}
	if r >= 0xDC00 || s.next() != '\\' || s.next() != 'u' {
		return false
	}
	r2, ok := s.hex4()
	return ok && utf16.DecodeRune(r, r2) != utf8.RuneError
}

func (s *scanner) hex4() (rune, bool) {
	if s.pos+4 > len(s.data) {
		return 0, false
	}
	var r rune
	for _, c := range s.data[s.pos : s.pos+4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	s.pos += 4
	return r, true
}

// validValue reports whether raw is exactly one strict JSON value (with
// optional surrounding whitespace).
func validValue(raw []byte) bool {
	if !utf8.Valid(raw) {
		return false
	}
	s := scanner{data: raw}
	s.ws()
	if s.value(0) != nil {
		return false
	}
	s.ws()
	return s.pos == len(raw)
}
