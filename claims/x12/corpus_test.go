package x12

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedCorpus is the public sample corpus beside the repository (see
// its SOURCES.md); testdata/corpus holds a copy of part of it, so the
// package tests stand alone.
const sharedCorpus = "../../../shared/corpus/x12"

// An expectation says what a corpus file must give. The zero value means
// a well-formed file: it tokenizes, its envelopes are sound, and every
// transaction set has a supported guide, loops and no errors.
// testdata/README.md explains each file classified here.
type expectation struct {
	fatal  error    // Next fails with this sentinel
	ta1    []string // TA105 note codes that must be reported
	ak905  []string // AK905 codes that must be reported
	ik502  []string // IK502 codes that must be reported
	ik304  []string // IK304 codes that must be reported
	ik403  []string // IK403 codes that must be reported
	noLoop bool     // transaction sets that are not 5010 837/835/834/27x: no loops expected
}

var corpusExpect = map[string]expectation{
	// Acknowledgments and transaction sets without a supported guide.
	"azoner-pyx12/4010-bad_elements.expected-997.txt":                                   {ak905: []string{"2"}, ik502: []string{"1"}, noLoop: true},
	"azoner-pyx12/4010-fail_no_IEA.expected-997.txt":                                    {ak905: []string{"2"}, ik502: []string{"1"}, noLoop: true},
	"azoner-pyx12/4010-simple_837p.expected-997.txt":                                    {ak905: []string{"2"}, ik502: []string{"1"}, noLoop: true},
	"azoner-pyx12/834_ls_le_ls_5010.999.txt":                                            {ik502: []string{"1"}, noLoop: true},
	"azoner-pyx12/834_lui_id_5010.999.txt":                                              {ik502: []string{"1"}, noLoop: true},
	"imsweb-x12-parser/837_5010__x12_999_rejected.txt":                                  {ik502: []string{"1"}, noLoop: true},
	"imsweb-x12-parser/277_5010__x12_277CA_rejected.txt":                                {ik502: []string{"1"}, noLoop: true}, // 005010X214
	"irobayna-stupidedi/999_X231A1__response-to-functional-group-containing-3-837s.edi": {ik502: []string{"1"}, noLoop: true},
	"xlate-staedi/extraDelimiter997.edi":                                                {ik502: []string{"1"}, noLoop: true},
	"xlate-staedi/simple999.edi":                                                        {ik502: []string{"1"}, noLoop: true},
	"xlate-staedi/invalid999.edi":                                                       {ik502: []string{"1", "4"}, noLoop: true},
	"xlate-staedi/sample275_with_HL7_valid_BIN01.edi":                                   {ik502: []string{"1"}, noLoop: true},
	"xlate-staedi/sample837-HL-nested.edi":                                              {ik502: []string{"1"}, noLoop: true}, // GS-08 "005010" names no guide

	// 4010: a clear "unsupported version".
	"azoner-pyx12/4010-bad_elements.txt":   {ak905: []string{"2"}, ik502: []string{"1", "4"}, noLoop: true},
	"azoner-pyx12/4010-fail_no_IEA.txt":    {ta1: []string{"023"}, ak905: []string{"2"}, ik502: []string{"1", "4"}, noLoop: true},
	"azoner-pyx12/4010-simple_837p.txt":    {ak905: []string{"2"}, ik502: []string{"1"}, noLoop: true},
	"imsweb-x12-parser/x270_271__x270.txt": {ta1: []string{"001"}, ak905: []string{"2"}, ik502: []string{"1", "3", "4"}, noLoop: true},
	"imsweb-x12-parser/x270_271__x271.txt": {ta1: []string{"001"}, ak905: []string{"2"}, ik502: []string{"1", "4"}, noLoop: true},
	"zentist-TigerShark/835-example.txt":   {ta1: []string{"024", "023"}, noLoop: true},
	"zentist-TigerShark/837I-Examples.txt": {ta1: []string{"011", "013", "006", "008", "023"}, ak905: []string{"2", "3"}, ik502: []string{"1", "2", "4"}, noLoop: true},

	// Malformed 5010.
	"imsweb-x12-parser/837_5010__x12_no_isa_line.txt":                                {fatal: ErrNoISA},
	"imsweb-x12-parser/837_5010__x12_bad_first_line.txt":                             {ta1: []string{"011"}, ik502: []string{"4", "5"}, ik403: []string{"1", "7"}},
	"imsweb-x12-parser/837_5010__x12_bad_segment_identifier.txt":                     {ik502: []string{"4", "5"}, ik304: []string{"1", "3"}, ik403: []string{"1", "7"}},
	"imsweb-x12-parser/837_5010__x12_missing_elements.txt":                           {ik502: []string{"4", "5"}, ik403: []string{"1"}},
	"imsweb-x12-parser/837_5010__x12_complex.txt":                                    {ak905: []string{"5"}, ik502: []string{"4", "5"}, ik304: []string{"3"}, ik403: []string{"1", "7"}},
	"imsweb-x12-parser/837_5010__x12_many_claims.txt":                                {ik502: []string{"4", "5"}, ik403: []string{"1", "7"}},
	"imsweb-x12-parser/837_5010__x12_multiple_isa.txt":                               {ik502: []string{"4", "5"}, ik403: []string{"1", "7"}},
	"imsweb-x12-parser/837_5010__x12_multiple_st.txt":                                {ak905: []string{"5"}, ik502: []string{"23", "4", "5"}, ik403: []string{"1", "7"}},
	"imsweb-x12-parser/837_5010__x12_valid_different_separators.txt":                 {ik502: []string{"4", "5"}, ik403: []string{"1", "7"}},
	"imsweb-x12-parser/837_5010__x223-test.txt":                                      {ik502: []string{"4", "5"}, ik304: []string{"3"}, ik403: []string{"7"}},
	"LinuxForHealth-x12/271_005010X279A1__subscriber-health-benefit-check-error.271": {ik502: []string{"3"}},
	"LinuxForHealth-x12/835_005010X221A1__cob-contractural-adjustment.835":           {ik502: []string{"5"}, ik403: []string{"1", "5"}},
	"LinuxForHealth-x12/835_005010X221A1__secondary-payment.835":                     {ik502: []string{"5"}, ik403: []string{"1", "5"}},
	"LinuxForHealth-x12/837_005010X222A2__demo.ambulance.example5.837":               {ik502: []string{"5"}, ik403: []string{"1"}},
	"xlate-staedi/837-header-ref-only.edi":                                           {ik502: []string{"5"}, ik304: []string{"2", "3"}},
	"zentist-TigerShark/5010-271-example-1.txt":                                      {ik502: []string{"4"}},
	"zentist-TigerShark/5010-835-example-2.txt":                                      {ik502: []string{"3"}},
}

// corpusFiles returns every X12 file under dir: expected outputs that are
// not X12 (StAEDI's renderings) and documentation are left out.
func corpusFiles(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		if strings.Contains(name, ".expected-staedi.") || strings.HasSuffix(name, ".md") {
			return nil
		}
		files = append(files, path)
		return nil
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
		if len(files) < 10 {
			t.Fatalf("%s: only %d files", dir, len(files))
		}
		for _, path := range files {
			rel, _ := filepath.Rel(dir, path)
			rel = filepath.ToSlash(rel)
			t.Run(rel, func(t *testing.T) {
				t.Parallel()
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				checkCorpusFile(t, data, corpusExpect[rel])
			})
		}
	}
}

