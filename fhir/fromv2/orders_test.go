package fromv2

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-health/tributary/adapters/hl7v2"
)

// checkFields compares the values at paths of a decoded resource.
func checkFields(t *testing.T, what string, r map[string]any, want map[string]any) {
	t.Helper()
	for path, w := range want {
		if g := lookup(r, path); !cmp.Equal(g, w) {
			t.Errorf("%s %s = %v, want %v", what, path, g, w)
		}
	}
}

// An ORM^O01 order: ORC and OBR make one ServiceRequest with its status,
// intent, subject, requester, timing and notes; its OBX is supporting
// information.
func TestServiceRequest(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	res, got := convertText(t, m, "MSH|^~\\&|EHR|NORTHCLINIC|LAB|NORTHLAB|20261120110000||ORM^O01|C1|P|2.5.1\r"+
		"PID|1||MRN1^^^NORTHCLINIC^MR||Sample^Jordan\r"+
		"ORC|NW|PL1^EHR|||||^^^20261121080000^^A||20261120105500|||77^Quinn^Robin^^^^^^NORTHCLINIC\r"+
		"OBR|1|PL1^EHR||57021-8^CBC^LN|R||||||G||||||||||||||||||||R10.9^Abdominal pain^I10\r"+
		"NTE|1||Fasting.\r"+
		"OBX|1|NM|29463-7^Body weight^LN||12.5|kg^^UCUM|||||F\r")
	if n := len(got["ServiceRequest"]); n != 1 {
		t.Fatalf("%d ServiceRequests, want 1", n)
	}
	sr := got["ServiceRequest"][0]
	checkFields(t, "ServiceRequest", sr, map[string]any{
		"status":                          "active", // ORC-1 NW (ORC-5 empty)
		"intent":                          "reflex-order",
		"subject.reference":               "Patient/" + res.PatientID,
		"identifier.0.value":              "PL1",
		"identifier.0.type.coding.0.code": "PLAC",
		"code.coding.0.code":              "57021-8",
		"priority":                        "asap", // ORC-7 TQ.6 after OBR-5
		"authoredOn":                      "2026-11-20T10:55:00-06:00",
		"occurrenceTiming.repeat.boundsPeriod.start": "2026-11-21T08:00:00-06:00",
		"reasonCode.0.coding.0.code":                 "R10.9",
		"note.0.text":                                "Fasting.",
		"supportingInfo.0.reference":                 "Observation/" + got["Observation"][0]["id"].(string),
	})
	if g, _ := lookup(sr, "requester.reference").(string); !strings.HasPrefix(g, "Practitioner/") {
		t.Errorf("requester = %v", g)
	}
}

// An OML^O21 order with its specimen: TQ1 timing, SPM → Specimen, both
// referencing each other.
func TestLabOrderSpecimen(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	_, got := convertText(t, m, "MSH|^~\\&|EHR|NORTHCLINIC|LAB|NORTHLAB|20261120120000||OML^O21^OML_O21|C1|P|2.5.1\r"+
		"PID|1||MRN1^^^NORTHCLINIC^MR||Sample^Jordan\r"+
		"ORC|NW|PL2^EHR\r"+
		"TQ1|1||||||20261121070000|20261121090000|S^Stat^HL70485||Before breakfast.\r"+
		"OBR|1|PL2^EHR||2345-7^Glucose^LN\r"+
		"SPM|1|SP9&EHR||119297000^Blood specimen^SCT||||||||5^mL&&UCUM|||||20261121073000|||Y\r")
	sr, sp := got["ServiceRequest"][0], got["Specimen"][0]
	checkFields(t, "ServiceRequest", sr, map[string]any{
		"priority":    "stat",
		"note.0.text": "Before breakfast.",
		"occurrenceTiming.repeat.boundsPeriod.end": "2026-11-21T09:00:00-06:00",
		"specimen.0.reference":                     "Specimen/" + sp["id"].(string),
	})
	checkFields(t, "Specimen", sp, map[string]any{
		"request.0.reference":          "ServiceRequest/" + sr["id"].(string),
		"type.coding.0.code":           "119297000",
		"identifier.0.value":           "SP9",
		"collection.quantity.value":    5.0,
		"collection.collectedDateTime": "2026-11-21T07:30:00-06:00",
		"status":                       "available",
	})
}

