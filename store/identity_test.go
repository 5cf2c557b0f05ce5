package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tributary-health/tributary/identity"
	"github.com/tributary-health/tributary/store"
	"github.com/tributary-health/tributary/store/storetest"
)

// inTx runs fn in s.Identity and fails the test on an error.
func inTx(t *testing.T, s *store.Store, fn func(tx identity.Tx) error) {
	t.Helper()
	if err := s.Identity(t.Context(), fn); err != nil {
		t.Fatalf("Identity: %v", err)
	}
}

func patientIDs(es []identity.Entry) []string {
	ids := []string{}
	for _, e := range es {
		ids = append(ids, e.PatientID)
	}
	return ids
}

// TestIdentityTx checks the store's identity.Tx method by method, as a
// conformance test of the contract identity.Matcher relies on.
func TestIdentityTx(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t)
	ctx := t.Context()
	updated := time.Date(2026, 11, 26, 9, 30, 0, 123456000, time.UTC)
	e1 := identity.Entry{
		Record: identity.Record{PatientID: "p1", Identifiers: []identity.Identifier{{System: "urn:ssn", Value: "999001234"}},
			Given: []string{"ALEX", "J"}, Family: "TESTPERSON", BirthDate: "1980-01-02", Sex: "F", Zip: "62701", Same: []string{"p9"}},
		PersonID: "person-1", Method: identity.MethodFounder, Generation: 0, Hash: "h1", Updated: updated,
	}
	e2 := identity.Entry{Record: identity.Record{PatientID: "p2", Family: "TESTPERSON"},
		PersonID: "person-1", Method: identity.MethodProbabilistic, Score: 14.25, Generation: -1, Hash: "h2"}
	e3 := identity.Entry{Record: identity.Record{PatientID: "p3", Family: "OTHER"},
		PersonID: "person-3", Method: identity.MethodFounder, Generation: 2, Hash: "h3", Updated: updated}

	inTx(t, s, func(tx identity.Tx) error {
		if err := tx.Lock(ctx); err != nil {
			return err
		}
		if _, ok, err := tx.Entry(ctx, "p1"); ok || err != nil {
			t.Errorf("Entry of an absent Patient = %v, %v", ok, err)
		}
		for _, put := range []struct {
			e    identity.Entry
			keys []string
		}{{e1, []string{"ssn:999001234", "dob:1980-01-02", "dob:1980-01-02"}}, {e2, []string{"dob:1980-01-02", "zip:62701"}}, {e3, []string{"zip:62701"}}} {
			if err := tx.Put(ctx, put.e, put.keys); err != nil {
				return err
			}
		}
		// A Tx sees its own writes.
		got, ok, err := tx.Entry(ctx, "p1")
		if !ok || err != nil {
			t.Fatalf("Entry(p1) = %v, %v", ok, err)
		}
		if diff := cmp.Diff(e1, got); diff != "" {
			t.Errorf("Entry(p1) (-want +got):\n%s", diff)
		}
		cands, err := tx.Candidates(ctx, []string{"dob:1980-01-02", "zip:62701", "none"})
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]identity.Entry{e1, e2, e3}, cands); diff != "" {
			t.Errorf("Candidates (-want +got):\n%s", diff)
		}
		if cands, err := tx.Candidates(ctx, nil); len(cands) != 0 || err != nil {
			t.Errorf("Candidates(nil) = %v, %v", cands, err)
		}
		members, err := tx.Members(ctx, "person-1")
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]identity.Entry{e1, e2}, members); diff != "" {
			t.Errorf("Members (-want +got):\n%s", diff)
		}
		return nil
	})

	// Put replaces the entry and its keys.
	e2.PersonID, e2.Method, e2.Score, e2.Hash = "person-3", identity.MethodManual, 0, "h2b"
	inTx(t, s, func(tx identity.Tx) error {
		if err := tx.Put(ctx, e2, []string{"zip:62701", "phone:5550100"}); err != nil {
			return err
		}
		for _, c := range []struct {
			keys []string
			want []string
		}{
			{[]string{"dob:1980-01-02"}, []string{"p1"}},
			{[]string{"phone:5550100"}, []string{"p2"}},
			{[]string{"zip:62701"}, []string{"p2", "p3"}},
		} {
			cands, err := tx.Candidates(ctx, c.keys)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(c.want, patientIDs(cands)); diff != "" {
				t.Errorf("Candidates(%v) (-want +got):\n%s", c.keys, diff)
			}
		}
		for person, want := range map[string][]string{"person-1": {"p1"}, "person-3": {"p2", "p3"}, "person-x": {}} {
			members, err := tx.Members(ctx, person)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(want, patientIDs(members)); diff != "" {
				t.Errorf("Members(%s) (-want +got):\n%s", person, diff)
			}
		}
		return nil
	})
	got, ok, err := s.IdentityEntry(ctx, "p2")
	if diff := cmp.Diff(e2, got); !ok || err != nil || diff != "" {
		t.Errorf("IdentityEntry(p2) = %v, %v (-want +got):\n%s", ok, err, diff)
	}
	if _, ok, err := s.IdentityEntry(ctx, "p4"); ok || err != nil {
		t.Errorf("IdentityEntry(p4) = %v, %v", ok, err)
	}
	persons, err := s.PersonOf(ctx, []string{"p1", "p2", "p4"})
	if diff := cmp.Diff(map[string]string{"p1": "person-1", "p2": "person-3"}, persons); err != nil || diff != "" {
		t.Errorf("PersonOf = %v (-want +got):\n%s", err, diff)
	}

	// Distinct pairs are unordered.
	inTx(t, s, func(tx identity.Tx) error {
		if err := tx.SetDistinct(ctx, "p3", "p1"); err != nil {
			return err
		}
		if err := tx.SetDistinct(ctx, "p1", "p3"); err != nil { // again, the other way round
			return err
		}
		for _, c := range []struct {
			a, b string
			want bool
		}{{"p1", "p3", true}, {"p3", "p1", true}, {"p1", "p2", false}, {"p1", "p1", false}} {
			if got, err := tx.Distinct(ctx, c.a, c.b); got != c.want || err != nil {
				t.Errorf("Distinct(%s, %s) = %v, %v; want %v", c.a, c.b, got, err, c.want)
			}
		}
		if err := tx.SetDistinct(ctx, "p1", "p1"); err == nil {
			t.Error("SetDistinct(p1, p1) succeeded")
		}
		return nil
	})

	// One open review item per unordered pair.
	fields := []identity.FieldScore{{Field: "family", Level: "exact", Weight: 7.5}, {Field: "birthDate", Level: "transposed", Weight: 1.25}}
	var first identity.Review
	inTx(t, s, func(tx identity.Tx) error {
		if err := tx.Lock(ctx); err != nil {
			return err
		}
		var err error
		if first, err = tx.AddReview(ctx, identity.Review{PatientID: "p2", Candidate: "p1", Score: 9.5, Fields: fields}); err != nil {
			return err
		}
		want := identity.Review{ID: first.ID, PatientID: "p2", Candidate: "p1", Score: 9.5, Fields: fields, Created: tx.Now(), Status: "open"}
		if diff := cmp.Diff(want, first); first.ID == 0 || diff != "" {
			t.Errorf("AddReview (-want +got):\n%s", diff)
		}
		for _, r := range []identity.Review{{PatientID: "p2", Candidate: "p1", Score: 10}, {PatientID: "p1", Candidate: "p2", Score: 11}} {
			again, err := tx.AddReview(ctx, r)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(first, again); diff != "" {
				t.Errorf("AddReview of an open pair (-first +got):\n%s", diff)
			}
		}
		return nil
	})
	var other identity.Review
	inTx(t, s, func(tx identity.Tx) error {
		var err error
		created := time.Date(2026, 11, 26, 10, 0, 0, 123456789, time.Local)
		other, err = tx.AddReview(ctx, identity.Review{PatientID: "p3", Candidate: "p2", Score: 8, Created: created})
		if err != nil {
			return err
		}
		if want := created.UTC().Truncate(time.Microsecond); !other.Created.Equal(want) || other.Created.Location() != time.UTC {
			t.Errorf("AddReview Created = %v, want %v", other.Created, want)
		}
		if err := tx.CloseReviews(ctx, "p1", "p2", "linked"); err != nil {
			return err
		}
		if err := tx.CloseReviews(ctx, "p1", "p2", "open"); err == nil {
			t.Error("CloseReviews with status open succeeded")
		}
		// The pair is closed: a new item can open.
		reopened, err := tx.AddReview(ctx, identity.Review{PatientID: "p1", Candidate: "p2", Score: 12})
		if err != nil {
			return err
		}
		if reopened.ID == first.ID || reopened.Status != "open" {
			t.Errorf("AddReview after CloseReviews = %+v", reopened)
		}
		return tx.CloseReviews(ctx, "p2", "p1", "distinct")
	})
	all, err := s.Reviews(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, r := range all {
		statuses = append(statuses, fmt.Sprintf("%s-%s:%s", r.PatientID, r.Candidate, r.Status))
	}
	if diff := cmp.Diff([]string{"p2-p1:linked", "p3-p2:open", "p1-p2:distinct"}, statuses); diff != "" {
		t.Errorf("Reviews (-want +got):\n%s", diff)
	}
	open, err := s.Reviews(ctx, "open")
	if diff := cmp.Diff([]identity.Review{other}, open); err != nil || diff != "" {
		t.Errorf("Reviews(open) = %v (-want +got):\n%s", err, diff)
	}
	r, err := s.Review(ctx, first.ID)
	first.Status = "linked"
	if diff := cmp.Diff(first, r); err != nil || diff != "" {
		t.Errorf("Review = %v (-want +got):\n%s", err, diff)
	}
	if _, err := s.Review(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Review of a missing item: %v", err)
	}
}

