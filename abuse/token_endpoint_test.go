package abuse_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// endpointCase is one hostile request to a token endpoint and the answer
// it must get: an exact status and RFC 6749 error code, and no change of
// state (none of these requests gets as far as checking a password).
type endpointCase struct {
	name        string
	method      string // default POST
	target      string // default /token
	contentType string // "" sends no Content-Type
	body        string
	header      http.Header
	chunked     bool // send the body without a Content-Length
	status      int
	code        string // the "error" member; "" for 405
}

func basicAuth(id, secret string) http.Header {
	return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))}}
}

// sized is a form body of exactly n bytes with the given prefix.
func sized(prefix string, n int) string {
	return prefix + "&pad=" + strings.Repeat("a", n-len(prefix)-len("&pad="))
}

func TestTokenEndpointAbuse(t *testing.T) {
	s := newServer(t, cheapHashing)
	alice := s.addUser("alice", alicePW, "orders:read", "orders:write")
	s.addUser("bob", "bob's password is long", "orders:read")
	s.addClient(rsID, rsSecret)
	tk := s.login(t, "alice", alicePW)

	pw := url.QueryEscape(alicePW)
	login := "grant_type=password&username=alice&password=" + pw
	jsonLogin := func(grant, user, pass string) string {
		return `{"grant_type":` + grant + `,"username":` + user + `,"password":` + pass + `}`
	}
	jpw := q(alicePW)
	const maxBody = 64 << 10

	var cases []endpointCase
	bad := func(name, contentType, body string) endpointCase {
		return endpointCase{name: name, contentType: contentType, body: body, status: 400, code: "invalid_request"}
	}

	// Wrong methods: 405 with Allow: POST.
	for _, path := range []string{"/token", "/revoke", "/introspect"} {
		for _, m := range []string{"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"} {
			c := endpointCase{name: m + " " + path, method: m, target: path, status: 405}
			if m == "PUT" || m == "PATCH" {
				c.contentType, c.body = formType, login
			}
			cases = append(cases, c)
		}
	}

	// Unknown and confused grant types, each with alice's right password.
	for _, g := range []string{
		"authorization_code", "Client_Credentials", "client_credentials ", "password ", " password", "PASSWORD", "Password",
		"password\x00", "refresh_token ", "Refresh_Token", "implicit", "token", "password,refresh_token",
		"password refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer",
		"urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:token-exchange",
	} {
		cases = append(cases, endpointCase{name: "grant_type " + q(g), contentType: formType,
			body:   "grant_type=" + url.QueryEscape(g) + "&username=alice&password=" + pw + "&code=x&redirect_uri=https%3A%2F%2Fevil.example",
			status: 400, code: "unsupported_grant_type"})
	}
	cases = append(cases,
		bad("grant_type empty", formType, "grant_type=&username=alice&password="+pw),
		bad("grant_type missing", formType, "username=alice&password="+pw),
		bad("grant_type in another case of its name", formType, "Grant_Type=password&username=alice&password="+pw),
		bad("grant_type twice", formType, "grant_type=password&"+login),
		bad("grant_type twice, once empty", formType, "grant_type=&"+login),
		bad("grant_type twice, password and refresh_token", formType, "grant_type=refresh_token&refresh_token="+url.QueryEscape(tk.RefreshToken)+"&"+login),
		bad("grant_type a JSON array", "application/json", jsonLogin(`["password"]`, `"alice"`, jpw)),
		endpointCase{name: "grant_type unknown in JSON", contentType: "application/json", body: jsonLogin(`"implicit"`, `"alice"`, jpw), status: 400, code: "unsupported_grant_type"},
	)

	// Repeated parameters.
	cases = append(cases,
		bad("username twice", formType, login+"&username=alice"),
		bad("username twice, two accounts", formType, login+"&username=bob"),
		bad("password twice", formType, login+"&password=x"),
		bad("password twice, the same", formType, login+"&password="+pw),
		bad("scope twice", formType, login+"&scope=orders:read&scope=orders:write"),
		bad("client_id twice", formType, login+"&client_id=gatehouse&client_id=gatehouse"),
		bad("refresh_token twice", formType, "grant_type=refresh_token&refresh_token="+url.QueryEscape(tk.RefreshToken)+"&refresh_token="+url.QueryEscape(tk.RefreshToken)),
		bad("a parameter twice in JSON", "application/json", `{"grant_type":"password","username":"alice","password":"x","password":`+jpw+`}`),
		bad("a parameter twice in JSON through an escape", "application/json", `{"grant_type":"password","username":"alice","password":"x","pass\u0077ord":`+jpw+`}`),
		endpointCase{name: "client_id in the body and another in Basic", contentType: formType, body: login + "&client_id=gatehouse",
			header: basicAuth(rsID, rsSecret), status: 400, code: "invalid_request"},
		endpointCase{name: "client_secret in the body and in Basic", contentType: formType, body: login + "&client_secret=" + url.QueryEscape(rsSecret),
			header: basicAuth(rsID, rsSecret), status: 400, code: "invalid_request"},
		endpointCase{name: "two Authorization headers", contentType: formType, body: login,
			header: http.Header{"Authorization": {basicAuth(rsID, rsSecret).Get("Authorization"), basicAuth(rsID, rsSecret).Get("Authorization")}}, status: 400, code: "invalid_request"},
		endpointCase{name: "token twice on /revoke", target: "/revoke", contentType: formType,
			body: "token=" + url.QueryEscape(tk.RefreshToken) + "&token=" + url.QueryEscape(tk.RefreshToken), status: 400, code: "invalid_request"},
		endpointCase{name: "token twice on /introspect", target: "/introspect", contentType: formType, header: basicAuth(rsID, rsSecret),
			body: "token=" + url.QueryEscape(tk.AccessToken) + "&token=x", status: 400, code: "invalid_request"},
	)

	// Credentials and tokens in the query string.
	cases = append(cases,
		endpointCase{name: "username and password in the query", target: "/token?username=alice&password=" + pw, contentType: formType, body: "grant_type=password", status: 400, code: "invalid_request"},
		endpointCase{name: "everything in the query, no body", target: "/token?" + login, status: 400, code: "invalid_request"},
		endpointCase{name: "everything in the query and in the body", target: "/token?" + login, contentType: formType, body: login, status: 400, code: "invalid_request"},
		endpointCase{name: "client_secret in the query", target: "/token?client_id=" + rsID + "&client_secret=" + url.QueryEscape(rsSecret), contentType: formType, body: login, status: 400, code: "invalid_request"},
		endpointCase{name: "an unrelated query parameter", target: "/token?x=1", contentType: formType, body: login, status: 400, code: "invalid_request"},
		endpointCase{name: "an empty query", target: "/token?", contentType: formType, body: login, status: 400, code: "invalid_request"},
		endpointCase{name: "refresh token in the query", target: "/token?grant_type=refresh_token&refresh_token=" + url.QueryEscape(tk.RefreshToken), status: 400, code: "invalid_request"},
		endpointCase{name: "token in the query of /revoke", target: "/revoke?token=" + url.QueryEscape(tk.RefreshToken), status: 400, code: "invalid_request"},
		endpointCase{name: "token in the query of /introspect", target: "/introspect?token=" + url.QueryEscape(tk.AccessToken), header: basicAuth(rsID, rsSecret), status: 400, code: "invalid_request"},
		endpointCase{name: "client credentials in the query of /introspect", target: "/introspect?client_id=" + rsID + "&client_secret=" + url.QueryEscape(rsSecret),
			contentType: formType, body: "token=" + url.QueryEscape(tk.AccessToken), status: 400, code: "invalid_request"},
	)

	// Content-type confusion, each with alice's right password.
	multipart := "--XyZ\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\npassword\r\n--XyZ\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n--XyZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n" + alicePW + "\r\n--XyZ--\r\n"
	cases = append(cases,
		bad("text/plain with a form body", "text/plain", login),
		bad("multipart/form-data", "multipart/form-data; boundary=XyZ", multipart),
		bad("application/json with a form body", "application/json", login),
		bad("the form type with a JSON body", formType, jsonLogin(`"password"`, `"alice"`, jpw)),
		bad("no Content-Type with a form body", "", login),
		bad("no Content-Type with a JSON body", "", jsonLogin(`"password"`, `"alice"`, jpw)),
		bad("charset ISO-8859-1", formType+"; charset=ISO-8859-1", login),
		bad("charset UTF-16", formType+"; charset=utf-16", login),
		bad("charset utf8 (not a charset name)", formType+"; charset=utf8", login),
		bad("JSON with charset latin1", "application/json; charset=latin1", jsonLogin(`"password"`, `"alice"`, jpw)),
		bad("a malformed Content-Type", formType+"; charset", login),
		bad("two media types in one Content-Type", formType+", application/json", login),
		bad("application/xml", "application/xml", "<grant_type>password</grant_type>"),
		bad("application/jwt", "application/jwt", login),
		bad("application/x-www-form-urlencoded+json", "application/x-www-form-urlencoded+json", login),
		endpointCase{name: "two Content-Type headers", contentType: formType, header: http.Header{"Content-Type": {"application/json"}}, body: login, status: 400, code: "invalid_request"},
		bad("a raw invalid UTF-8 byte in the form", formType, login+"&username2=\xff"),
		bad("a percent-encoded invalid UTF-8 byte in the form", formType, "grant_type=password&username=alice%FF&password="+pw),
		bad("a semicolon separator in the form", formType, "grant_type=password;username=alice&password="+pw),
		bad("a bad percent escape in the form", formType, login+"&x=%zz"),
		bad("a UTF-8 BOM before JSON", "application/json", "\ufeff"+jsonLogin(`"password"`, `"alice"`, jpw)),
	)

	// JSON that is not an object of strings, or not only one.
	for _, c := range []struct{ name, body string }{
		{"password a number", jsonLogin(`"password"`, `"alice"`, `12345678`)},
		{"password an object", jsonLogin(`"password"`, `"alice"`, `{"value":`+jpw+`}`)},
		{"password an array", jsonLogin(`"password"`, `"alice"`, `[`+jpw+`]`)},
		{"password null", jsonLogin(`"password"`, `"alice"`, `null`)},
		{"password true", jsonLogin(`"password"`, `"alice"`, `true`)},
		{"username an array", jsonLogin(`"password"`, `["alice"]`, jpw)},
		{"username a number", jsonLogin(`"password"`, `1e3`, jpw)},
		{"grant_type true", jsonLogin(`true`, `"alice"`, jpw)},
		{"a second object after the first", jsonLogin(`"password"`, `"alice"`, jpw) + `{}`},
		{"junk after the object", jsonLogin(`"password"`, `"alice"`, jpw) + ` x`},
		{"a comma after the object", jsonLogin(`"password"`, `"alice"`, jpw) + `,`},
		{"a trailing comma in the object", `{"grant_type":"password","username":"alice","password":` + jpw + `,}`},
		{"an unterminated object", `{"grant_type":"password","username":"alice","password":` + jpw},
		{"an array of the object", `[` + jsonLogin(`"password"`, `"alice"`, jpw) + `]`},
		{"a string", `"grant_type=password"`},
		{"a number", `1`},
		{"null", `null`},
		{"an empty object", `{}`},
		{"10k [", strings.Repeat("[", 10000) + strings.Repeat("]", 10000)},
		{"10k nested objects in a value", `{"grant_type":` + strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat(`}`, 10000) + `}`},
		{"a comment", `/* */` + jsonLogin(`"password"`, `"alice"`, jpw)},
		{"single quotes", strings.ReplaceAll(jsonLogin(`"password"`, `"alice"`, jpw), `"`, `'`)},
	} {
		cases = append(cases, bad("JSON "+c.name, "application/json", c.body))
	}

	// Bodies over the 64 KiB cap: 413 before parsing, whatever the body.
	tooBig := func(name, target, contentType, body string, chunked bool) endpointCase {
		return endpointCase{name: name, target: target, contentType: contentType, body: body, chunked: chunked,
			status: http.StatusRequestEntityTooLarge, code: "invalid_request"}
	}
	cases = append(cases,
		tooBig("a form of 64 KiB + 1", "/token", formType, sized(login, maxBody+1), false),
		tooBig("a form of 64 KiB + 1, chunked", "/token", formType, sized(login, maxBody+1), true),
		tooBig("a form of 200 KiB", "/token", formType, sized(login, 200<<10), false),
		tooBig("JSON of 64 KiB + 1", "/token", "application/json", `{"grant_type":"password","pad":"`+strings.Repeat("a", maxBody)+`"}`, false),
		tooBig("64 KiB + 1 of invalid UTF-8 as text/plain", "/token", "text/plain", strings.Repeat("\xff", maxBody+1), false),
		tooBig("64 KiB + 1 without a Content-Type, chunked", "/token", "", strings.Repeat("a", maxBody+1), true),
		tooBig("a form of 64 KiB + 1 on /revoke", "/revoke", formType, sized("token="+url.QueryEscape(tk.RefreshToken), maxBody+1), false),
		tooBig("a form of 64 KiB + 1 on /introspect", "/introspect", formType, sized("token="+url.QueryEscape(tk.AccessToken), maxBody+1), false),
		endpointCase{name: "a form of exactly 64 KiB is read", contentType: formType, body: sized("grant_type=bogus", maxBody), status: 400, code: "unsupported_grant_type"},
		endpointCase{name: "a form of exactly 64 KiB, chunked, is read", contentType: formType, body: sized("grant_type=bogus", maxBody), chunked: true, status: 400, code: "unsupported_grant_type"},
	)

	// Passwords over the 1,024-byte cap: invalid_request before any
	// hashing, so no failed login is recorded, for known and unknown users.
	long := strings.Repeat("p", 1025)
	cases = append(cases,
		bad("a password of 1,025 bytes", formType, form("grant_type", "password", "username", "alice", "password", long).Encode()),
		bad("a password of 1,025 bytes for an unknown user", formType, form("grant_type", "password", "username", "nobody", "password", long).Encode()),
		bad("a password of 1,025 bytes in 513 two-byte letters", formType, form("grant_type", "password", "username", "alice", "password", "p"+strings.Repeat("é", 512)).Encode()),
		bad("a password of 60 KiB", formType, form("grant_type", "password", "username", "alice", "password", strings.Repeat("p", 60<<10)).Encode()),
		bad("a password of 1,025 bytes in JSON", "application/json", jsonLogin(`"password"`, `"alice"`, q(long))),
		bad("a password of 1,025 bytes with a malformed username", formType, form("grant_type", "password", "username", "al\u200bice", "password", long).Encode()),
	)

	before := s.state(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method, target := c.method, c.target
			if method == "" {
				method = "POST"
			}
			if target == "" {
				target = "/token"
			}
			var body io.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
				if c.chunked {
					body = io.MultiReader(body) // no length known: chunked
				}
			}
			r := s.do(t, method, target, c.contentType, body, c.header)
			if r.status != c.status {
				t.Fatalf("%s %s: %s, want %d %s", method, target, r, c.status, c.code)
			}
			if c.status == http.StatusMethodNotAllowed {
				if got := r.header.Get("Allow"); got != "POST" {
					t.Errorf("Allow %q, want POST", got)
				}
			} else if got := r.oauthError(); got != c.code {
				t.Errorf("error %q, want %q: %s", got, c.code, r)
			}
			s.unchanged(t, before)
		})
	}
	t.Logf("%d token endpoint cases", len(cases))

	// Nothing above logged in, refreshed or revoked: alice's first session
	// still refreshes.
	next := s.refresh(t, tk.RefreshToken)
	if s.subject(t, next.AccessToken) != alice.ID {
		t.Fatal("the refreshed token is not alice's")
	}
}
