package identity

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Memory is an in-memory [Tx], for tests and the matching evaluation.
// It is not safe for concurrent use: Lock does nothing, since one
// goroutine is its only writer.
type Memory struct {
	// Clock is the time Now returns; nil means time.Now.
	Clock func() time.Time

	entries  map[string]Entry
	keys     map[string][]string            // patient -> its keys
	index    map[string]map[string]struct{} // key -> patients
	persons  map[string]map[string]struct{} // person -> patients
	distinct map[[2]string]bool
	reviews  []Review
	open     map[[2]string]int // pair -> index in reviews of its open item
}

// NewMemory returns an empty index.
func NewMemory() *Memory {
	return &Memory{
		entries:  map[string]Entry{},
		keys:     map[string][]string{},
		index:    map[string]map[string]struct{}{},
		persons:  map[string]map[string]struct{}{},
		distinct: map[[2]string]bool{},
		open:     map[[2]string]int{},
	}
}

// Lock does nothing: Memory has one writer.
func (m *Memory) Lock(context.Context) error { return nil }

// Entry returns the Patient's entry.
func (m *Memory) Entry(_ context.Context, patientID string) (Entry, bool, error) {
	e, ok := m.entries[patientID]
	return e, ok, nil
}

// Candidates returns the entries having any of keys, ordered by Patient id.
func (m *Memory) Candidates(_ context.Context, keys []string) ([]Entry, error) {
	seen := map[string]bool{}
	var out []Entry
	for _, k := range keys {
		if len(m.index[k]) > MaxBlock && !strings.HasPrefix(k, "id:") {
			continue
		}
		for id := range m.index[k] {
			if !seen[id] {
				seen[id] = true
				out = append(out, m.entries[id])
			}
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.PatientID, b.PatientID) })
	return out, nil
}

// Members returns a person's entries, ordered by Patient id.
func (m *Memory) Members(_ context.Context, personID string) ([]Entry, error) {
	var out []Entry
	for id := range m.persons[personID] {
		out = append(out, m.entries[id])
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.PatientID, b.PatientID) })
	return out, nil
}

// Put inserts or replaces an entry and its keys.
func (m *Memory) Put(_ context.Context, e Entry, keys []string) error {
	id := e.PatientID
	if old, ok := m.entries[id]; ok {
		delete(m.persons[old.PersonID], id)
		if len(m.persons[old.PersonID]) == 0 {
			delete(m.persons, old.PersonID)
		}
		for _, k := range m.keys[id] {
			delete(m.index[k], id)
			if len(m.index[k]) == 0 {
				delete(m.index, k)
			}
		}
	}
	m.entries[id] = e
	m.keys[id] = slices.Clone(keys)
	for _, k := range keys {
		if m.index[k] == nil {
			m.index[k] = map[string]struct{}{}
		}
		m.index[k][id] = struct{}{}
	}
	if m.persons[e.PersonID] == nil {
		m.persons[e.PersonID] = map[string]struct{}{}
	}
	m.persons[e.PersonID][id] = struct{}{}
	return nil
}

// Distinct reports whether a and b were said to be different people.
func (m *Memory) Distinct(_ context.Context, a, b string) (bool, error) {
	return m.distinct[pair(a, b)], nil
}

// SetDistinct records that a and b are different people.
func (m *Memory) SetDistinct(_ context.Context, a, b string) error {
	m.distinct[pair(a, b)] = true
	return nil
}

// AddReview opens a review item unless an open one for the pair exists,
// which it returns instead.
func (m *Memory) AddReview(_ context.Context, r Review) (Review, error) {
	p := pair(r.PatientID, r.Candidate)
	if i, ok := m.open[p]; ok {
		return m.reviews[i], nil
	}
	r.ID = int64(len(m.reviews) + 1)
	r.Status = "open"
	m.open[p] = len(m.reviews)
	m.reviews = append(m.reviews, r)
	return r, nil
}

// CloseReviews sets the status of the open items between a and b.
func (m *Memory) CloseReviews(_ context.Context, a, b, status string) error {
	if i, ok := m.open[pair(a, b)]; ok {
		m.reviews[i].Status = status
		delete(m.open, pair(a, b))
	}
	return nil
}

// Now returns Clock(), or the current time.
func (m *Memory) Now() time.Time {
	if m.Clock != nil {
		return m.Clock()
	}
	return time.Now()
}

// Reviews returns every review item, open and closed, in creation order.
func (m *Memory) Reviews() []Review { return slices.Clone(m.reviews) }

// pair orders two Patient ids, for symmetric lookups.
func pair(a, b string) [2]string {
	if a > b {
		a, b = b, a
	}
	return [2]string{a, b}
}
