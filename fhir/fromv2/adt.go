package fromv2

import (
	"strings"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	aipb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/allergy_intolerance_go_proto"
	condpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/condition_go_proto"
	covpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/coverage_go_proto"
	encpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/encounter_go_proto"
	opb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/organization_go_proto"
	ppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/patient_go_proto"
	procpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/procedure_go_proto"
	rppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/related_person_go_proto"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
)

// The segment maps of the ADT messages beyond PID: PD1, NK1, PV1, PV2,
// DG1, AL1, PR1, IN1, EVN, and MRG for merges.

func init() {
	segmentMaps["EVN[Provenance]"] = segmentMapper{fn: (*conv).evn, fields: []int{1, 2, 4, 5, 6, 7}}
	segmentMaps["PD1[Patient]"] = segmentMapper{fn: (*conv).pd1, fields: []int{3, 4, 6, 14}}
	segmentMaps["NK1[RelatedPerson]"] = segmentMapper{fn: (*conv).nk1RelatedPerson, fields: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 20, 30, 31, 32, 33, 37, 40, 41}}
	segmentMaps["NK1[Patient]"] = segmentMapper{fn: (*conv).nk1Contact, fields: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 15, 30, 31, 32, 40, 41}}
	segmentMaps["PV1[Encounter]"] = segmentMapper{fn: (*conv).pv1, fields: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 19, 36, 37, 38, 42, 44, 45, 50, 52}}
	segmentMaps["PV2[Encounter]"] = segmentMapper{fn: (*conv).pv2, fields: []int{1, 3, 8, 9, 11, 12, 13, 25}}
	segmentMaps["DG1[Condition]"] = segmentMapper{fn: (*conv).dg1, fields: []int{1, 3, 4, 5, 6, 15, 16, 19, 20, 21}}
	segmentMaps["AL1[AllergyIntolerance]"] = segmentMapper{fn: (*conv).al1, fields: []int{1, 2, 3, 4, 5, 6}}
	segmentMaps["PR1[Procedure]"] = segmentMapper{fn: (*conv).pr1, fields: []int{1, 3, 4, 5, 6, 8, 11, 12, 15, 19, 23}}
	segmentMaps["IN1[Coverage]"] = segmentMapper{fn: (*conv).in1, fields: []int{1, 2, 3, 4, 5, 8, 12, 13, 15, 16, 17, 36, 49}}
	segmentMaps["MRG[Patient]"] = segmentMapper{fn: (*conv).mrg, fields: []int{1, 7}}
}

const (
	systemParticipationType = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
	systemActCode           = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
)

// evn: the header's Provenance reads EVN (operator, reason); this map
// only claims its fields so they count as carried.
func (c *conv) evn(seg *hl7v2.Segment) error {
	for _, f := range []int{2, 6} {
		if _, err := c.fieldTime(seg, f); err != nil {
			return err
		}
	}
	return nil
}

// pd1 merges PD1 into the Patient (PD1[Patient]).
func (c *conv) pd1(seg *hl7v2.Segment) error {
	p := c.patient
	if p == nil {
		return nil
	}
	c.primary = p
	for _, rep := range seg.Field(3) {
		if r := c.organization(rep); r != nil {
			p.GeneralPractitioner = append(p.GeneralPractitioner, r)
		}
	}
	for _, rep := range seg.Field(4) {
		if r := c.practitioner(rep); r != nil {
			p.GeneralPractitioner = append(p.GeneralPractitioner, r)
		}
	}
	if cc := c.codeableConcept(seg.Field(6).Rep(1), ""); cc != nil {
		p.Extension = append(p.Extension, &dtpb.Extension{
			Url:   &dtpb.Uri{Value: "http://hl7.org/fhir/StructureDefinition/patient-disability"},
			Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_CodeableConcept{CodeableConcept: cc}},
		})
	}
	if s := value(seg.Field(14).Comp(1).Value()); s != "" {
		p.Extension = append(p.Extension, stringExtension("http://hl7.org/fhir/StructureDefinition/patient-congregation", s))
	}
	return nil
}

// contactRoles are the NK1-3/NK1-7 codes that make an NK1 a contact of
// the patient rather than a related person (the sheet's condition).
var contactRoles = map[string]bool{"EMR": true, "E": true, "F": true, "I": true, "S": true}

