package fromv2

import (
	"strings"
	"time"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	ppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/patient_go_proto"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
)

const (
	systemV2IdentifierType = "http://terminology.hl7.org/CodeSystem/v2-0203"
	extBirthTime           = "http://hl7.org/fhir/StructureDefinition/patient-birthTime"
	extContactCountry      = "http://hl7.org/fhir/StructureDefinition/contactpoint-country"
	extContactArea         = "http://hl7.org/fhir/StructureDefinition/contactpoint-area"
	extContactLocal        = "http://hl7.org/fhir/StructureDefinition/contactpoint-local"
	extContactExtension    = "http://hl7.org/fhir/StructureDefinition/contactpoint-extension"
)

func init() {
	segmentMaps["PID[Patient]"] = segmentMapper{fn: (*conv).pid, fields: []int{1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 19, 24, 25, 26, 28, 29, 30}}
}

// pid maps the message's PID (PID[Patient]); a second PID (a merge's
// non-surviving patient comes in MRG, not PID) is not expected.
func (c *conv) pid(pid *hl7v2.Segment) error {
	p, err := c.m.patient(c.msh, pid, c.loc)
	if err != nil {
		return err
	}
	if c.patient != nil {
		// A second PID (ADT^A24 link, A37 unlink, a multi-patient message):
		// its Patient is mapped too and linked to the first as "seealso";
		// the message's resources stay with the first.
		if err := c.pidExtras(p, pid); err != nil {
			return err
		}
		if p.GetId().GetValue() == c.patientID {
			c.primary = c.patient
			return nil
		}
		p.Link = append(p.Link, &ppb.Patient_Link{Other: ref("Patient", c.patientID), Type: &ppb.Patient_Link_TypeCode{Value: cpb.LinkTypeCode_SEEALSO}})
		c.patient.Link = append(c.patient.Link, &ppb.Patient_Link{Other: ref("Patient", p.GetId().GetValue()), Type: &ppb.Patient_Link_TypeCode{Value: cpb.LinkTypeCode_SEEALSO}})
		kept := c.add(p, false)
		c.entries[c.index["Patient/"+p.GetId().GetValue()]].Patient = p.GetId().GetValue()
		c.primary = kept
		return nil
	}
	if err := c.pidExtras(p, pid); err != nil {
		return err
	}
	c.patient, c.patientID = p, p.GetId().GetValue()
	c.add(p, true)
	c.primary = p
	c.last = p
	return nil
}

// pidExtras maps the PID fields whose datatypes need the conversion's
// coded-value maps: PID-6, 15, 16, 17, 24, 25, 26 and 28.
func (c *conv) pidExtras(p *ppb.Patient, pid *hl7v2.Segment) error {
	if s := value(pid.Field(6).Comp(1).Sub(1)); s != "" {
		p.Extension = append(p.Extension, stringExtension("http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName", s))
	}
	if cc := c.codeableConcept(pid.Field(15).Rep(1), "PrimaryLanguage"); cc != nil {
		p.Communication = []*ppb.Patient_Communication{{Language: cc}}
	}
	p.MaritalStatus = c.codeableConcept(pid.Field(16).Rep(1), "MaritalStatus")
	if cc := c.codeableConcept(pid.Field(17).Rep(1), "Religion"); cc != nil {
		p.Extension = append(p.Extension, conceptExtension("http://hl7.org/fhir/StructureDefinition/patient-religion", cc))
	}
	if s := strings.TrimSpace(value(pid.Get(25))); s != "" && s != "0" {
		// Senders write 0 for "not a multiple birth".
		n, ok := parsePositive(s)
		if !ok {
			return fieldError("PID", 25, hl7v2.CodeDataType, "birth order is not a positive integer")
		}
		p.MultipleBirth = &ppb.Patient_MultipleBirthX{Choice: &ppb.Patient_MultipleBirthX_Integer{Integer: &dtpb.Integer{Value: int32(n)}}}
	} else if s := value(pid.Get(24)); s != "" {
		b, ok := yesNo(s)
		if !ok {
			return fieldError("PID", 24, hl7v2.CodeTableValueNotFound, "multiple birth indicator is not Y or N")
		}
		p.MultipleBirth = &ppb.Patient_MultipleBirthX{Choice: &ppb.Patient_MultipleBirthX_Boolean{Boolean: &dtpb.Boolean{Value: b}}}
	}
	for _, x := range []struct {
		f   int
		url string
	}{{26, "http://hl7.org/fhir/StructureDefinition/patient-citizenship"}, {28, "http://hl7.org/fhir/StructureDefinition/patient-nationality"}} {
		if cc := c.codeableConcept(pid.Field(x.f).Rep(1), ""); cc != nil {
			p.Extension = append(p.Extension, &dtpb.Extension{Url: &dtpb.Uri{Value: x.url}, Extension: []*dtpb.Extension{conceptExtension("code", cc)}})
		}
	}
	return nil
}

