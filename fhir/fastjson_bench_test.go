package fhir

import (
	"testing"

	"google.golang.org/protobuf/proto"
)

// Benchmark resources: the Patient and Encounter our ADT^A01 mapping
// produces (fromv2/testdata/ADT_A01_full.fhir.json) and US Core's
// blood-pressure Observation, copied here so the numbers do not move when
// the goldens do.
var benchJSON = map[string]string{
	"Patient":     `{"address":[{"city":"Springfield","country":"USA","line":["10 Elm St"],"postalCode":"62701","state":"IL","use":"home"}],"birthDate":"1975-04-12","contact":[{"address":{"city":"Springfield","country":"USA","line":["10 Elm St"],"postalCode":"62701","state":"IL"},"name":{"family":"Rivera","given":["Luis"]},"relationship":[{"coding":[{"code":"SPS","display":"spouse","system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode"},{"code":"SPO","display":"Spouse","system":"http://terminology.hl7.org/CodeSystem/v2-0063"}]}],"telecom":[{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/contactpoint-country","valueString":"1"},{"url":"http://hl7.org/fhir/StructureDefinition/contactpoint-area","valueString":"217"},{"url":"http://hl7.org/fhir/StructureDefinition/contactpoint-local","valueString":"5550102"}],"system":"phone","use":"home","value":"+1 217 5550102"}]},{"name":{"family":"Stone","given":["Maya"]},"relationship":[{"coding":[{"code":"C","display":"Emergency Contact","system":"http://terminology.hl7.org/CodeSystem/v2-0131"},{"code":"EMC","display":"Emergency contact","system":"http://terminology.hl7.org/CodeSystem/v2-0063"}]},{"coding":[{"code":"C","display":"Emergency Contact","system":"http://terminology.hl7.org/CodeSystem/v2-0131"}]}],"telecom":[{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/contactpoint-country","valueString":"1"},{"url":"http://hl7.org/fhir/StructureDefinition/contactpoint-area","valueString":"217"},{"url":"http://hl7.org/fhir/StructureDefinition/contactpoint-local","valueString":"5550199"}],"system":"phone","use":"home","value":"+1 217 5550199"}]}],"deceasedBoolean":false,"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-religion","valueCodeableConcept":{"coding":[{"code":"1041","display":"Roman Catholic Church","system":"http://terminology.hl7.org/CodeSystem/v3-ReligiousAffiliation"},{"code":"CAT"}]}}],"gender":"female","generalPractitioner":[{"reference":"Organization/ilc0lv47fcg0r5ebbem3m32uhv6t3avk"},{"reference":"Practitioner/rlv7m4854nei7khsmgrmtksoc98nkr9d"}],"id":"2lcd4u5e9kp80ikouvqsfub2tpe95gm5","identifier":[{"system":"urn:tributary:aa:NORTHCLINIC","type":{"coding":[{"code":"MR","system":"http://terminology.hl7.org/CodeSystem/v2-0203"}]},"value":"555001"}],"maritalStatus":{"coding":[{"code":"M","display":"Married","system":"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"},{"code":"M"}]},"multipleBirthBoolean":false,"name":[{"family":"Rivera","given":["Ana","M"]}],"resourceType":"Patient","telecom":[{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/contactpoint-country","valueString":"1"},{"url":"http://hl7.org/fhir/StructureDefinition/contactpoint-area","valueString":"217"},{"url":"http://hl7.org/fhir/StructureDefinition/contactpoint-local","valueString":"5550101"}],"system":"phone","use":"home","value":"+1 217 5550101"}]}`,
	"Encounter":   `{"class":{"code":"IMP","display":"inpatient encounter","system":"http://terminology.hl7.org/CodeSystem/v3-ActCode"},"diagnosis":[{"condition":{"reference":"Condition/gqr8972majp6r0clf24996469k4q6dad"},"use":{"coding":[{"code":"AD","display":"Admission Diagnosis","system":"http://terminology.hl7.org/CodeSystem/diagnosis-role"},{"code":"A"}]}}],"extension":[{"url":"http://hl7.org/fhir/5.0/StructureDefinition/extension-Encounter.plannedStartDate","valueDateTime":"2026-11-29"}],"hospitalization":{"admitSource":{"coding":[{"code":"7"}]}},"id":"t1fjfpv5sv97rkjnr612dmur92o0fjop","identifier":[{"system":"urn:tributary:aa:NORTHCLINIC","type":{"coding":[{"code":"VN","system":"http://terminology.hl7.org/CodeSystem/v2-0203"}],"text":"visit number"},"value":"V0001"}],"location":[{"location":{"reference":"Location/c4ask1bmh3pdl8ms9tll4timlcq347s6"},"status":"active"}],"participant":[{"individual":{"reference":"Practitioner/rlv7m4854nei7khsmgrmtksoc98nkr9d"},"type":[{"coding":[{"code":"ATND","system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType"}],"text":"attender"}]},{"individual":{"reference":"Practitioner/qqhb3aas87qoja3knvnqc442mmg0ch4t"},"type":[{"coding":[{"code":"REF","system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType"}],"text":"referrer"}]},{"individual":{"reference":"Practitioner/rlv7m4854nei7khsmgrmtksoc98nkr9d"},"type":[{"coding":[{"code":"ADM","system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType"}],"text":"admitter"}]}],"period":{"start":"2026-11-26T09:15:00-06:00"},"reasonCode":[{"coding":[{"code":"CHEST PAIN","display":"Chest pain"}]}],"resourceType":"Encounter","serviceType":{"coding":[{"code":"382","display":"Medical Services","system":"http://terminology.hl7.org/CodeSystem/service-type"},{"code":"MED"}]},"status":"in-progress","subject":{"reference":"Patient/2lcd4u5e9kp80ikouvqsfub2tpe95gm5"}}`,
	"Observation": `{"resourceType":"Observation","id":"blood-pressure","meta":{"profile":["http://hl7.org/fhir/us/core/StructureDefinition/us-core-blood-pressure|9.0.0"]},"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs","display":"Vital Signs"}],"text":"Vital Signs"}],"code":{"coding":[{"system":"http://loinc.org","code":"85354-9","display":"Blood pressure panel with all children optional"}],"text":"Blood pressure systolic and diastolic"},"subject":{"reference":"Patient/example","display":"Amy Shaw"},"encounter":{"display":"GP Visit"},"effectiveDateTime":"1999-07-02","performer":[{"reference":"Practitioner/practitioner-1","display":"Dr Ronald Bone"}],"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6","display":"Systolic blood pressure"}],"text":"Systolic blood pressure"},"valueQuantity":{"value":109,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4","display":"Diastolic blood pressure"}],"text":"Diastolic blood pressure"},"valueQuantity":{"value":44,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}`,
}