// TestIdentityRollback: an error from fn rolls everything back, and is
// what Identity returns.
func TestIdentityRollback(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t)
	ctx := t.Context()
	boom := errors.New("boom")
	err := s.Identity(ctx, func(tx identity.Tx) error {
		if err := tx.Lock(ctx); err != nil {
			return err
		}
		if err := tx.Put(ctx, identity.Entry{Record: identity.Record{PatientID: "p1"}, PersonID: "person-1", Hash: "h"}, []string{"k"}); err != nil {
			return err
		}
		if err := tx.SetDistinct(ctx, "p1", "p2"); err != nil {
			return err
		}
		if _, err := tx.AddReview(ctx, identity.Review{PatientID: "p1", Candidate: "p2"}); err != nil {
			return err
		}
		return fmt.Errorf("resolve: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Identity returned %v, want fn's error", err)
	}
	inTx(t, s, func(tx identity.Tx) error {
		if _, ok, err := tx.Entry(ctx, "p1"); ok || err != nil {
			t.Errorf("Entry after rollback = %v, %v", ok, err)
		}
		if cands, err := tx.Candidates(ctx, []string{"k"}); len(cands) != 0 || err != nil {
			t.Errorf("Candidates after rollback = %v, %v", cands, err)
		}
		if d, err := tx.Distinct(ctx, "p1", "p2"); d || err != nil {
			t.Errorf("Distinct after rollback = %v, %v", d, err)
		}
		return nil
	})
	if rs, err := s.Reviews(ctx, ""); len(rs) != 0 || err != nil {
		t.Errorf("Reviews after rollback = %v, %v", rs, err)
	}
	// The pool's connection is usable again, and a Tx that did not Lock
	// still has a time.
	inTx(t, s, func(tx identity.Tx) error {
		if tx.Now().IsZero() {
			t.Error("Now without Lock is zero")
		}
		return nil
	})
}

