package hl7v2

import (
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// msg joins segment lines with CR, the standard terminator.
func msg(lines ...string) []byte { return []byte(strings.Join(lines, "\r") + "\r") }

// minimalMSH is an MSH that passes Parse's checks.
const minimalMSH = `MSH|^~\&|APP|FAC|RAPP|RFAC|20260301120000||ADT^A01^ADT_A01|CTRL1|P|2.5.1`

// mustParse parses data or fails the test.
func mustParse(t *testing.T, data []byte) *Message {
	t.Helper()
	m, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if m == nil {
		t.Fatal("Parse returned nil message and nil error")
	}
	return m
}

// messageDiff compares what Parse(Encode(m)) must preserve: delimiters and
// segments.
func messageDiff(want, got *Message) string {
	if d := cmp.Diff(want.Delimiters, got.Delimiters); d != "" {
		return "delimiters: " + d
	}
	return cmp.Diff(want.Segments(""), got.Segments(""))
}

// roundTrip checks Parse(Encode(m)) == m.
func roundTrip(t *testing.T, m *Message) {
	t.Helper()
	enc := Encode(m)
	m2, err := Parse(enc)
	if err != nil {
		t.Fatalf("Parse(Encode(m)): %v\nencoded: %q", err, enc)
	}
	if reflect.DeepEqual(m.Delimiters, m2.Delimiters) && reflect.DeepEqual(m.segments, m2.segments) {
		return // the fast path, for fuzzing; cmp explains a difference
	}
	if d := messageDiff(m, m2); d != "" {
		t.Fatalf("Parse(Encode(m)) differs (-want +got):\n%s\nencoded: %q", d, enc)
	}
}
