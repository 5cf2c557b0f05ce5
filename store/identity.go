package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributary-health/tributary/identity"
)

// identityLock is the key of the transaction-scoped advisory lock that
// makes an [identity.Tx] the index's only writer ("tribmpi" in ASCII).
const identityLock int64 = 0x0074726962_6d7069

// Identity runs fn with the master patient index in one database
// transaction (read committed) and commits it when fn returns nil; when fn
// returns an error, or panics, the transaction rolls back and Identity
// returns fn's error. A serialization failure or deadlock makes Identity
// run fn again in a new transaction, a few times, so fn must have no
// effects besides its tx calls. tx is only valid until fn returns, and not
// for concurrent use.
//
// [identity.Tx.Lock] takes a transaction-scoped advisory lock: the writers
// of the index run one at a time, and it is released when the transaction
// ends. [identity.Tx.Now] is the database server's clock
// (clock_timestamp()) read once per transaction, at Lock, or, when Now is
// called before Lock, at its first call. A transaction that read it at Lock
// started after every earlier locked transaction ended, so its time is
// after theirs (as far as the server's clock goes forward).
func (s *Store) Identity(ctx context.Context, fn func(tx identity.Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = s.identityOnce(ctx, fn)
		if attempt == maxAttempts || ctx.Err() != nil || !(isCode(err, "40P01") || isCode(err, "40001")) {
			return err
		}
	}
}

func (s *Store) identityOnce(ctx context.Context, fn func(tx identity.Tx) error) error {
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return fmt.Errorf("store: identity: %w", err)
	}
	// Rollback after a commit does nothing; after a panic it ends the
	// transaction before the connection returns to the pool.
	defer ptx.Rollback(context.WithoutCancel(ctx))
	if err := fn(&mpiTx{tx: ptx, ctx: ctx}); err != nil {
		return err
	}
	if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("store: identity: commit: %w", err)
	}
	return nil
}

var _ identity.Tx = (*mpiTx)(nil)

// mpiTx is the store's [identity.Tx].
type mpiTx struct {
	tx pgx.Tx
	// ctx is Identity's, for Now, which takes none: an mpiTx lives only
	// as long as fn.
	ctx context.Context
	now time.Time // zero until read
}

// Lock takes the index's advisory lock, waiting for the writer that holds
// it, and reads the transaction's time.
func (t *mpiTx) Lock(ctx context.Context) error {
	q := &pgx.Batch{}
	q.Queue("SELECT pg_advisory_xact_lock($1)", identityLock)
	q.Queue("SELECT clock_timestamp()").QueryRow(func(row pgx.Row) error {
		var now time.Time
		if err := row.Scan(&now); err != nil {
			return err
		}
		if t.now.IsZero() {
			t.now = now.UTC()
		}
		return nil
	})
	if err := t.tx.SendBatch(ctx, q).Close(); err != nil {
		return fmt.Errorf("store: identity lock: %w", err)
	}
	return nil
}

// Now returns the transaction's time, read from the server at Lock or at
// the first call. When the server cannot answer, the transaction is
// failing anyway; Now then returns the local clock.
func (t *mpiTx) Now() time.Time {
	if t.now.IsZero() {
		var now time.Time
		if err := t.tx.QueryRow(t.ctx, "SELECT clock_timestamp()").Scan(&now); err != nil {
			now = time.Now().Truncate(time.Microsecond)
		}
		t.now = now.UTC()
	}
	return t.now
}

const entryColumns = "p.patient_id, p.person_id, p.record, p.method, p.score, p.generation, p.hash, p.updated"

// scanEntries scans rows of entryColumns.
func scanEntries(rows pgx.Rows) ([]identity.Entry, error) {
	var es []identity.Entry
	var e identity.Entry
	var record []byte
	var method string
	var updated *time.Time
	_, err := pgx.ForEachRow(rows, []any{&e.PatientID, &e.PersonID, &record, &method, &e.Score, &e.Generation, &e.Hash, &updated}, func() error {
		v := e
		patientID := v.PatientID
		v.Record = identity.Record{}
		if err := json.Unmarshal(record, &v.Record); err != nil {
			return fmt.Errorf("stored record: %w", err)
		}
		v.PatientID = patientID
		v.Method = identity.Method(method)
		v.Updated = time.Time{}
		if updated != nil {
			v.Updated = updated.UTC()
		}
		es = append(es, v)
		return nil
	})
	return es, err
}

