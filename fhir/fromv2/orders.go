package fromv2

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	apb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/appointment_go_proto"
	drpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/diagnostic_report_go_proto"
	docpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/document_reference_go_proto"
	impb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/immunization_go_proto"
	orgpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/organization_go_proto"
	prpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/practitioner_go_proto"
	prrpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/practitioner_role_go_proto"
	srpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/service_request_go_proto"
	sppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/specimen_go_proto"
	vspb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/valuesets_go_proto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
)

// The order maps: ORC, OBR, TQ1 and NTE into ServiceRequest (ORM^O01,
// OML^O21, and the order behind an ORU^R01 or MDM^T02), and the helpers
// the result, specimen, immunization, scheduling and document maps share.

func init() {
	register("ORC[ServiceRequest]", (*conv).orcServiceRequest, 1, 2, 3, 4, 5, 7, 9, 12, 14, 16, 21, 22, 23, 24, 28, 29, 33, 38)
	register("OBR[ServiceRequest]", (*conv).obrServiceRequest, 1, 2, 3, 4, 5, 6, 11, 16, 17, 27, 29, 31, 46, 47, 53)
	register("TQ1[ServiceRequest]", (*conv).tq1ServiceRequest, 1, 2, 4, 6, 7, 8, 9, 11, 13, 14)
	// The NTE maps differ only in the resource they annotate: the one
	// the NTE follows (c.last). NTE-1 is the order of the notes, which
	// the note list keeps.
	register("NTE[ServiceRequest]", (*conv).nte, 1, 3, 4, 5, 6)
	register("NTE[Observation]", (*conv).nte, 1, 3, 4, 5, 6)
}

const (
	systemV2_0203         = "http://terminology.hl7.org/CodeSystem/v2-0203"
	extAlternateCodes     = "http://hl7.org/fhir/StructureDefinition/alternate-codes"
	extBusinessEvent      = "http://hl7.org/fhir/StructureDefinition/businessEvent"
	extRequestStatus      = "http://hl7.org/fhir/StructureDefinition/request-statusReason"
	extCallbackPhone      = "http://hl7.org/fhir/StructureDefinition/servicerequest-order-callback-phone-number"
	extAnnotationType     = "http://hl7.org/fhir/StructureDefinition/annotationType"
	extDiagnosticNote     = "http://hl7.org/fhir/5.0/StructureDefinition/extension-DiagnosticReport.note"
	extPerformerFunction  = "http://hl7.org/fhir/StructureDefinition/event-performerFunction"
	systemV3Participation = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
)

// orderState is the order group being mapped: the ORC, OBR, OBX, SPM and
// RXA maps share it, and the scheduling (SCH, AI*) and document (TXA,
// OBX) maps keep their resource here too.
type orderState struct {
	segs       []*hl7v2.Segment // the message's segments, for looking ahead
	patientRef string           // "Patient/<id>", once asked for

	orc, obr *hl7v2.Segment // the group's ORC and OBR, once seen
	// key is what the group's resources derive their ids from: the
	// filler order number (else the placer's) as system|value.
	key      string
	request  *srpb.ServiceRequest
	report   *drpb.DiagnosticReport
	imm      *impb.Immunization
	specimen *sppb.Specimen // the SPM of a SPECIMEN group; OBX after it observe the specimen
	obx      *hl7v2.Segment // the OBX last mapped to an Observation
	nOBX     int            // OBX seen in the group, numbering those without a set id
	nSPM     int
	// document is set between an ORU ORC and its OBR: the IG leaves the
	// ORDER_DOCUMENT group (OBX, TXA) unmapped until FHIR R5.
	document bool

	// noted is the NTE segment already mapped: MDM^T02's sheet gives the
	// same NTE two maps.
	noted *hl7v2.Segment

	appt *apb.Appointment
	doc  *docpb.DocumentReference
	text []docText // the document's TX/FT lines, by content type

	visGroups map[string]*impb.Immunization_Education // VIS OBX by OBX-4
	apptNote  *dtpb.Annotation                        // the Appointment's comments, one line per NTE
}

// begin starts the order group of seg (an ORC, or an OBR or RXA that comes
// without one).
func (o *orderState) begin(orc *hl7v2.Segment) {
	*o = orderState{segs: o.segs, patientRef: o.patientRef, orc: orc, noted: o.noted, appt: o.appt, doc: o.doc, text: o.text, apptNote: o.apptNote}
}

// segments returns the message's segments.
func (c *conv) segments() []*hl7v2.Segment {
	if c.order.segs == nil {
		c.order.segs = c.msg.Segments("")
	}
	return c.order.segs
}

// next returns the first segment with id want after seg, or nil if a
// segment with an id in stop (or the end) comes first.
func (c *conv) next(seg *hl7v2.Segment, want string, stop ...string) *hl7v2.Segment {
	segs := c.segments()
	i := 0
	for i < len(segs) && segs[i] != seg {
		i++
	}
	if i == len(segs) {
		return nil
	}
	for _, s := range segs[i+1:] {
		if s.ID == want {
			return s
		}
		if contains(stop, s.ID) {
			return nil
		}
	}
	return nil
}

// setPrimary makes r the resource the segment's unmapped data are kept
// on, unless an earlier map of the segment already made one.
func (c *conv) setPrimary(r fhir.Resource) {
	if c.primary == nil {
		c.primary = r
	}
}