// A VXU^V04: ORC, RXA and RXR make one Immunization; the CDC guide's OBX
// fill its funding and VIS elements and stay Observations partOf it.
func TestImmunization(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	res, err := convertFile(t, m, "testdata/VXU_V04.hl7")
	if err != nil {
		t.Fatal(err)
	}
	var imm map[string]any
	var obs []map[string]any
	for _, e := range res.Entries {
		switch r := decode(t, e.Resource); r["resourceType"] {
		case "Immunization":
			imm = r
		case "Observation":
			obs = append(obs, r)
		}
	}
	checkFields(t, "Immunization", imm, map[string]any{
		"status":                             "completed",
		"vaccineCode.coding.0.system":        "http://hl7.org/fhir/sid/cvx",
		"vaccineCode.coding.0.code":          "08",
		"patient.reference":                  "Patient/" + res.PatientID,
		"occurrenceDateTime":                 "2026-11-20T10:00:00-06:00",
		"doseQuantity.value":                 0.5,
		"lotNumber":                          "LOT123",
		"expirationDate":                     "2027-12-31",
		"primarySource":                      true,
		"route.coding.0.code":                "C28161",
		"site.coding.0.code":                 "LT",
		"fundingSource.coding.0.code":        "VXC50",
		"programEligibility.0.coding.0.code": "V02",
		"education.0.presentationDate":       "2026-11-20",
		"performer.1.function.coding.0.code": "AP",
		"identifier.1.type.coding.0.code":    "FILL",
	})
	if len(obs) != 4 {
		t.Fatalf("%d Observations, want the 4 OBX", len(obs))
	}
	for _, o := range obs {
		if g := lookup(o, "partOf.0.reference"); g != "Immunization/"+imm["id"].(string) {
			t.Errorf("Observation partOf = %v", g)
		}
	}

	// A refusal without ORC: not-done, with the reason; RXA-6 999 (amount
	// unknown) gives no dose.
	res, err = convertFile(t, m, "testdata/VXU_V04_refused.hl7")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Entries {
		if r := decode(t, e.Resource); r["resourceType"] == "Immunization" {
			checkFields(t, "refused Immunization", r, map[string]any{"status": "not-done", "statusReason.coding.0.code": "00", "doseQuantity": nil})
		}
	}
}

// An SIU^S12: the Appointment with its times, status, patient and the
// resources of AIG, AIL and AIP as participants; every NTE a line of its
// one note.
func TestAppointment(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	res, err := convertFile(t, m, "testdata/SIU_S12.hl7")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Entries {
		a := decode(t, e.Resource)
		if a["resourceType"] != "Appointment" {
			continue
		}
		if e.Patient != res.PatientID {
			t.Errorf("Appointment entry's patient = %q, want %q", e.Patient, res.PatientID)
		}
		checkFields(t, "Appointment", a, map[string]any{
			"status":                        "booked",
			"start":                         "2026-12-01T09:00:00-06:00",
			"end":                           "2026-12-01T09:30:00-06:00",
			"minutesDuration":               30.0,
			"participant.0.actor.reference": "Patient/" + res.PatientID,
			"participant.0.status":          "accepted",
			"serviceType.0.coding.0.code":   "99213",
			"appointmentType.coding.0.code": "FOLLOWUP",
		})
		var note any
		for _, x := range a["extension"].([]any) {
			if lookup(x, "url") == extAppointmentNote {
				note = lookup(x, "valueAnnotation.text")
			}
		}
		if want := "Bring immunization record.\nWeigh on arrival."; note != want {
			t.Errorf("Appointment note = %q, want %q", note, want)
		}
		var kinds []string
		for _, p := range a["participant"].([]any) {
			ref, _ := lookup(p, "actor.reference").(string)
			kinds = append(kinds, strings.Split(ref, "/")[0])
		}
		if want := []string{"Patient", "Practitioner", "Practitioner", "", "Location", "Practitioner"}; !cmp.Equal(kinds, want) {
			t.Errorf("participants = %v, want %v", kinds, want)
		}
		return
	}
	t.Fatal("no Appointment")
}

