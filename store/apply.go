package store

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir/search"
)

// A Change is one record of the fhir.v1 topic for the store.
type Change struct {
	Topic     string
	Partition int32
	Offset    int64
	Op        event.Op // event.OpUpsert, event.OpDelete, or OpSkip
	Type      string   // resource type, e.g. "Patient"
	ID        string   // resource id
	// SourceTime is when the source says the fact was true; it orders
	// versions. The zero time means unknown.
	SourceTime time.Time
	// SourceKey and SourcePosition order the changes of one source record
	// (a CDC table row) exactly, where SourceTime may not: SourceKey names
	// the record and the scope its positions compare in (a connector and
	// server), SourcePosition is where the change sits in that source's
	// log, in an encoding that orders as bytes (cdc.Position.Key). The
	// store keeps the last position applied per resource and SourceKey;
	// a change with an older position is Stale, with an equal one a
	// Duplicate. Positions under different SourceKeys never compare:
	// between them only SourceTime orders. Either empty: no position.
	SourceKey      string
	SourcePosition string
	EnvelopeID     string // the raw envelope the change came from (provenance)
	// Compartment is the id of the Patient whose compartment the resource
	// is in (the fhir.v1 header "patient"; a Patient's own id); "" means
	// none. It is stored with each version an upsert makes, and also
	// when an Unchanged upsert carries a different one; a delete clears
	// it. See [Store.Compartment].
	Compartment string
	// Resource is the FHIR JSON of an upsert; ignored for a delete. Its
	// meta.versionId and meta.lastUpdated are ignored: the store assigns
	// them. A missing id is taken from ID.
	Resource []byte
	// Merge, when set on an upsert, makes the resource from the current
	// one instead of Resource: Apply calls it in its transaction, with
	// the resource's row locked, passing the current content (after the
	// batch's earlier changes; without meta; nil when the resource is
	// absent or deleted) and stores what it returns. It serves partial
	// updates, such as a claim line that is one item of a claim. An
	// error from Merge fails the call with a [*ChangeError] naming the
	// change. Merge must be a pure function: Apply may call it again.
	Merge func(current []byte) ([]byte, error)
}

// OpSkip is a store-only [event.Op]: a Change with it applies nothing but
// still moves its partition's offset, in the same transaction as the rest
// of the batch. A materializer hands [Store.Apply] the records it
// dead-lettered this way, so that their offsets are stored exactly once
// too. Type, ID and Resource are ignored.
const OpSkip event.Op = "skip"

// ApplyResult counts what [Store.Apply] did with each change.
type ApplyResult struct {
	Created   int // upserts of a resource that was absent or deleted: version 1, or a version after a delete
	Updated   int // upserts that made a new version of a current resource
	Deleted   int // deletes of a current resource
	Unchanged int // upserts equal to the current content, deletes of absent or deleted resources: no new version
	Stale     int // changes whose SourceTime is before the stored resource's, or whose SourcePosition is before the stored one: skipped
	Duplicate int // changes below the group's stored next offset, or with the stored SourcePosition, applied before: skipped
	Skipped   int // OpSkip changes
}

// ErrInvalidChange is wrapped by a [*ChangeError] for a change that can
// never be applied.
var ErrInvalidChange = errors.New("invalid change")

// A ChangeError names a change that [Store.Apply] rejected; none of the
// batch was applied. It is permanent: applying the same change again fails the
// same way, so the caller should dead-letter the record and apply the rest
// of the batch. The error names where, never the content.
type ChangeError struct {
	Topic     string
	Partition int32
	Offset    int64
	Err       error // wraps ErrInvalidChange, or is the error of the change's Merge
}

// Error names the record by topic, partition and offset, and the reason.
func (e *ChangeError) Error() string {
	return fmt.Sprintf("store: change at %s/%d@%d: %v", e.Topic, e.Partition, e.Offset, e.Err)
}

// Unwrap returns e.Err.
func (e *ChangeError) Unwrap() error { return e.Err }

// Permanent reports true: retrying the change cannot succeed.
func (e *ChangeError) Permanent() bool { return true }