// enumOf returns the proto enum value of a FHIR code ("entered-in-error"
// → ENTERED_IN_ERROR) from an enum's name→value map.
func enumOf(names map[string]int32, code string) (int32, bool) {
	v, ok := names[strings.ToUpper(strings.ReplaceAll(code, "-", "_"))]
	return v, ok && v != 0
}

// typedIdentifier returns id with a v2 table 0203 type (PLAC, FILL, PGN,
// FGN), as the IG's order maps assign.
func typedIdentifier(id *dtpb.Identifier, code string) *dtpb.Identifier {
	if id == nil {
		return nil
	}
	id.Type = &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{System: &dtpb.Uri{Value: systemV2_0203}, Code: &dtpb.Code{Value: code}}}}
	return id
}

// eiSubs maps an EI that is a component (its parts are subcomponents), as
// in EIP and NDL: EI[Identifier-Extension].
func (c *conv) eiSubs(comp hl7v2.Component) *dtpb.Identifier {
	return c.eiIdentifier(hl7v2.Repetition{{comp.Sub(1)}, {comp.Sub(2)}, {comp.Sub(3)}, {comp.Sub(4)}})
}

// orderNumbers returns the placer and filler order numbers of an order
// group: ORC-2/ORC-3, else OBR-2/OBR-3.
func (c *conv) orderNumbers(orc, obr *hl7v2.Segment) (placer, filler *dtpb.Identifier) {
	placer = c.eiIdentifier(orc.Field(2).Rep(1))
	if placer == nil {
		placer = c.eiIdentifier(obr.Field(2).Rep(1))
	}
	filler = c.eiIdentifier(orc.Field(3).Rep(1))
	if filler == nil {
		filler = c.eiIdentifier(obr.Field(3).Rep(1))
	}
	return placer, filler
}

func idKey(id *dtpb.Identifier) string {
	return id.GetSystem().GetValue() + "|" + id.GetValue().GetValue()
}

// groupKey is what an order group's resources derive their ids from: the
// filler order number, the placer's, or (neither sent) the patient, the
// service and its time, so a corrected result lands on the same ids.
func (c *conv) groupKey(orc, obr *hl7v2.Segment) string {
	placer, filler := c.orderNumbers(orc, obr)
	switch {
	case filler != nil:
		return "filler|" + idKey(filler)
	case placer != nil:
		return "placer|" + idKey(placer)
	}
	return "derived|" + c.patientID + "|" + value(obr.Field(4).Comp(1).Value()) + "|" + value(obr.Get(7)) + "|" + value(orc.Get(9))
}

// orderIdentifiers returns the PLAC and FILL identifiers of a group.
func (c *conv) orderIdentifiers(orc, obr *hl7v2.Segment) []*dtpb.Identifier {
	placer, filler := c.orderNumbers(orc, obr)
	var ids []*dtpb.Identifier
	if placer != nil {
		ids = append(ids, typedIdentifier(placer, "PLAC"))
	}
	if filler != nil {
		ids = append(ids, typedIdentifier(filler, "FILL"))
	}
	return ids
}

// subject references the message's patient. A resource that requires
// its subject (ServiceRequest, Immunization) fails when the message has
// no patient, or, in a message type the IG has no sheet for, declines
// the segment; one that does not goes without.
func (c *conv) subject(seg string, required bool) (*dtpb.Reference, error) {
	switch {
	case c.patient != nil:
		if c.order.patientRef == "" {
			c.order.patientRef = "Patient/" + c.patientID
		}
		return &dtpb.Reference{Reference: &dtpb.Reference_Uri{Uri: &dtpb.String{Value: c.order.patientRef}}}, nil
	case !required:
		return nil, nil
	case c.structure == "":
		return nil, errDecline
	}
	return nil, &hl7v2.Error{Location: hl7v2.Location{Segment: "PID"}, Code: hl7v2.CodeSegmentSequence, Message: "PID segment missing: the " + seg + " segment's resource needs a subject"}
}

// errDecline is returned by a segment map whose segment, where it stands
// in this message, is not its to map: an ORC without the RXA of an
// immunization, an RXR of a medication order in a message type the IG
// has no sheet for (whose segments every sheet's maps are tried on).
var errDecline = errors.New("fromv2: segment not for this map")

// register adds the segment map name, implemented by fn, carrying fields.
func register(name string, fn func(*conv, *hl7v2.Segment) error, fields ...int) {
	segmentMaps[name] = segmentMapper{fn: segMap(name, fn), fields: fields}
}

// segMap adapts a map function: an *hl7v2.Error that names only the
// segment's id gets its occurrence (OBX[3]-5), and a declined segment is
// kept (see [conv.declined]).
func segMap(name string, fn func(*conv, *hl7v2.Segment) error) func(*conv, *hl7v2.Segment) error {
	return func(c *conv, seg *hl7v2.Segment) error {
		err := fn(c, seg)
		if errors.Is(err, errDecline) {
			c.declined(seg, name)
			return nil
		}
		var he *hl7v2.Error
		if errors.As(err, &he) && he.Location.Segment == seg.ID && he.Location.Sequence == 0 {
			n := 0
			for _, s := range c.segments() {
				if s.ID == seg.ID {
					n++
				}
				if s == seg {
					break
				}
			}
			he.Location.Sequence = n
		}
		return err
	}
}