// TestIdentityLockSerializes runs read-modify-write transactions from two
// goroutines: Lock makes them one at a time, so no increment is lost, and
// each transaction's Now is after the previous one's.
func TestIdentityLockSerializes(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t)
	ctx := t.Context()
	const perWorker = 15
	counter := identity.Entry{Record: identity.Record{PatientID: "counter"}, PersonID: "person-counter", Hash: "h"}
	inTx(t, s, func(tx identity.Tx) error { return tx.Put(ctx, counter, nil) })
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for range perWorker {
				err := s.Identity(ctx, func(tx identity.Tx) error {
					if err := tx.Lock(ctx); err != nil {
						return err
					}
					e, ok, err := tx.Entry(ctx, "counter")
					if err != nil || !ok {
						return fmt.Errorf("entry: %v, %w", ok, err)
					}
					if !tx.Now().After(e.Updated) {
						t.Errorf("Now %v is not after the previous transaction's %v", tx.Now(), e.Updated)
					}
					e.Generation++
					e.Updated = tx.Now()
					time.Sleep(time.Millisecond) // widen the window a lost update needs
					return tx.Put(ctx, e, []string{fmt.Sprint("n", e.Generation)})
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	e, _, err := s.IdentityEntry(ctx, "counter")
	if err != nil || e.Generation != 2*perWorker {
		t.Errorf("counter = %d, %v; want %d", e.Generation, err, 2*perWorker)
	}
}

// feed makes fhir.v1 changes at increasing offsets of one partition.
type feed struct {
	part   int32
	offset int64
}

func (f *feed) next(c store.Change) store.Change {
	c.Topic, c.Partition, c.Offset, c.EnvelopeID = topic, f.part, f.offset, fmt.Sprint("env-", f.offset)
	f.offset++
	return c
}

func (f *feed) resource(typ, id, compartment, body string) store.Change {
	return f.next(store.Change{Op: "upsert", Type: typ, ID: id, Compartment: compartment,
		Resource: fmt.Appendf(nil, `{"resourceType":%q,"id":%q%s}`, typ, id, body)})
}

func (f *feed) patient(id string) store.Change { return f.resource("Patient", id, id, "") }

func (f *feed) observation(id, patientID string) store.Change {
	return f.resource("Observation", id, patientID, fmt.Sprintf(`,"status":"final","subject":{"reference":"Patient/%s"}`, patientID))
}

// person is a Person resource linking patients.
func (f *feed) person(id string, patients ...string) store.Change {
	body := `,"link":[`
	for i, p := range patients {
		if i > 0 {
			body += ","
		}
		body += fmt.Sprintf(`{"target":{"reference":"Patient/%s"},"assurance":"level3"}`, p)
	}
	// Targets that are not Patients are no member.
	body += `,{"target":{"reference":"RelatedPerson/r1"}}]`
	return f.resource("Person", id, "", body)
}

func (f *feed) delete(typ, id string) store.Change {
	return f.next(store.Change{Op: "delete", Type: typ, ID: id})
}

// checkLinks compares LinkedPatients of each Patient with want: person,
// then the other Patients.
func checkLinks(t *testing.T, s *store.Store, want map[string][]string) {
	t.Helper()
	for patient, w := range want {
		person, others, err := s.LinkedPatients(t.Context(), patient)
		if err != nil {
			t.Fatal(err)
		}
		got := append([]string{person}, others...)
		if len(w) == 0 {
			w = []string{""}
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("LinkedPatients(%s) (-want +got):\n%s", patient, diff)
		}
	}
}

func TestPersonLinks(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	// Persons A (p1) and B (p2); then B absorbs p1 and A is deleted,
	// in every order and batching.
	merges := map[string]func(f *feed) [][]store.Change{
		"upsert then delete": func(f *feed) [][]store.Change {
			return [][]store.Change{{f.person("B", "p1", "p2")}, {f.delete("Person", "A")}}
		},
		"delete then upsert": func(f *feed) [][]store.Change {
			return [][]store.Change{{f.delete("Person", "A")}, {f.person("B", "p1", "p2")}}
		},
		"one batch, upsert first": func(f *feed) [][]store.Change {
			return [][]store.Change{{f.person("B", "p1", "p2"), f.delete("Person", "A")}}
		},
		"one batch, delete first": func(f *feed) [][]store.Change {
			return [][]store.Change{{f.delete("Person", "A"), f.person("B", "p1", "p2")}}
		},
		// Another partition applies A's delete while B's upsert waits.
		"two partitions": func(f *feed) [][]store.Change {
			g := &feed{part: 1}
			return [][]store.Change{{g.delete("Person", "A")}, {f.person("B", "p1", "p2")}}
		},
	}
	for name, merge := range merges {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t)
			f := &feed{}
			apply(t, s, f.person("A", "p1"), f.person("B", "p2"), f.person("B", "p2")) // the second B is Unchanged
			checkLinks(t, s, map[string][]string{"p1": {"A"}, "p2": {"B"}})
			for _, changes := range merge(f) {
				apply(t, s, changes...)
			}
			checkLinks(t, s, map[string][]string{"p1": {"B", "p2"}, "p2": {"B", "p1"}})
		})
	}

	t.Run("versions", func(t *testing.T) {
		t.Parallel()
		s := storetest.Open(t)
		f := &feed{}
		apply(t, s, at(f.person("A", "p1", "p2", "p3"), t0.Add(2*time.Hour)))
		checkLinks(t, s, map[string][]string{"p1": {"A", "p2", "p3"}})
		// A stale version does not regress the links.
		res := apply(t, s, at(f.person("A", "p1"), t0))
		checkResult(t, store.ApplyResult{Stale: 1}, res)
		checkLinks(t, s, map[string][]string{"p1": {"A", "p2", "p3"}})
		// A newer one drops p3; C takes p2.
		apply(t, s, at(f.person("A", "p1", "p2"), t0.Add(3*time.Hour)), f.person("C", "p2", "p4"))
		checkLinks(t, s, map[string][]string{"p1": {"A"}, "p2": {"C", "p4"}, "p3": nil})
		// An Unchanged A does not take p2 back.
		res = apply(t, s, at(f.person("A", "p1", "p2"), t0.Add(4*time.Hour)))
		checkResult(t, store.ApplyResult{Unchanged: 1}, res)
		checkLinks(t, s, map[string][]string{"p1": {"A"}, "p2": {"C", "p4"}})
		// Within a batch, the later Person takes a Patient both name;
		// a Person's last version in the batch is the one that counts.
		apply(t, s, f.person("D", "p1", "p5"), f.person("E", "p9"), f.person("E", "p5"), f.person("A", "p6"))
		checkLinks(t, s, map[string][]string{"p1": {"D"}, "p5": {"E"}, "p6": {"A"}, "p9": nil})
		// A delete removes only the rows that still name the Person.
		apply(t, s, f.delete("Person", "D"), f.delete("Person", "C"))
		checkLinks(t, s, map[string][]string{"p1": nil, "p2": nil, "p4": nil, "p5": {"E"}, "p6": {"A"}})
	})
}