// Apply applies changes and advances the consumer offsets of group in one
// database transaction, which makes the materializer an exactly-once sink.
//
// For each (topic, partition) it locks that partition's offset row (so two
// members of a group that briefly both own a partition apply it one after
// the other) and skips changes with an offset below the stored next offset
// (counted as Duplicate), applies the rest in order, and stores next offset
// = last offset + 1. Offsets must increase within a partition in changes;
// gaps are fine. An [OpSkip] change only counts towards the offsets.
//
// Versions only move forward: a change whose SourceTime is before the
// stored resource's latest SourceTime is skipped (Stale); equal or zero
// times apply in offset order. A change with a SourcePosition must also
// be after the last position applied to the resource under its SourceKey:
// before it, it is Stale; equal, a Duplicate (a replay after a restart).
// The position of every change that passes is stored, even when it makes
// no version, and survives deletes. An upsert whose content equals the current
// content, ignoring meta.versionId and meta.lastUpdated, makes no version
// (Unchanged; a later SourceTime is still recorded). Otherwise the version
// id is the previous one + 1 (1 for a new resource), lastUpdated is now, a
// row goes to history, and the resource's search index rows are replaced.
// A delete marks the resource deleted with a new version and removes its
// index rows; deleting an absent or deleted resource does nothing
// (Unchanged).
//
// Each version also stores the change's [Change.Compartment]. A version
// of a Person resource makes the person_link view hold exactly the
// Patients its link[].target references name ("Patient/<id>"), moving
// them from other persons; a Person's delete removes the rows that still
// name it, so a merged-away Person's delete and the survivor's upsert
// converge in either order. Stale and Unchanged Persons leave the view
// alone. See [Store.LinkedPatients].
//
// A change that can never be applied (a malformed change, or one whose
// Merge fails) fails the whole call with a [*ChangeError], and nothing is
// applied. Any other error also means that
// nothing was applied; calling Apply again with the same changes is safe.
// Apply is safe for concurrent use; it does not modify changes.
func (s *Store) Apply(ctx context.Context, group string, changes []Change) (ApplyResult, error) {
	if group == "" {
		return ApplyResult{}, errors.New("store: apply: empty consumer group")
	}
	if len(changes) == 0 {
		return ApplyResult{}, nil
	}
	b := batch{group: group, changes: changes, preps: make([]prepared, len(changes)), last: map[partition]int64{}}
	for i := range changes {
		c := &changes[i]
		k := partition{c.Topic, c.Partition}
		if last, ok := b.last[k]; c.Offset < 0 || ok && c.Offset <= last {
			return ApplyResult{}, fmt.Errorf("store: apply: offsets of %s/%d do not increase", c.Topic, c.Partition)
		}
		b.last[k] = c.Offset
	}
	// Preparing is CPU work and locking is a database round trip: do both
	// at once. Nothing is written before both are done, and Apply does not
	// return while the preparation still reads changes.
	done := make(chan error, 1)
	go func() { done <- prepareAll(changes, b.preps) }()
	waitPrepared := sync.OnceValue(func() error { return <-done })
	var res ApplyResult
	var err error
	for attempt := 1; ; attempt++ {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			next, state, keys, positions, err := b.lock(ctx, tx)
			if err := waitPrepared(); err != nil {
				return err
			}
			if err != nil {
				return fmt.Errorf("lock: %w", err)
			}
			var hist historyRows
			if res, hist, err = b.decide(next, state, positions); err != nil {
				return err
			}
			if err := b.write(ctx, tx, next, state, keys, hist, positions); err != nil {
				return fmt.Errorf("write: %w", err)
			}
			return nil
		})
		// Two batches of different partitions that create one resource
		// at once collide on its key; a deadlock is possible when
		// batches share several new resources. The transaction rolled
		// back, and running it again sees the other batch's rows.
		if attempt == maxAttempts || !(isCode(err, "23505") || isCode(err, "40P01") || isCode(err, "40001")) {
			break
		}
	}
	if err := waitPrepared(); err != nil {
		return ApplyResult{}, err // a *ChangeError
	}
	if err != nil {
		return ApplyResult{}, fmt.Errorf("store: apply: %w", err)
	}
	return res, nil
}

// maxAttempts bounds the transactions of one Apply when concurrent
// batches conflict.
const maxAttempts = 3

type partition struct {
	topic string
	part  int32
}

type key struct{ typ, id string }

// posKey names a stored source position.
type posKey struct{ typ, id, source string }