// nk1RelatedPerson maps NK1 to a RelatedPerson (NK1[RelatedPerson]); its id
// derives from the patient, the name and the relationship, so the same
// next of kin in a later message is the same resource.
func (c *conv) nk1RelatedPerson(seg *hl7v2.Segment) error {
	if c.patient == nil || contactRoles[value(seg.Field(3).Comp(1).Value())] {
		return nil
	}
	rp := &rppb.RelatedPerson{Patient: ref("Patient", c.patientID)}
	for _, f := range []int{2, 30} {
		for _, rep := range seg.Field(f) {
			if n := c.m.humanName(rep); n != nil {
				rp.Name = append(rp.Name, n)
			}
		}
	}
	if cc := c.codeableConcept(seg.Field(3).Rep(1), "Relationship"); cc != nil {
		rp.Relationship = append(rp.Relationship, cc)
	}
	if cc := c.codeableConcept(seg.Field(7).Rep(1), "ContactRole"); cc != nil {
		rp.Relationship = append(rp.Relationship, cc)
	}
	for _, f := range []int{4, 32} {
		for _, rep := range seg.Field(f) {
			if a := c.m.address(rep); a != nil {
				rp.Address = append(rp.Address, a)
			}
		}
	}
	rp.Telecom = c.nk1Telecom(seg, 5, 6, 31, 40, 41)
	var err error
	if rp.Period, err = c.nk1Period(seg); err != nil {
		return err
	}
	for _, f := range []int{12, 33} {
		for _, rep := range seg.Field(f) {
			if id := c.cxIdentifier(rep); id != nil {
				rp.Identifier = append(rp.Identifier, id)
			}
		}
	}
	if ssn := value(seg.Get(37)); ssn != "" {
		rp.Identifier = append(rp.Identifier, &dtpb.Identifier{System: &dtpb.Uri{Value: fhir.SystemSSN}, Value: str(ssn), Type: c.m.identifierType("SS")})
	}
	if s := value(seg.Field(15).Comp(1).Value()); s != "" {
		if con, ok := c.m.vocab.sex[s]; ok {
			if g, ok := cpb.AdministrativeGenderCode_Value_value[strings.ToUpper(con.Code)]; ok {
				rp.Gender = &rppb.RelatedPerson_GenderCode{Value: cpb.AdministrativeGenderCode_Value(g)}
			}
		}
	}
	if s := value(seg.Get(16)); s != "" {
		d, err := birthDate(s, c.loc)
		if err != nil {
			return fieldError("NK1", 16, hl7v2.CodeDataType, "date/time of birth is not a valid date")
		}
		d.Extension = nil
		rp.BirthDate = d
	}
	if cc := c.codeableConcept(seg.Field(20).Rep(1), "PrimaryLanguage"); cc != nil {
		rp.Communication = []*rppb.RelatedPerson_Communication{{Language: cc}}
	}
	if len(rp.Name) == 0 && len(rp.Identifier) == 0 && len(rp.Telecom) == 0 {
		return nil
	}
	key := []string{c.patientID, value(seg.Field(3).Comp(1).Value())}
	if len(rp.Name) > 0 {
		key = append(key, nameKey(rp.Name[0]))
	} else if len(rp.Identifier) > 0 {
		key = append(key, rp.Identifier[0].GetSystem().GetValue(), rp.Identifier[0].GetValue().GetValue())
	} else {
		key = append(key, rp.Telecom[0].GetValue().GetValue())
	}
	rp.Id = &dtpb.Id{Value: derivedID("RelatedPerson", key...)}
	c.primary = c.add(rp, true)
	return nil
}

// nk1Uses is the use of each NK1 telecom field: NK1-6 and NK1-40 are
// business numbers, the others the person's own.
var nk1Uses = map[int]cpb.ContactPointUseCode_Value{
	5: cpb.ContactPointUseCode_HOME, 6: cpb.ContactPointUseCode_WORK, 31: cpb.ContactPointUseCode_HOME,
	40: cpb.ContactPointUseCode_WORK, 41: cpb.ContactPointUseCode_HOME,
}

// nk1Telecom maps the NK1 telecom fields given, in order.
func (c *conv) nk1Telecom(seg *hl7v2.Segment, fields ...int) []*dtpb.ContactPoint {
	var out []*dtpb.ContactPoint
	for _, f := range fields {
		for _, rep := range seg.Field(f) {
			if cp := c.m.contactPoint(rep, nk1Uses[f]); cp != nil {
				out = append(out, cp)
			}
		}
	}
	return out
}

// nk1Period maps NK1-8 and NK1-9, the relationship's start and end.
func (c *conv) nk1Period(seg *hl7v2.Segment) (*dtpb.Period, error) {
	start, err := c.fieldTime(seg, 8)
	if err != nil {
		return nil, err
	}
	end, err := c.fieldTime(seg, 9)
	if err != nil {
		return nil, err
	}
	return period(start, end), nil
}