func checkCorpusFile(t *testing.T, data []byte, want expectation) {
	checkRoundTrip(t, data)
	p := NewParser(bytes.NewReader(data))
	var txs []*Transaction
	var fatal error
	for {
		tx, err := p.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fatal = err
			break
		}
		txs = append(txs, tx)
	}
	if want.fatal != nil || fatal != nil {
		if !errors.Is(fatal, want.fatal) {
			t.Fatalf("fatal error = %v, want %v", fatal, want.fatal)
		}
		return
	}
	got := map[Level][]string{}
	var all []*Error
	for _, ic := range p.Interchanges() {
		all = append(all, ic.Errors...)
		for _, g := range ic.Groups {
			all = append(all, g.Errors...)
		}
	}
	for _, tx := range txs {
		all = append(all, tx.Errors...)
		if !want.noLoop && tx.Root == nil {
			t.Errorf("transaction %s has no loops: %v", tx.ControlNumber, codes(tx.Errors))
		}
		if tx.Root != nil {
			checkTree(t, tx)
		}
	}
	for _, e := range all {
		got[e.Level] = append(got[e.Level], e.Code)
		if e.Offset < 0 || e.Offset > int64(len(data)) {
			t.Errorf("%v: offset outside the file", e)
		}
	}
	for _, c := range []struct {
		level Level
		want  []string
	}{{LevelInterchange, want.ta1}, {LevelGroup, want.ak905}, {LevelTransaction, want.ik502}, {LevelSegment, want.ik304}, {LevelElement, want.ik403}} {
		if len(c.want) == 0 && len(got[c.level]) > 0 {
			t.Errorf("unexpected %s errors: %v", c.level, codes(filterLevel(all, c.level)))
		}
		for _, code := range c.want {
			if !contains(got[c.level], code) {
				t.Errorf("%s code %s not reported; got %v", c.level, code, got[c.level])
			}
		}
	}
	// Every interchange can be answered, and the answer is sound X12.
	for _, ic := range p.Interchanges() {
		ack, err := Acknowledge(ic, ackConfig())
		if err != nil {
			t.Fatalf("Acknowledge: %v", err)
		}
		q := NewParser(bytes.NewReader(ack))
		for {
			if _, err := q.Next(); err != nil {
				if err != io.EOF {
					t.Fatalf("acknowledgment: %v", err)
				}
				break
			}
		}
		if a := q.Interchanges()[0]; len(a.Errors) > 0 || len(a.Groups) > 0 && len(a.Groups[0].Errors) > 0 {
			t.Fatalf("acknowledgment envelope errors")
		}
	}
}

