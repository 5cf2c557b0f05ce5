package fhir

import (
	"strings"
	"testing"

	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	ppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/patient_go_proto"
)

func TestMarshalValidate(t *testing.T) {
	t.Parallel()
	p := &ppb.Patient{
		Id:     &dtpb.Id{Value: "abc"},
		Active: &dtpb.Boolean{Value: true},
	}
	if got := TypeOf(p); got != "Patient" {
		t.Errorf("TypeOf = %q", got)
	}
	b, err := Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"active":true,"id":"abc","resourceType":"Patient"}`; string(b) != want {
		t.Errorf("Marshal = %s, want %s", b, want)
	}
	if err := Validate(b); err != nil {
		t.Errorf("Validate(own output): %v", err)
	}
	err = Validate([]byte(`{"resourceType":"Patient","birthDate":"1990-13-45"}`))
	if err == nil || !strings.Contains(err.Error(), "birthDate") {
		t.Errorf("Validate(bad date) = %v, want an error naming birthDate", err)
	}
}
