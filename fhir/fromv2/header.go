package fromv2

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"time"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	mhpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/message_header_go_proto"
	provpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/provenance_go_proto"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
)

const (
	systemV2Event       = "http://terminology.hl7.org/CodeSystem/v2-0003"
	systemV2MessageType = "http://terminology.hl7.org/CodeSystem/v2-0076"
	// SystemMessageControlID qualifies MSH-10 in Provenance.entity: the
	// sender's system plus this suffix.
	messageControlSuffix = "#message-control-id"
)

// header builds the MessageHeader (MSH[MessageHeader]) and the Provenance
// (MSH[Provenance-Source]) of the message, after the segments, so both can
// point at everything the message produced. Segments no map handled are
// kept verbatim on the MessageHeader.
func (c *conv) header() error {
	msh := c.msh
	control := value(msh.Get(10))
	if control == "" {
		// MSH-10 is required, but senders omit it; the message's own hash
		// identifies it instead, so a resend still converges.
		sum := sha256.Sum256(hl7v2.Encode(c.msg))
		control = "sha256:" + hex.EncodeToString(sum[:16])
	}
	var focus, targets []*dtpb.Reference
	for _, e := range c.entries {
		targets = append(targets, refTo(e.Resource))
		if e.Patient != "" {
			focus = append(focus, refTo(e.Resource))
		}
	}
	mh := &mhpb.MessageHeader{
		Id: &dtpb.Id{Value: fhir.ID("MessageHeader", c.sender+messageControlSuffix, control)},
		Event: &mhpb.MessageHeader_EventX{Choice: &mhpb.MessageHeader_EventX_Coding{Coding: &dtpb.Coding{
			System: &dtpb.Uri{Value: systemV2Event},
			Code:   &dtpb.Code{Value: value(msh.Field(9).Comp(2).Value())},
		}}},
		Source: &mhpb.MessageHeader_MessageSource{Endpoint: &dtpb.Url{Value: endpoint(msh.Field(3).Comp(1), msh.Field(3).Rep(1))}},
		Focus:  focus,
	}
	if a := msh.Field(3).Rep(1); value(a.Comp(1).Value()) != "" {
		mh.Source.Name = str(value(a.Comp(1).Value()))
	}
	if s := value(msh.Field(12).Comp(1).Value()); s != "" {
		mh.Source.Version = str(s)
	}
	if r := c.hdOrganization(hdComps(msh.Field(4).Rep(1))); r != nil {
		mh.Sender = r
	}
	if a := msh.Field(5).Rep(1); !a.Empty() {
		d := &mhpb.MessageHeader_MessageDestination{Endpoint: &dtpb.Url{Value: endpoint(a.Comp(1), a)}}
		if s := value(a.Comp(1).Value()); s != "" {
			d.Name = str(s)
		}
		if r := c.hdOrganization(hdComps(msh.Field(6).Rep(1))); r != nil {
			d.Receiver = r
		}
		mh.Destination = []*mhpb.MessageHeader_MessageDestination{d}
	}
	for _, seg := range c.orphans {
		mh.Extension = append(mh.Extension, stringExtension(extSegment, c.encodeSegment(seg)))
	}
	c.add(mh, true)
	targets = append(targets, refTo(mh))

	// Provenance.recorded is an instant: MSH-7 to the second, in its zone.
	ts, err := hl7v2.ParseTime(value(msh.Get(7)), c.loc)
	if err != nil || value(msh.Get(7)) == "" {
		return nil // no time to record; MSH-7 errors were reported before
	}
	p := &provpb.Provenance{
		Id:       &dtpb.Id{Value: fhir.ID("Provenance", c.sender+messageControlSuffix, control)},
		Target:   targets,
		Recorded: &dtpb.Instant{ValueUs: ts.Time.Truncate(time.Second).UnixMicro(), Timezone: offset(ts.Time), Precision: dtpb.Instant_SECOND},
		Activity: &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{
			System: &dtpb.Uri{Value: systemV2Event},
			Code:   &dtpb.Code{Value: value(msh.Field(9).Comp(2).Value())},
		}}},
		Entity: []*provpb.Provenance_Entity{{
			Role: &provpb.Provenance_Entity_RoleCode{Value: cpb.ProvenanceEntityRoleCode_SOURCE},
			What: &dtpb.Reference{
				Identifier: &dtpb.Identifier{System: &dtpb.Uri{Value: c.sender + messageControlSuffix}, Value: str(control)},
				Display:    str("HL7 v2 message " + c.event),
			},
		}},
	}
	who := mh.Sender
	if who == nil {
		who = &dtpb.Reference{Display: str("sending application")}
	}
	p.Agent = []*provpb.Provenance_Agent{{
		Type: &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{
			System: &dtpb.Uri{Value: "http://terminology.hl7.org/CodeSystem/provenance-participant-type"},
			Code:   &dtpb.Code{Value: "author"},
		}}},
		Who: who,
	}}
	if evn := c.msg.Segment("EVN"); evn != nil {
		if r := c.practitioner(evn.Field(5).Rep(1)); r != nil {
			p.Agent = append(p.Agent, &provpb.Provenance_Agent{
				Type: &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{
					System: &dtpb.Uri{Value: "http://terminology.hl7.org/CodeSystem/provenance-participant-type"},
					Code:   &dtpb.Code{Value: "enterer"},
				}}},
				Who: r,
			})
		}
		if reason := c.codedValue(value(evn.Field(4).Comp(1).Value()), "EventReason", "0062"); reason != nil {
			p.Reason = []*dtpb.CodeableConcept{reason}
		}
	}
	c.add(p, true)
	return nil
}

// endpoint names a v2 application as a URI: its universal id when it has
// one, else a Tributary URN from its namespace id.
func endpoint(ns hl7v2.Component, hd hl7v2.Repetition) string {
	if uid := value(hd.Comp(2).Value()); uid != "" {
		if fhir.IsOID(uid) {
			return "urn:oid:" + uid
		}
		if u, err := url.Parse(uid); err == nil && u.Scheme != "" && !strings.ContainsAny(uid, " \t") {
			return uid
		}
		return "urn:tributary:v2:application:" + url.PathEscape(uid)
	}
	if n := value(ns.Value()); n != "" {
		return "urn:tributary:v2:application:" + url.PathEscape(n)
	}
	return "urn:tributary:v2:application:unknown"
}
