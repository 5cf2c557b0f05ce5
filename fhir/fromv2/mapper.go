package fromv2

import (
	"time"

	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
)

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
	cfg   Config
	vocab *vocabulary
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
	return &Mapper{cfg: cfg, vocab: v}, nil
}

// A Result is what one message becomes.
type Result struct {
	// Resources in the order they should be applied.
	Resources []fhir.Resource
	// PatientID is the id of the message's Patient.
	PatientID string
	// SourceTime is MSH-7, the time the sender created the message; zero
	// when MSH-7 is empty.
	SourceTime time.Time
}

// supportedADT lists the ADT trigger events whose Patient we map: those
// that carry the patient's demographics in PID.
var supportedADT = map[string]bool{
	"A01": true, "A04": true, "A05": true, "A08": true, "A28": true, "A31": true,
}

// Convert maps msg. Its errors are [*hl7v2.Error] values naming the field
// and the table 0357 code.
func (m *Mapper) Convert(msg *hl7v2.Message) (Result, error) {
	msh := msg.Segment("MSH")
	if msh == nil {
		return Result{}, &hl7v2.Error{Location: hl7v2.Location{Segment: "MSH"}, Code: hl7v2.CodeSegmentSequence, Message: "MSH segment missing"}
	}
	typ := msh.Field(9)
	if code := value(typ.Comp(1).Value()); code != "ADT" {
		return Result{}, &hl7v2.Error{Location: hl7v2.Location{Segment: "MSH", Field: 9, Component: 1}, Code: hl7v2.CodeUnsupportedMessageType, Message: "message type not supported"}
	}
	if ev := value(typ.Comp(2).Value()); !supportedADT[ev] {
		return Result{}, &hl7v2.Error{Location: hl7v2.Location{Segment: "MSH", Field: 9, Component: 2}, Code: hl7v2.CodeUnsupportedEventCode, Message: "event not supported"}
	}
	loc := m.location(msh)
	var res Result
	if s := value(msh.Get(7)); s != "" {
		ts, err := hl7v2.ParseTime(s, loc)
		if err != nil {
			return Result{}, fieldError("MSH", 7, hl7v2.CodeDataType, "message date/time is not a valid timestamp")
		}
		res.SourceTime = ts.Time
	}
	pid := msg.Segment("PID")
	if pid == nil {
		return Result{}, &hl7v2.Error{Location: hl7v2.Location{Segment: "PID"}, Code: hl7v2.CodeSegmentSequence, Message: "PID segment missing"}
	}
	p, err := m.patient(msh, pid, loc)
	if err != nil {
		return Result{}, err
	}
	res.Resources = []fhir.Resource{p}
	res.PatientID = p.GetId().GetValue()
	return res, nil
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
