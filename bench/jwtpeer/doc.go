// Package jwtpeer compares the token package with golang-jwt v5, the most
// used Go JWT library, on the same tokens. It is a module of its own so that
// golang-jwt never becomes a dependency of Gatehouse.
//
//   - Benchmarks: both verify the same access token, per algorithm.
//   - Tests: golang-jwt v5 with default settings accepts tokens that break
//     the profile (ignored crit, b64:false, unchecked typ, non-canonical
//     base64, invalid UTF-8, duplicate claims, a string or missing exp,
//     URLs in the header); the token package refuses each of them.
//
// Run from this directory: go test -bench . -benchmem
package jwtpeer