// checkTree checks that the loop tree holds every segment of the
// transaction set exactly once, in order.
func checkTree(t *testing.T, tx *Transaction) {
	t.Helper()
	var positions []int
	var walk func(l *Loop)
	walk = func(l *Loop) {
		for _, s := range l.Segments {
			positions = append(positions, s.Position)
		}
		for _, c := range l.Children {
			if c.Parent != l {
				t.Errorf("loop %s: wrong parent", c.ID)
			}
			walk(c)
		}
	}
	walk(tx.Root)
	if len(positions) != len(tx.Segments) {
		t.Fatalf("tree holds %d segments of %d", len(positions), len(tx.Segments))
	}
	seen := make([]bool, len(tx.Segments)+1)
	for _, p := range positions {
		if p < 1 || p > len(tx.Segments) || seen[p] {
			t.Fatalf("position %d twice or out of range", p)
		}
		seen[p] = true
	}
}

// checkRoundTrip tokenizes data and checks that the segments, written
// back with their terminators, are the input: each segment's bytes are at
// its offset, and only ignorable bytes lie between segments.
func checkRoundTrip(t testing.TB, data []byte) {
	t.Helper()
	rd := NewReader(bytes.NewReader(data))
	var prevEnd int64
	var d Delimiters
	have := false
	for {
		s, err := rd.Next()
		if err != nil {
			return // tokenizer errors are checked elsewhere
		}
		end := s.Offset + int64(len(s.Raw()))
		if s.Offset < prevEnd || end > int64(len(data)) || !bytes.Equal(data[s.Offset:end], s.Raw()) {
			t.Fatalf("segment at %d is not the input's bytes", s.Offset)
		}
		for i := prevEnd; i < s.Offset; i++ {
			if !ignorable(data, i, d, have) && !ignorable(data, i, s.Delimiters(), true) {
				t.Fatalf("byte %d (%q) dropped between segments", i, data[i])
			}
		}
		d, have = s.Delimiters(), true
		prevEnd = end
		if end < int64(len(data)) {
			if data[end] != d.Segment {
				t.Fatalf("segment at %d not followed by its terminator", s.Offset)
			}
			prevEnd = end + 1
		}
	}
}

// ignorable reports whether data[i] may be skipped between segments.
func ignorable(data []byte, i int64, d Delimiters, have bool) bool {
	c := data[i]
	if i < 3 && bytes.HasPrefix(data, bom) {
		return true
	}
	if have && c == d.Segment {
		return true
	}
	switch c {
	case '\r', '\n', ' ', '\t':
		return !have || c != d.Element && c != d.Component && c != d.Repetition
	}
	return false
}

func filterLevel(errs []*Error, l Level) []*Error {
	var out []*Error
	for _, e := range errs {
		if e.Level == l {
			out = append(out, e)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestCorpusAcknowledgments compares our answers with the acknowledgments
// the source projects expect, where the corpus has both.
func TestCorpusAcknowledgments(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(sharedCorpus, "azoner-pyx12")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus not found at %s", sharedCorpus)
	}
	tests := []struct {
		input, expected string
		from, to        string // compare the expected segments from the first with id from to the first with id to
	}{
		// pyx12's 999 for an 834 with LS/LE wrappers: accepted.
		{"834_ls_le_ls.txt", "834_ls_le_ls_5010.999.txt", "AK1", "AK9"},
		// A 4010 interchange without IEA: TA1 rejects it with 023.
		{"4010-fail_no_IEA.txt", "4010-fail_no_IEA.expected-997.txt", "TA1", "TA1"},
		// A sound 4010 envelope: TA1 accepts it (its 837 is then
		// refused as an unsupported version, where pyx12's 997 accepts).
		{"4010-simple_837p.txt", "4010-simple_837p.expected-997.txt", "TA1", "TA1"},
	}
	for _, tc := range tests {
		t.Run(tc.input, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tc.input))
			if err != nil {
				t.Fatal(err)
			}
			exp, err := os.ReadFile(filepath.Join(dir, tc.expected))
			if err != nil {
				t.Fatal(err)
			}
			_, ics := parseAll(t, string(data))
			cfg := ackConfig()
			if tc.from == "TA1" {
				ics[0].AckRequested = "1" // show the TA1 even when it accepts
			}
			got, err := Acknowledge(ics[0], cfg)
			if err != nil {
				t.Fatal(err)
			}
			want := between(segmentsOf(t, exp), tc.from, tc.to)
			if len(want) == 0 {
				t.Fatalf("%s has no %s segment", tc.expected, tc.from)
			}
			compareSegments(t, between(segmentsOf(t, got), tc.from, tc.to), want)
		})
	}
}

// between returns the segments from the first starting with from up to
// and including the first starting with to.
func between(segs []string, from, to string) []string {
	start := -1
	for i, s := range segs {
		if start < 0 && strings.HasPrefix(s, from) {
			start = i
		}
		if start >= 0 && strings.HasPrefix(s, to) {
			return segs[start : i+1]
		}
	}
	return nil
}
