package fromv2

import (
	"net/url"
	"regexp"
	"strings"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	lpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/location_go_proto"
	opb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/organization_go_proto"
	prpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/practitioner_go_proto"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
)

// The datatype maps of the IG (CWE[CodeableConcept], XCN[Practitioner],
// PL[Location], …), shared by the segment maps.

// codingSystems maps HL7 table 0396 coding system names to FHIR system
// URIs (the IG's CodingSystem table, for the systems senders use).
var codingSystems = map[string]string{
	"LN": "http://loinc.org", "LOINC": "http://loinc.org",
	"SCT": "http://snomed.info/sct", "SNM": "http://snomed.info/sct", "SNM3": "http://snomed.info/sct", "SNOMED": "http://snomed.info/sct", "SNOMED-CT": "http://snomed.info/sct", "SNOMEDCT": "http://snomed.info/sct",
	"I10": "http://hl7.org/fhir/sid/icd-10-cm", "I10C": "http://hl7.org/fhir/sid/icd-10-cm", "ICD10": "http://hl7.org/fhir/sid/icd-10-cm", "ICD10CM": "http://hl7.org/fhir/sid/icd-10-cm", "ICD-10-CM": "http://hl7.org/fhir/sid/icd-10-cm",
	"I10P": "http://www.cms.gov/Medicare/Coding/ICD10",
	"I9":   "http://hl7.org/fhir/sid/icd-9-cm", "I9C": "http://hl7.org/fhir/sid/icd-9-cm", "I9CDX": "http://hl7.org/fhir/sid/icd-9-cm", "ICD9": "http://hl7.org/fhir/sid/icd-9-cm",
	"C4": "http://www.ama-assn.org/go/cpt", "C5": "http://www.ama-assn.org/go/cpt", "CPT": "http://www.ama-assn.org/go/cpt", "CPT4": "http://www.ama-assn.org/go/cpt",
	"HCPCS": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "HCPT": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
	"CVX": "http://hl7.org/fhir/sid/cvx", "MVX": "http://terminology.hl7.org/CodeSystem/MVX",
	"NDC":    "http://hl7.org/fhir/sid/ndc",
	"RXNORM": "http://www.nlm.nih.gov/research/umls/rxnorm", "RXN": "http://www.nlm.nih.gov/research/umls/rxnorm",
	"UCUM":   "http://unitsofmeasure.org",
	"NUCCPT": "http://nucc.org/provider-taxonomy",
	"NCIT":   "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl",
	"NPI":    "http://hl7.org/fhir/sid/us-npi",
	"CDCREC": "urn:oid:2.16.840.1.113883.6.238", "CDCPHINVS": "urn:oid:2.16.840.1.114222.4.5.274",
	"ISO3166_1": "urn:iso:std:iso:3166",
}

var hl7Table = regexp.MustCompile(`^HL7-?(\d{4})$`)

// codingSystem maps a coding system name (CWE.3) to a system URI. An HL7
// table becomes its terminology.hl7.org code system; an unknown local
// name keeps its identity in a Tributary URN rather than being dropped.
func codingSystem(name string) string {
	if name == "" {
		return ""
	}
	if s, ok := codingSystems[strings.ToUpper(name)]; ok {
		return s
	}
	if m := hl7Table.FindStringSubmatch(strings.ToUpper(name)); m != nil {
		return "http://terminology.hl7.org/CodeSystem/v2-" + m[1]
	}
	if fhir.IsOID(name) {
		return "urn:oid:" + name
	}
	return "urn:tributary:v2:codesystem:" + url.PathEscape(name)
}

