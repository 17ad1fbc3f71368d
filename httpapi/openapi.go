package httpapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// openAPIDoc is the OpenAPI 3.1 description of every route (openapi.json,
// kept true by openapi_test.go: every registered route is described, every
// described route exists, and real answers match its schemas). What
// depends on the server (its URL, the token URL of the password flow) is
// filled in when it starts (openAPIFor).
//
//go:embed openapi.json
var openAPIDoc []byte

// openAPIFor is the document this server serves: servers and the OAuth2
// token URL set to the issuer, the cookies' names those of its jar, and
// only the operations it registered (POST /signup and GET /metrics are
// there only when they are switched on).
func openAPIFor(issuer string, jar cookieJar, patterns []string) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		return nil, fmt.Errorf("httpapi: openapi.json: %w", err)
	}
	doc["servers"] = []any{map[string]any{"url": issuer, "description": "this Gatehouse"}}
	if comps, ok := doc["components"].(map[string]any); ok {
		if schemes, ok := comps["securitySchemes"].(map[string]any); ok {
			for name, sc := range schemes {
				sc, _ := sc.(map[string]any)
				switch name {
				case "accessCookie":
					sc["name"] = jar.access
				case "refreshCookie":
					sc["name"] = jar.refresh
				}
				flows, _ := sc["flows"].(map[string]any)
				for _, f := range flows {
					if f, ok := f.(map[string]any); ok {
						for _, k := range []string{"tokenUrl", "refreshUrl"} {
							if _, ok := f[k]; ok {
								f[k] = issuer + "/token"
							}
						}
					}
				}
			}
		}
	}
	registered := map[string]bool{}
	for _, p := range patterns {
		registered[p] = true
	}
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		ops, _ := item.(map[string]any)
		for method := range ops {
			if isHTTPMethod(method) && !registered[strings.ToUpper(method)+" "+path] {
				delete(ops, method)
			}
		}
		if !hasOperation(ops) {
			delete(paths, path)
		}
	}
	return json.Marshal(doc)
}

// httpMethods are the keys of an OpenAPI path item that are operations.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func isHTTPMethod(k string) bool {
	for _, m := range httpMethods {
		if k == m {
			return true
		}
	}
	return false
}

func hasOperation(item map[string]any) bool {
	for k := range item {
		if isHTTPMethod(k) {
			return true
		}
	}
	return false
}

// handleOpenAPI is GET /openapi.json.
func (s *server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(s.openapi)
}
