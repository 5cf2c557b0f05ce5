package x12

import (
	"strconv"
	"strings"
)

// A Guide is the loop structure of one implementation guide, kept as data
// (see the guide_*.go files): which loops a transaction set has, which
// segment with which qualifier starts each, which segments each holds and
// how often. Guides are built once when the package loads and never
// change; they are safe for concurrent use.
type Guide struct {
	SetID     string    // "837"
	Reference string    // implementation convention, e.g. "005010X222A1"
	Name      string    // e.g. "Health Care Claim: Professional"
	Root      *LoopRule // the transaction set (ID ""), from ST to SE
	hl        map[string]*LoopRule
	ids       map[string]bool // every segment id the guide uses
}

// A LoopRule describes a loop: its id, its members in order (the first is
// the segment that starts it), whether it is required in its parent and
// how often it may repeat there.
type LoopRule struct {
	ID       string // e.g. "2010AA"
	Name     string
	Required bool
	Max      int // maximum repeat; 0 means unbounded (">1")
	Members  []Member
}

// A Member of a loop is either a segment or a child loop.
type Member struct {
	Segment *SegmentRule
	Loop    *LoopRule
	block   int // index of the first member of the run of same-id segments this one is in
}

// A SegmentRule describes one use of a segment in a loop.
type SegmentRule struct {
	ID       string // e.g. "NM1"
	Pattern  string // as written in the table, e.g. "NM1*85"
	Required bool
	Max      int // maximum use; 0 means unbounded
	// Qualifiers: element Element must hold one of Values for the
	// segment to be this use (e.g. NM1-01 = "85" for 2010AA).
	Element int
	Values  []string
}

// trigger returns the rule of the segment that starts the loop.
func (l *LoopRule) trigger() *SegmentRule { return l.Members[0].Segment }

// isHL reports whether the loop is an HL level.
func (l *LoopRule) isHL() bool { return l.trigger().ID == "HL" }

// matches reports whether s is this use of the segment.
func (r *SegmentRule) matches(s Segment) bool {
	if string(s.IDBytes()) != r.ID {
		return false
	}
	if r.Element == 0 {
		return true
	}
	v := s.Element(r.Element)
	for _, want := range r.Values {
		if string(v) == want {
			return true
		}
	}
	return false
}

// guides holds every supported guide by set id and the guide's base
// reference ("837/X222"); read only after package initialization.
var guides = map[string]*Guide{}

// GuideFor returns the guide for a transaction set id and version (ST-03
// or GS-08), or nil. Any 005010 version of a supported guide matches
// (005010X222A1 and its later addendum A2 use the same loop structure).
func GuideFor(setID, version string) *Guide {
	if !strings.HasPrefix(version, "005010") || len(version) < 10 {
		return nil
	}
	return guides[setID+"/"+version[6:10]]
}

// Guides returns the supported guides.
func Guides() []*Guide {
	var out []*Guide
	for _, k := range []string{"837/X222", "837/X223", "837/X224", "835/X221", "834/X220", "270/X279", "271/X279", "276/X212", "277/X212"} {
		if g := guides[k]; g != nil {
			out = append(out, g)
		}
	}
	return out
}

// Table syntax. Each guide is written with two helpers (and register):
//
//	loop(id, name, usage, max, members...)
//	seg(pattern, usage, max)
//
// where usage is req (R, required) or sit (S, situational), max 0 means
// unbounded, members are segments, loops or lists of them, and a pattern
// is a segment id with, optionally, the qualifier values that select this
// use, written as X12 is: "NM1*85" (NM1-01 = 85), "NM1*DN|P3" (NM1-01 = DN
// or P3), "HL***22" (HL-03 = 22).
const (
	req = 'R'
	sit = 'S'
)

func seg(pattern string, usage byte, max int) *SegmentRule {
	r := &SegmentRule{Pattern: pattern, Required: usage == req, Max: max}
	parts := strings.Split(pattern, "*")
	r.ID = parts[0]
	for i, p := range parts[1:] {
		if p != "" {
			r.Element = i + 1
			r.Values = strings.Split(p, "|")
		}
	}
	return r
}

func loop(id, name string, usage byte, max int, members ...any) *LoopRule {
	l := &LoopRule{ID: id, Name: name, Required: usage == req, Max: max}
	var flat []any
	var add func(ms []any)
	add = func(ms []any) {
		for _, m := range ms {
			if sub, ok := m.([]any); ok {
				add(sub)
			} else {
				flat = append(flat, m)
			}
		}
	}
	add(members)
	for _, m := range flat {
		switch m := m.(type) {
		case *SegmentRule:
			l.Members = append(l.Members, Member{Segment: m})
		case *LoopRule:
			l.Members = append(l.Members, Member{Loop: m})
		case []*LoopRule:
			for _, c := range m {
				l.Members = append(l.Members, Member{Loop: c})
			}
		case []*SegmentRule:
			for _, c := range m {
				l.Members = append(l.Members, Member{Segment: c})
			}
		default:
			panic("x12: bad member in loop table " + id)
		}
	}
	if len(l.Members) == 0 || l.Members[0].Segment == nil {
		panic("x12: loop " + id + " must start with a segment")
	}
	for i := range l.Members {
		l.Members[i].block = i
		if i > 0 && l.Members[i].Segment != nil && l.Members[i-1].Segment != nil &&
			l.Members[i].Segment.ID == l.Members[i-1].Segment.ID {
			l.Members[i].block = l.Members[i-1].block
		}
	}
	return l
}

