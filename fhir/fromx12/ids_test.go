package fromx12

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/claims"
	"github.com/tributary-health/tributary/claims/x12/x12test"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/fhir/fromv2"
)

// interchange wraps segments (without terminators) in ISA/GS/ST…SE/GE/IEA,
// counting SE-01.
func interchange(fid, version, setID string, segs ...string) string {
	var b strings.Builder
	b.WriteString("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*1200*^*00501*000000001*0*T*:~")
	b.WriteString("GS*" + fid + "*SENDER*RECEIVER*20260101*1200*1*X*" + version + "~")
	b.WriteString("ST*" + setID + "*0001*" + version + "~")
	for _, s := range segs {
		b.WriteString(s + "~")
	}
	b.WriteString("SE*" + strconv.Itoa(len(segs)+2) + "*0001~GE*1*1~IEA*1*000000001~")
	return b.String()
}

func convertAll(t *testing.T, m *Mapper, data string) Result {
	t.Helper()
	var res Result
	for _, tx := range transactions(t, strings.NewReader(data)) {
		r, err := m.Convert(tx)
		if err != nil {
			t.Fatalf("ST-02 %s: %v", tx.ControlNumber, err)
		}
		res.Entries = append(res.Entries, r.Entries...)
	}
	marshalValid(t, res)
	return res
}

func ids(res Result, typ string) map[string]bool {
	out := map[string]bool{}
	for _, e := range res.Entries {
		if fhir.TypeOf(e.Resource) == typ {
			out[idOf(e.Resource)] = true
		}
	}
	return out
}