// A batch is one call of Apply.
type batch struct {
	group   string
	changes []Change
	preps   []prepared
	last    map[partition]int64 // last offset per partition in changes
	moved   []posKey            // source positions decide moved, maybe repeated
}

// hasPosition reports whether c carries a source position.
func hasPosition(c *Change) bool {
	return c.Op != OpSkip && c.SourceKey != "" && c.SourcePosition != ""
}

// current is a resource's state as the batch moves it along.
type current struct {
	exists     bool // a row exists (before the batch, or made by it)
	deleted    bool
	version    int64
	sourceTime time.Time // the latest applied; zero when unknown
	hash       []byte
	oldTokens  string    // index_tokens before the batch: the search_token rows to replace
	versioned  bool      // the batch made a version: write the row
	touched    bool      // only source_time moved
	prep       *prepared // content of the last version; nil when deleted
	envelope   string
	stored     []byte // content before the batch, read only for changes with Merge
	// compartment is resources.compartment ("" for NULL) as the batch
	// moves it along.
	compartment string
	seq         int // index in changes of the change that made the last version
}

const readContents = `
SELECT r.resource_type, r.id, r.content
FROM tributary.resources r
JOIN unnest($1::text[], $2::text[]) AS k(resource_type, id) ON r.resource_type = k.resource_type AND r.id = k.id
WHERE NOT r.deleted`

const lockPositions = `
SELECT p.resource_type, p.id, p.source, p.position
FROM tributary.source_positions p
JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(resource_type, id, source)
    ON p.resource_type = k.resource_type AND p.id = k.id AND p.source = k.source`

const storePositions = `
INSERT INTO tributary.source_positions AS p (resource_type, id, source, position)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
ON CONFLICT (resource_type, id, source) DO UPDATE SET position = EXCLUDED.position`

const lockOffsets = `
INSERT INTO tributary.consumer_offsets AS o (group_id, topic, partition, next_offset)
SELECT $1, p.topic, p.partition, 0 FROM unnest($2::text[], $3::integer[]) AS p(topic, partition)
ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = o.next_offset
RETURNING topic, partition, next_offset`

const lockResources = `
SELECT r.resource_type, r.id, r.version_id, r.source_time, r.deleted, r.content_hash, r.index_tokens, coalesce(r.compartment, '')
FROM tributary.resources r
JOIN unnest($1::text[], $2::text[]) AS k(resource_type, id) ON r.resource_type = k.resource_type AND r.id = k.id
ORDER BY r.resource_type, r.id
FOR UPDATE OF r`

// writeVersions inserts the batch's versions into history and upserts the
// resources to their last version. The resource row takes its content from
// the history row, so PostgreSQL parses each version's JSON once: jsonb
// parsing is the largest single cost of a write.
const writeVersions = `
WITH h AS (
    INSERT INTO tributary.resource_history (resource_type, id, version_id, last_updated, source_time, deleted, content, envelope_id)
    SELECT h.resource_type, h.id, h.version_id, $1, h.source_time, h.deleted, h.content, h.envelope_id
    FROM unnest($2::text[], $3::text[], $4::bigint[], $5::timestamptz[], $6::boolean[], $7::jsonb[], $8::text[])
        AS h(resource_type, id, version_id, source_time, deleted, content, envelope_id)
    RETURNING resource_type, id, version_id, content
)
INSERT INTO tributary.resources AS r (resource_type, id, version_id, last_updated, source_time, deleted, content, content_hash, index_tokens, envelope_id, compartment)
SELECT u.resource_type, u.id, u.version_id, $1, u.source_time, u.deleted, h.content, u.content_hash, u.index_tokens, u.envelope_id, u.compartment
FROM unnest($9::text[], $10::text[], $11::bigint[], $12::timestamptz[], $13::boolean[], $14::bytea[], $15::text[], $16::text[], $17::text[])
    AS u(resource_type, id, version_id, source_time, deleted, content_hash, index_tokens, envelope_id, compartment)
JOIN h ON h.resource_type = u.resource_type AND h.id = u.id AND h.version_id = u.version_id
ON CONFLICT (resource_type, id) DO UPDATE SET
    version_id = EXCLUDED.version_id, last_updated = EXCLUDED.last_updated, source_time = EXCLUDED.source_time,
    deleted = EXCLUDED.deleted, content = EXCLUDED.content, content_hash = EXCLUDED.content_hash,
    index_tokens = EXCLUDED.index_tokens, envelope_id = EXCLUDED.envelope_id, compartment = EXCLUDED.compartment`

