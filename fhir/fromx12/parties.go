package fromx12

import (
	"net/url"
	"strings"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	cvpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/coverage_go_proto"
	opb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/organization_go_proto"
	ppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/patient_go_proto"
	prpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/practitioner_go_proto"

	"github.com/tributary-health/tributary/claims"
	"github.com/tributary-health/tributary/fhir"
)

// payerClaimSystem is the identifier system of a payer's claim control
// numbers (CLP07, REF*F8): the ExplanationOfBenefit and ClaimResponse
// ids derive from it.
func payerClaimSystem(payerID string) string {
	return "urn:tributary:payer:" + url.PathEscape(payerID) + ":claim"
}

// dependentKey is what names a member who has no member id of their own
// (5010 dropped the patient's id from 2010CA): the subscriber's member id
// and the dependent's name, upper case. The 837 (2000C), the 834
// (INS01 N) and the 835 (NM1*QC under NM1*IL) all carry these, so they
// converge; a birth date would separate twins but the 835 has none.
func dependentKey(subscriberID string, p *claims.Party) string {
	return subscriberID + "|" + strings.ToUpper(strings.TrimSpace(p.Name)) + "|" + strings.ToUpper(strings.TrimSpace(p.First))
}

// patientID is the id of the Patient a member id (or a dependent key)
// names under a payer.
func (c *conv) patientID(payerID, memberKey string) string {
	return fhir.ID("Patient", c.m.cfg.Systems.PayerMember(payerID), memberKey)
}

// payer adds the Organization of a payer (837 2010BB, 835 1000A, 834
// 1000B, 27x 2100A) and returns a reference to it. Its id is the same
// from every feed that names the payer by its id.
func (c *conv) payer(p *claims.Party, payerID string) *dtpb.Reference {
	return c.sharedRef("payer|"+payerID, func() fhir.Resource { return c.buildPayer(p, payerID) })
}

func (c *conv) buildPayer(p *claims.Party, payerID string) fhir.Resource {
	o := &opb.Organization{
		Id:         id(fhir.PayerOrganizationID(payerID)),
		Active:     boolean(true),
		Identifier: []*dtpb.Identifier{identifier(fhir.SystemPayer, payerID)},
		Type:       []*dtpb.CodeableConcept{concept(sysOrgType, "pay", "Payer")},
		Name:       str(p.Name),
	}
	if a := address(p.Address); a != nil {
		o.Address = []*dtpb.Address{a}
	}
	o.Telecom = telecom(p.Contacts)
	return o
}

// provider adds the Practitioner or Organization a provider loop names
// and returns a reference to it, or nil when the party is empty. A
// person (NM1-02 1) is a Practitioner, anything else an Organization;
// the id derives from the NPI (NM1-08 XX), so it converges with the
// same NPI from HL7 v2 (XCN with an NPI) and CDC; else from the tax id
// (REF*EI, N1-03 FI); else from the name, scoped to the sender.
func (c *conv) provider(p *claims.Party) *dtpb.Reference {
	if p == nil || p.IsZero() || p.Name == "" && p.ID == "" {
		return nil
	}
	ck := "provider|" + p.EntityType + "|" + p.IDQualifier + "|" + p.ID + "|" + p.Ref("EI") + "|" + p.Name + "|" + p.First
	return c.sharedRef(ck, func() fhir.Resource { return c.buildProvider(p) })
}

func (c *conv) buildProvider(p *claims.Party) fhir.Resource {
	person := p.EntityType == "1"
	typ := "Organization"
	if person {
		typ = "Practitioner"
	}
	var ids []*dtpb.Identifier
	var rid string
	npi := p.NPI()
	ein := p.Ref("EI")
	if ein == "" && p.IDQualifier == "FI" {
		ein = p.ID
	}
	switch {
	case npi != "":
		rid = fhir.ID(typ, fhir.SystemNPI, npi)
	case ein != "" && !person:
		rid = fhir.ID(typ, sysEIN, ein)
	default:
		scope := "urn:tributary:x12:sender:" + url.PathEscape(c.sender()) + ":provider-name"
		rid = fhir.ID(typ, scope, strings.ToUpper(p.Name+"|"+p.First))
	}
	if npi != "" {
		ids = append(ids, identifier(fhir.SystemNPI, npi))
	}
	if ein != "" {
		id := identifier(sysEIN, ein)
		id.Type = concept(sysIdentifierType, "TAX", "Tax ID number")
		ids = append(ids, id)
	}
	var addr []*dtpb.Address
	if a := address(p.Address); a != nil {
		addr = []*dtpb.Address{a}
	}
	if person {
		pr := &prpb.Practitioner{Id: id(rid), Identifier: ids, Address: addr, Telecom: telecom(p.Contacts)}
		if n := humanName(p); n != nil {
			pr.Name = []*dtpb.HumanName{n}
		}
		if p.Taxonomy != "" {
			pr.Qualification = []*prpb.Practitioner_Qualification{{Code: concept(sysTaxonomy, p.Taxonomy, "")}}
		}
		return pr
	}
	o := &opb.Organization{Id: id(rid), Active: boolean(true), Identifier: ids, Name: str(p.Name), Address: addr, Telecom: telecom(p.Contacts)}
	o.Type = []*dtpb.CodeableConcept{concept(sysOrgType, "prov", "Healthcare Provider")}
	return o
}

