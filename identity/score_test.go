package identity

import (
	"slices"
	"testing"

	"github.com/tributary-health/tributary/fhir"
)

// base is one person's record; the tests perturb copies.
func base() Record {
	return Record{
		PatientID: "a", Given: []string{"WILLIAM", "J"}, Family: "JOHNSON", BirthDate: "1980-03-09", Sex: "M",
		Line: "12 ELM ST", Zip: "02139", Phone: "6175550100",
	}
}

func with(r Record, f func(*Record)) Record {
	r.PatientID = "b"
	r.Given = slices.Clone(r.Given)
	f(&r)
	return r
}

// levelOf is the last level of field (household may have two).
func levelOf(c Comparison, field string) string {
	l := ""
	for _, f := range c.Fields {
		if f.Field == field {
			l = f.Level
		}
	}
	return l
}

func TestCompare(t *testing.T) {
	t.Parallel()
	m := NewMatcher(Config{})
	cfg := DefaultConfig()
	moved := func(r *Record) { r.Line, r.Zip, r.Phone = "9 OAK AVE", "10001", "2125550199" }
	for _, tc := range []struct {
		name        string
		b           Record
		field, want string  // the level expected of field
		min, max    float64 // the score's range
	}{
		{"identical", with(base(), func(*Record) {}), "given", "exact", cfg.AutoLink, 100},
		{"nickname, moved", with(base(), func(r *Record) { r.Given[0] = "BILL"; moved(r) }), "given", "nickname", cfg.AutoLink, 100},
		{"family typo, moved", with(base(), func(r *Record) { r.Family = "JOHNSNO"; moved(r) }), "family", "similar", cfg.Review, 100},
		{"phonetic family", with(base(), func(r *Record) { r.Family = "JONSON" }), "family", "phonetic", cfg.AutoLink, 100},
		{"transposed birth date", with(base(), func(r *Record) { r.BirthDate = "1980-09-03" }), "birthDate", "transposed", cfg.AutoLink, 100},
		{"birth date digit", with(base(), func(r *Record) { r.BirthDate = "1980-03-08" }), "birthDate", "typo", cfg.AutoLink, 100},
		{"birth year off by one, moved", with(base(), func(r *Record) { r.BirthDate = "1981-03-09"; moved(r) }), "birthDate", "typo", cfg.Review, cfg.AutoLink},
		{"initial only", with(base(), func(r *Record) { r.Given = []string{"W"} }), "given", "initial", cfg.AutoLink, 100},
		{"middle name first", with(base(), func(r *Record) { r.Given = []string{"JAMES", "WILLIAM"} }), "given", "partial", cfg.Review, 100},
		{"sex error", with(base(), func(r *Record) { r.Sex = "F" }), "sex", "disagree", cfg.AutoLink, 100},
		{"twin brother", with(base(), func(r *Record) { r.Given = []string{"ROBERT"} }), "household", "twin", -100, cfg.Review},
		{"twin sister", with(base(), func(r *Record) { r.Given, r.Sex = []string{"WILMA"}, "F" }), "given", "disagree", -100, cfg.Review},
		{"opposite-sex phonetic twin", with(base(), func(r *Record) { r.Given, r.Sex = []string{"JOAN"}, "F" }), "given", "disagree", -100, 100},
		{"junior", with(base(), func(r *Record) { r.BirthDate = "2008-11-30" }), "household", "discount", -100, cfg.Review},
		{"sibling", with(base(), func(r *Record) { r.Given, r.BirthDate = []string{"MARY"}, "1983-06-01" }), "given", "disagree", -100, 0},
		{"stranger", Record{PatientID: "b", Given: []string{"MARY"}, Family: "SMITH", BirthDate: "1990-01-01", Sex: "F"}, "family", "disagree", -100, 0},
	} {
		a := base()
		if tc.name == "opposite-sex phonetic twin" {
			a.Given = []string{"JOHN"}
		}
		c := m.Compare(a, tc.b)
		if got := levelOf(c, tc.field); got != tc.want {
			t.Errorf("%s: %s level %q, want %q (%v)", tc.name, tc.field, got, tc.want, c.Fields)
		}
		if c.Score < tc.min || c.Score >= tc.max {
			t.Errorf("%s: score %.1f, want in [%.1f, %.1f) (%v)", tc.name, c.Score, tc.min, tc.max, c.Fields)
		}
		sum := 0.0
		for _, f := range c.Fields {
			sum += f.Weight
		}
		if sum != c.Score {
			t.Errorf("%s: fields sum to %v, score %v", tc.name, sum, c.Score)
		}
		if r := m.Compare(tc.b, a); r.Score != c.Score {
			t.Errorf("%s: not symmetric: %v and %v", tc.name, c.Score, r.Score)
		}
	}
}

