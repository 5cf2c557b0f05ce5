package hl7v2

import (
	"os"
	"testing"
	"time"
)

// benchFile is an ADT^A01 (v2.8, 2.4 KB): MSH, EVN, PID and PV1, long and
// dense with components, as full ADT feeds send them.
const benchFile = "testdata/corpus/microsoft-FHIR-Converter/ADT-A01-02.hl7"

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(benchFile)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	data, err := os.ReadFile(benchFile)
	if err != nil {
		b.Fatal(err)
	}
	m, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Encode(m)
	}
}

func BenchmarkNewACK(b *testing.B) {
	data, err := os.ReadFile(benchFile)
	if err != nil {
		b.Fatal(err)
	}
	m, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		Encode(NewACK(m, AckAccept, now))
	}
}
