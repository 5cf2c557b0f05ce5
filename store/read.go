package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// A Resource is one version of a resource as the store serves it.
type Resource struct {
	Type        string
	ID          string
	VersionID   int64
	LastUpdated time.Time // UTC, microsecond precision
	Deleted     bool      // this version is a delete
	// JSON is the resource with meta.versionId and meta.lastUpdated set,
	// resourceType, id and meta first, compact; empty when Deleted.
	JSON []byte
}

// Read returns the current version of the resource typ/id. It returns an
// error wrapping [ErrNotFound] when there is none, and one wrapping
// [ErrDeleted], together with the deletion's version, when the resource is
// deleted.
func (s *Store) Read(ctx context.Context, typ, id string) (Resource, error) {
	r := Resource{Type: typ, ID: id}
	var content []byte
	err := s.pool.QueryRow(ctx,
		"SELECT version_id, last_updated, deleted, content FROM tributary.resources WHERE resource_type = $1 AND id = $2",
		typ, id).Scan(&r.VersionID, &r.LastUpdated, &r.Deleted, &content)
	return finish(r, content, err, "read")
}

// VRead returns version of the resource typ/id, with the errors of
// [Store.Read]: [ErrDeleted] when that version is a delete.
func (s *Store) VRead(ctx context.Context, typ, id string, version int64) (Resource, error) {
	r := Resource{Type: typ, ID: id, VersionID: version}
	var content []byte
	err := s.pool.QueryRow(ctx,
		"SELECT last_updated, deleted, content FROM tributary.resource_history WHERE resource_type = $1 AND id = $2 AND version_id = $3",
		typ, id, version).Scan(&r.LastUpdated, &r.Deleted, &content)
	return finish(r, content, err, "vread")
}

func finish(r Resource, content []byte, err error, op string) (Resource, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		return Resource{}, fmt.Errorf("store: %s %s: %w", op, r.Type, ErrNotFound)
	}
	if err != nil {
		return Resource{}, fmt.Errorf("store: %s %s: %w", op, r.Type, err)
	}
	r.LastUpdated = r.LastUpdated.UTC()
	if r.Deleted {
		return r, fmt.Errorf("store: %s %s: %w", op, r.Type, ErrDeleted)
	}
	if r.JSON, err = render(r, content); err != nil {
		return Resource{}, fmt.Errorf("store: %s %s: %w", op, r.Type, err)
	}
	return r, nil
}

// History returns every version of the resource typ/id, newest first,
// deletes included (Deleted set, JSON empty), or an error wrapping
// [ErrNotFound] when there is none.
func (s *Store) History(ctx context.Context, typ, id string) ([]Resource, error) {
	rows, err := s.pool.Query(ctx,
		"SELECT version_id, last_updated, deleted, content FROM tributary.resource_history WHERE resource_type = $1 AND id = $2 ORDER BY version_id DESC",
		typ, id)
	if err != nil {
		return nil, fmt.Errorf("store: history %s: %w", typ, err)
	}
	var rs []Resource
	r := Resource{Type: typ, ID: id}
	var content []byte
	_, err = pgx.ForEachRow(rows, []any{&r.VersionID, &r.LastUpdated, &r.Deleted, &content}, func() error {
		v := r
		v.LastUpdated = v.LastUpdated.UTC()
		if !v.Deleted {
			var err error
			if v.JSON, err = render(v, content); err != nil {
				return err
			}
		}
		rs = append(rs, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: history %s: %w", typ, err)
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("store: history %s: %w", typ, ErrNotFound)
	}
	return rs, nil
}

// Counts counts the rows of one resource type.
type Counts struct {
	Current  int // resources whose current version is not a delete
	Deleted  int // resources whose current version is a delete
	Versions int // versions in history, deletes included
}

// Counts returns the row counts of resource type typ, for tests and
// operators; it scans the type's rows.
func (s *Store) Counts(ctx context.Context, typ string) (Counts, error) {
	var c Counts
	err := s.pool.QueryRow(ctx, `
SELECT (SELECT count(*) FILTER (WHERE NOT deleted) FROM tributary.resources WHERE resource_type = $1),
       (SELECT count(*) FILTER (WHERE deleted) FROM tributary.resources WHERE resource_type = $1),
       (SELECT count(*) FROM tributary.resource_history WHERE resource_type = $1)`, typ).
		Scan(&c.Current, &c.Deleted, &c.Versions)
	if err != nil {
		return Counts{}, fmt.Errorf("store: counts %s: %w", typ, err)
	}
	return c, nil
}

// render returns the stored content of r with meta.versionId and
// meta.lastUpdated set from the columns, which are the only truth about
// them. PostgreSQL returns jsonb with keys by length and spaces after
// colons; render compacts it and puts resourceType, id and meta first.
func render(r Resource, content []byte) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(content, &fields); err != nil {
		return nil, fmt.Errorf("stored content: %w", err)
	}
	var meta map[string]json.RawMessage
	if m, ok := fields["meta"]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, fmt.Errorf("stored meta: %w", err)
		}
	}
	if meta == nil {
		meta = map[string]json.RawMessage{}
	}
	meta["versionId"] = strconv.AppendQuote(nil, strconv.FormatInt(r.VersionID, 10))
	meta["lastUpdated"] = strconv.AppendQuote(nil, r.LastUpdated.UTC().Format(time.RFC3339Nano))
	var err error
	if fields["meta"], err = appendObject(nil, meta, nil); err != nil {
		return nil, err
	}
	return appendObject(make([]byte, 0, len(content)+64), fields, []string{"resourceType", "id", "meta"})
}

// appendObject appends fields as a compact JSON object: the keys of first
// that are present, then the others sorted.
func appendObject(b []byte, fields map[string]json.RawMessage, first []string) ([]byte, error) {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		if !slices.Contains(first, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	buf := bytes.NewBuffer(append(b, '{'))
	n := 0
	for _, k := range append(slices.Clip(first), keys...) {
		v, ok := fields[k]
		if !ok {
			continue
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		kb, _ := json.Marshal(k) // a string always marshals
		buf.Write(kb)
		buf.WriteByte(':')
		if err := json.Compact(buf, v); err != nil {
			return nil, fmt.Errorf("stored content: %w", err)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