// codeableConcept maps a CWE/CE/CNE/CF repetition (CWE[CodeableConcept]):
// the identifier triplet, the alternate one and the second alternate
// become codings, CWE.9 the text. When vocab names an IG concept map and
// the code is in it, the FHIR concept is added as the first coding.
func (c *conv) codeableConcept(rep hl7v2.Repetition, vocab string) *dtpb.CodeableConcept {
	cc := &dtpb.CodeableConcept{}
	for _, t := range [][4]int{{1, 2, 3, 7}, {4, 5, 6, 8}, {10, 11, 12, 13}} {
		code, display := codeValue(rep.Comp(t[0]).Value()), strings.TrimSpace(value(rep.Comp(t[1]).Value()))
		if code == "" && display == "" {
			continue
		}
		if code == "" {
			// A display without a code is text, not a coding.
			if cc.Text == nil {
				cc.Text = str(display)
			}
			continue
		}
		cd := &dtpb.Coding{Code: &dtpb.Code{Value: code}}
		if sys := codingSystem(value(rep.Comp(t[2]).Value())); sys != "" {
			cd.System = &dtpb.Uri{Value: sys}
		}
		if display != "" {
			cd.Display = str(display)
		}
		if v := value(rep.Comp(t[3]).Value()); v != "" {
			cd.Version = str(v)
		}
		cc.Coding = append(cc.Coding, cd)
	}
	if s := value(rep.Comp(9).Value()); s != "" {
		cc.Text = str(s)
	}
	if vocab != "" {
		if con, ok := c.m.vocab.lookup(vocab, codeValue(rep.Comp(1).Value())); ok && !hasCoding(cc, con) {
			cc.Coding = append([]*dtpb.Coding{conceptCoding(con)}, cc.Coding...)
		}
	}
	if len(cc.Coding) == 0 && cc.Text == nil {
		return nil
	}
	return cc
}

// codeValue cleans a code: FHIR codes have no leading or trailing
// whitespace and no runs of it.
func codeValue(s string) string {
	return strings.Join(strings.Fields(value(s)), " ")
}

// codedValue maps an ID/IS code through an IG concept map; a code the map
// lacks stays a coding in its v2 table.
func (c *conv) codedValue(code, vocab, table string) *dtpb.CodeableConcept {
	code = codeValue(code)
	if code == "" {
		return nil
	}
	if con, ok := c.m.vocab.lookup(vocab, code); ok {
		return &dtpb.CodeableConcept{Coding: []*dtpb.Coding{conceptCoding(con)}}
	}
	cd := &dtpb.Coding{Code: &dtpb.Code{Value: code}}
	if table != "" {
		cd.System = &dtpb.Uri{Value: "http://terminology.hl7.org/CodeSystem/v2-" + table}
	}
	return &dtpb.CodeableConcept{Coding: []*dtpb.Coding{cd}}
}

// hasCoding reports whether cc already holds con's code in con's system.
func hasCoding(cc *dtpb.CodeableConcept, con concept) bool {
	for _, cd := range cc.GetCoding() {
		if cd.GetCode().GetValue() == con.Code && cd.GetSystem().GetValue() == con.System {
			return true
		}
	}
	return false
}

func conceptCoding(con concept) *dtpb.Coding {
	cd := &dtpb.Coding{Code: &dtpb.Code{Value: con.Code}}
	if con.System != "" {
		cd.System = &dtpb.Uri{Value: con.System}
	}
	if con.Display != "" {
		cd.Display = str(con.Display)
	}
	return cd
}

// cxIdentifier maps a CX repetition (CX[Identifier]). An identifier
// without an assigning authority is the sending facility's.
func (c *conv) cxIdentifier(rep hl7v2.Repetition) *dtpb.Identifier {
	v := value(rep.Comp(1).Value())
	if v == "" {
		return nil
	}
	id := &dtpb.Identifier{Value: str(v), System: &dtpb.Uri{Value: c.authority(rep.Comp(4))}}
	if t := value(rep.Comp(5).Value()); t != "" {
		id.Type = c.m.identifierType(t)
	}
	return id
}

// authority is the system of an HD assigning authority, or the sender's.
func (c *conv) authority(hd hl7v2.Component) string {
	if s := c.m.cfg.Systems.AssigningAuthority(value(hd.Sub(1)), value(hd.Sub(2)), value(hd.Sub(3))); s != "" {
		return s
	}
	return c.sender
}

// eiIdentifier maps an EI (or the EI part of an EIP): entity id with its
// namespace or universal id as the system (EI[Identifier-System]).
func (c *conv) eiIdentifier(rep hl7v2.Repetition) *dtpb.Identifier {
	v := value(rep.Comp(1).Value())
	if v == "" {
		return nil
	}
	sys := c.m.cfg.Systems.AssigningAuthority(value(rep.Comp(2).Value()), value(rep.Comp(3).Value()), value(rep.Comp(4).Value()))
	if sys == "" {
		sys = c.sender
	}
	return &dtpb.Identifier{Value: str(v), System: &dtpb.Uri{Value: sys}}
}

