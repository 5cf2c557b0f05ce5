// Package fhir is Tributary's boundary around google/fhir/go: FHIR R4 JSON
// encoding and validation, deterministic resource ids, and the identifier
// systems every feed uses (DESIGN.md, "Identifiers and resource ids").
//
// Resources are the generated R4 proto messages of google/fhir/go (for
// example *patient_go_proto.Patient); only this package talks to its JSON
// codec.
package fhir
