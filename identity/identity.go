// Package identity is Tributary's master patient index: it decides which
// Patients from the HL7 v2, X12 and CDC feeds are one person.
//
// A Patient is reduced to a [Record] of normalized features. Records that
// share a strong identifier (SSN, Medicare MBI, Medicaid id, a member id or
// an MRN cross-reference) are linked deterministically; otherwise
// candidates found through blocking keys are scored by a Fellegi–Sunter
// model over names (with nicknames and phonetics), birth date, sex,
// address and phone. A score at or above [Config.AutoLink] links the
// Patient to the candidate's person; between [Config.Review] and
// AutoLink it founds its own person and a review item is opened.
//
// The resolution logic lives here and works on a [Tx], an index in a
// transaction: the store implements it in PostgreSQL, [Memory] in memory
// (for tests and the matching evaluation).
package identity

import (
	"context"
	"time"

	"github.com/tributary-health/tributary/fhir"
)

// MaxBlock bounds a blocking key's candidates. A key shared by more
// records than this (a default birth date, a placeholder phone, the one
// name a test feed gives everyone) says little and would make every
// resolution compare thousands of records; the record's other keys still
// find its matches. Identifier keys are not bounded.
const MaxBlock = 200

// SystemPerson is the identifier system person ids derive from.
const SystemPerson = "urn:tributary:person"

// PersonID returns the id of the person a Patient founds. Generation 0
// is the person a Patient founds when first seen (and the person of a
// Patient the index has not seen yet); a Patient unlinked from the person
// it founded founds a new one with the next generation.
func PersonID(patientID string, generation int) string {
	if generation == 0 {
		return fhir.ID("Person", SystemPerson, patientID)
	}
	return fhir.ID("Person", SystemPerson, patientID+"#"+itoa(generation))
}

// A Record is what matching compares of one Patient. Text fields are
// normalized by [FromPatient]: upper-case ASCII letters, digits and single
// spaces. Empty means unknown.
type Record struct {
	PatientID string
	// Identifiers are the Patient's identifiers usable for deterministic
	// links: system and value as in the resource.
	Identifiers []Identifier
	Given       []string // given names and initials, in order
	Family      string
	BirthDate   string // YYYY-MM-DD; empty when unknown or less precise than a day
	Sex         string // "M", "F", "O", or "" (unknown)
	Line        string // the first line of the home address
	Zip         string // five digits
	Phone       string // ten digits
	Email       string // lower case
	// Same lists Patients the source says are this person: the other
	// side of Patient.link replaces / replaced-by (an ADT^A40 merge).
	Same []string
}

// An Identifier is a system and value pair.
type Identifier struct{ System, Value string }

// Method says why a Patient belongs to its person.
type Method string

const (
	MethodFounder       Method = "founder"       // it founded the person
	MethodIdentifier    Method = "identifier"    // a shared strong identifier
	MethodProbabilistic Method = "probabilistic" // a demographic score at or above AutoLink
	MethodMerge         Method = "merge"         // the source merged it (ADT^A40)
	MethodManual        Method = "manual"        // a reviewer linked it
)

// An Entry is a Patient in the index.
type Entry struct {
	Record
	PersonID string
	Method   Method
	Score    float64 // the score that linked it (probabilistic), else 0
	// Generation is the highest generation of person this Patient has
	// founded (see PersonID); -1 when it has founded none.
	Generation int
	// Hash identifies the Record's content ([Record.Hash]): an unchanged
	// Patient is resolved without a write.
	Hash string
	// Updated is when this Patient's person last changed membership:
	// whenever a person gains or loses a member, every remaining member
	// is Put again with Updated = Tx.Now(), so a Person's Updated is the
	// latest of its members'.
	Updated time.Time
}

// A Review is an open question for a person: are Patient and Candidate
// the same person?
type Review struct {
	ID        int64 // assigned by the Tx
	PatientID string
	Candidate string // the candidate Patient
	Score     float64
	Fields    []FieldScore
	Created   time.Time
	Status    string // "open", "linked", "distinct"
}

// A FieldScore is one field's part of a score.
type FieldScore struct {
	Field  string  // "family", "given", "birthDate", "sex", "address", "zip", "phone", "email", "identifier", "household"
	Level  string  // "exact", "nickname", "phonetic", "similar", "transposed", "typo", "initial", "partial", "disagree", "missing"; household: "discount", "twin"
	Weight float64 // its log2 likelihood-ratio weight
}

// A Person is a person's current members, as the index holds them.
type Person struct {
	ID      string
	Members []Member
	// Deleted: the person no longer exists (merged into another, or its
	// last Patient left it).
	Deleted bool
	// Updated is when its membership last changed; it orders the
	// versions of its Person resource.
	Updated time.Time
}

// A Member is one Patient of a person.
type Member struct {
	PatientID string
	Method    Method
	Score     float64
}

// An Outcome is what a resolution, link or unlink did.
type Outcome struct {
	// PersonID is the person of the Patient resolved (for Link and
	// Unlink: of the first Patient named).
	PersonID string
	// Persons are the current state of every person the call touched,
	// the resolved Patient's included, even when nothing changed: the
	// caller publishes their Person resources (idempotently).
	Persons []Person
	// Reviews are the review items the call opened.
	Reviews []Review
}

// A Tx is the index inside one transaction. Calls see the Tx's own
// writes. Implementations serialize writers (one resolution at a time)
// so that two Patients of one new person arriving together still meet.
type Tx interface {
	// Lock makes this transaction the index's only writer until it
	// ends. Resolve, Link and Unlink call it before reading anything
	// they decide on, after the read-only fast path.
	Lock(ctx context.Context) error
	// Entry returns the Patient's entry; ok is false when absent.
	Entry(ctx context.Context, patientID string) (e Entry, ok bool, err error)
	// Candidates returns the entries having any of the keys (see
	// [Matcher.Keys]), without duplicates, ordered by Patient id. A
	// blocking key held by more than [MaxBlock] entries is skipped
	// (identifier keys, "id:…", never are).
	Candidates(ctx context.Context, keys []string) ([]Entry, error)
	// Members returns the entries of a person.
	Members(ctx context.Context, personID string) ([]Entry, error)
	// Put inserts or replaces an entry and replaces its keys.
	Put(ctx context.Context, e Entry, keys []string) error
	// Distinct reports whether a reviewer said the two Patients are
	// different people.
	Distinct(ctx context.Context, a, b string) (bool, error)
	// SetDistinct records that a and b are different people.
	SetDistinct(ctx context.Context, a, b string) error
	// AddReview opens a review item (unless an open one for the same
	// pair exists) and returns it with its ID.
	AddReview(ctx context.Context, r Review) (Review, error)
	// CloseReviews marks open items between a and b (either order) with
	// status.
	CloseReviews(ctx context.Context, a, b string, status string) error
	// Now is the transaction's time, for Person.Updated.
	Now() time.Time
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}
