package labels_test

import (
	"strings"
	"testing"
	"testing/fstest"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	bcrpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/bundle_and_contained_resource_go_proto"
	clpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/claim_go_proto"
	conpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/condition_go_proto"
	medpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/medication_go_proto"
	mrpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/medication_request_go_proto"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/fhir/labels"
)

const (
	icd10 = "http://hl7.org/fhir/sid/icd-10-cm"
	icd9  = "http://hl7.org/fhir/sid/icd-9-cm"
	rxnrm = "http://www.nlm.nih.gov/research/umls/rxnorm"
)

func cc(system, code string) *dtpb.CodeableConcept {
	return &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{
		System: &dtpb.Uri{Value: system}, Code: &dtpb.Code{Value: code},
	}}}
}

func patient() *dtpb.Reference {
	return &dtpb.Reference{Reference: &dtpb.Reference_PatientId{PatientId: &dtpb.ReferenceId{Value: "p1"}}}
}

func condition(system, code string) *conpb.Condition {
	return &conpb.Condition{Id: &dtpb.Id{Value: "c1"}, Code: cc(system, code), Subject: patient()}
}

func medicationRequest(rxcui string) *mrpb.MedicationRequest {
	return &mrpb.MedicationRequest{
		Id:     &dtpb.Id{Value: "m1"},
		Status: &mrpb.MedicationRequest_StatusCode{Value: cpb.MedicationrequestStatusCode_ACTIVE},
		Intent: &mrpb.MedicationRequest_IntentCode{Value: cpb.MedicationRequestIntentCode_ORDER},
		Medication: &mrpb.MedicationRequest_MedicationX{Choice: &mrpb.MedicationRequest_MedicationX_CodeableConcept{
			CodeableConcept: cc(rxnrm, rxcui),
		}},
		Subject: patient(),
	}
}

func claimDiagnosis(system, code string) *clpb.Claim {
	return &clpb.Claim{Diagnosis: []*clpb.Claim_Diagnosis{{
		Diagnosis: &clpb.Claim_Diagnosis_DiagnosisX{Choice: &clpb.Claim_Diagnosis_DiagnosisX_CodeableConcept{
			CodeableConcept: cc(system, code),
		}},
	}}}
}

func claimItem(system, code string) *clpb.Claim {
	return &clpb.Claim{Item: []*clpb.Claim_Item{{ProductOrService: cc(system, code)}}}
}