// practitioner maps an XCN repetition (XCN[Practitioner]) to a
// Practitioner added to the result, and returns a reference to it; nil
// when the XCN is empty. Its id follows its identifier (an NPI when the
// assigning authority says so), else its name.
func (c *conv) practitioner(rep hl7v2.Repetition) *dtpb.Reference {
	p := &prpb.Practitioner{}
	if v := value(rep.Comp(1).Value()); v != "" {
		hd := rep.Comp(9)
		sys := c.m.cfg.Systems.AssigningAuthority(value(hd.Sub(1)), value(hd.Sub(2)), value(hd.Sub(3)))
		if strings.EqualFold(value(hd.Sub(1)), "NPI") || strings.EqualFold(value(rep.Comp(13).Value()), "NPI") || value(hd.Sub(2)) == "2.16.840.1.113883.4.6" {
			sys = fhir.SystemNPI
		}
		if sys == "" {
			sys = c.sender
		}
		id := &dtpb.Identifier{System: &dtpb.Uri{Value: sys}, Value: str(v)}
		if t := value(rep.Comp(13).Value()); t != "" {
			id.Type = c.m.identifierType(t)
		}
		p.Identifier = append(p.Identifier, id)
	}
	n := &dtpb.HumanName{}
	if s := value(rep.Comp(2).Sub(1)); s != "" {
		n.Family = str(s)
	}
	for _, i := range []int{3, 4} {
		if s := value(rep.Comp(i).Value()); s != "" {
			n.Given = append(n.Given, str(s))
		}
	}
	if s := value(rep.Comp(5).Value()); s != "" {
		n.Suffix = append(n.Suffix, str(s))
	}
	if s := value(rep.Comp(6).Value()); s != "" {
		n.Prefix = append(n.Prefix, str(s))
	}
	if s := value(rep.Comp(21).Value()); s != "" {
		n.Suffix = append(n.Suffix, str(s))
	}
	if n.Family != nil || len(n.Given) > 0 {
		p.Name = []*dtpb.HumanName{n}
	}
	if q := c.codedValue(value(rep.Comp(7).Value()), "DegreeLicenseCertificate", "0360"); q != nil {
		p.Qualification = []*prpb.Practitioner_Qualification{{Code: q}}
	}
	switch {
	case len(p.Identifier) > 0:
		p.Id = &dtpb.Id{Value: fhir.ID("Practitioner", p.Identifier[0].GetSystem().GetValue(), p.Identifier[0].GetValue().GetValue())}
	case len(p.Name) > 0:
		p.Id = &dtpb.Id{Value: derivedID("Practitioner", c.sender, nameKey(n))}
	default:
		return nil
	}
	return refTo(c.add(p, false))
}

func nameKey(n *dtpb.HumanName) string {
	parts := []string{n.GetFamily().GetValue()}
	for _, g := range n.GetGiven() {
		parts = append(parts, g.GetValue())
	}
	return strings.ToUpper(strings.Join(parts, "^"))
}

// organization maps an XON repetition (XON[Organization]); nil when empty.
func (c *conv) organization(rep hl7v2.Repetition) *dtpb.Reference {
	name := value(rep.Comp(1).Value())
	idv := value(rep.Comp(10).Value())
	if idv == "" {
		idv = value(rep.Comp(3).Value()) // XON.3, ID number, in v2.3-era senders
	}
	o := &opb.Organization{}
	if name != "" {
		o.Name = str(name)
	}
	if idv != "" {
		o.Identifier = []*dtpb.Identifier{{System: &dtpb.Uri{Value: c.authority(rep.Comp(6))}, Value: str(idv)}}
		o.Id = &dtpb.Id{Value: fhir.ID("Organization", o.Identifier[0].GetSystem().GetValue(), idv)}
	} else if name != "" {
		o.Id = &dtpb.Id{Value: derivedID("Organization", c.sender, strings.ToUpper(name))}
	} else {
		return nil
	}
	return refTo(c.add(o, false))
}

// An hd is the namespace id, universal id and its type of an HD.
type hd struct{ ns, uid, typ string }

// hdComps reads an HD that is a field (its parts are components).
func hdComps(r hl7v2.Repetition) hd {
	return hd{value(r.Comp(1).Value()), value(r.Comp(2).Value()), value(r.Comp(3).Value())}
}