// nk1Contact maps NK1 to a Patient.contact (NK1[Patient]).
func (c *conv) nk1Contact(seg *hl7v2.Segment) error {
	p := c.patient
	if p == nil {
		return nil
	}
	ct := &ppb.Patient_Contact{}
	if n := c.m.humanName(seg.Field(2).Rep(1)); n != nil {
		ct.Name = n
	}
	if cc := c.codeableConcept(seg.Field(3).Rep(1), "Relationship"); cc != nil {
		ct.Relationship = append(ct.Relationship, cc)
	}
	if cc := c.codeableConcept(seg.Field(7).Rep(1), "ContactRole"); cc != nil {
		ct.Relationship = append(ct.Relationship, cc)
	}
	if a := c.m.address(seg.Field(4).Rep(1)); a != nil {
		ct.Address = a
	}
	ct.Telecom = c.nk1Telecom(seg, 5, 6, 40, 41)
	var err error
	if ct.Period, err = c.nk1Period(seg); err != nil {
		return err
	}
	if r := c.organization(seg.Field(13).Rep(1)); r != nil {
		ct.Organization = r
	}
	if s := value(seg.Field(15).Comp(1).Value()); s != "" {
		if con, ok := c.m.vocab.sex[s]; ok {
			if g, ok := cpb.AdministrativeGenderCode_Value_value[strings.ToUpper(con.Code)]; ok {
				ct.Gender = &ppb.Patient_Contact_GenderCode{Value: cpb.AdministrativeGenderCode_Value(g)}
			}
		}
	}
	// pat-1: a contact needs a name, telecom, address or organization.
	if ct.Name == nil && len(ct.Telecom) == 0 && ct.Address == nil && ct.Organization == nil {
		return nil
	}
	p.Contact = append(p.Contact, ct)
	if c.primary == nil {
		c.primary = p
	}
	return nil
}

