package fromv2

import (
	"os"
	"testing"
	"time"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
)

// benchConvert measures what the normalizer does per message: parse,
// map, and marshal every resource to FHIR JSON.
func benchConvert(b *testing.B, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	m, err := New(Config{DefaultLocation: time.UTC})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	resources := 0
	for b.Loop() {
		msg, err := hl7v2.Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		res, err := m.Convert(msg)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range res.Entries {
			if _, err := fhir.Marshal(e.Resource); err != nil {
				b.Fatal(err)
			}
		}
		resources = len(res.Entries)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(resources), "resources/msg")
}

// BenchmarkConvertADT: an ADT^A01 of the size senders send (PID, PD1,
// two NK1, PV1, PV2, DG1, AL1, PR1, IN1, a Z-segment).
func BenchmarkConvertADT(b *testing.B) { benchConvert(b, "testdata/ADT_A01_full.hl7") }

// BenchmarkConvertADTMinimal: MSH, EVN, PID, PV1 — the demo's size.
func BenchmarkConvertADTMinimal(b *testing.B) { benchConvert(b, "testdata/ADT_A01.hl7") }

// BenchmarkConvertORU: a lab result with several OBX value types.
func BenchmarkConvertORU(b *testing.B) { benchConvert(b, "testdata/ORU_R01.hl7") }

// BenchmarkMapOnlyADT leaves out parsing and JSON, to see the mapping's
// own cost.
func BenchmarkMapOnlyADT(b *testing.B) {
	data, err := os.ReadFile("testdata/ADT_A01_full.hl7")
	if err != nil {
		b.Fatal(err)
	}
	m, err := New(Config{DefaultLocation: time.UTC})
	if err != nil {
		b.Fatal(err)
	}
	msg, err := hl7v2.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Convert(msg); err != nil {
			b.Fatal(err)
		}
	}
}
