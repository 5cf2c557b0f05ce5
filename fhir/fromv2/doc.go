// Package fromv2 maps HL7 v2 messages to FHIR R4 resources, following the
// HL7 V2-to-FHIR implementation guide: its segment and datatype maps for
// the structure, and its concept maps (embedded from the IG's CSV files in
// conceptmaps/) for the vocabulary.
//
// Supported now: ADT events that carry a patient's demographics (A01, A04,
// A05, A08, A28, A31) → one Patient from PID. Any other message is
// rejected with table 0357 code 200 (message type) or 201 (event), so the
// sender is told and the raw message waits on the dead-letter topic until
// support lands.
//
// The Patient's id derives from its first PID-3 identifier of type MR (or
// else its first PID-3 identifier) with its assigning authority (see
// [fhir.ID] and [fhir.Systems.AssigningAuthority]); an identifier without
// an assigning authority is taken as assigned by the sending facility
// (MSH-4). Every error is an [*hl7v2.Error] naming the field (PID-7) and
// its table 0357 code, never the value.
package fromv2
