package hl7v2

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedCorpus is the public sample corpus beside the repository (see
// DESIGN.md); testdata/corpus holds a copy of part of it, so the package
// tests stand alone.
const sharedCorpus = "../../../shared/corpus/hl7v2"

// corpusFiles returns every .hl7 file under dir.
func corpusFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".hl7") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return files
}

func TestCorpus(t *testing.T) {
	t.Parallel()
	dirs := []string{"testdata/corpus"}
	if _, err := os.Stat(sharedCorpus); err == nil {
		dirs = append(dirs, sharedCorpus)
	} else {
		t.Logf("shared corpus not found at %s; testing the copy in testdata only", sharedCorpus)
	}
	for _, dir := range dirs {
		files := corpusFiles(t, dir)
		if len(files) < 30 {
			t.Fatalf("%s: only %d files", dir, len(files))
		}
		for _, path := range files {
			name := filepath.Base(path)
			t.Run(strings.TrimPrefix(path, dir+"/"), func(t *testing.T) {
				t.Parallel()
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if strings.HasPrefix(name, "malformed-") || strings.HasPrefix(name, "invalid-") {
					checkMalformed(t, data)
				} else {
					checkWellFormed(t, data)
				}
			})
		}
	}
}

// checkMalformed requires Parse and ParseBatch to fail with a located
// error.
func checkMalformed(t *testing.T, data []byte) {
	t.Helper()
	m, err := Parse(data)
	if err == nil || m != nil {
		t.Fatalf("Parse succeeded on malformed input")
	}
	checkLocated(t, err, len(data))
	f, err := ParseBatch(data)
	if err != nil {
		checkLocated(t, err, len(data))
		return
	}
	for _, e := range f.Messages() {
		if e.Err == nil {
			t.Errorf("ParseBatch: message at %d parsed", e.Offset)
			continue
		}
		checkLocated(t, e.Err, len(data))
	}
}

func checkLocated(t *testing.T, err error, n int) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *ParseError", err)
	}
	if pe.Location.Segment == "" && pe.SegmentIndex == 0 {
		t.Errorf("error %v names neither a segment nor its position", err)
	}
	if pe.Offset < 0 || pe.Offset > n {
		t.Errorf("error %v: offset %d outside the input (%d bytes)", err, pe.Offset, n)
	}
	if pe.Code == 0 {
		t.Errorf("error %v has no HL7 error code", err)
	}
}

// checkWellFormed requires every message of the file to parse, Parse to
// agree with ParseBatch on single messages, and the round trip to hold.
func checkWellFormed(t *testing.T, data []byte) {
	t.Helper()
	f, err := ParseBatch(data)
	if err != nil {
		t.Fatalf("ParseBatch: %v", err)
	}
	entries := f.Messages()
	if len(entries) == 0 {
		t.Fatal("no messages")
	}
	for _, e := range entries {
		if e.Err != nil {
			t.Fatalf("message at %d: %v", e.Offset, e.Err)
		}
		if e.Message.Type().Code == "" || e.Message.Version() == "" {
			t.Errorf("message at %d: no type or version", e.Offset)
		}
		roundTrip(t, e.Message)
	}
	m, err := Parse(data)
	if len(entries) > 1 || f.Header != nil || len(f.Batches[0].Messages) != len(entries) {
		if err == nil {
			t.Error("Parse accepted several messages or a batch")
		}
		return
	}
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if d := messageDiff(entries[0].Message, m); d != "" {
		t.Errorf("Parse and ParseBatch differ:\n%s", d)
	}
}

// TestCorpusValues spot-checks what the corpus files exercise.
func TestCorpusValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want map[string]string
	}{
		{"rethinkhealth-hl7v2/edge-escaped-delimiters.hl7", map[string]string{
			"PID-5":   "DOE&SMITH",
			"PID-5.2": "JOHN^JANE",
			"OBX-5":   `Result contains pipe | and ampersand & and caret ^ and tilde ~ and backslash \ chars`,
		}},
		{"rethinkhealth-hl7v2/edge-custom-delimiters.hl7", map[string]string{"PID-3.4": "MRN", "PID-5.3": "A", "MSH-9.2": "A01"}},
		{"rethinkhealth-hl7v2/edge-non-ascii.hl7", map[string]string{"PID-5": "MÜLLER", "PID-11.3": "München", "NK1-2": "GARCÍA"}},
		{"rethinkhealth-hl7v2/edge-field-repetitions.hl7", map[string]string{"PID-13[12]": "555-0012", "PID-13[13]": ""}},
		{"rethinkhealth-hl7v2/edge-z-segments.hl7", map[string]string{"ZVN-3.3": "VALUE3", "ZPD-5": "EXTENDED_FIELD_4"}},
		{"rethinkhealth-hl7v2/edge-crlf-line-endings.hl7", map[string]string{"PV1-3.3": "A", "PID-8": "M"}},
		{"CDCgov-trusted-intermediary/ORU-R01-v251-micro-character-encoding.hl7", map[string]string{"OBX-6": "µmol/L"}},
		{"CDCgov-trusted-intermediary/ORM-O01-v23-Oracle-8859-1.hl7", map[string]string{"MSH-18": "8859/1", "PID-3[2].4": "CMRN Pool"}},
		{"hapifhir-hapi-hl7v2/ADT-A24-v24-caret-field-separator.hl7", map[string]string{"MSH-9.2": "A24", "PID[2]-3": "22222", "PID[2]-3.4.3": "0363", "PID-5.2": "JOHN"}},
		{"hapifhir-hapi-hl7v2/OMD-O03-v25-repetitions.hl7", map[string]string{"PID-3.9.3": "ES-EX", "PID-3[2]": "CIPTWO"}},
		{"nextgenhealthcare-connect/subcomponents-minimal-v24.hl7", map[string]string{"OBX-2.1.3": "foo", "OBX-2.2.2": "bar2", "OBX-2.3": "baz"}},
		{"nextgenhealthcare-connect/whitespace-padding-v24.hl7", map[string]string{"PID-1": "1 ", "PID-2": "  4223161584", "PID-5.3": " "}},
		{"microsoft-FHIR-Converter/ADT01-23.hl7", map[string]string{"MSH-3": "AccMgr", "MSH-15": " ", "PID-5.2": "DONALD"}},
		{"LinuxForHealth-hl7v2-fhir-converter/sample_unix.hl7", map[string]string{"MSH-2": `^~\&`, "MSH-9": "ADT", "PID-3[2]": "1234568965", "OBX-17": `\r`}},
	}
	for _, tt := range tests {
		data, err := os.ReadFile(filepath.Join("testdata/corpus", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		m := mustParse(t, data)
		for path, want := range tt.want {
			if got := m.Get(path); got != want {
				t.Errorf("%s: %s = %q, want %q", tt.file, path, got, want)
			}
		}
	}
}
