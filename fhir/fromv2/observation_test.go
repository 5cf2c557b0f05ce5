package fromv2

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
)

var oruHead = "MSH|^~\\&|LAB|NORTHLAB|TRIB|TRIB|20261126093000-0500||ORU^R01^ORU_R01|C1|P|2.5.1\r" +
	"PID|1||555123^^^NORTHLAB^MR||Testperson^Alex\r" +
	"ORC|RE|ORD1^EHR|LAB1^NORTHLAB\r" +
	"OBR|1|ORD1^EHR|LAB1^NORTHLAB|24323-8^Metabolic panel^LN|||20261125081500-0500" + strings.Repeat("|", 18) + "F\r"

// convertText converts a message given as text, checks that every
// resource is valid FHIR, and returns the resources by type, decoded.
func convertText(t *testing.T, m *Mapper, text string) (Result, map[string][]map[string]any) {
	t.Helper()
	msg, err := hl7v2.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Convert(msg)
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	byType := map[string][]map[string]any{}
	for _, e := range res.Entries {
		b, err := fhir.Marshal(e.Resource)
		if err != nil {
			t.Fatal(err)
		}
		if err := fhir.Validate(b); err != nil {
			t.Errorf("invalid %s: %v", fhir.TypeOf(e.Resource), err)
		}
		byType[fhir.TypeOf(e.Resource)] = append(byType[fhir.TypeOf(e.Resource)], decode(t, e.Resource))
	}
	return res, byType
}

// Each OBX value type becomes the value[x] the IG's OBX[Observation]
// sheet gives it.
func TestObservationValueTypes(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	tests := []struct {
		name, obx string
		want      map[string]any
	}{
		{"NM with units", "OBX|1|NM|2345-7^Glucose^LN||095.50|mg/dL^mg/dL^UCUM|70-99|H|||F", map[string]any{
			"valueQuantity.value": 95.5, "valueQuantity.code": "mg/dL", "valueQuantity.system": "http://unitsofmeasure.org",
			"referenceRange.0.text": "70-99", "interpretation.0.coding.0.code": "H", "status": "final",
		}},
		{"SN comparator", "OBX|1|SN|2160-0^Creatinine^LN||<^0.5|mg/dL^^UCUM|||||F", map[string]any{
			"valueQuantity.comparator": "<", "valueQuantity.value": 0.5, "valueQuantity.unit": "mg/dL",
		}},
		{"SN greater or equal", "OBX|1|SN|X^X^L||>=^10||||||F", map[string]any{"valueQuantity.comparator": ">="}},
		{"SN range", "OBX|1|SN|X^X^L||^2^-^5|mmol/L^^UCUM|||||F", map[string]any{
			"valueRange.low.value": 2.0, "valueRange.high.value": 5.0, "valueRange.high.unit": "mmol/L",
			"valueRange.extension.0.valueString": "2 - 5",
		}},
		{"SN ratio", "OBX|1|SN|X^Titer^L||^1^:^128||||||F", map[string]any{
			"valueRatio.numerator.value": 1.0, "valueRatio.denominator.value": 128.0,
		}},
		{"SN not equal is text", "OBX|1|SN|X^X^L||<>^5||||||F", map[string]any{"valueString": "<> 5"}},
		{"ST", "OBX|1|ST|X^X^L||Yellow, clear||||||F", map[string]any{"valueString": "Yellow, clear"}},
		{"FT keeps markup", `OBX|1|FT|X^X^L||one\.br\two \T\ three||||||F`, map[string]any{"valueString": `one\.br\two & three`}},
		{"TX", "OBX|1|TX|X^X^L||Free text||||||F", map[string]any{"valueString": "Free text"}},
		{"CWE", "OBX|1|CWE|X^X^L||260373001^Detected^SCT||||||F", map[string]any{
			"valueCodeableConcept.coding.0.code": "260373001", "valueCodeableConcept.coding.0.system": "http://snomed.info/sct",
		}},
		{"CE", "OBX|1|CE|X^X^L||POS^Positive^L||||||F", map[string]any{"valueCodeableConcept.coding.0.display": "Positive"}},
		{"DT", "OBX|1|DT|X^X^L||20270115||||||F", map[string]any{"valueDateTime": "2027-01-15"}},
		{"DTM keeps zone and precision", "OBX|1|DTM|X^X^L||202611250915-0500||||||F", map[string]any{"valueDateTime": "2026-11-25T09:15:00-05:00"}},
		{"TS", "OBX|1|TS|X^X^L||20261125091510.123+0100||||||F", map[string]any{"valueDateTime": "2026-11-25T09:15:10.123+01:00"}},
		{"TM", "OBX|1|TM|X^X^L||1430||||||F", map[string]any{"valueTime": "14:30:00"}},
		{"NR", "OBX|1|NR|X^X^L||2.5^3.5||||||F", map[string]any{"valueRange.low.value": 2.5, "valueRange.high.value": 3.5}},
		{"DR", "OBX|1|DR|X^X^L||20261101^20261130||||||F", map[string]any{"valuePeriod.start": "2026-11-01", "valuePeriod.end": "2026-11-30"}},
		{"ED base64", "OBX|1|ED|X^X^L||LAB^application^pdf^Base64^JVBERi0=||||||F", map[string]any{
			"extension.0.url":                         extObservationAttachment,
			"extension.0.valueAttachment.contentType": "application/pdf",
			"extension.0.valueAttachment.data":        "JVBERi0=",
		}},
		{"RP", "OBX|1|RP|X^X^L||https://img.example.org/1^LAB^image^png||||||F", map[string]any{
			"extension.0.valueAttachment.url": "https://img.example.org/1", "extension.0.valueAttachment.contentType": "image/png",
		}},
		{"repeating OBX-5 becomes components", "OBX|1|NM|8480-6^Systolic^LN||120~118|mm[Hg]^^UCUM|||||F", map[string]any{
			"component.0.code.coding.0.code": "8480-6", "component.0.valueQuantity.value": 120.0,
			"component.1.valueQuantity.value": 118.0, "valueQuantity": nil,
		}},
		{"status X is cancelled with the v2 code", "OBX|1|ST|X^X^L||||||||X", map[string]any{
			"status": "cancelled", "_status.extension.0.valueCodeableConcept.coding.0.code": "X",
		}},
		{"status N is not asked", "OBX|1|ST|X^X^L||||||||N", map[string]any{
			"status": "unknown", "dataAbsentReason.coding.0.code": "not-asked",
		}},
		{"effective, method, body site, performer", "OBX|1|ST|X^X^L||v||||||F|||20261125||77^Quinn^Robin^^^^^^NORTHLAB|M1^Method^L|||BS^Site^L", map[string]any{
			"effectiveDateTime": "2026-11-25", "method.coding.0.code": "M1", "bodySite.coding.0.code": "BS",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, got := convertText(t, m, oruHead+tt.obx+"\r")
			if len(got["Observation"]) != 1 {
				t.Fatalf("got %d Observations, want 1", len(got["Observation"]))
			}
			o := got["Observation"][0]
			for path, want := range tt.want {
				if g := lookup(o, path); !cmp.Equal(g, want) {
					t.Errorf("%s = %v, want %v", path, g, want)
				}
			}
			if got := lookup(got["DiagnosticReport"][0], "result.0.reference"); got != "Observation/"+o["id"].(string) {
				t.Errorf("DiagnosticReport.result = %v, want the Observation", got)
			}
		})
	}
}

