package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/fhir/search"
	"github.com/tributary-health/tributary/store"
	"github.com/tributary-health/tributary/store/storetest"
)

const (
	topic  = "tributary.fhir.v1"
	group  = "materializer"
	mrnSys = "urn:oid:2.16.840.1.113883.19.5"
)

// patient returns synthetic Patient JSON with one MRN and the given family
// name.
func patient(mrn, family string) []byte {
	return fmt.Appendf(nil, `{"resourceType":"Patient","id":%q,"identifier":[{"system":%q,"value":%q}],"name":[{"family":%q,"given":["Alex"]}],"gender":"unknown"}`,
		fhir.ID("Patient", mrnSys, mrn), mrnSys, mrn, family)
}

func upsert(part int32, offset int64, mrn, family string) store.Change {
	return store.Change{Topic: topic, Partition: part, Offset: offset, Op: event.OpUpsert, Type: "Patient",
		ID: fhir.ID("Patient", mrnSys, mrn), EnvelopeID: fmt.Sprintf("env-%d-%d", part, offset), Resource: patient(mrn, family)}
}

func del(part int32, offset int64, mrn string) store.Change {
	return store.Change{Topic: topic, Partition: part, Offset: offset, Op: event.OpDelete, Type: "Patient",
		ID: fhir.ID("Patient", mrnSys, mrn)}
}

func at(c store.Change, t time.Time) store.Change {
	c.SourceTime = t
	return c
}

func apply(t *testing.T, s *store.Store, changes ...store.Change) store.ApplyResult {
	t.Helper()
	res, err := s.Apply(t.Context(), group, changes)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return res
}

func checkResult(t *testing.T, want, got store.ApplyResult) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ApplyResult (-want +got):\n%s", diff)
	}
}

func checkCounts(t *testing.T, s *store.Store, want store.Counts) {
	t.Helper()
	got, err := s.Counts(t.Context(), "Patient")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
}

// family returns the family name and meta of a read resource.
func decode(t *testing.T, r store.Resource) (family string, meta map[string]any) {
	t.Helper()
	var p struct {
		ResourceType string
		ID           string
		Meta         map[string]any
		Name         []struct{ Family string }
	}
	if err := json.Unmarshal(r.JSON, &p); err != nil {
		t.Fatalf("resource JSON: %v", err)
	}
	if p.ResourceType != r.Type || p.ID != r.ID || len(p.Name) != 1 {
		t.Fatalf("resource JSON %s is not %s/%s with one name", r.JSON, r.Type, r.ID)
	}
	return p.Name[0].Family, p.Meta
}

