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
	// HeaderSourceKey names the source record (a CDC table row, by its
	// raw.cdc.v1 key) and the scope its positions compare in;
	// HeaderSourcePosition is where the change sits in that source's log,
	// encoded to compare as bytes (cdc.Position.Key). Absent together.
	HeaderSourceKey      = "source-key"
	HeaderSourcePosition = "source-position"
	// HeaderKeep lists, comma-separated, the elements of an upsert that
	// other source rows own (a claim's item): the materializer keeps
	// them from the stored version. Absent on most records.
	HeaderKeep = "keep"
	// HeaderPatient is the id of the Patient whose compartment the
	// resource is in (its own id for a Patient); absent for resources of
	// no patient. The record key is that Patient's person id; the store
	// indexes the compartment by this header.
	HeaderPatient = "patient"

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
	// OpPatch replaces or removes one element of a stored resource (a
	// claim line, an item of an ExplanationOfBenefit); the value is a
	// patch document, see docs/kafka-contract.md.
	OpPatch Op = "patch"
)
