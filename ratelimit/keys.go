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
//	pf:H(account,ip)  failures of the pair          pb:…  the pair's block
//	af:H(account)     failures from unknown IPs     ab:…  the account's block
//	if:H(ip)          failures of the IP            ib:…  the IP's block
//	k:H(account,ip)   the IP is known for the account
//	g:UNIXSECOND      failures in that second, server-wide
type keys struct {
	pairFail, pairBlock string
	acctFail, acctBlock string
	ipFail, ipBlock     string
	known               string
}

func keysFor(account, ip string) keys {
	ip = normalizeIP(ip)
	pair := digest("pair", account, ip)
	acct := digest("account", account)
	addr := digest("ip", ip)
	return keys{
		pairFail: "pf:" + pair, pairBlock: "pb:" + pair,
		acctFail: "af:" + acct, acctBlock: "ab:" + acct,
		ipFail: "if:" + addr, ipBlock: "ib:" + addr,
		known: "k:" + pair,
	}
}

// globalKey is the server-wide failure counter of now's second.
func globalKey(now time.Time) string { return "g:" + strconv.FormatInt(now.Unix(), 10) }

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
