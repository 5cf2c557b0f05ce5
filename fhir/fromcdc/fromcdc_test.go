package fromcdc

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-health/tributary/adapters/cdc"
	"github.com/tributary-health/tributary/fhir"
)

var update = flag.Bool("update", false, "update golden files")

const examplePayer = "SYNPAYER"

func loadExample(t testing.TB) *Mapping {
	t.Helper()
	f, err := os.Open("examples/payer.mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newMapper(t testing.TB, sys fhir.Systems) *Mapper {
	t.Helper()
	m, err := New(Config{Systems: sys, Mapping: loadExample(t)})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// readEvent parses testdata/events/NAME.json with its key, if any.
func readEvent(t testing.TB, name string) *cdc.Event {
	t.Helper()
	value, err := os.ReadFile(filepath.Join("testdata", "events", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join("testdata", "events", name+".key.json"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	ev, err := cdc.Parse(key, value)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// render writes a Result as the golden files hold it: a summary of the
// event and each entry as the request the pipeline would make.
func render(t *testing.T, res Result) []byte {
	t.Helper()
	type out struct {
		Request  string          `json:"request"`
		Patient  string          `json:"patient,omitempty"`
		Keep     []string        `json:"keep,omitempty"`
		Resource json.RawMessage `json:"resource,omitempty"`
		Element  json.RawMessage `json:"element,omitempty"`
	}
	doc := struct {
		Table      string `json:"table"`
		Op         string `json:"op"`
		Position   string `json:"position"`
		SourceTime string `json:"sourceTime"`
		Entries    []out  `json:"entries"`
	}{Table: res.Table, Op: string(res.Op), Position: res.Position.String(), SourceTime: res.SourceTime.Format("2006-01-02T15:04:05.000Z07:00")}
	for _, e := range res.Entries {
		o := out{Patient: e.Patient, Keep: e.Keep}
		target := e.Type + "/" + e.ID
		switch {
		case e.Patch != nil && e.Delete:
			o.Request = "PATCH " + target + " remove " + e.Patch.Element + "[" + e.Patch.Key + "=" + string(e.Patch.KeyValue) + "]"
		case e.Patch != nil:
			o.Request = "PATCH " + target + " put " + e.Patch.Element + "[" + e.Patch.Key + "=" + string(e.Patch.KeyValue) + "]"
			o.Element = e.Patch.Value
		case e.Delete:
			o.Request = "DELETE " + target
		default:
			o.Request = "PUT " + target
			b, err := fhir.Marshal(e.Resource)
			if err != nil {
				t.Fatal(err)
			}
			if err := fhir.Validate(b); err != nil {
				t.Errorf("%s: %v", target, err)
			}
			o.Resource = b
		}
		doc.Entries = append(doc.Entries, o)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func eventNames(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		n := strings.TrimSuffix(filepath.Base(p), ".json")
		if !strings.HasSuffix(n, ".key") {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		t.Fatal("no events")
	}
	return names
}

// Each sample event against its golden output; every upserted resource
// passes fhir.Validate (in render).
func TestGolden(t *testing.T) {
	m := newMapper(t, fhir.Systems{})
	for _, name := range eventNames(t) {
		t.Run(name, func(t *testing.T) {
			res, err := m.Convert(readEvent(t, name))
			if err != nil {
				t.Fatal(err)
			}
			got := render(t, res)
			path := filepath.Join("testdata", "golden", name+".golden.json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
		})
	}
}

// A delete yields Delete entries with exactly the ids the create made,
// from a before image holding only the key.
func TestDeleteSameIDs(t *testing.T) {
	t.Parallel()
	m := newMapper(t, fhir.Systems{})
	for _, pair := range [][2]string{{"member-create", "member-delete"}, {"claim-line-2", "claim-line-2-delete"}} {
		c, err := m.Convert(readEvent(t, pair[0]))
		if err != nil {
			t.Fatal(err)
		}
		d, err := m.Convert(readEvent(t, pair[1]))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Entries) != len(d.Entries) || len(d.Entries) == 0 {
			t.Fatalf("%s: %d entries, %s: %d", pair[0], len(c.Entries), pair[1], len(d.Entries))
		}
		for i := range c.Entries {
			ce, de := c.Entries[i], d.Entries[i]
			if !de.Delete || de.Resource != nil || de.Type != ce.Type || de.ID != ce.ID || de.Patient != ce.Patient {
				t.Errorf("%s entry %d: delete %s/%s (patient %q, delete %v), create %s/%s (patient %q)", pair[1], i, de.Type, de.ID, de.Patient, de.Delete, ce.Type, ce.ID, ce.Patient)
			}
			if (ce.Patch == nil) != (de.Patch == nil) || ce.Patch != nil && string(ce.Patch.KeyValue) != string(de.Patch.KeyValue) {
				t.Errorf("%s entry %d: patch keys differ", pair[1], i)
			}
		}
	}
}

// The ids agree with the conventions every feed uses (DESIGN.md), also
// under a configured member id system.
func TestIDConvergence(t *testing.T) {
	t.Parallel()
	for _, sys := range []fhir.Systems{{}, {Payers: map[string]string{examplePayer: "https://payer.example/member-id"}}} {
		m := newMapper(t, sys)
		ids := map[string]Entry{}
		for _, name := range []string{"member-create", "eligibility-create", "provider-practitioner", "provider-organization", "claim-header-create"} {
			res, err := m.Convert(readEvent(t, name))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Entries {
				ids[e.Type] = e
			}
		}
		patientID := fhir.ID("Patient", sys.PayerMember(examplePayer), "M000012345")
		want := map[string]string{
			"Patient":              patientID,
			"Coverage":             sys.CoverageID(examplePayer, "M000012345", "G0042"),
			"Practitioner":         fhir.ID("Practitioner", fhir.SystemNPI, "1234567893"),
			"Organization":         fhir.ID("Organization", fhir.SystemNPI, "1999999976"),
			"ExplanationOfBenefit": fhir.ID("ExplanationOfBenefit", "urn:tributary:payer:"+examplePayer+":claim", "2025011500017"),
		}
		for typ, id := range want {
			if ids[typ].ID != id {
				t.Errorf("%s id %s, want %s", typ, ids[typ].ID, id)
			}
		}
		for _, typ := range []string{"Patient", "Coverage", "ExplanationOfBenefit"} {
			if ids[typ].Patient != patientID {
				t.Errorf("%s patient %s, want %s", typ, ids[typ].Patient, patientID)
			}
		}
		// References inside the EOB point at the converging ids.
		b, _ := fhir.Marshal(ids["ExplanationOfBenefit"].Resource)
		for _, ref := range []string{
			"Patient/" + patientID,
			"Coverage/" + sys.CoverageID(examplePayer, "M000012345", "G0042"),
			"Organization/" + fhir.PayerOrganizationID(examplePayer),
			"Organization/" + fhir.ID("Organization", fhir.SystemNPI, "1999999976"),
			"Claim/" + fhir.ID("Claim", fhir.ClaimControl("SUBMTR01"), "PCN7781"),
		} {
			if !bytes.Contains(b, []byte(`"`+ref+`"`)) {
				t.Errorf("EOB lacks reference %s", ref)
			}
		}
	}
}

// Money stays exact: decimal text in, the same digits out.
func TestMoneyExact(t *testing.T) {
	t.Parallel()
	m := newMapper(t, fhir.Systems{})
	ev := readEvent(t, "claim-header-create")
	for i := range ev.After {
		switch ev.After[i].Name {
		case "PAID_AMT":
			ev.After[i].Value = cdc.Value{Kind: cdc.KindNumber, Text: "12345.67"}
		case "BILLED_AMT":
			ev.After[i].Value = cdc.Value{Kind: cdc.KindNumber, Text: "99999999999999.10"}
		case "ALLOWED_AMT":
			ev.After[i].Value = cdc.Value{Kind: cdc.KindString, Text: "0000180.40"}
		}
	}
	res, err := m.Convert(ev)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := fhir.Marshal(res.Entries[0].Resource)
	for _, want := range []string{`"value":12345.67`, `"value":99999999999999.10`, `"value":180.40`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("missing %s in %s", want, b)
		}
	}
}

// A claim's header and lines, in either order of arrival, end as one
// valid ExplanationOfBenefit; a line delete removes its item; a header
// update keeps the items.
func TestClaimAssembly(t *testing.T) {
	t.Parallel()
	m := newMapper(t, fhir.Systems{})
	one := func(name string) Entry {
		res, err := m.Convert(readEvent(t, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Entries) != 1 {
			t.Fatalf("%s: %d entries", name, len(res.Entries))
		}
		return res.Entries[0]
	}
	hdr, l1, l2, del := one("claim-header-create"), one("claim-line-1"), one("claim-line-2"), one("claim-line-2-delete")
	if _, err := l1.Apply(nil); !errors.Is(err, ErrNoParent) {
		t.Fatalf("line before header: %v, want ErrNoParent", err)
	}
	stored, err := hdr.Apply(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []Entry{l2, l1} { // out of order: items still end sorted
		if stored, err = e.Apply(stored); err != nil {
			t.Fatal(err)
		}
	}
	if err := fhir.Validate(stored); err != nil {
		t.Fatal(err)
	}
	if n := items(t, stored); n != "1,2" {
		t.Fatalf("items %s, want 1,2", n)
	}
	if stored, err = l1.Apply(stored); err != nil { // a duplicate replaces, never doubles
		t.Fatal(err)
	}
	if stored, err = hdr.Apply(stored); err != nil { // header again: items kept
		t.Fatal(err)
	}
	if n := items(t, stored); n != "1,2" {
		t.Fatalf("after header update: items %s, want 1,2", n)
	}
	if stored, err = del.Apply(stored); err != nil {
		t.Fatal(err)
	}
	if n := items(t, stored); n != "1" {
		t.Fatalf("after line delete: items %s, want 1", n)
	}
	if err := fhir.Validate(stored); err != nil {
		t.Fatal(err)
	}
}

func items(t *testing.T, b []byte) string {
	t.Helper()
	var doc struct {
		Item []struct {
			Sequence json.Number `json:"sequence"`
		} `json:"item"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, it := range doc.Item {
		s = append(s, string(it.Sequence))
	}
	return strings.Join(s, ",")
}

// A provider that changes from a person to an organization retracts the
// Practitioner its old row made.
func TestUpdateRetractsOldResource(t *testing.T) {
	t.Parallel()
	m := newMapper(t, fhir.Systems{})
	res, err := m.Convert(readEvent(t, "provider-retyped"))
	if err != nil {
		t.Fatal(err)
	}
	npi := "1234567893"
	if len(res.Entries) != 2 ||
		!res.Entries[0].Delete || res.Entries[0].Type != "Practitioner" || res.Entries[0].ID != fhir.ID("Practitioner", fhir.SystemNPI, npi) ||
		res.Entries[1].Delete || res.Entries[1].Type != "Organization" || res.Entries[1].ID != fhir.ID("Organization", fhir.SystemNPI, npi) {
		t.Fatalf("entries %+v", res.Entries)
	}
	// A delete with the full before image deletes what the row made; with
	// only the key, every resource the row might have made.
	del := readEvent(t, "provider-retyped")
	del.Op, del.After = cdc.OpDelete, nil
	if res, err = m.Convert(del); err != nil || len(res.Entries) != 1 || res.Entries[0].Type != "Practitioner" || !res.Entries[0].Delete {
		t.Fatalf("full delete: %+v %v", res.Entries, err)
	}
	del.Before = cdc.Row{{Name: "PROV_NPI", Value: cdc.Value{Kind: cdc.KindNumber, Text: npi}}}
	if res, err = m.Convert(del); err != nil || len(res.Entries) != 2 || res.Entries[1].ID != fhir.ID("Organization", fhir.SystemNPI, npi) {
		t.Fatalf("key-only delete: %+v %v", res.Entries, err)
	}
	// An ordinary update retracts nothing.
	res, err = m.Convert(readEvent(t, "member-update"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 1 || res.Entries[0].Delete {
		t.Fatalf("member update: %+v", res.Entries)
	}
}

func TestOps(t *testing.T) {
	t.Parallel()
	m := newMapper(t, fhir.Systems{})
	trunc := readEvent(t, "member-delete")
	trunc.Op, trunc.Before = cdc.OpTruncate, nil
	if _, err := m.Convert(trunc); !errors.Is(err, ErrTruncate) {
		t.Errorf("truncate: %v", err)
	}
	var ce *ConvertError
	if _, err := m.Convert(trunc); !errors.As(err, &ce) || !ce.Permanent() {
		t.Errorf("truncate is not a permanent ConvertError: %v", err)
	}
	tomb, err := cdc.Parse([]byte(`{"MEMBER_ID":"M000012345"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := m.Convert(tomb); err != nil || len(res.Entries) != 0 {
		t.Errorf("tombstone: %v %v", res, err)
	}
	other := readEvent(t, "member-create")
	other.Source.Table, other.Source.Schema = "AUDIT_LOG", "SYS"
	if _, err := m.Convert(other); !errors.Is(err, ErrNoMapping) {
		t.Errorf("unknown table: %v", err)
	}
	// Table names match case-insensitively and with or without schema.
	lower := readEvent(t, "member-create")
	lower.Source.Table, lower.Source.Schema, lower.Source.DB = "member", "public", "payer"
	if res, err := m.Convert(lower); err != nil || res.Table != "MEMBER" {
		t.Errorf("lower-case table: %v %v", res.Table, err)
	}
	res, err := m.Convert(readEvent(t, "member-create"))
	if err != nil {
		t.Fatal(err)
	}
	if res.SourceTime.UnixMilli() != 1764150000000 || res.Position.IsZero() || res.Op != cdc.OpCreate {
		t.Errorf("result metadata: %v %v %v", res.SourceTime, res.Position, res.Op)
	}
}

// Bad values give located errors that never hold the value.
func TestConvertErrorsLocated(t *testing.T) {
	t.Parallel()
	m := newMapper(t, fhir.Systems{})
	cases := []struct {
		event, column string
		value         cdc.Value
		want          string
	}{
		{"member-create", "BIRTH_DT", cdc.Value{Kind: cdc.KindNumber, Text: "19801399"}, "fromcdc: MEMBER.BIRTH_DT → Patient.birthDate: not a date in the expected format"},
		{"member-create", "MEMBER_ID", cdc.Value{Kind: cdc.KindString, Text: "   "}, "fromcdc: MEMBER.MEMBER_ID → Patient.id: identifier needed for a resource id is missing"},
		{"member-create", "REC_STAT", cdc.Value{Kind: cdc.KindString, Text: "Z"}, "fromcdc: MEMBER.REC_STAT → Patient.active: value not in the map and no default"},
		{"claim-header-create", "PAID_AMT", cdc.Value{Kind: cdc.KindString, Text: "12,34"}, "fromcdc: CLAIM_HEADER.PAID_AMT → ExplanationOfBenefit.total[2].amount.value: not a decimal number"},
		{"claim-line-1", "LINE_NO", cdc.Value{Kind: cdc.KindNumber, Text: "0"}, "fromcdc: CLAIM_LINE.LINE_NO → ExplanationOfBenefit.item.sequence: invalid FHIR: expected positive integer"},
		{"eligibility-create", "ELIG_STAT", cdc.Value{Kind: cdc.KindString, Text: "Q"}, "fromcdc: ELIGIBILITY.ELIG_STAT → Coverage.status: value not in the map and no default"},
	}
	for _, tc := range cases {
		ev := readEvent(t, tc.event)
		for i := range ev.After {
			if ev.After[i].Name == tc.column {
				ev.After[i].Value = tc.value
			}
		}
		_, err := m.Convert(ev)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s %s: %v\nwant %s", tc.event, tc.column, err, tc.want)
			continue
		}
		if v := strings.TrimSpace(tc.value.Text); v != "" && strings.Contains(err.Error(), v) {
			t.Errorf("error holds the value: %v", err)
		}
	}
	// What only the validating unmarshaller finds is located too.
	mp, err := Load(strings.NewReader(`{"version":1,"tables":{"ELIGIBILITY":{"resources":[{"type":"Coverage",
		"id":{"from":"coverage","payer":{"const":"P"},"member":{"column":"MEMBER_ID"}},
		"fields":[{"path":"status","const":"active"},{"path":"payor[0]","reference":{"type":"Organization","id":{"from":"payer","value":{"const":"P"}}}},
			{"path":"beneficiary","reference":{"type":"Practitioner","id":{"from":"npi","value":{"column":"MEMBER_ID"}}}}]}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := New(Config{Mapping: mp})
	_, err = m2.Convert(readEvent(t, "eligibility-create"))
	if err == nil || err.Error() != "fromcdc: ELIGIBILITY.MEMBER_ID → Coverage.beneficiary: invalid FHIR: invalid reference to a Practitioner resource, want Patient" {
		t.Errorf("bad reference: %v", err)
	}
}

// Empty columns drop their element with its constants; arrays close up.
func TestEmptyValuesPrune(t *testing.T) {
	t.Parallel()
	m := newMapper(t, fhir.Systems{})
	ev := readEvent(t, "member-create")
	for i := range ev.After {
		switch ev.After[i].Name {
		case "SSN", "PHONE_NO", "ADDR_LINE1", "CITY", "STATE_CD", "ZIP_CD":
			ev.After[i].Value = cdc.Value{Kind: cdc.KindNull}
		}
	}
	res, err := m.Convert(ev)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := fhir.Marshal(res.Entries[0].Resource)
	for _, absent := range []string{"us-ssn", "telecom", "address"} {
		if bytes.Contains(b, []byte(absent)) {
			t.Errorf("%s left in %s", absent, b)
		}
	}
	if !bytes.Contains(b, []byte("us-mbi")) {
		t.Errorf("MBI lost: %s", b)
	}
}
