package identity

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	"github.com/google/go-cmp/cmp"

	"github.com/tributary-health/tributary/fhir"
)

// counting is a Memory that counts locks and writes.
type counting struct {
	*Memory
	locks, puts int
}

func (c *counting) Lock(ctx context.Context) error { c.locks++; return c.Memory.Lock(ctx) }
func (c *counting) Put(ctx context.Context, e Entry, keys []string) error {
	c.puts++
	return c.Memory.Put(ctx, e, keys)
}

func newIndex() (*counting, *time.Time) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mem := NewMemory()
	mem.Clock = func() time.Time { return now }
	return &counting{Memory: mem}, &now
}

func person(t *testing.T, tx Tx, patientID string) string {
	t.Helper()
	e, ok, err := tx.Entry(t.Context(), patientID)
	if err != nil || !ok {
		t.Fatalf("entry %s: %v %v", patientID, ok, err)
	}
	return e.PersonID
}

func resolve(t *testing.T, m *Matcher, tx Tx, r Record) Outcome {
	t.Helper()
	out, err := m.Resolve(t.Context(), tx, r)
	if err != nil {
		t.Fatalf("resolve %s: %v", r.PatientID, err)
	}
	return out
}

func rec(id string, f func(*Record)) Record {
	r := base()
	r.PatientID = id
	r.Given = slices.Clone(r.Given)
	if f != nil {
		f(&r)
	}
	return r
}

func TestResolveFoundsAndLinks(t *testing.T) {
	t.Parallel()
	m := NewMatcher(Config{})
	tx, now := newIndex()

	out := resolve(t, m, tx, rec("a", nil))
	if out.PersonID != PersonID("a", 0) || len(out.Persons) != 1 || len(out.Persons[0].Members) != 1 {
		t.Fatalf("first Patient: %+v", out)
	}
	if e, _, _ := tx.Entry(t.Context(), "a"); e.Method != MethodFounder || e.Generation != 0 || e.Hash != rec("a", nil).Hash() {
		t.Errorf("founder entry %+v", e)
	}

	*now = now.Add(time.Hour)
	out = resolve(t, m, tx, rec("b", func(r *Record) { r.Given[0] = "BILL"; r.Phone = "" }))
	if out.PersonID != PersonID("a", 0) {
		t.Fatalf("nickname record did not join: %+v", out)
	}
	p := out.Persons[0]
	if len(p.Members) != 2 || p.Members[1].Method != MethodProbabilistic || p.Members[1].Score < DefaultConfig().AutoLink || !p.Updated.Equal(*now) {
		t.Errorf("person after join: %+v", p)
	}
	for _, id := range []string{"a", "b"} {
		if e, _, _ := tx.Entry(t.Context(), id); !e.Updated.Equal(*now) {
			t.Errorf("%s not re-Put with Updated = now: %v", id, e.Updated)
		}
	}

	// Unchanged: no lock, no write, the same answer.
	locks, puts := tx.locks, tx.puts
	again := resolve(t, m, tx, rec("b", func(r *Record) { r.Given[0] = "BILL"; r.Phone = "" }))
	if tx.locks != locks || tx.puts != puts {
		t.Errorf("unchanged Patient locked %d / wrote %d times", tx.locks-locks, tx.puts-puts)
	}
	if diff := cmp.Diff(out.Persons, again.Persons); diff != "" || again.PersonID != out.PersonID {
		t.Errorf("fast path differs:\n%s", diff)
	}

	// A twin brother founds his own person, below the review threshold.
	out = resolve(t, m, tx, rec("twin", func(r *Record) { r.Given = []string{"ROBERT"} }))
	if out.PersonID != PersonID("twin", 0) || len(out.Reviews) != 0 {
		t.Errorf("twin: %+v", out)
	}
}

