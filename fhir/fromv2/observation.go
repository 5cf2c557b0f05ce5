package fromv2

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	obspb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/observation_go_proto"
	orgpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/organization_go_proto"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
)

// OBX[Observation] and OBX[Observation-Component]: one Observation per
// OBX, its value by OBX-2, or one component per OBX-5 repetition when
// OBX-5 repeats. The Observation's id derives from its order group (the
// filler order number) and OBX-1, so a corrected result (OBX-11 = C) is a
// new version of the same Observation.

func init() {
	fields := []int{1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 29, 33}
	register("OBX[Observation]", (*conv).obx, fields...)
	// The component map is applied by OBX[Observation], which knows when
	// OBX-5 repeats; the sheets always name both.
	segmentMaps["OBX[Observation-Component]"] = segmentMapper{fn: func(*conv, *hl7v2.Segment) error { return nil }, fields: fields}
}

const (
	extObservationAttachment = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Observation.valueAttachment"
	extOriginalText          = "http://hl7.org/fhir/StructureDefinition/originalText"
	extNatureOfAbnormal      = "http://hl7.org/fhir/StructureDefinition/observation-nature-of-abnormal-test"
	extAnalysisTime          = "http://hl7.org/fhir/StructureDefinition/observation-analysis-date-time"
	extSubID                 = "http://hl7.org/fhir/StructureDefinition/observation-v2-subid"
	systemDataAbsent         = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
	systemPractitionerRole   = "http://terminology.hl7.org/CodeSystem/practitioner-role"
)

