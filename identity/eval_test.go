package identity

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	ppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/patient_go_proto"

	"github.com/tributary-health/tributary/fhir"
)

var update = flag.Bool("update", false, "rewrite docs/identity-matching.md from the matching evaluation")

// The synthetic population. Everything here is invented; names are
// common US names, addresses and numbers are random.
var (
	maleNames = []string{"James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Charles",
		"Christopher", "Daniel", "Matthew", "Anthony", "Donald", "Steven", "Paul", "Andrew", "Joshua", "Kenneth",
		"Kevin", "Brian", "George", "Edward", "Ronald", "Timothy", "Jason", "Jeffrey", "Ryan", "Jacob",
		"Gary", "Nicholas", "Eric", "Stephen", "Jonathan", "Larry", "Justin", "Scott", "Brandon", "Benjamin",
		"Samuel", "Frank", "Gregory", "Raymond", "Alexander", "Patrick", "Jack", "Dennis", "Jerry", "Tyler",
		"Aaron", "José", "Henry", "Adam", "Douglas", "Nathan", "Peter", "Zachary", "Kyle", "Walter",
		"Harold", "Jeremy", "Ethan", "Carl", "Keith", "Roger", "Gerald", "Christian", "Terry", "Sean",
		"Arthur", "Austin", "Noah", "Lawrence", "Jesse", "Joe", "Bryan", "Billy", "Jordan", "Albert",
		"Dylan", "Bruce", "Willie", "Gabriel", "Alan", "Juan", "Logan", "Wayne", "Ralph", "Roy",
		"Eugene", "Randy", "Vincent", "Russell", "Louis", "Philip", "Bobby", "Johnny", "Bradley", "Mohammed"}
	femaleNames = []string{"Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
		"Nancy", "Lisa", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly", "Emily", "Donna", "Michelle",
		"Dorothy", "Carol", "Amanda", "Melissa", "Deborah", "Stephanie", "Rebecca", "Sharon", "Laura", "Cynthia",
		"Kathleen", "Amy", "Shirley", "Angela", "Helen", "Anna", "Brenda", "Pamela", "Nicole", "Emma",
		"Samantha", "Katherine", "Christine", "Debra", "Rachel", "Catherine", "Carolyn", "Janet", "Ruth", "Maria",
		"Heather", "Diane", "Virginia", "Julie", "Joyce", "Victoria", "Olivia", "Kelly", "Christina", "Lauren",
		"Joan", "Evelyn", "Judith", "Megan", "Cheryl", "Andrea", "Hannah", "Martha", "Jacqueline", "Frances",
		"Gloria", "Ann", "Teresa", "Kathryn", "Sara", "Janice", "Jean", "Alice", "Madison", "Doris",
		"Abigail", "Julia", "Judy", "Grace", "Denise", "Amber", "Marilyn", "Beverly", "Danielle", "Theresa",
		"Sophia", "Marie", "Diana", "Brittany", "Natalie", "Isabella", "Charlotte", "Rose", "Alexis", "Zoë"}
	commonFamilies = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez"}
	otherFamilies  = []string{"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
		"Lee", "Pérez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
		"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
		"Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
		"Gómez", "Phillips", "Evans", "Turner", "Díaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
		"Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
		"Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
		"Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
		"Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jiménez",
		"O'Brien", "O'Connor", "McDonald", "MacKenzie", "Núñez", "Schmidt", "Schneider", "Müller", "Nowak", "Kowalski",
		"Van der Berg", "De la Cruz", "García-López", "St. John", "D'Angelo", "Østergaard", "Łukasiewicz", "Nakamura", "Tanaka", "Cohen",
		"Levy", "Friedman", "Rossi", "Russo", "Esposito", "Bianchi", "Dubois", "Lefebvre", "Byrne", "Walsh",
		"Fitzgerald", "Sullivan", "Kennedy", "Novak", "Horvath", "Popescu", "Ivanov", "Petrov", "Yilmaz", "Singh",
		"Shah", "Khan", "Ali", "Chen", "Wang", "Liu", "Zhang", "Huang", "Wu", "Zhou"}
	streets  = []string{"Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Walnut", "Sunset", "Lincoln", "Jackson", "Church", "River", "Highland", "Franklin", "Chestnut", "Spring", "Willow", "Meadow", "Forest", "Ridge", "Center", "Union", "Jefferson", "Madison", "Cherry", "Birch"}
	suffixes = [][2]string{{"Street", "St"}, {"Avenue", "Ave"}, {"Road", "Rd"}, {"Drive", "Dr"}, {"Lane", "Ln"}, {"Boulevard", "Blvd"}, {"Court", "Ct"}, {"Place", "Pl"}}
)