func conceptExtension(url string, cc *dtpb.CodeableConcept) *dtpb.Extension {
	return &dtpb.Extension{Url: &dtpb.Uri{Value: url}, Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_CodeableConcept{CodeableConcept: cc}}}
}

// patient maps PID (the IG's PID[Patient] sheet) to a Patient.
func (m *Mapper) patient(msh, pid *hl7v2.Segment, loc *time.Location) (*ppb.Patient, error) {
	p := &ppb.Patient{}
	if err := m.identifiers(p, msh, pid); err != nil {
		return nil, err
	}
	for _, rep := range pid.Field(5) {
		if n := m.humanName(rep); n != nil {
			p.Name = append(p.Name, n)
		}
	}
	if s := value(pid.Get(7)); s != "" {
		d, err := birthDate(s, loc)
		if err != nil {
			return nil, fieldError("PID", 7, hl7v2.CodeDataType, "date/time of birth is not a valid date")
		}
		p.BirthDate = d
	}
	if s := value(pid.Field(8).Comp(1).Value()); s != "" {
		c, ok := m.vocab.sex[s]
		g, known := cpb.AdministrativeGenderCode_Value_value[strings.ToUpper(c.Code)]
		if !ok || !known {
			return nil, fieldError("PID", 8, hl7v2.CodeTableValueNotFound, "administrative sex is not in table 0001")
		}
		p.Gender = &ppb.Patient_GenderCode{Value: cpb.AdministrativeGenderCode_Value(g)}
	}
	addrs := pid.Field(11)
	for _, rep := range addrs {
		if a := m.address(rep); a != nil {
			p.Address = append(p.Address, a)
		}
	}
	// PID-12 (county) applies when there is one address without its own county.
	if county := value(pid.Field(12).Comp(1).Value()); county != "" && len(p.Address) == 1 && p.Address[0].District == nil {
		p.Address[0].District = str(county)
	}
	for _, f := range []struct {
		field int
		use   cpb.ContactPointUseCode_Value
	}{{13, cpb.ContactPointUseCode_HOME}, {14, cpb.ContactPointUseCode_WORK}} {
		for _, rep := range pid.Field(f.field) {
			if c := m.contactPoint(rep, f.use); c != nil {
				p.Telecom = append(p.Telecom, c)
			}
		}
	}
	if s := value(pid.Get(29)); s != "" {
		dt, err := dateTime(s, loc)
		if err != nil {
			return nil, fieldError("PID", 29, hl7v2.CodeDataType, "death date/time is not a valid timestamp")
		}
		p.Deceased = &ppb.Patient_DeceasedX{Choice: &ppb.Patient_DeceasedX_DateTime{DateTime: dt}}
	} else if s := value(pid.Get(30)); s != "" {
		dead, ok := yesNo(s)
		if !ok {
			return nil, fieldError("PID", 30, hl7v2.CodeTableValueNotFound, "death indicator is not Y or N")
		}
		p.Deceased = &ppb.Patient_DeceasedX{Choice: &ppb.Patient_DeceasedX_Boolean{Boolean: &dtpb.Boolean{Value: dead}}}
	}
	return p, nil
}

