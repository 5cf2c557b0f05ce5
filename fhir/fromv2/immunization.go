package fromv2

import (
	"strings"
	"time"

	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	impb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/immunization_go_proto"
	lpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/location_go_proto"
	vspb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/valuesets_go_proto"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
)

// VXU^V04: ORC[Immunization], RXA[Immunization] and RXR[Immunization]
// build one Immunization per ORDER group; its OBX segments become
// Observations partOf the Immunization (the sheet's OBX[Observation]),
// and those the US CDC immunization guide gives an Immunization element
// (funding, eligibility, VIS documents) fill that element too.

// RXA-9 (administration notes) is read as the US CDC guide says, but the
// IG leaves it to realm guides: an RXA that values it is also kept
// verbatim.
func init() {
	register("ORC[Immunization]", (*conv).orcImmunization, 2, 3, 4, 9, 12, 28)
	register("RXA[Immunization]", (*conv).rxa, 1, 3, 5, 6, 7, 10, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28)
	register("RXR[Immunization]", (*conv).rxr, 1, 2)
}

// orcImmunization maps ORC[Immunization]; the Immunization is added when
// its RXA (which holds the required vaccine, time and status) is mapped.
func (c *conv) orcImmunization(orc *hl7v2.Segment) error {
	if c.next(orc, "RXA", "ORC") == nil {
		if c.structure != "VXU_V04" {
			return errDecline // another kind of order, in a message type without a sheet
		}
		return &hl7v2.Error{Location: hl7v2.Location{Segment: "RXA"}, Code: hl7v2.CodeSegmentSequence, Message: "ORC without its RXA"}
	}
	if c.order.orc != orc {
		c.order.begin(orc)
	}
	imm := &impb.Immunization{}
	if id := typedIdentifier(c.eiIdentifier(orc.Field(2).Rep(1)), "PLAC"); id != nil {
		imm.Identifier = append(imm.Identifier, id)
	}
	if id := typedIdentifier(c.eiIdentifier(orc.Field(3).Rep(1)), "FILL"); id != nil {
		imm.Identifier = append(imm.Identifier, id)
		imm.Id = &dtpb.Id{Value: fhir.ID("Immunization", id.GetSystem().GetValue(), id.GetValue().GetValue())}
		c.order.key = "filler|" + idKey(id)
	}
	// ORC-4: EIP[Identifier-FillerAssignedIdentifier], then
	// EIP[Identifier-PlacerAssignedIdentifier], as the sheet lists them.
	placerGroup, fillerGroup := c.groupNumbers(orc)
	if fillerGroup != nil {
		imm.Identifier = append(imm.Identifier, typedIdentifier(fillerGroup, "FGN"))
	}
	if placerGroup != nil {
		imm.Identifier = append(imm.Identifier, typedIdentifier(placerGroup, "PGN"))
	}
	rec, err := c.fieldTime(orc, 9)
	if err != nil {
		return err
	}
	imm.Recorded = rec
	if p := c.practitioner(orc.Field(12).Rep(1)); p != nil {
		imm.Performer = append(imm.Performer, &impb.Immunization_Performer{Actor: p, Function: v2Code("0443", "OP")})
	}
	c.security(imm, orc.Field(28))
	c.order.imm = imm
	c.setPrimary(imm)
	c.last = imm
	return nil
}