// obx maps an OBX to an Observation in its context: a result of the
// report (ORU), supporting information of the order (ORM, OML), part of
// the immunization (VXU), about the specimen (after an SPM), or about the
// patient (before any order).
func (c *conv) obx(obx *hl7v2.Segment) error {
	if c.order.obx == obx {
		return nil // mapped already, by OBX[DocumentReference] outside a document
	}
	c.order.obx = obx
	if c.order.doc != nil {
		return errDecline // an OBX after a TXA is the document's (OBX[DocumentReference])
	}
	if c.order.document || (c.structure == "ORM_O01" || c.structure == "OML_O21") && c.order.request == nil {
		// ORU's ORDER_DOCUMENT group (ORC, OBX, TXA before the OBR), which
		// the IG maps only in R5, and an order message's OBX outside any
		// order: the segment is kept whole.
		c.keep(obx)
		return nil
	}
	code := c.codeableConcept(obx.Field(3).Rep(1), "")
	typ := strings.ToUpper(value(obx.Get(2)))
	if code == nil && c.order.report != nil && c.order.specimen == nil && (typ == "TX" || typ == "FT" || typ == "ST") {
		// Report text without an observation identifier (lines of a
		// narrative report): it is the report's presented form, not an
		// Observation, which would need a code.
		c.presentedForm(obx, typ)
		return nil
	}
	if code == nil {
		return fieldError("OBX", 3, hl7v2.CodeRequiredFieldMissing, "observation identifier missing")
	}
	sub, err := c.subject("OBX", false)
	if err != nil {
		return err
	}
	c.order.nOBX++
	setID := value(obx.Get(1))
	if setID == "" {
		setID = "#" + strconv.Itoa(c.order.nOBX)
	}
	key := c.order.key
	switch {
	case c.order.imm != nil && key == "":
		key = "immunization|" + c.order.imm.GetId().GetValue()
	case key == "":
		// A patient observation: the patient, what and when.
		key = "patient|" + c.patientID + "|" + value(obx.Field(3).Comp(1).Value()) + "|" + value(obx.Get(14))
	}
	if c.order.specimen != nil {
		key += "|specimen|" + c.order.specimen.GetId().GetValue()
	}
	o := &obspb.Observation{
		Id:      &dtpb.Id{Value: derivedID("Observation", key, setID)},
		Status:  c.observationStatus(value(obx.Get(11))),
		Code:    code,
		Subject: sub,
	}
	if c.encounter != nil {
		o.Encounter = refTo(c.encounter)
	}
	if s := value(obx.Field(4).Value()); s != "" {
		o.Extension = append(o.Extension, stringExtension(extSubID, s))
	}
	if err := c.obxValues(o, obx); err != nil {
		return err
	}
	if s := value(obx.Get(11)); strings.EqualFold(s, "N") && o.Value == nil {
		// Not asked: the value's absence has a reason (only without a value).
		o.DataAbsentReason = &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{System: &dtpb.Uri{Value: systemDataAbsent}, Code: &dtpb.Code{Value: "not-asked"}}}}
	}
	if s := value(c.repText(obx.Field(7).Rep(1))); s != "" {
		o.ReferenceRange = append(o.ReferenceRange, &obspb.Observation_ReferenceRange{Text: str(s)})
	}
	for _, rep := range obx.Field(8) {
		if cc := c.codeableConcept(rep, "InterpretationCodes"); cc != nil {
			o.Interpretation = append(o.Interpretation, cc)
		}
	}
	for _, rep := range obx.Field(10) {
		if cc := c.codedValue(value(rep.Value()), "NatureOfAbnormalTesting", "0080"); cc != nil {
			o.Extension = append(o.Extension, ccExtension(extNatureOfAbnormal, cc))
		}
	}
	eff, err := c.fieldTime(obx, 14)
	if err != nil {
		return err
	}
	if eff != nil {
		o.Effective = &obspb.Observation_EffectiveX{Choice: &obspb.Observation_EffectiveX_DateTime{DateTime: eff}}
	}
	if r := c.cweOrganization(obx.Field(15).Rep(1)); r != nil {
		o.Performer = append(o.Performer, r)
	}
	for _, rep := range obx.Field(16) {
		if r := c.practitionerRole(rep, systemPractitionerRole, "responsibleObserver"); r != nil {
			o.Performer = append(o.Performer, r)
		}
	}
	if cc := c.codeableConcept(obx.Field(17).Rep(1), ""); cc != nil {
		o.Method = cc
	}
	if id := c.eiIdentifier(obx.Field(18).Rep(1)); id != nil {
		o.Device = &dtpb.Reference{Type: &dtpb.Uri{Value: "Device"}, Identifier: id}
	}
	at, err := c.fieldTime(obx, 19)
	if err != nil {
		return err
	}
	if at != nil {
		o.Extension = append(o.Extension, &dtpb.Extension{Url: &dtpb.Uri{Value: extAnalysisTime}, Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_DateTime{DateTime: at}}})
	}
	if cc := c.codeableConcept(obx.Field(20).Rep(1), ""); cc != nil {
		o.BodySite = cc
	}
	if id := typedIdentifier(c.eiIdentifier(obx.Field(21).Rep(1)), "FILL"); id != nil {
		o.Identifier = append(o.Identifier, id)
	}
	org := c.organization(obx.Field(23).Rep(1))
	for _, rep := range obx.Field(24) {
		c.addAddress(org, rep) // OBX-24, the performing organization's address
	}
	if dir := c.practitioner(obx.Field(25).Rep(1)); dir != nil {
		// OBX-25, the performing organization's medical director, in the
		// organization of OBX-23.
		o.Performer = append(o.Performer, c.role(dir, org, &dtpb.Coding{System: &dtpb.Uri{Value: "http://terminology.hl7.org/CodeSystem/v2-0912"}, Code: &dtpb.Code{Value: "MDIR"}}))
	} else if org != nil {
		o.Performer = append(o.Performer, org)
	}
	if s := value(obx.Get(29)); s != "" {
		o.Category = append(o.Category, v2Code("0936", s))
	}
	// OBX-33, the related specimen: one is Observation.specimen, by its
	// identifiers (the R5 extension for several needs a Group; several
	// are kept with the segment).
	ids := obx.Field(33)
	if len(ids) == 1 {
		for i, code := range []string{"PGN", "FGN"} {
			if id := typedIdentifier(c.eiSubs(ids.Rep(1).Comp(i+1)), code); id != nil && o.Specimen == nil {
				o.Specimen = &dtpb.Reference{Type: &dtpb.Uri{Value: "Specimen"}, Identifier: id}
			}
		}
	}

	o = c.add(o, true).(*obspb.Observation)
	if len(ids) > 1 {
		// Several related specimens need the R5 extension's Group.
		c.keepOn(o, obx, func(f int) bool { return f == 33 })
	}
	c.setPrimary(o)
	c.last = o
	switch {
	case c.order.specimen != nil:
		o.Specimen = refTo(c.order.specimen) // the SPM's, rather than OBX-33's identifiers
	case c.order.report != nil:
		c.order.report.Result = append(c.order.report.Result, refTo(o))
	case c.order.request != nil:
		c.order.request.SupportingInfo = append(c.order.request.SupportingInfo, refTo(o))
	}
	if c.order.imm != nil {
		o.PartOf = append(o.PartOf, refTo(c.order.imm))
		c.immunizationObservation(obx)
	}
	return nil
}

