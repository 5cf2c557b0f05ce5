package identity

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ErrUnknownPatient is returned by [Matcher.Link], [Matcher.Unlink] and
// [Matcher.Distinguish] when a Patient named is not in the index.
var ErrUnknownPatient = errors.New("identity: patient not in the index")

// Resolve places r's Patient in a person and returns what changed.
//
// An unchanged Patient (same [Record.Hash]) is answered from its entry,
// without Lock or writes. Otherwise, under Lock, r is compared with the
// candidates its [Matcher.Keys] find:
//
//   - Patients named in r.Same (an ADT^A40 merge) and candidates sharing
//     a strong identifier are the same person: their persons and r's are
//     united (Method merge or identifier). A shared identifier whose
//     demographics contradict (given name and birth date both disagree)
//     opens a review instead.
//   - Else the best score per candidate person decides: one person at or
//     above AutoLink is joined (Method probabilistic); two or more are
//     ambiguous and each gets a review item.
//   - Persons scoring between Review and AutoLink get a review item
//     (Patient r, Candidate the best-scoring member).
//   - A new Patient that joins no one founds PersonID(id, 0).
//
// A Patient already in a person with others never leaves it here (only
// [Matcher.Unlink] does) and does not join another person on a score (a
// review is opened instead); identifiers and merges still unite its
// person with others. Pairs a reviewer called distinct ([Tx.Distinct])
// are never united automatically, nor is r joined to a person holding a
// Patient distinct from it.
//
// When persons are united, the survivor is the one with the most members,
// then the smallest id, never the person of a Patient alone in it (that
// Patient moves); the others' members move to it and the others are
// returned Deleted. Moved members take the uniting Method. Every
// member of a person whose membership changed is Put again with Updated
// = tx.Now(). The same calls in the same order give the same ids.
func (m *Matcher) Resolve(ctx context.Context, tx Tx, r Record) (Outcome, error) {
	hash := r.Hash()
	e, known, err := tx.Entry(ctx, r.PatientID)
	if err != nil {
		return Outcome{}, fmt.Errorf("identity: resolve: %w", err)
	}
	if known && e.Hash == hash {
		return m.current(ctx, tx, e.PersonID)
	}
	return m.ResolveLocked(ctx, tx, r)
}

// ResolveLocked is [Matcher.Resolve] without its first, unlocked look for
// an unchanged Patient: for a caller that has just made that check its
// own way (the store answers it in one query) and found a change.
func (m *Matcher) ResolveLocked(ctx context.Context, tx Tx, r Record) (Outcome, error) {
	hash := r.Hash()
	if err := tx.Lock(ctx); err != nil {
		return Outcome{}, fmt.Errorf("identity: resolve: lock: %w", err)
	}
	// Another writer may have resolved it while we waited for the lock.
	e, known, err := tx.Entry(ctx, r.PatientID)
	if err != nil {
		return Outcome{}, fmt.Errorf("identity: resolve: %w", err)
	}
	if known && e.Hash == hash {
		return m.current(ctx, tx, e.PersonID)
	}
	out, err := m.resolve(ctx, tx, r, hash, e, known)
	if err != nil {
		return Outcome{}, fmt.Errorf("identity: resolve: %w", err)
	}
	return out, nil
}

// current is the Outcome of a call that changed nothing.
func (m *Matcher) current(ctx context.Context, tx Tx, personID string) (Outcome, error) {
	p, err := state(ctx, tx, personID)
	if err != nil {
		return Outcome{}, fmt.Errorf("identity: %w", err)
	}
	return Outcome{PersonID: personID, Persons: []Person{p}}, nil
}

// A match is the best-scoring candidate of one person.
type match struct {
	entry Entry
	cmp   Comparison
}

