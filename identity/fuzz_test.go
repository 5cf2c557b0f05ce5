package identity

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-health/tributary/fhir"
)

func FuzzNormalizeName(f *testing.F) {
	for _, s := range []string{"José Núñez-García Jr.", "O'Brien", "  ", "DR", "Strauß III", "123 Main Street Apt #4", "ǅ\u0301x", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, norm := range map[string]func(string) string{"name": normalizeName, "line": normalizeLine} {
			n := norm(s)
			if strings.Contains(n, "  ") || strings.TrimSpace(n) != n {
				t.Fatalf("%s(%q) = %q: spaces not collapsed", name, s, n)
			}
			for i := 0; i < len(n); i++ {
				if c := n[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ' ') {
					t.Fatalf("%s(%q) = %q: byte %q", name, s, n, c)
				}
			}
			if again := norm(n); again != n {
				t.Fatalf("%s not idempotent: %q -> %q -> %q", name, s, n, again)
			}
			code := nysiis(n)
			if n != "" && strings.ContainsAny(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") && code == "" {
				t.Fatalf("nysiis(%q) empty", n)
			}
			if sx := soundex(n); sx != "" && len(sx) != 4 {
				t.Fatalf("soundex(%q) = %q", n, sx)
			}
		}
	})
}

func FuzzCompare(f *testing.F) {
	f.Add("WILLIAM J", "JOHNSON", "1980-03-09", "M", "12 ELM ST", "02139", "6175550100", "123456780",
		"BILL", "JONSON", "1980-09-03", "F", "12 ELM ST", "02139", "", "123456780")
	f.Add("", "", "", "", "", "", "", "", "A", "B", "1980-03-0", "O", "1", "2", "3", "000000000")
	f.Add("MARY ANN", "DE LA CRUZ", "2001-12-31", "F", "9 OAK AVE", "10001", "2125550199", "",
		"MARYANN", "DELACRUZ", "2001-12-13", "F", "9 OAK AVE", "10001", "2125550199", "")
	f.Fuzz(func(t *testing.T, g1, f1, d1, s1, l1, z1, p1, n1, g2, f2, d2, s2, l2, z2, p2, n2 string) {
		mk := func(id, g, fam, d, s, l, z, p, n string) Record {
			r := Record{PatientID: id, Given: strings.Fields(foldText(g)), Family: normalizeName(fam), BirthDate: d,
				Sex: s, Line: normalizeLine(l), Zip: z, Phone: p}
			if n != "" {
				r.Identifiers = []Identifier{{System: fhir.SystemSSN, Value: n}, {System: "urn:oid:1.2", Value: n}}
			}
			return r
		}
		a := mk("a", g1, f1, d1, s1, l1, z1, p1, n1)
		b := mk("b", g2, f2, d2, s2, l2, z2, p2, n2)
		m := NewMatcher(Config{})
		ab, ba := m.Compare(a, b), m.Compare(b, a)
		if ab.Score != ba.Score || ab.Identifier != ba.Identifier {
			t.Fatalf("not symmetric: %v vs %v\n%v\n%v", ab.Score, ba.Score, ab.Fields, ba.Fields)
		}
		if diff := cmp.Diff(ab.Fields, ba.Fields); diff != "" {
			t.Fatalf("fields not symmetric:\n%s", diff)
		}
		if math.IsNaN(ab.Score) || math.IsInf(ab.Score, 0) {
			t.Fatalf("score %v", ab.Score)
		}
		if contradicts(ab) != contradicts(ba) {
			t.Fatal("contradicts not symmetric")
		}
		m.Keys(a)
		m.Keys(b)
	})
}