// A corrected result (OBX-11 C) lands on the same Observation and
// DiagnosticReport ids as the first, with status corrected.
func TestCorrectedResultKeepsID(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	first := oruHead + "OBX|1|NM|2345-7^Glucose^LN||95|mg/dL^^UCUM|||||F\r"
	corrected := strings.Replace(oruHead, "|F\r", "|C\r", 1) + "OBX|1|NM|2345-7^Glucose^LN||97|mg/dL^^UCUM|||||C\r"
	_, a := convertText(t, m, first)
	_, b := convertText(t, m, corrected)
	if a["Observation"][0]["id"] != b["Observation"][0]["id"] {
		t.Error("the corrected Observation has a new id")
	}
	if a["DiagnosticReport"][0]["id"] != b["DiagnosticReport"][0]["id"] {
		t.Error("the corrected DiagnosticReport has a new id")
	}
	if got := b["Observation"][0]["status"]; got != "corrected" {
		t.Errorf("status = %v, want corrected", got)
	}
	if got := b["DiagnosticReport"][0]["status"]; got != "corrected" {
		t.Errorf("report status = %v, want corrected", got)
	}
	// Another result of the same order is another Observation.
	_, c := convertText(t, m, oruHead+"OBX|2|NM|2345-7^Glucose^LN||95|mg/dL^^UCUM|||||F\r")
	if a["Observation"][0]["id"] == c["Observation"][0]["id"] {
		t.Error("two OBX set ids share an Observation id")
	}
}

// NTE after an OBX is the Observation's note; after the OBR the report's
// (R5 note extension); the author and time come along.
func TestNotes(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	msg := oruHead + "NTE|1||About the panel.\r" +
		"OBX|1|ST|X^X^L||v||||||F\r" +
		"NTE|1||First line~Second line||77^Quinn^Robin^^^^^^NORTHLAB|20261125\r"
	_, got := convertText(t, m, msg)
	o := got["Observation"][0]
	if g := lookup(o, "note.0.text"); g != "First line\nSecond line" {
		t.Errorf("note = %q", g)
	}
	if g := lookup(o, "note.0.time"); g != "2026-11-25" {
		t.Errorf("note time = %v", g)
	}
	if g, _ := lookup(o, "note.0.authorReference.reference").(string); !strings.HasPrefix(g, "Practitioner/") {
		t.Errorf("note author = %v", g)
	}
	dr := got["DiagnosticReport"][0]
	if g := lookup(dr, "extension.0.valueAnnotation.text"); g != "About the panel." {
		t.Errorf("report note = %v", g)
	}
}