const touchResources = `
UPDATE tributary.resources AS r SET source_time = t.source_time, compartment = t.compartment
FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) AS t(resource_type, id, source_time, compartment)
WHERE r.resource_type = t.resource_type AND r.id = t.id`

// deleteTokens deletes rows by primary key: the table needs no second
// index to find a resource's rows.
const deleteTokens = `
DELETE FROM tributary.search_token AS t
USING unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS k(resource_type, resource_id, param, system, code)
WHERE t.resource_type = k.resource_type AND t.param = k.param AND t.code = k.code AND t.system = k.system
    AND t.resource_id = k.resource_id`

const insertTokens = `
INSERT INTO tributary.search_token (resource_type, resource_id, param, system, code)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])`

const storeOffsets = `
UPDATE tributary.consumer_offsets AS o SET next_offset = n.next_offset, updated_at = now()
FROM unnest($2::text[], $3::integer[], $4::bigint[]) AS n(topic, partition, next_offset)
WHERE o.group_id = $1 AND o.topic = n.topic AND o.partition = n.partition`

// lock locks the offset rows of the batch's partitions and the rows of its
// resources, in a fixed order (partitions, then resources, each sorted) so
// that concurrent batches queue instead of deadlocking, and returns the
// stored next offsets and the resources' states.
func (b *batch) lock(ctx context.Context, tx pgx.Tx) (map[partition]int64, map[key]*current, []key, map[posKey]string, error) {
	parts := slices.SortedFunc(maps.Keys(b.last), comparePartitions)
	ptopics, pnums := make([]string, len(parts)), make([]int32, len(parts))
	for i, p := range parts {
		ptopics[i], pnums[i] = p.topic, p.part
	}
	state := map[key]*current{}
	for i := range b.changes {
		if c := &b.changes[i]; c.Op != OpSkip {
			state[key{c.Type, c.ID}] = &current{}
		}
	}
	keys := slices.SortedFunc(maps.Keys(state), compareKeys)
	rtypes, rids := splitKeys(keys)
	positions := map[posKey]string{}
	var ptypes, pids, psources []string
	var mtypes, mids []string
	for i := range b.changes {
		if c := &b.changes[i]; c.Op == event.OpUpsert && c.Merge != nil {
			mtypes, mids = append(mtypes, c.Type), append(mids, c.ID)
		}
	}
	for i := range b.changes {
		if c := &b.changes[i]; hasPosition(c) {
			ptypes, pids, psources = append(ptypes, c.Type), append(pids, c.ID), append(psources, c.SourceKey)
		}
	}

	next := map[partition]int64{}
	q := &pgx.Batch{}
	q.Queue(lockOffsets, b.group, ptopics, pnums).Query(func(rows pgx.Rows) error {
		var p partition
		var n int64
		_, err := pgx.ForEachRow(rows, []any{&p.topic, &p.part, &n}, func() error {
			next[p] = n
			return nil
		})
		return err
	})
	q.Queue(lockResources, rtypes, rids).Query(func(rows pgx.Rows) error {
		var k key
		var c current
		var sourceTime *time.Time
		_, err := pgx.ForEachRow(rows, []any{&k.typ, &k.id, &c.version, &sourceTime, &c.deleted, &c.hash, &c.oldTokens, &c.compartment}, func() error {
			c.exists = true
			c.sourceTime = time.Time{}
			if sourceTime != nil {
				c.sourceTime = *sourceTime
			}
			*state[k] = c
			return nil
		})
		return err
	})
	if len(mtypes) > 0 {
		q.Queue(readContents, mtypes, mids).Query(func(rows pgx.Rows) error {
			var k key
			var content []byte
			_, err := pgx.ForEachRow(rows, []any{&k.typ, &k.id, &content}, func() error {
				state[k].stored = content
				return nil
			})
			return err
		})
	}
	if len(ptypes) > 0 {
		// The resource rows locked above serialize the position rows of
		// existing resources; new ones collide on their resource key.
		q.Queue(lockPositions, ptypes, pids, psources).Query(func(rows pgx.Rows) error {
			var k posKey
			var pos string
			_, err := pgx.ForEachRow(rows, []any{&k.typ, &k.id, &k.source, &pos}, func() error {
				positions[k] = pos
				return nil
			})
			return err
		})
	}
	if err := tx.SendBatch(ctx, q).Close(); err != nil {
		return nil, nil, nil, nil, err
	}
	return next, state, keys, positions, nil
}

