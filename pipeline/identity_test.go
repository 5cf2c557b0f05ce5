package pipeline

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-health/tributary/identity"
	"github.com/tributary-health/tributary/store"
	"github.com/tributary-health/tributary/store/storetest"
)

// The one-query answer for an unchanged Patient is the answer the index's
// own resolution gives; a changed Patient is not answered by it.
func TestStoreIdentityUnchangedPatient(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, err := store.Open(ctx, store.Config{URL: storetest.NewDatabase(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := identity.NewMatcher(identity.DefaultConfig())
	si := StoreIdentity{Store: st, Matcher: m}
	a := identity.Record{PatientID: "a", Given: []string{"WILLIAM"}, Family: "OKAFOR", BirthDate: "1971-03-09", Sex: "M", Line: "12 ELM ST", Zip: "16801",
		Identifiers: []identity.Identifier{{System: "http://hl7.org/fhir/sid/us-ssn", Value: "123450987"}}}
	b := a
	b.PatientID, b.Given, b.Line = "b", []string{"BILL"}, "9 OAK AVE"
	for _, r := range []identity.Record{a, b} {
		if _, err := si.Resolve(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	fast, ok, err := st.CurrentPerson(ctx, "b", b.Hash())
	if err != nil || !ok {
		t.Fatalf("CurrentPerson of an unchanged Patient: %v %v", ok, err)
	}
	var full identity.Outcome
	if err := st.Identity(ctx, func(tx identity.Tx) error {
		var err error
		full, err = m.Resolve(ctx, tx, b)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(full.Persons, []identity.Person{fast}); diff != "" || len(fast.Members) != 2 {
		t.Errorf("one-query answer differs from the index's (-index +query):\n%s", diff)
	}
	changed := b
	changed.Phone = "8145550199"
	if _, ok, err := st.CurrentPerson(ctx, "b", changed.Hash()); err != nil || ok {
		t.Errorf("a changed Patient was answered without resolution: %v %v", ok, err)
	}
	if _, ok, err := st.CurrentPerson(ctx, "nobody", b.Hash()); err != nil || ok {
		t.Errorf("an unknown Patient was answered: %v %v", ok, err)
	}
}
