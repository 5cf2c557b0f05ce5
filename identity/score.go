package identity

import (
	"math"
	"strings"
	"sync"

	"github.com/tributary-health/tributary/fhir"
)

// Config holds the thresholds, in the score's units (log2 likelihood
// ratio). The zero Config means [DefaultConfig].
type Config struct {
	AutoLink float64 // at or above: same person
	Review   float64 // at or above (and below AutoLink): a review item
}

// DefaultConfig returns the thresholds the matching evaluation chose
// (docs/identity-matching.md).
func DefaultConfig() Config { return Config{AutoLink: 17, Review: 8} }

// A Matcher compares records and resolves them against an index. It
// holds no state but its Config and is safe for concurrent use; the Tx
// passed to each call is not.
type Matcher struct{ cfg Config }

// NewMatcher returns a Matcher with cfg's thresholds; a zero cfg means
// [DefaultConfig].
func NewMatcher(cfg Config) *Matcher {
	if cfg == (Config{}) {
		cfg = DefaultConfig()
	}
	return &Matcher{cfg: cfg}
}

// A Comparison is the result of comparing two records.
type Comparison struct {
	Score      float64      // the sum of Fields' weights
	Identifier bool         // they share a strong identifier
	Fields     []FieldScore // every field, in a fixed order, missing ones with weight 0
}

// A level is one agreement level of one field in the Fellegi–Sunter
// model: m is P(level | same person), u is P(level | different people),
// and the level adds log2(m/u) to the score. The probabilities are
// judgement about registration data (how often each error happens, how
// often strangers agree by chance), checked by the matching evaluation,
// not fitted to it.
type level struct {
	field, level string
	m, u         float64
	fixed        float64 // when m is 0: a weight not from a likelihood ratio
	why          string
}

// levels is the model. Rows for a field are exclusive; a missing field
// (either side unknown) weighs 0.
var levels = []level{
	{"family", "exact", 0.90, 0.006, 0, "common surnames make u well above 1/#surnames"},
	{"family", "phonetic", 0.04, 0.002, 0, "NYSIIS agrees: spelling variants (JONSON, JOHNSON)"},
	{"family", "similar", 0.03, 0.002, 0, "Jaro–Winkler ≥ 0.92 or one edit: a typo"},
	{"family", "partial", 0.015, 0.002, 0, "one word of a compound surname (GARCIA LOPEZ, GARCIA)"},
	{"family", "disagree", 0.015, 0.99, 0, "marriage and re-registration change surnames"},

	{"given", "exact", 0.82, 0.01, 0, "first given names are less varied than surnames"},
	{"given", "nickname", 0.06, 0.002, 0, "the hand-made nickname table (BILL, WILLIAM)"},
	{"given", "phonetic", 0.03, 0.003, 0, "NYSIIS agrees; not counted across sexes (JOHN, JOAN)"},
	{"given", "similar", 0.03, 0.003, 0, "Jaro–Winkler ≥ 0.90 or one edit (names of 5+ letters): a typo; not across sexes"},
	{"given", "partial", 0.02, 0.004, 0, "the first given name is the other's middle name"},
	{"given", "initial", 0.02, 0.005, 0, "one side is only an initial, and it agrees"},
	{"given", "disagree", 0.01, 0.975, 0, "heavy on purpose: siblings and twins differ only here"},

	{"birthDate", "exact", 0.93, 0.0002, 0, "~1/(365·60) for random pairs, raised for default dates and twins"},
	{"birthDate", "transposed", 0.02, 0.0002, 0, "day and month swapped (US vs European entry)"},
	{"birthDate", "typo", 0.035, 0.003, 0, "one digit wrong, two adjacent digits swapped, or the year off by one"},
	{"birthDate", "disagree", 0.005, 0.996, 0, "typos are the levels above, so a true mismatch is rare"},

	{"sex", "exact", 0.97, 0.5, 0, "half of random pairs agree"},
	{"sex", "disagree", 0.03, 0.5, 0, "gender errors and changes happen: not a veto"},

	{"address", "exact", 0.75, 0.002, 0, "first line after USPS abbreviation, unit dropped"},
	{"address", "similar", 0.05, 0.002, 0, "same house number and a close street, or Jaro–Winkler ≥ 0.95"},
	{"address", "disagree", 0.20, 0.996, 0, "people move between feeds' records"},

	{"zip", "exact", 0.85, 0.05, 0, "ZIP codes are shared by many"},
	{"zip", "exact+address", 1, 1, 0, "implied by an agreeing address: no new evidence"},
	{"zip", "disagree", 0.15, 0.95, 0, "moves"},

	{"phone", "exact", 0.65, 0.001, 0, "a phone number is nearly personal"},
	{"phone", "exact+address", 0.8, 0.4, 0, "with the address agreeing, a shared landline says household, not person"},
	{"phone", "disagree", 0.35, 0.999, 0, "numbers change often"},

	{"email", "exact", 0.6, 0.0005, 0, "nearly personal"},
	{"email", "exact+address", 0.7, 0.1, 0, "families share e-mail addresses"},
	{"email", "disagree", 0.4, 0.9995, 0, "people have several"},

	{"identifier", "exact", 0.99, 0.0001, 0, "a shared strong identifier; it links deterministically unless the demographics contradict"},
	{"identifier", "disagree", 0.03, 0.999, 0, "both have an SSN, MBI or Medicaid id of one system and they differ; data entry errors happen"},

	{"household", "discount", 0, 0, 0, "when given name or birth date clearly disagree, a birth date is missing (junior and senior), or the pair looks like twins, the positive address, ZIP, phone and e-mail weights are taken back: they show one household, not one person (parent and child, siblings)"},
	{"household", "twin", 0, 0, -8, "family name and birth date agree and they live together, but the given names do not agree (disagree, one is the other's middle name, missing): twins"},
}

