package fromv2

import (
	"time"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	drpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/diagnostic_report_go_proto"

	"github.com/tributary-health/tributary/adapters/hl7v2"
)

// The result maps of ORU^R01: ORC[DiagnosticReport] and
// OBR[DiagnosticReport]. The report's id derives from the order's filler
// number (else the placer's), so a corrected report replaces the first.

func init() {
	register("ORC[DiagnosticReport]", (*conv).orcDiagnosticReport, 2, 3, 4, 16, 28)
	register("OBR[DiagnosticReport]", (*conv).obrDiagnosticReport, 1, 2, 3, 4, 7, 8, 22, 24, 25, 32, 34, 35)
}

// diagnosticReport returns the group's DiagnosticReport, creating it.
func (c *conv) diagnosticReport(seg, orc, obr *hl7v2.Segment) (*drpb.DiagnosticReport, error) {
	if c.order.report != nil {
		return c.order.report, nil
	}
	sub, err := c.subject(seg.ID, false)
	if err != nil {
		return nil, err
	}
	if c.order.key == "" {
		c.order.key = c.groupKey(orc, obr)
	}
	dr := &drpb.DiagnosticReport{
		Id: &dtpb.Id{Value: derivedID("DiagnosticReport", c.order.key)},
		// OBR-25 sets the status; a report without one is "unknown".
		Status:     &drpb.DiagnosticReport_StatusCode{Value: cpb.DiagnosticReportStatusCode_UNKNOWN},
		Subject:    sub,
		Identifier: c.orderIdentifiers(orc, obr),
	}
	if c.encounter != nil {
		dr.Encounter = refTo(c.encounter)
	}
	dr = c.add(dr, true).(*drpb.DiagnosticReport)
	c.order.report = dr
	if c.order.request != nil {
		dr.BasedOn = append(dr.BasedOn, refTo(c.order.request))
	}
	return dr, nil
}

// orcDiagnosticReport maps ORC[DiagnosticReport]: it starts the order
// group of an ORU^R01.
func (c *conv) orcDiagnosticReport(orc *hl7v2.Segment) error {
	if c.order.orc != orc {
		c.order.begin(orc)
		// Until the OBR: the ORDER_DOCUMENT group, which the IG leaves to R5.
		c.order.document = true
	}
	obr := c.next(orc, "OBR", "ORC")
	if obr == nil {
		if c.structure != "ORU_R01" {
			return errDecline // an order without results, in a message type without a sheet
		}
		return &hl7v2.Error{Location: hl7v2.Location{Segment: "OBR"}, Code: hl7v2.CodeSegmentSequence, Message: "ORC without its OBR"}
	}
	dr, err := c.diagnosticReport(orc, orc, obr)
	if err != nil {
		return err
	}
	c.setPrimary(dr)
	// ORC-4: EIP[Identifier-FillerAssignedIdentifier] and
	// EIP[Identifier-PlacerAssignedIdentifier].
	placerGroup, fillerGroup := c.groupNumbers(orc)
	if fillerGroup != nil {
		dr.Identifier = append(dr.Identifier, typedIdentifier(fillerGroup, "FGN"))
	}
	if placerGroup != nil {
		dr.Identifier = append(dr.Identifier, typedIdentifier(placerGroup, "PGN"))
	}
	if cc := c.codeableConcept(orc.Field(16).Rep(1), ""); cc != nil {
		dr.Extension = append(dr.Extension, ccExtension("http://hl7.org/fhir/StructureDefinition/event-statusReason", cc))
	}
	c.security(dr, orc.Field(28))
	return nil
}

// obrDiagnosticReport maps OBR[DiagnosticReport]: the report's code,
// times, category, status and people.
func (c *conv) obrDiagnosticReport(obr *hl7v2.Segment) error {
	if c.order.obr != obr {
		c.startOBR(obr)
	}
	dr, err := c.diagnosticReport(obr, c.order.orc, obr)
	if err != nil {
		return err
	}
	c.setPrimary(dr)
	c.last = dr
	have := map[string]bool{}
	for _, id := range dr.Identifier {
		have[idKey(id)] = true
	}
	for _, id := range c.orderIdentifiers(nil, obr) {
		if !have[idKey(id)] {
			dr.Identifier = append(dr.Identifier, id)
		}
	}
	dr.Code = c.codeableConcept(obr.Field(4).Rep(1), "")
	if dr.Code == nil {
		return fieldError("OBR", 4, hl7v2.CodeRequiredFieldMissing, "universal service identifier missing")
	}
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
		dr.Effective = &drpb.DiagnosticReport_EffectiveX{Choice: &drpb.DiagnosticReport_EffectiveX_Period{Period: period(start, end)}}
	case start != nil:
		dr.Effective = &drpb.DiagnosticReport_EffectiveX{Choice: &drpb.DiagnosticReport_EffectiveX_DateTime{DateTime: start}}
	}
	if s := value(obr.Field(22).Comp(1).Value()); s != "" {
		in, err := c.instantAt(s, hl7v2.Location{Segment: "OBR", Field: 22})
		if err != nil {
			return err
		}
		dr.Issued = in
	}
	if cc := c.codedValue(value(obr.Get(24)), "DiagnosticServiceSectionID", "0074"); cc != nil {
		dr.Category = append(dr.Category, cc)
	}
	if s := value(obr.Get(25)); s != "" {
		dr.Status.Value = cpb.DiagnosticReportStatusCode_UNKNOWN
		dr.Status.Extension = nil
		if con, ok := c.m.vocab.lookup("ResultStatus[Non-Queries]", s); ok {
			if v, ok := enumOf(cpb.DiagnosticReportStatusCode_Value_value, con.Code); ok {
				dr.Status.Value = cpb.DiagnosticReportStatusCode_Value(v)
			}
		}
		if dr.Status.Value == cpb.DiagnosticReportStatusCode_UNKNOWN {
			// A v2 status the IG maps to nothing (A, Y, Z, M, N): unknown,
			// with the v2 code kept beside it.
			dr.Status.Extension = append(dr.Status.Extension, alternateCode("0123", s))
		}
	}
	for _, rep := range obr.Field(32) {
		if r := c.ndlPractitioner(rep); r != nil {
			dr.ResultsInterpreter = append(dr.ResultsInterpreter, r)
		}
	}
	for _, f := range []struct {
		field int
		code  string
	}{{34, "SPRF"}, {35, "TRANS"}} {
		for _, rep := range obr.Field(f.field) {
			if r := c.ndlPractitioner(rep); r != nil {
				dr.Performer = append(dr.Performer, performerFunction(r, f.code))
			}
		}
	}
	return nil
}

// instantAt maps a DTM to a FHIR instant, which has at least seconds: a
// less precise value is taken at the start of its period.
func (c *conv) instantAt(s string, l hl7v2.Location) (*dtpb.Instant, error) {
	ts, err := hl7v2.ParseTime(s, c.loc)
	if err != nil {
		return nil, &hl7v2.Error{Location: l, Code: hl7v2.CodeDataType, Message: "not a valid date/time"}
	}
	in := &dtpb.Instant{ValueUs: ts.Time.UnixMicro(), Timezone: offset(ts.Time), Precision: dtpb.Instant_SECOND}
	if ts.Precision > hl7v2.PrecisionSecond {
		in.Precision = dtpb.Instant_MILLISECOND
		in.ValueUs = ts.Time.Truncate(time.Millisecond).UnixMicro()
	}
	return in, nil
}
