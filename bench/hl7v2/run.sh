#!/bin/sh
# HL7 v2 parse and convert throughput, one core, with @medplum/core (npm)
# parsing the same corpus messages beside Tributary's parser. Run from the
# repository root: sh bench/hl7v2/run.sh. Results go in bench/RESULTS.md.
set -eu
cd "$(dirname "$0")/../.."
echo "== Go (GOMAXPROCS=1)"
GOMAXPROCS=1 go test -run '^$' -bench 'BenchmarkParse$|BenchmarkParseCorpus' -benchtime 3s -count 3 ./adapters/hl7v2
GOMAXPROCS=1 go test -run '^$' -bench 'BenchmarkConvert|BenchmarkMapOnly' -benchtime 3s -count 3 ./fhir/fromv2
if command -v node >/dev/null 2>&1; then
	echo "== npm @medplum/core (node is single-threaded)"
	(cd bench/hl7v2/npm && { [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null; })
	for i in 1 2 3; do node bench/hl7v2/npm/parse.mjs 3 adapters/hl7v2/testdata/corpus; done
else
	echo "node not found: skipping the npm side"
fi