// weights maps "field/level" to its weight.
var weights = sync.OnceValue(func() map[string]float64 {
	w := map[string]float64{}
	for _, l := range levels {
		if l.m == 0 {
			w[l.field+"/"+l.level] = l.fixed
			continue
		}
		w[l.field+"/"+l.level] = math.Log2(l.m / l.u)
	}
	return w
})

// Compare scores two records. It is symmetric: Compare(a, b) and
// Compare(b, a) have the same Score and Fields.
func (m *Matcher) Compare(a, b Record) Comparison {
	var c Comparison
	w := weights()
	add := func(field, level, key string) {
		if level == "missing" {
			c.Fields = append(c.Fields, FieldScore{Field: field, Level: level})
			return
		}
		x := w[field+"/"+key]
		c.Fields = append(c.Fields, FieldScore{Field: field, Level: level, Weight: x})
		c.Score += x
	}

	sexDiffers := a.Sex != "" && b.Sex != "" && a.Sex != b.Sex
	family := familyLevel(a.Family, b.Family)
	given := givenLevel(a.Given, b.Given, sexDiffers)
	birth := dateLevel(a.BirthDate, b.BirthDate)
	add("family", family, family)
	add("given", given, given)
	add("birthDate", birth, birth)
	add("sex", equalLevel(a.Sex, b.Sex), equalLevel(a.Sex, b.Sex))

	address := lineLevel(a.Line, b.Line)
	add("address", address, address)
	household := 0.0
	if address == "exact" {
		household += w["address/exact"]
	} else if address == "similar" {
		household += w["address/similar"]
	}
	for _, f := range []struct{ name, a, b string }{{"zip", a.Zip, b.Zip}, {"phone", a.Phone, b.Phone}, {"email", a.Email, b.Email}} {
		l := equalLevel(f.a, f.b)
		key := l
		if l == "exact" && address == "exact" {
			key = "exact+address"
		}
		add(f.name, l, key)
		if l == "exact" {
			household += w[f.name+"/"+key]
		}
	}

	shared, conflict := compareIdentifiers(a.Identifiers, b.Identifiers)
	switch {
	case shared:
		c.Identifier = true
		add("identifier", "exact", "exact")
	case conflict:
		add("identifier", "disagree", "disagree")
	}

	// Twins share family name, birth date and home; only the given name
	// tells them apart, so it must agree outright.
	livesWith := address == "exact" || address == "similar" || equalLevel(a.Phone, b.Phone) == "exact"
	twins := birth == "exact" && (family == "exact" || family == "phonetic" || family == "similar") && livesWith &&
		(given == "disagree" || given == "partial" || given == "missing")
	// A junior and his father share name and home: without a birth date
	// the household cannot tell them apart either.
	if (given == "disagree" || birth == "disagree" || birth == "missing" || twins) && household > 0 {
		c.Fields = append(c.Fields, FieldScore{Field: "household", Level: "discount", Weight: -household})
		c.Score -= household
	}
	if twins {
		add("household", "twin", "twin")
	}
	return c
}

// contradicts reports whether a comparison's demographics rule out one
// person despite a shared identifier (an SSN typed on the wrong patient,
// often a housemate's or a twin's): neither the given name nor the birth
// date agrees, or they look like twins, or the rest of the evidence is
// against one person.
func contradicts(c Comparison) bool {
	var given, birth string
	rest := c.Score
	for _, f := range c.Fields {
		switch {
		case f.Field == "given":
			given = f.Level
		case f.Field == "birthDate":
			birth = f.Level
		case f.Field == "household" && f.Level == "twin":
			return true
		case f.Field == "identifier" && f.Level == "exact":
			rest -= f.Weight
		}
	}
	givenAgrees := given != "disagree" && given != "initial" && given != "missing"
	birthAgrees := birth == "exact" || birth == "transposed" || birth == "typo"
	return (!givenAgrees && !birthAgrees) || rest < 0
}

func equalLevel(a, b string) string {
	switch {
	case a == "" || b == "":
		return "missing"
	case a == b:
		return "exact"
	}
	return "disagree"
}