// presentedForm appends the text of an OBX without an identifier to the
// report's presented form: one text attachment per report, a line per
// OBX-5 repetition.
func (c *conv) presentedForm(obx *hl7v2.Segment, typ string) {
	dr := c.order.report
	c.setPrimary(dr)
	ct := contentTX
	if typ == "FT" {
		ct = contentFT
	}
	var a *dtpb.Attachment
	for _, p := range dr.PresentedForm {
		if p.GetContentType().GetValue() == ct {
			a = p
		}
	}
	if a == nil {
		a = &dtpb.Attachment{ContentType: &dtpb.Attachment_ContentTypeCode{Value: ct}}
		dr.PresentedForm = append(dr.PresentedForm, a)
	}
	// Only OBX-5 has a place here; a status or time of the line stays
	// with the segment.
	c.keepOn(dr, obx, func(f int) bool { return f == 4 || f > 5 })
	var lines []string
	if len(a.GetData().GetValue()) > 0 {
		lines = append(lines, string(a.GetData().GetValue()))
	}
	for _, rep := range obx.Field(5) {
		lines = append(lines, value(c.repText(rep)))
	}
	if len(obx.Field(5)) == 0 {
		lines = append(lines, "")
	}
	a.Data = &dtpb.Base64Binary{Value: []byte(strings.Join(lines, "\n"))}
}

// cweOrganization maps a CWE naming an organization (CWE[Organization]):
// CWE.1 the identifier's value, CWE.3 its system, CWE.2 (else CWE.9) the
// name.
func (c *conv) cweOrganization(rep hl7v2.Repetition) *dtpb.Reference {
	id, name := value(rep.Comp(1).Value()), value(rep.Comp(2).Value())
	if s := value(rep.Comp(9).Value()); name == "" && s != "" {
		name = s
	}
	o := &orgpb.Organization{}
	if name != "" {
		o.Name = str(name)
	}
	switch {
	case id != "":
		sys := codingSystem(value(rep.Comp(3).Value()))
		if sys == "" {
			sys = c.sender
		}
		o.Identifier = []*dtpb.Identifier{{System: &dtpb.Uri{Value: sys}, Value: str(id)}}
		o.Id = &dtpb.Id{Value: fhir.ID("Organization", sys, id)}
	case name != "":
		o.Id = &dtpb.Id{Value: derivedID("Organization", c.sender, strings.ToUpper(name))}
	default:
		return nil
	}
	return refTo(c.add(o, false))
}

// observationStatus maps OBX-11 (ObservationResultStatusCodesInterpretation).
// A code the IG maps to nothing, and an empty OBX-11, give "unknown" (R4
// requires a status), with the v2 code kept in the alternate-codes
// extension as the IG does for X.
func (c *conv) observationStatus(code string) *obspb.Observation_StatusCode {
	st := &obspb.Observation_StatusCode{Value: cpb.ObservationStatusCode_UNKNOWN}
	if con, ok := c.m.vocab.lookup("ObservationResultStatusCodesInterpretation", strings.ToUpper(code)); ok {
		if v, ok := enumOf(cpb.ObservationStatusCode_Value_value, con.Code); ok {
			st.Value = cpb.ObservationStatusCode_Value(v)
		}
	}
	if code != "" && (st.Value == cpb.ObservationStatusCode_UNKNOWN || strings.EqualFold(code, "X")) {
		st.Extension = append(st.Extension, alternateCode("0085", code))
	}
	return st
}

