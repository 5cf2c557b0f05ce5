package x12

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// isa returns a 106-byte ISA segment with the given delimiters and
// control number (ISA-11 is the repetition separator, version 00501).
func isa(d Delimiters, ctrl string) string {
	e := string(d.Element)
	return "ISA" + e + "00" + e + "          " + e + "00" + e + "          " + e + "ZZ" + e + "SENDER         " + e +
		"ZZ" + e + "RECEIVER       " + e + "260101" + e + "1200" + e + string(d.Repetition) + e + "00501" + e + ctrl + e + "0" + e + "T" + e +
		string(d.Component) + string(d.Segment)
}

// tokens reads all segments of input, returning their ids, raw texts
// and offsets.
func tokens(t *testing.T, r io.Reader) (ids []string, raws []string, offs []int64, err error) {
	t.Helper()
	rd := NewReader(r)
	for {
		s, err := rd.Next()
		if err == io.EOF {
			return ids, raws, offs, nil
		}
		if err != nil {
			return ids, raws, offs, err
		}
		ids = append(ids, s.ID())
		raws = append(raws, string(s.Raw()))
		offs = append(offs, s.Offset)
	}
}

func TestISAWidth(t *testing.T) {
	if n := len(isa(DefaultDelimiters, "000000001")); n != 106 {
		t.Fatalf("test ISA is %d bytes, want 106", n)
	}
}

func TestReaderDelimiters(t *testing.T) {
	t.Parallel()
	std := DefaultDelimiters
	pipes := Delimiters{Element: '|', Repetition: '!', Component: '>', Segment: '\n'}
	tests := []struct {
		name  string
		input string
		ids   []string
		raws  []string // when set, the expected raw segments
	}{
		{
			name:  "tilde",
			input: isa(std, "000000001") + "GS*HC*A*B~ST*837*0001~SE*2*0001~GE*1*1~IEA*1*000000001~",
			ids:   []string{"ISA", "GS", "ST", "SE", "GE", "IEA"},
		},
		{
			name:  "CRLF after terminators",
			input: isa(std, "000000001") + "\r\nGS*HC~\r\nST*837*0001~\r\n\r\nIEA*1*000000001~\r\n",
			ids:   []string{"ISA", "GS", "ST", "IEA"},
			raws:  []string{isa(std, "000000001")[:105], "GS*HC", "ST*837*0001", "IEA*1*000000001"},
		},
		{
			name:  "newline terminator with blank lines and indentation",
			input: isa(pipes, "000000001") + "GS|HC\n\n  ST|837|0001\n\tSE|2|0001\n",
			ids:   []string{"ISA", "GS", "ST", "SE"},
			raws:  []string{isa(pipes, "000000001")[:105], "GS|HC", "ST|837|0001", "SE|2|0001"},
		},
		{
			name: "two interchanges, different delimiters",
			input: isa(std, "000000001") + "GS*HC*A~IEA*1*000000001~\n" +
				isa(pipes, "000000002") + "GS|HP|A*B~C\nIEA|1|000000002\n",
			ids:  []string{"ISA", "GS", "IEA", "ISA", "GS", "IEA"},
			raws: []string{isa(std, "000000001")[:105], "GS*HC*A", "IEA*1*000000001", isa(pipes, "000000002")[:105], "GS|HP|A*B~C", "IEA|1|000000002"},
		},
		{
			name:  "CR terminator, CRLF lines",
			input: strings.TrimSuffix(isa(std, "000000001"), "~") + "\r\nGS*HC\r\nIEA*1*000000001\r\n",
			ids:   []string{"ISA", "GS", "IEA"},
			raws:  []string{isa(std, "000000001")[:105], "GS*HC", "IEA*1*000000001"},
		},
		{
			name:  "byte-order mark",
			input: "\xEF\xBB\xBF" + isa(std, "000000001") + "GS*HC~",
			ids:   []string{"ISA", "GS"},
		},
		{
			name:  "last segment without terminator",
			input: isa(std, "000000001") + "GS*HC~IEA*1*000000001",
			ids:   []string{"ISA", "GS", "IEA"},
		},
		{
			name:  "ISA with a short field still gives its delimiters",
			input: strings.Replace(isa(std, "000000001"), "*          *00", "*         *00", 1) + "GS*HC~",
			ids:   []string{"ISA", "GS"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// One byte at a time must give the same segments as
			// one read: the buffer refills mid-segment.
			for _, r := range []io.Reader{strings.NewReader(tc.input), iotest.OneByteReader(strings.NewReader(tc.input))} {
				ids, raws, offs, err := tokens(t, r)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Join(ids, " ") != strings.Join(tc.ids, " ") {
					t.Fatalf("ids = %v, want %v", ids, tc.ids)
				}
				if tc.raws != nil && strings.Join(raws, "|#|") != strings.Join(tc.raws, "|#|") {
					t.Fatalf("raws = %q, want %q", raws, tc.raws)
				}
				for i, off := range offs {
					if !strings.HasPrefix(tc.input[off:], raws[i]) {
						t.Errorf("segment %d: offset %d does not point at it", i, off)
					}
				}
			}
		})
	}
}

