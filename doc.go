// Package gatehouse holds the domain of the Gatehouse authentication server:
// users, clients, sessions and their refresh tokens, signing keys, access-token
// claims, audit events, the storage contracts the backends implement, and the
// domain errors.
//
// The package does no I/O and imports only the standard library. Adapters live
// at the edge: token (JWT signing and verification), password (hashing),
// session (the refresh-token state machine), store/sqlite and store/postgres
// (the storage contracts on each database), httpapi (the wire formats) and
// cmd/gatehouse (wiring). guard is the library that resource servers import.
package gatehouse