func TestVersionsAndReads(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t)
	ctx := t.Context()
	id := fhir.ID("Patient", mrnSys, "M1")
	before := time.Now().UTC().Add(-time.Second)

	checkResult(t, store.ApplyResult{Created: 1}, apply(t, s, upsert(0, 0, "M1", "Alpha")))
	r, err := s.Read(ctx, "Patient", id)
	if err != nil {
		t.Fatal(err)
	}
	if r.VersionID != 1 || r.Deleted || r.LastUpdated.Before(before) || r.LastUpdated.Location() != time.UTC {
		t.Errorf("Read = version %d, deleted %v, lastUpdated %v", r.VersionID, r.Deleted, r.LastUpdated)
	}
	family, meta := decode(t, r)
	if family != "Alpha" || meta["versionId"] != "1" || meta["lastUpdated"] != r.LastUpdated.Format(time.RFC3339Nano) {
		t.Errorf("Read JSON = %s", r.JSON)
	}
	if !bytes.HasPrefix(r.JSON, []byte(`{"resourceType":"Patient","id":"`+id+`","meta":{`)) {
		t.Errorf("Read JSON does not start with resourceType, id, meta: %s", r.JSON)
	}
	if _, err := unmarshaller(t).Unmarshal(r.JSON); err != nil {
		t.Errorf("Read JSON is not valid FHIR R4: %v", err)
	}

	// Two versions in one batch: both reach history.
	checkResult(t, store.ApplyResult{Updated: 2}, apply(t, s, upsert(0, 1, "M1", "Beta"), upsert(0, 2, "M1", "Gamma")))
	for v, want := range map[int64]string{1: "Alpha", 2: "Beta", 3: "Gamma"} {
		r, err := s.VRead(ctx, "Patient", id, v)
		if err != nil {
			t.Fatalf("VRead %d: %v", v, err)
		}
		if family, meta := decode(t, r); family != want || meta["versionId"] != fmt.Sprint(v) || r.VersionID != v {
			t.Errorf("VRead %d = %s", v, r.JSON)
		}
	}
	if r, err := s.Read(ctx, "Patient", id); err != nil || r.VersionID != 3 {
		t.Errorf("Read after updates = version %d, %v; want 3", r.VersionID, err)
	}
	h, err := s.History(ctx, "Patient", id)
	if err != nil || len(h) != 3 || h[0].VersionID != 3 || h[2].VersionID != 1 {
		t.Errorf("History = %d versions, %v; want 3, newest first", len(h), err)
	}
	checkCounts(t, s, store.Counts{Current: 1, Versions: 3})

	for _, tt := range []struct {
		name string
		err  error
		call func() error
	}{
		{"read unknown", store.ErrNotFound, func() error { _, err := s.Read(ctx, "Patient", "nope"); return err }},
		{"read other type", store.ErrNotFound, func() error { _, err := s.Read(ctx, "Observation", id); return err }},
		{"vread unknown version", store.ErrNotFound, func() error { _, err := s.VRead(ctx, "Patient", id, 4); return err }},
		{"history unknown", store.ErrNotFound, func() error { _, err := s.History(ctx, "Patient", "nope"); return err }},
	} {
		if err := tt.call(); !errors.Is(err, tt.err) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.err)
		}
	}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t)
	ctx := t.Context()
	id := fhir.ID("Patient", mrnSys, "M1")
	byMRN := search.Query{Type: "Patient", Count: 10, Clauses: []search.Clause{{Param: identifierParam(t), Tokens: []search.TokenMatch{{System: mrnSys, Code: "M1"}}}}}

	apply(t, s, upsert(0, 0, "M1", "Alpha"))
	checkResult(t, store.ApplyResult{Deleted: 1}, apply(t, s, del(0, 1, "M1")))
	r, err := s.Read(ctx, "Patient", id)
	if !errors.Is(err, store.ErrDeleted) || !r.Deleted || r.VersionID != 2 || len(r.JSON) != 0 {
		t.Errorf("Read deleted = %+v, %v; want version 2, deleted, ErrDeleted", r, err)
	}
	if _, err := s.VRead(ctx, "Patient", id, 2); !errors.Is(err, store.ErrDeleted) {
		t.Errorf("VRead of the delete = %v, want ErrDeleted", err)
	}
	if _, err := s.VRead(ctx, "Patient", id, 1); err != nil {
		t.Errorf("VRead of the version before the delete: %v", err)
	}
	if p, err := s.Search(ctx, byMRN); err != nil || p.Total != 0 || len(p.Resources) != 0 {
		t.Errorf("Search finds a deleted resource: %+v, %v", p, err)
	}
	// Deleting again, or deleting what never was, makes no version.
	checkResult(t, store.ApplyResult{Unchanged: 2}, apply(t, s, del(0, 2, "M1"), del(0, 3, "NEVER")))
	checkCounts(t, s, store.Counts{Deleted: 1, Versions: 2})

	// An upsert brings it back, indexed again.
	checkResult(t, store.ApplyResult{Created: 1}, apply(t, s, upsert(0, 4, "M1", "Alpha")))
	if r, err := s.Read(ctx, "Patient", id); err != nil || r.VersionID != 3 {
		t.Errorf("Read after re-create = version %d, %v; want 3", r.VersionID, err)
	}
	if p, err := s.Search(ctx, byMRN); err != nil || p.Total != 1 {
		t.Errorf("Search after re-create: total %d, %v", p.Total, err)
	}
	checkCounts(t, s, store.Counts{Current: 1, Versions: 3})
}

