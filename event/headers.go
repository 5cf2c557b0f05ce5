package event

// Record header names of the Kafka contract (docs/kafka-contract.md).
// Header values never hold patient data: they name formats, ids derived by
// hashing, times and locations.
const (
	// Raw topics: the envelope fields.
	HeaderEnvelopeID = "envelope-id"
	HeaderFormat     = "format"
	HeaderKind       = "kind"
	HeaderReceivedAt = "received-at" // RFC 3339 with nanoseconds, UTC
	HeaderSource     = "source"
	HeaderSHA256     = "sha256" // hex of the payload
	// HeaderAttrPrefix prefixes each Envelope.Attrs entry, e.g. "attr-msh-10".
	HeaderAttrPrefix = "attr-"

	// fhir.v1: one resource per record.
	HeaderResourceType = "resource-type"
	HeaderResourceID   = "resource-id"
	HeaderOp           = "op"          // "upsert" or "delete"
	HeaderSourceTime   = "source-time" // when the source says the fact was true; orders versions
	// HeaderSourceEnvelope names the raw envelope the resource came from.
	HeaderSourceEnvelope = "source-envelope-id"

	// dlq.v1: the original record plus why it failed.
	HeaderDLQStage    = "dlq-stage"    // "ingest", "normalize", "materialize"
	HeaderDLQCode     = "dlq-code"     // machine-readable, e.g. "hl7v2.102"
	HeaderDLQLocation = "dlq-location" // "PID-7", "2300/CLM05", "offset 412"
	HeaderDLQReason   = "dlq-reason"   // a sentence without patient data
	HeaderDLQAttempt  = "dlq-attempt"
	HeaderDLQTopic    = "dlq-topic" // where the original record was read
	HeaderDLQOffset   = "dlq-offset"
)

// Op is what a fhir.v1 record does to its resource.
type Op string

// The operations on fhir.v1.
const (
	OpUpsert Op = "upsert"
	OpDelete Op = "delete"
)