func (m *Matcher) resolve(ctx context.Context, tx Tx, r Record, hash string, old Entry, known bool) (Outcome, error) {
	self := Entry{Record: r, Hash: hash, Generation: -1}
	alone := true
	if known {
		self.PersonID, self.Method, self.Score = old.PersonID, old.Method, old.Score
		self.Generation, self.Updated = old.Generation, old.Updated
		mates, err := tx.Members(ctx, old.PersonID)
		if err != nil {
			return Outcome{}, err
		}
		alone = len(mates) <= 1
	}

	// unite: persons that are r's person, and how they are known to be.
	unite := map[string]Method{}
	for _, id := range r.Same {
		x, ok, err := tx.Entry(ctx, id)
		if err != nil {
			return Outcome{}, err
		}
		if d, err := tx.Distinct(ctx, r.PatientID, id); err != nil {
			return Outcome{}, err
		} else if ok && !d && x.PersonID != self.PersonID {
			unite[x.PersonID] = MethodMerge
		}
	}

	cands, err := tx.Candidates(ctx, m.Keys(r))
	if err != nil {
		return Outcome{}, err
	}
	cfg := m.cfg
	if cfg == (Config{}) {
		cfg = DefaultConfig() // a zero Matcher, not made by NewMatcher
	}
	best := map[string]match{}   // person -> best candidate by score
	blocked := map[string]bool{} // persons holding a Patient distinct from r
	var contradicted []match     // shared identifier, contradicting demographics
	ident := map[string]match{}  // person -> a member sharing an identifier
	for _, c := range cands {
		if c.PatientID == r.PatientID || (known && c.PersonID == self.PersonID) {
			continue
		}
		cmp := m.Compare(r, c.Record)
		if !cmp.Identifier && cmp.Score < cfg.Review {
			// Cannot matter; skipping it saves the Distinct lookup, a
			// round trip per candidate in a large block.
			continue
		}
		if d, err := tx.Distinct(ctx, r.PatientID, c.PatientID); err != nil {
			return Outcome{}, err
		} else if d {
			blocked[c.PersonID] = true
			continue
		}
		if cmp.Identifier {
			if contradicts(cmp) {
				contradicted = append(contradicted, match{c, cmp})
			} else if _, ok := unite[c.PersonID]; !ok {
				unite[c.PersonID] = MethodIdentifier
				ident[c.PersonID] = match{c, cmp}
			}
			continue
		}
		if b, ok := best[c.PersonID]; !ok || cmp.Score > b.cmp.Score {
			best[c.PersonID] = match{c, cmp}
		}
	}
	for p := range blocked {
		delete(unite, p)
		delete(best, p)
	}

	persons := slices.Sorted(maps.Keys(best))
	var review []match
	var auto []string
	for _, p := range persons {
		b := best[p]
		switch {
		case b.cmp.Score >= cfg.AutoLink:
			auto = append(auto, p)
		case b.cmp.Score >= cfg.Review:
			review = append(review, b)
		}
	}
	// Persons r would join must admit it (see admits): the other Patients
	// of a person are evidence too, e.g. against a junior's record
	// joining his father through their shared household.
	for _, p := range slices.Sorted(maps.Keys(unite)) {
		ok, err := admits(ctx, tx, p, r, unite[p] != MethodMerge, false)
		if err != nil {
			return Outcome{}, err
		}
		if !ok {
			if x, found := ident[p]; found {
				review = append(review, x)
			}
			delete(unite, p)
		}
	}
	selfMethod, selfScore := strongest(unite), 0.0
	if len(unite) == 0 && len(auto) == 1 && alone {
		ok, err := admits(ctx, tx, auto[0], r, true, true)
		if err != nil {
			return Outcome{}, err
		}
		if ok {
			unite[auto[0]] = MethodProbabilistic
			selfMethod, selfScore = MethodProbabilistic, best[auto[0]].cmp.Score
		}
	}
	for _, p := range auto {
		if _, ok := unite[p]; !ok {
			review = append(review, best[p])
		}
	}

	var out Outcome
	switch {
	case len(unite) > 0:
		// r's own person survives only if others are in it: a Patient
		// alone moves to the person it joins.
		eligible := slices.Sorted(maps.Keys(unite))
		if known {
			unite[self.PersonID] = selfMethod
			if !alone {
				eligible = append(eligible, self.PersonID)
			}
		}
		out, err = m.unite(ctx, tx, unite, eligible, &self, selfMethod, selfScore)
		if err != nil {
			return Outcome{}, err
		}
	case !known:
		self.PersonID, self.Method, self.Generation, self.Updated = PersonID(r.PatientID, 0), MethodFounder, 0, tx.Now()
		if err := tx.Put(ctx, self, m.Keys(r)); err != nil {
			return Outcome{}, err
		}
		p, err := state(ctx, tx, self.PersonID)
		if err != nil {
			return Outcome{}, err
		}
		out = Outcome{PersonID: self.PersonID, Persons: []Person{p}}
	default:
		// Changed, but its person's membership did not.
		if err := tx.Put(ctx, self, m.Keys(r)); err != nil {
			return Outcome{}, err
		}
		p, err := state(ctx, tx, self.PersonID)
		if err != nil {
			return Outcome{}, err
		}
		out = Outcome{PersonID: self.PersonID, Persons: []Person{p}}
	}

	review = append(review, contradicted...)
	now := tx.Now()
	seen := map[string]bool{}
	for _, b := range review {
		// Re-read: the candidate's person may be r's now.
		c, ok, err := tx.Entry(ctx, b.entry.PatientID)
		if err != nil {
			return Outcome{}, err
		}
		if !ok || c.PersonID == out.PersonID || seen[c.PatientID] {
			continue
		}
		seen[c.PatientID] = true
		rv, err := tx.AddReview(ctx, Review{
			PatientID: r.PatientID, Candidate: c.PatientID, Score: b.cmp.Score,
			Fields: b.cmp.Fields, Created: now, Status: "open",
		})
		if err != nil {
			return Outcome{}, err
		}
		out.Reviews = append(out.Reviews, rv)
	}
	return out, nil
}

