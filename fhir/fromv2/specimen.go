package fromv2

import (
	"strconv"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	sppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/specimen_go_proto"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
)

// SPM[Specimen] and OBR[Specimen]: the specimen of an order, from its SPM
// segments (v2.5 and later) or from the specimen fields of the OBR (older
// senders). A Specimen's id follows SPM-2 (the filler's id, else the
// placer's), else the order group and SPM-1.

func init() {
	register("SPM[Specimen]", (*conv).spm, 1, 2, 3, 4, 6, 7, 8, 12, 14, 17, 18, 20, 24, 27, 30, 31, 32)
	register("OBR[Specimen]", (*conv).obrSpecimen, 2, 7, 8, 9, 10, 14, 15, 39)
}

// spm maps SPM[Specimen].
func (c *conv) spm(spm *hl7v2.Segment) error {
	sub, err := c.subject("SPM", false)
	if err != nil {
		return err
	}
	c.order.nSPM++
	sp := &sppb.Specimen{Subject: sub}
	ids := spm.Field(2).Rep(1)
	placer, filler := c.eiSubs(ids.Comp(1)), c.eiSubs(ids.Comp(2))
	switch {
	case filler != nil:
		sp.Id = &dtpb.Id{Value: fhir.ID("Specimen", filler.GetSystem().GetValue(), filler.GetValue().GetValue())}
	case placer != nil:
		sp.Id = &dtpb.Id{Value: fhir.ID("Specimen", placer.GetSystem().GetValue(), placer.GetValue().GetValue())}
	default:
		n := value(spm.Get(1))
		if n == "" {
			n = "#" + strconv.Itoa(c.order.nSPM)
		}
		key := c.order.key
		if key == "" {
			key = "patient|" + c.patientID
		}
		sp.Id = &dtpb.Id{Value: derivedID("Specimen", key, "SPM", n)}
	}
	// EIP[Identifier-PlacerAssignedIdentifier] and
	// EIP[Identifier-FillerAssignedIdentifier] type them PGN and FGN.
	if placer != nil {
		sp.Identifier = append(sp.Identifier, typedIdentifier(placer, "PGN"))
	}
	if filler != nil {
		sp.Identifier = append(sp.Identifier, typedIdentifier(filler, "FGN"))
	}
	for _, rep := range spm.Field(3) {
		for i, code := range []string{"PGN", "FGN"} {
			if id := typedIdentifier(c.eiSubs(rep.Comp(i+1)), code); id != nil {
				sp.Parent = append(sp.Parent, &dtpb.Reference{Type: &dtpb.Uri{Value: "Specimen"}, Identifier: id})
			}
		}
	}
	sp.Type = c.codeableConcept(spm.Field(4).Rep(1), "SpecimenType")
	container := &sppb.Specimen_Container{}
	if cc := c.codeableConcept(spm.Field(6).Rep(1), "AdditivePreservative"); cc != nil {
		container.Additive = &sppb.Specimen_Container_AdditiveX{Choice: &sppb.Specimen_Container_AdditiveX_CodeableConcept{CodeableConcept: cc}}
	}
	container.Type = c.codeableConcept(spm.Field(27).Rep(1), "ContainerType")
	if container.Additive != nil || container.Type != nil {
		sp.Container = append(sp.Container, container)
	}
	col := &sppb.Specimen_Collection{
		Method:   c.codeableConcept(spm.Field(7).Rep(1), "SpecimenCollectionMethod"),
		BodySite: c.codeableConcept(spm.Field(8).Rep(1), "SpecimenSourceSite"),
	}
	if q, ok := quantity(spm.Field(12).Comp(1).Value(), cqUnits(spm.Field(12).Rep(1))); ok {
		col.Quantity = &dtpb.SimpleQuantity{Value: q.Value, Unit: q.Unit, System: q.System, Code: q.Code}
	} else if value(spm.Field(12).Comp(1).Value()) != "" {
		return &hl7v2.Error{Location: hl7v2.Location{Segment: "SPM", Field: 12, Component: 1}, Code: hl7v2.CodeDataType, Message: "collection amount is not a number"}
	}
	start, err := c.dateTimeAt(spm.Field(17).Comp(1).Sub(1), hl7v2.Location{Segment: "SPM", Field: 17, Component: 1})
	if err != nil {
		return err
	}
	end, err := c.dateTimeAt(spm.Field(17).Comp(2).Sub(1), hl7v2.Location{Segment: "SPM", Field: 17, Component: 2})
	if err != nil {
		return err
	}
	switch {
	case end != nil:
		col.Collected = &sppb.Specimen_Collection_CollectedX{Choice: &sppb.Specimen_Collection_CollectedX_Period{Period: period(start, end)}}
	case start != nil:
		col.Collected = &sppb.Specimen_Collection_CollectedX{Choice: &sppb.Specimen_Collection_CollectedX_DateTime{DateTime: start}}
	}
	if col.Method != nil || col.BodySite != nil || col.Quantity != nil || col.Collected != nil {
		sp.Collection = col
	}
	if s := value(c.repText(spm.Field(14).Rep(1))); s != "" {
		sp.Note = append(sp.Note, &dtpb.Annotation{Text: &dtpb.Markdown{Value: s}})
	}
	if sp.ReceivedTime, err = c.fieldTime(spm, 18); err != nil {
		return err
	}
	if con, ok := c.m.vocab.lookup("YesNoIndicator[AvailabilityStatus]", value(spm.Get(20))); ok {
		if v, ok := enumOf(cpb.SpecimenStatusCode_Value_value, con.Code); ok {
			sp.Status = &sppb.Specimen_StatusCode{Value: cpb.SpecimenStatusCode_Value(v)}
		}
	}
	for _, rep := range spm.Field(24) {
		if cc := c.codeableConcept(rep, "SpecimenCondition"); cc != nil {
			sp.Condition = append(sp.Condition, cc)
		}
	}
	sp.AccessionIdentifier = c.cxIdentifier(spm.Field(30).Rep(1))
	for _, rep := range spm.Field(31) {
		if id := c.cxIdentifier(rep); id != nil {
			sp.Identifier = append(sp.Identifier, id)
		}
	}
	if id := c.eiIdentifier(spm.Field(32).Rep(1)); id != nil {
		sp.Identifier = append(sp.Identifier, id)
	}
	sp = c.attachSpecimen(sp)
	c.order.specimen = sp
	c.last = sp
	c.setPrimary(sp)
	return nil
}

