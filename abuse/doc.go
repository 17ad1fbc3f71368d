// Package abuse holds Gatehouse's attack corpus and abuse tests: hostile
// access tokens, hostile requests to the token endpoints, and the
// no-enumeration checks of the login. Every case is a table row with its
// expected answer, sent over HTTP to the real server (httpapi on a SQLite
// store, in process), and every refused case is checked to have changed
// nothing: the victim session still refreshes, and the users, the audit
// rows and the revocation feed are as they were.
//
// The package has no code of its own; its tests are the point.
package abuse