// sender is the functional group's sender code (GS-02), the scope of
// names that identify nothing on their own.
func (c *conv) sender() string {
	if c.tx != nil && c.tx.Group != nil {
		return c.tx.Group.SenderCode
	}
	return ""
}

// person is what a Patient is built from.
type person struct {
	party    *claims.Party
	demo     claims.Demographics
	memberID string // the member id, when the person has their own
	payerID  string
}

// patient adds a Patient with id pid and returns a reference to it.
func (c *conv) patient(pid string, p person) *dtpb.Reference {
	pt := &ppb.Patient{Id: id(pid)}
	if p.memberID != "" {
		mid := identifier(c.m.cfg.Systems.PayerMember(p.payerID), p.memberID)
		mid.Type = concept(sysIdentifierType, "MB", "Member Number")
		pt.Identifier = append(pt.Identifier, mid)
	}
	if p.party != nil {
		if p.party.IDQualifier == "34" && p.party.ID != "" {
			pt.Identifier = append(pt.Identifier, identifier(fhir.SystemSSN, p.party.ID))
		} else if ssn := p.party.Ref("SY"); ssn != "" {
			pt.Identifier = append(pt.Identifier, identifier(fhir.SystemSSN, ssn))
		}
		if n := humanName(p.party); n != nil {
			n.Use = &dtpb.HumanName_UseCode{Value: cpb.NameUseCode_OFFICIAL}
			pt.Name = []*dtpb.HumanName{n}
		}
		if a := address(p.party.Address); a != nil {
			pt.Address = []*dtpb.Address{a}
		}
		pt.Telecom = telecom(p.party.Contacts)
	}
	pt.BirthDate = date(p.demo.BirthDate)
	if g, ok := gender(p.demo.Gender); ok {
		pt.Gender = &ppb.Patient_GenderCode{Value: g}
	}
	return c.add(pt, pid)
}

// coverage is what a Coverage is built from.
type coverage struct {
	payerID      string
	payer        *dtpb.Reference
	memberKey    string // subscriber's member id, or the dependent key
	subscriberID string
	plan         string // the plan key of the id: the group or policy number
	groupName    string
	planName     string
	beneficiary  *dtpb.Reference
	subscriber   *dtpb.Reference
	relationship string // an individual relationship code (SBR-02, PAT-01, INS02)
	order        int
	typ          *dtpb.CodeableConcept
	status       cpb.FinancialResourceStatusCode_Value
	period       *dtpb.Period
	policyHolder *dtpb.Reference
	patient      string
}

// coverageID is the id of the Coverage of a member key under a payer's
// plan, the same from the 834 and the 837.
func (c *conv) coverageID(payerID, memberKey, plan string) string {
	return c.m.cfg.Systems.CoverageID(payerID, memberKey, plan)
}

func (c *conv) coverage(v coverage) *dtpb.Reference {
	cv := &cvpb.Coverage{
		Id:          id(c.coverageID(v.payerID, v.memberKey, v.plan)),
		Status:      &cvpb.Coverage_StatusCode{Value: v.status},
		Type:        v.typ,
		Beneficiary: v.beneficiary,
		Subscriber:  v.subscriber,
		Payor:       []*dtpb.Reference{v.payer},
		Period:      v.period,
	}
	if v.status == 0 {
		cv.Status.Value = cpb.FinancialResourceStatusCode_ACTIVE
	}
	if v.subscriberID != "" {
		cv.SubscriberId = str(v.subscriberID)
		mid := identifier(c.m.cfg.Systems.PayerMember(v.payerID), v.subscriberID)
		mid.Type = concept(sysIdentifierType, "MB", "Member Number")
		cv.Identifier = []*dtpb.Identifier{mid}
	}
	if rel, ok := subscriberRelationships.lookup(v.relationship); ok {
		cv.Relationship = concept(sysSubscriberRel, rel, "")
	}
	if v.plan != "" {
		cv.ClassValue = append(cv.ClassValue, &cvpb.Coverage_Class{Type: concept(sysCoverageClass, "group", "Group"), Value: str(v.plan), Name: str(v.groupName)})
	}
	if v.planName != "" {
		cv.ClassValue = append(cv.ClassValue, &cvpb.Coverage_Class{Type: concept(sysCoverageClass, "plan", "Plan"), Value: str(v.planName)})
	}
	if v.order > 0 {
		cv.Order = posInt(v.order)
	}
	if v.policyHolder != nil {
		cv.PolicyHolder = v.policyHolder
	}
	return c.add(cv, v.patient)
}

// payerOrder maps SBR-01 / COB01 (P, S, T, A-H) to Coverage.order.
func payerOrder(r string) int {
	switch r {
	case "P":
		return 1
	case "S":
		return 2
	case "T":
		return 3
	}
	if len(r) == 1 && r[0] >= 'A' && r[0] <= 'H' {
		return int(r[0]-'A') + 4
	}
	return 0
}

// providerByID references the provider a bare identifier names (PLB01:
// an NPI, else a tax id), without emitting a resource for it: the
// identifier alone does not say whether it is a person.
func (c *conv) providerByID(v string) *dtpb.Reference {
	if len(v) == 10 && v[0] >= '1' && v[0] <= '2' {
		return &dtpb.Reference{Identifier: identifier(fhir.SystemNPI, v)}
	}
	return &dtpb.Reference{Identifier: identifier(sysEIN, v)}
}