func TestExactlyOnce(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t)
	ctx := t.Context()
	batch := []store.Change{upsert(0, 10, "M1", "A"), upsert(1, 5, "M2", "A"), upsert(0, 11, "M3", "A")}
	checkResult(t, store.ApplyResult{Created: 3}, apply(t, s, batch...))
	checkResult(t, store.ApplyResult{Duplicate: 3}, apply(t, s, batch...))
	checkCounts(t, s, store.Counts{Current: 3, Versions: 3})

	// A batch overlapping the last: the old part is skipped, the rest applied.
	checkResult(t, store.ApplyResult{Duplicate: 1, Updated: 1, Created: 1},
		apply(t, s, upsert(0, 11, "M3", "B"), upsert(0, 12, "M1", "B"), upsert(0, 14, "M4", "B")))
	offsets, err := s.Offsets(ctx, group, topic)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[int32]int64{0: 15, 1: 6}, offsets); diff != "" {
		t.Errorf("Offsets (-want +got):\n%s", diff)
	}
	// Offsets are per group and per topic.
	if o, err := s.Offsets(ctx, "other", topic); err != nil || len(o) != 0 {
		t.Errorf("Offsets of another group = %v, %v", o, err)
	}
	if o, err := s.Offsets(ctx, group, "other"); err != nil || len(o) != 0 {
		t.Errorf("Offsets of another topic = %v, %v", o, err)
	}
	if r, err := s.Apply(ctx, "other", batch); err != nil || r.Duplicate != 0 {
		t.Errorf("another group's Apply = %+v, %v; want no duplicates", r, err)
	}

	// A skipped (dead-lettered) record moves the offset and nothing else,
	// even when it comes last; skipping it again is a duplicate.
	skip := store.Change{Topic: topic, Partition: 1, Offset: 9, Op: store.OpSkip, Type: "not a type", ID: "not/an/id"}
	checkResult(t, store.ApplyResult{Created: 1, Skipped: 1}, apply(t, s, upsert(1, 8, "M9", "A"), skip))
	checkResult(t, store.ApplyResult{Duplicate: 1}, apply(t, s, skip))
	if o, err := s.Offsets(ctx, group, topic); err != nil || o[1] != 10 {
		t.Errorf("Offsets after a skip = %v, %v; want partition 1 at 10", o, err)
	}
	checkCounts(t, s, store.Counts{Current: 5, Versions: 7}) // "other" re-applied M1 as it was
}

// Two appliers of one partition (a rebalance overlap) apply a batch once
// between them: the partition's offset row serializes them.
func TestConcurrentApplyOfOnePartition(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t)
	var batch []store.Change
	for i := range 50 {
		batch = append(batch, upsert(3, int64(i), fmt.Sprint("M", i), "A"))
	}
	results := make([]store.ApplyResult, 4)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			var err error
			if results[i], err = s.Apply(context.Background(), group, batch); err != nil {
				t.Errorf("Apply: %v", err)
			}
		})
	}
	wg.Wait()
	var sum store.ApplyResult
	for _, r := range results {
		sum.Created += r.Created
		sum.Duplicate += r.Duplicate
	}
	checkResult(t, store.ApplyResult{Created: 50, Duplicate: 150}, sum)
	checkCounts(t, s, store.Counts{Current: 50, Versions: 50})
}

// Batches of different partitions that create the same resources at once
// both apply: one makes version 1, the other version 2.
func TestConcurrentCreatesOfOneResource(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t)
	for round := range 5 {
		batches := make([][]store.Change, 2)
		for p := range batches {
			for i := range 20 {
				batches[p] = append(batches[p], upsert(int32(p), int64(round*20+i), fmt.Sprint("R", round, "-", i), fmt.Sprint("From", p)))
			}
		}
		var wg sync.WaitGroup
		for _, b := range batches {
			wg.Go(func() {
				if _, err := s.Apply(context.Background(), group, b); err != nil {
					t.Errorf("round %d: Apply: %v", round, err)
				}
			})
		}
		wg.Wait()
	}
	checkCounts(t, s, store.Counts{Current: 100, Versions: 200})
}

