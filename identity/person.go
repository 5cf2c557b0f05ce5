package identity

import (
	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	pspb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/person_go_proto"
)

// PersonResource renders a person as a FHIR Person: id p.ID, active, and
// a link per member to its Patient. The assurance is level4 for members
// joined by identifier, merge, a reviewer or as founder, level3 for a
// probabilistic match. A Deleted person is rendered too; the caller
// publishes it as a delete.
func PersonResource(p Person) *pspb.Person {
	r := &pspb.Person{
		Id:     &dtpb.Id{Value: p.ID},
		Active: &dtpb.Boolean{Value: true},
	}
	for _, m := range p.Members {
		level := cpb.IdentityAssuranceLevelCode_LEVEL4
		if m.Method == MethodProbabilistic {
			level = cpb.IdentityAssuranceLevelCode_LEVEL3
		}
		r.Link = append(r.Link, &pspb.Person_Link{
			Target:    &dtpb.Reference{Reference: &dtpb.Reference_Uri{Uri: &dtpb.String{Value: "Patient/" + m.PatientID}}},
			Assurance: &pspb.Person_Link_AssuranceCode{Value: level},
		})
	}
	return r
}
