package httpapi

import "net/http"

// RoutePatterns is the patterns ("METHOD /path") of the routes of a
// handler that New returned, as they were registered.
func RoutePatterns(h http.Handler) []string { return h.(routedHandler).patterns }

// OpenAPIDocument is the embedded OpenAPI document, before the server
// fills it in.
var OpenAPIDocument = openAPIDoc
