package fromv2

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
)

var update = flag.Bool("update", false, "rewrite the golden .fhir.json files")

func newMapper(t *testing.T) *Mapper {
	t.Helper()
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(Config{
		DefaultLocation:   time.UTC,
		FacilityLocations: map[string]*time.Location{"NORTHCLINIC": chicago},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func convertFile(t *testing.T, m *Mapper, path string) (Result, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := hl7v2.Parse(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m.Convert(msg)
}

// Each testdata/*.hl7 maps to the Patient in its .fhir.json golden file,
// and the output is valid FHIR R4.
func TestGolden(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	files, _ := filepath.Glob("testdata/*.hl7")
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			res, err := convertFile(t, m, f)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			for _, e := range res.Entries {
				r := e.Resource
				b, err := fhir.Marshal(r)
				if err != nil {
					t.Fatal(err)
				}
				if err := fhir.Validate(b); err != nil {
					t.Errorf("invalid FHIR: %v", err)
				}
				if err := json.Indent(&got, b, "", "  "); err != nil {
					t.Fatal(err)
				}
				got.WriteByte('\n')
			}
			golden := strings.TrimSuffix(f, ".hl7") + ".fhir.json"
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("mapping changed (-want +got):\n%s", diff)
			}
		})
	}
}

// The facts the issue names, checked directly rather than only through the
// golden file.
func TestPatientFields(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	res, err := convertFile(t, m, "testdata/ADT_A01.hl7")
	if err != nil {
		t.Fatal(err)
	}
	p := decode(t, res.Entries[0].Resource)
	if got, want := res.PatientID, fhir.ID("Patient", "urn:tributary:aa:GHH", "123456"); got != want {
		t.Errorf("PatientID = %q, want the id of the MR identifier %q", got, want)
	}
	checks := map[string]any{
		"id":                              res.PatientID,
		"identifier.0.system":             "urn:tributary:aa:GHH",
		"identifier.0.value":              "123456",
		"identifier.0.type.coding.0.code": "MR",
		"identifier.1.system":             "urn:tributary:aa:SSA",
		"identifier.2.system":             "urn:oid:2.16.840.1.113883.19.5", // no CX.4: the sending facility
		"name.0.family":                   "Everywoman",
		"name.0.given.0":                  "Eve",
		"name.0.given.1":                  "E",
		"name.0.use":                      "official",
		"name.1.use":                      "maiden",
		"gender":                          "female",
		"birthDate":                       "1962-03-20",
		"birthDate_ext":                   "1962-03-20T15:30:00+00:00", // no offset; facility not configured: UTC
		"address.0.line.1":                "Apt 4",
		"address.0.city":                  "Ann Arbor",
		"address.0.postalCode":            "99999",
		"address.0.use":                   "home",
		"address.0.district":              "Washtenaw",
		"address.1.type":                  "postal",
		"telecom.0.value":                 "+1 555 5552004 X12",
		"telecom.0.use":                   "home",
		"telecom.1.system":                "email",
		"telecom.1.value":                 "eve@example.org",
		"telecom.2.value":                 "(555)555-1212",
		"telecom.2.system":                "phone",
		"telecom.3.use":                   "work",
		"deceasedBoolean":                 false,
	}
	for path, want := range checks {
		if got := lookup(p, path); !cmp.Equal(got, want) {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if got, want := res.SourceTime, time.Date(2026, 11, 26, 14, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("SourceTime = %v, want %v", got, want)
	}
}

// A timestamp without an offset takes the zone of its sending facility;
// precision is kept; the HL7 null "" clears a field.
func TestZonesPrecisionAndNulls(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	res, err := convertFile(t, m, "testdata/ADT_A08_local.hl7")
	if err != nil {
		t.Fatal(err)
	}
	p := decode(t, res.Entries[0].Resource)
	if got := lookup(p, "birthDate"); got != "1980" {
		t.Errorf("birthDate = %v, want the year only", got)
	}
	if got := lookup(p, "deceasedDateTime"); got != "2000-01-01T12:00:00-06:00" {
		t.Errorf("deceasedDateTime = %v, want Chicago's offset", got)
	}
	if got := lookup(p, "address.0.district"); got != "Sangamon" {
		t.Errorf("PID-12 county = %v", got)
	}
	if want := time.Date(2026, 11, 26, 14, 15, 0, 0, time.UTC); !res.SourceTime.Equal(want) {
		t.Errorf("SourceTime = %v, want %v (MSH-7 in Chicago time)", res.SourceTime, want)
	}

	res, err = convertFile(t, m, "testdata/ADT_A04_nulls.hl7")
	if err != nil {
		t.Fatal(err)
	}
	p = decode(t, res.Entries[0].Resource)
	if got := lookup(p, "name.0.family"); got != nil {
		t.Errorf(`family = %v, want absent for ""`, got)
	}
	if got := lookup(p, "address"); got != nil {
		t.Errorf(`address = %v, want absent for ""`, got)
	}
	if got := lookup(p, "identifier.0.system"); got != "urn:tributary:aa:NORTH" {
		t.Errorf("identifier system = %v", got)
	}
}

// Bad input is rejected with the field and the table 0357 code, and the
// error text never holds the value.
func TestErrorsAreLocated(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	base := "MSH|^~\\&|REG|FAC|TRIB|TRIB|20261126||ADT^A01|C1|P|2.5.1\r"
	tests := []struct {
		name, msg string
		loc       string
		code      hl7v2.ErrorCode
	}{
		{"bad birth date", base + "PID|1||42^^^FAC^MR||Doe^J||19801345|M\r", "PID-7", hl7v2.CodeDataType},
		{"unknown sex", base + "PID|1||42^^^FAC^MR||Doe^J||1980|Q\r", "PID-8", hl7v2.CodeTableValueNotFound},
		{"no identifier", base + "PID|1||||Doe^J\r", "PID-3", hl7v2.CodeRequiredFieldMissing},
		{"no PID", base + "EVN|A01\r", "PID", hl7v2.CodeSegmentSequence},
		{"bad MSH-7", strings.Replace(base, "20261126", "2026AB26", 1) + "PID|1||42^^^FAC^MR\r", "MSH-7", hl7v2.CodeDataType},
		{"bad admit time", base + "PID|1||42^^^FAC^MR\rPV1|1|I|||||||||||||||||V1|||||||||||||||||||||||||2026X\r", "PV1-44", hl7v2.CodeDataType},
		{"bad NK1 birth date", base + "PID|1||42^^^FAC^MR\rNK1|1|Doe^Jane|MTH|||||||||||||19801345\r", "NK1-16", hl7v2.CodeDataType},
		{"merge without prior id", strings.Replace(base, "ADT^A01", "ADT^A40", 1) + "PID|1||42^^^FAC^MR\rMRG|\r", "MRG-1", hl7v2.CodeRequiredFieldMissing},
		{"no authority at all", "MSH|^~\\&|||TRIB|TRIB|20261126||ADT^A01|C1|P|2.5.1\rPID|1||42^^^^MR\r", "PID-3.4", hl7v2.CodeRequiredFieldMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			expectLocated(t, m, tt.msg, tt.loc, tt.code, "19801345", "Doe", "2026AB26")
		})

	}
}

// Sending the same message again lands on the same Patient id; another
// patient of the same authority does not.
func TestIDsAreDeterministic(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	a, err := convertFile(t, m, "testdata/ADT_A01.hl7")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := convertFile(t, m, "testdata/ADT_A01.hl7")
	if a.PatientID != b.PatientID {
		t.Error("the same message gave two ids")
	}
	c, _ := convertFile(t, m, "testdata/ADT_A08_local.hl7")
	if a.PatientID == c.PatientID {
		t.Error("two patients share an id")
	}
}

// Every message of the public HL7 v2 corpus converts to valid FHIR — any
// type, batches split — except the deliberately malformed samples, which
// fail with a located error: a parse error with its byte offset, or a
// mapping error at the field the table below names.
func TestCorpus(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	files, _ := filepath.Glob("../../../shared/corpus/hl7v2/*/*")
	if len(files) == 0 {
		t.Skip("../shared/corpus not present")
	}
	// Samples whose data is wrong on purpose or by accident, and where.
	rejected := map[string]string{
		"edge-empty-segments.hl7": "PID-3",
		// PID-7 holds "Aug 15, 1942": not a DTM (both Mirth samples).
		"whitespace-padding-v24.hl7":                "PID-7",
		"FHS-BHS-batch-ORM-O01-v24-no-trailers.hl7": "PID-7",
		// OBX-5 of value type DTM holds "February 2 2024".
		"ORM-O01-v251-malformed-DTM-datatype.hl7": "OBX-5",
		// PID-8 holds "1", a local code for sex that table 0001 lacks.
		"OMD-O03-v25-repetitions.hl7": "PID-8",
	}
	converted, types := 0, map[string]int{}
	for _, f := range files {
		base := filepath.Base(f)
		if !strings.HasSuffix(base, ".hl7") {
			continue // expected outputs, notes
		}
		malformed := strings.HasPrefix(base, "malformed-") || strings.HasPrefix(base, "invalid-")
		b, _ := os.ReadFile(f)
		file, err := hl7v2.ParseBatch(b)
		var failed []error
		if err != nil {
			failed = append(failed, err)
		}
		var msgs []hl7v2.Entry
		if file != nil {
			msgs = file.Messages()
		}
		for _, e := range msgs {
			if e.Err != nil {
				failed = append(failed, e.Err)
				continue
			}
			res, err := m.Convert(e.Message)
			if err != nil {
				var he *hl7v2.Error
				if !errors.As(err, &he) || rejected[base] != he.Location.String() {
					t.Errorf("%s: %v", base, err)
				}
				continue
			}
			for _, x := range res.Entries {
				out, err := fhir.Marshal(x.Resource)
				if err != nil {
					t.Fatal(err)
				}
				if err := fhir.Validate(out); err != nil {
					t.Errorf("%s: invalid FHIR: %v", base, err)
				}
			}
			converted++
			types[e.Message.Get("MSH-9.1")+"^"+e.Message.Get("MSH-9.2")]++
		}
		for _, err := range failed {
			var pe *hl7v2.ParseError
			if !malformed {
				t.Errorf("%s: not malformed on purpose, but: %v", base, err)
			} else if !errors.As(err, &pe) || (pe.Offset == 0 && pe.Location.String() == "" && pe.SegmentIndex == 0 && len(b) > 0 && !errors.Is(err, hl7v2.ErrNoMSH)) {
				t.Errorf("%s: error without a location: %v", base, err)
			}
		}
		if malformed && len(failed) == 0 && rejected[base] == "" {
			t.Errorf("%s: a deliberately malformed sample converted", base)
		}
	}
	t.Logf("%d corpus messages converted: %v", converted, types)
	if converted < 50 {
		t.Errorf("only %d corpus messages converted", converted)
	}
}

// The embedded concept maps are the IG's files, unmodified.
func TestConceptMapsMatchIG(t *testing.T) {
	t.Parallel()
	dir := "../../../shared/specs/v2-to-fhir/codesystems"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("../shared/specs not present")
	}
	files, _ := filepath.Glob("conceptmaps/*.csv")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".csv")
		want, err := os.ReadFile(filepath.Join(dir, "HL7 Concept Map_ "+name+" - Sheet1.csv"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got, _ := os.ReadFile(f)
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the IG's concept map", name)
		}
	}
}

func decode(t *testing.T, r fhir.Resource) map[string]any {
	t.Helper()
	b, err := fhir.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// lookup follows a dotted path of keys and indexes; "birthDate_ext" reads
// the birthTime extension.
func lookup(v any, path string) any {
	if path == "birthDate_ext" {
		return lookup(v, "_birthDate.extension.0.valueDateTime")
	}
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := 0
			for _, c := range k {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// expectLocated converts text and requires an *hl7v2.Error at loc with
// code whose text holds none of the values in leaks.
func expectLocated(t *testing.T, m *Mapper, text, loc string, code hl7v2.ErrorCode, leaks ...string) {
	t.Helper()
	msg, err := hl7v2.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Convert(msg)
	var he *hl7v2.Error
	if !errors.As(err, &he) {
		t.Fatalf("Convert error = %v, want *hl7v2.Error", err)
	}
	if got := he.Location.String(); got != loc {
		t.Errorf("location = %q, want %q", got, loc)
	}
	if he.Code != code {
		t.Errorf("code = %d, want %d", he.Code, code)
	}
	for _, v := range leaks {
		if strings.Contains(err.Error(), v) {
			t.Errorf("error %q leaks a value", err)
		}
	}
}
