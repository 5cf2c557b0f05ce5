#!/bin/sh
# X12 benchmarks, reproducing the X12 section of bench/RESULTS.md. Run from
# anywhere: sh bench/x12/run.sh. Files go to $X12_BENCH_DIR (default
# /tmp/x12bench, about 1.1 GB). Needs Go; node and npm for the npm side
# (node-x12 1.7.1, pinned in bench/x12/npm/package-lock.json); GNU time
# (/usr/bin/time, Debian package "time") for peak RSS.
set -eu
cd "$(dirname "$0")/../.."
DIR=${X12_BENCH_DIR:-/tmp/x12bench}
mkdir -p "$DIR"
TIME=/usr/bin/time
echo "== machine"
nproc; grep -m1 'model name' /proc/cpuinfo || true; go version; uptime

go build -o "$DIR/benchx12" ./bench/x12
go build -o "$DIR/tributary" ./cmd/tributary
for spec in 5m:10000 50m:100000 1g:2000000; do
	f="$DIR/837p-${spec%%:*}.edi"
	[ -f "$f" ] || "$DIR/benchx12" -gen "$f" -claims "${spec#*:}"
done

echo "== Go micro-benchmarks, one core"
GOMAXPROCS=1 go test -run '^$' -bench 'BenchmarkTokenize|BenchmarkParse837P' -benchtime 2s -count 3 ./claims/x12
GOMAXPROCS=1 go test -run '^$' -bench 'BenchmarkClaimsToFHIR|BenchmarkClaimsMapOnly' -benchtime 2s -count 3 ./fhir/fromx12

echo "== Go on the files, one core: tokenize, parse, to FHIR"
for s in 5m 50m; do
	GOMAXPROCS=1 $TIME -f "peak RSS %M KB, wall %e s" "$DIR/benchx12" -fhir "$DIR/837p-$s.edi"
done

if command -v node >/dev/null 2>&1; then
	echo "== npm node-x12 on the same files (node is single-threaded)"
	(cd bench/x12/npm && { [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null; })
	for s in 5m 50m; do
		$TIME -f "peak RSS %M KB, wall %e s" node bench/x12/npm/parse.mjs "$DIR/837p-$s.edi"
	done
else
	echo "node not found: skipping the npm side"
fi

echo "== tributary convert --format x12 of the 1 GB file (both cores)"
$TIME -v "$DIR/tributary" convert --format x12 "$DIR/837p-1g.edi" >/dev/null 2>"$DIR/convert-1g.time" || true
grep -E 'Maximum resident|Elapsed|Exit status|Percent of CPU' "$DIR/convert-1g.time"
uptime