// declined keeps the data of seg that the map name declined: the whole
// segment when no other map of it made a resource (yet), else the segment
// on that resource when it values a field only name claims (which the
// preservation of unmapped fields counts as carried).
func (c *conv) declined(seg *hl7v2.Segment, name string) {
	if c.primary == nil {
		c.keep(seg)
		return
	}
	sheet := genericSheet
	if st, ok := eventStructures[c.event]; ok {
		sheet = st.sheet
	}
	others := map[int]bool{}
	for _, m := range append(append([]string(nil), c.m.structures[sheet][seg.ID]...), extraMaps[c.structure][seg.ID]...) {
		if m == name {
			continue
		}
		for _, f := range segmentMaps[m].fields {
			others[f] = true
		}
	}
	mine := segmentMaps[name].fields
	c.keepOn(c.primary, seg, func(f int) bool { return !others[f] && slices.Contains(mine, f) })
}

// keepOn preserves seg on r when it values a field for which lost
// reports true: a field a registration claims that this path of the map
// does not carry. The segment's other unmapped fields then need no second
// copy.
func (c *conv) keepOn(r fhir.Resource, seg *hl7v2.Segment, lost func(field int) bool) {
	kept := false
	for i := 1; i <= len(seg.Fields); i++ {
		if lost(i) && !seg.Field(i).Empty() {
			kept = true
			c.unmapped = append(c.unmapped, seg.ID+"-"+strconv.Itoa(i))
		}
	}
	if kept {
		appendExtension(r, stringExtension(extSegment, c.encodeSegment(seg)))
		c.primary = &dtpb.Extension{} // a sink: the segment is kept already
	}
}

// keep preserves seg whole on the MessageHeader, for a segment that no
// resource holds where it stands, and makes sure its fields are not kept
// a second time.
func (c *conv) keep(seg *hl7v2.Segment) {
	c.orphans = append(c.orphans, seg)
	c.unmapped = append(c.unmapped, seg.ID)
	c.primary = &dtpb.Extension{} // a sink: the segment is kept already
}

// requestStatus maps ORC-5 (OrderStatus), else ORC-1 (OrderControlCode),
// to ServiceRequest.status; an order saying neither is "unknown".
func (c *conv) requestStatus(orc *hl7v2.Segment) cpb.RequestStatusCode_Value {
	for _, f := range []struct {
		field int
		vocab string
	}{{5, "OrderStatus"}, {1, "OrderControlCode[ServiceRequest.status]"}} {
		if con, ok := c.m.vocab.lookup(f.vocab, value(orc.Get(f.field))); ok {
			if v, ok := enumOf(cpb.RequestStatusCode_Value_value, con.Code); ok {
				return cpb.RequestStatusCode_Value(v)
			}
		}
	}
	return cpb.RequestStatusCode_UNKNOWN
}

// serviceRequest returns the group's ServiceRequest, creating it from the
// group's ORC and OBR (looked ahead to when the ORC comes first).
func (c *conv) serviceRequest(seg *hl7v2.Segment, orc, obr *hl7v2.Segment) (*srpb.ServiceRequest, error) {
	if c.order.request != nil {
		return c.order.request, nil
	}
	sub, err := c.subject(seg.ID, true)
	if err != nil {
		return nil, err
	}
	sr := &srpb.ServiceRequest{
		Status:  &srpb.ServiceRequest_StatusCode{Value: cpb.RequestStatusCode_UNKNOWN},
		Intent:  &srpb.ServiceRequest_IntentCode{Value: cpb.RequestIntentCode_ORDER},
		Subject: sub,
	}
	placer, filler := c.orderNumbers(orc, obr)
	switch {
	case placer != nil:
		sr.Id = &dtpb.Id{Value: fhir.ID("ServiceRequest", placer.GetSystem().GetValue(), placer.GetValue().GetValue())}
	case filler != nil:
		sr.Id = &dtpb.Id{Value: fhir.ID("ServiceRequest", filler.GetSystem().GetValue(), filler.GetValue().GetValue())}
	default:
		sr.Id = &dtpb.Id{Value: derivedID("ServiceRequest", c.groupKey(orc, obr))}
	}
	sr.Identifier = c.orderIdentifiers(orc, obr)
	if c.encounter != nil {
		sr.Encounter = refTo(c.encounter)
	}
	sr = c.add(sr, true).(*srpb.ServiceRequest)
	c.order.request = sr
	if c.order.report != nil {
		c.order.report.BasedOn = append(c.order.report.BasedOn, refTo(sr))
	}
	return sr, nil
}

