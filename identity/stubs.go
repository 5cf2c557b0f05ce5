package identity

// STUBS: the contract the identity helper implements. Replace, then delete
// this file.

import (
	"context"

	pspb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/person_go_proto"
	ppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/patient_go_proto"
)

// Config holds the thresholds, in the score's units (log2 likelihood ratio).
type Config struct {
	AutoLink float64 // at or above: same person
	Review   float64 // at or above (and below AutoLink): a review item
}

// DefaultConfig returns the thresholds the matching evaluation chose.
func DefaultConfig() Config { panic("todo") }

// A Matcher compares records and resolves them against an index.
type Matcher struct{ cfg Config }

// NewMatcher returns a Matcher.
func NewMatcher(cfg Config) *Matcher { return &Matcher{cfg: cfg} }

// FromPatient extracts a Patient's Record.
func FromPatient(p *ppb.Patient) Record { panic("todo") }

// Hash identifies the record's content.
func (r Record) Hash() string { panic("todo") }

// Keys returns the record's blocking and identifier keys.
func (m *Matcher) Keys(r Record) []string { panic("todo") }

// A Comparison is the result of comparing two records.
type Comparison struct {
	Score      float64
	Identifier bool // they share a strong identifier
	Fields     []FieldScore
}

// Compare scores two records.
func (m *Matcher) Compare(a, b Record) Comparison { panic("todo") }

// Resolve places r's Patient in a person.
func (m *Matcher) Resolve(ctx context.Context, tx Tx, r Record) (Outcome, error) {
	panic("todo")
}

// Link makes the Patients a and b one person (a reviewer's decision).
func (m *Matcher) Link(ctx context.Context, tx Tx, a, b string) (Outcome, error) {
	panic("todo")
}

// Unlink takes a out of its person.
func (m *Matcher) Unlink(ctx context.Context, tx Tx, a string) (Outcome, error) {
	panic("todo")
}

// Distinguish records that a and b are different people.
func (m *Matcher) Distinguish(ctx context.Context, tx Tx, a, b string) (Outcome, error) {
	panic("todo")
}

// PersonResource renders a person as a FHIR Person.
func PersonResource(p Person) *pspb.Person { panic("todo") }
