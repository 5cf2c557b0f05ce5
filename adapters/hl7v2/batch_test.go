package hl7v2

import (
	"errors"
	"strings"
	"testing"
)

func TestParseBatch(t *testing.T) {
	t.Parallel()
	m1 := `MSH|^~\&|A|B|C|D|2026||ADT^A01|M1|P|2.5` + "\rPID|1\r"
	m2 := `MSH#!@%*#A#B#C#D#2026##ORU!R01#M2#P#2.5` + "\rOBX#1\r"
	bad := "MSH|^~\\&|A|B|C|D|2026||ADT^A01|M3|P|1.0\r"
	tests := []struct {
		name     string
		in       string
		batches  int
		controls []string
		header   bool
		trailer  bool
	}{
		{"messages only", m1 + "\n\n" + m2, 1, []string{"M1", "M2"}, false, false},
		{"full envelope", "FHS|^~\\&|F\rBHS|^~\\&|B\r" + m1 + m2 + "BTS|2\rFTS|1\r", 1, []string{"M1", "M2"}, true, true},
		{"no trailers", "FHS|^~\\&|F\r\nBHS|^~\\&|B\r\n" + m1 + m2, 1, []string{"M1", "M2"}, true, false},
		{"two batches", "FHS|^~\\&\rBHS|^~\\&\r" + m1 + "BTS|1\rBHS|^~\\&\r" + m2 + "BTS|1\rFTS|2", 2, []string{"M1", "M2"}, true, true},
		{"batch without BHS", m1 + "BTS|1\r" + m2, 2, []string{"M1", "M2"}, false, false},
		{"empty counts", "BHS|^~\\&\r" + m1 + "BTS|\rFTS|", 1, []string{"M1"}, false, true},
		{"empty batch", "FHS|^~\\&\rBHS|^~\\&\rBTS|0\rFTS|1", 1, nil, true, true},
		{"one bad message", m1 + bad + m2, 1, []string{"M1", "", "M2"}, false, false},
		{"BOM and blank lines", bom + "\r\n" + m1 + "\r\n\r\n", 1, []string{"M1"}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := ParseBatch([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseBatch: %v", err)
			}
			if len(f.Batches) != tt.batches {
				t.Errorf("batches = %d, want %d", len(f.Batches), tt.batches)
			}
			if (f.Header != nil) != tt.header || (f.Trailer != nil) != tt.trailer {
				t.Errorf("FHS %v FTS %v, want %v %v", f.Header != nil, f.Trailer != nil, tt.header, tt.trailer)
			}
			entries := f.Messages()
			if len(entries) != len(tt.controls) {
				t.Fatalf("messages = %d, want %d", len(entries), len(tt.controls))
			}
			for i, e := range entries {
				if !strings.HasPrefix(tt.in[e.Offset:], "MSH") {
					t.Errorf("message %d: offset %d is not at its MSH", i, e.Offset)
				}
				if string(e.Raw) != tt.in[e.Offset:e.Offset+len(e.Raw)] || !strings.HasPrefix(string(e.Raw), "MSH") {
					t.Errorf("message %d: Raw is not the input at its offset", i)
				}
				if tt.controls[i] == "" {
					var pe *ParseError
					if !errors.As(e.Err, &pe) || e.Message != nil {
						t.Errorf("message %d: err %v, want a parse error", i, e.Err)
					} else if pe.Offset < e.Offset || pe.SegmentIndex < 2 {
						t.Errorf("message %d: error offset %d / segment %d not relative to the input", i, pe.Offset, pe.SegmentIndex)
					}
					continue
				}
				if e.Err != nil {
					t.Errorf("message %d: %v", i, e.Err)
					continue
				}
				if got := e.Message.ControlID(); got != tt.controls[i] {
					t.Errorf("message %d: control id %q, want %q", i, got, tt.controls[i])
				}
			}
			if strings.Contains(tt.name, "bad") {
				return
			}
			// Round trip, offsets aside.
			f2, err := ParseBatch(EncodeBatch(f))
			if err != nil {
				t.Fatalf("ParseBatch(EncodeBatch): %v", err)
			}
			e2 := f2.Messages()
			if len(e2) != len(entries) || len(f2.Batches) != len(f.Batches) {
				t.Fatalf("round trip: %d messages in %d batches, want %d in %d", len(e2), len(f2.Batches), len(entries), len(f.Batches))
			}
			for i := range entries {
				if d := messageDiff(entries[i].Message, e2[i].Message); d != "" {
					t.Errorf("round trip message %d:\n%s", i, d)
				}
			}
		})
	}
}

func TestParseBatchErrors(t *testing.T) {
	t.Parallel()
	m := `MSH|^~\&|A|B|C|D|2026||ADT^A01|M1|P|2.5` + "\r"
	tests := []struct {
		name string
		in   string
		err  error
		code ErrorCode
		loc  string
	}{
		{"empty", " \r\n", ErrEmpty, CodeSegmentSequence, "MSH"},
		{"segment before MSH", "PID|1\r" + m, ErrNoMSH, CodeSegmentSequence, "MSH"},
		{"FHS not first", m + "FHS|^~\\&", ErrBatch, CodeSegmentSequence, "FHS"},
		{"after FTS", m + "FTS|1\r" + m, ErrBatch, CodeSegmentSequence, ""},
		{"BTS count", "BHS|^~\\&\r" + m + "BTS|2", ErrBatchCount, CodeSegmentSequence, "BTS-1"},
		{"FTS count", "FHS|^~\\&\r" + m + "FTS|3", ErrBatchCount, CodeSegmentSequence, "FTS-1"},
		{"BTS not a number", m + "BTS|x", ErrNumber, CodeDataType, "BTS-1"},
		{"bad BHS delimiters", "BHS|^^^^\r" + m, ErrDelimiters, CodeDataType, "BHS-2"},
		{"bare BHS", "BHS\r" + m, ErrRequired, CodeRequiredFieldMissing, "BHS-1"},
		{"bad trailer", m + "BTS#1", ErrSegmentID, CodeSegmentSequence, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := ParseBatch([]byte(tt.in))
			if f != nil || !errors.Is(err, tt.err) {
				t.Fatalf("ParseBatch = %v, %v; want %v", f, err, tt.err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Code != tt.code || pe.Location.String() != tt.loc {
				t.Errorf("error %v: code %d at %q, want %d at %q", err, pe.Code, pe.Location, tt.code, tt.loc)
			}
		})
	}
}