// strongest is the Method by which a Patient joins persons united for
// the given reasons: a source's merge, then an identifier.
func strongest(unite map[string]Method) Method {
	best := MethodProbabilistic
	for _, m := range unite {
		if m == MethodMerge {
			return MethodMerge
		}
		if m == MethodIdentifier {
			best = MethodIdentifier
		}
	}
	return best
}

// admits reports whether r may join the person: no member was said to
// be distinct from it; when strict, no member's birth date clearly
// disagrees with r's; and when r would join on a score alone, no member
// has another value of one of r's national identifiers. (A member that
// shares r's identifier while another has a different value is usually
// an SSN typo, so identifier links do not check that.)
func admits(ctx context.Context, tx Tx, personID string, r Record, strict, probabilistic bool) (bool, error) {
	members, err := tx.Members(ctx, personID)
	if err != nil {
		return false, err
	}
	for _, e := range members {
		if d, err := tx.Distinct(ctx, r.PatientID, e.PatientID); err != nil || d {
			return false, err
		}
		if !strict {
			continue
		}
		if dateLevel(r.BirthDate, e.BirthDate) == "disagree" {
			return false, nil
		}
		if shared, conflict := compareIdentifiers(r.Identifiers, e.Identifiers); conflict && !shared && probabilistic {
			return false, nil
		}
	}
	return true, nil
}

// unite makes the persons one. The survivor is, of the eligible
// persons, the one with the most members, then the smallest id: the
// fewest entries move, and the choice depends only on the index. Members
// of the other persons move to it with the Method their person was
// united by (Score kept only for probabilistic); self (when not nil) is
// Put with selfMethod and selfScore unless its person survives.
func (m *Matcher) unite(ctx context.Context, tx Tx, persons map[string]Method, eligible []string, self *Entry, selfMethod Method, selfScore float64) (Outcome, error) {
	ids := slices.Sorted(maps.Keys(persons))
	groups := map[string][]Entry{}
	for _, id := range ids {
		members, err := tx.Members(ctx, id)
		if err != nil {
			return Outcome{}, err
		}
		groups[id] = members
	}
	survivor := ""
	for _, id := range eligible {
		if n, best := len(groups[id]), len(groups[survivor]); survivor == "" || n > best || (n == best && id < survivor) {
			survivor = id
		}
	}
	now := tx.Now()
	for _, id := range ids {
		for _, e := range groups[id] {
			if self != nil && e.PatientID == self.PatientID {
				continue
			}
			if id != survivor {
				e.PersonID, e.Method, e.Score = survivor, persons[id], 0
				if persons[id] == MethodProbabilistic {
					e.Score = selfScore
				}
			}
			e.Updated = now
			if err := tx.Put(ctx, e, m.Keys(e.Record)); err != nil {
				return Outcome{}, err
			}
		}
	}
	if self != nil {
		if self.PersonID != survivor {
			self.PersonID, self.Method, self.Score = survivor, selfMethod, selfScore
		}
		self.Updated = now
		if err := tx.Put(ctx, *self, m.Keys(self.Record)); err != nil {
			return Outcome{}, err
		}
	}
	p, err := state(ctx, tx, survivor)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{PersonID: survivor, Persons: []Person{p}}
	for _, id := range ids {
		if id != survivor {
			out.Persons = append(out.Persons, Person{ID: id, Deleted: true, Updated: now})
		}
	}
	return out, nil
}

// Link makes the Patients a and b one person: a reviewer's decision.
// b's person is merged into a's: its members move, with Method manual,
// and it is returned Deleted. Open reviews between a and b are closed
// as "linked".
func (m *Matcher) Link(ctx context.Context, tx Tx, a, b string) (Outcome, error) {
	if err := tx.Lock(ctx); err != nil {
		return Outcome{}, fmt.Errorf("identity: link: lock: %w", err)
	}
	ea, eb, err := entries(ctx, tx, a, b)
	if err != nil {
		return Outcome{}, fmt.Errorf("identity: link: %w", err)
	}
	var out Outcome
	if ea.PersonID == eb.PersonID {
		out, err = m.current(ctx, tx, ea.PersonID)
	} else {
		persons := map[string]Method{ea.PersonID: MethodManual, eb.PersonID: MethodManual}
		out, err = m.unite(ctx, tx, persons, []string{ea.PersonID}, nil, MethodManual, 0)
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("identity: link: %w", err)
	}
	if err := tx.CloseReviews(ctx, a, b, "linked"); err != nil {
		return Outcome{}, fmt.Errorf("identity: link: %w", err)
	}
	return out, nil
}