// hdOrganization maps an HD (HD[Organization]): a facility or application.
func (c *conv) hdOrganization(h hd) *dtpb.Reference {
	ns, uid, typ := h.ns, h.uid, h.typ
	if ns == "" && uid == "" {
		return nil
	}
	o := &opb.Organization{}
	if ns != "" {
		o.Name = str(ns)
	}
	sys, v := "urn:tributary:v2:facility", ns
	if uid != "" {
		sys, v = "urn:ietf:rfc:3986", c.m.cfg.Systems.AssigningAuthority("", uid, typ)
	}
	o.Identifier = []*dtpb.Identifier{{System: &dtpb.Uri{Value: sys}, Value: str(v)}}
	o.Id = &dtpb.Id{Value: fhir.ID("Organization", sys, v)}
	return refTo(c.add(o, false))
}

// location maps a PL repetition (PL[Location]): one Location per level the
// PL names (facility, building, floor, point of care, room, bed), each
// partOf the level above, and returns a reference to the most specific.
func (c *conv) location(rep hl7v2.Repetition) *dtpb.Reference {
	levels := []struct {
		comp int
		typ  string
	}{{4, "si"}, {7, "bu"}, {8, "lvl"}, {1, "wa"}, {2, "ro"}, {3, "bd"}}
	var parent *lpb.Location
	path := []string{}
	for _, l := range levels {
		v := value(rep.Comp(l.comp).Value())
		if v == "" {
			continue
		}
		path = append(path, l.typ+"="+v)
		loc := &lpb.Location{
			Id:   &dtpb.Id{Value: derivedID("Location", c.sender, strings.Join(path, "/"))},
			Name: str(v),
			Mode: &lpb.Location_ModeCode{Value: cpb.LocationModeCode_INSTANCE},
			PhysicalType: &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{
				System: &dtpb.Uri{Value: "http://terminology.hl7.org/CodeSystem/location-physical-type"},
				Code:   &dtpb.Code{Value: l.typ},
			}}},
			Identifier: []*dtpb.Identifier{{Value: str(v)}},
		}
		if parent != nil {
			loc.PartOf = refTo(parent)
		}
		parent = c.add(loc, false).(*lpb.Location)
	}
	if parent == nil {
		return nil
	}
	if d := value(rep.Comp(9).Value()); d != "" && parent.Description == nil {
		parent.Description = str(d)
	}
	return refTo(parent)
}

var decimalRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// decimal normalizes an NM value to a FHIR decimal: a leading + and
// leading zeros are dropped, the digits after the point kept (precision
// is meaning in FHIR decimals). ok is false for a value that is not a
// number.
func decimal(s string) (string, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "+")
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if strings.HasPrefix(s, ".") {
		s = "0" + s
	}
	for len(s) > 1 && s[0] == '0' && s[1] != '.' {
		s = s[1:]
	}
	if neg {
		s = "-" + s
	}
	return s, decimalRE.MatchString(s)
}

// quantity maps an NM value and CWE units (NM[Quantity], CWE[Quantity]).
func quantity(num string, units hl7v2.Repetition) (*dtpb.Quantity, bool) {
	d, ok := decimal(num)
	if !ok {
		return nil, false
	}
	q := &dtpb.Quantity{Value: &dtpb.Decimal{Value: d}}
	code, text := value(units.Comp(1).Value()), value(units.Comp(2).Value())
	if text == "" {
		text = code
	}
	if text != "" {
		q.Unit = str(text)
	}
	if code != "" {
		q.Code = &dtpb.Code{Value: code}
		sys := codingSystem(value(units.Comp(3).Value()))
		if sys == "" {
			// Units without a coding system are almost always UCUM in
			// practice, but saying so would be a guess: leave system out.
			q.Code = nil
		} else {
			q.System = &dtpb.Uri{Value: sys}
		}
	}
	return q, true
}

// dateTimeField maps a DTM component of seg at the location l, or returns
// a located data type error.
func (c *conv) dateTimeAt(s string, l hl7v2.Location) (*dtpb.DateTime, error) {
	s = value(s)
	if s == "" {
		return nil, nil
	}
	dt, err := dateTime(s, c.loc)
	if err != nil {
		return nil, &hl7v2.Error{Location: l, Code: hl7v2.CodeDataType, Message: "not a valid date/time"}
	}
	return dt, nil
}

// fieldTime maps field n (first repetition, first component) of seg.
func (c *conv) fieldTime(seg *hl7v2.Segment, n int) (*dtpb.DateTime, error) {
	return c.dateTimeAt(seg.Field(n).Comp(1).Value(), hl7v2.Location{Segment: seg.ID, Field: n})
}

// period maps a start and an end DTM.
func period(start, end *dtpb.DateTime) *dtpb.Period {
	if start == nil && end == nil {
		return nil
	}
	return &dtpb.Period{Start: start, End: end}
}
