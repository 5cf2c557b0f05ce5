package fromx12

import (
	"bytes"
	"testing"

	"github.com/tributary-health/tributary/claims/x12"
	"github.com/tributary-health/tributary/claims/x12/x12test"
	"github.com/tributary-health/tributary/fhir"
)

func benchTransactions(b *testing.B, n int) []*x12.Transaction {
	b.Helper()
	var buf bytes.Buffer
	if _, err := x12test.Write837P(&buf, x12test.Options{Claims: n}); err != nil {
		b.Fatal(err)
	}
	return transactions(b, &buf)
}

// BenchmarkClaimsToFHIR measures 837P claims per second on one core, from
// parsed transaction sets to FHIR JSON: build the claims models, map, and
// fhir.Marshal every resource. Parsing X12 is claims/x12's benchmark.
func BenchmarkClaimsToFHIR(b *testing.B) {
	const n = 1000
	txs := benchTransactions(b, n)
	m := newMapper(b)
	b.ReportAllocs()
	b.ResetTimer()
	bytesOut := 0
	for b.Loop() {
		for _, tx := range txs {
			err := m.Each(tx, func(r Result) error {
				for _, e := range r.Entries {
					j, err := fhir.Marshal(e.Resource)
					if err != nil {
						return err
					}
					bytesOut += len(j)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "claims/s")
	b.ReportMetric(float64(bytesOut)/float64(n*b.N), "json-bytes/claim")
}

// BenchmarkClaimsMapOnly is the same without marshalling: where the time
// goes between mapping and JSON.
func BenchmarkClaimsMapOnly(b *testing.B) {
	const n = 1000
	txs := benchTransactions(b, n)
	m := newMapper(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, tx := range txs {
			if err := m.Each(tx, func(Result) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "claims/s")
}
