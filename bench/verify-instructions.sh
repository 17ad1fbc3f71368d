#!/usr/bin/env bash
# Counts the instructions one access-token verification executes, per
# algorithm, beside the raw standard-library signature verification of the
# same bytes (the impl=raw benchmarks of token/bench_test.go), and prints
# their ratio. Instruction counts (valgrind's callgrind) do not depend on
# what else the machine is doing, unlike wall-clock benchmarks on a shared
# 2-core machine.
#
# Each figure is the difference between a 150-op and a 50-op run, divided by
# 100, counting only inside Verifier.Verify (or the raw closure), so setup
# and the benchmark framework cancel out.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
bin=$(mktemp -d)/token.test
go test -c -o "$bin" ./token

count() { # benchmark, function pattern, ops
	GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --toggle-collect="$2" \
		--callgrind-out-file=/dev/null "$bin" -test.run '^$' -test.bench "Verify/alg=$1\$" -test.benchtime "${3}x" 2>&1 |
		grep -o 'Collected : [0-9]*' | grep -o '[0-9]*$'
}

printf '%-6s %14s %14s %7s\n' alg "gatehouse/op" "raw/op" ratio
for alg in ES256 EdDSA RS256 HS256; do
	g1=$(count "$alg/impl=gatehouse" '*Verifier*.Verify' 50)
	g2=$(count "$alg/impl=gatehouse" '*Verifier*.Verify' 150)
	r1=$(count "$alg/impl=raw" '*rawVerifier.func*' 50)
	r2=$(count "$alg/impl=raw" '*rawVerifier.func*' 150)
	awk -v a="$alg" -v g=$(( (g2 - g1) / 100 )) -v r=$(( (r2 - r1) / 100 )) \
		'BEGIN { printf "%-6s %14d %14d %7.3f\n", a, g, r, g / r }'
done
