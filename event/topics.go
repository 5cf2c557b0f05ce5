package event

// DefaultPrefix is the topic prefix used when none is configured.
const DefaultPrefix = "tributary."

// Topics names the topics of the Kafka contract under one prefix. The zero
// value uses no prefix; [NewTopics] with an empty prefix uses [DefaultPrefix].
type Topics struct {
	Prefix string
}

// NewTopics returns the topic names under prefix, or under [DefaultPrefix]
// when prefix is empty.
func NewTopics(prefix string) Topics {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return Topics{Prefix: prefix}
}

// Raw is the topic that keeps upstream messages of format f unmodified.
func (t Topics) Raw(f Format) string { return t.Prefix + "raw." + f.String() + ".v1" }

// FHIR is the topic of normalized FHIR R4 resources.
func (t Topics) FHIR() string { return t.Prefix + "fhir.v1" }

// DLQ is the dead-letter topic: records a stage could not process, with
// the reason in headers.
func (t Topics) DLQ() string { return t.Prefix + "dlq.v1" }

// Audit is the append-only topic of AuditEvents.
func (t Topics) Audit() string { return t.Prefix + "audit.v1" }

// Egress is the consent-filtered topic of one partner.
func (t Topics) Egress(partner string) string { return t.Prefix + "egress." + partner + ".v1" }

// A Family groups topics that share settings such as compression.
type Family string

// The topic families of the contract.
const (
	FamilyRaw    Family = "raw"
	FamilyFHIR   Family = "fhir"
	FamilyDLQ    Family = "dlq"
	FamilyAudit  Family = "audit"
	FamilyEgress Family = "egress"
)

// Families lists every family, in contract order.
var Families = []Family{FamilyRaw, FamilyFHIR, FamilyDLQ, FamilyAudit, FamilyEgress}
