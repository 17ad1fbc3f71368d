// Package e2e holds the end-to-end tests of Gatehouse: they build the
// gatehouse binary (and the example API) once, start real processes on free
// ports with temporary databases, and talk to them over HTTP and the
// command line, as a user would.
package e2e