// orcServiceRequest maps ORC[ServiceRequest]. In VXU^V04 the sheet makes
// the ServiceRequest optional ("only if the system wants to know about the
// order"): the ORC's data go to the Immunization there instead.
func (c *conv) orcServiceRequest(orc *hl7v2.Segment) error {
	if c.structure == "VXU_V04" {
		return errDecline
	}
	if c.order.orc != orc {
		c.order.begin(orc)
		c.order.document = c.structure == "ORU_R01"
	}
	obr := c.next(orc, "OBR", "ORC")
	if obr == nil && c.structure == "ORU_R01" {
		return &hl7v2.Error{Location: hl7v2.Location{Segment: "OBR"}, Code: hl7v2.CodeSegmentSequence, Message: "ORC without its OBR"}
	}
	sr, err := c.serviceRequest(orc, orc, obr)
	if err != nil {
		return err
	}
	c.setPrimary(sr)
	c.last = sr
	if c.order.key == "" {
		c.order.key = c.groupKey(orc, obr)
	}
	sr.Status.Value = c.requestStatus(orc)
	// ORC-1 and ORC-9: the business event (IG: extension businessEvent,
	// with the order control code and its time).
	ev := &dtpb.Extension{Url: &dtpb.Uri{Value: extBusinessEvent}}
	if code := value(orc.Get(1)); code != "" {
		ev.Extension = append(ev.Extension, &dtpb.Extension{
			Url:   &dtpb.Uri{Value: "value"},
			Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_CodeableConcept{CodeableConcept: v2Code("0119", code)}},
		})
	}
	when, err := c.fieldTime(orc, 9)
	if err != nil {
		return err
	}
	if when != nil {
		ev.Extension = append(ev.Extension, &dtpb.Extension{
			Url:   &dtpb.Uri{Value: "date"},
			Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_DateTime{DateTime: when}},
		})
		if strings.EqualFold(value(orc.Get(1)), "NW") {
			sr.AuthoredOn = when
		}
	}
	if len(ev.Extension) > 0 {
		sr.Extension = append(sr.Extension, ev)
	}
	placerGroup, fillerGroup := c.groupNumbers(orc)
	sr.Requisition = typedIdentifier(placerGroup, "PGN")
	if fg := c.eiIdentifier(orc.Field(38).Rep(1)); fg != nil {
		sr.Identifier = append(sr.Identifier, typedIdentifier(fg, "FGN"))
	} else if fillerGroup != nil {
		sr.Identifier = append(sr.Identifier, typedIdentifier(fillerGroup, "FGN"))
	}
	if err := c.timingQuantity(sr, orc, 7); err != nil {
		return err
	}
	if r := c.requester(orc.Field(12).Rep(1), orc.Field(21).Rep(1)); r != nil {
		sr.Requester = r
		// ORC-22 and ORC-23, the ordering facility's address and phone;
		// ORC-24, the ordering provider's address.
		org := c.organization(orc.Field(21).Rep(1))
		for _, rep := range orc.Field(22) {
			c.addAddress(org, rep)
		}
		if o, ok := c.resourceOf(org).(*orgpb.Organization); ok {
			for _, rep := range orc.Field(23) {
				if cp := c.m.contactPoint(rep, cpb.ContactPointUseCode_WORK); cp != nil && !containsProto(o.Telecom, cp) {
					o.Telecom = append(o.Telecom, cp)
				}
			}
		}
		for _, rep := range orc.Field(24) {
			c.addAddress(c.practitioner(orc.Field(12).Rep(1)), rep)
		}
	}
	if value(obr.Get(17)) == "" {
		if cp := c.m.contactPoint(orc.Field(14).Rep(1), cpb.ContactPointUseCode_WORK); cp != nil {
			sr.Extension = append(sr.Extension, &dtpb.Extension{Url: &dtpb.Uri{Value: extCallbackPhone}, Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_ContactPoint{ContactPoint: cp}}})
		}
	}
	if value(orc.Get(5)) == "" {
		if cc := c.codeableConcept(orc.Field(16).Rep(1), ""); cc != nil {
			sr.Extension = append(sr.Extension, ccExtension(extRequestStatus, cc))
		}
	}
	c.security(sr, orc.Field(28))
	if cc := c.codeableConcept(orc.Field(29).Rep(1), "OrderType"); cc != nil {
		sr.LocationCode = append(sr.LocationCode, cc)
	}
	if value(obr.Field(53).Value()) == "" {
		if id := typedIdentifier(c.cxIdentifier(orc.Field(33).Rep(1)), "PLAC"); id != nil {
			sr.Identifier = append(sr.Identifier, id)
		}
	}
	return nil
}

// groupNumbers reads ORC-4: the placer group number, an EI, except in
// v2.8.x, where ORC-4 is an EIP of the placer's and the filler's group
// numbers (the IG's ORC-4.2 rows).
func (c *conv) groupNumbers(orc *hl7v2.Segment) (placer, filler *dtpb.Identifier) {
	rep := orc.Field(4).Rep(1)
	if !strings.HasPrefix(value(c.msh.Field(12).Comp(1).Value()), "2.8") {
		return c.eiIdentifier(rep), nil
	}
	return c.eiSubs(rep.Comp(1)), c.eiSubs(rep.Comp(2))
}

