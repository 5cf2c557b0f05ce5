package store_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/store"
	"github.com/tributary-health/tributary/store/storetest"
)

// TestCDCSourcePositions checks ordering by source position: older is
// stale, equal a duplicate, whatever the offsets and source times say;
// positions under another source key never compare; and the positions
// survive a delete and a reopened store.
func TestCDCSourcePositions(t *testing.T) {
	t.Parallel()
	u := storetest.NewDatabase(t)
	s, err := store.Open(t.Context(), store.Config{URL: u})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	id := fhir.ID("Patient", mrnSys, "M1")
	t1 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	row, other := "db2/payer/commit_lsn|MEMBER/abc", "copybook/mainframe/file,record|MEMBER/abc"
	pos := func(c store.Change, source, p string, ts time.Time) store.Change {
		c.SourceKey, c.SourcePosition, c.SourceTime = source, p, ts
		return c
	}
	tests := []struct {
		name    string
		change  store.Change
		want    store.ApplyResult
		version int64
		deleted bool
		family  string
	}{
		{"create at p2", pos(upsert(0, 0, "M1", "Alpha"), row, "p2", t1), store.ApplyResult{Created: 1}, 1, false, "Alpha"},
		{"p1 is stale though later in time", pos(upsert(0, 0, "M1", "Old"), row, "p1", t1.Add(time.Hour)), store.ApplyResult{Stale: 1}, 1, false, "Alpha"},
		{"p2 again is a duplicate", pos(upsert(0, 0, "M1", "Again"), row, "p2", t1), store.ApplyResult{Duplicate: 1}, 1, false, "Alpha"},
		{"p3 updates", pos(upsert(0, 0, "M1", "Beta"), row, "p3", t1), store.ApplyResult{Updated: 1}, 2, false, "Beta"},
		{"another source's p0 falls back to time", pos(upsert(0, 0, "M1", "Gamma"), other, "p0", t1.Add(time.Minute)), store.ApplyResult{Updated: 1}, 3, false, "Gamma"},
		{"another source's older time is stale", pos(upsert(0, 0, "M1", "Early"), other, "p9", t1), store.ApplyResult{Stale: 1}, 3, false, "Gamma"},
		{"p4 deletes", pos(del(0, 0, "M1"), row, "p4", t1.Add(time.Minute)), store.ApplyResult{Deleted: 1}, 4, true, ""},
		{"p3 replayed after the delete is stale", pos(upsert(0, 0, "M1", "Beta"), row, "p3", t1.Add(time.Minute)), store.ApplyResult{Stale: 1}, 4, true, ""},
		{"p5 recreates", pos(upsert(0, 0, "M1", "Delta"), row, "p5", t1.Add(time.Minute)), store.ApplyResult{Created: 1}, 5, false, "Delta"},
		{"p6 unchanged records its position", pos(upsert(0, 0, "M1", "Delta"), row, "p6", t1.Add(time.Minute)), store.ApplyResult{Unchanged: 1}, 5, false, "Delta"},
	}
	for i, tt := range tests {
		tt.change.Offset = int64(i)
		got := apply(t, s, tt.change)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: ApplyResult (-want +got):\n%s", tt.name, diff)
		}
		r, err := s.Read(ctx, "Patient", id)
		if tt.deleted {
			if err == nil {
				t.Errorf("%s: Read of a deleted resource succeeded", tt.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: Read: %v", tt.name, err)
		}
		if family, _ := decode(t, r); r.VersionID != tt.version || family != tt.family {
			t.Errorf("%s: Read = version %d %s, want %d %s", tt.name, r.VersionID, family, tt.version, tt.family)
		}
	}
	s.Close()

	// After a restart (a new store on the same database), and in one
	// batch: p6 is a duplicate, p5 stale, p7 applies, then p7 again is a
	// duplicate within the batch.
	s, err = store.Open(ctx, store.Config{URL: u})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := int64(len(tests))
	batch := []store.Change{
		pos(upsert(0, n, "M1", "Replayed"), row, "p6", t1.Add(time.Hour)),
		pos(upsert(0, n+1, "M1", "Late"), row, "p5", t1.Add(time.Hour)),
		pos(upsert(0, n+2, "M1", "Epsilon"), row, "p7", t1.Add(time.Hour)),
		pos(upsert(0, n+3, "M1", "Zeta"), row, "p7", t1.Add(time.Hour)),
		{Topic: topic, Partition: 0, Offset: n + 4, Op: event.OpDelete, Type: "Patient", ID: id, SourceKey: row}, // no position: by time
	}
	got := apply(t, s, batch...)
	if diff := cmp.Diff(store.ApplyResult{Duplicate: 2, Stale: 1, Updated: 1, Deleted: 1}, got); diff != "" {
		t.Errorf("batch after restart: ApplyResult (-want +got):\n%s", diff)
	}
	h, err := s.History(ctx, "Patient", id)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 7 {
		t.Errorf("History has %d versions, want 7", len(h))
	}
}

// TestCDCMerge checks Change.Merge: it sees the content after the
// batch's earlier changes (or the stored one, or nil), its result is
// stored like an upsert's, and its error names the change.
func TestCDCMerge(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t)
	id := fhir.ID("Patient", mrnSys, "M1")
	var seen []string
	rename := func(family string) func([]byte) ([]byte, error) {
		return func(cur []byte) ([]byte, error) {
			seen = append(seen, string(cur))
			if cur == nil {
				return nil, errNoParent
			}
			return bytes.Replace(cur, []byte(`"Alpha"`), []byte(`"`+family+`"`), 1), nil
		}
	}
	merge := func(offset int64, family string) store.Change {
		return store.Change{Topic: topic, Offset: offset, Op: event.OpUpsert, Type: "Patient", ID: id, Merge: rename(family)}
	}
	// Absent: the merge fails, nothing is applied.
	_, err := s.Apply(t.Context(), group, []store.Change{merge(0, "X")})
	if ce, ok := errors.AsType[*store.ChangeError](err); !ok || ce.Offset != 0 || !errors.Is(err, errNoParent) {
		t.Fatalf("merge on an absent resource: %v", err)
	}
	// Created earlier in the same batch, then merged: one version each.
	got := apply(t, s, upsert(0, 0, "M1", "Alpha"), merge(1, "Beta"))
	if diff := cmp.Diff(store.ApplyResult{Created: 1, Updated: 1}, got); diff != "" {
		t.Errorf("create + merge (-want +got):\n%s", diff)
	}
	// A merge on the stored content; it has no "Alpha" now: unchanged.
	got = apply(t, s, merge(2, "Gamma"))
	if diff := cmp.Diff(store.ApplyResult{Unchanged: 1}, got); diff != "" {
		t.Errorf("merge on stored (-want +got):\n%s", diff)
	}
	r, err := s.Read(t.Context(), "Patient", id)
	if err != nil {
		t.Fatal(err)
	}
	if family, _ := decode(t, r); family != "Beta" || r.VersionID != 2 {
		t.Errorf("Read = %s version %d, want Beta version 2", family, r.VersionID)
	}
	if len(seen) < 3 || seen[len(seen)-1] == "" || !bytes.Contains([]byte(seen[len(seen)-1]), []byte("Beta")) {
		t.Errorf("Merge saw %q", seen)
	}
}

var errNoParent = errors.New("no parent")