func TestCompareIdentifiers(t *testing.T) {
	t.Parallel()
	m := NewMatcher(Config{})
	ssn := func(v string) []Identifier { return []Identifier{{System: fhir.SystemSSN, Value: v}} }
	a := base()
	a.Identifiers = ssn("123456780")

	same := with(base(), func(r *Record) { r.Identifiers = ssn("123456780") })
	if c := m.Compare(a, same); !c.Identifier || contradicts(c) {
		t.Errorf("shared SSN: Identifier %v contradicts %v", c.Identifier, contradicts(c))
	}
	// An SSN typed on a housemate's record: given name and birth date
	// both disagree.
	wrong := with(base(), func(r *Record) {
		r.Identifiers, r.Given, r.BirthDate = ssn("123456780"), []string{"MARY"}, "1983-06-01"
	})
	if c := m.Compare(a, wrong); !c.Identifier || !contradicts(c) {
		t.Errorf("housemate with the SSN: Identifier %v contradicts %v", c.Identifier, contradicts(c))
	}
	// A twin's SSN: the birth date agrees, but the pair looks like twins.
	twin := with(base(), func(r *Record) { r.Identifiers, r.Given = ssn("123456780"), []string{"ROBERT"} })
	if c := m.Compare(a, twin); !contradicts(c) {
		t.Errorf("twin with the SSN does not contradict: %v", c.Fields)
	}
	other := with(base(), func(r *Record) { r.Identifiers = ssn("123456781") })
	if c := m.Compare(a, other); c.Identifier || levelOf(c, "identifier") != "disagree" {
		t.Errorf("different SSNs: %v", c.Fields)
	}
	// Placeholder SSNs are not identifiers at all.
	for _, v := range []string{"000000000", "999999999", "123456789", "111111111", "000123456", "666123456", "123004567", "123450000", "12345"} {
		x := with(base(), func(r *Record) { r.Identifiers = ssn(v) })
		y := with(base(), func(r *Record) { r.PatientID = "c"; r.Identifiers = ssn(v) })
		if c := m.Compare(x, y); c.Identifier || levelOf(c, "identifier") != "" {
			t.Errorf("placeholder SSN %s used: %v", v, c.Fields)
		}
		if keys := m.Keys(x); slices.ContainsFunc(keys, func(k string) bool { return k[:3] == "id:" }) {
			t.Errorf("placeholder SSN %s has a key: %v", v, keys)
		}
	}
	medicaid := []Identifier{{System: "urn:oid:2.16.840.1.113883.4.927.medicaid.ny", Value: "AB12345C"}}
	if !national(medicaid[0].System) || national("urn:oid:1.2.3") {
		t.Error("national systems misclassified")
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	m := NewMatcher(Config{})
	a := base()
	a.Identifiers = []Identifier{{System: "urn:oid:1.2.3", Value: "MRN7"}}
	keys := m.Keys(a)
	if !slices.Contains(keys, "id:urn:oid:1.2.3|MRN7") || !slices.IsSorted(keys) {
		t.Errorf("keys %v", keys)
	}
	share := func(x, y Record) bool {
		kx := m.Keys(x)
		for _, k := range m.Keys(y) {
			if slices.Contains(kx, k) {
				return true
			}
		}
		return false
	}
	// Each error alone still meets the original through some key.
	for name, f := range map[string]func(*Record){
		"transposed date, moved": func(r *Record) { r.BirthDate = "1980-09-03"; r.Zip, r.Phone = "", "" },
		"year typo, moved":       func(r *Record) { r.BirthDate = "1981-03-09"; r.Zip, r.Phone = "", "" },
		"day typo, moved":        func(r *Record) { r.BirthDate = "1980-03-08"; r.Zip, r.Phone = "", "" },
		"family typo, moved":     func(r *Record) { r.Family = "JHONSON"; r.Zip, r.Phone = "", "" },
		"married, moved":         func(r *Record) { r.Family = "SMITH"; r.Zip, r.Phone = "", "" },
		"nickname, moved":        func(r *Record) { r.Given[0] = "BILL"; r.Zip, r.Phone = "", "" },
	} {
		if !share(a, with(a, f)) {
			t.Errorf("%s: no shared key", name)
		}
	}
	if keys := m.Keys(Record{PatientID: "x"}); len(keys) != 0 {
		t.Errorf("empty record has keys %v", keys)
	}
}
