package hl7v2

import (
	"errors"
	"os"
	"testing"
	"time"
)

// fuzzSeeds adds the corpus copy and hand-made edge cases.
func fuzzSeeds(f *testing.F) {
	f.Helper()
	for _, path := range corpusFiles(&testing.T{}, "testdata/corpus") {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"MSH|",
		`MSH|^~\&#|A|B|C|D|2026||ADT^A01|1|P|2.7` + "\rPID|1||a\\P\\b#~^&x\\X0D\\\\.br\\\\H\\\\Zq\\\\Q\\",
		`MSH|^~\\&|A|B|C|D|2026||ADT^A01|1|P|2.6` + "\rOBX|1|TX|||\\r\"",
		`MSH#!@%*#A#B#C#D#2026##ADT!A01#1#P#2.5` + "\rPID#1##%F%%.br%\\H\\",
		minimalMSH + "||||||8859/1\rPID|1||\xe9\\XE9\\",
		minimalMSH + "||||||UNICODE UTF-8\rPID|1||\xc3\xa9\\XFF\\",
		minimalMSH + "\rPID|1||\xff\\X80\\",
		"FHS|^~\\&\rBHS|^~\\&\r" + minimalMSH + "\rBTS|1\rFTS|1",
	} {
		f.Add([]byte(s))
	}
}

// FuzzParse checks that Parse never panics, returns a message exactly when
// it returns no error, locates its errors within the input, and that
// Parse(Encode(m)) equals m; and that an ACK can always be built and read
// back, even for input that does not parse.
func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if (m == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want exactly one of them", m, err)
		}
		var orig *Message
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Offset < 0 || pe.Offset > len(data) {
				t.Fatalf("error offset %d outside %d bytes", pe.Offset, len(data))
			}
			orig, _ = ParseHeader(data)
		} else {
			roundTrip(t, m)
			orig = m
		}
		ack := NewACK(orig, AckReject, now, err)
		if _, aerr := Parse(Encode(ack)); aerr != nil {
			t.Fatalf("the ACK does not parse: %v\n%q", aerr, Encode(ack))
		}
	})
}

// FuzzParseBatch checks ParseBatch like FuzzParse.
func FuzzParseBatch(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseBatch(data)
		if (file == nil) == (err == nil) {
			t.Fatalf("ParseBatch = %v, %v: want exactly one of them", file, err)
		}
		if err != nil {
			return
		}
		for _, e := range file.Messages() {
			if (e.Message == nil) == (e.Err == nil) {
				t.Fatalf("entry at %d: message %v, error %v", e.Offset, e.Message, e.Err)
			}
			if e.Offset < 0 || e.Offset+len(e.Raw) > len(data) {
				t.Fatalf("entry at %d+%d outside %d bytes", e.Offset, len(e.Raw), len(data))
			}
			if e.Message != nil {
				roundTrip(t, e.Message)
			}
		}
	})
}

// FuzzParseTime checks that ParseTime never panics and that String
// inverts it.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026", "202603151430", "20260315143059.1234-0500", "19890818+0215", "20240229", "x"} {
		f.Add(s)
	}
	loc := time.FixedZone("", 3600)
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := ParseTime(s, loc)
		if err != nil || ts.IsZero() {
			return
		}
		back, err := ParseTime(ts.String(), loc)
		if err != nil || !back.Time.Equal(ts.Time) || back.Precision != ts.Precision || back.HasZone != ts.HasZone {
			t.Fatalf("ParseTime(%q) = %v, String %q reads back as %v, %v", s, ts, ts.String(), back, err)
		}
	})
}

// FuzzParseLocation checks that String inverts ParseLocation.
func FuzzParseLocation(f *testing.F) {
	for _, s := range []string{"PID", "PID-3[2].1", "OBX[2]-5", "PID-5.1.1", "PID[1]-3[1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLocation(s)
		if err != nil {
			return
		}
		back, err := ParseLocation(l.String())
		if err != nil {
			t.Fatalf("ParseLocation(%q).String() = %q does not parse: %v", s, l.String(), err)
		}
		if back.String() != l.String() {
			t.Fatalf("%q -> %q -> %q", s, l.String(), back.String())
		}
	})
}
