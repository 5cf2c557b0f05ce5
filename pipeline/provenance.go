package pipeline

import (
	"strconv"
	"time"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	provpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/provenance_go_proto"

	"github.com/tributary-health/tributary/adapters/cdc"
	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/stream"
)

// The envelope as a Provenance entity: its id as the identifier, where
// it sits in Kafka as extensions (an offset does not fit a FHIR integer).
const (
	systemEnvelope    = "urn:tributary:envelope"
	extKafkaTopic     = "https://tributary.health/fhir/StructureDefinition/kafka-topic"
	extKafkaPartition = "https://tributary.health/fhir/StructureDefinition/kafka-partition"
	extKafkaOffset    = "https://tributary.health/fhir/StructureDefinition/kafka-offset"
)

// addProvenance makes the raw envelope the source of what c produced:
// a Provenance the converter made (the HL7 mapping's, from MSH) gains the
// envelope as an entity; otherwise a Provenance is added whose targets
// are c's resources and whose agent is the envelope's source. Both are
// deterministic, so a re-conversion after a crash yields the same record.
func addProvenance(env event.Envelope, in stream.Record, c *Conversion) {
	entity := &provpb.Provenance_Entity{
		Role: &provpb.Provenance_Entity_RoleCode{Value: cpb.ProvenanceEntityRoleCode_SOURCE},
		What: &dtpb.Reference{
			Identifier: &dtpb.Identifier{System: &dtpb.Uri{Value: systemEnvelope}, Value: &dtpb.String{Value: env.ID}},
			Extension: []*dtpb.Extension{
				{Url: &dtpb.Uri{Value: extKafkaTopic}, Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_StringValue{StringValue: &dtpb.String{Value: in.Topic}}}},
				{Url: &dtpb.Uri{Value: extKafkaPartition}, Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_Integer{Integer: &dtpb.Integer{Value: in.Partition}}}},
				{Url: &dtpb.Uri{Value: extKafkaOffset}, Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_StringValue{StringValue: &dtpb.String{Value: strconv.FormatInt(in.Offset, 10)}}}},
			},
		},
	}
	var targets []*dtpb.Reference
	person := ""
	for _, r := range c.Resources {
		if p, ok := r.Resource.(*provpb.Provenance); ok {
			p.Entity = append(p.Entity, entity)
			return
		}
		typ, id := r.Type, r.ID
		if r.Resource != nil {
			typ, id = fhir.TypeOf(r.Resource), resourceID(r.Resource)
		}
		if typ == "" || id == "" {
			continue
		}
		targets = append(targets, &dtpb.Reference{Reference: &dtpb.Reference_Uri{Uri: &dtpb.String{Value: typ + "/" + id}}})
		if person == "" {
			person = r.Patient
		}
	}
	if len(targets) == 0 {
		return
	}
	received := env.Received.UTC().Truncate(time.Microsecond)
	p := &provpb.Provenance{
		Id:       &dtpb.Id{Value: fhir.ID("Provenance", systemEnvelope, env.ID)},
		Target:   targets,
		Recorded: &dtpb.Instant{ValueUs: received.UnixMicro(), Timezone: "Z", Precision: dtpb.Instant_MICROSECOND},
		Agent: []*provpb.Provenance_Agent{{
			Type: &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{
				System: &dtpb.Uri{Value: "http://terminology.hl7.org/CodeSystem/provenance-participant-type"},
				Code:   &dtpb.Code{Value: "author"},
			}}},
			Who: sendingSystem(env),
		}},
		Entity: []*provpb.Provenance_Entity{entity},
	}
	c.Resources = append(c.Resources, Converted{Resource: p, Patient: person})
}

// Identifier systems of the sending systems named as Provenance agents.
const (
	systemX12Sender = "urn:tributary:x12:sender" // ISA-05:ISA-06
	systemCDCServer = "urn:tributary:cdc:server" // Debezium source.name
	systemAdapter   = "urn:tributary:adapter"    // the intake, when the source names no system
)

// sendingSystem names who sent an envelope: the X12 interchange sender,
// the CDC connector's logical server, else the adapter that received it.
// The display says which intake it came through.
func sendingSystem(env event.Envelope) *dtpb.Reference {
	system, value := systemAdapter, env.Source
	switch {
	case env.Format == event.FormatX12 && env.Attrs["sender"] != "":
		system, value = systemX12Sender, env.Attrs["sender"]
	case env.Format == event.FormatCDC && env.Attrs[cdc.AttrServer] != "":
		system, value = systemCDCServer, env.Attrs[cdc.AttrServer]
	}
	ref := &dtpb.Reference{Display: &dtpb.String{Value: "via " + env.Source}}
	if value != "" {
		ref.Identifier = &dtpb.Identifier{System: &dtpb.Uri{Value: system}, Value: &dtpb.String{Value: value}}
	}
	return ref
}