func TestResolveReview(t *testing.T) {
	t.Parallel()
	m := NewMatcher(Config{})
	tx, _ := newIndex()
	resolve(t, m, tx, rec("a", nil))
	// Year off by one and moved: plausible, not certain.
	out := resolve(t, m, tx, rec("b", func(r *Record) {
		r.BirthDate, r.Line, r.Zip, r.Phone = "1981-03-09", "9 OAK AVE", "10001", ""
	}))
	if out.PersonID != PersonID("b", 0) || len(out.Reviews) != 1 {
		t.Fatalf("outcome %+v", out)
	}
	rv := out.Reviews[0]
	if rv.PatientID != "b" || rv.Candidate != "a" || rv.Status != "open" || rv.ID == 0 || len(rv.Fields) == 0 {
		t.Errorf("review %+v", rv)
	}

	// The reviewer links them: one person, manual, review closed.
	lo, err := m.Link(t.Context(), tx, "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	if person(t, tx, "a") != person(t, tx, "b") || lo.PersonID != person(t, tx, "a") {
		t.Fatalf("not linked: %+v", lo)
	}
	if len(lo.Persons) != 2 || !lo.Persons[1].Deleted || lo.Persons[1].ID != PersonID("b", 0) {
		t.Errorf("link persons %+v", lo.Persons)
	}
	if e, _, _ := tx.Entry(t.Context(), "b"); e.Method != MethodManual {
		t.Errorf("moved member method %s", e.Method)
	}
	if rvs := tx.Reviews(); rvs[0].Status != "linked" {
		t.Errorf("review status %q", rvs[0].Status)
	}

	// Unlink takes b out for good: a new generation, distinct from a.
	uo, err := m.Unlink(t.Context(), tx, "b")
	if err != nil {
		t.Fatal(err)
	}
	if uo.PersonID != PersonID("b", 1) || len(uo.Persons) != 2 || len(uo.Persons[0].Members) != 1 || len(uo.Persons[1].Members) != 1 {
		t.Fatalf("unlink: %+v", uo)
	}
	if d, _ := tx.Distinct(t.Context(), "a", "b"); !d {
		t.Error("unlink did not record distinct")
	}
	// Even identical data no longer joins them, nor opens a review.
	out = resolve(t, m, tx, rec("b", nil))
	if out.PersonID != PersonID("b", 1) || len(out.Reviews) != 0 {
		t.Errorf("unlinked Patient rejoined: %+v", out)
	}
	// Unlinking a Patient alone changes nothing.
	puts := tx.puts
	if uo, err := m.Unlink(t.Context(), tx, "b"); err != nil || uo.PersonID != PersonID("b", 1) || tx.puts != puts {
		t.Errorf("unlink alone: %+v %v", uo, err)
	}
	if _, err := m.Link(t.Context(), tx, "a", "nobody"); !errors.Is(err, ErrUnknownPatient) {
		t.Errorf("link unknown: %v", err)
	}
}

func TestDistinguish(t *testing.T) {
	t.Parallel()
	m := NewMatcher(Config{})
	tx, _ := newIndex()
	resolve(t, m, tx, rec("a", nil))
	out := resolve(t, m, tx, rec("b", func(r *Record) { r.BirthDate, r.Line, r.Zip, r.Phone = "1981-03-09", "9 OAK AVE", "10001", "" }))
	if len(out.Reviews) != 1 {
		t.Fatalf("no review: %+v", out)
	}
	do, err := m.Distinguish(t.Context(), tx, "b", "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(do.Persons) != 2 || do.PersonID != PersonID("b", 0) {
		t.Errorf("distinguish outcome %+v", do)
	}
	if tx.Reviews()[0].Status != "distinct" {
		t.Errorf("review status %q", tx.Reviews()[0].Status)
	}
	// A third record matching both perfectly joins a, and no review
	// reopens b against a.
	out = resolve(t, m, tx, rec("c", nil))
	if out.PersonID != PersonID("a", 0) {
		t.Errorf("c: %+v", out)
	}
}

func TestResolveIdentifiers(t *testing.T) {
	t.Parallel()
	m := NewMatcher(Config{})
	tx, _ := newIndex()
	ssn := []Identifier{{System: fhir.SystemSSN, Value: "123456780"}}
	resolve(t, m, tx, rec("a", func(r *Record) { r.Identifiers = ssn }))
	// Sparse, but the SSN is shared and nothing contradicts it.
	out := resolve(t, m, tx, Record{PatientID: "b", Identifiers: ssn, Family: "JOHNSON", Given: []string{"WILLIAM"}})
	if out.PersonID != PersonID("a", 0) || out.Persons[0].Members[1].Method != MethodIdentifier {
		t.Errorf("shared SSN did not link: %+v", out)
	}
	// A housemate's record carrying the same SSN goes to review.
	out = resolve(t, m, tx, rec("wife", func(r *Record) {
		r.Identifiers, r.Given, r.BirthDate, r.Sex = ssn, []string{"MARY"}, "1982-07-01", "F"
	}))
	if out.PersonID != PersonID("wife", 0) || len(out.Reviews) == 0 {
		t.Errorf("contradicting SSN: %+v", out)
	}
}