// rxa maps RXA[Immunization]: the vaccine, when, the dose, who gave it,
// the lot, and the status from RXA-20 and RXA-21.
func (c *conv) rxa(rxa *hl7v2.Segment) error {
	imm := c.order.imm
	if imm == nil || imm.VaccineCode != nil {
		// An RXA without its own ORC (v2.3 and v2.4 senders).
		c.order.begin(nil)
		imm = &impb.Immunization{}
		c.order.imm = imm
	}
	sub, err := c.subject("RXA", true)
	if err != nil {
		return err
	}
	imm.Patient = sub
	if c.encounter != nil {
		imm.Encounter = refTo(c.encounter)
	}
	imm.VaccineCode = c.codeableConcept(rxa.Field(5).Rep(1), "")
	if imm.VaccineCode == nil {
		return fieldError("RXA", 5, hl7v2.CodeRequiredFieldMissing, "administered code missing")
	}
	when, err := c.fieldTime(rxa, 3)
	if err != nil {
		return err
	}
	if when == nil {
		return fieldError("RXA", 3, hl7v2.CodeRequiredFieldMissing, "administration start date/time missing")
	}
	imm.Occurrence = &impb.Immunization_OccurrenceX{Choice: &impb.Immunization_OccurrenceX_DateTime{DateTime: when}}
	if imm.Id == nil {
		imm.Id = &dtpb.Id{Value: derivedID("Immunization", c.patientID, value(rxa.Field(5).Comp(1).Value()), value(rxa.Get(3)))}
	}
	// Status: RXA-21 D (deleted) is entered-in-error; else RXA-20
	// (CompletionStatus), completed when empty.
	imm.Status = &impb.Immunization_StatusCode{Value: vspb.ImmunizationStatusCodesValueSet_COMPLETED}
	if strings.EqualFold(value(rxa.Get(21)), "D") {
		imm.Status.Value = vspb.ImmunizationStatusCodesValueSet_ENTERED_IN_ERROR
	} else if s := value(rxa.Get(20)); s != "" {
		con, ok := c.m.vocab.lookup("CompletionStatus", strings.ToUpper(s))
		v, known := enumOf(vspb.ImmunizationStatusCodesValueSet_Value_value, con.Code)
		if !ok || !known {
			return fieldError("RXA", 20, hl7v2.CodeTableValueNotFound, "completion status is not in table 0322")
		}
		imm.Status.Value = vspb.ImmunizationStatusCodesValueSet_Value(v)
	}
	// RXA-6 999 is the CDC guide's "amount unknown".
	if s := value(rxa.Get(6)); s != "" && s != "999" {
		q, ok := quantity(s, rxa.Field(7).Rep(1))
		if !ok {
			return fieldError("RXA", 6, hl7v2.CodeDataType, "administered amount is not a number")
		}
		imm.DoseQuantity = &dtpb.SimpleQuantity{Value: q.Value, Unit: q.Unit, System: q.System, Code: q.Code}
	}
	// RXA-9, administration notes: the IG leaves it to realm guides; the
	// US CDC guide's NIP001 code 00 is a new record (primary source), the
	// others historical records whose source it names.
	if rep := rxa.Field(9).Rep(1); !rep.Empty() {
		if value(rep.Comp(1).Value()) == "00" {
			imm.PrimarySource = &dtpb.Boolean{Value: true}
		} else if cc := c.codeableConcept(rep, ""); cc != nil {
			if strings.EqualFold(value(rep.Comp(3).Value()), "NIP001") {
				imm.PrimarySource = &dtpb.Boolean{Value: false}
			}
			imm.ReportOrigin = cc
		}
	}
	for _, rep := range rxa.Field(10) {
		if p := c.practitioner(rep); p != nil {
			imm.Performer = append(imm.Performer, &impb.Immunization_Performer{Actor: p, Function: v2Code("0443", "AP")})
		}
	}
	if s := value(rxa.Get(15)); s != "" {
		imm.LotNumber = str(s)
	}
	if s := value(rxa.Get(16)); s != "" {
		d, err := c.date(s, hl7v2.Location{Segment: "RXA", Field: 16})
		if err != nil {
			return err
		}
		imm.ExpirationDate = d
	}
	imm.Manufacturer = c.cweOrganization(rxa.Field(17).Rep(1))
	imm.StatusReason = c.codeableConcept(rxa.Field(18).Rep(1), "")
	for _, rep := range rxa.Field(19) {
		if cc := c.codeableConcept(rep, ""); cc != nil {
			imm.ReasonCode = append(imm.ReasonCode, cc)
		}
	}
	if strings.EqualFold(value(rxa.Get(21)), "A") {
		rec, err := c.fieldTime(rxa, 22)
		if err != nil {
			return err
		}
		if rec != nil {
			imm.Recorded = rec
		}
	}
	imm.Location = c.location(rxa.Field(27).Rep(1))
	if l, ok := c.resourceOf(imm.Location).(*lpb.Location); ok && l.Address == nil {
		l.Address = c.m.address(rxa.Field(28).Rep(1)) // RXA-28, the administered-at address
	}
	kept := c.add(imm, true).(*impb.Immunization)
	c.order.imm = kept
	if c.order.key == "" {
		c.order.key = "immunization|" + kept.GetId().GetValue()
	}
	c.setPrimary(kept)
	c.last = kept
	return nil
}

