package event

import (
	"fmt"
	"time"
)

// A Format names the upstream syntax of an envelope's payload.
type Format uint8

// The formats Tributary ingests.
const (
	FormatUnknown Format = iota
	FormatHL7v2
	FormatX12
	FormatCDC
)

var formatNames = [...]string{
	FormatUnknown: "unknown",
	FormatHL7v2:   "hl7v2",
	FormatX12:     "x12",
	FormatCDC:     "cdc",
}

// String returns the lower-case name used in topic names and headers.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("format(%d)", uint8(f))
}

// ParseFormat is the inverse of [Format.String].
func ParseFormat(s string) (Format, error) {
	for i, n := range formatNames {
		if n == s && Format(i) != FormatUnknown {
			return Format(i), nil
		}
	}
	return FormatUnknown, fmt.Errorf("event: unknown format %q", s)
}

// An Envelope is one upstream message, unmodified, plus where it came from.
// Payload is never parsed or logged by code that only routes it.
type Envelope struct {
	// ID is assigned at ingest and identifies this receipt end to end; two
	// receipts of the same bytes get two IDs (resource ids, not envelope
	// ids, make duplicates converge).
	ID       string
	Format   Format
	Kind     string    // "ADT^A01", "837P", "PATIENT.UPDATE"; empty when unknown
	Received time.Time // when the adapter read it, in UTC
	Source   string    // the adapter instance, e.g. "mllp"; never a person
	// Key is the partition key: all envelopes with one key keep their order.
	// It names a sending system (MSH-4, ISA06, a table key), never a raw MRN.
	Key     string
	Attrs   map[string]string // provenance: MSH-10, ISA13/GS06/ST02, CDC log position
	Payload []byte
}