func TestCompartment(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t)
	ctx := t.Context()
	f := &feed{}
	apply(t, s,
		f.patient("p1"), f.patient("p2"), f.patient("p3"),
		f.observation("o1", "p1"), f.observation("o2", "p2"), f.observation("o3", "p3"), f.observation("o4", "p1"),
		f.resource("Organization", "org1", "", `,"name":"Example Clinic"`),
		f.resource("Encounter", "e2", "p2", `,"status":"finished"`),
		f.person("A", "p1", "p2"),
	)
	check := func(patientID string, want ...string) {
		t.Helper()
		rs, err := s.Compartment(ctx, patientID)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for _, r := range rs {
			got = append(got, r.Type+"/"+r.ID)
			if !bytes.Contains(r.JSON, []byte(`"versionId":"`)) {
				t.Errorf("Compartment(%s): %s/%s without meta: %s", patientID, r.Type, r.ID, r.JSON)
			}
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Compartment(%s) (-want +got):\n%s", patientID, diff)
		}
	}
	p12 := []string{"Encounter/e2", "Observation/o1", "Observation/o2", "Observation/o4", "Patient/p1", "Patient/p2"}
	check("p1", p12...)
	check("p2", p12...)
	check("p3", "Observation/o3", "Patient/p3")
	check("p404")

	// Deletes leave it; a changed header moves an unchanged resource.
	res := apply(t, s, f.delete("Observation", "o4"), f.observation("o3", "p1"), f.delete("Patient", "p2"))
	checkResult(t, store.ApplyResult{Deleted: 2, Updated: 1}, res)
	check("p1", "Encounter/e2", "Observation/o1", "Observation/o2", "Observation/o3", "Patient/p1")
	check("p3", "Patient/p3")
	o3 := f.observation("o3", "p1")
	o3.Compartment = "p3"
	res = apply(t, s, o3)
	checkResult(t, store.ApplyResult{Unchanged: 1}, res)
	check("p1", "Encounter/e2", "Observation/o1", "Observation/o2", "Patient/p1")
	check("p3", "Observation/o3", "Patient/p3")
	// A Patient's own record is in its compartment without the header.
	apply(t, s, f.resource("Patient", "p7", "", ""))
	check("p7", "Patient/p7")
}

