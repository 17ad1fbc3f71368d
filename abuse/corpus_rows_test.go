package abuse_test

import (
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
)

// attack is one row of the corpus: an Authorization header sent to the
// Bearer-authenticated endpoints, and the same token sent to /introspect.
type attack struct {
	group, name string
	auth        string // the Authorization header value
	token       string // the token for /introspect; "" to leave it out
}

func bearerRow(group, name, tok string) attack {
	return attack{group: group, name: name, auth: "Bearer " + tok, token: tok}
}

// corpusEnv are the tokens and keys the rows are built from.
type corpusEnv struct {
	f          *forge
	pub        ourPublicKey
	att        *attacker
	access     string // the victim session's access token, live
	refresh    string // the victim session's refresh token, live
	jtiRevoked string // an access token revoked with /revoke
	sidRevoked string // an access token of a session ended with /logout
	otherUser  string // the id of another user
}

// refusedRows is the corpus of tokens that every endpoint must refuse:
// 401 invalid_token on the Bearer endpoints, {"active":false} on
// /introspect, and no change of state.
func refusedRows(t *testing.T, e *corpusEnv) []attack {
	f, att := e.f, e.att
	now := f.now.Unix()
	var rows []attack
	add := func(group, name, tok string) { rows = append(rows, bearerRow(group, name, tok)) }

	// alg "none" in any capitalisation, with and without our kid and a
	// signature.
	for _, none := range []string{"none", "None", "NONE", "nOnE"} {
		add("alg none", none+" with an empty signature", compact(f.header().set("alg", q(none)).json(), f.claims().json(), unsigned))
		add("alg none", none+" without kid", compact(f.header().set("alg", q(none)).without("kid").json(), f.claims().json(), unsigned))
		add("alg none", none+" with our real signature", f.token(f.header().set("alg", q(none)), f.claims()))
	}
	add("alg none", "none without typ or kid", compact(`{"alg":"none"}`, f.claims().json(), unsigned))

	// Other alg values under our kid, the token signed by our key.
	for _, alg := range []string{"es256", "ES384", "ES512", "ES256K", "PS256", "RS256", "EdDSA", "Ed25519", "HS256", "HS512", "dir", "RSA-OAEP", ""} {
		add("alg", "alg "+q(alg)+" with our key's signature", f.headerWith("alg", q(alg)))
	}
	add("alg", "alg missing", f.token(f.header().without("alg"), f.claims()))
	for _, v := range []string{"null", "256", "true", `["ES256"]`, `{"alg":"ES256"}`} {
		add("alg", "alg "+v, f.headerWith("alg", v))
	}

	// HMAC signed with what an attacker knows: our public key in every
	// form, or a common secret.
	hmacSecrets := []struct{ name, secret string }{
		{"our public key as PEM", string(e.pub.pem)},
		{"our public key as PEM without the final newline", strings.TrimSuffix(string(e.pub.pem), "\n")},
		{"our public key as DER", string(e.pub.der)},
		{"our public key as base64 DER", base64.StdEncoding.EncodeToString(e.pub.der)},
		{"our public key as JWK JSON", e.pub.jwk},
		{"our whole JWKS document", e.pub.jwks},
		{"an empty secret", ""},
		{`"secret"`, "secret"},
		{`"gatehouse"`, "gatehouse"},
		{`"changeme"`, "changeme"},
		{"the issuer URL", issuer},
		{"our kid", f.kid},
	}
	for _, s := range hmacSecrets {
		add("hmac", "HS256 under our kid, keyed with "+s.name,
			compact(f.header().set("alg", `"HS256"`).json(), f.claims().json(), hs256([]byte(s.secret))))
		add("hmac", "HS256 without kid, keyed with "+s.name,
			compact(f.header().set("alg", `"HS256"`).without("kid").json(), f.claims().json(), hs256([]byte(s.secret))))
	}
	add("hmac", "HS512 under our kid, keyed with our public key as PEM",
		compact(f.header().set("alg", `"HS512"`).json(), f.claims().json(), hs256(e.pub.pem)))

	// The algorithm swapped between header and signature.
	add("alg swap", "ES256 header on an EdDSA signature", compact(f.header().json(), f.claims().json(), eddsa(att.ed)))
	add("alg swap", "ES256 header on an RS256 signature", compact(f.header().json(), f.claims().json(), rs256(att.rsa)))
	add("alg swap", "EdDSA header on an EdDSA signature under our kid", compact(f.header().set("alg", `"EdDSA"`).json(), f.claims().json(), eddsa(att.ed)))
	add("alg swap", "RS256 header on an RS256 signature under our kid", compact(f.header().set("alg", `"RS256"`).json(), f.claims().json(), rs256(att.rsa)))
	add("alg swap", "RS256 header signed with our EC key", compact(f.header().set("alg", `"RS256"`).json(), f.claims().json(), es256(f.key)))
	add("alg swap", "EdDSA header signed with our EC key", compact(f.header().set("alg", `"EdDSA"`).json(), f.claims().json(), es256(f.key)))
	add("alg swap", "ES256 signature in ASN.1 DER form", compact(f.header().json(), f.claims().json(), es256DER(f.key)))
	good := f.good()
	sig := signatureOf(t, good)
	add("alg swap", "ES256 signature with a leading zero byte", withSignature(good, append([]byte{0}, sig...)))
	add("alg swap", "ES256 signature cut to 63 bytes", withSignature(good, sig[:63]))
	add("alg swap", "signature of another token", withSignature(f.good(), signatureOf(t, f.good())))
	add("alg swap", "signature stripped", withSignature(good, nil))

	// Keys that are not the one the kid names.
	add("key", "another key under our kid", compact(f.header().json(), f.claims().json(), es256(att.ec)))
	add("key", "our active key under our next key's kid", f.headerWith("kid", q(f.nextKid)))
	add("key", "a foreign key under its own kid", compact(f.header().set("kid", `"attacker"`).json(), f.claims().json(), es256(att.ec)))
	add("key", "our kid in upper case", f.headerWith("kid", q(strings.ToUpper(f.kid))))
	add("key", "our kid with a trailing space", f.headerWith("kid", q(f.kid+" ")))
	add("key", "our kid with a NUL", f.headerWith("kid", `"`+f.kid+`\u0000"`))
	add("key", "kid empty", f.headerWith("kid", `""`))
	add("key", "kid missing", f.token(f.header().without("kid"), f.claims()))

	// Keys and key locations embedded in the header.
	attHeader := f.header().set("kid", `"attacker"`)
	add("embedded key", "jwk of the signing key", compact(attHeader.set("jwk", att.jwk).json(), f.claims().json(), es256(att.ec)))
	add("embedded key", "jwk of the signing key under our kid", compact(f.header().set("jwk", att.jwk).json(), f.claims().json(), es256(att.ec)))
	add("embedded key", "jku to the attacker's JWKS", compact(attHeader.set("jku", q(att.origin+"/jwks.json")).json(), f.claims().json(), es256(att.ec)))
	add("embedded key", "jku to the attacker's JWKS under our kid", compact(f.header().set("jku", q(att.origin+"/jwks.json")).json(), f.claims().json(), es256(att.ec)))
	add("embedded key", "x5u to the attacker's certificate", compact(f.header().set("x5u", q(att.origin+"/cert.pem")).json(), f.claims().json(), es256(att.ec)))
	add("embedded key", "x5c with the attacker's certificate", compact(f.header().set("x5c", `[`+q(base64.StdEncoding.EncodeToString(att.certDER))+`]`).json(), f.claims().json(), es256(att.ec)))
	add("embedded key", "x5c with the attacker's certificate, no kid", compact(f.header().without("kid").set("x5c", `[`+q(base64.StdEncoding.EncodeToString(att.certDER))+`]`).json(), f.claims().json(), es256(att.ec)))
	add("embedded key", "jku to our own JWKS on a token of our key", f.headerWith("jku", q(issuer+"/.well-known/jwks.json")))

	// kid values that would hurt a server that used them as a path, in
	// SQL or in a shell, or that are too big or not strings. Signed by our
	// key, so the kid is the only fault.
	for _, kid := range []string{
		"../../../../../../etc/passwd", "/dev/null", `..\..\..\windows\win.ini`, "file:///etc/passwd",
		"' OR '1'='1", "x'; DROP TABLE signing_keys; --", `" OR 1=1 --`, f.kid + "' --",
		"$(id)", "`id`", "; rm -rf / #", "| cat /etc/passwd", "%00", "*", "%",
		strings.Repeat("k", 5<<10),
		strings.Repeat("k", 10<<10),
	} {
		name := kid
		if len(name) > 40 {
			name = "a " + map[bool]string{true: "10 KB", false: "5 KB"}[len(kid) > 6<<10] + " string"
		}
		add("kid", "kid "+name, f.headerWith("kid", q(kid)))
	}
	for _, v := range []string{"1", "0", "null", "true", "{}", "[]", `[` + q(f.kid) + `]`, `{"kid":` + q(f.kid) + `}`} {
		add("kid", "kid "+v, f.headerWith("kid", v))
	}

	// Header members that change how a token is processed.
	add("header", "crit naming exp", f.headerWith("crit", `["exp"]`))
	add("header", "crit empty", f.headerWith("crit", `[]`))
	add("header", "crit as a string", f.headerWith("crit", `"exp"`))
	add("header", "crit naming an extension present", f.token(f.header().set("crit", `["x-ext"]`).set("x-ext", `1`), f.claims()))
	b64false := f.header().set("b64", "false").set("crit", `["b64"]`)
	hb := b64(b64false.json())
	rawPayload := f.claims().json()
	add("header", "b64:false with the payload signed unencoded", hb+"."+b64(rawPayload)+"."+base64.RawURLEncoding.EncodeToString(es256(f.key)([]byte(hb+"."+rawPayload))))
	add("header", "b64:false with a detached payload", hb+".."+base64.RawURLEncoding.EncodeToString(es256(f.key)([]byte(hb+"."+rawPayload))))
	add("header", "b64:true without crit", f.headerWith("b64", "true"))
	add("header", "zip DEF", f.headerWith("zip", `"DEF"`))
	add("header", "enc A256GCM", f.headerWith("enc", `"A256GCM"`))
	add("header", "cty JWT (a nested token)", f.headerWith("cty", `"JWT"`))
	add("header", "an unknown member", f.headerWith("x-unknown", `1`))
	add("header", "x5t#S256", f.headerWith("x5t#S256", q(b64("thumbprint"))))
	add("header", "alg twice, none last", f.token(f.header().plus("alg", `"none"`), f.claims()))
	add("header", "alg twice, none first", f.token(object{{"alg", `"none"`}}.plus("alg", `"ES256"`).plus("typ", `"at+jwt"`).plus("kid", q(f.kid)), f.claims()))
	add("header", "kid twice", f.token(f.header().plus("kid", q(f.nextKid)), f.claims()))
	add("header", "alg repeated through an escape", f.token(f.header().plus(`\u0061lg`, `"ES256"`), f.claims()))
	add("header", "typ twice", f.token(f.header().plus("typ", `"JWT"`), f.claims()))

	// Other JOSE serialisations.
	hdr, pay, sg := segment(good, 0), segment(good, 1), segment(good, 2)
	jweHeader := b64(object{{"alg", `"RSA-OAEP"`}, {"enc", `"A256GCM"`}, {"kid", q(f.kid)}}.json())
	add("serialisation", "JWE compact (5 segments)", jweHeader+"."+b64("encrypted key")+"."+b64("iv")+"."+b64("ciphertext")+"."+b64("tag"))
	add("serialisation", "JWE with alg dir and an empty key", b64(`{"alg":"dir","enc":"A256GCM"}`)+".."+b64("iv")+"."+pay+"."+b64("tag"))
	add("serialisation", "JWS JSON general serialisation of a valid token",
		`{"payload":"`+pay+`","signatures":[{"protected":"`+hdr+`","signature":"`+sg+`"}]}`)
	add("serialisation", "JWS JSON flattened serialisation of a valid token",
		`{"payload":"`+pay+`","protected":"`+hdr+`","signature":"`+sg+`"}`)
	add("serialisation", "JWS JSON general serialisation in base64url", b64(`{"payload":"`+pay+`","signatures":[{"protected":"`+hdr+`","signature":"`+sg+`"}]}`))

	// Framing: segments, whitespace, padding, base64.
	add("framing", "1 segment", hdr)
	add("framing", "1 segment of junk", "abc")
	add("framing", "2 segments", hdr+"."+pay)
	add("framing", "4 segments", good+".x")
	add("framing", "4 segments, the last empty", good+".")
	add("framing", "6 segments", good+".a.b.c")
	add("framing", "a leading dot", "."+good)
	add("framing", "only dots", "..")
	// Whitespace inside: signed as sent, so only the framing is at fault.
	add("framing", "a space inside the payload", compact2(f, hdr, pay[:10]+" "+pay[10:]))
	add("framing", "a tab inside the payload", compact2(f, hdr, pay[:10]+"\t"+pay[10:]))
	add("framing", "a space after a dot", compact2(f, hdr, " "+pay))
	add("framing", "a space inside the signature", replaceSegment(good, 2, sg[:20]+" "+sg[20:]))
	add("framing", "the token in quotes", `"`+good+`"`)
	add("framing", "Bearer twice", "Bearer "+good)
	add("framing", "a trailing comma and another token", good+", "+good)
	{
		// A valid token whose segments have unused bits and room for
		// padding (acceptedRows holds it untouched). Where a segment is
		// changed, the signature is of the changed bytes, so only the
		// encoding is at fault.
		tok := spacedToken(f)
		hs, ps, ss := segment(tok, 0), segment(tok, 1), segment(tok, 2)
		padded := func(s string) string { return s + strings.Repeat("=", (4-len(s)%4)%4) }
		add("framing", "padding on the header", compact2(f, padded(hs), ps))
		add("framing", "padding on the payload", compact2(f, hs, padded(ps)))
		add("framing", "padding on the signature", hs+"."+ps+"."+padded(ss))
		all := compact2(f, padded(hs), padded(ps))
		add("framing", "padding on every segment", replaceSegment(all, 2, padded(segment(all, 2))))
		add("framing", "non-canonical base64: trailing bits of the header", compact2(f, nonCanonical(t, hs), ps))
		add("framing", "non-canonical base64: trailing bits of the payload", compact2(f, hs, nonCanonical(t, ps)))
		add("framing", "non-canonical base64: trailing bits of the signature", hs+"."+ps+"."+nonCanonical(t, ss))
	}
	add("framing", "standard base64 alphabet in the signature", stdAlphabetSignature(t, f))
	add("framing", "an escaped line break inside the payload", compact2(f, hdr, pay[:10]+`\n`+pay[10:]))

	// Size. The contract caps a Bearer token at 8 KiB, checked before any
	// decoding: a megabyte of dots fits in net/http's header limit (1 MiB
	// plus slack), so it reaches that cap and is 401 invalid_token; two
	// megabytes are refused by net/http itself with 431 (TestAttackCorpus).
	add("size", "8 KiB + 1 of base64", strings.Repeat("a", 8<<10+1))
	add("size", "a valid token grown past 8 KiB by a custom claim", f.claimsWith("pad", q(strings.Repeat("p", 8<<10))))
	add("size", "a megabyte of dots", strings.Repeat(".", 1<<20))
	add("size", "10k [ in a claim (over the size cap)", f.claimsWith("deep", strings.Repeat("[", 10000)+strings.Repeat("]", 10000)))

	// Invalid UTF-8 and JSON that is not one strict object.
	add("json", "invalid UTF-8 in the header", f.headerWith("kid", `"`+f.kid+"\xff"+`"`))
	add("json", "invalid UTF-8 in typ", f.headerWith("typ", "\"at+jwt\xc3\x28\""))
	add("json", "invalid UTF-8 in a custom claim", f.claimsWith("name", "\"\xff\xfe\""))
	add("json", "invalid UTF-8 in sub", f.claimsWith("sub", `"`+f.sub+"\xc3\x28"+`"`))
	add("json", "an overlong UTF-8 encoding in a claim", f.claimsWith("name", "\"\xc0\xaf\""))
	add("json", "a lone surrogate escape in a claim", f.claimsWith("name", `"\ud800"`))
	add("json", "a UTF-8 BOM before the header", compact("\ufeff"+f.header().json(), f.claims().json(), es256(f.key)))
	add("json", "a UTF-8 BOM before the claims", compact(f.header().json(), "\ufeff"+f.claims().json(), es256(f.key)))
	for _, v := range []string{"[]", `["ES256"]`, `"ES256"`, "1", "null", "true", ""} {
		add("json", "header "+strings.TrimSpace(v+" (not an object)"), compact(v, f.claims().json(), es256(f.key)))
		add("json", "claims "+strings.TrimSpace(v+" (not an object)"), compact(f.header().json(), v, es256(f.key)))
	}
	add("json", "claims as an array of the claims", compact(f.header().json(), "["+f.claims().json()+"]", es256(f.key)))
	add("json", "data after the header object", compact(f.header().json()+"x", f.claims().json(), es256(f.key)))
	add("json", "a second header object", compact(f.header().json()+"{}", f.claims().json(), es256(f.key)))
	add("json", "data after the claims object", compact(f.header().json(), f.claims().json()+"{}", es256(f.key)))
	add("json", "a trailing comma in the claims", compact(f.header().json(), strings.TrimSuffix(f.claims().json(), "}")+",}", es256(f.key)))
	add("json", "2,500 [ in a claim", f.claimsWith("deep", strings.Repeat("[", 2500)+strings.Repeat("]", 2500)))
	add("json", "1,200 nested objects in a claim", f.claimsWith("deep", strings.Repeat(`{"a":`, 1200)+"1"+strings.Repeat("}", 1200)))
	add("json", "2,500 [ in the header", f.headerWith("x", strings.Repeat("[", 2500)+strings.Repeat("]", 2500)))
	add("json", "a comment in the claims", compact(f.header().json(), "/* */"+f.claims().json(), es256(f.key)))
	add("json", "single quotes in the claims", compact(f.header().json(), strings.ReplaceAll(f.claims().json(), `"`, `'`), es256(f.key)))

	// Duplicate and case-colliding claims.
	add("claims", "exp twice, the past last", f.token(f.header(), f.claims().plus("exp", num(now-3600))))
	add("claims", "exp twice, the past first", f.token(f.header(), f.claims().set("exp", num(now-3600)).plus("exp", num(now+600))))
	add("claims", "sub twice, another user last", f.token(f.header(), f.claims().plus("sub", q(e.otherUser))))
	add("claims", "scope twice, admin last", f.token(f.header(), f.claims().plus("scope", q("gatehouse:admin"))))
	add("claims", "sub repeated through an escape", f.token(f.header(), f.claims().plus(`s\u0075b`, q(e.otherUser))))
	add("claims", "exp past and Exp in the future", f.token(f.header(), f.claims().set("exp", num(now-3600)).plus("Exp", num(now+3600))))
	add("claims", "Exp instead of exp", f.token(f.header(), f.claims().without("exp").plus("Exp", num(now+600))))
	add("claims", "EXP instead of exp", f.token(f.header(), f.claims().without("exp").plus("EXP", num(now+600))))
	add("claims", "SUB instead of sub", f.token(f.header(), f.claims().without("sub").plus("SUB", q(f.sub))))
	add("claims", "Sub instead of sub", f.token(f.header(), f.claims().without("sub").plus("Sub", q(f.sub))))
	add("claims", "Iss instead of iss", f.token(f.header(), f.claims().without("iss").plus("Iss", q(issuer))))
	add("claims", "AUD instead of aud", f.token(f.header(), f.claims().without("aud").plus("AUD", q(issuer))))
	add("claims", "sub missing", f.claimsWithout("sub"))
	add("claims", "sub empty", f.claimsWith("sub", `""`))
	add("claims", "sub a number", f.claimsWith("sub", "1"))
	add("claims", "sub null", f.claimsWith("sub", "null"))
	add("claims", "jti missing", f.claimsWithout("jti"))
	add("claims", "jti a number", f.claimsWith("jti", "1"))
	add("claims", "client_id missing", f.claimsWithout("client_id"))
	add("claims", "client_id null", f.claimsWith("client_id", "null"))
	add("claims", "sid an object", f.claimsWith("sid", `{}`))
	add("claims", "auth_time a string", f.claimsWith("auth_time", q(num(now))))

	// Every wrong form of exp, nbf and iat.
	for _, c := range []struct{ name, claim, value string }{
		{"a numeric string", "exp", q(num(now + 600))},
		{"a date string", "exp", q("2099-01-01T00:00:00Z")},
		{"null", "exp", "null"},
		{"true", "exp", "true"},
		{"an object", "exp", "{}"},
		{"an array", "exp", "[" + num(now+600) + "]"},
		{"a float in the past", "exp", num(now-3600) + ".5"},
		{"in the past", "exp", num(now - 3600)},
		{"just past the leeway", "exp", num(now - 31)},
		{"zero", "exp", "0"},
		{"negative", "exp", "-1"},
		{"negative, in the future when its sign is dropped", "exp", "-" + num(now+600)},
		{"past year 9999", "exp", "253402300800"},
		{"1e400", "exp", "1e400"},
		{"20 digits", "exp", "99999999999999999999"},
		{"hexadecimal", "exp", "0x7fffffff"},
		{"a leading plus", "exp", "+" + num(now+600)},
		{"a leading zero", "exp", "0" + num(now+600)},
		{"NaN", "exp", "NaN"},
		{"a numeric string", "iat", q(num(now))},
		{"null", "iat", "null"},
		{"false", "iat", "false"},
		{"a year in the future", "iat", num(now + 365*24*3600)},
		{"just past the leeway in the future", "iat", num(now + 31)},
		{"negative", "iat", "-1"},
		{"a numeric string", "nbf", q(num(now - 60))},
		{"null", "nbf", "null"},
		{"true", "nbf", "true"},
		{"a year in the future", "nbf", num(now + 365*24*3600)},
		{"just past the leeway in the future", "nbf", num(now + 31)},
		{"a float in the future", "nbf", num(now+3600) + ".25"},
	} {
		add("time", c.claim+" "+c.name, f.claimsWith(c.claim, c.value))
	}
	add("time", "exp missing", f.claimsWithout("exp"))
	add("time", "iat missing", f.claimsWithout("iat"))

	// Every wrong iss, aud and typ.
	for _, c := range []struct{ name, value string }{
		{"another issuer", q("https://evil.example")},
		{"a prefix of ours", q(issuer[:len(issuer)-1])},
		{"ours with a suffix", q(issuer + "x")},
		{"ours as a subdomain prefix", q(issuer + ".evil.example")},
		{"ours in upper case", q(strings.ToUpper(issuer))},
		{"ours with a trailing slash", q(issuer + "/")},
		{"ours over http", q(strings.Replace(issuer, "https:", "http:", 1))},
		{"ours with a leading space", q(" " + issuer)},
		{"empty", `""`},
		{"null", "null"},
		{"a number", "1"},
		{"an array holding ours", "[" + q(issuer) + "]"},
	} {
		add("iss", "iss "+c.name, f.claimsWith("iss", c.value))
	}
	add("iss", "iss missing", f.claimsWithout("iss"))
	for _, c := range []struct{ name, value string }{
		{"another audience", q("https://orders.example")},
		{"an array without ours", `["https://orders.example","gatehouse"]`},
		{"an empty array", "[]"},
		{"an empty string", `""`},
		{"null", "null"},
		{"a number", "1"},
		{"an array of a number", "[1]"},
		{"an array holding an array of ours", "[[" + q(issuer) + "]]"},
		{"an object", `{"aud":` + q(issuer) + `}`},
		{"ours with a trailing slash", q(issuer + "/")},
		{"ours in upper case", q(strings.ToUpper(issuer))},
		{"an array of ours and a number", "[" + q(issuer) + ",1]"},
	} {
		add("aud", "aud "+c.name, f.claimsWith("aud", c.value))
	}
	add("aud", "aud missing", f.claimsWithout("aud"))
	for _, c := range []struct{ name, value string }{
		{"JWT", `"JWT"`},
		{"jwt", `"jwt"`},
		{"application/jwt", `"application/jwt"`},
		{"at+jwt with a leading space", `" at+jwt"`},
		{"at+jwt with a trailing space", `"at+jwt "`},
		{"at+jwt with parameters", `"application/at+jwt; charset=utf-8"`},
		{"at+jws", `"at+jws"`},
		{"id+jwt", `"id+jwt"`},
		{"dpop+jwt", `"dpop+jwt"`},
		{"secevent+jwt", `"secevent+jwt"`},
		{"JOSE", `"JOSE"`},
		{"JOSE+JSON", `"JOSE+JSON"`},
		{"empty", `""`},
		{"null", "null"},
		{"a number", "1"},
		{"an array holding at+jwt", `["at+jwt"]`},
	} {
		add("typ", "typ "+c.name, f.headerWith("typ", c.value))
	}
	add("typ", "typ missing", f.token(f.header().without("typ"), f.claims()))

	// Signatures of revoked tokens, re-encoded. Revocation is keyed by jti
	// and sid, so the same claims under another encoding stay revoked.
	add("revoked", "a token revoked with /revoke", e.jtiRevoked)
	add("revoked", "a token revoked with /revoke, malleated to high s", highS(t, e.jtiRevoked))
	add("revoked", "a token revoked with /revoke, r = s = 0", withSignature(e.jtiRevoked, make([]byte, 64)))
	add("revoked", "a token of a logged-out session", e.sidRevoked)
	add("revoked", "a token of a logged-out session, malleated to high s", highS(t, e.sidRevoked))
	add("revoked", "a token of a logged-out session, r = s = 0", withSignature(e.sidRevoked, make([]byte, 64)))
	add("revoked", "a live token, r = s = 0", withSignature(e.access, make([]byte, 64)))
	add("revoked", "a live token, r = s = n", withSignature(e.access, scalars(p256N, p256N)))
	liveSig := signatureOf(t, e.access)
	add("revoked", "a live token, s = 0", withSignature(e.access, append(append([]byte(nil), liveSig[:32]...), make([]byte, 32)...)))
	add("revoked", "a live token, r = 1, s = 1", withSignature(e.access, scalars(big.NewInt(1), big.NewInt(1))))
	add("revoked", "a live token, s + n (33 bytes)", withSignature(e.access, append(append([]byte(nil), liveSig[:32]...),
		new(big.Int).Add(new(big.Int).SetBytes(liveSig[32:]), p256N).Bytes()...)))

	// Tokens that are not access tokens of this server.
	add("foreign", "our refresh token", e.refresh)
	add("foreign", "our refresh token with its prefix only", e.refresh[:4])
	add("foreign", "a valid token of another issuer under its own key", compact(
		f.header().set("kid", `"attacker"`).json(), f.claims().set("iss", q("https://other.example")).set("aud", q("https://other.example")).json(), es256(att.ec)))
	add("foreign", "another issuer's token under our kid", compact(
		f.header().json(), f.claims().set("iss", q("https://other.example")).json(), es256(att.ec)))
	add("foreign", "an ID token (typ JWT, aud the client) of our key", f.token(
		f.header().set("typ", `"JWT"`), f.claims().set("aud", q("gatehouse")).set("nonce", `"n"`)))
	add("foreign", "an ID-token-like JWT with our audience and typ JWT", f.headerWith("typ", `"JWT"`))
	add("foreign", "an opaque string", "2YotnFZFEjr1zCsicMWpAA")

	// Scope tricks that break the scope grammar: not a string, or not
	// RFC 6749 scope tokens. Each must be invalid_token everywhere, the
	// admin API included.
	for _, c := range []struct{ name, value string }{
		{"an array", `["gatehouse:admin"]`},
		{"an array of two", `["orders:read","gatehouse:admin"]`},
		{"an object", `{"gatehouse:admin":true}`},
		{"a number", "1"},
		{"true", "true"},
		{"null", "null"},
		{"doubled spaces", q("orders:read  gatehouse:admin")},
		{"a leading space", q(" gatehouse:admin")},
		{"a trailing space", q("gatehouse:admin ")},
		{"a tab separator", q("orders:read\tgatehouse:admin")},
		{"a newline separator", q("orders:read\ngatehouse:admin")},
		{"a no-break space separator", q("orders:read\u00a0gatehouse:admin")},
		{"a Cyrillic а", q("gatehouse:аdmin")},
		{"a Ukrainian і", q("gatehouse:admіn")},
		{"a dotless ı", q("gatehouse:admın")},
		{"a Greek ο", q("gatehοuse:admin")},
		{"a full-width colon", q("gatehouse：admin")},
		{"full-width letters", q("ｇａｔｅｈｏｕｓｅ:ａｄｍｉｎ")},
		{"a zero-width space", q("gatehouse:\u200badmin")},
		{"a zero-width joiner at the end", q("gatehouse:admin\u200d")},
		{"a combining mark", q("gatehouse:admin\u0301")},
		{"a NUL", `"gatehouse:admin\u0000"`},
		{"a double quote", `"gatehouse:admin\""`},
		{"a backslash", `"gatehouse:admin\\"`},
	} {
		add("scope", "scope "+c.name, f.claimsWith("scope", c.value))
	}
	return rows
}

// compact2 signs already encoded header and payload segments.
func compact2(f *forge, h, p string) string {
	in := h + "." + p
	return in + "." + base64.RawURLEncoding.EncodeToString(es256(f.key)([]byte(in)))
}

// stdAlphabetSignature is a valid token whose signature is written in the
// standard base64 alphabet (+ and /) rather than the URL one.
func stdAlphabetSignature(t *testing.T, f *forge) string {
	for range 100 {
		tok := f.good()
		sig := signatureOf(t, tok)
		std := base64.RawStdEncoding.EncodeToString(sig)
		if std != base64.RawURLEncoding.EncodeToString(sig) {
			return replaceSegment(tok, 2, std)
		}
	}
	t.Fatal("no signature with + or / in 100 tries")
	return ""
}

// spacedToken is a valid token whose header and claims end in JSON
// whitespace, so that their base64url segments have a length with unused
// trailing bits and room for '=' padding.
func spacedToken(f *forge) string {
	h := f.header().json()
	for len(h)%3 == 0 {
		h += " "
	}
	c := f.claims().json()
	for len(c)%3 == 0 {
		c += " "
	}
	return compact(h, c, es256(f.key))
}
