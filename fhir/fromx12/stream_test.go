package fromx12

import (
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/tributary-health/tributary/claims/x12"
	"github.com/tributary-health/tributary/claims/x12/x12test"
	"github.com/tributary-health/tributary/fhir"
)

// A stream of 837P claims converts with the heap bounded by a
// transaction set, not by the stream: the input is generated through a
// pipe, parsed one transaction set at a time and mapped with Each.
func TestStreamBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 40,000 claims")
	}
	const claims = 40000
	pr, pw := io.Pipe()
	go func() {
		_, err := x12test.Write837P(pw, x12test.Options{Claims: claims, ClaimsPerTransaction: 2000})
		pw.CloseWithError(err)
	}()
	m := newMapper(t)
	p := x12.NewParser(pr)
	var peak, first uint64
	var ms runtime.MemStats
	n := 0
	for {
		tx, err := p.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		err = m.Each(tx, func(r Result) error {
			n++
			for _, e := range r.Entries {
				if _, err := fhir.Marshal(e.Resource); err != nil {
					return err
				}
			}
			if n%4000 == 0 {
				// Live heap, garbage collected: what the conversion holds.
				runtime.GC()
				runtime.ReadMemStats(&ms)
				if first == 0 {
					first = ms.HeapAlloc
				}
				peak = max(peak, ms.HeapAlloc)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n != claims {
		t.Fatalf("converted %d claims, want %d", n, claims)
	}
	t.Logf("%d claims; live heap after 4,000 claims %.1f MiB, peak %.1f MiB", n, float64(first)/(1<<20), float64(peak)/(1<<20))
	if peak > first+8<<20 || peak > 64<<20 {
		t.Errorf("live heap grew from %d to %d MiB: memory grows with the stream", first>>20, peak>>20)
	}
}