// Entry returns the Patient's entry.
func (t *mpiTx) Entry(ctx context.Context, patientID string) (identity.Entry, bool, error) {
	return entry(ctx, t.tx, patientID)
}

func entry(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, patientID string) (identity.Entry, bool, error) {
	rows, err := q.Query(ctx, "SELECT "+entryColumns+" FROM tributary.mpi_patient p WHERE p.patient_id = $1", patientID)
	if err != nil {
		return identity.Entry{}, false, fmt.Errorf("store: identity entry: %w", err)
	}
	es, err := scanEntries(rows)
	if err != nil {
		return identity.Entry{}, false, fmt.Errorf("store: identity entry: %w", err)
	}
	if len(es) == 0 {
		return identity.Entry{}, false, nil
	}
	return es[0], true, nil
}

// Candidates returns the entries having any of keys, ordered by Patient id.
func (t *mpiTx) Candidates(ctx context.Context, keys []string) ([]identity.Entry, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	// Two simple queries plan and run faster than one with the bound in
	// a subquery (about 1 ms less per resolution here): first each key's
	// patients, a blocking key's only up to one past the bound, then the
	// entries of those that are usable.
	rows, err := t.tx.Query(ctx, `SELECT q.key, k.patient_id FROM unnest($1::text[]) AS q(key)
CROSS JOIN LATERAL (SELECT k.patient_id FROM tributary.mpi_key k WHERE k.key = q.key
	LIMIT CASE WHEN q.key LIKE 'id:%' THEN NULL ELSE $2::int + 1 END) k`, keys, identity.MaxBlock)
	if err != nil {
		return nil, fmt.Errorf("store: identity candidates: %w", err)
	}
	perKey := map[string][]string{}
	var key, id string
	_, err = pgx.ForEachRow(rows, []any{&key, &id}, func() error {
		perKey[key] = append(perKey[key], id)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: identity candidates: %w", err)
	}
	var ids []string
	for k, ps := range perKey {
		if len(ps) <= identity.MaxBlock || strings.HasPrefix(k, "id:") {
			ids = append(ids, ps...)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err = t.tx.Query(ctx, "SELECT "+entryColumns+" FROM tributary.mpi_patient p WHERE p.patient_id = ANY($1::text[]) ORDER BY p.patient_id", ids)
	if err != nil {
		return nil, fmt.Errorf("store: identity candidates: %w", err)
	}
	es, err := scanEntries(rows)
	if err != nil {
		return nil, fmt.Errorf("store: identity candidates: %w", err)
	}
	return es, nil
}

// Members returns the entries of a person, ordered by Patient id.
func (t *mpiTx) Members(ctx context.Context, personID string) ([]identity.Entry, error) {
	rows, err := t.tx.Query(ctx, "SELECT "+entryColumns+" FROM tributary.mpi_patient p WHERE p.person_id = $1 ORDER BY p.patient_id", personID)
	if err != nil {
		return nil, fmt.Errorf("store: identity members: %w", err)
	}
	es, err := scanEntries(rows)
	if err != nil {
		return nil, fmt.Errorf("store: identity members: %w", err)
	}
	return es, nil
}

const putEntry = `
INSERT INTO tributary.mpi_patient AS p (patient_id, person_id, record, method, score, generation, hash, updated)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (patient_id) DO UPDATE SET
    person_id = EXCLUDED.person_id, record = EXCLUDED.record, method = EXCLUDED.method, score = EXCLUDED.score,
    generation = EXCLUDED.generation, hash = EXCLUDED.hash, updated = EXCLUDED.updated`

// Put upserts the entry and makes keys its keys, in one round trip. Keys
// it keeps are not rewritten.
func (t *mpiTx) Put(ctx context.Context, e identity.Entry, keys []string) error {
	if e.PatientID == "" || e.PersonID == "" {
		return errors.New("store: identity put: entry without PatientID or PersonID")
	}
	record, err := json.Marshal(e.Record)
	if err != nil {
		return fmt.Errorf("store: identity put: %w", err)
	}
	if keys == nil {
		keys = []string{}
	}
	q := &pgx.Batch{}
	q.Queue(putEntry, e.PatientID, e.PersonID, record, string(e.Method), e.Score, e.Generation, e.Hash, nullTime(e.Updated))
	q.Queue("DELETE FROM tributary.mpi_key WHERE patient_id = $1 AND NOT (key = ANY($2::text[]))", e.PatientID, keys)
	q.Queue(`INSERT INTO tributary.mpi_key (key, patient_id) SELECT DISTINCT k, $1 FROM unnest($2::text[]) AS k
ON CONFLICT (key, patient_id) DO NOTHING`, e.PatientID, keys)
	if err := t.tx.SendBatch(ctx, q).Close(); err != nil {
		return fmt.Errorf("store: identity put: %w", err)
	}
	return nil
}

// ordered returns a and b in byte order, as mpi_distinct stores pairs.
func ordered(a, b string) (string, string) {
	if b < a {
		return b, a
	}
	return a, b
}

// Distinct reports whether the pair is recorded as different people, in
// either order. A Patient is never distinct from itself.
func (t *mpiTx) Distinct(ctx context.Context, a, b string) (bool, error) {
	if a == b {
		return false, nil
	}
	a, b = ordered(a, b)
	var ok bool
	if err := t.tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM tributary.mpi_distinct WHERE a = $1 AND b = $2)", a, b).Scan(&ok); err != nil {
		return false, fmt.Errorf("store: identity distinct: %w", err)
	}
	return ok, nil
}

// SetDistinct records the pair, idempotently. a and b must differ.
func (t *mpiTx) SetDistinct(ctx context.Context, a, b string) error {
	if a == b {
		return errors.New("store: identity set distinct: a Patient cannot be distinct from itself")
	}
	a, b = ordered(a, b)
	if _, err := t.tx.Exec(ctx, "INSERT INTO tributary.mpi_distinct (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING", a, b); err != nil {
		return fmt.Errorf("store: identity set distinct: %w", err)
	}
	return nil
}

const reviewColumns = "id, patient_id, candidate_id, score, fields, status, created"

// addReview inserts an open review item unless the pair has one: then it
// returns no row.
const addReview = `
INSERT INTO tributary.mpi_review (patient_id, candidate_id, score, fields, status, created)
VALUES ($1, $2, $3, $4, 'open', $5)
ON CONFLICT (least(patient_id, candidate_id), greatest(patient_id, candidate_id)) WHERE status = 'open' DO NOTHING
RETURNING ` + reviewColumns

// AddReview opens r (its ID and Status are ignored) and returns it with
// its ID, Status "open" and Created (r's, to the microsecond, or the
// transaction's Now when zero), unless an open item for the pair exists,
// in either order: then it returns that one.
func (t *mpiTx) AddReview(ctx context.Context, r identity.Review) (identity.Review, error) {
	if r.PatientID == "" || r.Candidate == "" || r.PatientID == r.Candidate {
		return identity.Review{}, errors.New("store: identity add review: a review needs two different Patients")
	}
	fields := r.Fields
	if fields == nil {
		fields = []identity.FieldScore{}
	}
	fj, err := json.Marshal(fields)
	if err != nil {
		return identity.Review{}, fmt.Errorf("store: identity add review: %w", err)
	}
	created := r.Created
	if created.IsZero() {
		created = t.Now()
	}
	created = created.UTC().Truncate(time.Microsecond)
	rows, err := t.tx.Query(ctx, addReview, r.PatientID, r.Candidate, r.Score, fj, created)
	if err != nil {
		return identity.Review{}, fmt.Errorf("store: identity add review: %w", err)
	}
	rs, err := scanReviews(rows)
	if err == nil && len(rs) == 0 {
		a, b := ordered(r.PatientID, r.Candidate)
		rows, err = t.tx.Query(ctx, "SELECT "+reviewColumns+` FROM tributary.mpi_review
WHERE least(patient_id, candidate_id) = $1 AND greatest(patient_id, candidate_id) = $2 AND status = 'open'`, a, b)
		if err == nil {
			rs, err = scanReviews(rows)
		}
	}
	if err == nil && len(rs) == 0 {
		err = errors.New("open item vanished") // the unique index said it exists
	}
	if err != nil {
		return identity.Review{}, fmt.Errorf("store: identity add review: %w", err)
	}
	return rs[0], nil
}

// CloseReviews gives the open items of the pair, in either order, status
// ("linked" or "distinct") and the transaction's Now as decision time.
func (t *mpiTx) CloseReviews(ctx context.Context, a, b string, status string) error {
	if status != "linked" && status != "distinct" {
		return fmt.Errorf("store: identity close reviews: status %q is not linked or distinct", status)
	}
	a, b = ordered(a, b)
	if _, err := t.tx.Exec(ctx, `UPDATE tributary.mpi_review SET status = $3, decided = $4
WHERE least(patient_id, candidate_id) = $1 AND greatest(patient_id, candidate_id) = $2 AND status = 'open'`,
		a, b, status, t.Now()); err != nil {
		return fmt.Errorf("store: identity close reviews: %w", err)
	}
	return nil
}

func scanReviews(rows pgx.Rows) ([]identity.Review, error) {
	var rs []identity.Review
	var r identity.Review
	var fields []byte
	_, err := pgx.ForEachRow(rows, []any{&r.ID, &r.PatientID, &r.Candidate, &r.Score, &fields, &r.Status, &r.Created}, func() error {
		v := r
		v.Created = v.Created.UTC()
		v.Fields = nil
		if err := json.Unmarshal(fields, &v.Fields); err != nil {
			return fmt.Errorf("stored fields: %w", err)
		}
		if len(v.Fields) == 0 {
			v.Fields = nil
		}
		rs = append(rs, v)
		return nil
	})
	return rs, err
}

// Reviews returns the review items with status ("open", "linked" or
// "distinct"; "" for all), ordered by ID.
func (s *Store) Reviews(ctx context.Context, status string) ([]identity.Review, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+reviewColumns+" FROM tributary.mpi_review WHERE $1 = '' OR status = $1 ORDER BY id", status)
	if err != nil {
		return nil, fmt.Errorf("store: reviews: %w", err)
	}
	rs, err := scanReviews(rows)
	if err != nil {
		return nil, fmt.Errorf("store: reviews: %w", err)
	}
	return rs, nil
}