// obrServiceRequest maps OBR[ServiceRequest]: the OBR of an order
// message, or the order behind an ORU^R01 or MDM^T02 report.
func (c *conv) obrServiceRequest(obr *hl7v2.Segment) error {
	if c.order.obr != obr {
		c.startOBR(obr)
	}
	sr, err := c.serviceRequest(obr, c.order.orc, obr)
	if err != nil {
		return err
	}
	c.setPrimary(sr)
	if c.structure != "ORU_R01" {
		c.last = sr
	}
	if c.order.key == "" {
		c.order.key = c.groupKey(c.order.orc, obr)
	}
	if c.order.orc != nil && (value(c.order.orc.Get(2)) == "" || value(c.order.orc.Get(3)) == "") {
		// Numbers the ORC left out come from the OBR (IF ORC-2/ORC-3 NOT
		// VALUED); a ServiceRequest made from the OBR alone has them.
		have := map[string]bool{}
		for _, id := range sr.Identifier {
			have[idKey(id)] = true
		}
		for _, id := range c.orderIdentifiers(nil, obr) {
			if !have[idKey(id)] {
				sr.Identifier = append(sr.Identifier, id)
			}
		}
	}
	if cc := c.codeableConcept(obr.Field(4).Rep(1), ""); cc != nil {
		sr.Code = cc
	}
	if p := c.priority(value(obr.Get(5))); p != nil && sr.Priority == nil {
		sr.Priority = p // after the ORC's timing (ORC-7), which is the order's
	}
	if sr.Occurrence == nil {
		dt, err := c.fieldTime(obr, 6)
		if err != nil {
			return err
		}
		if dt != nil {
			sr.Occurrence = &srpb.ServiceRequest_OccurrenceX{Choice: &srpb.ServiceRequest_OccurrenceX_DateTime{DateTime: dt}}
		}
	}
	// OBR-11 specimen action code: G (generated) is a reflex order; the
	// IG's "#add-on#" for A is no R4 intent code, so A stays an order.
	if strings.EqualFold(value(obr.Get(11)), "G") {
		sr.Intent.Value = cpb.RequestIntentCode_REFLEX_ORDER
	}
	if sr.Requester == nil {
		sr.Requester = c.practitioner(obr.Field(16).Rep(1))
	}
	if cp := c.m.contactPoint(obr.Field(17).Rep(1), cpb.ContactPointUseCode_WORK); cp != nil && sr.Requester != nil {
		sr.Requester.Extension = append(sr.Requester.Extension, &dtpb.Extension{Url: &dtpb.Uri{Value: extCallbackPhone}, Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_ContactPoint{ContactPoint: cp}}})
	}
	if value(c.order.orc.Get(7)) == "" && value(c.order.orc.Get(6)) == "" {
		if err := c.timingQuantity(sr, obr, 27); err != nil {
			return err
		}
	}
	if value(obr.Field(29).Comp(1).Value()) != "" || value(obr.Field(29).Comp(2).Value()) != "" {
		// OBR-29 parent: the order this one was reflexed from, by its
		// identifiers (the IG's basedOn.identifier).
		for i, code := range []string{"PLAC", "FILL"} {
			if id := typedIdentifier(c.eiSubs(obr.Field(29).Comp(i+1)), code); id != nil {
				sr.BasedOn = append(sr.BasedOn, &dtpb.Reference{Type: &dtpb.Uri{Value: "ServiceRequest"}, Identifier: id})
			}
		}
	}
	for _, rep := range obr.Field(31) {
		if cc := c.codeableConcept(rep, ""); cc != nil {
			sr.ReasonCode = append(sr.ReasonCode, cc)
		}
	}
	for _, f := range []int{46, 47} {
		for _, rep := range obr.Field(f) {
			if cc := c.codeableConcept(rep, ""); cc != nil {
				sr.OrderDetail = append(sr.OrderDetail, cc)
			}
		}
	}
	if id := typedIdentifier(c.cxIdentifier(obr.Field(53).Rep(1)), "PLAC"); id != nil {
		sr.Identifier = append(sr.Identifier, id)
	}
	return nil
}

// startOBR makes obr the group's OBR; an OBR after another one without an
// ORC between starts a group of its own.
func (c *conv) startOBR(obr *hl7v2.Segment) {
	if c.order.orc == nil || c.order.obr != nil {
		c.order.begin(nil)
	}
	c.order.obr = obr
	c.order.document = false
}

// priority maps a v2 priority code (ExtendedPriorityCodes).
func (c *conv) priority(code string) *srpb.ServiceRequest_PriorityCode {
	if con, ok := c.m.vocab.lookup("ExtendedPriorityCodes", code); ok {
		if v, ok := enumOf(cpb.RequestPriorityCode_Value_value, con.Code); ok {
			return &srpb.ServiceRequest_PriorityCode{Value: cpb.RequestPriorityCode_Value(v)}
		}
	}
	return nil
}

// timingQuantity maps a TQ field (ORC-7, OBR-27) by TQ[ServiceRequest]:
// quantity, start and end as the timing's bounds, priority, text. The
// interval (TQ.2, an RI) is not mapped: it is kept with the segment.
func (c *conv) timingQuantity(sr *srpb.ServiceRequest, seg *hl7v2.Segment, n int) error {
	tq := seg.Field(n).Rep(1)
	if tq.Empty() {
		return nil
	}
	if q, ok := quantity(tq.Comp(1).Sub(1), hl7v2.Repetition{hl7v2.Component{tq.Comp(1).Sub(2)}}); ok {
		sr.Quantity = &srpb.ServiceRequest_QuantityX{Choice: &srpb.ServiceRequest_QuantityX_Quantity{Quantity: q}}
	}
	start, err := c.dateTimeAt(tq.Comp(4).Sub(1), hl7v2.Location{Segment: seg.ID, Field: n, Component: 4})
	if err != nil {
		return err
	}
	end, err := c.dateTimeAt(tq.Comp(5).Sub(1), hl7v2.Location{Segment: seg.ID, Field: n, Component: 5})
	if err != nil {
		return err
	}
	if p := period(start, end); p != nil {
		sr.Occurrence = &srpb.ServiceRequest_OccurrenceX{Choice: &srpb.ServiceRequest_OccurrenceX_Timing{Timing: &dtpb.Timing{
			Repeat: &dtpb.Timing_Repeat{Bounds: &dtpb.Timing_Repeat_BoundsX{Choice: &dtpb.Timing_Repeat_BoundsX_Period{Period: p}}},
		}}}
	}
	if p := c.priority(value(tq.Comp(6).Value())); p != nil {
		sr.Priority = p
	}
	if t := value(tq.Comp(8).Value()); t != "" {
		sr.Note = append(sr.Note, &dtpb.Annotation{Text: &dtpb.Markdown{Value: t}})
	}
	return nil
}

