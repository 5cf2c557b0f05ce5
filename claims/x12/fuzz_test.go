package x12

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// fuzzSeeds adds the corpus copy, a generated 837P and hand-made edge
// cases.
func fuzzSeeds(f *testing.F) {
	f.Helper()
	for _, path := range corpusFiles(f, "testdata/corpus") {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(synthetic837P(f, 3))
	d := DefaultDelimiters
	for _, s := range []string{
		"",
		"ISA",
		"ISA*",
		isa(d, "000000001"),
		isa(d, "000000001") + "GS*HC~ST*837*0001*005010X222A1~HL*1**20*1~HL*2*1*22*0~CLM*1~SE*5*0001~",
		"\xEF\xBB\xBF" + isa(Delimiters{Element: '|', Repetition: '!', Component: '>', Segment: '\n'}, "000000002") + "GS|HP\n\n  ST|835|0001\r\n",
		envelope("HC", "837", "005010X222A1", base837P),
		envelope("HP", "835", "005010X221A1", []string{"BPR*I*1*C*CHK", "LX*1", "CLP*1*1*1*1**12", "SVC*HC:1*1*1", "PLB*1*20260101*CV:1*1"}),
		envelope("BE", "834", "005010X220A1", []string{"BGN*00*1*20260101", "INS*Y*18", "LS*2700", "LX*1", "N1*75*X", "LE*2700"}),
		strings.Repeat(isa(d, "000000003")+"IEA*0*000000003~", 3),
	} {
		f.Add([]byte(s))
	}
}

// FuzzTokenizer checks that the tokenizer never panics, that its errors
// are located inside the input, and that the segments it returns, written
// back with their terminators, are exactly the input without the bytes it
// may skip (line breaks, blanks, empty segments, a byte-order mark).
func FuzzTokenizer(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := NewReader(bytes.NewReader(data))
		for {
			s, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				var se *SyntaxError
				if !errors.As(err, &se) || se.Offset < 0 || se.Offset > int64(len(data)) {
					t.Fatalf("error %v: not a located SyntaxError", err)
				}
				break
			}
			if len(s.Raw()) == 0 || s.Len() < 0 {
				t.Fatalf("empty segment at %d", s.Offset)
			}
			// Accessors stay in bounds for any position.
			for i := -1; i <= s.Len()+1; i++ {
				s.Element(i)
				s.Component(i, 2)
				s.Repetition(i, 2)
			}
		}
		checkRoundTrip(t, data)
	})
}

// FuzzLoops checks that parsing, loop building and acknowledging never
// panic; that every transaction set's tree holds each of its segments
// once; that errors are located inside the input; and that the
// acknowledgment is sound X12.
func FuzzLoops(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		p := NewParser(bytes.NewReader(data))
		for {
			tx, err := p.Next()
			if err != nil {
				break
			}
			if tx.Root != nil {
				checkTree(t, tx)
			}
			for _, e := range tx.Errors {
				if e.Offset < 0 || e.Offset > int64(len(data)) || e.Position < 0 || e.Position > len(tx.Segments)+1 {
					t.Fatalf("%v: not located in the input", e)
				}
				_ = e.Error()
			}
		}
		for _, ic := range p.Interchanges() {
			ack, err := Acknowledge(ic, ackConfig())
			if err != nil {
				if errors.Is(err, ErrDelimiters) {
					continue // no repetition separator left to answer with
				}
				t.Fatalf("Acknowledge: %v", err)
			}
			q := NewParser(bytes.NewReader(ack))
			for {
				if _, err := q.Next(); err != nil {
					if err != io.EOF {
						t.Fatalf("acknowledgment does not parse: %v", err)
					}
					break
				}
			}
			if a := q.Interchanges()[0]; len(a.Errors) > 0 {
				t.Fatalf("acknowledgment envelope: %v", codes(a.Errors))
			}
		}
	})
}
