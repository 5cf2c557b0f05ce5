package fromx12

import (
	"strings"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	opb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/organization_go_proto"
	ppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/patient_go_proto"
	rppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/related_person_go_proto"

	"github.com/tributary-health/tributary/claims"
	"github.com/tributary-health/tributary/fhir"
)

// member maps one 834 member (2000): a Patient, for a dependent a
// RelatedPerson naming what they are to the subscriber, and a Coverage
// per health coverage (2300).
func (c *conv) member(e *claims.Enrollment, m *claims.Member) error {
	payerID := e.Payer.ID
	if payerID == "" {
		return missing("1000B", "N1", 4)
	}
	subscriberID := m.SubscriberID
	if subscriberID == "" && m.Subscriber {
		subscriberID = m.Name.ID
	}
	if subscriberID == "" {
		return missing("2000", "REF", 2)
	}
	payer := c.payer(&e.Payer, payerID)
	sponsor := c.sponsor(&e.Sponsor)

	memberKey, memberID := subscriberID, subscriberID
	if !m.Subscriber {
		memberKey, memberID = dependentKey(subscriberID, &m.Name), ""
		if q := m.Name.IDQualifier; q == "ZZ" && m.Name.ID != "" {
			memberID = m.Name.ID // a dependent's own member number, where the payer gives one
		}
	}
	pid := c.patientID(payerID, memberKey)
	pref := c.patient(pid, person{party: &m.Name, demo: m.Demographics, memberID: memberID, payerID: payerID})
	pt := c.entries[c.index[pref.GetUri().GetValue()]].Resource.(*ppb.Patient)
	c.enrichPatient(pt, m)
	subRef := ref("Patient", c.patientID(payerID, subscriberID))

	if !m.Subscriber {
		rp := &rppb.RelatedPerson{
			Id:      id(fhir.ID("RelatedPerson", c.m.cfg.Systems.PayerMember(payerID), memberKey)),
			Active:  boolean(m.MaintenanceType != "024"),
			Patient: subRef,
			Name:    pt.Name,
			Address: pt.Address,
			Telecom: pt.Telecom,
		}
		if pt.BirthDate != nil {
			rp.BirthDate = pt.BirthDate
		}
		if pt.Gender != nil {
			rp.Gender = &rppb.RelatedPerson_GenderCode{Value: pt.Gender.Value}
		}
		if r, ok := relatedPersonRoles.lookup(m.Relationship); ok {
			rp.Relationship = []*dtpb.CodeableConcept{concept(sysRoleCode, r, "")}
		} else if m.Relationship != "" {
			rp.Relationship = []*dtpb.CodeableConcept{concept(sysIndividualRel, m.Relationship, "")}
		}
		rpRef := c.add(rp, c.patientID(payerID, subscriberID))
		// The dependent and the RelatedPerson are one individual: FHIR's
		// Patient.link seealso says so.
		pt.Link = []*ppb.Patient_Link{{Other: rpRef, Type: &ppb.Patient_Link_TypeCode{Value: cpb.LinkTypeCode_SEEALSO}}}
	}

	group := m.GroupNumber
	used := map[string]bool{}
	for i := range m.Coverages {
		hd := &m.Coverages[i]
		plan := firstNonEmpty(refValue(hd.Refs, "1L"), group)
		if used[plan] {
			// Two coverages under one group number (health and dental):
			// the insurance line tells them apart.
			plan += "|" + hd.InsuranceLine
		}
		used[plan] = true
		mt := firstNonEmpty(hd.MaintenanceType, m.MaintenanceType)
		st := cpb.FinancialResourceStatusCode_ACTIVE
		if s, _ := coverageStatus.lookup(mt); s == "cancelled" {
			st = cpb.FinancialResourceStatusCode_CANCELLED
		}
		c.coverage(coverage{
			payerID: payerID, payer: payer, memberKey: memberKey, subscriberID: subscriberID,
			plan: plan, planName: strings.TrimSpace(hd.Plan), beneficiary: pref, subscriber: subRef,
			relationship: m.Relationship, typ: concept(sysInsuranceLine, hd.InsuranceLine, ""),
			status: st, period: period(claims.Period{Start: hd.Begin, End: hd.End}, c.loc),
			policyHolder: sponsor, patient: pid,
		})
	}
	return nil
}

// enrichPatient adds what only the 834 says about a member.
func (c *conv) enrichPatient(pt *ppb.Patient, m *claims.Member) {
	if m.MailingAddress != nil {
		if a := address(*m.MailingAddress); a != nil {
			a.Type = &dtpb.Address_TypeCode{Value: cpb.AddressTypeCode_POSTAL}
			pt.Address = append(pt.Address, a)
		}
	}
	if ms, ok := maritalStatus.lookup(m.Demographics.Marital); ok {
		pt.MaritalStatus = concept(sysMarital, ms, "")
	}
	for _, l := range m.Languages {
		pt.Communication = append(pt.Communication, &ppb.Patient_Communication{Language: concept(sysLanguage, strings.ToLower(l), "")})
	}
	if d := dateTime(m.Death, c.loc); d != nil {
		pt.Deceased = &ppb.Patient_DeceasedX{Choice: &ppb.Patient_DeceasedX_DateTime{DateTime: d}}
	}
}

// sponsor adds the plan sponsor (1000A N1*P5, usually the employer) as
// an Organization, by its tax id when N1-03 is FI; it is the policy
// holder of the Coverages.
func (c *conv) sponsor(p *claims.Party) *dtpb.Reference {
	if p.ID == "" && p.Name == "" {
		return nil
	}
	o := &opb.Organization{Active: boolean(true), Name: str(p.Name)}
	switch {
	case p.IDQualifier == "FI" && p.ID != "":
		o.Id = id(fhir.ID("Organization", sysEIN, p.ID))
		o.Identifier = []*dtpb.Identifier{identifier(sysEIN, p.ID)}
	case p.ID != "":
		sys := "urn:tributary:x12:sponsor:" + strings.ToLower(p.IDQualifier)
		o.Id = id(fhir.ID("Organization", sys, p.ID))
		o.Identifier = []*dtpb.Identifier{identifier(sys, p.ID)}
	default:
		o.Id = id(fhir.ID("Organization", "urn:tributary:x12:sender:"+c.sender()+":sponsor-name", strings.ToUpper(p.Name)))
	}
	return c.add(o, "")
}
