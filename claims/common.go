package claims

import (
	"github.com/tributary-health/tributary/claims/x12"
)

// A Party is a person or organization named by an NM1 (or N1) segment,
// with what its loop adds: address (N3/N4), taxonomy (PRV), secondary
// identifiers (REF) and contacts (PER). The x12 tags name the elements
// relative to the party's own loop or segment.
type Party struct {
	EntityCode  string    `json:"entityCode,omitempty" x12:"NM1-01,N1-01"` // e.g. 85 billing provider, IL insured, QC patient, PR payer
	EntityType  string    `json:"entityType,omitempty" x12:"NM1-02"`       // 1 person, 2 non-person entity
	Name        string    `json:"name,omitempty" x12:"NM1-03,N1-02"`       // last name or organization name
	First       string    `json:"first,omitempty" x12:"NM1-04"`
	Middle      string    `json:"middle,omitempty" x12:"NM1-05"`
	Prefix      string    `json:"prefix,omitempty" x12:"NM1-06"`
	Suffix      string    `json:"suffix,omitempty" x12:"NM1-07"`
	IDQualifier string    `json:"idQualifier,omitempty" x12:"NM1-08,N1-03"` // XX NPI, MI member id, PI payer id, 46 ETIN, FI tax id, 34 SSN
	ID          string    `json:"id,omitempty" x12:"NM1-09,N1-04"`
	Address     Address   `json:"address,omitzero" x12:"N3,N4"`
	Taxonomy    string    `json:"taxonomy,omitempty" x12:"PRV-03"` // provider taxonomy code
	Refs        []Ref     `json:"refs,omitempty" x12:"REF"`        // secondary identifiers
	Contacts    []Contact `json:"contacts,omitempty" x12:"PER"`
}

// IsZero reports whether the party is absent.
func (p *Party) IsZero() bool {
	return p == nil || p.EntityCode == "" && p.EntityType == "" && p.Name == "" && p.First == "" && p.ID == "" &&
		p.Address.IsZero() && p.Taxonomy == "" && len(p.Refs) == 0 && len(p.Contacts) == 0
}

// NPI returns the party's National Provider Identifier: NM1-09 when
// NM1-08 is XX (N1-04 when N1-03 is XX), or "".
func (p *Party) NPI() string {
	if p != nil && p.IDQualifier == "XX" {
		return p.ID
	}
	return ""
}

// Ref returns the value of the party's first REF with qualifier q, or
// "": p.Ref("EI") is the billing provider's employer identification
// number (tax id).
func (p *Party) Ref(q string) string {
	if p == nil {
		return ""
	}
	return refValue(p.Refs, q)
}

// An Address is an N3/N4 pair.
type Address struct {
	Lines       []string `json:"lines,omitempty" x12:"N3-01,N3-02"`
	City        string   `json:"city,omitempty" x12:"N4-01"`
	State       string   `json:"state,omitempty" x12:"N4-02"`
	PostalCode  string   `json:"postalCode,omitempty" x12:"N4-03"`
	Country     string   `json:"country,omitempty" x12:"N4-04"`     // only outside the US
	Subdivision string   `json:"subdivision,omitempty" x12:"N4-07"` // country subdivision, outside the US
}

// IsZero reports whether no address was sent.
func (a Address) IsZero() bool {
	return len(a.Lines) == 0 && a.City == "" && a.State == "" && a.PostalCode == "" && a.Country == "" && a.Subdivision == ""
}

// A Contact is a PER segment: a named contact and up to three numbers.
type Contact struct {
	Function string          `json:"function,omitempty" x12:"PER-01"` // IC information contact, BL billing, CX claims...
	Name     string          `json:"name,omitempty" x12:"PER-02"`
	Numbers  []ContactNumber `json:"numbers,omitempty" x12:"PER-03..PER-08"`
}

// A ContactNumber is one communication number of a PER segment.
type ContactNumber struct {
	Qualifier string `json:"qualifier" x12:"PER-03,PER-05,PER-07"` // TE phone, EX extension, FX fax, EM email, UR URL
	Value     string `json:"value" x12:"PER-04,PER-06,PER-08"`
}

// A Ref is a REF segment: a reference identifier and its qualifier.
type Ref struct {
	Qualifier string `json:"qualifier" x12:"REF-01"`
	Value     string `json:"value" x12:"REF-02"`
}