func synthetic837(t *testing.T, claims int) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := x12test.Write837P(&b, x12test.Options{Claims: claims}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The same member, payer and group in an 834 and an 837 land on the same
// Patient and Coverage ids, for a subscriber and for a dependent (who has
// no member id of their own).
func TestEnrollmentAndClaimConverge(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	claimsRes := convertAll(t, m, synthetic837(t, 3)) // claim 3 has a 2000C patient under M3
	enroll := interchange("BE", "005010X220A1", "834",
		"BGN*00*REF1*20260101*1200****2",
		"N1*P5*SYNTHETIC EMPLOYER*FI*000000001",
		"N1*IN*SYNTHETIC PAYER*FI*99999",
		"INS*Y*18*021*28*A***FT", "REF*0F*M1", "REF*1L*GRP1", "NM1*IL*1*SUBSCRIBER1*TEST", "DMG*D8*19700101*F",
		"HD*021**HLT", "DTP*348*D8*20260101",
		"INS*N*19*021*28*A", "REF*0F*M3", "REF*1L*GRP3", "NM1*IL*1*Patient3*Test", "DMG*D8*20100101*M",
		"HD*021**HLT", "DTP*348*D8*20260101",
	)
	enrollRes := convertAll(t, m, enroll)

	sys := fhir.Systems{}.PayerMember("99999")
	for _, want := range []string{
		fhir.ID("Patient", sys, "M1"),
		fhir.ID("Patient", sys, "M3|PATIENT3|TEST"),
	} {
		if !ids(claimsRes, "Patient")[want] || !ids(enrollRes, "Patient")[want] {
			t.Errorf("Patient %s not in both the 837 and the 834 results", want)
		}
	}
	for _, want := range []string{
		fhir.Systems{}.CoverageID("99999", "M1", "GRP1"),
		fhir.Systems{}.CoverageID("99999", "M3|PATIENT3|TEST", "GRP3"),
	} {
		if !ids(claimsRes, "Coverage")[want] || !ids(enrollRes, "Coverage")[want] {
			t.Errorf("Coverage %s not in both the 837 and the 834 results", want)
		}
	}
	if want := fhir.PayerOrganizationID("99999"); !ids(claimsRes, "Organization")[want] || !ids(enrollRes, "Organization")[want] {
		t.Errorf("payer Organization %s not in both results", want)
	}
}

// An NPI names the same Practitioner in an 837 and in an HL7 v2 message
// (XCN with assigning authority NPI), as fhir/fromv2 maps it.
func TestPractitionerConvergesWithHL7(t *testing.T) {
	t.Parallel()
	const npi = "1234567893"
	want := fhir.ID("Practitioner", fhir.SystemNPI, npi)
	res := convertAll(t, newMapper(t), synthetic837(t, 1)) // claim 1 has a rendering provider
	if !ids(res, "Practitioner")[want] {
		t.Fatalf("837: no Practitioner %s", want)
	}
	b, err := os.ReadFile("../fromv2/testdata/ADT_A02_transfer.hl7")
	if err != nil {
		t.Skipf("fromv2 test data: %v", err)
	}
	msg, err := hl7v2.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := fromv2.New(fromv2.Config{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := v2.Convert(msg)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range r.Entries {
		if fhir.TypeOf(e.Resource) == "Practitioner" && idOf(e.Resource) == want {
			found = true
		}
	}
	if !found {
		t.Errorf("fromv2 did not produce Practitioner %s for the same NPI", want)
	}
}

// Money is exact: what X12 sends is what the FHIR JSON says, to the cent,
// with no float in between.
func TestMoneyExact(t *testing.T) {
	t.Parallel()
	data := strings.Replace(synthetic837(t, 1), "CLM*PCN1*300*", "CLM*PCN1*1234.56*", 1)
	data = strings.Replace(data, "SV1*HC:99213*100*UN*1***1:2", "SV1*HC:99213*.1*UN*3***1:2", 1)
	res := convertAll(t, newMapper(t), data)
	var claim []byte
	for _, e := range res.Entries {
		if fhir.TypeOf(e.Resource) == "Claim" {
			claim, _ = fhir.Marshal(e.Resource)
		}
	}
	for _, want := range []string{`"total":{"currency":"USD","value":1234.56}`, `"net":{"currency":"USD","value":0.10}`} {
		if !bytes.Contains(claim, []byte(want)) {
			t.Errorf("Claim JSON lacks %s:\n%s", want, claim)
		}
	}
	// 0.10 over 3 units is not a whole number of cents: no unitPrice.
	if bytes.Contains(claim, []byte(`"unitPrice":{"currency":"USD","value":0.03`)) {
		t.Error("inexact unitPrice")
	}
}

// jsonPath reads a dotted path ("item.0.adjudication") from decoded JSON.
func jsonPath(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// Every ExplanationOfBenefit has the elements CARIN Blue Button 2.0.0
// requires of all its EOB profiles (inferno carin-bb metadata,
// mandatory_elements) that an 835 can give; the gaps are documented in
// docs/x12-to-fhir.md.
func TestCARINRequired(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	required := []string{
		"meta.profile.0", "identifier.0.type.coding.0.code", "identifier.0.value", "status", "type.coding.0.code", "use",
		"patient.reference", "billablePeriod.start", "created", "insurer.reference", "provider.reference",
		"payee.type.coding.0.code", "outcome", "insurance.0.focal", "insurance.0.coverage.reference",
		"total.0.category", "total.0.amount.value", "payment.type", "payment.amount", "payment.date",
	}
	perItem := []string{"sequence", "productOrService", "adjudication.0.category", "adjudication.0.amount", "servicedDate|servicedPeriod"}
	n := 0
	for _, name := range []string{"835_professional", "835_institutional", "835_dental"} {
		for _, tx := range readTransactions(t, "testdata/"+name+".x12") {
			res, err := m.Convert(tx)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Entries {
				if fhir.TypeOf(e.Resource) != "ExplanationOfBenefit" {
					continue
				}
				n++
				b, _ := fhir.Marshal(e.Resource)
				var v any
				if err := json.Unmarshal(b, &v); err != nil {
					t.Fatal(err)
				}
				for _, p := range required {
					if jsonPath(v, p) == nil {
						t.Errorf("%s EOB %s: missing %s", name, idOf(e.Resource), p)
					}
				}
				if got := jsonPath(v, "identifier.0.type.coding.0.code"); got != "uc" {
					t.Errorf("%s: identifier type %v, want uc", name, got)
				}
				items, _ := jsonPath(v, "item").([]any)
				for i := range items {
					for _, p := range perItem {
						ok := false
						for _, alt := range strings.Split(p, "|") {
							ok = ok || jsonPath(v, "item."+strconv.Itoa(i)+"."+alt) != nil
						}
						if !ok {
							t.Errorf("%s EOB %s item %d: missing %s", name, idOf(e.Resource), i, p)
						}
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no ExplanationOfBenefit")
	}
}

// Each passes the same resources as Convert, one claim at a time, with
// shared resources once.
func TestEachMatchesConvert(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	for _, tx := range transactions(t, strings.NewReader(synthetic837(t, 20))) {
		all, err := m.Convert(tx)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		units := 0
		err = m.Each(tx, func(r Result) error {
			units++
			for _, e := range r.Entries {
				seen[key(e.Resource)]++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if units != 20 {
			t.Errorf("Each called fn %d times, want 20 (one per claim)", units)
		}
		if len(seen) != len(all.Entries) {
			t.Errorf("Each gave %d distinct resources, Convert %d", len(seen), len(all.Entries))
		}
		for k, n := range seen {
			if n > 1 && !strings.HasPrefix(k, "Patient/") && !strings.HasPrefix(k, "Coverage/") {
				t.Errorf("%s passed %d times", k, n)
			}
		}
		stop := errors.New("stop")
		if err := m.Each(tx, func(Result) error { return stop }); err != stop {
			t.Errorf("Each returned %v, want fn's error", err)
		}
	}
}

// Errors say where, never what: a claim without CLM01 names 2300/CLM01.
func TestErrorsLocated(t *testing.T) {
	t.Parallel()
	data := strings.Replace(synthetic837(t, 1), "CLM*PCN1*", "CLM**", 1)
	txs := transactions(t, strings.NewReader(data))
	_, err := newMapper(t).Convert(txs[0])
	var ce *claims.Error
	if !errors.As(err, &ce) || !errors.Is(err, ErrMissingIdentifier) || ce.Location() != "2300/CLM01" {
		t.Fatalf("err = %v, want ErrMissingIdentifier at 2300/CLM01", err)
	}
	data = strings.Replace(synthetic837(t, 1), "CLM*PCN1*300*", "CLM*PCN1*3.001*", 1)
	_, err = newMapper(t).Convert(transactions(t, strings.NewReader(data))[0])
	if err == nil || strings.Contains(err.Error(), "3.001") || !strings.Contains(err.Error(), "2300/CLM02") {
		t.Fatalf("err = %v, want a located error without the value", err)
	}
}

// With the payee's submitter configured, the 835's ClaimResponse and
// ExplanationOfBenefit reference the Claim the 837 mapping made (CLP01 is
// CLM01); without it they carry no such reference.
func TestRemittanceReferencesClaim(t *testing.T) {
	t.Parallel()
	txs := readTransactions(t, "testdata/835_professional.x12")
	for _, tc := range []struct {
		submitters map[string]string
		want       string
	}{
		{map[string]string{"5544667733": "SUB1"}, "Claim/" + ClaimID("SUB1", "5554555444")},
		{nil, ""},
	} {
		m, err := New(Config{Submitters: tc.submitters})
		if err != nil {
			t.Fatal(err)
		}
		res, err := m.Convert(txs[0])
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, e := range res.Entries {
			var got string
			switch r := e.Resource.(type) {
			case interface{ GetClaim() *dtpb.Reference }:
				got = r.GetClaim().GetUri().GetValue()
			case interface{ GetRequest() *dtpb.Reference }:
				got = r.GetRequest().GetUri().GetValue()
			default:
				continue
			}
			if idOf(e.Resource) == EOBID("1935665544", "94060555410000") || idOf(e.Resource) == fhir.ID("ClaimResponse", payerClaimSystem("1935665544"), "94060555410000") {
				checked++
				if got != tc.want {
					t.Errorf("%s: claim reference %q, want %q", fhir.TypeOf(e.Resource), got, tc.want)
				}
			}
		}
		if checked != 2 {
			t.Errorf("checked %d resources, want the EOB and the ClaimResponse", checked)
		}
	}
}