// An obxValue is one OBX-5 value in FHIR terms: one of its fields is set.
type obxValue struct {
	quantity   *dtpb.Quantity
	concept    *dtpb.CodeableConcept
	text       *dtpb.String
	rng        *dtpb.Range
	ratio      *dtpb.Ratio
	dateTime   *dtpb.DateTime
	time       *dtpb.Time
	period     *dtpb.Period
	attachment *dtpb.Attachment // R4 has no valueAttachment: the IG's R5 extension
}

// obxValues maps OBX-5 (with OBX-6) to the Observation's value, or to one
// component per repetition when OBX-5 repeats (OBX[Observation-Component]).
func (c *conv) obxValues(o *obspb.Observation, obx *hl7v2.Segment) error {
	reps := obx.Field(5)
	typ := strings.ToUpper(value(obx.Get(2)))
	if len(reps) > 1 && typ != "NA" {
		for i, rep := range reps {
			v, err := c.obxValue(obx, typ, rep, i+1)
			if err != nil {
				return err
			}
			comp := &obspb.Observation_Component{Code: o.Code}
			if v.attachment != nil {
				comp.Extension = append(comp.Extension, attachmentExtension(v.attachment))
			} else if cv := v.component(); cv != nil {
				comp.Value = cv
			} else {
				continue
			}
			if s := value(c.repText(obx.Field(7).Rep(1))); s != "" {
				comp.ReferenceRange = append(comp.ReferenceRange, &obspb.Observation_ReferenceRange{Text: str(s)})
			}
			o.Component = append(o.Component, comp)
		}
		return nil
	}
	rep := reps.Rep(1)
	if rep.Empty() || value(rep.Value()) == "" && len(rep) <= 1 {
		return nil
	}
	v, err := c.obxValue(obx, typ, rep, 0)
	if err != nil {
		return err
	}
	if v.attachment != nil {
		o.Extension = append(o.Extension, attachmentExtension(v.attachment))
		return nil
	}
	o.Value = v.observation()
	return nil
}

func attachmentExtension(a *dtpb.Attachment) *dtpb.Extension {
	return &dtpb.Extension{Url: &dtpb.Uri{Value: extObservationAttachment}, Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_Attachment{Attachment: a}}}
}

// obxValue maps one OBX-5 repetition by the value type (the IG's OBX-5
// rows). n is the repetition's number for error locations (0 when OBX-5
// does not repeat).
func (c *conv) obxValue(obx *hl7v2.Segment, typ string, rep hl7v2.Repetition, n int) (obxValue, error) {
	at := func(comp int) hl7v2.Location {
		return hl7v2.Location{Segment: "OBX", Field: 5, Repetition: n, Component: comp}
	}
	units := obx.Field(6).Rep(1)
	var v obxValue
	switch typ {
	case "NM":
		q, ok := quantity(value(rep.Value()), units)
		if !ok {
			return v, &hl7v2.Error{Location: at(0), Code: hl7v2.CodeDataType, Message: "numeric value is not a number"}
		}
		v.quantity = q
	case "SN":
		return c.structuredNumeric(rep, units, at)
	case "ST", "FT", "TX":
		// Text keeps its formatting markup (\.br\ …) as the parser gives it.
		v.text = str(c.repText(rep))
	case "CWE", "CE", "CNE", "CF", "IS":
		v.concept = c.codeableConcept(rep, "")
	case "DT", "DTM", "TS":
		dt, err := c.dateTimeAt(rep.Comp(1).Value(), at(0))
		if err != nil {
			return v, err
		}
		v.dateTime = dt
	case "TM":
		t, ok := timeOfDay(value(rep.Value()))
		if !ok {
			return v, &hl7v2.Error{Location: at(0), Code: hl7v2.CodeDataType, Message: "not a valid time"}
		}
		v.time = t
	case "NR":
		r := &dtpb.Range{}
		for i, dst := range []**dtpb.SimpleQuantity{&r.Low, &r.High} {
			s := value(rep.Comp(i + 1).Value())
			if s == "" {
				continue
			}
			d, ok := decimal(s)
			if !ok {
				return v, &hl7v2.Error{Location: at(i + 1), Code: hl7v2.CodeDataType, Message: "range bound is not a number"}
			}
			*dst = &dtpb.SimpleQuantity{Value: &dtpb.Decimal{Value: d}}
		}
		v.rng = r
	case "DR":
		start, err := c.dateTimeAt(rep.Comp(1).Sub(1), at(1))
		if err != nil {
			return v, err
		}
		end, err := c.dateTimeAt(rep.Comp(2).Sub(1), at(2))
		if err != nil {
			return v, err
		}
		v.period = period(start, end)
	case "VR":
		v.text = str(value(rep.Comp(1).Value()) + "-" + value(rep.Comp(2).Value()))
	case "ED":
		a, ok, err := c.encapsulated(rep, at)
		if err != nil {
			return v, err
		}
		if ok {
			v.attachment = a
		} else {
			v.text = str(c.repText(rep))
		}
	case "RP":
		a := &dtpb.Attachment{}
		if u := value(rep.Comp(1).Value()); u != "" {
			a.Url = &dtpb.Url{Value: u}
		}
		if ct := mimeType(value(rep.Comp(3).Value()), value(rep.Comp(4).Value())); ct != "" {
			a.ContentType = &dtpb.Attachment_ContentTypeCode{Value: ct}
		}
		v.attachment = a
	default:
		// Any other type (and none): the IG's default row, the text.
		v.text = str(c.repText(rep))
	}
	return v, nil
}