// tq1ServiceRequest maps TQ1[ServiceRequest]: quantity, start and end,
// priority, text instruction, total occurrences.
func (c *conv) tq1ServiceRequest(tq1 *hl7v2.Segment) error {
	sr := c.order.request
	if sr == nil {
		return errDecline // a TQ1 outside an order
	}
	c.setPrimary(sr)
	if q, ok := quantity(tq1.Field(2).Comp(1).Value(), cqUnits(tq1.Field(2).Rep(1))); ok {
		sr.Quantity = &srpb.ServiceRequest_QuantityX{Choice: &srpb.ServiceRequest_QuantityX_Quantity{Quantity: q}}
	}
	start, err := c.fieldTime(tq1, 7)
	if err != nil {
		return err
	}
	end, err := c.fieldTime(tq1, 8)
	if err != nil {
		return err
	}
	rep := &dtpb.Timing_Repeat{}
	if p := period(start, end); p != nil {
		rep.Bounds = &dtpb.Timing_Repeat_BoundsX{Choice: &dtpb.Timing_Repeat_BoundsX_Period{Period: p}}
	} else if q, ok := quantity(tq1.Field(6).Comp(1).Value(), cqUnits(tq1.Field(6).Rep(1))); ok {
		// TQ1-6, the service duration, bounds the timing when it has no
		// start or end.
		rep.Bounds = &dtpb.Timing_Repeat_BoundsX{Choice: &dtpb.Timing_Repeat_BoundsX_Duration{Duration: &dtpb.Duration{Value: q.Value, Unit: q.Unit, System: q.System, Code: q.Code}}}
	}
	// TQ1-4, explicit times of day.
	for i, r := range tq1.Field(4) {
		if s := value(r.Value()); s != "" {
			t, ok := timeOfDay(s)
			if !ok {
				return &hl7v2.Error{Location: hl7v2.Location{Segment: "TQ1", Field: 4, Repetition: i + 1}, Code: hl7v2.CodeDataType, Message: "explicit time is not a valid time"}
			}
			rep.TimeOfDay = append(rep.TimeOfDay, t)
		}
	}
	// TQ1-13, how long each occurrence lasts: CQ[decimal] and CQ[code].
	if s := value(tq1.Field(13).Comp(1).Value()); s != "" {
		d, ok := decimal(s)
		u, known := unitsOfTime[strings.ToLower(value(tq1.Field(13).Comp(2).Sub(1)))]
		if !ok || !known {
			return fieldError("TQ1", 13, hl7v2.CodeDataType, "occurrence duration is not a number of time units")
		}
		rep.Duration = &dtpb.Decimal{Value: d}
		rep.DurationUnit = &dtpb.Timing_Repeat_DurationUnitCode{Value: u}
	}
	if s := value(tq1.Get(14)); s != "" {
		n, ok := positiveInt(s)
		if !ok {
			return fieldError("TQ1", 14, hl7v2.CodeDataType, "total occurrences is not a positive number")
		}
		rep.CountMax = &dtpb.PositiveInt{Value: n}
	}
	if rep.Bounds != nil || rep.CountMax != nil || len(rep.TimeOfDay) > 0 || rep.Duration != nil {
		sr.Occurrence = &srpb.ServiceRequest_OccurrenceX{Choice: &srpb.ServiceRequest_OccurrenceX_Timing{Timing: &dtpb.Timing{Repeat: rep}}}
	}
	if p := c.priority(value(tq1.Field(9).Comp(1).Value())); p != nil {
		sr.Priority = p
	}
	if t := value(tq1.Get(11)); t != "" {
		sr.Note = append(sr.Note, &dtpb.Annotation{Text: &dtpb.Markdown{Value: t}})
	}
	return nil
}

// unitsOfTime maps UCUM and ISO+ time units to FHIR's units of time.
var unitsOfTime = map[string]vspb.UnitsOfTimeValueSet_Value{
	"s": vspb.UnitsOfTimeValueSet_S, "sec": vspb.UnitsOfTimeValueSet_S,
	"min": vspb.UnitsOfTimeValueSet_MIN, "m": vspb.UnitsOfTimeValueSet_MIN,
	"h": vspb.UnitsOfTimeValueSet_H, "hr": vspb.UnitsOfTimeValueSet_H,
	"d": vspb.UnitsOfTimeValueSet_D, "wk": vspb.UnitsOfTimeValueSet_WK,
	"mo": vspb.UnitsOfTimeValueSet_MO, "a": vspb.UnitsOfTimeValueSet_A, "yr": vspb.UnitsOfTimeValueSet_A,
}