// An Amount is an AMT segment: a qualified monetary amount.
type Amount struct {
	Qualifier string `json:"qualifier" x12:"AMT-01"`
	Amount    Money  `json:"amount" x12:"AMT-02"`
}

// A Quantity is a QTY segment: a qualified quantity.
type Quantity struct {
	Qualifier string  `json:"qualifier" x12:"QTY-01"`
	Quantity  Decimal `json:"quantity" x12:"QTY-02"`
}

// A DateRef is a qualified date or period: a DTP (DTP-01 qualifier,
// DTP-02 format, DTP-03 value) or a DTM (DTM-01, DTM-02 date).
type DateRef struct {
	Qualifier string `json:"qualifier" x12:"DTP-01,DTM-01"`
	Period    Period `json:"period" x12:"DTP-03,DTM-02"`
}

// An Adjustment is one triplet of a CAS segment: up to six per segment,
// each carrying the segment's group code, so a list of Adjustments is
// flat and in order.
type Adjustment struct {
	Group    string   `json:"group" x12:"CAS-01"`                                     // CO contractual, PR patient responsibility, OA other, PI payer initiated, CR correction
	Reason   string   `json:"reason" x12:"CAS-02,CAS-05,CAS-08,CAS-11,CAS-14,CAS-17"` // claim adjustment reason code (CARC)
	Amount   Money    `json:"amount" x12:"CAS-03,CAS-06,CAS-09,CAS-12,CAS-15,CAS-18"`
	Quantity *Decimal `json:"quantity,omitempty" x12:"CAS-04,CAS-07,CAS-10,CAS-13,CAS-16,CAS-19"`
}

// A Procedure is a composite procedure identifier (SV1-01, SV2-02,
// SV3-01, SVC-01, SVD-03): a code list qualifier, a code, up to four
// modifiers and a description.
type Procedure struct {
	Qualifier   string   `json:"qualifier,omitempty" x12:"-01"` // HC HCPCS/CPT, AD CDT, ER, IV HIEC, N4 NDC, NU revenue code, WK ABC
	Code        string   `json:"code,omitempty" x12:"-02"`
	Modifiers   []string `json:"modifiers,omitempty" x12:"-03..-06"`
	Description string   `json:"description,omitempty" x12:"-07"`
}

// IsZero reports whether no procedure was sent.
func (p Procedure) IsZero() bool {
	return p.Qualifier == "" && p.Code == "" && len(p.Modifiers) == 0 && p.Description == ""
}

func refValue(refs []Ref, q string) string {
	for _, r := range refs {
		if r.Qualifier == q {
			return r.Value
		}
	}
	return ""
}

func amountOf(as []Amount, q string) *Money {
	for i := range as {
		if as[i].Qualifier == q {
			return &as[i].Amount
		}
	}
	return nil
}

// builder turns segments into model values, keeping the first error:
// the builders read everything and return that error at the end of the
// unit they build (a claim, a remittance), so their code reads as a list
// of fields instead of a ladder of checks.
type builder struct {
	err error
}

func (b *builder) fail(l *x12.Loop, s x12.Segment, elem, comp int, err error) {
	if b.err == nil {
		b.err = errAt(l, s, elem, comp, err)
	}
}

// money returns element elem (component comp when comp > 0) of s as
// Money, 0 when it is empty.
func (b *builder) money(l *x12.Loop, s x12.Segment, elem, comp int) Money {
	v := s.Element(elem)
	if comp > 0 {
		v = s.Component(elem, comp)
	}
	if len(v) == 0 {
		return 0
	}
	m, err := parseMoney(v)
	if err != nil {
		b.fail(l, s, elem, comp, err)
	}
	return m
}

// optMoney is money for a situational element: nil when it is empty.
func (b *builder) optMoney(l *x12.Loop, s x12.Segment, elem int) *Money {
	if len(s.Element(elem)) == 0 {
		return nil
	}
	m := b.money(l, s, elem, 0)
	return &m
}

// decimal returns element elem (component comp when comp > 0) of s as a
// Decimal, and false when it is empty.
func (b *builder) decimal(l *x12.Loop, s x12.Segment, elem, comp int) (Decimal, bool) {
	v := s.Element(elem)
	if comp > 0 {
		v = s.Component(elem, comp)
	}
	if len(v) == 0 {
		return Decimal{}, false
	}
	d, err := parseDecimal(v)
	if err != nil {
		b.fail(l, s, elem, comp, err)
	}
	return d, true
}