// identifiers maps PID-3 (and PID-2, PID-4, PID-19) and sets the Patient's
// id from its defining identifier.
func (m *Mapper) identifiers(p *ppb.Patient, msh, pid *hl7v2.Segment) error {
	facility := msh.Field(4).Rep(1)
	var defining *dtpb.Identifier
	for _, field := range []int{3, 2, 4} {
		for i, rep := range pid.Field(field) {
			v := value(rep.Comp(1).Value())
			if v == "" {
				continue
			}
			aa := rep.Comp(4)
			if value(aa.Sub(1)) == "" && value(aa.Sub(2)) == "" {
				aa = implicitAuthority(rep, facility, msh.Field(3).Rep(1))
			}
			system := m.cfg.Systems.AssigningAuthority(value(aa.Sub(1)), value(aa.Sub(2)), value(aa.Sub(3)))
			if system == "" {
				return &hl7v2.Error{
					Location: hl7v2.Location{Segment: "PID", Field: field, Repetition: i + 1, Component: 4},
					Code:     hl7v2.CodeRequiredFieldMissing,
					Message:  "identifier has no assigning authority and the message no sending facility",
				}
			}
			id := &dtpb.Identifier{System: &dtpb.Uri{Value: system}, Value: str(v)}
			if t := value(rep.Comp(5).Value()); t != "" {
				id.Type = m.identifierType(t)
			}
			p.Identifier = append(p.Identifier, id)
			if field == 3 && (defining == nil || (typeCode(defining) != "MR" && value(rep.Comp(5).Value()) == "MR")) {
				defining = id
			}
		}
	}
	if defining == nil {
		return &hl7v2.Error{Location: hl7v2.Location{Segment: "PID", Field: 3}, Code: hl7v2.CodeRequiredFieldMissing, Message: "patient identifier list has no identifier"}
	}
	if ssn := value(pid.Get(19)); ssn != "" {
		p.Identifier = append(p.Identifier, &dtpb.Identifier{
			System: &dtpb.Uri{Value: fhir.SystemSSN},
			Value:  str(ssn),
			Type:   m.identifierType("SS"),
		})
	}
	p.Id = &dtpb.Id{Value: fhir.ID("Patient", defining.GetSystem().GetValue(), defining.GetValue().GetValue())}
	return nil
}

// implicitAuthority names who assigned a CX without CX.4: its assigning
// jurisdiction (CX.9) or agency (CX.10) when given, else the sending
// facility (MSH-4), else the sending application (MSH-3).
func implicitAuthority(cx, facility, app hl7v2.Repetition) hl7v2.Component {
	for _, n := range []int{9, 10} {
		if code := value(cx.Comp(n).Sub(1)); code != "" {
			return hl7v2.Component{code}
		}
	}
	for _, hd := range []hl7v2.Repetition{facility, app} {
		if value(hd.Comp(1).Value()) != "" || value(hd.Comp(2).Value()) != "" {
			return hl7v2.Component{hd.Comp(1).Value(), hd.Comp(2).Value(), hd.Comp(3).Value()}
		}
	}
	return nil
}

// typeCode returns the v2 identifier type code of id, if any.
func typeCode(id *dtpb.Identifier) string {
	for _, c := range id.GetType().GetCoding() {
		return c.GetCode().GetValue()
	}
	return id.GetType().GetText().GetValue()
}

func (m *Mapper) identifierType(code string) *dtpb.CodeableConcept {
	if c, ok := m.vocab.identifierType[code]; ok {
		return &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{
			System: &dtpb.Uri{Value: c.System},
			Code:   &dtpb.Code{Value: c.Code},
		}}}
	}
	// A local type code: kept as text rather than invented into a system.
	return &dtpb.CodeableConcept{Text: str(code)}
}

// humanName maps an XPN (the IG's XPN[HumanName] sheet).
func (m *Mapper) humanName(rep hl7v2.Repetition) *dtpb.HumanName {
	n := &dtpb.HumanName{}
	if s := value(rep.Comp(1).Sub(1)); s != "" {
		n.Family = str(s)
	}
	for _, c := range []int{2, 3} {
		if s := value(rep.Comp(c).Value()); s != "" {
			n.Given = append(n.Given, str(s))
		}
	}
	if s := value(rep.Comp(4).Value()); s != "" {
		n.Suffix = append(n.Suffix, str(s))
	}
	if s := value(rep.Comp(5).Value()); s != "" {
		n.Prefix = append(n.Prefix, str(s))
	}
	if s := value(rep.Comp(6).Value()); s != "" {
		n.Suffix = append(n.Suffix, str(s))
	}
	if n.Family == nil && len(n.Given) == 0 && len(n.Prefix) == 0 && len(n.Suffix) == 0 {
		return nil
	}
	if c, ok := m.vocab.nameUse[value(rep.Comp(7).Value())]; ok {
		if u, ok := cpb.NameUseCode_Value_value[strings.ToUpper(c.Code)]; ok {
			n.Use = &dtpb.HumanName_UseCode{Value: cpb.NameUseCode_Value(u)}
		}
	}
	return n
}