// register adds a guide whose root is a loop from ST to SE.
func register(setID, reference, name string, members ...any) *Guide {
	all := append([]any{seg("ST", req, 1)}, members...)
	all = append(all, seg("SE", req, 1))
	g := &Guide{SetID: setID, Reference: reference, Name: name, Root: loop("", name, req, 1, all...), hl: map[string]*LoopRule{}, ids: map[string]bool{}}
	var walk func(l *LoopRule)
	seen := map[*LoopRule]bool{}
	walk = func(l *LoopRule) {
		if seen[l] {
			return
		}
		seen[l] = true
		if l.isHL() {
			for _, v := range l.trigger().Values {
				if o := g.hl[v]; o != nil && o != l {
					panic("x12: HL level " + v + " used twice in " + reference)
				}
				g.hl[v] = l
			}
		}
		for _, m := range l.Members {
			if m.Segment != nil {
				g.ids[m.Segment.ID] = true
			} else {
				walk(m.Loop)
			}
		}
	}
	walk(g.Root)
	guides[setID+"/"+reference[6:10]] = g
	return g
}

// A Loop is one occurrence of a loop in a transaction set: its segments in
// order (the first is the one that started it) and its child loops in
// order. The root loop of a [Transaction] has ID "" and holds ST, the
// header segments and SE.
type Loop struct {
	ID       string
	Rule     *LoopRule
	Segments []Segment
	Children []*Loop
	Parent   *Loop
	// HLID is HL-01 of an HL level loop.
	HLID string
}

// Child returns the first child loop with the given id, or nil.
func (l *Loop) Child(id string) *Loop {
	if l == nil {
		return nil
	}
	for _, c := range l.Children {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// ChildrenOf returns the child loops with the given id, in order.
func (l *Loop) ChildrenOf(id string) []*Loop {
	if l == nil {
		return nil
	}
	var out []*Loop
	for _, c := range l.Children {
		if c.ID == id {
			out = append(out, c)
		}
	}
	return out
}

// Find returns every loop with the given id in the subtree under l
// (l included), depth first in document order.
func (l *Loop) Find(id string) []*Loop {
	var out []*Loop
	var walk func(*Loop)
	walk = func(x *Loop) {
		if x.ID == id {
			out = append(out, x)
		}
		for _, c := range x.Children {
			walk(c)
		}
	}
	if l != nil {
		walk(l)
	}
	return out
}

// Segment returns the first segment of the loop (not of its children)
// with the given id and, when qualifier is not empty, element 1 equal to
// qualifier: l.Segment("REF", "EI").
func (l *Loop) Segment(id, qualifier string) (Segment, bool) {
	if l == nil {
		return Segment{}, false
	}
	for _, s := range l.Segments {
		if string(s.IDBytes()) == id && (qualifier == "" || s.Is(1, qualifier)) {
			return s, true
		}
	}
	return Segment{}, false
}

// SegmentsOf returns the loop's segments with the given id and, when
// qualifier is not empty, element 1 equal to qualifier.
func (l *Loop) SegmentsOf(id, qualifier string) []Segment {
	if l == nil {
		return nil
	}
	var out []Segment
	for _, s := range l.Segments {
		if string(s.IDBytes()) == id && (qualifier == "" || s.Is(1, qualifier)) {
			out = append(out, s)
		}
	}
	return out
}

// First returns the segment that started the loop.
func (l *Loop) First() Segment {
	if l == nil || len(l.Segments) == 0 {
		return Segment{}
	}
	return l.Segments[0]
}

// Path returns the ids of the loop and its ancestors, outermost first,
// joined with "/", e.g. "2000A/2000B/2300".
func (l *Loop) Path() string {
	var ids []string
	for x := l; x != nil; x = x.Parent {
		if x.ID != "" {
			ids = append(ids, x.ID)
		}
	}
	for i, j := 0, len(ids)-1; i < j; i, j = i+1, j-1 {
		ids[i], ids[j] = ids[j], ids[i]
	}
	return strings.Join(ids, "/")
}

// Outline writes the tree as indented lines of loop ids and segment ids
// with positions (no values), for tests and debugging.
func (l *Loop) Outline() string {
	var b strings.Builder
	var walk func(x *Loop, depth int)
	walk = func(x *Loop, depth int) {
		ind := strings.Repeat("  ", depth)
		name := x.ID
		if name == "" {
			name = "ROOT"
		}
		b.WriteString(ind + name + ":")
		for _, s := range x.Segments {
			b.WriteString(" " + safeID(s) + "@" + strconv.Itoa(s.Position))
		}
		b.WriteByte('\n')
		for _, c := range x.Children {
			walk(c, depth+1)
		}
	}
	if l != nil {
		walk(l, 0)
	}
	return b.String()
}
