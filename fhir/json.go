package fhir

import (
	"fmt"
	"sync"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"
	"google.golang.org/protobuf/proto"
)

// A Resource is one FHIR R4 resource: a generated google/fhir/go message
// such as *patient_go_proto.Patient (not a ContainedResource).
type Resource = proto.Message

// The codecs are immutable after construction and safe for concurrent use;
// building them walks every R4 descriptor, so it happens once, on first use.
var (
	marshaller = sync.OnceValues(func() (*jsonformat.Marshaller, error) {
		return jsonformat.NewMarshaller(false, "", "", fhirversion.R4)
	})
	unmarshaller = sync.OnceValues(func() (*jsonformat.Unmarshaller, error) {
		return jsonformat.NewUnmarshaller("UTC", fhirversion.R4)
	})
)

// Marshal returns the FHIR JSON of r.
func Marshal(r Resource) ([]byte, error) {
	m, err := marshaller()
	if err != nil {
		return nil, fmt.Errorf("fhir: marshaller: %w", err)
	}
	b, err := m.MarshalResource(r)
	if err != nil {
		return nil, fmt.Errorf("fhir: marshal %s: %w", TypeOf(r), err)
	}
	return b, nil
}

// Validate parses FHIR JSON of any R4 resource and reports every
// structural problem (required elements, reference targets, primitive
// formats, codes). The error text names element paths, not values.
func Validate(b []byte) error {
	u, err := unmarshaller()
	if err != nil {
		return fmt.Errorf("fhir: unmarshaller: %w", err)
	}
	if _, err := u.Unmarshal(b); err != nil {
		return fmt.Errorf("fhir: invalid resource: %w", err)
	}
	return nil
}

// TypeOf returns the FHIR resource type of r, e.g. "Patient".
func TypeOf(r Resource) string {
	return string(r.ProtoReflect().Descriptor().Name())
}