func TestResolveMergesPersons(t *testing.T) {
	t.Parallel()
	m := NewMatcher(Config{})
	tx, now := newIndex()
	// Two Patients the index cannot tie: different names and dates.
	resolve(t, m, tx, rec("old", func(r *Record) { r.Given, r.BirthDate, r.Phone, r.Line = []string{"ZED"}, "1950-01-01", "", "" }))
	resolve(t, m, tx, rec("x", func(r *Record) { r.Identifiers = []Identifier{{System: "urn:oid:9", Value: "1"}} }))
	resolve(t, m, tx, rec("y", func(r *Record) {
		r.Identifiers = []Identifier{{System: "urn:oid:9", Value: "1"}}
		r.Given = []string{"BILL"}
	}))
	if person(t, tx, "x") != person(t, tx, "y") {
		t.Fatal("x and y not one person")
	}
	// An ADT^A40: new replaces old. The persons of old and of x, y unite:
	// the survivor is the larger one.
	*now = now.Add(time.Hour)
	out := resolve(t, m, tx, rec("new", func(r *Record) {
		r.Identifiers = []Identifier{{System: "urn:oid:9", Value: "1"}}
		r.Same = []string{"old"}
	}))
	want := PersonID("x", 0)
	for _, id := range []string{"old", "x", "y", "new"} {
		if got := person(t, tx, id); got != want {
			t.Errorf("%s in %s, want %s", id, got, want)
		}
	}
	if len(out.Persons) != 2 || out.Persons[0].ID != want || len(out.Persons[0].Members) != 4 ||
		!out.Persons[1].Deleted || out.Persons[1].ID != PersonID("old", 0) || !out.Persons[1].Updated.Equal(*now) {
		t.Errorf("persons %+v", out.Persons)
	}
	if e, _, _ := tx.Entry(t.Context(), "old"); e.Method != MethodMerge {
		t.Errorf("merged member method %s", e.Method)
	}
	if e, _, _ := tx.Entry(t.Context(), "new"); e.Method != MethodMerge {
		t.Errorf("new member method %s", e.Method)
	}
}

func TestResolveChangedRecord(t *testing.T) {
	t.Parallel()
	m := NewMatcher(Config{})
	tx, _ := newIndex()
	resolve(t, m, tx, rec("a", nil))
	resolve(t, m, tx, rec("b", func(r *Record) { r.Given, r.BirthDate = []string{"ZED"}, "1950-01-01" }))
	if person(t, tx, "b") != PersonID("b", 0) {
		t.Fatal("b joined a")
	}
	// b's registration is corrected: alone in its person, it joins a,
	// and its own person is deleted.
	out := resolve(t, m, tx, rec("b", nil))
	if out.PersonID != PersonID("a", 0) || len(out.Persons) != 2 || !out.Persons[1].Deleted {
		t.Fatalf("corrected record: %+v", out)
	}
	// Now b's record drifts away: it stays (only Unlink removes).
	out = resolve(t, m, tx, rec("b", func(r *Record) { r.Given, r.BirthDate = []string{"ZED"}, "1950-01-01" }))
	if out.PersonID != PersonID("a", 0) || len(out.Persons[0].Members) != 2 {
		t.Errorf("drifted record left: %+v", out)
	}
}

func TestResolveDeterministic(t *testing.T) {
	t.Parallel()
	pop := generate(300, 42)
	run := func() []Outcome {
		m := NewMatcher(Config{})
		tx, _ := newIndex()
		var outs []Outcome
		for _, r := range pop.records {
			outs = append(outs, resolve(t, m, tx, FromPatient(r.patient)))
		}
		return outs
	}
	if diff := cmp.Diff(run(), run()); diff != "" {
		t.Errorf("two runs differ:\n%s", diff)
	}
}

func TestPersonResource(t *testing.T) {
	t.Parallel()
	p := PersonResource(Person{ID: "p1", Members: []Member{
		{PatientID: "a", Method: MethodFounder},
		{PatientID: "b", Method: MethodProbabilistic, Score: 30},
		{PatientID: "c", Method: MethodIdentifier},
	}})
	if p.GetId().GetValue() != "p1" || !p.GetActive().GetValue() || len(p.GetLink()) != 3 {
		t.Fatalf("person %v", p)
	}
	want := []cpb.IdentityAssuranceLevelCode_Value{cpb.IdentityAssuranceLevelCode_LEVEL4, cpb.IdentityAssuranceLevelCode_LEVEL3, cpb.IdentityAssuranceLevelCode_LEVEL4}
	for i, l := range p.GetLink() {
		if l.GetAssurance().GetValue() != want[i] || l.GetTarget().GetUri().GetValue() != "Patient/"+string(rune('a'+i)) {
			t.Errorf("link %d: %v", i, l)
		}
	}
}