// structuredNumeric maps an SN: a comparator and a number (SN[Quantity]),
// a range (SN[Range], separator "-"), a ratio (SN[Ratio], ":" or "/"), or
// text for "<>" and "+" (the IG's valueString rows). The original text is
// kept in the originalText extension when the SN has a second part.
func (c *conv) structuredNumeric(rep hl7v2.Repetition, units hl7v2.Repetition, at func(int) hl7v2.Location) (obxValue, error) {
	var v obxValue
	cmp, n1, sep, n2 := value(rep.Comp(1).Value()), value(rep.Comp(2).Value()), value(rep.Comp(3).Value()), value(rep.Comp(4).Value())
	unitText := value(units.Comp(2).Value())
	if unitText == "" {
		unitText = value(units.Comp(1).Value())
	}
	original := strings.Join(nonEmpty(cmp, n1, sep, n2), " ")
	if cmp == "<>" || sep == "+" {
		v.text = str(strings.Join(nonEmpty(original, unitText), " "))
		return v, nil
	}
	num := func(s string, comp int) (*dtpb.Quantity, error) {
		q, ok := quantity(s, units)
		if !ok {
			return nil, &hl7v2.Error{Location: at(comp), Code: hl7v2.CodeDataType, Message: "structured numeric part is not a number"}
		}
		return q, nil
	}
	var origExt []*dtpb.Extension
	if sep != "" || n2 != "" {
		origExt = []*dtpb.Extension{stringExtension(extOriginalText, original)}
	}
	switch sep {
	case ":", "/":
		a, err := num(n1, 2)
		if err != nil {
			return v, err
		}
		b, err := num(n2, 4)
		if err != nil {
			return v, err
		}
		if cmp != "" && cmp != "=" {
			cv, ok := comparator(cmp)
			if !ok {
				return v, &hl7v2.Error{Location: at(1), Code: hl7v2.CodeDataType, Message: "comparator is not one of > < >= <= = <>"}
			}
			a.Comparator = &dtpb.Quantity_ComparatorCode{Value: cv}
		}
		v.ratio = &dtpb.Ratio{Numerator: a, Denominator: b, Extension: origExt}
	case "-":
		r := &dtpb.Range{Extension: origExt}
		for i, s := range []string{n1, n2} {
			if s == "" {
				continue
			}
			q, err := num(s, 2+2*i)
			if err != nil {
				return v, err
			}
			sq := &dtpb.SimpleQuantity{Value: q.Value, Unit: q.Unit, System: q.System, Code: q.Code}
			if i == 0 {
				r.Low = sq
			} else {
				r.High = sq
			}
		}
		v.rng = r
	default:
		if n1 == "" {
			if original == "" {
				return v, nil
			}
			return v, &hl7v2.Error{Location: at(2), Code: hl7v2.CodeDataType, Message: "structured numeric without a number"}
		}
		q, err := num(n1, 2)
		if err != nil {
			return v, err
		}
		if cmp != "" && cmp != "=" {
			cv, ok := comparator(cmp)
			if !ok {
				return v, &hl7v2.Error{Location: at(1), Code: hl7v2.CodeDataType, Message: "comparator is not one of > < >= <= = <>"}
			}
			q.Comparator = &dtpb.Quantity_ComparatorCode{Value: cv}
		}
		q.Extension = origExt
		v.quantity = q
	}
	return v, nil
}

