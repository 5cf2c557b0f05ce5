package fromx12

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tributary-health/tributary/claims/x12"
	"github.com/tributary-health/tributary/fhir"
)

// FuzzConvert feeds arbitrary X12 to the mapper: it must not panic, and
// whatever it returns without an error must have ids and marshal to FHIR
// JSON.
func FuzzConvert(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.x12")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	m, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) { convertFuzz(t, m, data) })
}

func convertFuzz(t *testing.T, m *Mapper, data []byte) {
	p := x12.NewParser(bytes.NewReader(data))
	for range 20 {
		tx, err := p.Next()
		if err != nil {
			return
		}
		res, err := m.Convert(tx)
		if err != nil {
			continue
		}
		for _, e := range res.Entries {
			if e.Resource == nil || idOf(e.Resource) == "" {
				t.Fatalf("entry without a resource id: %v", e.Resource)
			}
			if _, err := fhir.Marshal(e.Resource); err != nil {
				t.Fatalf("marshal %s: %v", key(e.Resource), err)
			}
		}
	}
}