// decide walks the changes in order, moving state along, and returns the
// counts and the history rows to write.
// positions holds the stored source positions; decide moves them along
// and lists the moved ones in b.moved for write.
//
// It fails with a *ChangeError when a change's Merge does.
func (b *batch) decide(next map[partition]int64, state map[key]*current, positions map[posKey]string) (ApplyResult, historyRows, error) {
	b.moved = b.moved[:0] // a retried transaction decides again
	var res ApplyResult
	var hist historyRows
	for i := range b.changes {
		c, p := &b.changes[i], &b.preps[i]
		if c.Offset < next[partition{c.Topic, c.Partition}] {
			res.Duplicate++
			continue
		}
		if c.Op == OpSkip {
			res.Skipped++
			continue
		}
		cur := state[key{c.Type, c.ID}]
		var pk posKey
		if hasPosition(c) {
			pk = posKey{c.Type, c.ID, c.SourceKey}
			if stored, ok := positions[pk]; ok {
				switch cmp.Compare(c.SourcePosition, stored) {
				case -1:
					res.Stale++
					continue
				case 0:
					res.Duplicate++
					continue
				}
			}
		}
		if cur.exists && !c.SourceTime.IsZero() && c.SourceTime.Before(cur.sourceTime) {
			res.Stale++
			continue
		}
		if hasPosition(c) {
			positions[pk] = c.SourcePosition
			b.moved = append(b.moved, pk)
		}
		newer := c.SourceTime.After(cur.sourceTime) // false for a zero time
		switch c.Op {
		case event.OpUpsert:
			if c.Merge != nil {
				var err error
				if p, err = b.merge(i, cur); err != nil {
					return res, hist, err
				}
			}
			if cur.exists && !cur.deleted && bytes.Equal(cur.hash, p.hash) {
				res.Unchanged++
				if newer {
					cur.sourceTime, cur.touched = c.SourceTime, true
				}
				if c.Compartment != cur.compartment {
					cur.compartment, cur.touched = c.Compartment, true
				}
				continue
			}
			if cur.exists && !cur.deleted {
				res.Updated++
			} else {
				res.Created++
			}
			cur.deleted, cur.hash, cur.prep, cur.compartment = false, p.hash, p, c.Compartment
		case event.OpDelete:
			if !cur.exists || cur.deleted {
				res.Unchanged++
				if newer && cur.exists {
					cur.sourceTime, cur.touched = c.SourceTime, true
				}
				continue
			}
			res.Deleted++
			cur.deleted, cur.hash, cur.prep, cur.compartment = true, nil, nil, ""
		}
		cur.exists, cur.versioned, cur.envelope, cur.seq = true, true, c.EnvelopeID, i
		cur.version++
		if newer {
			cur.sourceTime = c.SourceTime
		}
		hist.add(c, cur)
	}
	return res, hist, nil
}

// merge runs changes[i].Merge on the resource's current content and
// prepares the result in preps[i].
func (b *batch) merge(i int, cur *current) (*prepared, error) {
	c := &b.changes[i]
	var base []byte
	if cur.exists && !cur.deleted {
		if cur.prep != nil {
			base = cur.prep.content
		} else {
			base = cur.stored
		}
	}
	merged, err := c.Merge(base)
	if err == nil {
		b.preps[i], err = prepare(&Change{Op: event.OpUpsert, Type: c.Type, ID: c.ID, Resource: merged})
	}
	if err != nil {
		return nil, &ChangeError{Topic: c.Topic, Partition: c.Partition, Offset: c.Offset, Err: err}
	}
	return &b.preps[i], nil
}

