package fromx12

import (
	"strings"
	"time"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"

	"github.com/tributary-health/tributary/claims"
)

// Builders of FHIR datatypes from the claims models. They return nil for
// an absent value, so callers can assign without checking first.

func str(s string) *dtpb.String {
	if s == "" {
		return nil
	}
	return &dtpb.String{Value: s}
}

func uri(s string) *dtpb.Uri { return &dtpb.Uri{Value: s} }

func code(s string) *dtpb.Code { return &dtpb.Code{Value: s} }

func posInt(n int) *dtpb.PositiveInt { return &dtpb.PositiveInt{Value: uint32(n)} }

func boolean(b bool) *dtpb.Boolean { return &dtpb.Boolean{Value: b} }

// coding is a Coding in system; display may be empty.
func coding(system, c, display string) *dtpb.Coding {
	cd := &dtpb.Coding{System: uri(system), Code: code(cleanCode(c))}
	if display != "" {
		cd.Display = str(display)
	}
	return cd
}

// concept is a CodeableConcept of one coding; nil when c is empty.
func concept(system, c, display string) *dtpb.CodeableConcept {
	if cleanCode(c) == "" {
		return nil
	}
	return &dtpb.CodeableConcept{Coding: []*dtpb.Coding{coding(system, c, display)}}
}

// cleanCode trims a code: FHIR codes have no leading or trailing
// whitespace and no runs of it.
func cleanCode(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r == ' ' || r == '\t' }) < 0 {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

func ref(typ, id string) *dtpb.Reference {
	return &dtpb.Reference{Reference: &dtpb.Reference_Uri{Uri: &dtpb.String{Value: typ + "/" + id}}}
}

func identifier(system, value string) *dtpb.Identifier {
	return &dtpb.Identifier{System: uri(system), Value: &dtpb.String{Value: value}}
}

// money is an exact FHIR Money: claims.Money prints its cents as a
// decimal with two places, and FHIR decimals keep the text as written.
func money(m claims.Money, currency string) *dtpb.Money {
	return &dtpb.Money{Value: &dtpb.Decimal{Value: m.String()}, Currency: &dtpb.Money_CurrencyCode{Value: currency}}
}

func decimal(d claims.Decimal) *dtpb.Decimal { return &dtpb.Decimal{Value: d.String()} }

// date is a FHIR date of the calendar day d names; nil when d has no date.
func date(d claims.Date) *dtpb.Date {
	if !d.HasDate() {
		return nil
	}
	// Midnight UTC with zone UTC prints exactly the calendar date sent.
	return &dtpb.Date{
		ValueUs:   time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).UnixMicro(),
		Timezone:  "UTC",
		Precision: dtpb.Date_DAY,
	}
}

// dateTime is a FHIR dateTime: a date stays a date; a date with a time of
// day takes loc, since FHIR forbids a time without a zone and X12 sends
// none.
func dateTime(d claims.Date, loc *time.Location) *dtpb.DateTime {
	if !d.HasDate() {
		return nil
	}
	if !d.HasTime {
		return &dtpb.DateTime{
			ValueUs:   time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).UnixMicro(),
			Timezone:  "UTC",
			Precision: dtpb.DateTime_DAY,
		}
	}
	t := d.Time(loc)
	return &dtpb.DateTime{ValueUs: t.UnixMicro(), Timezone: offset(t), Precision: dtpb.DateTime_SECOND}
}

// offset formats the zone of t as FHIR wants it: +hh:mm.
func offset(t time.Time) string {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	h, m := off/3600, off%3600/60
	return string([]byte{sign, byte('0' + h/10), byte('0' + h%10), ':', byte('0' + m/10), byte('0' + m%10)})
}

// period is a FHIR Period of dates; nil when both ends are absent.
func period(p claims.Period, loc *time.Location) *dtpb.Period {
	s, e := dateTime(p.Start, loc), dateTime(p.End, loc)
	if s == nil && e == nil {
		return nil
	}
	return &dtpb.Period{Start: s, End: e}
}

// humanName maps an NM1 person name (last, first, middle, prefix,
// suffix); nil for a party without one.
func humanName(p *claims.Party) *dtpb.HumanName {
	if p == nil || p.Name == "" && p.First == "" {
		return nil
	}
	n := &dtpb.HumanName{Family: str(p.Name)}
	if p.First != "" {
		n.Given = append(n.Given, str(p.First))
	}
	if p.Middle != "" {
		n.Given = append(n.Given, str(p.Middle))
	}
	if p.Prefix != "" {
		n.Prefix = []*dtpb.String{str(p.Prefix)}
	}
	if p.Suffix != "" {
		n.Suffix = []*dtpb.String{str(p.Suffix)}
	}
	return n
}

// address maps N3/N4; nil when none was sent. X12 sends a country only
// outside the US (N4-04).
func address(a claims.Address) *dtpb.Address {
	if a.IsZero() {
		return nil
	}
	out := &dtpb.Address{City: str(a.City), State: str(a.State), PostalCode: str(a.PostalCode), Country: str(a.Country)}
	if a.Subdivision != "" && a.State == "" {
		out.State = str(a.Subdivision)
	}
	for _, l := range a.Lines {
		out.Line = append(out.Line, str(l))
	}
	return out
}

// telecom maps PER numbers (TE phone, FX fax, EM email, UR url).
func telecom(cs []claims.Contact) []*dtpb.ContactPoint {
	var out []*dtpb.ContactPoint
	for _, c := range cs {
		for _, n := range c.Numbers {
			var sys cpb.ContactPointSystemCode_Value
			switch n.Qualifier {
			case "TE":
				sys = cpb.ContactPointSystemCode_PHONE
			case "FX":
				sys = cpb.ContactPointSystemCode_FAX
			case "EM":
				sys = cpb.ContactPointSystemCode_EMAIL
			case "UR":
				sys = cpb.ContactPointSystemCode_URL
			default:
				continue // EX (an extension of the number before) and others
			}
			if n.Value == "" {
				continue
			}
			out = append(out, &dtpb.ContactPoint{System: &dtpb.ContactPoint_SystemCode{Value: sys}, Value: str(n.Value)})
		}
	}
	return out
}

// gender maps DMG-03 (F, M, U) to administrative gender.
func gender(g string) (cpb.AdministrativeGenderCode_Value, bool) {
	switch g {
	case "F":
		return cpb.AdministrativeGenderCode_FEMALE, true
	case "M":
		return cpb.AdministrativeGenderCode_MALE, true
	case "U":
		return cpb.AdministrativeGenderCode_UNKNOWN, true
	}
	return 0, false
}