// Unlink takes a out of its person: a founds a person of its next
// generation, and is recorded distinct from every remaining member so
// that matching never puts them together again. Unlinking a Patient
// alone in its person changes nothing.
func (m *Matcher) Unlink(ctx context.Context, tx Tx, a string) (Outcome, error) {
	if err := tx.Lock(ctx); err != nil {
		return Outcome{}, fmt.Errorf("identity: unlink: lock: %w", err)
	}
	ea, _, err := entries(ctx, tx, a, a)
	if err != nil {
		return Outcome{}, fmt.Errorf("identity: unlink: %w", err)
	}
	members, err := tx.Members(ctx, ea.PersonID)
	if err != nil {
		return Outcome{}, fmt.Errorf("identity: unlink: %w", err)
	}
	if len(members) <= 1 {
		return m.current(ctx, tx, ea.PersonID)
	}
	now := tx.Now()
	old := ea.PersonID
	ea.Generation++
	ea.PersonID, ea.Method, ea.Score, ea.Updated = PersonID(a, ea.Generation), MethodFounder, 0, now
	if err := tx.Put(ctx, ea, m.Keys(ea.Record)); err != nil {
		return Outcome{}, fmt.Errorf("identity: unlink: %w", err)
	}
	for _, e := range members {
		if e.PatientID == a {
			continue
		}
		if err := tx.SetDistinct(ctx, a, e.PatientID); err != nil {
			return Outcome{}, fmt.Errorf("identity: unlink: %w", err)
		}
		e.Updated = now
		if err := tx.Put(ctx, e, m.Keys(e.Record)); err != nil {
			return Outcome{}, fmt.Errorf("identity: unlink: %w", err)
		}
	}
	out := Outcome{PersonID: ea.PersonID}
	for _, id := range []string{ea.PersonID, old} {
		p, err := state(ctx, tx, id)
		if err != nil {
			return Outcome{}, fmt.Errorf("identity: unlink: %w", err)
		}
		out.Persons = append(out.Persons, p)
	}
	return out, nil
}

// Distinguish records that a and b are different people and closes the
// open reviews between them as "distinct". Memberships do not change:
// if they share a person, [Matcher.Unlink] one of them.
func (m *Matcher) Distinguish(ctx context.Context, tx Tx, a, b string) (Outcome, error) {
	if err := tx.Lock(ctx); err != nil {
		return Outcome{}, fmt.Errorf("identity: distinguish: lock: %w", err)
	}
	ea, eb, err := entries(ctx, tx, a, b)
	if err != nil {
		return Outcome{}, fmt.Errorf("identity: distinguish: %w", err)
	}
	if err := tx.SetDistinct(ctx, a, b); err != nil {
		return Outcome{}, fmt.Errorf("identity: distinguish: %w", err)
	}
	if err := tx.CloseReviews(ctx, a, b, "distinct"); err != nil {
		return Outcome{}, fmt.Errorf("identity: distinguish: %w", err)
	}
	out := Outcome{PersonID: ea.PersonID}
	for _, id := range slices.Compact([]string{ea.PersonID, eb.PersonID}) {
		p, err := state(ctx, tx, id)
		if err != nil {
			return Outcome{}, fmt.Errorf("identity: distinguish: %w", err)
		}
		out.Persons = append(out.Persons, p)
	}
	return out, nil
}

// entries returns the entries of a and b, or ErrUnknownPatient.
func entries(ctx context.Context, tx Tx, a, b string) (Entry, Entry, error) {
	ea, ok, err := tx.Entry(ctx, a)
	if err != nil {
		return Entry{}, Entry{}, err
	}
	if !ok {
		return Entry{}, Entry{}, ErrUnknownPatient
	}
	eb, ok, err := tx.Entry(ctx, b)
	if err != nil {
		return Entry{}, Entry{}, err
	}
	if !ok {
		return Entry{}, Entry{}, ErrUnknownPatient
	}
	return ea, eb, nil
}

// state is a person as the index holds it now: members ordered by
// Patient id, Updated the latest of theirs; Deleted when it has none.
func state(ctx context.Context, tx Tx, personID string) (Person, error) {
	members, err := tx.Members(ctx, personID)
	if err != nil {
		return Person{}, err
	}
	slices.SortFunc(members, func(a, b Entry) int { return strings.Compare(a.PatientID, b.PatientID) })
	p := Person{ID: personID, Deleted: len(members) == 0}
	for _, e := range members {
		p.Members = append(p.Members, Member{PatientID: e.PatientID, Method: e.Method, Score: e.Score})
		if e.Updated.After(p.Updated) {
			p.Updated = e.Updated
		}
	}
	return p, nil
}
