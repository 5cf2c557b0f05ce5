package pipeline

import (
	"fmt"
	"testing"

	"github.com/tributary-health/tributary/identity"
	"github.com/tributary-health/tributary/store"
	"github.com/tributary-health/tributary/store/storetest"
)

// BenchmarkStoreIdentityResolve resolves Patients in the PostgreSQL
// index: new ones (founding persons, with candidates in their blocks),
// changed ones, and unchanged ones; the cost per op is the normalizer's
// per Patient.
func BenchmarkStoreIdentityResolve(b *testing.B) {
	st, err := store.Open(b.Context(), store.Config{URL: storetest.NewDatabase(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	si := StoreIdentity{Store: st, Matcher: identity.NewMatcher(identity.DefaultConfig())}
	givens := []string{"ANN", "BOB", "CARL", "DINA", "EVE"}
	record := func(n, version int) identity.Record {
		return identity.Record{
			PatientID: fmt.Sprintf("p%d", n),
			Given:     []string{givens[n%5]},
			Family:    syllables(n) + []string{"", "SON"}[version%2],
			BirthDate: fmt.Sprintf("19%02d-%02d-%02d", 40+n%50, 1+n%12, 1+n%28),
			Sex:       "F",
			Zip:       fmt.Sprintf("%05d", 10000+n%37),
		}
	}
	b.Run("new-or-changed", func(b *testing.B) {
		for i := range b.N {
			// Past 5,000: the same Patients, changed.
			if _, err := si.Resolve(b.Context(), record(i%5000, i/5000)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		if _, err := si.Resolve(b.Context(), record(0, 0)); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			if _, err := si.Resolve(b.Context(), record(0, 0)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// syllables spells n as a made-up surname (distinct for n < 5,000).
func syllables(n int) string {
	var b []byte
	for range 3 {
		b = append(b, "BCDFGHKLMNPRSTVZ"[n%16], "AEIOU"[(n/16)%5])
		n /= 7
	}
	return string(b)
}
