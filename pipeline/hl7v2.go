package pipeline

import (
	"context"
	"strconv"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir/fromv2"
)

// HL7v2 converts HL7 v2 envelopes with a [fromv2.Mapper].
type HL7v2 struct {
	Mapper *fromv2.Mapper
}

// Convert parses the envelope's payload and maps it. Parse and mapping
// errors are permanent, located [*hl7v2.Error] or [*hl7v2.ParseError] values.
func (h HL7v2) Convert(_ context.Context, env event.Envelope) (Conversion, error) {
	msg, err := hl7v2.Parse(env.Payload)
	if err != nil {
		return Conversion{}, err
	}
	return h.convert(msg)
}

func (h HL7v2) convert(msg *hl7v2.Message) (Conversion, error) {
	res, err := h.Mapper.Convert(msg)
	if err != nil {
		return Conversion{}, err
	}
	c := Conversion{SourceTime: res.SourceTime, Unmapped: res.Unmapped}
	for _, e := range res.Entries {
		c.Resources = append(c.Resources, Converted{Resource: e.Resource, Patient: e.Patient})
	}
	return c, nil
}

// MappingVersion returns [fromv2.MappingVersion]; see [Versioned].
func (h HL7v2) MappingVersion() string { return fromv2.MappingVersion }

// Check reports whether msg would convert, with the same error Convert
// would give; the MLLP listener uses it to answer AE/AR before the
// normalizer ever sees the message.
func (h HL7v2) Check(msg *hl7v2.Message) error {
	_, err := h.convert(msg)
	return err
}

// The HL7 v2 error types are permanent and carry their place and table
// 0357 code; these read them for the dead-letter headers.

func knownPermanent(err error) bool {
	_, ok := hl7v2.AsError(err)
	return ok
}

func knownCode(err error) string {
	if e, ok := hl7v2.AsError(err); ok {
		return "hl7v2." + strconv.Itoa(int(e.Code))
	}
	return ""
}

func knownLocation(err error) string {
	if e, ok := hl7v2.AsError(err); ok {
		return e.Location.String()
	}
	return ""
}
