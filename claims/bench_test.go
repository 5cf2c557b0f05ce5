package claims

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/tributary-health/tributary/claims/x12"
	"github.com/tributary-health/tributary/claims/x12/x12test"
)

const benchClaims = 5000

func synthetic837P(b *testing.B) []byte {
	b.Helper()
	var buf bytes.Buffer
	if _, err := x12test.Write837P(&buf, x12test.Options{Claims: benchClaims}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func parseAll(b *testing.B, data []byte) []*x12.Transaction {
	b.Helper()
	p := x12.NewParser(bytes.NewReader(data))
	var txs []*x12.Transaction
	for {
		tx, err := p.Next()
		if errors.Is(err, io.EOF) {
			return txs
		}
		if err != nil {
			b.Fatal(err)
		}
		txs = append(txs, tx)
	}
}

// BenchmarkEach837 measures building claim models from transaction sets
// already parsed (synthetic 837P, 3 lines per claim), on one core.
func BenchmarkEach837(b *testing.B) {
	txs := parseAll(b, synthetic837P(b))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, tx := range txs {
			if err := Each837(tx, func(*Claim) error { n++; return nil }); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "claims/s")
}

// BenchmarkParseEach837 measures the whole read: tokenizing, envelopes
// and loops (claims/x12), then the claim models.
func BenchmarkParseEach837(b *testing.B) {
	data := synthetic837P(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		p := x12.NewParser(bytes.NewReader(data))
		for {
			tx, err := p.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if err := Each837(tx, func(*Claim) error { n++; return nil }); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "claims/s")
}