func TestReaderRepetition(t *testing.T) {
	t.Parallel()
	// 00501: ISA-11 is the repetition separator.
	in := isa(DefaultDelimiters, "000000001") + "EB*1**1^33^35*X:Y:Z~"
	rd := NewReader(strings.NewReader(in))
	s, _ := rd.Next()
	if d := s.Delimiters(); d != DefaultDelimiters {
		t.Fatalf("delimiters = %+v", d)
	}
	s, err := rd.Next()
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Repetitions(3); n != 3 {
		t.Errorf("EB03 repetitions = %d, want 3", n)
	}
	if v := string(s.Repetition(3, 2)); v != "33" {
		t.Errorf("EB03[2] = %q", v)
	}
	if v := string(s.Component(4, 3)); v != "Z" {
		t.Errorf("EB04-3 = %q", v)
	}
	if s.Component(4, 4) != nil || s.Element(9) != nil || s.Repetition(3, 4) != nil {
		t.Error("absent parts are not nil")
	}
	// 00401: ISA-11 is "U", the standards identifier, not a separator.
	in4010 := strings.Replace(isa(DefaultDelimiters, "000000001"), "*^*00501*", "*U*00401*", 1) + "EB*1**1^33~"
	rd = NewReader(strings.NewReader(in4010))
	s, _ = rd.Next()
	if s.Delimiters().Repetition != 0 {
		t.Fatalf("4010 repetition = %q, want none", s.Delimiters().Repetition)
	}
	s, _ = rd.Next()
	if n := s.Repetitions(3); n != 1 || string(s.Element(3)) != "1^33" {
		t.Errorf("4010 EB03 = %q in %d repetitions", s.Element(3), n)
	}
}

func TestReaderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		err   error
	}{
		{"no ISA", "GS*HC*A~ST*837~", ErrNoISA},
		{"ISA too short", "ISA*00*01~", ErrISA},
		{"alphanumeric component separator", strings.Replace(isa(DefaultDelimiters, "000000001"), "*:~", "*A~", 1), ErrDelimiters},
		{"terminator equal to element separator", strings.Replace(isa(DefaultDelimiters, "000000001"), "*:~", "*:*", 1) + "GS*HC*", ErrDelimiters},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, _, err := tokens(t, strings.NewReader(tc.input))
			var se *SyntaxError
			if !errors.Is(err, tc.err) || !errors.As(err, &se) {
				t.Fatalf("err = %v, want a SyntaxError wrapping %v", err, tc.err)
			}
			if se.Offset != 0 {
				t.Errorf("offset = %d, want 0", se.Offset)
			}
		})
	}
	// The delimiter errors tell which note code a TA1 would carry.
	_, _, _, err := tokens(t, strings.NewReader(strings.Replace(isa(DefaultDelimiters, "000000001"), "*:~", "*A~", 1)))
	if noteOf(err) != "027" {
		t.Errorf("note = %s, want 027", noteOf(err))
	}
}

func TestReaderMaxSegment(t *testing.T) {
	t.Parallel()
	in := isa(DefaultDelimiters, "000000001") + "NTE*" + strings.Repeat("A", 5000) + "~GS*HC~"
	rd := NewReader(strings.NewReader(in))
	rd.SetMaxSegment(1000)
	if _, err := rd.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := rd.Next(); !errors.Is(err, ErrSegmentTooLong) {
		t.Fatalf("err = %v, want ErrSegmentTooLong", err)
	}
	// Within the limit, a segment longer than the initial buffer works.
	in = isa(DefaultDelimiters, "000000001") + "NTE*" + strings.Repeat("A", 200000) + "~GS*HC~"
	_, raws, _, err := tokens(t, strings.NewReader(in))
	if err != nil || len(raws) != 3 || len(raws[1]) != 200004 {
		t.Fatalf("long segment: %v, %d segments", err, len(raws))
	}
}

// TestReaderBoundedMemory reads 20 MB through the reader and checks that
// the buffer did not grow with the input.
func TestReaderBoundedMemory(t *testing.T) {
	t.Parallel()
	data := synthetic837P(t, 40000)
	if len(data) < 8<<20 {
		t.Fatalf("only %d bytes", len(data))
	}
	rd := NewReader(bytes.NewReader(data))
	n := 0
	for {
		_, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if len(rd.buf) > defaultBufSize || n != rd.Count() {
		t.Fatalf("buffer grew to %d bytes; count %d/%d", len(rd.buf), n, rd.Count())
	}
}

func TestSegmentCloneAndAppend(t *testing.T) {
	t.Parallel()
	in := isa(DefaultDelimiters, "000000001") + "NM1*85*2*CLINIC*****XX*1234567893~N3*1 WAY~"
	rd := NewReader(strings.NewReader(in))
	rd.Next()
	s, _ := rd.Next()
	c := s.Clone()
	rd.Next() // invalidates s, not c
	if c.ID() != "NM1" || c.Value(8) != "XX" || c.Len() != 9 || !c.Is(1, "85") {
		t.Fatalf("clone: id %s, NM108 %q, len %d", c.ID(), c.Value(8), c.Len())
	}
	if got := string(c.AppendTo(nil)); got != "NM1*85*2*CLINIC*****XX*1234567893~" {
		t.Fatalf("AppendTo = %q", got)
	}
	if got := c.String(); strings.Contains(got, "CLINIC") {
		t.Fatalf("String leaks a value: %q", got)
	}
}

// TestTokenizeNoAllocs checks the hot path: no allocation per segment.
func TestTokenizeNoAllocs(t *testing.T) {
	data := synthetic837P(t, 200)
	rd := NewReader(bytes.NewReader(data))
	rd.Next()
	allocs := testing.AllocsPerRun(1000, func() {
		s, err := rd.Next()
		if err == nil {
			_ = s.ID()
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per segment", allocs)
	}
}
