package pipeline

import (
	"strings"
	"testing"

	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	conpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/condition_go_proto"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/fhir/labels"
	"github.com/tributary-health/tributary/stream"
)

// TestNormalizerLabels: with a Labeler, the fhir.v1 record of a converted
// resource with a sensitive code carries meta.security; without, none.
func TestNormalizerLabels(t *testing.T) {
	t.Parallel()
	conversion := func() Conversion {
		return Conversion{Resources: []Converted{{Resource: &conpb.Condition{
			Id: &dtpb.Id{Value: "c1"},
			Code: &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{
				System: &dtpb.Uri{Value: "http://hl7.org/fhir/sid/icd-10-cm"}, Code: &dtpb.Code{Value: "F11.20"},
			}}},
			Subject: &dtpb.Reference{Reference: &dtpb.Reference_PatientId{PatientId: &dtpb.ReferenceId{Value: "p1"}}},
		}}}}
	}
	env := event.Envelope{ID: "env-1", Format: event.FormatHL7v2, Kind: "ADT^A08"}
	for _, tc := range []struct {
		name    string
		labeler interface{ Apply(fhir.Resource) bool }
		want    bool
	}{
		{"labeler", labels.Default(), true},
		{"no labeler", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := &Normalizer{cfg: NormalizerConfig{Stream: stream.Config{Topics: event.NewTopics("")}, Labeler: tc.labeler}}
			recs, err := n.resourceRecords(env, conversion())
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 {
				t.Fatalf("%d records, want 1", len(recs))
			}
			v := string(recs[0].Value)
			if err := fhir.Validate(recs[0].Value); err != nil {
				t.Errorf("Validate: %v", err)
			}
			got := strings.Contains(v, `"security":[{"code":"SUD","display":"substance use disorder information sensitivity","system":"http://terminology.hl7.org/CodeSystem/v3-ActCode"},{"code":"R"`)
			if got != tc.want {
				t.Errorf("record carries SUD+R labels: %v, want %v\n%s", got, tc.want, v)
			}
		})
	}
}