// address maps an XAD (the IG's XAD[Address] sheet).
func (m *Mapper) address(rep hl7v2.Repetition) *dtpb.Address {
	a := &dtpb.Address{}
	if s := value(rep.Comp(1).Sub(1)); s != "" {
		a.Line = append(a.Line, str(s))
	}
	if s := value(rep.Comp(2).Value()); s != "" {
		a.Line = append(a.Line, str(s))
	}
	set := func(dst **dtpb.String, comp int) {
		if s := value(rep.Comp(comp).Value()); s != "" {
			*dst = str(s)
		}
	}
	set(&a.City, 3)
	set(&a.State, 4)
	set(&a.PostalCode, 5)
	set(&a.Country, 6)
	set(&a.District, 9)
	if len(a.Line) == 0 && a.City == nil && a.State == nil && a.PostalCode == nil && a.Country == nil && a.District == nil {
		return nil
	}
	typ := value(rep.Comp(7).Value())
	if c, ok := m.vocab.addressUse[typ]; ok {
		if u, ok := cpb.AddressUseCode_Value_value[strings.ToUpper(c.Code)]; ok {
			a.Use = &dtpb.Address_UseCode{Value: cpb.AddressUseCode_Value(u)}
		}
	}
	if c, ok := m.vocab.addressType[typ]; ok {
		if u, ok := cpb.AddressTypeCode_Value_value[strings.ToUpper(c.Code)]; ok {
			a.Type = &dtpb.Address_TypeCode{Value: cpb.AddressTypeCode_Value(u)}
		}
	}
	return a
}

// contactPoint maps an XTN (the IG's XTN[ContactPoint] sheet); defaultUse
// applies when XTN.2 is empty (home for PID-13, work for PID-14).
func (m *Mapper) contactPoint(rep hl7v2.Repetition, defaultUse cpb.ContactPointUseCode_Value) *dtpb.ContactPoint {
	c := func(n int) string { return value(rep.Comp(n).Value()) }
	equip, email := c(3), c(4)
	cp := &dtpb.ContactPoint{}
	isEmail := equip == "Internet" || equip == "X.400" || (equip == "" && email != "")
	var v string
	switch {
	case isEmail:
		v = email
	case c(12) != "":
		v = c(12)
	case c(7) != "":
		// The IG's formula: [+country ]area local[ Xext].
		var b strings.Builder
		if c(5) != "" {
			b.WriteString("+" + c(5) + " ")
		}
		if c(6) != "" {
			b.WriteString(c(6) + " ")
		}
		b.WriteString(c(7))
		if c(8) != "" {
			b.WriteString(" X" + c(8))
		}
		v = b.String()
	default:
		v = c(1)
	}
	if v == "" {
		return nil
	}
	cp.Value = str(v)
	// System: the equipment type's concept, else email or phone by what the
	// repetition holds (cpt-2: a value needs a system).
	sys := cpb.ContactPointSystemCode_PHONE
	var useFromEquip string
	if isEmail {
		sys = cpb.ContactPointSystemCode_EMAIL
	} else if con, ok := m.vocab.telecomSystem[equip]; ok {
		if strings.HasSuffix(con.System, "contact-point-use") {
			// CP (cell phone) maps to the use "mobile"; the system stays phone.
			useFromEquip = con.Code
		} else if s, ok := cpb.ContactPointSystemCode_Value_value[strings.ToUpper(con.Code)]; ok {
			sys = cpb.ContactPointSystemCode_Value(s)
		}
	}
	cp.System = &dtpb.ContactPoint_SystemCode{Value: sys}
	use := defaultUse
	if con, ok := m.vocab.telecomUse[c(2)]; ok {
		if u, ok := cpb.ContactPointUseCode_Value_value[strings.ToUpper(con.Code)]; ok {
			use = cpb.ContactPointUseCode_Value(u)
		}
	} else if useFromEquip != "" {
		if u, ok := cpb.ContactPointUseCode_Value_value[strings.ToUpper(useFromEquip)]; ok {
			use = cpb.ContactPointUseCode_Value(u)
		}
	}
	cp.Use = &dtpb.ContactPoint_UseCode{Value: use}
	if !isEmail {
		for _, e := range []struct {
			comp int
			url  string
		}{{5, extContactCountry}, {6, extContactArea}, {7, extContactLocal}, {8, extContactExtension}} {
			if s := c(e.comp); s != "" {
				cp.Extension = append(cp.Extension, stringExtension(e.url, s))
			}
		}
	}
	return cp
}

func stringExtension(url, v string) *dtpb.Extension {
	return &dtpb.Extension{
		Url:   &dtpb.Uri{Value: url},
		Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_StringValue{StringValue: str(v)}},
	}
}

// yesNo reads HL7 table 0136 (Y/N); senders also spell it YES/NO, so
// those are accepted too, in any case and with surrounding spaces.
func yesNo(s string) (v, ok bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "Y", "YES":
		return true, true
	case "N", "NO":
		return false, true
	}
	return false, false
}
