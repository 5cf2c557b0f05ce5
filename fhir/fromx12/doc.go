// Package fromx12 maps HIPAA X12 005010 transaction sets, as package
// claims models them, to FHIR R4 resources (google/fhir/go protos):
//
//   - 837P/I/D → Claim, with the Patient(s), Coverage(s), payer
//     Organization(s) and provider Practitioners/Organizations it names;
//   - 835 → ExplanationOfBenefit following the CARIN Blue Button 2.0.0
//     profiles (Professional/NonClinician, Inpatient and Outpatient
//     Institutional, Oral: meta.profile says which), a ClaimResponse per
//     claim payment, and a PaymentReconciliation for the payment and its
//     provider-level adjustments (PLB);
//   - 834 → Patient and Coverage per member, and for a dependent a
//     RelatedPerson naming what they are to the subscriber;
//   - 270 → CoverageEligibilityRequest, 271 → CoverageEligibilityResponse.
//
// docs/x12-to-fhir.md is the mapping, element by element; it is written
// from this package's tables (mapping.go, codes.go) by TestMappingDoc, so
// it cannot drift from the code.
//
// # Identity
//
// Ids are derived, never random ([fhir.ID]), from the business
// identifier that defines each resource (DESIGN.md), so the same claim,
// member or provider converges across replays, feeds and transaction
// sets: Claim from the submitter (1000A NM1-09) and CLM01 ([ClaimID]);
// ExplanationOfBenefit and ClaimResponse from the payer and CLP07
// ([EOBID]); Patient from the member id in the payer's member system
// ([fhir.Systems.PayerMember]); Coverage from payer, member and group
// number ([fhir.Systems.CoverageID]); payer Organization from the payer
// id ([fhir.PayerOrganizationID]); Practitioner (a person) and
// Organization from the NPI, as fhir/fromv2 derives a Practitioner from
// an XCN with an NPI. A dependent has no member id of their own in 5010:
// they are named by the subscriber's member id and their name, which the
// 837, 834 and 835 all carry.
//
// The 835 and 27x mappings reference Patient and Coverage by their
// derived ids but do not emit them: they name the person without the
// demographics the 834 and 837 carry, and a thinner copy would overwrite
// the fuller one downstream.
//
// # Values
//
// Money is exact: [claims.Money] cents become a FHIR decimal with two
// places ("1234.56"), never a float. Dates stay dates; a time of day
// (BHT-05) takes the sender's configured zone ([Config.Location],
// [Config.SenderLocations]), since FHIR forbids a time without one.
// Codes keep their X12 value; a code list without a published FHIR URI
// uses urn:tributary:x12:<data element number>, and data FHIR has no
// element for (a CAS group code, a second tooth) goes in a Tributary
// extension, not away.
//
// # Streaming and errors
//
// [Mapper.Each] converts one claim (claim payment, member, eligibility
// subject) at a time, so memory is bounded by the largest claim, not the
// transaction set; [Mapper.Convert] collects a whole set. Errors locate
// the problem in X12 terms ([*claims.Error], e.g. "2300/CLM01") and hold
// no value from the input.
package fromx12
