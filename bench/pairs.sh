#!/bin/sh
# pairs.sh runs the SDK's benchmark pairs interleaved (client, then its bare
# baseline, N rounds) and prints each side's median, the ratio and the goal.
# Interleaving puts both sides of a pair under the same machine load; read
# bench/RESULTS.md ("Reading the figures on a 2-core machine") before
# trusting a single run.
#
#   bench/pairs.sh            # 5 rounds, 1s per benchmark
#   ROUNDS=3 BENCHTIME=2000x bench/pairs.sh
#
# It never fails on timing: it exits non-zero only if a benchmark fails.
set -eu
ROUNDS=${ROUNDS:-5}
BENCHTIME=${BENCHTIME:-1s}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$root"
go test -c -o "$work/tokenim.test" . >/dev/null

# name|client benchmark|baseline benchmark|goal (client/baseline time per op)
pairs='serial|BenchmarkClient_CreatePayment$|BenchmarkRawHTTP_CreatePayment$|1.05
parallel-64|BenchmarkClient_CreatePaymentParallel$|BenchmarkRawHTTP_CreatePaymentParallel$|1.0526
in-memory|BenchmarkClientOverhead_CreatePayment$|BenchmarkRawOverhead_CreatePayment$|-
verify-1KiB|BenchmarkVerify/1KiB$|BenchmarkBareHMAC/1KiB$|1.05'

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)  cores: $(nproc 2>/dev/null || echo ?)  rounds: $ROUNDS  benchtime: $BENCHTIME"
i=0
while [ "$i" -lt "$ROUNDS" ]; do
	i=$((i + 1))
	echo "$pairs" | while IFS='|' read -r name client base goal; do
		for bm in "$client" "$base"; do
			(cd "$work" && ./tokenim.test -test.run '^$' -test.bench "$bm" -test.benchtime "$BENCHTIME" \
				-test.benchmem -test.count 1) | grep '^Benchmark' >>"$work/all.txt"
		done
	done
done

# median of the ns/op (and allocs/op) of one benchmark name
median() {
	grep -E "^$1-[0-9]+ " "$work/all.txt" | awk -v col="$2" '{for (f = 1; f <= NF; f++) if ($f == col) print $(f-1)}' |
		sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "?"; else if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2] + v[NR/2+1]) / 2}'
}

printf '\n%-12s %14s %14s %11s %11s %7s %s\n' pair client_ns/op bare_ns/op client_allocs bare_allocs ratio goal
echo "$pairs" | while IFS='|' read -r name client base goal; do
	c=$(median "$(echo "$client" | tr -d '$')" ns/op)
	b=$(median "$(echo "$base" | tr -d '$')" ns/op)
	ca=$(median "$(echo "$client" | tr -d '$')" allocs/op)
	ba=$(median "$(echo "$base" | tr -d '$')" allocs/op)
	ratio=$(awk -v c="$c" -v b="$b" 'BEGIN {if (b > 0) printf "%.3f", c / b; else print "?"}')
	verdict=""
	if [ "$goal" != "-" ]; then
		verdict=$(awk -v r="$ratio" -v g="$goal" 'BEGIN {if (r + 0 <= g + 0) print "met"; else print "NOT met"}')
		goal="<= $goal $verdict"
	fi
	printf '%-12s %14s %14s %11s %11s %7s %s\n' "$name" "$c" "$b" "$ca" "$ba" "$ratio" "$goal"
done
echo "(parallel-64: throughput is the inverse of ns/op, so its goal, throughput >= 0.95x of bare, is ratio <= 1.0526)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
