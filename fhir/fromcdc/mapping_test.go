package fromcdc

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tributary-health/tributary/adapters/cdc"
	"github.com/tributary-health/tributary/fhir"
)

// Mapping file problems are reported at their place in the file.
func TestLoadErrors(t *testing.T) {
	t.Parallel()
	const idOK = `"id":{"from":"member","payer":{"const":"P"},"member":{"column":"MEMBER_ID"}}`
	table := func(res string) string {
		return `{"version":1,"tables":{"MEMBER":{"resources":[` + res + `]}}}`
	}
	patient := func(fields string) string {
		return table(`{"type":"Patient",` + idOK + `,"fields":[` + fields + `]}`)
	}
	cases := []struct{ name, doc, want string }{
		{"not json", `{`, "fromcdc: mapping: unexpected EOF"},
		{"version", `{"version":2,"tables":{}}`, "fromcdc: mapping: version: want 1"},
		{"no tables", `{"version":1}`, "fromcdc: mapping: tables: no tables"},
		{"unknown member", `{"version":1,"tabels":{}}`, `fromcdc: mapping: unknown field "tabels"`},
		{"unknown transform", patient(`{"path":"name[0].family","column":"A"},{"path":"gender","column":"B"},{"path":"active","const":true},{"path":"birthDate","column":"C","transforms":["trim","foo"]}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].fields[3].transforms[1]: unknown transform "foo"`},
		{"unknown transform object", patient(`{"path":"gender","column":"B","transforms":[{"bar":1}]}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].fields[0].transforms[0]: unknown transform "bar"`},
		{"bad date format", patient(`{"path":"birthDate","column":"B","transforms":[{"date":"YYMMDD"}]}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].fields[0].transforms[0].date: unknown date format part (use CCYY, CYY, MM, DD, DDD, HH, MI, SS and punctuation)`},
		{"time in date", patient(`{"path":"birthDate","column":"B","transforms":[{"date":"CCYYMMDDHHMI"}]}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].fields[0].transforms[0].date: a date format has no time of day (use dateTime)`},
		{"two sources", patient(`{"path":"gender","column":"B","const":"male"}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].fields[0]: want exactly one of column, const, param, concat or reference`},
		{"bad path", patient(`{"path":"name[x].family","column":"B"}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].fields[0].path: not an element path (want name, name[0], a.b[1].c)`},
		{"id path", patient(`{"path":"id","column":"B"}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].fields[0].path: id is set by the mapper`},
		{"not repeated", patient(`{"path":"name.family","column":"B"}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].fields[0].path: Patient.name repeats: give an index, name[0]`},
		{"index on single", patient(`{"path":"birthDate[0]","column":"B"}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].fields[0].path: Patient.birthDate does not repeat: no index`},
		{"unknown element", patient(`{"path":"name[0].famly","column":"B"}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].fields[0].path: Patient.name[0] has no element famly`},
		{"complex leaf", patient(`{"path":"address[0]","column":"B"}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].fields[0].path: Patient.address[0] is of type Address, not a primitive value: map its elements`},
		{"into primitive", patient(`{"path":"birthDate.year","column":"B"}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].fields[0].path: Patient.birthDate is a primitive value: it has no element year`},
		{"reference to non-reference", patient(`{"path":"gender","reference":{"type":"Patient","id":{"from":"npi","value":{"column":"A"}}}}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].fields[0].path: Patient.gender is not a Reference`},
		{"bare choice", patient(`{"path":"deceased","column":"B"}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].fields[0].path: Patient has no element deceased`},
		{"unknown type", table(`{"type":"Pateint",` + idOK + `}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].type: unknown resource type "Pateint"`},
		{"no id", table(`{"type":"Patient"}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].id: missing: every resource needs an id rule`},
		{"unknown convention", table(`{"type":"Patient","id":{"from":"mrn","value":{"column":"A"}}}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].id.from: unknown id convention "mrn" (want identifier, member, coverage, npi, payer, claim or payer-claim)`},
		{"coverage for patient", table(`{"type":"Patient","id":{"from":"coverage","payer":{"const":"P"},"member":{"column":"A"}}}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].id.from: coverage ids are for Coverage`},
		{"missing member", table(`{"type":"Patient","id":{"from":"member","payer":{"const":"P"}}}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].id.member: missing`},
		{"extra id part", table(`{"type":"Practitioner","id":{"from":"npi","value":{"column":"A"},"payer":{"const":"P"}}}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].id.payer: not part of the npi convention`},
		{"unknown param", table(`{"type":"Patient","id":{"from":"member","payer":{"param":"payer"},"member":{"column":"A"}}}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].id.payer.param: no parameter "payer" in params`},
		{"map without table", patient(`{"path":"gender","column":"B","transforms":[{"map":"x"}]}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].fields[0].transforms[0].map: want an object of strings`},
		{"default on trim", patient(`{"path":"gender","column":"B","transforms":[{"zeroPad":2,"default":"x"}]}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].fields[0].transforms[0].default: default applies only to map`},
		{"unknown member", patient(`{"path":"gender","column":"B","type":"float"}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].fields[0]: unknown field "type"`},
		{"bad when", patient(`{"path":"gender","column":"B","when":{"column":"C"}}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].fields[0].when: want exactly one of equals, in, notIn or present`},
		{"element without key", table(`{"type":"ExplanationOfBenefit","element":"item","id":{"from":"payer-claim","payer":{"const":"P"},"value":{"column":"A"}},"fields":[{"path":"sequence","column":"L"}]}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].key: a child element needs a key: the element member that tells its rows apart (e.g. sequence)`},
		{"key not set", table(`{"type":"ExplanationOfBenefit","element":"item","key":"sequence","id":{"from":"payer-claim","payer":{"const":"P"},"value":{"column":"A"}},"fields":[{"path":"servicedDate","column":"L"}]}`),
			`fromcdc: mapping: tables.MEMBER.resources[0].key: no field sets the key "sequence" (a top-level path of the element)`},
		{"bad zone", `{"version":1,"tables":{"MEMBER":{"zone":"Mars/Olympus","resources":[{"type":"Patient",` + idOK + `}]}}}`,
			`fromcdc: mapping: tables.MEMBER.zone: unknown time zone "Mars/Olympus"`},
		{"wrong json type", `{"version":"1"}`, `fromcdc: mapping: version: want a number`},
		{"duplicate table", `{"version":1,"tables":{"member":{"resources":[{"type":"Patient",` + idOK + `}]},"MEMBER":{"resources":[{"type":"Patient",` + idOK + `}]}}}`,
			`fromcdc: mapping: tables.member: table named twice (names are case-insensitive)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tc.doc))
			var me *MappingError
			if !errors.As(err, &me) {
				t.Fatalf("err %v (%T), want a *MappingError", err, err)
			}
			if err.Error() != tc.want {
				t.Errorf("got  %s\nwant %s", err, tc.want)
			}
		})
	}
}

func TestShippedExampleTables(t *testing.T) {
	t.Parallel()
	got := strings.Join(loadExample(t).Tables(), ",")
	if got != "CLAIM_HEADER,CLAIM_LINE,ELIGIBILITY,MEMBER,PROVIDER" {
		t.Errorf("tables %s", got)
	}
}

func TestDateFormats(t *testing.T) {
	t.Parallel()
	ny, _ := time.LoadLocation("America/New_York")
	cases := []struct {
		format   string
		dateTime bool
		in       value
		want     string
		err      bool
	}{
		{"CCYYMMDD", false, value{text: "19800214", kind: cdc.KindNumber}, "1980-02-14", false},
		{"CYYMMDD", false, value{text: "1250110", kind: cdc.KindNumber}, "2025-01-10", false},
		{"CYYMMDD", false, value{text: "800214", kind: cdc.KindNumber}, "1980-02-14", false}, // 0800214 lost its zero
		{"CCYYDDD", false, value{text: "2024060", kind: cdc.KindNumber}, "2024-02-29", false},
		{"CCYYDDD", false, value{text: "2023366", kind: cdc.KindNumber}, "", true},
		{"MM/DD/CCYY", false, value{text: "02/14/1980", kind: cdc.KindString}, "1980-02-14", false},
		{"CCYY-MM-DD", false, value{text: "1980-02-30", kind: cdc.KindString}, "", true},
		{"CCYYMMDD", false, value{text: "1980021", kind: cdc.KindString}, "", true},
		{"CCYYMMDDHHMISS", true, value{text: "20250115143000", kind: cdc.KindNumber}, "2025-01-15T14:30:00-05:00", false},
		{"CCYYMMDD", true, value{text: "20250115", kind: cdc.KindNumber}, "2025-01-15", false},  // a date stays a date
		{"CCYYMMDD", false, value{text: "1980-02-14", kind: cdc.KindDate}, "1980-02-14", false}, // typed: format not needed
		{"", true, value{text: "2025-01-15T14:30:00.123456", kind: cdc.KindTimestamp}, "2025-01-15T14:30:00.123456-05:00", false},
		{"", true, value{text: "2025-01-15T14:30:00Z", kind: cdc.KindString}, "2025-01-15T14:30:00Z", false},
		{"", false, value{text: "2025-01-15", kind: cdc.KindString}, "2025-01-15", false},
	}
	for _, tc := range cases {
		tr := dateTransform{dateTime: tc.dateTime}
		if tc.format != "" {
			f, err := parseDateFormat(tc.format)
			if err != nil {
				t.Fatalf("%s: %v", tc.format, err)
			}
			tr.format = f
		}
		got, ok, err := tr.apply(tc.in, ny)
		if tc.err {
			if !errors.Is(err, ErrNotDate) {
				t.Errorf("%s %q: %v, want ErrNotDate", tc.format, tc.in.text, err)
			}
			continue
		}
		if err != nil || !ok || got.text != tc.want {
			t.Errorf("%s %q: %q %v %v, want %q", tc.format, tc.in.text, got.text, ok, err, tc.want)
		}
	}
}

func TestDecimalTransforms(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    string
		scale int
		want  string
	}{
		{"1234567", 2, "12345.67"}, {"-5", 2, "-0.05"}, {"0", 2, "0.00"}, {"007", 0, "7"}, {"12.5", 1, "1.25"}, {"-0", 2, "0.00"},
	} {
		v, ok, err := scale(tc.scale).apply(value{text: tc.in, kind: cdc.KindNumber}, nil)
		if err != nil || !ok || v.text != tc.want {
			t.Errorf("scale(%d) %s = %q %v, want %q", tc.scale, tc.in, v.text, err, tc.want)
		}
	}
	for in, want := range map[string]string{"+0012.50": "12.50", "-0.00": "0.00", "10": "10", "abc": "", "1.": "", ".5": "0.5"} {
		got, ok := canonDecimal(in)
		if (want == "") == ok || got != want {
			t.Errorf("canonDecimal(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}

func FuzzLoad(f *testing.F) {
	if b, err := os.ReadFile("examples/payer.mapping.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"version":1,"tables":{"T":{"resources":[{"type":"Patient","id":{"from":"identifier","system":{"const":"urn:x"},"value":{"column":"A"}},"fields":[{"path":"name[0].family","concat":[{"column":"A"},{"const":"x"}],"sep":" ","transforms":["trim",{"map":{"a":"b"},"default":""}]}]}]}}}`))
	f.Add([]byte(`{"version":1,"tables":{"T":{"resources":[{"type":"ExplanationOfBenefit","element":"item","key":"sequence","id":{"from":"payer-claim","payer":{"const":"P"},"value":{"column":"C"}},"fields":[{"path":"sequence","column":"L","type":"integer"},{"path":"servicedDate","column":"D","transforms":[{"date":"CYYMMDD"}],"when":{"column":"D","present":true}}]}]}}}`))
	ev, err := cdc.Parse(nil, []byte(`{"before":null,"after":{"A":"x","C":"1","L":1,"D":1250101,"MEMBER_ID":"M1"},"source":{"connector":"postgresql","name":"s","table":"T","lsn":1},"op":"c"}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Load(strings.NewReader(string(b)))
		if (m == nil) == (err == nil) {
			t.Fatalf("Load = %v, %v", m, err)
		}
		if err != nil {
			var me *MappingError
			if !errors.As(err, &me) && !strings.HasPrefix(err.Error(), "fromcdc: mapping:") {
				t.Fatalf("unlocated error %v", err)
			}
			return
		}
		// Whatever loads converts without panicking.
		mp, err := New(Config{Mapping: m})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = mp.Convert(ev)
	})
}

func fhirSystems() fhir.Systems { return fhir.Systems{} }

func BenchmarkConvert(b *testing.B) {
	m := newMapper(b, fhirSystems())
	for _, name := range []string{"member-create", "eligibility-create", "claim-header-create", "claim-line-1"} {
		ev := readEvent(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Convert(ev); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// A copybook group's items are columns by their own name and qualified.
func TestGroupColumns(t *testing.T) {
	t.Parallel()
	ev, err := cdc.Parse(nil, []byte(`{"before":null,"after":{"MEMBER-ID":"M1","MEMBER-NAME":{"LAST-NM":"DOE ","FIRST-NM":"JAN"},"VISITS":[{"D":1}]},
		"source":{"connector":"copybook","name":"mainframe","table":"MEMBER","file":"F","record":1},"op":"r"}`))
	if err != nil {
		t.Fatal(err)
	}
	mp, err := Load(strings.NewReader(`{"version":1,"tables":{"MEMBER":{"resources":[{"type":"Patient",
		"id":{"from":"member","payer":{"const":"P"},"member":{"column":"MEMBER-ID"}},
		"fields":[{"path":"name[0].family","column":"member_name.last_nm","transforms":["trim"]},{"path":"name[0].given[0]","column":"FIRST-NM"}]}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := New(Config{Mapping: mp})
	res, err := m.Convert(ev)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := fhir.Marshal(res.Entries[0].Resource)
	if !strings.Contains(string(b), `"name":[{"family":"DOE","given":["JAN"]}]`) {
		t.Errorf("got %s", b)
	}
}

func TestTextTransforms(t *testing.T) {
	t.Parallel()
	ev, err := cdc.Parse(nil, []byte(`{"before":null,"after":{"ID":"  42 ","LAST":"QUINTANA-REYES","FIRST":"  ANA ","MID":null,"ZIP":"627019999","NPI":123},
		"source":{"connector":"postgresql","name":"s","schema":"public","table":"person","lsn":7},"op":"c"}`))
	if err != nil {
		t.Fatal(err)
	}
	mp, err := Load(strings.NewReader(`{"version":1,"tables":{"PERSON":{"resources":[{"type":"Patient",
		"id":{"from":"member","system":{"const":"urn:x"},"member":{"column":"ID","transforms":["trim",{"zeroPad":6},{"prefix":"P"}]}},
		"identifier":true,
		"fields":[
			{"path":"name[0].family","column":"LAST","transforms":["title"]},
			{"path":"name[0].text","concat":[{"column":"FIRST","transforms":["trim"]},{"column":"MID"},{"column":"LAST"}],"sep":" ","transforms":["lower",{"suffix":"."}]},
			{"path":"address[0].postalCode","column":"ZIP","transforms":[{"substr":[0,5]}]},
			{"path":"generalPractitioner[0]","reference":{"type":"Practitioner","id":{"from":"npi","value":{"column":"NPI","transforms":[{"zeroPad":10}]}}}},
			{"path":"multipleBirthBoolean","const":false}
		]}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := New(Config{Mapping: mp})
	res, err := m.Convert(ev)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := fhir.Marshal(res.Entries[0].Resource)
	for _, want := range []string{
		`"identifier":[{"system":"urn:x","value":"P000042"}]`,
		`"family":"Quintana-Reyes"`,
		`"text":"ana quintana-reyes."`,
		`"postalCode":"62701"`,
		`"reference":"Practitioner/` + fhir.ID("Practitioner", fhir.SystemNPI, "0000000123") + `"`,
		`"multipleBirthBoolean":false`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("missing %s in %s", want, b)
		}
	}
	if res.Entries[0].ID != fhir.ID("Patient", "urn:x", "P000042") {
		t.Errorf("id %s", res.Entries[0].ID)
	}
}
