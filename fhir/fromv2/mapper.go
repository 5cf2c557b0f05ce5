package fromv2

import (
	"time"

	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
)

// MappingVersion names the version of this package's HL7 v2 to FHIR
// mapping. The pipeline records it in every resource's meta.tag, so a
// replay after a mapping fix is visible. Bump it whenever the output for
// some input changes.
const MappingVersion = "1"

// Config configures a [Mapper].
type Config struct {
	// Systems maps assigning authorities to identifier system URIs.
	Systems fhir.Systems
	// DefaultLocation is the zone of HL7 timestamps that carry no offset.
	// Nil means UTC.
	DefaultLocation *time.Location
	// FacilityLocations overrides DefaultLocation per sending facility,
	// keyed by MSH-4.1 (namespace id).
	FacilityLocations map[string]*time.Location
}

// A Mapper converts HL7 v2 messages to FHIR R4. It is safe for concurrent
// use.
type Mapper struct {
	cfg        Config
	vocab      *vocabulary
	structures map[string]structure
}

// New returns a Mapper. It fails only if the embedded concept maps cannot
// be read.
func New(cfg Config) (*Mapper, error) {
	if cfg.DefaultLocation == nil {
		cfg.DefaultLocation = time.UTC
	}
	v, err := loadVocabulary()
	if err != nil {
		return nil, err
	}
	st, err := loadStructures()
	if err != nil {
		return nil, err
	}
	return &Mapper{cfg: cfg, vocab: v, structures: st}, nil
}

// A Result is what one message becomes.
type Result struct {
	// Entries in the order they should be applied: the resources others
	// reference come first.
	Entries []Entry
	// PatientID is the id of the message's Patient; empty for an order
	// message without PID.
	PatientID string
	// SourceTime is MSH-7, the time the sender created the message; zero
	// when MSH-7 is empty.
	SourceTime time.Time
	// Unmapped names the data the message carried that no FHIR element
	// holds, preserved verbatim instead: "PID-18" for a field of a mapped
	// segment, "ZPI" for a whole segment. Field and segment names only,
	// never values, so they can label metrics.
	Unmapped []string
}

// location returns the zone for timestamps without an offset from the
// sending facility of msh.
func (m *Mapper) location(msh *hl7v2.Segment) *time.Location {
	if l, ok := m.cfg.FacilityLocations[msh.Field(4).Comp(1).Value()]; ok && l != nil {
		return l
	}
	return m.cfg.DefaultLocation
}

// value returns s, or "" for the HL7 explicit null `""`: a snapshot
// message that nulls a field means the field is now empty.
func value(s string) string {
	if hl7v2.IsNull(s) {
		return ""
	}
	return s
}

func fieldError(seg string, field int, code hl7v2.ErrorCode, msg string) *hl7v2.Error {
	return &hl7v2.Error{Location: hl7v2.Location{Segment: seg, Field: field}, Code: code, Message: msg}
}

func str(s string) *dtpb.String { return &dtpb.String{Value: s} }