// cqUnits returns the units of a CQ field (CQ.2, a CWE held in
// subcomponents) as a repetition for [quantity].
func cqUnits(cq hl7v2.Repetition) hl7v2.Repetition {
	u := cq.Comp(2)
	return hl7v2.Repetition{{u.Sub(1)}, {u.Sub(2)}, {u.Sub(3)}}
}

func positiveInt(s string) (uint32, bool) {
	s = strings.TrimSpace(s)
	var n uint64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' || n > 1<<31 {
			return 0, false
		}
		n = n*10 + uint64(s[i]-'0')
	}
	return uint32(n), s != "" && n > 0 && n < 1<<31
}

// requester maps ORC-12 (XCN) and ORC-21 (XON): a PractitionerRole when
// both are sent (the IG's requester(PractitionerRole.practitioner and
// .organization)), else the Practitioner or Organization alone.
func (c *conv) requester(xcn, xon hl7v2.Repetition) *dtpb.Reference {
	p := c.practitioner(xcn)
	o := c.organization(xon)
	switch {
	case p != nil && o != nil:
		return c.role(p, o, nil)
	case p != nil:
		return p
	}
	return o
}

// resourceOf returns the resource of the result that r references.
func (c *conv) resourceOf(r *dtpb.Reference) fhir.Resource {
	if i, ok := c.index[r.GetUri().GetValue()]; ok {
		return c.entries[i].Resource
	}
	return nil
}

// addAddress adds an address (XAD) to the Organization or Practitioner r
// references.
func (c *conv) addAddress(r *dtpb.Reference, rep hl7v2.Repetition) {
	a := c.m.address(rep)
	if a == nil || r == nil {
		return
	}
	switch x := c.resourceOf(r).(type) {
	case *orgpb.Organization:
		if !containsProto(x.Address, a) {
			x.Address = append(x.Address, a)
		}
	case *prpb.Practitioner:
		if !containsProto(x.Address, a) {
			x.Address = append(x.Address, a)
		}
	}
}

// containsProto reports whether list holds a message equal to m.
func containsProto[M proto.Message](list []M, m M) bool {
	for _, x := range list {
		if proto.Equal(x, m) {
			return true
		}
	}
	return false
}

// role adds the PractitionerRole of a practitioner (and organization) in a
// role code, and references it; its id follows from those three.
func (c *conv) role(p, o *dtpb.Reference, code *dtpb.Coding) *dtpb.Reference {
	r := &prrpb.PractitionerRole{Practitioner: p, Organization: o}
	parts := []string{p.GetUri().GetValue(), o.GetUri().GetValue()}
	if code != nil {
		r.Code = []*dtpb.CodeableConcept{{Coding: []*dtpb.Coding{code}}}
		parts = append(parts, code.GetSystem().GetValue()+"|"+code.GetCode().GetValue())
	}
	r.Id = &dtpb.Id{Value: derivedID("PractitionerRole", parts...)}
	return refTo(c.add(r, false))
}

// practitionerRole maps an XCN in a role (XCN[PractitionerRole] plus the
// role code the IG assigns); nil when the XCN is empty.
func (c *conv) practitionerRole(xcn hl7v2.Repetition, system, code string) *dtpb.Reference {
	p := c.practitioner(xcn)
	if p == nil {
		return nil
	}
	return c.role(p, nil, &dtpb.Coding{System: &dtpb.Uri{Value: system}, Code: &dtpb.Code{Value: code}})
}

// ndlPractitioner maps an NDL repetition (NDL[PractitionerRole]) to its
// practitioner, the CNN in NDL.1; the times and location of the NDL stay
// with the segment.
func (c *conv) ndlPractitioner(rep hl7v2.Repetition) *dtpb.Reference {
	cnn := rep.Comp(1)
	xcn := hl7v2.Repetition{{cnn.Sub(1)}, {cnn.Sub(2)}, {cnn.Sub(3)}, {cnn.Sub(4)}, {cnn.Sub(5)}, {cnn.Sub(6)}, {cnn.Sub(7)}, nil, {cnn.Sub(9), cnn.Sub(10), cnn.Sub(11)}}
	return c.practitioner(xcn)
}

// performerFunction marks a performer reference with its function
// (event-performerFunction, v3 ParticipationType).
func performerFunction(r *dtpb.Reference, code string) *dtpb.Reference {
	r.Extension = append(r.Extension, ccExtension(extPerformerFunction, &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{
		System: &dtpb.Uri{Value: systemV3Participation}, Code: &dtpb.Code{Value: code},
	}}}))
	return r
}

func ccExtension(url string, cc *dtpb.CodeableConcept) *dtpb.Extension {
	return &dtpb.Extension{Url: &dtpb.Uri{Value: url}, Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_CodeableConcept{CodeableConcept: cc}}}
}

// v2Code is a code of an HL7 v2 table.
func v2Code(table, code string) *dtpb.CodeableConcept {
	return &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{
		System: &dtpb.Uri{Value: "http://terminology.hl7.org/CodeSystem/v2-" + table},
		Code:   &dtpb.Code{Value: code},
	}}}
}

