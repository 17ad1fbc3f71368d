package guard

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestExtractBearer(t *testing.T) {
	long := strings.Repeat("a", MaxTokenSize)
	tests := []struct {
		name    string
		target  string
		headers []string
		want    string
		wantErr error
	}{
		{"no header is no token", "/", nil, "", ErrNoToken},
		{"another scheme is no token", "/", []string{"Basic dXNlcjpwYXNz"}, "", ErrNoToken},
		{"a scheme that only starts with Bearer is no token", "/", []string{"Bearerx abc"}, "", ErrNoToken},
		{"scheme is case-insensitive", "/", []string{"bEARER abc.def.ghi"}, "abc.def.ghi", nil},
		{"several spaces may separate scheme and token", "/", []string{"Bearer    abc"}, "abc", nil},
		{"every b64token character is accepted", "/", []string{"Bearer aZ09-._~+/=="}, "aZ09-._~+/==", nil},
		{"a token of exactly the cap is accepted", "/", []string{"Bearer " + long}, long, nil},
		{"a token over the cap is malformed", "/", []string{"Bearer " + long + "a"}, "", ErrMalformedToken},
		{"Bearer without a token is malformed", "/", []string{"Bearer"}, "", ErrMalformedToken},
		{"Bearer and spaces only is malformed", "/", []string{"Bearer   "}, "", ErrMalformedToken},
		{"a tab is not a separator", "/", []string{"Bearer\tabc"}, "", ErrNoToken},
		{"characters outside b64token are malformed", "/", []string{`Bearer ab"c`}, "", ErrMalformedToken},
		{"a space inside the token is malformed", "/", []string{"Bearer abc def"}, "", ErrMalformedToken},
		{"padding only is malformed", "/", []string{"Bearer =="}, "", ErrMalformedToken},
		{"padding in the middle is malformed", "/", []string{"Bearer ab=c"}, "", ErrMalformedToken},
		{"non-ASCII is malformed", "/", []string{"Bearer abcé"}, "", ErrMalformedToken},
		{"two Authorization headers are refused", "/", []string{"Bearer abc", "Bearer def"}, "", ErrMultipleAuthorization},
		{"a query token is refused even with a header", "/?access_token=abc", []string{"Bearer abc"}, "", ErrQueryToken},
		{"a query token alone is refused", "/?access_token=abc", nil, "", ErrQueryToken},
		{"an escaped query parameter name is still a query token", "/?access%5Ftoken=abc", nil, "", ErrQueryToken},
		{"other query parameters are ignored", "/?page=2", []string{"Bearer abc"}, "abc", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.target, nil)
			for _, h := range tt.headers {
				r.Header.Add("Authorization", h)
			}
			got, err := ExtractBearer(r)
			if err != tt.wantErr || got != tt.want {
				t.Fatalf("ExtractBearer = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// FuzzExtractBearer checks that whatever the header, ExtractBearer returns
// either a valid b64token found verbatim in the header or one of its
// sentinel errors, and never panics.
func FuzzExtractBearer(f *testing.F) {
	for _, s := range []string{
		"", "Bearer abc", "bearer a.b.c", "Bearer", "Bearer  ", "Basic x", "Bearer ab=c",
		"Bearer a==", "BEARER\x00abc", "Bearer " + strings.Repeat("x", MaxTokenSize+1),
	} {
		f.Add(s, "")
		f.Add(s, "access_token=1")
	}
	f.Fuzz(func(t *testing.T, header, query string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL.RawQuery = query
		r.Header.Set("Authorization", header)
		tok, err := ExtractBearer(r)
		switch err {
		case nil:
			if !validToken(tok) || !strings.HasSuffix(header, tok) {
				t.Fatalf("ExtractBearer(%q) = %q: not a token of the header", header, tok)
			}
			if !strings.EqualFold(header[:6], "Bearer") {
				t.Fatalf("ExtractBearer(%q) accepted another scheme", header)
			}
		case ErrNoToken, ErrMalformedToken, ErrQueryToken:
			if tok != "" {
				t.Fatalf("ExtractBearer(%q) = %q with error %v", header, tok, err)
			}
		default:
			t.Fatalf("ExtractBearer(%q): unexpected error %v", header, err)
		}
	})
}