func TestStaleAndUnchanged(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t)
	ctx := t.Context()
	id := fhir.ID("Patient", mrnSys, "M1")
	t1 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	t2, t3 := t1.Add(time.Hour), t1.Add(2*time.Hour)
	reordered := upsert(0, 0, "M1", "Alpha")
	reordered.Resource = fmt.Appendf(nil, `{"meta":{"versionId":"77","lastUpdated":"2020-01-01T00:00:00Z"},"gender":"unknown","name":[{"given":["Alex"],"family":"Alpha"}],"identifier":[{"value":"M1","system":%q}],"id":%q,"resourceType":"Patient"}`, mrnSys, id)
	labelled := upsert(0, 0, "M1", "Alpha")
	labelled.Resource = bytes.Replace(labelled.Resource, []byte(`"gender"`), []byte(`"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},"gender"`), 1)

	tests := []struct {
		name    string
		change  store.Change
		want    store.ApplyResult
		version int64
		family  string
	}{
		{"create at t2", at(upsert(0, 0, "M1", "Alpha"), t2), store.ApplyResult{Created: 1}, 1, "Alpha"},
		{"older is stale", at(upsert(0, 1, "M1", "Old"), t1), store.ApplyResult{Stale: 1}, 1, "Alpha"},
		{"older delete is stale", at(del(0, 2, "M1"), t1), store.ApplyResult{Stale: 1}, 1, "Alpha"},
		{"equal time applies", at(upsert(0, 3, "M1", "Beta"), t2), store.ApplyResult{Updated: 1}, 2, "Beta"},
		{"unknown time applies", upsert(0, 4, "M1", "Gamma"), store.ApplyResult{Updated: 1}, 3, "Gamma"},
		{"back to Alpha, keys reordered, with store meta", at(reordered, t3), store.ApplyResult{Updated: 1}, 4, "Alpha"},
		{"same content in another key order, without meta, at t3", at(upsert(0, 6, "M1", "Alpha"), t3), store.ApplyResult{Unchanged: 1}, 4, "Alpha"},
		// The unchanged upsert at t3 moved the source time: t2 is now old.
		{"after an unchanged t3, t2 is stale", at(upsert(0, 7, "M1", "Delta"), t2), store.ApplyResult{Stale: 1}, 4, "Alpha"},
		{"a security label is a change", labelled, store.ApplyResult{Updated: 1}, 5, "Alpha"},
	}
	for i, tt := range tests {
		tt.change.Offset = int64(i)
		got := apply(t, s, tt.change)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: ApplyResult (-want +got):\n%s", tt.name, diff)
		}
		r, err := s.Read(ctx, "Patient", id)
		if err != nil {
			t.Fatalf("%s: Read: %v", tt.name, err)
		}
		if family, _ := decode(t, r); r.VersionID != tt.version || family != tt.family {
			t.Errorf("%s: Read = version %d %s, want %d %s", tt.name, r.VersionID, family, tt.version, tt.family)
		}
	}
	checkCounts(t, s, store.Counts{Current: 1, Versions: 5})
}

