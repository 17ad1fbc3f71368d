package ratelimit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strconv"
	"time"
)

// The key space, after the backend's own prefix. Accounts and addresses
// appear only hashed: SHA-256 over a tag and the length-prefixed fields,
// truncated to 128 bits. Usernames are guessable, so this is
// pseudonymisation (nothing readable in a key listing), not secrecy.
//
//	pf:{P}  failures of the pair          pb:{P}  the pair's block     k:{P}  ip is known for account
//	af:{A}  failures from unknown IPs     ab:{A}  the account's block
//	if:{I}  failures of the IP            ib:{I}  the IP's block
//	gf:{S}  failures in second S          gb:{S}  the global block, to the end of S
//	sf:{I}  sign-ups from the IP          sb:{I}  the IP's sign-up block
//
// P = H(account, ip), A = H(account), I = H(ip), S = the Unix second. The
// braces are Redis Cluster hash tags: a counter, its block (and, for the
// pair, the known mark) hash to one slot, so one script can update them
// together. A Reservation's two keys always share their tag.
type keys struct {
	pairFail, pairBlock, known string
	acctFail, acctBlock        string
	ipFail, ipBlock            string
}

func keysFor(account, ip string) keys {
	ip = normalizeIP(ip)
	pair := digest("pair", account, ip)
	acct := digest("account", account)
	addr := digest("ip", ip)
	return keys{
		pairFail: tagged("pf", pair), pairBlock: tagged("pb", pair), known: tagged("k", pair),
		acctFail: tagged("af", acct), acctBlock: tagged("ab", acct),
		ipFail: tagged("if", addr), ipBlock: tagged("ib", addr),
	}
}

// globalKeys are the server-wide failure counter of now's second and its block.
func globalKeys(now time.Time) (fail, block string) {
	s := strconv.FormatInt(now.Unix(), 10)
	return tagged("gf", s), tagged("gb", s)
}

// signupKeys are the sign-up counter of ip and its block.
func signupKeys(ip string) (fail, block string) {
	addr := digest("ip", normalizeIP(ip))
	return tagged("sf", addr), tagged("sb", addr)
}

func tagged(kind, tag string) string { return kind + ":{" + tag + "}" }

func digest(tag string, fields ...string) string {
	h := sha256.New()
	h.Write([]byte(tag))
	var n [8]byte
	for _, f := range fields {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// normalizeIP maps an address to what is counted: IPv4 (also when written
// as IPv4-mapped IPv6) as itself, IPv6 as its /64 (one subscriber's
// network, which it can fill with addresses at will), anything that does
// not parse as itself.
func normalizeIP(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.WithZone("").Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