// pv1 maps PV1 to the Encounter (PV1[Encounter], and MSH[Encounter] for
// the status the trigger event implies).
func (c *conv) pv1(seg *hl7v2.Segment) error {
	if c.patient == nil {
		return nil
	}
	class := value(seg.Field(2).Comp(1).Value())
	empty := true
	for i := 3; i <= len(seg.Fields); i++ {
		if !seg.Field(i).Empty() {
			empty = false
			break
		}
	}
	if empty && (class == "" || class == "N") {
		// A PV1 that says nothing (A28/A31 senders fill PV1|1|N): no visit.
		return nil
	}
	e := &encpb.Encounter{Subject: ref("Patient", c.patientID)}
	if con, ok := c.m.vocab.lookup("PatientClass[EncounterClass]", class); ok {
		e.ClassValue = conceptCoding(con)
	} else if class != "" {
		e.ClassValue = &dtpb.Coding{System: &dtpb.Uri{Value: "http://terminology.hl7.org/CodeSystem/v2-0004"}, Code: &dtpb.Code{Value: class}}
	} else {
		e.ClassValue = &dtpb.Coding{System: &dtpb.Uri{Value: "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"}, Code: &dtpb.Code{Value: "UNK"}}
	}
	if id := c.cxIdentifier(seg.Field(19).Rep(1)); id != nil {
		id.Type = &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{System: &dtpb.Uri{Value: systemV2IdentifierType}, Code: &dtpb.Code{Value: "VN"}}}, Text: str("visit number")}
		e.Identifier = append(e.Identifier, id)
	}
	if id := c.cxIdentifier(seg.Field(50).Rep(1)); id != nil {
		e.Identifier = append(e.Identifier, id)
	}
	start, err := c.fieldTime(seg, 44)
	if err != nil {
		return err
	}
	end, err := c.fieldTime(seg, 45)
	if err != nil {
		return err
	}
	e.Period = period(start, end)
	e.Status = &encpb.Encounter_StatusCode{Value: c.encounterStatus(class, end != nil)}
	if cc := c.codeableConcept(seg.Field(4).Rep(1), "AdmissionType"); cc != nil {
		e.Type = append(e.Type, cc)
	}
	if cc := c.codeableConcept(seg.Field(10).Rep(1), "HospitalService"); cc != nil {
		e.ServiceType = cc
	}
	h := &encpb.Encounter_Hospitalization{}
	if id := c.cxIdentifier(seg.Field(5).Rep(1)); id != nil {
		h.PreAdmissionIdentifier = id
	}
	h.ReAdmission = c.codeableConcept(seg.Field(13).Rep(1), "ReadmissionIndicator")
	h.AdmitSource = c.codeableConcept(seg.Field(14).Rep(1), "")
	for _, rep := range seg.Field(15) {
		if cc := c.codeableConcept(rep, "AmbulatoryStatus"); cc != nil {
			h.SpecialArrangement = append(h.SpecialArrangement, cc)
		}
	}
	if cc := c.codeableConcept(seg.Field(16).Rep(1), "VIPIndicator"); cc != nil {
		h.SpecialCourtesy = append(h.SpecialCourtesy, cc)
	}
	h.DischargeDisposition = c.codeableConcept(seg.Field(36).Rep(1), "DischargeDisposition")
	if s := value(seg.Field(37).Comp(1).Value()); s != "" {
		h.Destination = c.location(hl7v2.Repetition{hl7v2.Component{s}})
	}
	if cc := c.codeableConcept(seg.Field(38).Rep(1), "DietType"); cc != nil {
		h.DietPreference = append(h.DietPreference, cc)
	}
	if h.PreAdmissionIdentifier != nil || h.ReAdmission != nil || h.AdmitSource != nil || len(h.SpecialArrangement) > 0 ||
		len(h.SpecialCourtesy) > 0 || h.DischargeDisposition != nil || h.Destination != nil || len(h.DietPreference) > 0 {
		e.Hospitalization = h
	}
	for _, p := range []struct {
		f          int
		code, text string
	}{{7, "ATND", "attender"}, {8, "REF", "referrer"}, {9, "CON", "consultant"}, {17, "ADM", "admitter"}, {52, "PART", "Participation"}} {
		for _, rep := range seg.Field(p.f) {
			if r := c.practitioner(rep); r != nil {
				e.Participant = append(e.Participant, participant(r, p.code, p.text))
			}
		}
	}
	planned := cpb.EncounterLocationStatusCode_ACTIVE
	if class == "P" {
		planned = cpb.EncounterLocationStatusCode_PLANNED
	}
	for _, l := range []struct {
		f      int
		status cpb.EncounterLocationStatusCode_Value
	}{{3, planned}, {6, cpb.EncounterLocationStatusCode_COMPLETED}, {11, cpb.EncounterLocationStatusCode_ACTIVE}, {42, cpb.EncounterLocationStatusCode_RESERVED}} {
		if r := c.location(seg.Field(l.f).Rep(1)); r != nil {
			e.Location = append(e.Location, &encpb.Encounter_Location{Location: r, Status: &encpb.Encounter_Location_StatusCode{Value: l.status}})
		}
	}
	switch {
	case len(e.Identifier) > 0 && value(seg.Field(19).Comp(1).Value()) != "":
		e.Id = &dtpb.Id{Value: fhir.ID("Encounter", e.Identifier[0].GetSystem().GetValue(), e.Identifier[0].GetValue().GetValue())}
	case start != nil:
		// No visit number: the patient's visit that began then.
		e.Id = &dtpb.Id{Value: derivedID("Encounter", c.patientID, value(seg.Get(44)))}
	default:
		e.Id = &dtpb.Id{Value: derivedID("Encounter", c.patientID, c.sender, value(c.msh.Get(10)))}
	}
	c.encounter = c.add(e, true)
	c.primary = c.encounter
	c.last = c.encounter
	return nil
}

// encounterStatus: a discharge time means finished; else the trigger
// event's status (Event[EncounterStatus]) when it says one; else the
// patient class's (PatientClass[EncounterStatus]).
func (c *conv) encounterStatus(class string, discharged bool) cpb.EncounterStatusCode_Value {
	if discharged {
		return cpb.EncounterStatusCode_FINISHED
	}
	ev := c.event[strings.IndexByte(c.event, '^')+1:]
	for _, k := range []struct{ vocab, code string }{{"Event[EncounterStatus]", ev}, {"PatientClass[EncounterStatus]", class}} {
		if con, ok := c.m.vocab.lookup(k.vocab, k.code); ok && con.Code != "unknown" {
			if v, ok := cpb.EncounterStatusCode_Value_value[strings.ToUpper(strings.ReplaceAll(con.Code, "-", "_"))]; ok {
				return cpb.EncounterStatusCode_Value(v)
			}
		}
	}
	return cpb.EncounterStatusCode_UNKNOWN
}

func participant(r *dtpb.Reference, code, text string) *encpb.Encounter_Participant {
	return &encpb.Encounter_Participant{
		Individual: r,
		Type: []*dtpb.CodeableConcept{{
			Coding: []*dtpb.Coding{{System: &dtpb.Uri{Value: systemParticipationType}, Code: &dtpb.Code{Value: code}}},
			Text:   str(text),
		}},
	}
}