func TestContentIsKeptAsWritten(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t)
	c := upsert(0, 0, "M1", "A")
	c.Resource = []byte(`{"resourceType":"Patient","identifier":[{"value":"M1"}],"extension":[{"url":"http://example.org/x","valueDecimal":1.50}],"name":[{"text":"<b>&</b>"}]}`)
	apply(t, s, c)
	r, err := s.Read(t.Context(), "Patient", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"id":"` + c.ID + `"`, `"valueDecimal":1.50`, `"text":"<b>&</b>"`} {
		if !bytes.Contains(r.JSON, []byte(want)) {
			t.Errorf("Read JSON %s lacks %s", r.JSON, want)
		}
	}
}

func TestInvalidChanges(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t)
	good := upsert(0, 0, "M1", "A")
	tests := []struct {
		name   string
		mutate func(*store.Change)
	}{
		{"bad op", func(c *store.Change) { c.Op = "merge" }},
		{"bad type", func(c *store.Change) { c.Type = "patient" }},
		{"bad id", func(c *store.Change) { c.ID = "no/slash" }},
		{"not JSON", func(c *store.Change) { c.Resource = []byte(`{"resourceType":"Patient","name":SECRET}`) }},
		{"not an object", func(c *store.Change) { c.Resource = []byte(`["SECRET"]`) }},
		{"null", func(c *store.Change) { c.Resource = []byte(`null`) }},
		{"trailing data", func(c *store.Change) { c.Resource = append(patient("M1", "A"), `{}`...) }},
		{"other resource type", func(c *store.Change) { c.Resource = []byte(`{"resourceType":"Observation"}`) }},
		{"other id", func(c *store.Change) { c.Resource = []byte(`{"resourceType":"Patient","id":"SECRET"}`) }},
		{"NUL", func(c *store.Change) {
			c.Resource = []byte(`{"resourceType":"Patient","name":[{"text":"a\u0000SECRET"}]}`)
		}},
	}
	for _, tt := range tests {
		bad := upsert(0, 1, "M2", "A")
		tt.mutate(&bad)
		_, err := s.Apply(t.Context(), group, []store.Change{good, bad})
		var cerr *store.ChangeError
		if !errors.As(err, &cerr) || !cerr.Permanent() || cerr.Offset != 1 || cerr.Partition != 0 || cerr.Topic != topic ||
			!errors.Is(err, store.ErrInvalidChange) {
			t.Errorf("%s: Apply = %v, want a *ChangeError at offset 1 wrapping ErrInvalidChange", tt.name, err)
		}
		if err != nil && strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s: error shows content: %v", tt.name, err)
		}
	}
	// A literal backslash-u0000 in text is not a NUL.
	lit := upsert(0, 0, "M1", "A")
	lit.Resource = []byte(`{"resourceType":"Patient","name":[{"text":"a\\u0000"}]}`)
	checkResult(t, store.ApplyResult{Created: 1}, apply(t, s, lit))
	// Nothing of the failed batches was applied.
	checkCounts(t, s, store.Counts{Current: 1, Versions: 1})

	for name, changes := range map[string][]store.Change{
		"offsets decrease": {upsert(0, 5, "M1", "A"), upsert(0, 4, "M2", "A")},
		"offsets repeat":   {upsert(0, 5, "M1", "A"), upsert(0, 5, "M2", "A")},
		"negative offset":  {upsert(0, -1, "M1", "A")},
	} {
		if _, err := s.Apply(t.Context(), group, changes); err == nil {
			t.Errorf("%s: Apply succeeded", name)
		}
	}
	if _, err := s.Apply(t.Context(), "", []store.Change{good}); err == nil {
		t.Error("Apply with an empty group succeeded")
	}
	if r, err := s.Apply(t.Context(), group, nil); err != nil || r != (store.ApplyResult{}) {
		t.Errorf("Apply(nil) = %+v, %v", r, err)
	}
}

func identifierParam(t *testing.T) search.Param {
	p, ok := search.Lookup("Patient", "identifier")
	if !ok {
		t.Fatal("no Patient identifier parameter")
	}
	return p
}

func TestSearch(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t)
	ctx := t.Context()
	const other = "urn:tributary:payer:60054:member"
	p1, p2, p3 := upsert(0, 0, "M1", "A"), upsert(0, 1, "M2", "B"), upsert(0, 2, "M3", "C")
	p2.Resource = fmt.Appendf(nil, `{"resourceType":"Patient","identifier":[{"system":%q,"value":"M2"},{"system":%q,"value":"X9"}]}`, mrnSys, other)
	p3.Resource = []byte(`{"resourceType":"Patient","identifier":[{"value":"M3"},{"system":"urn:x","value":"M1"}]}`)
	apply(t, s, p1, p2, p3, upsert(0, 3, "M4", "D"), del(0, 4, "M4"))

	ident := identifierParam(t)
	idp, _ := search.Lookup("Patient", search.ParamID)
	tok := func(ms ...search.TokenMatch) search.Clause { return search.Clause{Param: ident, Tokens: ms} }
	tests := []struct {
		name    string
		clauses []search.Clause
		want    []string
	}{
		{"all, deleted excluded", nil, []string{p1.ID, p2.ID, p3.ID}},
		{"code in any system", []search.Clause{tok(search.TokenMatch{Code: "M1", AnySystem: true})}, []string{p1.ID, p3.ID}},
		{"system|code", []search.Clause{tok(search.TokenMatch{System: mrnSys, Code: "M1"})}, []string{p1.ID}},
		{"|code", []search.Clause{tok(search.TokenMatch{Code: "M3"})}, []string{p3.ID}},
		{"|code with a system", []search.Clause{tok(search.TokenMatch{Code: "M1"})}, nil},
		{"system|", []search.Clause{tok(search.TokenMatch{System: other})}, []string{p2.ID}},
		{"OR", []search.Clause{tok(search.TokenMatch{System: mrnSys, Code: "M1"}, search.TokenMatch{System: other, Code: "X9"})}, []string{p1.ID, p2.ID}},
		{"AND", []search.Clause{tok(search.TokenMatch{System: mrnSys}), tok(search.TokenMatch{Code: "X9", AnySystem: true})}, []string{p2.ID}},
		{"_id", []search.Clause{{Param: idp, Tokens: []search.TokenMatch{{Code: p2.ID, AnySystem: true}, {Code: "nope", AnySystem: true}}}}, []string{p2.ID}},
		{"_id AND identifier", []search.Clause{{Param: idp, Tokens: []search.TokenMatch{{Code: p2.ID, AnySystem: true}}}, tok(search.TokenMatch{Code: "M1", AnySystem: true})}, nil},
		{"deleted resource's identifier", []search.Clause{tok(search.TokenMatch{Code: "M4", AnySystem: true})}, nil},
		{"no match", []search.Clause{tok(search.TokenMatch{System: "urn:none", Code: "M1"})}, nil},
	}
	for _, tt := range tests {
		page, err := s.Search(ctx, search.Query{Type: "Patient", Count: 10, Clauses: tt.clauses})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for _, r := range page.Resources {
			got = append(got, r.ID)
			if r.VersionID != 1 || len(r.JSON) == 0 {
				t.Errorf("%s: resource %+v", tt.name, r)
			}
		}
		if diff := cmp.Diff(sorted(tt.want), got); diff != "" || page.Total != len(tt.want) || page.Next != "" {
			t.Errorf("%s: ids (-want +got):\n%s\ntotal %d, next %q", tt.name, diff, page.Total, page.Next)
		}
	}

	// Other types are not Patients.
	if page, err := s.Search(ctx, search.Query{Type: "Observation", Count: 10}); err != nil || page.Total != 0 {
		t.Errorf("Search(Observation) = %+v, %v", page, err)
	}
	if page, err := s.Search(ctx, search.Query{Type: "Patient", Count: 0}); err != nil || page.Total != 3 || len(page.Resources) != 0 {
		t.Errorf("count 0 = %+v, %v; want total 3 alone", page, err)
	}
	if page, err := s.Search(ctx, search.Query{Type: "Patient", Count: 10, Total: search.TotalNone}); err != nil || page.Total != -1 || len(page.Resources) != 3 {
		t.Errorf("total none = %+v, %v", page, err)
	}
	for _, cursor := range []string{"!!", "Ly8v"} { // not base64; base64 of "///"
		if _, err := s.Search(ctx, search.Query{Type: "Patient", Count: 10, Cursor: cursor}); !errors.Is(err, store.ErrInvalidCursor) {
			t.Errorf("cursor %q: %v, want ErrInvalidCursor", cursor, err)
		}
	}
}

// The index follows the current version: a new identifier is found, the
// old one no longer, and an update that keeps identifiers keeps them.
func TestIndexFollowsVersions(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t)
	ident := identifierParam(t)
	find := func(code string) int {
		t.Helper()
		p, err := s.Search(t.Context(), search.Query{Type: "Patient", Count: 10, Clauses: []search.Clause{
			{Param: ident, Tokens: []search.TokenMatch{{Code: code, AnySystem: true}}}}})
		if err != nil {
			t.Fatal(err)
		}
		return p.Total
	}
	c := upsert(0, 0, "M1", "A")
	apply(t, s, c)
	c.Offset, c.Resource = 1, patient("M1", "B") // same identifiers
	apply(t, s, c)
	if find("M1") != 1 {
		t.Error("an update that kept the identifier lost it")
	}
	c.Offset, c.Resource = 2, []byte(`{"resourceType":"Patient","identifier":[{"value":"OTHER"},{"value":"MORE"}]}`)
	apply(t, s, c)
	if find("M1") != 0 || find("OTHER") != 1 || find("MORE") != 1 {
		t.Errorf("after the identifiers changed: M1 %d, OTHER %d, MORE %d; want 0, 1, 1", find("M1"), find("OTHER"), find("MORE"))
	}
	c.Offset, c.Resource = 3, []byte(`{"resourceType":"Patient"}`)
	apply(t, s, c)
	if find("OTHER") != 0 || find("MORE") != 0 {
		t.Error("identifiers removed from the resource are still found")
	}
}

func sorted(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	return slices.Sorted(slices.Values(ids))
}

var newUnmarshaller = sync.OnceValues(func() (*jsonformat.Unmarshaller, error) {
	return jsonformat.NewUnmarshaller("UTC", fhirversion.R4)
})

func unmarshaller(t *testing.T) *jsonformat.Unmarshaller {
	u, err := newUnmarshaller()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Paging through next cursors visits every match once, even when resources
// are written between pages.
func TestSearchPaging(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t)
	ctx := t.Context()
	var changes []store.Change
	want := map[string]bool{}
	for i := range 95 {
		c := upsert(0, int64(i), fmt.Sprint("M", i), "A")
		changes = append(changes, c)
		want[c.ID] = true
	}
	apply(t, s, changes...)
	q := search.Query{Type: "Patient", Count: 10}
	seen := map[string]bool{}
	pages := 0
	for {
		page, err := s.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if page.Total != 95 {
			t.Errorf("page %d: total %d, want 95", pages, page.Total)
		}
		for _, r := range page.Resources {
			if seen[r.ID] {
				t.Errorf("page %d repeats %s", pages, r.ID)
			}
			seen[r.ID] = true
		}
		if pages == 3 {
			// An update of a resource already seen does not bring it back.
			c := changes[0]
			c.Offset, c.Resource = 1000, patient("M0", "Changed")
			apply(t, s, c)
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	if pages != 10 {
		t.Errorf("%d pages, want 10", pages)
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("ids seen (-want +got):\n%s", diff)
	}
}

func TestOpenCreatesDatabaseAndMigratesConcurrently(t *testing.T) {
	t.Parallel()
	u := missingDatabase(t)
	var logs safeBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	stores := make([]*store.Store, 4)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() {
			var err error
			if stores[i], err = store.Open(context.Background(), store.Config{URL: u, Logger: log, MaxConns: 2}); err != nil {
				t.Errorf("Open %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	for _, s := range stores {
		if s != nil {
			defer s.Close()
		}
	}
	if t.Failed() {
		return
	}
	var migrations int
	if err := pgxQueryRow(t, u, "SELECT count(*) FROM tributary.schema_migrations", &migrations); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(logs.String(), "applied migration"); got != migrations || migrations == 0 {
		t.Errorf("%d migrations applied %d times in all, want once each:\n%s", migrations, got, logs.String())
	}
	if got := strings.Count(logs.String(), "created database"); got != 1 {
		t.Errorf("database created %d times, want once:\n%s", got, logs.String())
	}
	for _, s := range stores {
		if err := s.Ping(t.Context()); err != nil {
			t.Error(err)
		}
	}
	apply(t, stores[0], upsert(0, 0, "M1", "A"))
	if _, err := stores[3].Read(t.Context(), "Patient", fhir.ID("Patient", mrnSys, "M1")); err != nil {
		t.Error(err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	u := storetest.NewDatabase(t)
	s, err := store.Open(t.Context(), store.Config{URL: u})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), "INSERT INTO tributary.schema_migrations (version, name, checksum) VALUES (999, 'future', '')"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(t.Context(), store.Config{URL: u}); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Errorf("Open = %v, want ErrSchemaTooNew", err)
	}
	if _, err := conn.Exec(t.Context(), "DELETE FROM tributary.schema_migrations WHERE version = 999; UPDATE tributary.schema_migrations SET checksum = 'edited' WHERE version = 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(t.Context(), store.Config{URL: u}); err == nil || !strings.Contains(err.Error(), "changed after it was applied") {
		t.Errorf("Open with an edited migration = %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	_, err := store.Open(ctx, store.Config{URL: "postgres://tributary:s3cret@127.0.0.1:1/tributary?connect_timeout=5"})
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "pg_ctlcluster --skip-systemctl-redirect") ||
		!strings.Contains(err.Error(), "--database-url") || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("Open with no server = %v", err)
	}
	for _, cfg := range []store.Config{
		{},
		{URL: "postgres://postgres@127.0.0.1/x", MaxConns: -1},
		{URL: "postgres://u:s3cret@[bad"},
	} {
		_, err := store.Open(ctx, cfg)
		if err == nil || !strings.HasPrefix(err.Error(), "store: ") {
			t.Errorf("Open(%+v) = %v, want a store: error", cfg, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

// missingDatabase returns the URL of a database that does not exist yet,
// and is dropped when t ends.
func missingDatabase(t *testing.T) string {
	u := storetest.NewDatabase(t)
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(p.Path, "/")
	admin := *p
	admin.Path = "/postgres"
	conn, err := pgx.Connect(t.Context(), admin.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), "DROP DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	return u
}

func pgxQueryRow(t *testing.T, u, sql string, dst ...any) error {
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.QueryRow(t.Context(), sql).Scan(dst...)
}

type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