// containedMedication is a MedicationRequest whose medication is a
// contained Medication with the given RxCUI.
func containedMedication(t *testing.T, rxcui string) *mrpb.MedicationRequest {
	a, err := anypb.New(&bcrpb.ContainedResource{OneofResource: &bcrpb.ContainedResource_Medication{
		Medication: &medpb.Medication{Id: &dtpb.Id{Value: "med"}, Code: cc(rxnrm, rxcui)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return &mrpb.MedicationRequest{Contained: []*anypb.Any{a}}
}

func codes(ls []labels.Label) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Code)
	}
	return out
}

func TestLabel(t *testing.T) {
	t.Parallel()
	l := labels.Default()
	for _, tc := range []struct {
		name string
		r    fhir.Resource
		want []string
	}{
		{"opioid dependence F11.20", condition(icd10, "F11.20"), []string{"SUD", "R"}},
		{"undotted F1120", condition(icd10, "F1120"), []string{"SUD", "R"}},
		{"lower case f10.10", condition(icd10, "f10.10"), []string{"SUD", "R"}},
		{"OID system", condition("urn:oid:2.16.840.1.113883.6.90", "F12.20"), []string{"SUD", "R"}},
		{"nicotine F17.210 excluded", condition(icd10, "F17.210"), nil},
		{"HIV B20", condition(icd10, "B20"), []string{"HIV", "R"}},
		{"HIV status Z21", condition(icd10, "Z21"), []string{"HIV", "R"}},
		{"depression F32.9", condition(icd10, "F32.9"), []string{"PSY", "R"}},
		{"personality F60.3", condition(icd10, "F60.3"), []string{"PSY", "R"}},
		{"dementia F03.90 not PSY", condition(icd10, "F03.90"), nil},
		{"spontaneous abortion O03.9", condition(icd10, "O03.9"), []string{"SEX", "R"}},
		{"contraception Z30.011", condition(icd10, "Z30.011"), []string{"SEX", "R"}},
		{"chlamydia A56.00", condition(icd10, "A56.00"), []string{"STD", "R"}},
		{"BRCA susceptibility Z15.01", condition(icd10, "Z15.01"), []string{"GDIS", "R"}},
		{"asthma J45.909", condition(icd10, "J45.909"), nil},
		{"J45 category", condition(icd10, "J45"), nil},
		{"ICD-9 opioid dependence 304.00", condition(icd9, "304.00"), []string{"SUD", "R"}},
		{"ICD-9 tobacco 305.1 excluded", condition(icd9, "305.1"), nil},
		{"ICD-9 HIV 042", condition(icd9, "042"), []string{"HIV", "R"}},
		{"ICD-10 code under ICD-9 system", condition(icd9, "B20"), nil},
		{"no system", condition("", "F11.20"), nil},
		{"buprenorphine RxCUI 1819", medicationRequest("1819"), []string{"SUD", "R"}},
		{"methadone RxCUI 6813", medicationRequest("6813"), []string{"SUD", "R"}},
		{"RxCUI 18190 is not 1819", medicationRequest("18190"), nil},
		{"metformin RxCUI 6809", medicationRequest("6809"), nil},
		{"Claim diagnosis F33.1", claimDiagnosis(icd10, "F33.1"), []string{"PSY", "R"}},
		{"Claim item buprenorphine", claimItem(rxnrm, "1819"), []string{"SUD", "R"}},
		{"Claim item CPT 99213", claimItem("http://www.ama-assn.org/go/cpt", "99213"), nil},
		{"contained Medication naltrexone", containedMedication(t, "7243"), []string{"SUD", "R"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, codes(l.Label(tc.r))); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLabelOrderAndSystems: several categories come out in code order,
// ActCode first, then confidentiality R, with the spec's displays.
func TestLabelOrderAndSystems(t *testing.T) {
	t.Parallel()
	c := condition(icd10, "F11.20")
	c.Code.Coding = append(c.Code.Coding, cc(icd10, "B20").Coding[0])
	c.Evidence = []*conpb.Condition_Evidence{{Code: []*dtpb.CodeableConcept{cc(icd10, "F32.A")}}}
	want := []labels.Label{
		{System: labels.SystemActCode, Code: "HIV", Display: "HIV/AIDS information sensitivity"},
		{System: labels.SystemActCode, Code: "PSY", Display: "psychiatry disorder information sensitivity"},
		{System: labels.SystemActCode, Code: "SUD", Display: "substance use disorder information sensitivity"},
		labels.Restricted,
	}
	if diff := cmp.Diff(want, labels.Default().Label(c)); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
}

func security(t *testing.T, r fhir.Resource) []string {
	t.Helper()
	var meta *dtpb.Meta
	switch r := r.(type) {
	case *conpb.Condition:
		meta = r.Meta
	case *mrpb.MedicationRequest:
		meta = r.Meta
	}
	var out []string
	for _, c := range meta.GetSecurity() {
		out = append(out, c.GetSystem().GetValue()+"|"+c.GetCode().GetValue())
	}
	return out
}

func TestApply(t *testing.T) {
	t.Parallel()
	l := labels.Default()
	c := condition(icd10, "F11.20")
	if !l.Apply(c) {
		t.Fatal("Apply: false, want true")
	}
	want := []string{labels.SystemActCode + "|SUD", labels.SystemConfidentiality + "|R"}
	if diff := cmp.Diff(want, security(t, c)); diff != "" {
		t.Errorf("meta.security (-want +got):\n%s", diff)
	}
	if l.Apply(c) {
		t.Error("second Apply: true, want false (idempotent)")
	}
	if diff := cmp.Diff(want, security(t, c)); diff != "" {
		t.Errorf("meta.security after second Apply (-want +got):\n%s", diff)
	}
	b, err := fhir.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := fhir.Validate(b); err != nil {
		t.Errorf("Validate: %v\n%s", err, b)
	}
	if !strings.Contains(string(b), `"security":[{"code":"SUD"`) {
		t.Errorf("JSON lacks the SUD label: %s", b)
	}
	if diff := cmp.Diff(map[string]float64{"SUD": 1, "R": 1}, applied(t, l)); diff != "" {
		t.Errorf("tributary_labels_applied_total (-want +got):\n%s", diff)
	}

	m := medicationRequest("1819")
	if !l.Apply(m) {
		t.Fatal("Apply MedicationRequest: false, want true")
	}
	if b, err := fhir.Marshal(m); err != nil {
		t.Fatal(err)
	} else if err := fhir.Validate(b); err != nil {
		t.Errorf("Validate: %v\n%s", err, b)
	}

	if l.Apply(nil) || l.Apply((*conpb.Condition)(nil)) {
		t.Error("Apply(nil): true, want false")
	}

	clean := condition(icd10, "J45.909")
	if l.Apply(clean) || clean.Meta != nil {
		t.Errorf("Apply on asthma changed the resource: meta %v", clean.Meta)
	}
}

// TestApplyConfidentiality: an existing lower confidentiality is raised
// to R in place; V stays; other labels are kept.
func TestApplyConfidentiality(t *testing.T) {
	t.Parallel()
	l := labels.Default()
	sec := func(system, code string) *dtpb.Coding {
		return &dtpb.Coding{System: &dtpb.Uri{Value: system}, Code: &dtpb.Code{Value: code}}
	}
	for _, tc := range []struct {
		have string
		want []string
	}{
		{"N", []string{labels.SystemConfidentiality + "|R", labels.SystemActCode + "|HIV"}},
		{"V", []string{labels.SystemConfidentiality + "|V", labels.SystemActCode + "|HIV"}},
		{"R", []string{labels.SystemConfidentiality + "|R", labels.SystemActCode + "|HIV"}},
	} {
		c := condition(icd10, "B20")
		c.Meta = &dtpb.Meta{Security: []*dtpb.Coding{sec(labels.SystemConfidentiality, tc.have)}}
		l.Apply(c)
		if diff := cmp.Diff(tc.want, security(t, c)); diff != "" {
			t.Errorf("have %s: meta.security (-want +got):\n%s", tc.have, diff)
		}
	}
	// Codings in meta are not themselves matched.
	c := condition(icd10, "J45")
	c.Meta = &dtpb.Meta{Tag: []*dtpb.Coding{sec(icd10, "B20")}}
	if got := l.Label(c); got != nil {
		t.Errorf("Label read meta: %v", got)
	}
}

func TestNewRejectsBadLists(t *testing.T) {
	t.Parallel()
	const header = "label,system,match,codes,description,source\n"
	for name, row := range map[string]string{
		"unknown label":   "XYZ,http://x,prefix,A00,d,s",
		"no source":       "SUD,http://x,prefix,A00,d,",
		"bad match":       "SUD,http://x,fuzzy,A00,d,s",
		"reversed range":  "SUD,http://x,prefix,F19-F10,d,s",
		"uneven range":    "SUD,http://x,prefix,F1-F19,d,s",
		"exact range":     "SUD,http://x,exact,1-2,d,s",
		"too few columns": "SUD,http://x,prefix,A00,d",
	} {
		fsys := fstest.MapFS{"x.csv": {Data: []byte(header + row + "\n")}}
		if _, err := labels.New(fsys); err == nil {
			t.Errorf("%s: New accepted %q", name, row)
		}
	}
	if _, err := labels.New(fstest.MapFS{}); err == nil {
		t.Error("New accepted no lists")
	}
}

// TestDefaultListsCiteSources: every embedded row names its source (New
// checks it); Default does not panic.
func TestDefaultListsCiteSources(t *testing.T) {
	t.Parallel()
	labels.Default()
}

// applied reads tributary_labels_applied_total by label.
func applied(t *testing.T, l *labels.Labeler) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(l)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "label" {
					out[lp.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}
