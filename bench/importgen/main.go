// Command importgen writes a JSON Lines file of users for
// `gatehouse user import`, to measure imports (docs/benchmarks.md):
//
//	go run ./bench/importgen -n 100000 > users.jsonl
//	/usr/bin/time -v gatehouse user import users.jsonl --db sqlite:g.db
//
// Each line has a username, a well-formed bcrypt hash ($2b$12$, random salt
// and checksum: an import checks a hash's format and never computes it, so
// its cost does not depend on the hashes being real), a scope and a role
// claim. -cost changes the hashes' cost field, so that a second file
// updates every user's hash.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
)

const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func main() {
	n := flag.Int("n", 100000, "number of users")
	cost := flag.Int("cost", 12, "bcrypt cost written in each hash (4 to 16)")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	rnd := rand.New(rand.NewPCG(*seed, 0))
	w := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	hash := make([]byte, 53)
	for i := range *n {
		for j := range hash {
			hash[j] = bcryptAlphabet[rnd.IntN(len(bcryptAlphabet))]
		}
		role := "user"
		if i%100 == 0 {
			role = "admin"
		}
		line := map[string]any{
			"username":      fmt.Sprintf("user%06d", i),
			"password_hash": fmt.Sprintf("$2b$%02d$%s", *cost, hash),
			"scope":         "orders:read",
			"claims":        map[string]string{"role": role},
		}
		if err := enc.Encode(line); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
