package token

import (
	"bytes"
	"encoding/base64"
)

// segmentEncoding decodes JWS segments: base64url without padding, and
// with zero trailing bits, so that every byte string has exactly one
// encoding (RFC 7515 §2). It refuses '=' and characters outside the URL
// alphabet, but skips line breaks, which decodeSegment refuses first.
var segmentEncoding = base64.RawURLEncoding.Strict()

// decodeSegment decodes one JWS segment, which must be canonical unpadded
// base64url: only the 64 characters of the URL alphabet, no padding, no
// line breaks, zero trailing bits.
func decodeSegment(s string) ([]byte, bool) {
	dst := make([]byte, segmentEncoding.DecodedLen(len(s)))
	return appendSegment(dst[:0], []byte(s))
}

// appendSegment appends the decoded segment seg to dst.
func appendSegment(dst, seg []byte) ([]byte, bool) {
	if bytes.IndexByte(seg, '\n') >= 0 || bytes.IndexByte(seg, '\r') >= 0 {
		return nil, false
	}
	n := len(dst)
	out, err := segmentEncoding.AppendDecode(dst, seg)
	return out[n:], err == nil
}
