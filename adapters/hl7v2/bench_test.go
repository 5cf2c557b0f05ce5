package hl7v2

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
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

// deliberatelyBad tells the corpus samples made to fail by their name.
func deliberatelyBad(name string) bool {
	return strings.HasPrefix(name, "malformed-") || strings.HasPrefix(name, "invalid-")
}

// corpusMessages returns the corpus files that hold exactly one message
// (and are not deliberately malformed),
// line endings made CR and trailing CRs dropped: the selection
// bench/hl7v2/npm/parse.mjs makes, so both sides parse the same bytes.
func corpusMessages(b *testing.B) [][]byte {
	b.Helper()
	var out [][]byte
	err := filepath.WalkDir("testdata/corpus", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".hl7") || deliberatelyBad(d.Name()) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		s := strings.TrimPrefix(string(data), "\uFEFF")
		if !strings.HasPrefix(s, "MSH") || len(regexp.MustCompile(`(^|[\r\n])MSH`).FindAllString(s, -1)) != 1 {
			return nil
		}
		s = strings.TrimRight(strings.NewReplacer("\r\n", "\r", "\n", "\r").Replace(s), "\r")
		out = append(out, []byte(s))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkParseCorpus parses every single-message corpus file once per
// iteration; ns/op is per corpus pass, MB/s over its bytes, and msgs/s is
// reported separately. bench/hl7v2 runs it beside @medplum/core.
func BenchmarkParseCorpus(b *testing.B) {
	msgs := corpusMessages(b)
	var n int64
	for _, m := range msgs {
		n += int64(len(m))
	}
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			if _, err := Parse(m); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(msgs)*b.N)/b.Elapsed().Seconds(), "msgs/s")
}
