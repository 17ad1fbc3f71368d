package token

import "strings"

// header is a verified token's JOSE header.
type header struct{ alg, kid string }

// parseHeader reads a decoded JOSE header strictly: a strict JSON object
// whose members are only alg, kid and typ, each a string; alg and kid
// present; typ present and "at+jwt" or "application/at+jwt" in any case
// (RFC 9068 §2.1). Every other member, crit, b64, jwk, jku, x5u, x5c,
// zip and enc included, is ErrHeader: no key, URL or processing rule is
// ever taken from a token.
func parseHeader(data []byte) (header, error) {
	var buf [4]jsonMember
	ms, err := parseObject(data, buf[:0])
	if err != nil {
		return header{}, wrap(ErrMalformed, "header is not a strict JSON object")
	}
	var h header
	var typ string
	var hasTyp bool
	for i := range ms {
		m := &ms[i]
		var dst *string
		switch {
		case m.is("alg"):
			dst = &h.alg
		case m.is("kid"):
			dst = &h.kid
		case m.is("typ"):
			dst, hasTyp = &typ, true
		default:
			return header{}, wrap(ErrHeader, "header has a member other than alg, kid and typ")
		}
		s, ok := jsonString(m.value)
		if !ok {
			return header{}, wrap(ErrHeader, "header member is not a string")
		}
		*dst = s
	}
	switch {
	case !hasTyp || !(strings.EqualFold(typ, "at+jwt") || strings.EqualFold(typ, "application/at+jwt")):
		return header{}, wrap(ErrType, `typ is not "at+jwt"`)
	case h.alg == "":
		return header{}, wrap(ErrHeader, "alg is missing")
	case h.kid == "":
		return header{}, wrap(ErrHeader, "kid is missing")
	}
	return h, nil
}