// A person of the synthetic population.
type simPerson struct {
	id, household int
	given, middle string
	family, sex   string
	dob           time.Time
	line          [2]string // full form, abbreviated form
	apt           string
	zip, phone    string
	email, ssn    string
	twin, junior  bool
}

// A simRecord is one feed's Patient of a person, with the perturbations
// applied to it.
type simRecord struct {
	person  int
	tags    []string
	patient *ppb.Patient
}

type population struct {
	people  []simPerson
	records []simRecord
}

// generate builds a population of about n people in households, and
// 1–4 records of each from four feeds, in a seeded random order.
func generate(n int, seed uint64) population {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var pop population
	usedSSN := map[string]bool{}
	ssn := func() string {
		for {
			s := fmt.Sprintf("%03d%02d%04d", 1+rng.IntN(665), 1+rng.IntN(99), 1+rng.IntN(9999))
			if !usedSSN[s] {
				usedSSN[s] = true
				return s
			}
		}
	}
	phone := func() string {
		return fmt.Sprintf("%03d%03d%04d", 201+rng.IntN(700), 200+rng.IntN(700), rng.IntN(10000))
	}
	zips := make([]string, 40)
	for i := range zips {
		zips[i] = fmt.Sprintf("%05d", 1000+rng.IntN(98000))
	}
	address := func() ([2]string, string, string) {
		num := fmt.Sprint(1 + rng.IntN(9999))
		st := streets[rng.IntN(len(streets))]
		suf := suffixes[rng.IntN(len(suffixes))]
		apt := ""
		if rng.IntN(4) == 0 {
			apt = fmt.Sprint(1 + rng.IntN(40))
		}
		return [2]string{num + " " + st + " " + suf[0], num + " " + st + " " + suf[1]}, apt, zips[rng.IntN(len(zips))]
	}
	family := func() string {
		if rng.IntN(100) < 35 {
			return commonFamilies[rng.IntN(len(commonFamilies))]
		}
		return otherFamilies[rng.IntN(len(otherFamilies))]
	}
	given := func(sex string) string {
		if sex == "M" {
			return maleNames[rng.IntN(len(maleNames))]
		}
		return femaleNames[rng.IntN(len(femaleNames))]
	}
	otherSex := func(s string) string {
		if s == "M" {
			return "F"
		}
		return "M"
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	age := func(lo, hi int) time.Time { return base.AddDate(-lo, 0, 0).AddDate(0, 0, -rng.IntN((hi-lo)*365)) }
	sizes := []int{1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5}

	for h := 0; len(pop.people) < n; h++ {
		fam := family()
		line, apt, zip := address()
		home := phone()
		size := sizes[rng.IntN(len(sizes))]
		add := func(p simPerson) {
			p.id, p.household, p.family = len(pop.people), h, fam
			p.line, p.apt, p.zip = line, apt, zip
			p.phone = home
			if rng.IntN(2) == 0 {
				p.phone = phone() // a cell phone of one's own
			}
			if p.middle == "" && rng.IntN(2) == 0 {
				p.middle = given(p.sex)
			}
			if rng.IntN(10) < 4 {
				p.email = strings.ToLower(fmt.Sprintf("%s.%s%d@example.com", foldText(p.given), strings.ReplaceAll(foldText(p.family), " ", ""), rng.IntN(100)))
			}
			if rng.IntN(10) < 8 {
				p.ssn = ssn()
			}
			pop.people = append(pop.people, p)
		}
		sex := []string{"M", "F"}[rng.IntN(2)]
		adult := simPerson{sex: sex, given: given(sex), dob: age(25, 85)}
		add(adult)
		if size >= 2 {
			s := otherSex(sex)
			add(simPerson{sex: s, given: given(s), dob: adult.dob.AddDate(rng.IntN(11)-5, 0, rng.IntN(365))})
		}
		kids := size - 2
		if kids >= 2 && rng.IntN(100) < 16 {
			// Twins: one birth date, two given names, often two sexes.
			dob := age(1, 22)
			s1 := []string{"M", "F"}[rng.IntN(2)]
			s2 := s1
			if rng.IntN(2) == 0 {
				s2 = otherSex(s1)
			}
			g1 := given(s1)
			g2 := given(s2)
			for g2 == g1 || nicknames(strings.ToUpper(g1), strings.ToUpper(g2)) {
				g2 = given(s2)
			}
			add(simPerson{sex: s1, given: g1, dob: dob, twin: true})
			add(simPerson{sex: s2, given: g2, dob: dob, twin: true})
			kids -= 2
		}
		for range kids {
			s := []string{"M", "F"}[rng.IntN(2)]
			kid := simPerson{sex: s, given: given(s), dob: age(0, 24)}
			if s == "M" && adult.sex == "M" && rng.IntN(5) == 0 {
				kid.given, kid.junior = adult.given, true // a junior
			}
			add(kid)
		}
	}

	feeds := []struct {
		system string
		ssn    int // percent of records carrying the person's SSN
	}{
		{"urn:oid:2.16.840.1.113883.19.5.1", 40},
		{"urn:oid:2.16.840.1.113883.19.5.2", 30},
		{"urn:tributary:aa:CLINIC", 20},
		{"urn:tributary:payer:60054:member", 90},
	}
	counts := []int{1, 1, 1, 2, 2, 2, 2, 3, 3, 4}
	for _, p := range pop.people {
		k := counts[rng.IntN(len(counts))]
		for _, f := range rng.Perm(len(feeds))[:k] {
			rec := makeRecord(rng, pop.people, p, feeds[f].system, feeds[f].ssn, address, phone)
			pop.records = append(pop.records, rec)
		}
	}
	rng.Shuffle(len(pop.records), func(i, j int) { pop.records[i], pop.records[j] = pop.records[j], pop.records[i] })
	return pop
}

// makeRecord renders one feed's Patient of p, perturbed.
func makeRecord(rng *rand.Rand, people []simPerson, p simPerson, system string, ssnPercent int,
	address func() ([2]string, string, string), phone func() string) simRecord {
	rec := simRecord{person: p.id}
	tag := func(t string) { rec.tags = append(rec.tags, t) }
	chance := func(percent float64) bool { return rng.Float64()*100 < percent }

	given, middle, family, sex, dob := p.given, p.middle, p.family, p.sex, p.dob
	line, apt, zip, ph, email := p.line[rng.IntN(2)], p.apt, p.zip, p.phone, p.email
	switch {
	case chance(8):
		if nicks := nicknamesOf(strings.ToUpper(foldText(given))); len(nicks) > 0 {
			given = nicks[rng.IntN(len(nicks))]
			tag("nickname")
		}
	case chance(2):
		given = given[:1]
		tag("initial")
	case chance(4):
		given = typo(rng, given)
		tag("typo-given")
	}
	if chance(4) {
		family = typo(rng, family)
		tag("typo-family")
	}
	if sex == "F" && chance(2) && dob.Before(time.Date(2004, 1, 1, 0, 0, 0, 0, time.UTC)) {
		family = otherFamilies[rng.IntN(len(otherFamilies))]
		tag("married")
	}
	dobMissing := false
	switch {
	case chance(2) && dob.Day() <= 12 && dob.Day() != int(dob.Month()):
		dob = time.Date(dob.Year(), time.Month(dob.Day()), int(dob.Month()), 0, 0, 0, 0, time.UTC)
		tag("dob-transposed")
	case chance(2):
		if rng.IntN(2) == 0 {
			dob = dob.AddDate(rng.IntN(2)*2-1, 0, 0)
		} else if d := dob.Day(); d%10 != 9 && d < 27 {
			dob = dob.AddDate(0, 0, 1)
		} else {
			dob = dob.AddDate(0, 0, -1)
		}
		tag("dob-typo")
	case chance(2):
		dobMissing = true
		tag("dob-missing")
	}
	if chance(10) {
		var l [2]string
		l, apt, zip = address()
		line = l[0]
		tag("moved")
	}
	if chance(10) {
		ph = phone()
		tag("phone-changed")
	}
	if chance(12) {
		ph = ""
		tag("phone-missing")
	}
	if chance(6) {
		line, zip = "", ""
		tag("address-missing")
	}
	if chance(1) {
		sex = map[string]string{"M": "F", "F": "M"}[sex]
		tag("sex-error")
	}
	if chance(3) {
		sex = ""
	}
	ssn := ""
	if p.ssn != "" && chance(float64(ssnPercent)) {
		ssn = p.ssn
		switch {
		case chance(1.5):
			b := []byte(ssn)
			i := rng.IntN(9)
			b[i] = byte('0' + (int(b[i]-'0')+1+rng.IntN(8))%10)
			ssn = string(b)
			tag("ssn-typo")
		case chance(1):
			// Another person's SSN, typed on this patient: a housemate's
			// when there is one.
			o := people[rng.IntN(len(people))]
			for _, q := range people[max(0, p.id-4):min(len(people), p.id+5)] {
				if q.household == p.household && q.id != p.id && q.ssn != "" {
					o = q
				}
			}
			if o.ssn != "" && o.id != p.id {
				ssn = o.ssn
				tag("ssn-wrong")
			}
		default:
			tag("ssn")
		}
	}

	mrn := fmt.Sprintf("%d%06d", len(system)%7, p.id*7+len(system))
	pt := &ppb.Patient{
		Id: &dtpb.Id{Value: fhir.ID("Patient", system, mrn)},
		Identifier: []*dtpb.Identifier{{
			System: &dtpb.Uri{Value: system}, Value: &dtpb.String{Value: mrn},
		}},
	}
	if ssn != "" {
		v := ssn
		if chance(50) {
			v = ssn[:3] + "-" + ssn[3:5] + "-" + ssn[5:]
		}
		pt.Identifier = append(pt.Identifier, &dtpb.Identifier{System: &dtpb.Uri{Value: fhir.SystemSSN}, Value: &dtpb.String{Value: v}})
	}
	name := &dtpb.HumanName{Family: &dtpb.String{Value: caseOf(rng, family)}, Given: []*dtpb.String{{Value: caseOf(rng, given)}}}
	if middle != "" && chance(50) {
		m := middle
		if chance(50) {
			m = m[:1] + "."
		}
		name.Given = append(name.Given, &dtpb.String{Value: m})
	}
	if p.junior && chance(50) {
		name.Suffix = []*dtpb.String{{Value: "Jr."}}
		if chance(50) {
			name.Family.Value += " Jr"
		}
	}
	if chance(70) {
		name.Use = &dtpb.HumanName_UseCode{Value: cpb.NameUseCode_OFFICIAL}
	}
	pt.Name = []*dtpb.HumanName{name}
	if !dobMissing {
		pt.BirthDate = &dtpb.Date{ValueUs: dob.UnixMicro(), Timezone: "UTC", Precision: dtpb.Date_DAY}
	}
	switch sex {
	case "M":
		pt.Gender = &ppb.Patient_GenderCode{Value: cpb.AdministrativeGenderCode_MALE}
	case "F":
		pt.Gender = &ppb.Patient_GenderCode{Value: cpb.AdministrativeGenderCode_FEMALE}
	}
	if line != "" {
		if apt != "" {
			line += []string{" Apt ", " #", ", Unit "}[rng.IntN(3)] + apt
		}
		pt.Address = []*dtpb.Address{{
			Use:        &dtpb.Address_UseCode{Value: cpb.AddressUseCode_HOME},
			Line:       []*dtpb.String{{Value: caseOf(rng, line)}},
			PostalCode: &dtpb.String{Value: zip + []string{"", "-1234"}[rng.IntN(2)]},
		}}
	}
	if ph != "" {
		v := []string{"(" + ph[:3] + ") " + ph[3:6] + "-" + ph[6:], ph, "+1 " + ph[:3] + " " + ph[3:6] + " " + ph[6:]}[rng.IntN(3)]
		pt.Telecom = append(pt.Telecom, &dtpb.ContactPoint{
			System: &dtpb.ContactPoint_SystemCode{Value: cpb.ContactPointSystemCode_PHONE}, Value: &dtpb.String{Value: v},
		})
	}
	if email != "" && chance(60) {
		pt.Telecom = append(pt.Telecom, &dtpb.ContactPoint{
			System: &dtpb.ContactPoint_SystemCode{Value: cpb.ContactPointSystemCode_EMAIL}, Value: &dtpb.String{Value: email},
		})
	}
	rec.patient = pt
	return rec
}

// nicknamesOf lists the other names of name's groups.
func nicknamesOf(name string) []string {
	var out []string
	for n := range nicknameGroups() {
		if nicknames(name, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out) // map order must not reach the random choice
	return out
}

// typo inserts, deletes, substitutes or transposes one letter.
func typo(rng *rand.Rand, s string) string {
	b := []byte(foldText(s))
	if len(b) < 3 {
		return s
	}
	i := 1 + rng.IntN(len(b)-2)
	c := byte('A' + rng.IntN(26))
	switch rng.IntN(4) {
	case 0:
		b = slices.Insert(b, i, c)
	case 1:
		b = slices.Delete(b, i, i+1)
	case 2:
		b[i] = c
	default:
		b[i], b[i+1] = b[i+1], b[i]
	}
	return string(b)
}

// caseOf renders s as feeds do: as is, upper or lower case.
func caseOf(rng *rand.Rand, s string) string {
	switch rng.IntN(3) {
	case 0:
		return strings.ToUpper(s)
	case 1:
		return strings.ToLower(s)
	}
	return s
}

// A tally counts record pairs.
type tally struct{ pairs, linked, reviewed int }

// evaluation is the outcome of resolving a population.
type evaluation struct {
	people, records                 int
	truePairs, linkedPairs, tpPairs int
	reviewFound                     int // true pairs not linked, with a review between their persons
	reviews, reviewsTrue            int // open review items, and those about one true person
	twinPairs, twinLinked           int // record pairs of two twins
	twinReviewed                    int
	falseByRelation                 map[string]int
	byTag                           map[string]*tally
	persons                         int
	elapsed                         time.Duration
}

func evaluate(t testing.TB, m *Matcher, pop population) evaluation {
	ctx := context.Background()
	tx := NewMemory()
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tx.Clock = func() time.Time { return clock }
	start := time.Now()
	recs := make([]Record, len(pop.records))
	for i, r := range pop.records {
		recs[i] = FromPatient(r.patient)
		clock = clock.Add(time.Second)
		if _, err := m.Resolve(ctx, tx, recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	ev := evaluation{people: len(pop.people), records: len(pop.records), falseByRelation: map[string]int{}, byTag: map[string]*tally{}, elapsed: time.Since(start)}

	personOf := make([]string, len(recs))
	clusters := map[string][]int{}
	for i, r := range recs {
		e, _, _ := tx.Entry(ctx, r.PatientID)
		personOf[i] = e.PersonID
		clusters[e.PersonID] = append(clusters[e.PersonID], i)
	}
	ev.persons = len(clusters)
	index := map[string]int{}
	for i, r := range recs {
		index[r.PatientID] = i
	}
	reviewed := map[[2]string]bool{}
	for _, rv := range tx.Reviews() {
		if rv.Status != "open" {
			continue
		}
		a, b := index[rv.PatientID], index[rv.Candidate]
		ev.reviews++
		if pop.records[a].person == pop.records[b].person {
			ev.reviewsTrue++
		}
		reviewed[pair(personOf[a], personOf[b])] = true
	}
	for _, c := range clusters {
		for x := range c {
			for y := x + 1; y < len(c); y++ {
				ev.linkedPairs++
				pa, pb := pop.people[pop.records[c[x]].person], pop.people[pop.records[c[y]].person]
				if pa.id == pb.id {
					ev.tpPairs++
					continue
				}
				rel := "unrelated"
				switch {
				case pa.household == pb.household && pa.twin && pb.twin:
					rel = "twins"
				case pa.household == pb.household && (pa.junior || pb.junior) && pa.given == pb.given:
					rel = "junior/senior"
				case pa.household == pb.household:
					rel = "household"
				}
				ev.falseByRelation[rel]++
			}
		}
	}
	byPerson := map[int][]int{}
	for i, r := range pop.records {
		byPerson[r.person] = append(byPerson[r.person], i)
	}
	for _, rs := range byPerson {
		for x := range rs {
			for y := x + 1; y < len(rs); y++ {
				a, b := rs[x], rs[y]
				ev.truePairs++
				linked := personOf[a] == personOf[b]
				found := linked || reviewed[pair(personOf[a], personOf[b])]
				if found && !linked {
					ev.reviewFound++
				}
				tags := append(slices.Clone(pop.records[a].tags), pop.records[b].tags...)
				if len(tags) == 0 {
					tags = []string{"clean"}
				}
				slices.Sort(tags)
				for _, tg := range slices.Compact(tags) {
					tl := ev.byTag[tg]
					if tl == nil {
						tl = &tally{}
						ev.byTag[tg] = tl
					}
					tl.pairs++
					if linked {
						tl.linked++
					} else if found {
						tl.reviewed++
					}
				}
			}
		}
	}
	for i, r := range pop.records {
		p := pop.people[r.person]
		if !p.twin {
			continue
		}
		for j, s := range pop.records {
			q := pop.people[s.person]
			if j <= i || !q.twin || q.household != p.household || q.id == p.id {
				continue
			}
			ev.twinPairs++
			if personOf[i] == personOf[j] {
				ev.twinLinked++
			} else if reviewed[pair(personOf[i], personOf[j])] {
				ev.twinReviewed++
			}
		}
	}
	return ev
}

func (ev evaluation) precision() float64 { return ratio(ev.tpPairs, ev.linkedPairs) }
func (ev evaluation) recall() float64    { return ratio(ev.tpPairs, ev.truePairs) }
func (ev evaluation) recallWithReview() float64 {
	return ratio(ev.tpPairs+ev.reviewFound, ev.truePairs)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func TestMatchingEvaluation(t *testing.T) {
	n := 5000
	if testing.Short() && !*update {
		n = 1500
	}
	pop := generate(n, 20261126)
	m := NewMatcher(DefaultConfig())
	ev := evaluate(t, m, pop)
	t.Logf("people %d records %d persons %d in %v", ev.people, ev.records, ev.persons, ev.elapsed)
	t.Logf("auto-link precision %.4f (%d/%d) recall %.4f; recall with review %.4f; reviews %d (precision %.3f); twins linked %d/%d reviewed %d; false %v",
		ev.precision(), ev.tpPairs, ev.linkedPairs, ev.recall(), ev.recallWithReview(), ev.reviews, ratio(ev.reviewsTrue, ev.reviews),
		ev.twinLinked, ev.twinPairs, ev.twinReviewed, ev.falseByRelation)
	for _, tg := range slices.Sorted(maps.Keys(ev.byTag)) {
		tl := ev.byTag[tg]
		t.Logf("  %-16s pairs %5d linked %.3f +review %.3f", tg, tl.pairs, ratio(tl.linked, tl.pairs), ratio(tl.linked+tl.reviewed, tl.pairs))
	}
	if p := ev.precision(); p < 0.995 {
		t.Errorf("auto-link precision %.4f, want ≥ 0.995", p)
	}
	if r := ev.recallWithReview(); r < 0.95 {
		t.Errorf("recall counting reviews %.4f, want ≥ 0.95", r)
	}
	if ev.twinLinked > 0 {
		t.Errorf("%d twin record pairs auto-linked, want 0", ev.twinLinked)
	}
	if *update {
		doc := report(pop, ev, sweep(t, n))
		if err := os.WriteFile("../docs/identity-matching.md", []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