// pv2 merges PV2 into the Encounter (PV2[Encounter]).
func (c *conv) pv2(seg *hl7v2.Segment) error {
	e, _ := c.encounter.(*encpb.Encounter)
	if e == nil {
		return nil
	}
	c.primary = e
	if r := c.location(seg.Field(1).Rep(1)); r != nil {
		e.Location = append(e.Location, &encpb.Encounter_Location{Location: r, Status: &encpb.Encounter_Location_StatusCode{Value: cpb.EncounterLocationStatusCode_PLANNED}})
	}
	if cc := c.codeableConcept(seg.Field(3).Rep(1), ""); cc != nil {
		e.ReasonCode = append(e.ReasonCode, cc)
	}
	for _, x := range []struct {
		f   int
		url string
	}{{8, "http://hl7.org/fhir/5.0/StructureDefinition/extension-Encounter.plannedStartDate"}, {9, "http://hl7.org/fhir/5.0/StructureDefinition/extension-Encounter.plannedEndDate"}} {
		dt, err := c.fieldTime(seg, x.f)
		if err != nil {
			return err
		}
		if dt != nil {
			e.Extension = append(e.Extension, &dtpb.Extension{Url: &dtpb.Uri{Value: x.url}, Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_DateTime{DateTime: dt}}})
		}
	}
	if s := value(seg.Get(11)); s != "" {
		d, ok := decimal(s)
		if !ok {
			return fieldError("PV2", 11, hl7v2.CodeDataType, "actual length of inpatient stay is not a number")
		}
		e.Length = &dtpb.Duration{Value: &dtpb.Decimal{Value: d}, Unit: str("days"), System: &dtpb.Uri{Value: "http://unitsofmeasure.org"}, Code: &dtpb.Code{Value: "d"}}
	}
	if s := value(seg.Get(12)); s != "" {
		e.Extension = append(e.Extension, stringExtension(extSegmentText, s))
	}
	for _, rep := range seg.Field(13) {
		if r := c.practitioner(rep); r != nil {
			e.Participant = append(e.Participant, participant(r, "REF", "referrer"))
		}
	}
	if cc := c.codeableConcept(seg.Field(25).Rep(1), "EncounterPriority"); cc != nil {
		e.Priority = cc
	}
	return nil
}

// extSegmentText carries PV2-12 (visit description): the IG puts it in
// text.div, but a narrative needs XHTML the sender did not write.
const extSegmentText = "https://tributary.health/fhir/StructureDefinition/hl7v2-visit-description"

// dg1 maps DG1 to a Condition (DG1[Condition]) and adds it to the
// Encounter's diagnoses (DG1[Encounter]).
func (c *conv) dg1(seg *hl7v2.Segment) error {
	if c.patient == nil {
		return nil
	}
	cond := &condpb.Condition{Subject: ref("Patient", c.patientID)}
	cond.Code = c.codeableConcept(seg.Field(3).Rep(1), "")
	if s := value(seg.Get(4)); s != "" {
		if cond.Code == nil {
			cond.Code = &dtpb.CodeableConcept{}
		}
		if cond.Code.Text == nil {
			cond.Code.Text = str(s)
		}
	}
	onset, err := c.fieldTime(seg, 5)
	if err != nil {
		return err
	}
	if onset != nil {
		cond.Onset = &condpb.Condition_OnsetX{Choice: &condpb.Condition_OnsetX_DateTime{DateTime: onset}}
	}
	if rep := seg.Field(16).Rep(1); !rep.Empty() {
		cond.Asserter = c.practitioner(rep)
	}
	recorded, err := c.fieldTime(seg, 19)
	if err != nil {
		return err
	}
	cond.RecordedDate = recorded
	if id := c.eiIdentifier(seg.Field(20).Rep(1)); id != nil {
		cond.Identifier = append(cond.Identifier, id)
	}
	if yes, _ := yesNo(value(seg.Get(21))); yes {
		cond.VerificationStatus = &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{
			System: &dtpb.Uri{Value: "http://terminology.hl7.org/CodeSystem/condition-ver-status"},
			Code:   &dtpb.Code{Value: "entered-in-error"},
		}}}
	}
	if c.encounter != nil {
		cond.Encounter = refTo(c.encounter)
	}
	if cond.Code == nil && len(cond.Identifier) == 0 {
		return nil
	}
	switch {
	case len(cond.Identifier) > 0:
		cond.Id = &dtpb.Id{Value: fhir.ID("Condition", cond.Identifier[0].GetSystem().GetValue(), cond.Identifier[0].GetValue().GetValue())}
	default:
		encID := ""
		if c.encounter != nil {
			encID = resourceID(c.encounter)
		}
		cond.Id = &dtpb.Id{Value: derivedID("Condition", c.patientID, encID, codeKey(cond.Code))}
	}
	kept := c.add(cond, true)
	c.primary, c.last = kept, kept
	if e, _ := c.encounter.(*encpb.Encounter); e != nil {
		d := &encpb.Encounter_Diagnosis{Condition: refTo(kept)}
		d.Use = c.codeableConcept(seg.Field(6).Rep(1), "DiagnosisType")
		if s := value(seg.Get(15)); s != "" {
			if n, ok := parsePositive(s); ok {
				d.Rank = &dtpb.PositiveInt{Value: n}
			}
		}
		e.Diagnosis = append(e.Diagnosis, d)
	}
	return nil
}