// write sends every write of the batch in one round trip.
func (b *batch) write(ctx context.Context, tx pgx.Tx, next map[partition]int64, state map[key]*current, keys []key, hist historyRows, positions map[posKey]string) error {
	q := &pgx.Batch{}
	if len(b.moved) > 0 {
		var ptypes, pids, psources, ppos []string
		seen := map[posKey]bool{}
		for _, k := range b.moved {
			if !seen[k] {
				seen[k] = true
				ptypes, pids, psources, ppos = append(ptypes, k.typ), append(pids, k.id), append(psources, k.source), append(ppos, positions[k])
			}
		}
		q.Queue(storePositions, ptypes, pids, psources, ppos)
	}
	var up resourceRows
	var touched []key
	var oldTok, newTok tokenRows
	for _, k := range keys {
		cur := state[k]
		if !cur.versioned {
			if cur.touched {
				touched = append(touched, k)
			}
			continue
		}
		up.add(k, cur)
		tokens := ""
		if cur.prep != nil {
			tokens = cur.prep.tokens
		}
		if tokens == cur.oldTokens {
			continue // most updates change no identifier: keep their index rows
		}
		old, err := decodeTokens(cur.oldTokens)
		if err != nil {
			return err
		}
		oldTok.add(k, old)
		if cur.prep != nil {
			newTok.add(k, cur.prep.index.Tokens)
		}
	}
	if len(up.types) > 0 { // then hist has rows too
		// PostgreSQL keeps microseconds.
		now := time.Now().UTC().Truncate(time.Microsecond)
		q.Queue(writeVersions, now, hist.types, hist.ids, hist.versions, hist.sourceTimes, hist.deleted, hist.contents, hist.envelopes,
			up.types, up.ids, up.versions, up.sourceTimes, up.deleted, up.hashes, up.tokens, up.envelopes, up.compartments)
	}
	if len(touched) > 0 {
		ttypes, tids := splitKeys(touched)
		times := make([]*time.Time, len(touched))
		compartments := make([]*string, len(touched))
		for i, k := range touched {
			times[i], compartments[i] = nullTime(state[k].sourceTime), nullString(state[k].compartment)
		}
		q.Queue(touchResources, ttypes, tids, times, compartments)
	}
	if len(oldTok.types) > 0 {
		q.Queue(deleteTokens, oldTok.types, oldTok.ids, oldTok.params, oldTok.systems, oldTok.codes)
	}
	if len(newTok.types) > 0 {
		q.Queue(insertTokens, newTok.types, newTok.ids, newTok.params, newTok.systems, newTok.codes)
	}
	if persons, pairs := personLinkRows(keys, state); len(persons) > 0 {
		q.Queue(unlinkPersons, persons, pairs.persons, pairs.patients)
		if len(pairs.patients) > 0 {
			q.Queue(linkPersons, pairs.patients, pairs.persons)
		}
	}
	var otopics []string
	var onums []int32
	var onext []int64
	for p, last := range b.last {
		if n := last + 1; n > next[p] {
			otopics, onums, onext = append(otopics, p.topic), append(onums, p.part), append(onext, n)
		}
	}
	if len(otopics) > 0 {
		q.Queue(storeOffsets, b.group, otopics, onums, onext)
	}
	if q.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, q).Close()
}

// unlinkPersons deletes the person_link rows of the Persons $1 that the
// pairs ($2 person, $3 patient) do not keep: all rows of a deleted Person.
// Only rows still naming the Person go, so a merged-away Person's delete
// and the survivor's upsert converge in either order.
const unlinkPersons = `
DELETE FROM tributary.person_link AS l
WHERE l.person_id = ANY($1::text[])
    AND NOT EXISTS (SELECT 1 FROM unnest($2::text[], $3::text[]) AS k(person_id, patient_id)
        WHERE k.person_id = l.person_id AND k.patient_id = l.patient_id)`

// linkPersons puts each Patient $1 in the person $2: a Patient moves
// between persons.
const linkPersons = `
INSERT INTO tributary.person_link AS l (patient_id, person_id)
SELECT * FROM unnest($1::text[], $2::text[])
ON CONFLICT (patient_id) DO UPDATE SET person_id = EXCLUDED.person_id
WHERE l.person_id <> EXCLUDED.person_id`

// linkRows are person_link rows as columns.
type linkRows struct{ persons, patients []string }