func (b *builder) optDecimal(l *x12.Loop, s x12.Segment, elem int) *Decimal {
	d, ok := b.decimal(l, s, elem, 0)
	if !ok {
		return nil
	}
	return &d
}

// d8 returns element elem of s, a CCYYMMDD date, or the zero Date when
// the element is empty.
func (b *builder) d8(l *x12.Loop, s x12.Segment, elem int) Date {
	v := s.Element(elem)
	if len(v) == 0 {
		return Date{}
	}
	d, err := parseD8(v)
	if err != nil {
		b.fail(l, s, elem, 0, err)
	}
	return d
}

// withTime adds the time of day in element elem of s (HHMM, seconds
// dropped) to d, a date read from the same segment.
func (b *builder) withTime(l *x12.Loop, s x12.Segment, elem int, d Date) Date {
	t := s.Element(elem)
	if len(t) == 0 || d.IsZero() {
		return d
	}
	h, m, err := parseTM(t)
	if err != nil {
		b.fail(l, s, elem, 0, err)
		return d
	}
	d.Hour, d.Minute, d.HasTime = h, m, true
	return d
}

// dtp returns a DTP segment as a DateRef.
func (b *builder) dtp(l *x12.Loop, s x12.Segment) DateRef {
	r := DateRef{Qualifier: s.Value(1)}
	if len(s.Element(3)) == 0 {
		return r
	}
	p, err := parsePeriod(s.Element(2), s.Element(3))
	if err != nil {
		elem := 3
		if err == ErrDateFormat {
			elem = 2
		}
		b.fail(l, s, elem, 0, err)
	}
	r.Period = p
	return r
}

// dates returns every DTP of the loop.
func (b *builder) dates(l *x12.Loop) []DateRef {
	var out []DateRef
	for _, s := range l.Segments {
		if string(s.IDBytes()) != "DTP" {
			continue
		}
		out = append(out, b.dtp(l, s))
	}
	return out
}

// amounts returns every AMT of the loop.
func (b *builder) amounts(l *x12.Loop) []Amount {
	var out []Amount
	for _, s := range l.Segments {
		if string(s.IDBytes()) == "AMT" {
			out = append(out, Amount{Qualifier: s.Value(1), Amount: b.money(l, s, 2, 0)})
		}
	}
	return out
}

// quantities returns every QTY of the loop.
func (b *builder) quantities(l *x12.Loop) []Quantity {
	var out []Quantity
	for _, s := range l.Segments {
		if string(s.IDBytes()) == "QTY" {
			d, _ := b.decimal(l, s, 2, 0)
			out = append(out, Quantity{Qualifier: s.Value(1), Quantity: d})
		}
	}
	return out
}

// refs returns every REF of the loop.
func refs(l *x12.Loop) []Ref {
	var out []Ref
	for _, s := range l.Segments {
		if string(s.IDBytes()) == "REF" {
			out = append(out, Ref{Qualifier: s.Value(1), Value: s.Value(2)})
		}
	}
	return out
}

// cas appends the triplets of a CAS segment to adj.
func (b *builder) cas(adj []Adjustment, l *x12.Loop, s x12.Segment) []Adjustment {
	group := s.Value(1)
	for i := 2; i+1 <= 19; i += 3 {
		if len(s.Element(i)) == 0 && len(s.Element(i+1)) == 0 {
			continue
		}
		a := Adjustment{Group: group, Reason: s.Value(i), Amount: b.money(l, s, i+1, 0)}
		a.Quantity = b.optDecimal(l, s, i+2)
		adj = append(adj, a)
	}
	return adj
}

// procedure reads composite element elem of s.
func procedure(s x12.Segment, elem int) Procedure {
	p := Procedure{Qualifier: string(s.Component(elem, 1)), Code: string(s.Component(elem, 2)), Description: string(s.Component(elem, 7))}
	for j := 3; j <= 6; j++ {
		if m := s.Component(elem, j); len(m) > 0 {
			p.Modifiers = append(p.Modifiers, string(m))
		}
	}
	return p
}