func TestChecksum(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	records := func(f *feed, status string) []store.Change {
		return []store.Change{
			f.patient("p1"), f.patient("p2"),
			f.resource("Observation", "o1", "p1", `,"status":"`+status+`"`),
			f.person("A", "p1", "p2"),
		}
	}
	final := func(f *feed) []store.Change { return records(f, "final") }
	// a: the final records in one batch.
	a := storetest.Open(t)
	apply(t, a, final(&feed{})...)
	// b: other versions first, a deleted resource, the final records
	// one per batch, with a meta.versionId of the source's.
	b := storetest.Open(t)
	f := &feed{}
	apply(t, b, f.resource("Observation", "o1", "p2", `,"status":"final"`), f.patient("p3"), f.resource("Patient", "p1", "p1", `,"gender":"male"`))
	apply(t, b, f.delete("Patient", "p3"))
	for _, c := range final(f) {
		if c.ID == "p2" {
			c.Resource = []byte(`{"meta":{"versionId":"7","lastUpdated":"2020-01-01T00:00:00Z"},  "id":"p2","resourceType":"Patient"}`)
		}
		apply(t, b, c)
	}
	// c: one resource differs.
	c := storetest.Open(t)
	apply(t, c, records(&feed{}, "amended")...)

	sums := map[string]store.Checksum{}
	for name, s := range map[string]*store.Store{"a": a, "b": b, "c": c} {
		sum, err := s.Checksum(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sums[name] = sum
	}
	want := map[string]int{"Observation": 1, "Patient": 2, "Person": 1}
	if diff := cmp.Diff(store.Checksum{Sum: sums["a"].Sum, Types: want}, sums["a"]); diff != "" || len(sums["a"].Sum) != 64 {
		t.Errorf("Checksum (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sums["a"], sums["b"]); diff != "" {
		t.Errorf("Checksums of equal stores differ (-a +b):\n%s", diff)
	}
	if sums["c"].Sum == sums["a"].Sum || !cmp.Equal(sums["c"].Types, want) {
		t.Errorf("Checksum of a store with other content = %+v, like %+v", sums["c"], sums["a"])
	}
	empty, err := storetest.Open(t).Checksum(ctx)
	if err != nil || len(empty.Types) != 0 || empty.Sum == sums["a"].Sum {
		t.Errorf("Checksum of an empty store = %+v, %v", empty, err)
	}
}

// A blocking key held by more than identity.MaxBlock entries finds no
// candidates (it would make every resolution compare them all); an
// identifier key always does.
func TestIdentityCandidatesBoundBlocks(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t)
	ctx := t.Context()
	inTx(t, s, func(tx identity.Tx) error {
		for i := range identity.MaxBlock + 1 {
			id := fmt.Sprintf("p%03d", i)
			keys := []string{"b8:BIG", "id:sys|shared"}
			if i < identity.MaxBlock {
				keys = append(keys, "b8:SMALL")
			}
			if err := tx.Put(ctx, identity.Entry{Record: identity.Record{PatientID: id}, PersonID: "x" + id, Method: identity.MethodFounder}, keys); err != nil {
				return err
			}
		}
		for key, want := range map[string]int{"b8:BIG": 0, "b8:SMALL": identity.MaxBlock, "id:sys|shared": identity.MaxBlock + 1} {
			got, err := tx.Candidates(ctx, []string{key})
			if err != nil {
				return err
			}
			if len(got) != want {
				t.Errorf("Candidates(%s) = %d entries, want %d", key, len(got), want)
			}
		}
		return nil
	})
}
