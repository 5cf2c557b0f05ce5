// Package fromcdc maps change events of source tables (Debezium events,
// and copybook-defined mainframe records made into Debezium-shaped
// events by adapters/cdc) to FHIR R4 resources, by a declarative mapping
// file rather than code: which resources each table's rows become, how
// their ids derive, and which column fills which element. The format is
// documented in docs/cdc-mapping.md; examples/payer.mapping.json maps a
// typical payer schema (MEMBER, ELIGIBILITY, PROVIDER, CLAIM_HEADER,
// CLAIM_LINE).
//
// [Load] reads and checks a mapping file; [New] makes a [Mapper];
// [Mapper.Convert] maps one [cdc.Event] to a [Result]. A resource is
// built as FHIR JSON from its field rules and parsed by google/fhir's
// validating unmarshaller, so any element FHIR allows can be mapped and
// anything FHIR refuses is caught when the row is mapped, with an error
// naming the table, columns and element, never the value:
//
//	fromcdc: MEMBER.BIRTH_DT → Patient.birthDate: not a date in the expected format
//
// Ids follow the conventions of every feed (DESIGN.md): Patient from the
// payer's member id ([fhir.Systems.PayerMember]), Coverage from payer +
// member + plan ([fhir.Systems.CoverageID]), Practitioner and
// Organization from the NPI or the payer id ([fhir.PayerOrganizationID]),
// Claim from submitter + claim control number ([fhir.ClaimControl]),
// ExplanationOfBenefit from payer + payer claim control number as
// fhir/fromx12 makes it, so one member or claim converges across HL7 v2,
// X12 and CDC.
//
// The mapper is stateless: each event maps on its own. Creates, snapshot
// reads and updates upsert; deletes delete by the ids the before image
// (or the record key) yields; a child table's row (CLAIM_LINE) is a
// [Patch] of one element of the resource its parent row made, which
// [Entry.Apply] merges into the stored version. Ordering by source
// position, ignoring duplicates and stale events, and holding a child
// element until its parent exists are the pipeline's, with the Position
// and SourceTime each Result carries.
package fromcdc