func parsePositive(s string) (uint32, bool) {
	var n uint32
	for _, r := range strings.TrimSpace(s) {
		if r < '0' || r > '9' || n > 1<<27 {
			return 0, false
		}
		n = n*10 + uint32(r-'0')
	}
	return n, n > 0
}

// codeKey identifies a coded concept for a derived id: its first coding,
// else its text.
func codeKey(cc *dtpb.CodeableConcept) string {
	for _, cd := range cc.GetCoding() {
		return cd.GetSystem().GetValue() + "|" + cd.GetCode().GetValue()
	}
	return strings.ToUpper(cc.GetText().GetValue())
}

// al1 maps AL1 to an AllergyIntolerance (AL1[AllergyIntolerance]).
func (c *conv) al1(seg *hl7v2.Segment) error {
	if c.patient == nil {
		return nil
	}
	a := &aipb.AllergyIntolerance{
		Patient: ref("Patient", c.patientID),
		ClinicalStatus: &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{
			System: &dtpb.Uri{Value: "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"},
			Code:   &dtpb.Code{Value: "active"},
		}}},
	}
	a.Code = c.codeableConcept(seg.Field(3).Rep(1), "")
	if a.Code == nil {
		return fieldError("AL1", 3, hl7v2.CodeRequiredFieldMissing, "allergen code missing")
	}
	typ := value(seg.Field(2).Comp(1).Value())
	if con, ok := c.m.vocab.lookup("AllergenType[AllergyIntoleranceCategory]", typ); ok {
		if v, ok := cpb.AllergyIntoleranceCategoryCode_Value_value[strings.ToUpper(con.Code)]; ok {
			a.Category = append(a.Category, &aipb.AllergyIntolerance_CategoryCode{Value: cpb.AllergyIntoleranceCategoryCode_Value(v)})
		}
	}
	if con, ok := c.m.vocab.lookup("AllergyType", typ); ok {
		if v, ok := cpb.AllergyIntoleranceTypeCode_Value_value[strings.ToUpper(con.Code)]; ok {
			a.Type = &aipb.AllergyIntolerance_TypeCode{Value: cpb.AllergyIntoleranceTypeCode_Value(v)}
		}
	}
	sev := value(seg.Field(4).Comp(1).Value())
	if con, ok := c.m.vocab.lookup("AllergySeverity[AllergyIntolerance.criticality]", sev); ok {
		if v, ok := cpb.AllergyIntoleranceCriticalityCode_Value_value[strings.ToUpper(strings.ReplaceAll(con.Code, "-", "_"))]; ok {
			a.Criticality = &aipb.AllergyIntolerance_CriticalityCode{Value: cpb.AllergyIntoleranceCriticalityCode_Value(v)}
		}
	}
	for _, rep := range seg.Field(5) {
		if s := value(rep.Value()); s != "" {
			r := &aipb.AllergyIntolerance_Reaction{Manifestation: []*dtpb.CodeableConcept{{Text: str(s)}}}
			if con, ok := c.m.vocab.lookup("AllergySeverity[AllergyIntolerance.reaction.severity]", sev); ok {
				if v, ok := cpb.AllergyIntoleranceSeverityCode_Value_value[strings.ToUpper(con.Code)]; ok {
					r.Severity = &aipb.AllergyIntolerance_Reaction_SeverityCode{Value: cpb.AllergyIntoleranceSeverityCode_Value(v)}
				}
			}
			a.Reaction = append(a.Reaction, r)
		}
	}
	onset, err := c.fieldTime(seg, 6)
	if err != nil {
		return err
	}
	if onset != nil {
		a.Onset = &aipb.AllergyIntolerance_OnsetX{Choice: &aipb.AllergyIntolerance_OnsetX_DateTime{DateTime: onset}}
	}
	a.Id = &dtpb.Id{Value: derivedID("AllergyIntolerance", c.patientID, codeKey(a.Code))}
	kept := c.add(a, true)
	c.primary, c.last = kept, kept
	return nil
}

