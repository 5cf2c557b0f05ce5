package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// compartmentQuery selects the current resources in the compartment of
// any Patient of $1's person (person_link), or of $1 alone when it has no
// person, and those Patients themselves.
const compartmentQuery = `
WITH p AS (
    SELECT $1::text COLLATE "C" AS patient_id
    UNION
    SELECT o.patient_id FROM tributary.person_link l
    JOIN tributary.person_link o ON o.person_id = l.person_id
    WHERE l.patient_id = $1
), k AS (
    SELECT r.resource_type, r.id FROM tributary.resources r JOIN p ON r.compartment = p.patient_id
    UNION
    SELECT 'Patient', p.patient_id FROM p
)
SELECT r.resource_type, r.id, r.version_id, r.last_updated, r.content
FROM k JOIN tributary.resources r ON r.resource_type = k.resource_type AND r.id = k.id
WHERE NOT r.deleted
ORDER BY r.resource_type, r.id`

// Compartment returns the current, non-deleted resources of the person
// of Patient patientID: those in the compartment ([Change.Compartment])
// of any Patient that person_link puts in the same Person as patientID
// (patientID alone when no Person names it), and those Patients
// themselves, ordered by type and id. It is one query; the result is empty
// when the store knows nothing of the Patient.
func (s *Store) Compartment(ctx context.Context, patientID string) ([]Resource, error) {
	rows, err := s.pool.Query(ctx, compartmentQuery, patientID)
	if err != nil {
		return nil, fmt.Errorf("store: compartment: %w", err)
	}
	var rs []Resource
	var r Resource
	var content []byte
	_, err = pgx.ForEachRow(rows, []any{&r.Type, &r.ID, &r.VersionID, &r.LastUpdated, &content}, func() error {
		v := r
		v.LastUpdated = v.LastUpdated.UTC()
		var err error
		if v.JSON, err = render(v, content); err != nil {
			return err
		}
		rs = append(rs, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: compartment: %w", err)
	}
	return rs, nil
}

// LinkedPatients returns the Person that names Patient patientID
// (person_link) and the other Patients it names, sorted. When no Person
// names the Patient, personID is "" and others nil.
func (s *Store) LinkedPatients(ctx context.Context, patientID string) (personID string, others []string, err error) {
	rows, err := s.pool.Query(ctx, `
SELECT o.person_id, o.patient_id FROM tributary.person_link l
JOIN tributary.person_link o ON o.person_id = l.person_id
WHERE l.patient_id = $1
ORDER BY o.patient_id`, patientID)
	if err != nil {
		return "", nil, fmt.Errorf("store: linked patients: %w", err)
	}
	var person, patient string
	_, err = pgx.ForEachRow(rows, []any{&person, &patient}, func() error {
		personID = person
		if patient != patientID {
			others = append(others, patient)
		}
		return nil
	})
	if err != nil {
		return "", nil, fmt.Errorf("store: linked patients: %w", err)
	}
	return personID, others, nil
}

// A Checksum summarizes the current, non-deleted resources of a store, to
// compare two stores: equal checksums mean equal resources, whatever
// versions, times and batches made them.
type Checksum struct {
	// Sum is the hex SHA-256 of every resource's type, id and content
	// hash (the canonical JSON without meta.versionId and
	// meta.lastUpdated), in type and id order.
	Sum string
	// Types counts the resources per type.
	Types map[string]int
}

// Checksum reads every current, non-deleted resource's type, id and content
// hash, in one query that scans the resources table, and returns their
// [Checksum]. It is meant for tests and operators (is a rebuilt store equal
// to the original?), not for the hot path.
func (s *Store) Checksum(ctx context.Context) (Checksum, error) {
	rows, err := s.pool.Query(ctx, "SELECT resource_type, id, content_hash FROM tributary.resources WHERE NOT deleted ORDER BY resource_type, id")
	if err != nil {
		return Checksum{}, fmt.Errorf("store: checksum: %w", err)
	}
	sum := Checksum{Types: map[string]int{}}
	h := sha256.New()
	var typ, id string
	var hash []byte
	// Types and ids hold no NUL: each row encodes unambiguously.
	var row []byte
	_, err = pgx.ForEachRow(rows, []any{&typ, &id, &hash}, func() error {
		sum.Types[typ]++
		row = append(append(append(append(append(row[:0], typ...), 0), id...), 0), hash...)
		h.Write(row)
		return nil
	})
	if err != nil {
		return Checksum{}, fmt.Errorf("store: checksum: %w", err)
	}
	sum.Sum = hex.EncodeToString(h.Sum(nil))
	return sum, nil
}