// benchResource parses one benchmark resource. jsonformat's parser stores
// "Patient/x" as a typed id and jsonformat's marshaller rewrites it back to
// a URI in place; one reference marshal first gives the shape our mappers
// build (Reference_Uri), so both encoders see the same input.
func benchResource(b *testing.B, typ string) Resource {
	u := unmarshallers()[0]
	cr, err := u.UnmarshalR4([]byte(benchJSON[typ]))
	if err != nil {
		b.Fatal(err)
	}
	r := containedResource(cr)
	if _, err := marshalJSONFormat(r); err != nil {
		b.Fatal(err)
	}
	return r
}

var benchTypes = []string{"Patient", "Encounter", "Observation"}

// BenchmarkMarshalFast measures [Marshal] (the fast path).
func BenchmarkMarshalFast(b *testing.B) {
	for _, typ := range benchTypes {
		b.Run(typ, func(b *testing.B) {
			r := benchResource(b, typ)
			want, _ := marshalJSONFormat(proto.Clone(r))
			got, err := marshalFast(r)
			if err != nil || string(got) != string(want) {
				b.Fatalf("fast path not taken or different: %v", err)
			}
			b.SetBytes(int64(len(got)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Marshal(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMarshalJsonformat measures jsonformat's compact marshaller, the
// reference (and what Marshal used before).
func BenchmarkMarshalJsonformat(b *testing.B) {
	for _, typ := range benchTypes {
		b.Run(typ, func(b *testing.B) {
			r := benchResource(b, typ)
			b.ReportAllocs()
			for b.Loop() {
				out, err := marshalJSONFormat(r)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(out)))
			}
		})
	}
}