// attachSpecimen adds sp, references it from the group's report and
// request, and references the request from it. It returns the Specimen
// the result holds (an earlier one with the same id).
func (c *conv) attachSpecimen(sp *sppb.Specimen) *sppb.Specimen {
	if c.order.request != nil {
		sp.Request = append(sp.Request, refTo(c.order.request))
	}
	kept := c.add(sp, true).(*sppb.Specimen)
	if kept != sp {
		return kept // the same specimen again
	}
	if c.order.report != nil {
		c.order.report.Specimen = append(c.order.report.Specimen, refTo(sp))
	}
	if c.order.request != nil {
		c.order.request.Specimen = append(c.order.request.Specimen, refTo(sp))
	}
	return sp
}

// obrSpecimen maps OBR[Specimen], when the OBR describes its specimen:
// OBR-9, OBR-10, OBR-14, OBR-15 or OBR-39, or, in a result without an SPM
// (v2.3 and v2.4 senders), OBR-7, which for a specimen-based observation
// is the collection time. In an order OBR-7 is not a collection, and an
// SPM has its own (SPM-17). The OBR's specimen is not the one OBX
// segments after an SPM observe.
func (c *conv) obrSpecimen(obr *hl7v2.Segment) error {
	described := value(obr.Get(9)) != "" || !obr.Field(10).Empty() || value(obr.Get(14)) != "" || !obr.Field(15).Empty() || !obr.Field(39).Empty()
	collected := value(obr.Get(7)) != "" && c.structure == "ORU_R01" && c.next(obr, "SPM", "OBR", "ORC") == nil
	if !described && !collected {
		return nil
	}
	if c.order.obr != obr {
		c.startOBR(obr)
	}
	sub, err := c.subject("OBR", false)
	if err != nil {
		return err
	}
	key := c.order.key
	if key == "" {
		key = c.groupKey(c.order.orc, obr)
	}
	sp := &sppb.Specimen{Id: &dtpb.Id{Value: derivedID("Specimen", key, "OBR")}, Subject: sub}
	// The IG takes OBR-2 as the accession identifier.
	sp.AccessionIdentifier = c.eiIdentifier(obr.Field(2).Rep(1))
	col := &sppb.Specimen_Collection{}
	start, err := c.fieldTime(obr, 7)
	if err != nil {
		return err
	}
	end, err := c.fieldTime(obr, 8)
	if err != nil {
		return err
	}
	switch {
	case end != nil:
		col.Collected = &sppb.Specimen_Collection_CollectedX{Choice: &sppb.Specimen_Collection_CollectedX_Period{Period: period(start, end)}}
	case start != nil:
		col.Collected = &sppb.Specimen_Collection_CollectedX{Choice: &sppb.Specimen_Collection_CollectedX_DateTime{DateTime: start}}
	}
	if s := value(obr.Field(9).Comp(1).Value()); s != "" {
		q, ok := quantity(s, cqUnits(obr.Field(9).Rep(1)))
		if !ok {
			return &hl7v2.Error{Location: hl7v2.Location{Segment: "OBR", Field: 9, Component: 1}, Code: hl7v2.CodeDataType, Message: "collection volume is not a number"}
		}
		col.Quantity = &dtpb.SimpleQuantity{Value: q.Value, Unit: q.Unit, System: q.System, Code: q.Code}
	}
	col.Collector = c.practitioner(obr.Field(10).Rep(1))
	sp.Collection = col
	if sp.ReceivedTime, err = c.fieldTime(obr, 14); err != nil {
		return err
	}
	// OBR-15, SPS[Specimen-Source]: type, additive, text, body site,
	// collection method modifier (as the condition).
	sps := obr.Field(15).Rep(1)
	sp.Type = c.codeableConcept(subsAsRep(sps.Comp(1)), "SpecimenType")
	if cc := c.codeableConcept(subsAsRep(sps.Comp(2)), "AdditivePreservative"); cc != nil {
		sp.Container = append(sp.Container, &sppb.Specimen_Container{Additive: &sppb.Specimen_Container_AdditiveX{Choice: &sppb.Specimen_Container_AdditiveX_CodeableConcept{CodeableConcept: cc}}})
	}
	if s := value(sps.Comp(3).Value()); s != "" {
		sp.Note = append(sp.Note, &dtpb.Annotation{Text: &dtpb.Markdown{Value: s}})
	}
	if cc := c.codeableConcept(subsAsRep(sps.Comp(4)), "BodySite"); cc != nil {
		col.BodySite = cc
	}
	if cc := c.codeableConcept(subsAsRep(sps.Comp(6)), "SpecimenCondition"); cc != nil {
		sp.Condition = append(sp.Condition, cc)
	}
	for _, rep := range obr.Field(39) {
		// OBR-39, the collector's comment (a CWE): its text is a note.
		t := value(rep.Comp(9).Value())
		if t == "" {
			t = value(rep.Comp(2).Value())
		}
		if t == "" {
			t = value(rep.Comp(1).Value())
		}
		if t != "" {
			sp.Note = append(sp.Note, &dtpb.Annotation{Text: &dtpb.Markdown{Value: t}})
		}
	}
	c.setPrimary(c.attachSpecimen(sp))
	return nil
}

// subsAsRep reads a CWE held in a component's subcomponents (SPS.1) as a
// repetition of components.
func subsAsRep(comp hl7v2.Component) hl7v2.Repetition {
	rep := make(hl7v2.Repetition, len(comp))
	for i, s := range comp {
		rep[i] = hl7v2.Component{s}
	}
	return rep
}
