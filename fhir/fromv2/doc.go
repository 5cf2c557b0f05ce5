// Package fromv2 maps HL7 v2 messages to FHIR R4 resources, following the
// HL7 V2-to-FHIR implementation guide.
//
// The IG drives the mapping at three levels, each kept as the IG's own
// CSV files:
//
//   - Message sheets (structures/, embedded): for each message structure,
//     which segment maps apply to each segment (PV1 → PV1[Encounter]). The
//     trigger event picks the structure (ADT^A04 → ADT_A01); a message type
//     the IG has no sheet for is converted with the union of all sheets,
//     so no feed is refused for its type.
//   - Segment maps: Go functions, one per IG segment map, registered under
//     the IG's name in segmentMaps with the list of fields they carry. The
//     test TestCoverageAgainstIG checks each list against the IG's segment
//     sheet (testdata/ig-segments/) and writes docs/hl7v2-mapping-coverage.md.
//   - Vocabulary: every IG concept map (conceptmaps/, embedded), read at
//     start; a change of the IG's tables is a change of those files.
//
// Nothing the sender sent is dropped silently. A valued field that no
// applied map carries keeps its whole segment verbatim in the
// https://tributary.health/fhir/StructureDefinition/hl7v2-segment
// extension of the resource the segment made; a segment no map handles
// (a Z-segment, FT1 in a DFT) is kept the same way on the MessageHeader.
// [Result.Unmapped] names each (PID-18, ZPI) for metrics.
//
// Every message also yields a MessageHeader (MSH) and a Provenance whose
// targets are all the message's resources and whose entity is the message
// (MSH-10 in the sender's system).
//
// Ids are derived, never random ([fhir.ID]): Patient from its first MR
// identifier of PID-3 (else the first) with its assigning authority;
// Encounter from PV1-19; Practitioner from its identifier (NPI when the
// assigning authority says so); Coverage from payer + member id + plan
// ([fhir.Systems.CoverageID]); results and orders from their filler and
// placer numbers. Resources without a business identifier (a next of kin,
// an allergy) derive theirs from the facts that make them themselves (the
// patient and the allergen), so a later message lands on the same
// resource. An identifier without an assigning authority is the sending
// facility's (MSH-4).
//
// Times keep their precision; a time without a zone takes the sending
// facility's configured zone (Config.FacilityLocations, else
// Config.DefaultLocation), never a silent UTC.
//
// Every error is an [*hl7v2.Error] naming the place (PID-7, PV1-44) and
// its table 0357 code, never the value.
package fromv2