func familyLevel(a, b string) string {
	if a == "" || b == "" {
		return "missing"
	}
	ca, cb := strings.ReplaceAll(a, " ", ""), strings.ReplaceAll(b, " ", "")
	switch {
	case ca == cb:
		return "exact"
	case nysiis(ca) == nysiis(cb):
		return "phonetic"
	case jaroWinkler(ca, cb) >= 0.92 || (min(len(ca), len(cb)) >= 5 && oneEdit(ca, cb)):
		return "similar"
	}
	wa, wb := strings.Fields(a), strings.Fields(b)
	if len(wa) > 1 || len(wb) > 1 {
		for _, x := range wa {
			for _, y := range wb {
				if x == y && len(x) > 1 {
					return "partial"
				}
			}
		}
	}
	return "disagree"
}

// givenLevel compares first given names. Phonetic and spelling closeness
// does not count across sexes: FRANCIS and FRANCES, DANIEL and DANIELLE
// are usually two people.
func givenLevel(a, b []string, sexDiffers bool) string {
	if len(a) == 0 || len(b) == 0 {
		return "missing"
	}
	x, y := a[0], b[0]
	switch {
	case x == y && len(x) == 1:
		return "initial"
	case x == y || strings.Join(a, "") == strings.Join(b, ""):
		return "exact"
	case len(x) == 1 || len(y) == 1:
		if x[0] == y[0] {
			return "initial"
		}
		return "disagree"
	case nicknames(x, y):
		return "nickname"
	case !sexDiffers && nysiis(x) == nysiis(y):
		return "phonetic"
	case !sexDiffers && (jaroWinkler(x, y) >= 0.90 || (min(len(x), len(y)) >= 5 && oneEdit(x, y))):
		return "similar"
	case nameIn(x, b[1:]) || nameIn(y, a[1:]):
		return "partial"
	}
	return "disagree"
}

// nameIn reports whether name (not an initial) is one of names or a
// nickname of one.
func nameIn(name string, names []string) bool {
	for _, n := range names {
		if len(n) > 1 && (n == name || nicknames(n, name)) {
			return true
		}
	}
	return false
}

// dateLevel compares YYYY-MM-DD dates.
func dateLevel(a, b string) string {
	switch {
	case a == "" || b == "":
		return "missing"
	case a == b:
		return "exact"
	case len(a) != 10 || len(b) != 10:
		return "disagree"
	case a[:4] == b[:4] && a[5:7] == b[8:10] && a[8:10] == b[5:7]:
		return "transposed"
	case a[4:] == b[4:] && abs(atoi(a[:4])-atoi(b[:4])) == 1:
		return "typo"
	}
	var diff []int
	for i := range len(a) {
		if a[i] != b[i] {
			diff = append(diff, i)
		}
	}
	if len(diff) == 1 || (len(diff) == 2 && diff[1] == diff[0]+1 && a[diff[0]] == b[diff[1]] && a[diff[1]] == b[diff[0]]) {
		return "typo"
	}
	return "disagree"
}

// lineLevel compares normalized address lines.
func lineLevel(a, b string) string {
	switch {
	case a == "" || b == "":
		return "missing"
	case a == b:
		return "exact"
	}
	na, ra, _ := strings.Cut(a, " ")
	nb, rb, _ := strings.Cut(b, " ")
	if (na == nb && jaroWinkler(ra, rb) >= 0.9) || jaroWinkler(a, b) >= 0.95 {
		return "similar"
	}
	return "disagree"
}

// oneEdit reports whether a and b are one insertion, deletion,
// substitution or adjacent transposition apart.
func oneEdit(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if i == len(a) {
		return true // equal, or one letter added at the end
	}
	if len(a) == len(b) {
		if a[i+1:] == b[i+1:] {
			return true // substitution
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	}
	return a[i:] == b[i+1:] // insertion
}

// Identifier kinds whose value is one per person nationally: two
// different values in one of these systems is evidence of two people.
func national(system string) bool {
	return system == fhir.SystemSSN || system == fhir.SystemMBI || strings.Contains(strings.ToLower(system), "medicaid")
}

// strong reports whether an identifier may link deterministically: any
// identifier with a system, except placeholder SSNs that registration
// clerks type when the patient has none.
func strong(id Identifier) bool {
	if id.System == "" || strings.TrimSpace(id.Value) == "" {
		return false
	}
	if id.System != fhir.SystemSSN {
		return true
	}
	v := id.Value
	if len(v) != 9 || digits(v) != v {
		return false
	}
	if strings.Count(v, v[:1]) == 9 || v == "123456789" || v == "987654321" {
		return false
	}
	// Never issued: area 000, 666 or 9xx, group 00, serial 0000.
	return v[:3] != "000" && v[:3] != "666" && v[0] != '9' && v[3:5] != "00" && v[5:] != "0000"
}

// compareIdentifiers reports whether a and b share a strong identifier,
// and whether they have different values in one national system.
func compareIdentifiers(a, b []Identifier) (shared, conflict bool) {
	for _, x := range a {
		if !strong(x) {
			continue
		}
		for _, y := range b {
			if x.System != y.System || !strong(y) {
				continue
			}
			if x.Value == y.Value {
				shared = true
			} else if national(x.System) {
				conflict = true
			}
		}
	}
	return shared, conflict
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// atoi parses ASCII digits; anything else counts as 0.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n = n*10 + int(s[i]-'0')
		}
	}
	return n
}