func comparator(s string) (cpb.QuantityComparatorCode_Value, bool) {
	switch s {
	case "<":
		return cpb.QuantityComparatorCode_LESS_THAN, true
	case "<=":
		return cpb.QuantityComparatorCode_LESS_THAN_OR_EQUAL_TO, true
	case ">=":
		return cpb.QuantityComparatorCode_GREATER_THAN_OR_EQUAL_TO, true
	case ">":
		return cpb.QuantityComparatorCode_GREATER_THAN, true
	}
	return 0, false
}

func nonEmpty(parts ...string) []string {
	out := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// timeOfDay parses a TM, HH[MM[SS[.S[S[S[S]]]]]][+/-ZZZZ], to a FHIR time.
// FHIR times have no zone: an offset is dropped (the time is as the
// sender's clock read it).
func timeOfDay(s string) (*dtpb.Time, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "+-"); i >= 0 {
		s = s[:i]
	}
	frac := ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s, frac = s[:i], s[i+1:]
		if len(s) != 6 || frac == "" || len(frac) > 4 || !allDigits(frac) {
			return nil, false
		}
	}
	if len(s)%2 != 0 || len(s) < 2 || len(s) > 6 || !allDigits(s) {
		return nil, false
	}
	parts := [3]int{}
	for i := 0; i < len(s)/2; i++ {
		parts[i], _ = strconv.Atoi(s[2*i : 2*i+2])
	}
	if parts[0] > 23 || parts[1] > 59 || parts[2] > 59 {
		return nil, false
	}
	us := int64(parts[0]*3600+parts[1]*60+parts[2]) * 1e6
	t := &dtpb.Time{ValueUs: us, Precision: dtpb.Time_SECOND}
	if frac != "" {
		f, _ := strconv.Atoi((frac + "000")[:3])
		t.ValueUs += int64(f) * 1000
		t.Precision = dtpb.Time_MILLISECOND
	}
	return t, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// encapsulated maps an ED (ED[Attachment]): its data decoded by ED.4
// (Base64 as the IG says; Hex and A, plain text, as well), its content
// type from ED.2 and ED.3. ok is false for an encoding it does not know,
// whose text the caller keeps as a string.
func (c *conv) encapsulated(rep hl7v2.Repetition, at func(int) hl7v2.Location) (*dtpb.Attachment, bool, error) {
	a := &dtpb.Attachment{}
	if ct := mimeType(value(rep.Comp(2).Value()), value(rep.Comp(3).Value())); ct != "" {
		a.ContentType = &dtpb.Attachment_ContentTypeCode{Value: ct}
	}
	data := value(rep.Comp(5).Value())
	var b []byte
	var err error
	switch strings.ToUpper(value(rep.Comp(4).Value())) {
	case "BASE64":
		clean := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
				return -1
			}
			return r
		}, data)
		b, err = base64.StdEncoding.DecodeString(clean)
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(clean, "="))
		}
	case "HEX":
		b, err = hex.DecodeString(strings.TrimSpace(data))
	case "A", "":
		if value(rep.Comp(4).Value()) == "" && data == "" {
			return nil, false, nil
		}
		b = []byte(data)
	default:
		return nil, false, nil
	}
	if err != nil {
		return nil, false, &hl7v2.Error{Location: at(5), Code: hl7v2.CodeDataType, Message: "encapsulated data is not in its encoding"}
	}
	if len(b) > 0 {
		a.Data = &dtpb.Base64Binary{Value: b}
	}
	return a, true, nil
}