// nm1 fills the name fields of p from an NM1 segment.
func nm1(p *Party, s x12.Segment) {
	p.EntityCode = s.Value(1)
	p.EntityType = s.Value(2)
	p.Name = s.Value(3)
	p.First = s.Value(4)
	p.Middle = s.Value(5)
	p.Prefix = s.Value(6)
	p.Suffix = s.Value(7)
	p.IDQualifier = s.Value(8)
	p.ID = s.Value(9)
}

// n1 fills the name fields of p from an N1 segment.
func n1(p *Party, s x12.Segment) {
	p.EntityCode = s.Value(1)
	p.Name = s.Value(2)
	p.IDQualifier = s.Value(3)
	p.ID = s.Value(4)
}

// party returns the party a name loop describes: its first segment (NM1
// or N1) and the N3, N4, PRV, REF and PER segments of the loop.
func party(l *x12.Loop) Party {
	var p Party
	if l == nil || len(l.Segments) == 0 {
		return p
	}
	first := l.Segments[0]
	if string(first.IDBytes()) == "N1" {
		n1(&p, first)
	} else {
		nm1(&p, first)
	}
	for _, s := range l.Segments[1:] {
		addToParty(&p, s)
	}
	return p
}

// addToParty adds an N3, N4, PRV, REF or PER segment to p; it reports
// false for any other segment.
func addToParty(p *Party, s x12.Segment) bool {
	switch string(s.IDBytes()) {
	case "N3":
		for i := 1; i <= 2; i++ {
			if v := s.Element(i); len(v) > 0 {
				p.Address.Lines = append(p.Address.Lines, string(v))
			}
		}
	case "N4":
		p.Address.City = s.Value(1)
		p.Address.State = s.Value(2)
		p.Address.PostalCode = s.Value(3)
		p.Address.Country = s.Value(4)
		p.Address.Subdivision = s.Value(7)
	case "PRV":
		p.Taxonomy = s.Value(3)
	case "REF":
		p.Refs = append(p.Refs, Ref{Qualifier: s.Value(1), Value: s.Value(2)})
	case "PER":
		p.Contacts = append(p.Contacts, contact(s))
	default:
		return false
	}
	return true
}

func contact(s x12.Segment) Contact {
	c := Contact{Function: s.Value(1), Name: s.Value(2)}
	for i := 3; i+1 <= 8; i += 2 {
		if q, v := s.Element(i), s.Element(i+1); len(q) > 0 || len(v) > 0 {
			c.Numbers = append(c.Numbers, ContactNumber{Qualifier: string(q), Value: string(v)})
		}
	}
	return c
}

// A Demographics is a DMG segment.
type Demographics struct {
	BirthDate   Date   `json:"birthDate,omitzero" x12:"DMG-02"`    // when DMG-01 is D8
	Gender      string `json:"gender,omitempty" x12:"DMG-03"`      // F, M, U
	Marital     string `json:"marital,omitempty" x12:"DMG-04"`     // 834: marital status code
	Race        []Race `json:"race,omitempty" x12:"DMG-05"`        // 834: race or ethnicity, repeating
	Citizenship string `json:"citizenship,omitempty" x12:"DMG-06"` // 834: citizenship status code
}

// IsZero reports whether no DMG was sent.
func (d Demographics) IsZero() bool {
	return d.BirthDate.IsZero() && d.Gender == "" && d.Marital == "" && len(d.Race) == 0 && d.Citizenship == ""
}

// A Race is one race or ethnicity of a DMG-05 (composite C056).
type Race struct {
	Code string `json:"code,omitempty" x12:"DMG05-1"` // X12 race or ethnicity code (C white, 7 not provided...)
	CDC  string `json:"cdc,omitempty" x12:"DMG05-3"`  // CDC race and ethnicity code set value when DMG05-2 is RET, e.g. 2186-5
}

func (b *builder) dmg(l *x12.Loop, s x12.Segment) Demographics {
	var d Demographics
	if f := s.Element(1); len(f) == 0 || string(f) == "D8" {
		d.BirthDate = b.d8(l, s, 2)
	}
	d.Gender = s.Value(3)
	d.Marital = s.Value(4)
	for r := 1; r <= s.Repetitions(5); r++ {
		x := Race{Code: string(s.RepComponent(5, r, 1)), CDC: string(s.RepComponent(5, r, 3))}
		if x != (Race{}) {
			d.Race = append(d.Race, x)
		}
	}
	d.Citizenship = s.Value(6)
	return d
}
