package identity

import (
	"testing"
	"time"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	ppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/patient_go_proto"
	"github.com/google/go-cmp/cmp"

	"github.com/tributary-health/tributary/fhir"
)

func TestNormalizeName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"José", "JOSE"},
		{"  Núñez-García ", "NUNEZ GARCIA"},
		{"O'Brien", "OBRIEN"},
		{"O’Connor", "OCONNOR"},
		{"Strauß", "STRAUSS"},
		{"Østergaard", "OSTERGAARD"},
		{"Łukasiewicz", "LUKASIEWICZ"},
		{"Smith Jr.", "SMITH"},
		{"Dr. John", "JOHN"},
		{"king III", "KING"},
		{"St. John", "ST JOHN"},
		{"Do", "DO"}, // only an affix: kept, it is the name
		{"Zoë", "ZOE"},
		{"!!!", ""},
	} {
		if got := normalizeName(tc.in); got != tc.want {
			t.Errorf("normalizeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNormalizeAddress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"123 Main Street", "123 MAIN ST"},
		{"123 Main St.", "123 MAIN ST"},
		{"123 main st apt 4b", "123 MAIN ST"},
		{"123 Main St #4", "123 MAIN ST"},
		{"123 Main St, Unit 12", "123 MAIN ST"},
		{"45 North Avenue", "45 N AVE"},
		{"9 Unit Road", "9 UNIT RD"}, // a street called Unit
		{"PO Box 12", "PO BOX 12"},
	} {
		if got := normalizeLine(tc.in); got != tc.want {
			t.Errorf("normalizeLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := normalizeZip("02139-4307"); got != "02139" {
		t.Errorf("zip = %q", got)
	}
	if got := normalizeZip("0213"); got != "" {
		t.Errorf("short zip = %q", got)
	}
	if got := normalizePhone("+1 (617) 555-0100"); got != "6175550100" {
		t.Errorf("phone = %q", got)
	}
	if got := normalizePhone("555-0100"); got != "" {
		t.Errorf("short phone = %q", got)
	}
}

func str(s string) *dtpb.String { return &dtpb.String{Value: s} }

func TestFromPatient(t *testing.T) {
	t.Parallel()
	dob := time.Date(1980, 3, 9, 0, 0, 0, 0, time.UTC)
	p := &ppb.Patient{
		Id: &dtpb.Id{Value: "p1"},
		Identifier: []*dtpb.Identifier{
			{System: &dtpb.Uri{Value: "urn:oid:1.2.3"}, Value: str("MRN7")},
			{System: &dtpb.Uri{Value: fhir.SystemSSN}, Value: str("123-45-6780")},
			{Value: str("no system")},
		},
		Name: []*dtpb.HumanName{
			{Use: &dtpb.HumanName_UseCode{Value: cpb.NameUseCode_NICKNAME}, Family: str("Nick"), Given: []*dtpb.String{str("Bill")}},
			{Use: &dtpb.HumanName_UseCode{Value: cpb.NameUseCode_OFFICIAL}, Family: str("Müller Jr"), Given: []*dtpb.String{str("William"), str("J.")}, Suffix: []*dtpb.String{str("Jr")}},
		},
		BirthDate: &dtpb.Date{ValueUs: dob.UnixMicro(), Timezone: "UTC", Precision: dtpb.Date_DAY},
		Gender:    &ppb.Patient_GenderCode{Value: cpb.AdministrativeGenderCode_MALE},
		Address: []*dtpb.Address{
			{Use: &dtpb.Address_UseCode{Value: cpb.AddressUseCode_WORK}, Line: []*dtpb.String{str("1 Work Plaza")}, PostalCode: str("99999")},
			{Use: &dtpb.Address_UseCode{Value: cpb.AddressUseCode_HOME}, Line: []*dtpb.String{str("12 Elm Street Apt 3"), str("c/o")}, PostalCode: str("02139-1234")},
		},
		Telecom: []*dtpb.ContactPoint{
			{System: &dtpb.ContactPoint_SystemCode{Value: cpb.ContactPointSystemCode_EMAIL}, Value: str(" Bill@Example.COM ")},
			{System: &dtpb.ContactPoint_SystemCode{Value: cpb.ContactPointSystemCode_FAX}, Value: str("617-555-0199")},
			{System: &dtpb.ContactPoint_SystemCode{Value: cpb.ContactPointSystemCode_PHONE}, Value: str("1-617-555-0100")},
		},
		Link: []*ppb.Patient_Link{
			{Other: &dtpb.Reference{Reference: &dtpb.Reference_Uri{Uri: str("Patient/p0")}}, Type: &ppb.Patient_Link_TypeCode{Value: cpb.LinkTypeCode_REPLACES}},
			{Other: &dtpb.Reference{Reference: &dtpb.Reference_Uri{Uri: str("Patient/seealso")}}, Type: &ppb.Patient_Link_TypeCode{Value: cpb.LinkTypeCode_SEEALSO}},
			{Other: &dtpb.Reference{Reference: &dtpb.Reference_Uri{Uri: str("RelatedPerson/x")}}, Type: &ppb.Patient_Link_TypeCode{Value: cpb.LinkTypeCode_REPLACED_BY}},
		},
	}
	want := Record{
		PatientID: "p1",
		Identifiers: []Identifier{
			{System: fhir.SystemSSN, Value: "123456780"},
			{System: "urn:oid:1.2.3", Value: "MRN7"},
		},
		Given: []string{"WILLIAM", "J"}, Family: "MULLER", BirthDate: "1980-03-09", Sex: "M",
		Line: "12 ELM ST", Zip: "02139", Phone: "6175550100", Email: "bill@example.com",
		Same: []string{"p0"},
	}
	got := FromPatient(p)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FromPatient (-want +got):\n%s", diff)
	}

	// A year-precision birth date is unknown; a date recorded in a zone
	// keeps its calendar day there.
	p.BirthDate = &dtpb.Date{ValueUs: dob.UnixMicro(), Timezone: "UTC", Precision: dtpb.Date_YEAR}
	if r := FromPatient(p); r.BirthDate != "" {
		t.Errorf("year precision: BirthDate = %q", r.BirthDate)
	}
	ny, _ := time.LoadLocation("America/New_York")
	local := time.Date(1980, 3, 9, 0, 0, 0, 0, ny)
	p.BirthDate = &dtpb.Date{ValueUs: local.UnixMicro(), Timezone: "America/New_York", Precision: dtpb.Date_DAY}
	if r := FromPatient(p); r.BirthDate != "1980-03-09" {
		t.Errorf("zoned date: BirthDate = %q", r.BirthDate)
	}
	p.BirthDate = &dtpb.Date{ValueUs: local.UnixMicro(), Timezone: "-05:00", Precision: dtpb.Date_DAY}
	if r := FromPatient(p); r.BirthDate != "1980-03-09" {
		t.Errorf("offset date: BirthDate = %q", r.BirthDate)
	}
	if r := FromPatient(&ppb.Patient{}); !cmp.Equal(r, Record{}) {
		t.Errorf("empty Patient: %+v", r)
	}
}

func TestHash(t *testing.T) {
	t.Parallel()
	a := Record{PatientID: "p", Given: []string{"AB"}, Family: "C"}
	b := Record{PatientID: "p", Given: []string{"A", "B"}, Family: "C"}
	c := Record{PatientID: "p", Given: []string{"AB", "C"}}
	hashes := map[string]bool{}
	for _, r := range []Record{a, b, c, {}, {Sex: "M"}, {Line: "M"}} {
		hashes[r.Hash()] = true
	}
	if len(hashes) != 6 {
		t.Errorf("distinct records share hashes: %d distinct of 6", len(hashes))
	}
	if h1, h2 := a.Hash(), a.Hash(); h1 != h2 || len(h1) != 64 {
		t.Errorf("hash not stable or not hex sha256: %q", a.Hash())
	}
}