// mimeType builds a MIME type from a v2 type of data (table 0191) and
// subtype (table 0291): "application" and "pdf" give application/pdf, and
// so do AP and PDF. A subtype that is a MIME type already is kept; when no
// MIME type follows, there is none.
func mimeType(typ, sub string) string {
	sub = strings.ToLower(sub)
	if strings.Contains(sub, "/") {
		return sub
	}
	if sub == "" {
		return ""
	}
	top := mimeTop[strings.ToUpper(typ)]
	if top == "" {
		return ""
	}
	return top + "/" + sub
}

// mimeTop maps v2 types of data (table 0191) to MIME top-level types.
var mimeTop = map[string]string{
	"APPLICATION": "application", "AP": "application", "NS": "application", "SD": "application",
	"IMAGE": "image", "IM": "image", "SI": "image",
	"AUDIO": "audio", "AU": "audio", "VIDEO": "video",
	"TEXT": "text", "FT": "text", "MULTIPART": "multipart",
}

// observation returns v as an Observation value.
func (v obxValue) observation() *obspb.Observation_ValueX {
	switch {
	case v.quantity != nil:
		return &obspb.Observation_ValueX{Choice: &obspb.Observation_ValueX_Quantity{Quantity: v.quantity}}
	case v.concept != nil:
		return &obspb.Observation_ValueX{Choice: &obspb.Observation_ValueX_CodeableConcept{CodeableConcept: v.concept}}
	case v.text != nil && v.text.Value != "":
		return &obspb.Observation_ValueX{Choice: &obspb.Observation_ValueX_StringValue{StringValue: v.text}}
	case v.rng != nil:
		return &obspb.Observation_ValueX{Choice: &obspb.Observation_ValueX_Range{Range: v.rng}}
	case v.ratio != nil:
		return &obspb.Observation_ValueX{Choice: &obspb.Observation_ValueX_Ratio{Ratio: v.ratio}}
	case v.dateTime != nil:
		return &obspb.Observation_ValueX{Choice: &obspb.Observation_ValueX_DateTime{DateTime: v.dateTime}}
	case v.time != nil:
		return &obspb.Observation_ValueX{Choice: &obspb.Observation_ValueX_Time{Time: v.time}}
	case v.period != nil:
		return &obspb.Observation_ValueX{Choice: &obspb.Observation_ValueX_Period{Period: v.period}}
	}
	return nil
}

// component returns v as an Observation.component value.
func (v obxValue) component() *obspb.Observation_Component_ValueX {
	switch {
	case v.quantity != nil:
		return &obspb.Observation_Component_ValueX{Choice: &obspb.Observation_Component_ValueX_Quantity{Quantity: v.quantity}}
	case v.concept != nil:
		return &obspb.Observation_Component_ValueX{Choice: &obspb.Observation_Component_ValueX_CodeableConcept{CodeableConcept: v.concept}}
	case v.text != nil && v.text.Value != "":
		return &obspb.Observation_Component_ValueX{Choice: &obspb.Observation_Component_ValueX_StringValue{StringValue: v.text}}
	case v.rng != nil:
		return &obspb.Observation_Component_ValueX{Choice: &obspb.Observation_Component_ValueX_Range{Range: v.rng}}
	case v.ratio != nil:
		return &obspb.Observation_Component_ValueX{Choice: &obspb.Observation_Component_ValueX_Ratio{Ratio: v.ratio}}
	case v.dateTime != nil:
		return &obspb.Observation_Component_ValueX{Choice: &obspb.Observation_Component_ValueX_DateTime{DateTime: v.dateTime}}
	case v.time != nil:
		return &obspb.Observation_Component_ValueX{Choice: &obspb.Observation_Component_ValueX_Time{Time: v.time}}
	case v.period != nil:
		return &obspb.Observation_Component_ValueX{Choice: &obspb.Observation_Component_ValueX_Period{Period: v.period}}
	}
	return nil
}