// An MDM^T02: TXA → DocumentReference with TXA-12 as its master
// identifier and id; the OBX text lines are one text/plain content.
func TestDocumentReference(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	res, err := convertFile(t, m, "testdata/MDM_T02.hl7")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Entries {
		d := decode(t, e.Resource)
		if d["resourceType"] != "DocumentReference" {
			continue
		}
		checkFields(t, "DocumentReference", d, map[string]any{
			"status":                           "current",
			"docStatus":                        "final",
			"masterIdentifier.value":           "DOC4455",
			"subject.reference":                "Patient/" + res.PatientID,
			"type.coding.0.code":               "CN",
			"content.0.attachment.contentType": "text/plain",
			"content.1.attachment.contentType": "text/hl7v2",
			"date":                             "2026-11-20T13:45:00-06:00",
			"description":                      "Pediatric follow-up note",
		})
		data, _ := base64.StdEncoding.DecodeString(lookup(d, "content.0.attachment.data").(string))
		if want := "Patient seen for follow-up.\nGrowth on track.\nPlan: routine vaccines at next visit."; string(data) != want {
			t.Errorf("document text = %q, want %q", data, want)
		}
		return
	}
	t.Fatal("no DocumentReference")
}

// Required elements the source lacks are located errors, never defaults
// the IG does not give.
func TestOrderErrorsAreLocated(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	vxu := "MSH|^~\\&|EHR|NORTHCLINIC|IIS|IIS|20261120||VXU^V04|C1|P|2.5.1\rPID|1||MRN1^^^NORTHCLINIC^MR\r"
	tests := []struct {
		name, msg, loc string
		code           hl7v2.ErrorCode
	}{
		{"order without patient", "MSH|^~\\&|EHR|NORTHCLINIC|LAB|LAB|20261120||ORM^O01|C1|P|2.5.1\rORC|NW|PL1\rOBR|1|PL1||X^X^L\r", "PID", hl7v2.CodeSegmentSequence},
		{"vaccine missing", vxu + "RXA|0|1|20261120||\r", "RXA-5", hl7v2.CodeRequiredFieldMissing},
		{"administration time missing", vxu + "RXA|0|1|||08^HepB^CVX\r", "RXA-3", hl7v2.CodeRequiredFieldMissing},
		{"bad administration time", vxu + "RXA|0|1|2026AB26||08^HepB^CVX\r", "RXA-3", hl7v2.CodeDataType},
		{"bad dose", vxu + "RXA|0|1|20261120||08^HepB^CVX|12abc34\r", "RXA-6", hl7v2.CodeDataType},
		{"unknown completion status", vxu + "RXA|0|1|20261120||08^HepB^CVX|||||||||||||||QQ\r", "RXA-20", hl7v2.CodeTableValueNotFound},
		{"ORC without RXA", vxu + "ORC|RE|PL1\r", "RXA", hl7v2.CodeSegmentSequence},
		{"appointment without id", "MSH|^~\\&|S|NORTHCLINIC|E|E|20261120||SIU^S12|C1|P|2.5.1\rSCH|||\rPID|1||MRN1^^^NORTHCLINIC^MR\r", "SCH-2", hl7v2.CodeRequiredFieldMissing},
		{"document without number", "MSH|^~\\&|T|NORTHCLINIC|E|E|20261120||MDM^T02|C1|P|2.5.1\rPID|1||MRN1^^^NORTHCLINIC^MR\rTXA|1|CN\rOBX|1|TX|||text\r", "TXA-12", hl7v2.CodeRequiredFieldMissing},
		{"document without content", "MSH|^~\\&|T|NORTHCLINIC|E|E|20261120||MDM^T02|C1|P|2.5.1\rPID|1||MRN1^^^NORTHCLINIC^MR\rTXA|1|CN||||||||||D1^T\r", "OBX", hl7v2.CodeSegmentSequence},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			expectLocated(t, m, tt.msg, tt.loc, tt.code, "12abc34", "2026AB26", "QQ")
		})
	}
}

