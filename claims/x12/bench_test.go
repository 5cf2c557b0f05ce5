package x12

import (
	"bytes"
	"io"
	"testing"

	"github.com/tributary-health/tributary/claims/x12/x12test"
)

// synthetic837P returns a generated 837P interchange with the given
// number of claims.
func synthetic837P(tb testing.TB, claims int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if _, err := x12test.Write837P(&buf, x12test.Options{Claims: claims, Newlines: true}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkTokenize measures the tokenizer alone over a 10 MB 837P, read
// through an io.Reader as a file would be.
func BenchmarkTokenize(b *testing.B) {
	data := synthetic837P(b, 20000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(data))
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n == 0 {
			b.Fatal("no segments")
		}
	}
}

// BenchmarkParse837P measures tokenizing, envelope checks, loop building
// and element checks; it reports claims per second.
func BenchmarkParse837P(b *testing.B) {
	const claims = 5000
	data := synthetic837P(b, claims)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		p := NewParser(bytes.NewReader(data))
		for {
			tx, err := p.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if len(tx.Errors) > 0 {
				b.Fatal(tx.Errors[0])
			}
		}
	}
	b.ReportMetric(float64(claims*b.N)/b.Elapsed().Seconds(), "claims/s")
}