// rxr maps RXR[Immunization]: route and site.
func (c *conv) rxr(rxr *hl7v2.Segment) error {
	imm := c.order.imm
	if imm == nil {
		if c.structure != "VXU_V04" {
			return errDecline // the route of a medication order
		}
		return &hl7v2.Error{Location: hl7v2.Location{Segment: "RXR"}, Code: hl7v2.CodeSegmentSequence, Message: "RXR without its RXA"}
	}
	imm.Route = c.codeableConcept(rxr.Field(1).Rep(1), "RouteOfAdministration")
	imm.Site = c.codeableConcept(rxr.Field(2).Rep(1), "BodyParts")
	c.setPrimary(imm)
	return nil
}

// date maps a DTM to a FHIR date (the calendar date as written).
func (c *conv) date(s string, l hl7v2.Location) (*dtpb.Date, error) {
	ts, err := hl7v2.ParseTime(s, c.loc)
	if err != nil {
		return nil, &hl7v2.Error{Location: l, Code: hl7v2.CodeDataType, Message: "not a valid date"}
	}
	t := ts.Time
	d := &dtpb.Date{ValueUs: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).UnixMicro(), Timezone: "UTC", Precision: dtpb.Date_DAY}
	switch ts.Precision {
	case hl7v2.PrecisionYear:
		d.Precision = dtpb.Date_YEAR
	case hl7v2.PrecisionMonth:
		d.Precision = dtpb.Date_MONTH
	}
	return d, nil
}

// The LOINC codes of the US CDC immunization guide's OBX segments that
// have an Immunization element.
const (
	loincFundingEligibility = "64994-7"
	loincFundingSource      = "30963-3"
	loincVISDocument        = "69764-9"
	loincVISVaccineType     = "30956-7"
	loincVISPublished       = "29768-9"
	loincVISPresented       = "29769-7"
)

// immunizationObservation fills the Immunization element that an OBX of
// the US CDC guide describes. The Observation stays as well: the IG's
// sheet maps every OBX to one, and it holds what the element cannot (the
// observation time, the method).
func (c *conv) immunizationObservation(obx *hl7v2.Segment) {
	imm := c.order.imm
	if imm == nil || !strings.EqualFold(value(obx.Field(3).Comp(3).Value()), "LN") {
		return
	}
	val := obx.Field(5).Rep(1)
	switch value(obx.Field(3).Comp(1).Value()) {
	case loincFundingEligibility:
		if cc := c.codeableConcept(val, ""); cc != nil {
			imm.ProgramEligibility = append(imm.ProgramEligibility, cc)
		}
	case loincFundingSource:
		if cc := c.codeableConcept(val, ""); cc != nil {
			imm.FundingSource = cc
		}
	case loincVISDocument, loincVISVaccineType, loincVISPublished, loincVISPresented:
		ed := c.education(imm, value(obx.Field(4).Value()))
		switch value(obx.Field(3).Comp(1).Value()) {
		case loincVISDocument, loincVISVaccineType:
			s := value(val.Comp(1).Value())
			if t := value(val.Comp(2).Value()); t != "" {
				s = t
			}
			if s != "" {
				ed.DocumentType = str(s)
			}
		case loincVISPublished:
			ed.PublicationDate, _ = c.dateTimeAt(val.Comp(1).Value(), hl7v2.Location{Segment: "OBX", Field: 5})
		case loincVISPresented:
			ed.PresentationDate, _ = c.dateTimeAt(val.Comp(1).Value(), hl7v2.Location{Segment: "OBX", Field: 5})
		}
	}
}

// education returns the Immunization.education of a VIS group (the OBX
// segments sharing OBX-4).
func (c *conv) education(imm *impb.Immunization, group string) *impb.Immunization_Education {
	if c.order.visGroups == nil {
		c.order.visGroups = map[string]*impb.Immunization_Education{}
	}
	if ed, ok := c.order.visGroups[group]; ok {
		return ed
	}
	ed := &impb.Immunization_Education{}
	imm.Education = append(imm.Education, ed)
	c.order.visGroups[group] = ed
	return ed
}