// Bad values are rejected with their location and table 0357 code, and
// the error never holds the value.
func TestResultErrorsAreLocated(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	tests := []struct {
		name, msg, loc string
		code           hl7v2.ErrorCode
	}{
		{"NM not a number", oruHead + "OBX|1|ST|X^X^L||ok||||||F\rOBX|2|NM|X^X^L||12abc34||||||F\r", "OBX[2]-5", hl7v2.CodeDataType},
		{"NM repetition not a number", oruHead + "OBX|1|NM|X^X^L||1~12abc34||||||F\r", "OBX-5[2]", hl7v2.CodeDataType},
		{"SN part not a number", oruHead + "OBX|1|SN|X^X^L||<^12abc34||||||F\r", "OBX-5.2", hl7v2.CodeDataType},
		{"bad observation time", oruHead + "OBX|1|ST|X^X^L||v||||||F|||2026AB26\r", "OBX-14", hl7v2.CodeDataType},
		{"bad DTM value", oruHead + "OBX|1|DTM|X^X^L||2026AB26||||||F\r", "OBX-5", hl7v2.CodeDataType},
		{"bad TM value", oruHead + "OBX|1|TM|X^X^L||2975||||||F\r", "OBX-5", hl7v2.CodeDataType},
		{"bad base64", oruHead + "OBX|1|ED|X^X^L||A^application^pdf^Base64^12abc34!!||||||F\r", "OBX-5.5", hl7v2.CodeDataType},
		{"no observation identifier", oruHead + "OBX|1|NM|||5||||||F\r", "OBX-3", hl7v2.CodeRequiredFieldMissing},
		{"no service identifier", strings.Replace(oruHead, "24323-8^Metabolic panel^LN", "", 1), "OBR-4", hl7v2.CodeRequiredFieldMissing},
		{"ORC without OBR", "MSH|^~\\&|LAB|NORTHLAB|TRIB|TRIB|20261126||ORU^R01|C1|P|2.5.1\rPID|1||1^^^NORTHLAB^MR\rORC|RE|ORD1\r", "OBR", hl7v2.CodeSegmentSequence},
		{"bad report time", strings.Replace(oruHead, "20261125081500-0500", "2026AB26", 1), "OBR-7", hl7v2.CodeDataType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			msg, err := hl7v2.Parse([]byte(tt.msg))
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.Convert(msg)
			var he *hl7v2.Error
			if !errors.As(err, &he) {
				t.Fatalf("Convert error = %v, want *hl7v2.Error", err)
			}
			if got := he.Location.String(); got != tt.loc {
				t.Errorf("location = %q, want %q", got, tt.loc)
			}
			if he.Code != tt.code {
				t.Errorf("code = %d, want %d", he.Code, tt.code)
			}
			for _, v := range []string{"12abc34", "2026AB26", "2975"} {
				if strings.Contains(err.Error(), v) {
					t.Errorf("error %q leaks a value", err)
				}
			}
		})
	}
}

// Report text sent as OBX without an identifier (a narrative report)
// is the report's presented form; an older ORU without ORC takes its
// order numbers from the OBR and its specimen from OBR-15.
func TestReportTextAndOBRSpecimen(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	msg := "MSH|^~\\&|LAB|NORTHLAB|TRIB|TRIB|20261126||ORU^R01|C1|P|2.3\r" +
		"PID|1||1^^^NORTHLAB^MR\r" +
		"OBR|1|ORD9|LAB9|71020^Chest X-ray^C4|||20261125||||||||BLD&Blood&HL70070||||||||||F\r" +
		"OBX|1|TX|||Two views of the chest.||||||F\r" +
		"OBX|2|TX|||No acute disease.||||||F\r"
	_, got := convertText(t, m, msg)
	if n := len(got["Observation"]); n != 0 {
		t.Errorf("%d Observations, want the text on the report", n)
	}
	dr := got["DiagnosticReport"][0]
	if g := lookup(dr, "presentedForm.0.data"); g != "VHdvIHZpZXdzIG9mIHRoZSBjaGVzdC4KTm8gYWN1dGUgZGlzZWFzZS4=" {
		t.Errorf("presentedForm data = %v", g)
	}
	if g := lookup(dr, "identifier.1.value"); g != "LAB9" {
		t.Errorf("filler number = %v", g)
	}
	sp := got["Specimen"]
	if len(sp) != 1 || lookup(sp[0], "type.coding.0.code") != "BLD" {
		t.Fatalf("Specimen = %v", sp)
	}
	if g := lookup(dr, "specimen.0.reference"); g != "Specimen/"+sp[0]["id"].(string) {
		t.Errorf("report specimen = %v", g)
	}
}