// personLinkRows returns the Person resources the batch made a version
// of, and the person_link rows of their last versions, ordered by
// patient. Only versions count: a Stale or Unchanged Person leaves
// person_link alone. A Patient that several Persons of the batch name
// goes to the one whose last version comes last in the batch, as if the
// batch's Persons were applied one by one (intermediate versions of one
// Person within a batch are not replayed: only its last version counts).
func personLinkRows(keys []key, state map[key]*current) ([]string, linkRows) {
	var persons []string
	type claim struct {
		person string
		seq    int
	}
	claims := map[string]claim{}
	for _, k := range keys {
		cur := state[k]
		if k.typ != "Person" || !cur.versioned {
			continue
		}
		persons = append(persons, k.id)
		if cur.prep == nil { // deleted
			continue
		}
		for _, patient := range cur.prep.links {
			if c, ok := claims[patient]; !ok || c.seq < cur.seq {
				claims[patient] = claim{k.id, cur.seq}
			}
		}
	}
	var rows linkRows
	for _, patient := range slices.Sorted(maps.Keys(claims)) {
		rows.patients = append(rows.patients, patient)
		rows.persons = append(rows.persons, claims[patient].person)
	}
	return persons, rows
}

// historyRows, resourceRows and tokenRows are columns for unnest: one
// array per column is one parameter per column, however many rows.
type historyRows struct {
	types, ids, envelopes []string
	versions              []int64
	sourceTimes           []*time.Time
	deleted               []bool
	contents              [][]byte
}

func (h *historyRows) add(c *Change, cur *current) {
	h.types = append(h.types, c.Type)
	h.ids = append(h.ids, c.ID)
	h.versions = append(h.versions, cur.version)
	h.sourceTimes = append(h.sourceTimes, nullTime(c.SourceTime)) // this version's own time
	h.deleted = append(h.deleted, cur.deleted)
	var content []byte
	if cur.prep != nil {
		content = cur.prep.content
	}
	h.contents = append(h.contents, content)
	h.envelopes = append(h.envelopes, c.EnvelopeID)
}

type resourceRows struct {
	types, ids, tokens, envelopes []string
	compartments                  []*string
	versions                      []int64
	sourceTimes                   []*time.Time
	deleted                       []bool
	hashes                        [][]byte
}

func (r *resourceRows) add(k key, cur *current) {
	r.types = append(r.types, k.typ)
	r.ids = append(r.ids, k.id)
	r.versions = append(r.versions, cur.version)
	r.sourceTimes = append(r.sourceTimes, nullTime(cur.sourceTime))
	r.deleted = append(r.deleted, cur.deleted)
	r.hashes = append(r.hashes, cur.hash)
	tokens := ""
	if cur.prep != nil {
		tokens = cur.prep.tokens
	}
	r.tokens = append(r.tokens, tokens)
	r.envelopes = append(r.envelopes, cur.envelope)
	r.compartments = append(r.compartments, nullString(cur.compartment))
}

type tokenRows struct {
	types, ids, params, systems, codes []string
}

func (t *tokenRows) add(k key, entries []search.TokenEntry) {
	for _, e := range entries {
		t.types = append(t.types, k.typ)
		t.ids = append(t.ids, k.id)
		t.params = append(t.params, e.Param)
		t.systems = append(t.systems, e.System)
		t.codes = append(t.codes, e.Code)
	}
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func compareKeys(a, b key) int {
	return cmp.Or(cmp.Compare(a.typ, b.typ), cmp.Compare(a.id, b.id))
}

func comparePartitions(a, b partition) int {
	return cmp.Or(cmp.Compare(a.topic, b.topic), cmp.Compare(a.part, b.part))
}

func splitKeys(keys []key) (types, ids []string) {
	types, ids = make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		types[i], ids[i] = k.typ, k.id
	}
	return types, ids
}

// Offsets returns the next offset to consume for every partition of topic
// whose offset group has stored: where a restarted materializer resumes.
// Partitions never applied are absent.
func (s *Store) Offsets(ctx context.Context, group, topic string) (map[int32]int64, error) {
	rows, err := s.pool.Query(ctx, "SELECT partition, next_offset FROM tributary.consumer_offsets WHERE group_id = $1 AND topic = $2", group, topic)
	if err != nil {
		return nil, fmt.Errorf("store: offsets: %w", err)
	}
	offsets := map[int32]int64{}
	var p int32
	var n int64
	if _, err := pgx.ForEachRow(rows, []any{&p, &n}, func() error {
		offsets[p] = n
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store: offsets: %w", err)
	}
	return offsets, nil
}