// alternateCode is the alternate-codes extension the IG puts on a status
// whose v2 code has no FHIR equivalent.
func alternateCode(table, code string) *dtpb.Extension {
	return ccExtension(extAlternateCodes, v2Code(table, code))
}

// security maps a confidentiality code field (ORC-28, CWE[Coding] through
// ConfidentialityCode) to meta.security of r.
func (c *conv) security(r fhir.Resource, f hl7v2.Field) {
	var codings []*dtpb.Coding
	for _, rep := range f {
		if cc := c.codeableConcept(rep, "ConfidentialityCode"); cc != nil && len(cc.Coding) > 0 {
			codings = append(codings, cc.Coding[0])
		}
	}
	if len(codings) == 0 {
		return
	}
	pr := r.ProtoReflect()
	fd := pr.Descriptor().Fields().ByName("meta")
	meta, _ := pr.Get(fd).Message().Interface().(*dtpb.Meta)
	if meta == nil || !pr.Has(fd) {
		meta = &dtpb.Meta{}
	}
	meta.Security = append(meta.Security, codings...)
	pr.Set(fd, protoreflect.ValueOfMessage(meta.ProtoReflect()))
}

// nte maps an NTE (NTE[ServiceRequest], NTE[Observation]) to a note on the
// resource it follows: note on a ServiceRequest, Observation, Specimen or
// Immunization; the R5 note extension on a DiagnosticReport. An NTE after
// a resource with no place for notes (the Patient) is kept whole on the
// MessageHeader.
func (c *conv) nte(nte *hl7v2.Segment) error {
	if c.order.noted == nte {
		return nil
	}
	c.order.noted = nte
	return c.noteOn(nte)
}

// noteOn maps nte onto c.last.
func (c *conv) noteOn(nte *hl7v2.Segment) error {
	switch c.last.(type) {
	case *docpb.DocumentReference:
		c.docNote(nte)
		return nil
	case *apb.Appointment:
		return c.apptNote(nte)
	}
	a, err := c.annotation(nte)
	if err != nil {
		return err
	}
	if a == nil {
		c.keepEmptyNote(nte)
		return nil
	}
	target := c.last
	if dr, ok := target.(*drpb.DiagnosticReport); ok {
		dr.Extension = append(dr.Extension, &dtpb.Extension{Url: &dtpb.Uri{Value: extDiagnosticNote}, Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_Annotation{Annotation: a}}})
	} else if target == nil || !appendNote(target, a) {
		c.keep(nte)
		return nil
	}
	c.setPrimary(target)
	// NTE-9, the coded comment, has a place only in the Appointment's
	// note (a sheet of every message type names that map too).
	c.keepOn(target, nte, func(f int) bool { return f == 9 })
	return nil
}

// keepEmptyNote keeps an NTE without a comment whole when it says
// anything else (an author, a coded comment).
func (c *conv) keepEmptyNote(nte *hl7v2.Segment) {
	for i := 2; i <= len(nte.Fields); i++ {
		if !nte.Field(i).Empty() {
			c.keep(nte)
			return
		}
	}
}

// appendNote appends a to the note list of r, if r has one.
func appendNote(r fhir.Resource, a *dtpb.Annotation) bool {
	pr := r.ProtoReflect()
	fd := pr.Descriptor().Fields().ByName("note")
	if fd == nil || !fd.IsList() || fd.Message() == nil || fd.Message().FullName() != a.ProtoReflect().Descriptor().FullName() {
		return false
	}
	pr.Mutable(fd).List().Append(protoreflect.ValueOfMessage(a.ProtoReflect()))
	return true
}

// annotation maps NTE-3 (its repetitions are lines), NTE-4 (the
// annotationType extension), NTE-5 (author) and NTE-6 (time); nil when the
// NTE has no comment.
func (c *conv) annotation(nte *hl7v2.Segment) (*dtpb.Annotation, error) {
	var lines []string
	for _, rep := range nte.Field(3) {
		lines = append(lines, value(c.repText(rep)))
	}
	text := strings.Join(lines, "\n")
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	a := &dtpb.Annotation{Text: &dtpb.Markdown{Value: text}}
	if r := c.practitioner(nte.Field(5).Rep(1)); r != nil {
		a.Author = &dtpb.Annotation_AuthorX{Choice: &dtpb.Annotation_AuthorX_Reference{Reference: r}}
	}
	t, err := c.fieldTime(nte, 6)
	if err != nil {
		return nil, err
	}
	a.Time = t
	if cc := c.codeableConcept(nte.Field(4).Rep(1), ""); cc != nil {
		a.Extension = append(a.Extension, ccExtension(extAnnotationType, cc))
	}
	return a, nil
}

// repText is a repetition's text as sent: components joined by the
// component separator, subcomponents by the subcomponent separator (text
// fields whose sender did not escape ^ or &).
func (c *conv) repText(rep hl7v2.Repetition) string {
	comps := make([]string, len(rep))
	for i, comp := range rep {
		comps[i] = strings.Join(comp, string(c.msg.Delimiters.Subcomponent))
	}
	return strings.TrimRight(strings.Join(comps, string(c.msg.Delimiters.Component)), string(c.msg.Delimiters.Component))
}