// pr1 maps PR1 to a Procedure (PR1[Procedure]).
func (c *conv) pr1(seg *hl7v2.Segment) error {
	if c.patient == nil {
		return nil
	}
	p := &procpb.Procedure{
		Subject: ref("Patient", c.patientID),
		Status:  &procpb.Procedure_StatusCode{Value: cpb.EventStatusCode_COMPLETED},
	}
	p.Code = c.codeableConcept(seg.Field(3).Rep(1), "")
	if s := value(seg.Get(4)); s != "" {
		if p.Code == nil {
			p.Code = &dtpb.CodeableConcept{}
		}
		if p.Code.Text == nil {
			p.Code.Text = str(s)
		}
	}
	if p.Code == nil {
		return fieldError("PR1", 3, hl7v2.CodeRequiredFieldMissing, "procedure code missing")
	}
	when, err := c.fieldTime(seg, 5)
	if err != nil {
		return err
	}
	if when != nil {
		p.Performed = &procpb.Procedure_PerformedX{Choice: &procpb.Procedure_PerformedX_DateTime{DateTime: when}}
	}
	p.Category = c.codeableConcept(seg.Field(6).Rep(1), "")
	for _, x := range []struct {
		f          int
		code, text string
	}{{8, "88189002", "Anesthesiologist"}, {11, "304292004", "Surgeon"}, {12, "", ""}} {
		for _, rep := range seg.Field(x.f) {
			r := c.practitioner(rep)
			if r == nil {
				continue
			}
			pf := &procpb.Procedure_Performer{Actor: r}
			if x.code != "" {
				pf.Function = &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{System: &dtpb.Uri{Value: "http://snomed.info/sct"}, Code: &dtpb.Code{Value: x.code}, Display: str(x.text)}}}
			}
			p.Performer = append(p.Performer, pf)
		}
	}
	if cc := c.codeableConcept(seg.Field(15).Rep(1), ""); cc != nil {
		p.ReasonCode = append(p.ReasonCode, cc)
	}
	if id := c.eiIdentifier(seg.Field(19).Rep(1)); id != nil {
		p.Identifier = append(p.Identifier, id)
	}
	if r := c.location(seg.Field(23).Rep(1)); r != nil {
		p.Location = r
	}
	if c.encounter != nil {
		p.Encounter = refTo(c.encounter)
	}
	if len(p.Identifier) > 0 {
		p.Id = &dtpb.Id{Value: fhir.ID("Procedure", p.Identifier[0].GetSystem().GetValue(), p.Identifier[0].GetValue().GetValue())}
	} else {
		p.Id = &dtpb.Id{Value: derivedID("Procedure", c.patientID, codeKey(p.Code), value(seg.Get(5)))}
	}
	kept := c.add(p, true)
	c.primary, c.last = kept, kept
	return nil
}

// in1 maps IN1 to a Coverage (IN1[Coverage]) with its payer. The id is
// payer + member id + plan ([fhir.Systems.CoverageID]) so an 834 or 837
// naming the same member and plan converges on it.
func (c *conv) in1(seg *hl7v2.Segment) error {
	if c.patient == nil {
		return nil
	}
	payerID := value(seg.Field(3).Comp(1).Value())
	plan := value(seg.Field(2).Comp(1).Value())
	member := value(seg.Field(36).Comp(1).Value())
	if member == "" {
		member = value(seg.Field(49).Comp(1).Value())
	}
	cov := &covpb.Coverage{
		Status:      &covpb.Coverage_StatusCode{Value: cpb.FinancialResourceStatusCode_ACTIVE},
		Beneficiary: ref("Patient", c.patientID),
	}
	// The payer: by its id when IN1-3 has one, else by name.
	org := &opb.Organization{}
	if rep := seg.Field(4).Rep(1); value(rep.Comp(1).Value()) != "" {
		org.Name = str(value(rep.Comp(1).Value()))
	}
	if a := c.m.address(seg.Field(5).Rep(1)); a != nil {
		org.Address = []*dtpb.Address{a}
	}
	switch {
	case payerID != "":
		org.Identifier = []*dtpb.Identifier{{System: &dtpb.Uri{Value: fhir.SystemPayer}, Value: str(payerID)}}
		org.Id = &dtpb.Id{Value: fhir.PayerOrganizationID(payerID)}
	case org.Name != nil:
		org.Id = &dtpb.Id{Value: derivedID("Organization", c.sender, strings.ToUpper(org.Name.GetValue()))}
	default:
		// No payer, no Coverage (Coverage.payor is required); the segment
		// is kept verbatim on the MessageHeader rather than lost.
		return nil
	}
	cov.Payor = []*dtpb.Reference{refTo(c.add(org, false))}
	if member != "" {
		sys := c.m.cfg.Systems.PayerMember(payerID)
		cov.SubscriberId = str(member)
		cov.Identifier = []*dtpb.Identifier{{System: &dtpb.Uri{Value: sys}, Value: str(member), Type: c.m.identifierType("MB")}}
	}
	if plan != "" {
		cov.ClassValue = []*covpb.Coverage_Class{{
			Type:  &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{System: &dtpb.Uri{Value: "http://terminology.hl7.org/CodeSystem/coverage-class"}, Code: &dtpb.Code{Value: "plan"}}}},
			Value: str(plan),
		}}
		if n := value(seg.Field(2).Comp(2).Value()); n != "" {
			cov.ClassValue[0].Name = str(n)
		}
	}
	if s := value(seg.Get(8)); s != "" {
		cov.ClassValue = append(cov.ClassValue, &covpb.Coverage_Class{
			Type:  &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{System: &dtpb.Uri{Value: "http://terminology.hl7.org/CodeSystem/coverage-class"}, Code: &dtpb.Code{Value: "group"}}}},
			Value: str(s),
		})
	}
	start, err := c.fieldTime(seg, 12)
	if err != nil {
		return err
	}
	end, err := c.fieldTime(seg, 13)
	if err != nil {
		return err
	}
	cov.Period = period(start, end)
	cov.Type = c.codeableConcept(seg.Field(15).Rep(1), "PlanId")
	rel := seg.Field(17).Rep(1)
	cov.Relationship = c.codeableConcept(rel, "Relationship")
	if v := value(rel.Comp(1).Value()); v == "SEL" || v == "01" || v == "18" {
		cov.Subscriber = ref("Patient", c.patientID)
	}
	switch {
	case member != "":
		cov.Id = &dtpb.Id{Value: c.m.cfg.Systems.CoverageID(payerID, member, plan)}
	default:
		cov.Id = &dtpb.Id{Value: derivedID("Coverage", c.patientID, resourceID(org), plan)}
	}
	kept := c.add(cov, true)
	c.primary, c.last = kept, kept
	return nil
}

