package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// corsRoute is what a page of another origin may do with a route.
type corsRoute struct {
	// methods are the route's methods, for Access-Control-Allow-Methods.
	methods string
	// public routes (the JWKS and the metadata) are readable from any
	// origin, without credentials: Access-Control-Allow-Origin: *.
	public bool
}

// ServeHTTP makes a corsRoute a handler of the matching mux; it is never
// called.
func (corsRoute) ServeHTTP(http.ResponseWriter, *http.Request) {}

// corsRoutes are the routes a browser may call from another origin:
// RFC 6749's endpoints, the caller's own routes and the cookie endpoints
// for the listed origins, the public documents for every origin. Every
// other route (admin, introspection, the feed, the account page) grants
// nothing.
var corsRoutes = map[string]corsRoute{
	"/token":            {methods: "POST"},
	"/revoke":           {methods: "POST"},
	"/userinfo":         {methods: "GET"},
	"/logout":           {methods: "POST"},
	"/sessions":         {methods: "GET"},
	"/sessions/{id}":    {methods: "DELETE"},
	"/session/login":    {methods: "POST"},
	"/session/refresh":  {methods: "POST"},
	"/session/logout":   {methods: "POST"},
	"/session/password": {methods: "POST"},
	"/.well-known/":     {methods: "GET", public: true},
}

// The request headers a listed origin may send (Content-Type for JSON
// bodies, Authorization for Bearer and Basic, the CSRF header), the
// response headers its scripts may read, and how long a browser may keep
// a preflight's answer.
const (
	corsAllowHeaders  = "Authorization, Content-Type, X-Requested-With"
	corsExposeHeaders = "WWW-Authenticate, Retry-After, X-Request-Id"
	corsMaxAge        = "600"
)

// corsPolicy answers CORS (the Fetch standard) for the routes of
// corsRoutes: an exact allow-list of origins, credentials only for them
// and never with a wildcard, never an origin reflected that is not on the
// list.
type corsPolicy struct {
	origins map[string]bool
	match   *http.ServeMux // path → corsRoute
	// firsts are the first path segments of corsRoutes: any other request
	// skips the match.
	firsts map[string]bool
}

// newCORS checks and normalises the allowed origins.
func newCORS(origins []string) (*corsPolicy, error) {
	p := &corsPolicy{origins: map[string]bool{}, match: http.NewServeMux(), firsts: map[string]bool{}}
	for _, o := range origins {
		n, err := normalOrigin(o)
		if err != nil {
			return nil, err
		}
		p.origins[n] = true
	}
	for pattern, rt := range corsRoutes {
		p.match.Handle(pattern, rt)
		p.firsts[firstSegment(pattern)] = true
	}
	return p, nil
}

// allowed is the normalised allow-list, sorted (for the CSRF rule, which
// trusts the same origins).
func (p *corsPolicy) allowed() []string {
	out := make([]string, 0, len(p.origins))
	for o := range p.origins {
		out = append(out, o)
	}
	slices.Sort(out)
	return out
}

// normalOrigin is an origin as a browser serialises it in the Origin
// header: scheme://host[:port], lower case, without the scheme's default
// port. A wildcard, "null", a path (even "/"), a query or user information are
// refused: each would grant more than one exact origin.
func normalOrigin(o string) (string, error) {
	bad := func(why string) (string, error) {
		return "", &originError{origin: o, why: why}
	}
	switch {
	case o == "*" || strings.Contains(o, "*"):
		return bad("wildcards are not allowed; list each origin")
	case o == "null":
		return bad(`"null" is the origin of sandboxed and local pages, which anyone can make`)
	}
	u, err := url.Parse(o)
	if err != nil {
		return bad(err.Error())
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return bad("want http:// or https://")
	}
	if u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return bad("want scheme://host[:port] and nothing else")
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host, nil
}

// wrap answers preflights of the CORS routes and adds the grants to their
// answers; other routes pass through untouched.
func (p *corsPolicy) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !p.firsts[firstSegment(r.URL.Path)] {
			next.ServeHTTP(w, r)
			return
		}
		h, pattern := p.match.Handler(r)
		rt, ok := h.(corsRoute)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		origins := r.Header.Values("Origin")
		preflight := r.Method == http.MethodOptions && len(origins) > 0 && r.Header.Get("Access-Control-Request-Method") != ""
		if preflight {
			// Answered here: the mux has no OPTIONS routes. The route label
			// of the request metrics is the route's.
			r.Pattern = http.MethodOptions + " " + pattern
			p.preflight(w, r, rt, origins)
			return
		}
		hd := w.Header()
		switch {
		case rt.public:
			if len(origins) > 0 {
				hd.Set("Access-Control-Allow-Origin", "*")
			}
		default:
			hd.Add("Vary", "Origin")
			if o, ok := p.listed(origins); ok {
				hd.Set("Access-Control-Allow-Origin", o)
				hd.Set("Access-Control-Allow-Credentials", "true")
				hd.Set("Access-Control-Expose-Headers", corsExposeHeaders)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// firstSegment is the first segment of a path: "session" for
// "/session/login".
func firstSegment(path string) string {
	path = strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(path, '/'); i >= 0 {
		return path[:i]
	}
	return path
}

// listed returns the request's one Origin if it is on the list.
func (p *corsPolicy) listed(origins []string) (string, bool) {
	if len(origins) != 1 || !p.origins[origins[0]] {
		return "", false
	}
	return origins[0], true
}

// preflight answers an OPTIONS preflight: 204 with the grants when the
// origin, method and headers are allowed, 403 without any otherwise.
func (p *corsPolicy) preflight(w http.ResponseWriter, r *http.Request, rt corsRoute, origins []string) {
	hd := w.Header()
	hd.Add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	refuse := func(why string) {
		writeOAuth(w, &oauthError{Code: "invalid_request", Description: "CORS preflight refused: " + why, Status: http.StatusForbidden})
	}
	origin, listed := p.listed(origins)
	switch {
	case !rt.public && !listed:
		refuse("origin not allowed")
		return
	case !slices.Contains(strings.Split(rt.methods, ", "), r.Header.Get("Access-Control-Request-Method")):
		refuse("method not allowed")
		return
	case !allowedHeaders(r.Header.Values("Access-Control-Request-Headers"), rt.public):
		refuse("request header not allowed")
		return
	}
	if rt.public {
		hd.Set("Access-Control-Allow-Origin", "*")
	} else {
		hd.Set("Access-Control-Allow-Origin", origin)
		hd.Set("Access-Control-Allow-Credentials", "true")
		hd.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	}
	hd.Set("Access-Control-Allow-Methods", rt.methods)
	hd.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusNoContent)
}

// allowedHeaders reports whether every header a preflight asks for may be
// sent: those of corsAllowHeaders, none for the public routes.
func allowedHeaders(vals []string, public bool) bool {
	for _, v := range vals {
		for h := range strings.SplitSeq(v, ",") {
			h = strings.TrimSpace(h)
			if h == "" {
				continue
			}
			if public || !slices.ContainsFunc(strings.Split(corsAllowHeaders, ", "), func(a string) bool { return strings.EqualFold(a, h) }) {
				return false
			}
		}
	}
	return true
}