// Review returns the review item id, or an error wrapping [ErrNotFound].
func (s *Store) Review(ctx context.Context, id int64) (identity.Review, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+reviewColumns+" FROM tributary.mpi_review WHERE id = $1", id)
	if err != nil {
		return identity.Review{}, fmt.Errorf("store: review: %w", err)
	}
	rs, err := scanReviews(rows)
	if err != nil {
		return identity.Review{}, fmt.Errorf("store: review: %w", err)
	}
	if len(rs) == 0 {
		return identity.Review{}, fmt.Errorf("store: review: %w", ErrNotFound)
	}
	return rs[0], nil
}

// PersonOf returns the person of each of patientIDs that the index holds;
// the others are absent from the map.
func (s *Store) PersonOf(ctx context.Context, patientIDs []string) (map[string]string, error) {
	persons := make(map[string]string, len(patientIDs))
	if len(patientIDs) == 0 {
		return persons, nil
	}
	rows, err := s.pool.Query(ctx, "SELECT patient_id, person_id FROM tributary.mpi_patient WHERE patient_id = ANY($1::text[])", patientIDs)
	if err != nil {
		return nil, fmt.Errorf("store: person of: %w", err)
	}
	var patient, person string
	if _, err := pgx.ForEachRow(rows, []any{&patient, &person}, func() error {
		persons[patient] = person
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store: person of: %w", err)
	}
	return persons, nil
}

// IdentityEntry returns the index's entry of the Patient, outside any
// transaction; ok is false when the index has none.
func (s *Store) IdentityEntry(ctx context.Context, patientID string) (e identity.Entry, ok bool, err error) {
	return entry(ctx, s.pool, patientID)
}

// CurrentPerson answers the common case of a resolution in one query,
// outside any transaction: when the index holds patientID with this
// record hash (the Patient is unchanged), it returns the Patient's person
// as [identity.Matcher.Resolve] would (members ordered by Patient id,
// Updated the latest of theirs); ok is false otherwise, and the caller
// resolves.
func (s *Store) CurrentPerson(ctx context.Context, patientID, hash string) (p identity.Person, ok bool, err error) {
	rows, err := s.pool.Query(ctx, `SELECT m.person_id, m.patient_id, m.method, m.score, m.updated
FROM tributary.mpi_patient p JOIN tributary.mpi_patient m ON m.person_id = p.person_id
WHERE p.patient_id = $1 AND p.hash = $2 ORDER BY m.patient_id`, patientID, hash)
	if err != nil {
		return p, false, fmt.Errorf("store: current person: %w", err)
	}
	var m identity.Member
	var method string
	var updated *time.Time
	_, err = pgx.ForEachRow(rows, []any{&p.ID, &m.PatientID, &method, &m.Score, &updated}, func() error {
		m.Method = identity.Method(method)
		p.Members = append(p.Members, m)
		if updated != nil && updated.After(p.Updated) {
			p.Updated = updated.UTC()
		}
		return nil
	})
	if err != nil {
		return identity.Person{}, false, fmt.Errorf("store: current person: %w", err)
	}
	return p, len(p.Members) > 0, nil
}