// A message type without an IG sheet gets every sheet's maps: order
// segments that are not the maps' (an ORC without RXA, an RXR of a
// medication order) are kept whole, not rejected.
func TestGenericMessageDeclines(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	res, got := convertText(t, m, "MSH|^~\\&|PH|NORTHCLINIC|E|E|20261120||RDE^O11|C1|P|2.5.1\r"+
		"PID|1||MRN1^^^NORTHCLINIC^MR\r"+
		"ORC|NW|PL1^EHR\r"+
		"RXE|^^^20261120|313782^Acetaminophen^RXN\r"+
		"RXR|PO^Oral^HL70162\r")
	if n := len(got["ServiceRequest"]); n != 1 {
		t.Errorf("%d ServiceRequests from the ORC, want 1", n)
	}
	if n := len(got["Immunization"]); n != 0 {
		t.Errorf("%d Immunizations, want none", n)
	}
	if !contains(res.Unmapped, "RXR") {
		t.Errorf("Unmapped = %v, want the RXR kept", res.Unmapped)
	}
}

// Data a map declines or cannot place is kept verbatim and counted: the
// ORU's ORDER_DOCUMENT OBX (which the IG leaves to R5), a VXU ORC's order
// status (whose map, ORC[ServiceRequest], the VXU sheet makes optional),
// an NTE after the PID.
func TestNothingDropped(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	res, got := convertText(t, m, "MSH|^~\\&|LAB|NORTHLAB|TRIB|TRIB|20261126||ORU^R01|C1|P|2.5.1\r"+
		"PID|1||1^^^NORTHLAB^MR\r"+
		"NTE|1||About the patient.\r"+
		"ORC|RE|ORD1|LAB1\r"+
		"OBX|1|ED|||LAB^application^pdf^Base64^JVBERi0=\r"+
		"OBR|1|ORD1|LAB1|X^X^L\r")
	if n := len(got["Observation"]); n != 0 {
		t.Errorf("%d Observations from the ORDER_DOCUMENT OBX, want none", n)
	}
	mh := got["MessageHeader"][0]
	var kept []string
	for _, x := range mh["extension"].([]any) {
		kept = append(kept, strings.SplitN(lookup(x, "valueString").(string), "|", 2)[0])
	}
	if want := []string{"NTE", "OBX"}; !cmp.Equal(kept, want) {
		t.Errorf("segments kept on the MessageHeader = %v, want %v", kept, want)
	}
	if !contains(res.Unmapped, "OBX") || !contains(res.Unmapped, "NTE") {
		t.Errorf("Unmapped = %v", res.Unmapped)
	}

	res, got = convertText(t, m, "MSH|^~\\&|EHR|NORTHCLINIC|IIS|IIS|20261120||VXU^V04|C1|P|2.5.1\r"+
		"PID|1||MRN1^^^NORTHCLINIC^MR\r"+
		"ORC|RE||FL1^NORTHCLINIC||CM\r"+
		"RXA|0|1|20261120||08^HepB^CVX\r")
	imm := got["Immunization"][0]
	if g := lookup(imm, "extension.0.valueString"); g != "ORC|RE||FL1^NORTHCLINIC||CM" {
		t.Errorf("Immunization keeps %v, want the ORC", g)
	}
	if !contains(res.Unmapped, "ORC-5") {
		t.Errorf("Unmapped = %v, want ORC-5", res.Unmapped)
	}
}

// Other scheduling events reach the Appointment through the generic
// sheet; without SCH-25 the event gives the status.
func TestAppointmentEvents(t *testing.T) {
	t.Parallel()
	m := newMapper(t)
	for ev, want := range map[string]string{"S12": "booked", "S15": "cancelled", "S26": "noshow"} {
		_, got := convertText(t, m, "MSH|^~\\&|S|NORTHCLINIC|E|E|20261120||SIU^"+ev+"|C1|P|2.5.1\r"+
			"SCH|A1^S||||||||30|min|^^^20261201090000^20261201093000\r"+
			"PID|1||MRN1^^^NORTHCLINIC^MR\r")
		if g := lookup(got["Appointment"][0], "status"); g != want {
			t.Errorf("SIU^%s: status = %v, want %v", ev, g, want)
		}
	}
}