// mrg maps an A40 merge: the surviving Patient (PID) keeps the merged
// one's identifiers (MRG-1) and links to it as `replaces`; the merged
// Patient gets `link` `replaced-by` and becomes inactive.
func (c *conv) mrg(seg *hl7v2.Segment) error {
	if c.patient == nil {
		return nil
	}
	var defining *dtpb.Identifier
	for _, rep := range seg.Field(1) {
		id := c.cxIdentifier(rep)
		if id == nil {
			continue
		}
		if defining == nil || (typeCode(defining) != "MR" && value(rep.Comp(5).Value()) == "MR") {
			defining = id
		}
		if !hasIdentifier(c.patient, id) {
			old := &dtpb.Identifier{System: id.System, Value: id.Value, Type: id.Type, Use: &dtpb.Identifier_UseCode{Value: cpb.IdentifierUseCode_OLD}}
			c.patient.Identifier = append(c.patient.Identifier, old)
		}
	}
	if defining == nil {
		return fieldError("MRG", 1, hl7v2.CodeRequiredFieldMissing, "prior patient identifier list is empty")
	}
	oldID := fhir.ID("Patient", defining.GetSystem().GetValue(), defining.GetValue().GetValue())
	if oldID == c.patientID {
		return fieldError("MRG", 1, hl7v2.CodeDataType, "prior patient identifier is the surviving patient's")
	}
	merged := &ppb.Patient{
		Id:         &dtpb.Id{Value: oldID},
		Identifier: []*dtpb.Identifier{defining},
		Active:     &dtpb.Boolean{Value: false},
		Link: []*ppb.Patient_Link{{
			Other: ref("Patient", c.patientID),
			Type:  &ppb.Patient_Link_TypeCode{Value: cpb.LinkTypeCode_REPLACED_BY},
		}},
	}
	if n := c.m.humanName(seg.Field(7).Rep(1)); n != nil {
		merged.Name = []*dtpb.HumanName{n}
	}
	c.patient.Link = append(c.patient.Link, &ppb.Patient_Link{
		Other: ref("Patient", oldID),
		Type:  &ppb.Patient_Link_TypeCode{Value: cpb.LinkTypeCode_REPLACES},
	})
	// The merged Patient is keyed by its own id: it is no longer the
	// surviving patient's partition key until identity resolution links them.
	kept := c.add(merged, false)
	c.entries[c.index["Patient/"+oldID]].Patient = oldID
	c.primary = kept
	return nil
}

func hasIdentifier(p *ppb.Patient, id *dtpb.Identifier) bool {
	for _, x := range p.GetIdentifier() {
		if x.GetSystem().GetValue() == id.GetSystem().GetValue() && x.GetValue().GetValue() == id.GetValue().GetValue() {
			return true
		}
	}
	return false
}
