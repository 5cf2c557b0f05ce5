package x12

// The loop builder walks the segments of a transaction set once, keeping
// a stack of open loops. For each segment it searches, from the innermost
// open loop outwards, the members of each loop from the last one matched
// onwards (segments in the IG's order, and child loops by the segment and
// qualifier that start them). The first match wins: a segment of the open
// loop stays in it, a child loop's first segment opens the child, and a
// match further out closes the inner loops. That is how "SBR" opens 2320
// inside 2300 but is 2000B's own segment right after its HL, and how
// NM1*82 is 2310B after a CLM but 2420A after an LX.
//
// HL segments are placed by their ids instead: HL-03 names the level's
// loop (2000A/B/C...) and HL-02 the parent HL, which must be open; the
// loops between are closed.
//
// A segment that matches nothing forward is an error: out of sequence
// when it matches an earlier member of an open loop (IK304 7), an invalid
// qualifier when its id fits but its qualifier does not (IK403 7), an
// unexpected segment otherwise (IK304 2, or 6 when the guide does not use
// the id at all, or 1 when it is not a segment id). It stays in the
// innermost open loop so that positions are kept.

type frame struct {
	rule    *LoopRule
	loop    *Loop
	idx     int            // member index last matched
	counts  []int          // uses of each member in this occurrence; -1: reported missing
	missing map[int]*Error // the errors reported for members skipped over
}

type walker struct {
	t      *Transaction
	g      *Guide
	stack  []*frame
	errs   []*Error
	hlSeen map[string]bool
	seg    Segment  // the segment being placed
	free   []*frame // closed frames, for reuse
}

// newFrame returns a frame for a new occurrence of rule, reusing a
// closed one: frames only live while their loop is open.
func (w *walker) newFrame(rule *LoopRule, l *Loop) *frame {
	var f *frame
	if n := len(w.free); n > 0 {
		f = w.free[n-1]
		w.free = w.free[:n-1]
	} else {
		f = &frame{}
	}
	counts := f.counts[:0]
	for range rule.Members {
		counts = append(counts, 0)
	}
	*f = frame{rule: rule, loop: l, counts: counts}
	return f
}

// buildLoops builds t.Root from t.Segments with t.Guide and returns the
// segment and element errors found.
func buildLoops(t *Transaction) []*Error {
	w := &walker{t: t, g: t.Guide, hlSeen: map[string]bool{}}
	root := &Loop{Rule: w.g.Root}
	t.Root = root
	w.stack = []*frame{{rule: w.g.Root, loop: root, counts: make([]int, len(w.g.Root.Members))}}
	for i, s := range t.Segments {
		w.seg = s
		if i == 0 {
			// ST starts the root.
			root.Segments = append(root.Segments, s)
			w.stack[0].counts[0] = 1
			checkElements(w, s, w.g.Root.trigger(), "")
			continue
		}
		w.place(s)
	}
	// Close everything at the end of the transaction.
	end := Segment{}
	if n := len(t.Segments); n > 0 {
		end = t.Segments[n-1]
	}
	w.seg = end
	for len(w.stack) > 0 {
		w.pop()
	}
	return w.errs
}

// place puts s into the tree.
func (w *walker) place(s Segment) {
	if len(w.g.hl) > 0 && string(s.IDBytes()) == "HL" {
		w.placeHL(s)
		return
	}
	for level := len(w.stack) - 1; level >= 0; level-- {
		f := w.stack[level]
		members := f.rule.Members
		// Member 0 starts the loop: seeing it again starts a new
		// occurrence, found one level out.
		for m := max(members[f.idx].block, 1); m < len(members); m++ {
			mem := members[m]
			if mem.Segment != nil {
				if mem.Segment.matches(s) {
					w.popTo(level)
					w.use(f, m, s, mem.Segment)
					return
				}
				continue
			}
			if mem.Loop.isHL() || m < f.idx {
				continue
			}
			if mem.Loop.trigger().matches(s) {
				w.popTo(level)
				w.open(f, m, s)
				return
			}
		}
	}
	w.misplaced(s)
}

// use records segment s as member m of frame f.
func (w *walker) use(f *frame, m int, s Segment, r *SegmentRule) {
	w.skipped(f, m)
	f.idx = m
	f.counts[m]++
	f.loop.Segments = append(f.loop.Segments, s)
	if r.Max > 0 && f.counts[m] > r.Max {
		w.segErr(s, f.loop.ID, "5", ErrSegmentRepeat)
	}
	checkElements(w, s, r, f.loop.ID)
}

// open starts a new occurrence of child loop member m of f with s.
func (w *walker) open(f *frame, m int, s Segment) *frame {
	rule := f.rule.Members[m].Loop
	w.skipped(f, m)
	f.idx = m
	f.counts[m]++
	l := &Loop{ID: rule.ID, Rule: rule, Parent: f.loop, Segments: make([]Segment, 0, min(len(rule.Members), 4))}
	f.loop.Children = append(f.loop.Children, l)
	c := w.newFrame(rule, l)
	w.stack = append(w.stack, c)
	if rule.Max > 0 && f.counts[m] > rule.Max {
		w.segErr(s, rule.ID, "4", ErrLoopRepeat)
	}
	w.use(c, 0, s, rule.trigger())
	return c
}

// skipped reports the required members that moving from f.idx to m
// passes over unused, at the position of the segment being placed: the
// first one after where they belonged. They are marked (count -1) so
// that closing the loop does not report them again.
func (w *walker) skipped(f *frame, m int) {
	ms := f.rule.Members
	for i := f.idx + 1; i < m; i++ {
		if f.counts[i] != 0 || ms[i].block == ms[m].block || ms[i].block == ms[f.idx].block {
			continue
		}
		switch {
		case ms[i].Segment != nil && ms[i].Segment.Required:
			w.segErrAt(ms[i].Segment.ID, f.loop.ID, "3", ErrRequiredSegment)
		case ms[i].Loop != nil && ms[i].Loop.Required && !ms[i].Loop.isHL():
			w.segErrAt(ms[i].Loop.trigger().ID, ms[i].Loop.ID, "3", ErrRequiredLoop)
		default:
			continue
		}
		f.counts[i] = -1
		if f.missing == nil {
			f.missing = map[int]*Error{}
		}
		f.missing[i] = w.errs[len(w.errs)-1]
	}
}

// retract removes a reported error.
func (w *walker) retract(e *Error) {
	for i, x := range w.errs {
		if x == e {
			w.errs = append(w.errs[:i], w.errs[i+1:]...)
			return
		}
	}
}

// popTo closes the loops above stack level.
func (w *walker) popTo(level int) {
	for len(w.stack) > level+1 {
		w.pop()
	}
}

// pop closes the innermost loop, reporting its missing required members
// at the position of the segment that closed it.
func (w *walker) pop() {
	f := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	defer func() { w.free = append(w.free, f) }()
	for i, mem := range f.rule.Members {
		if f.counts[i] != 0 {
			continue
		}
		switch {
		case mem.Segment != nil && mem.Segment.Required:
			w.segErrAt(mem.Segment.ID, f.loop.ID, "3", ErrRequiredSegment)
		case mem.Loop != nil && mem.Loop.Required && !mem.Loop.isHL():
			w.segErrAt(mem.Loop.trigger().ID, mem.Loop.ID, "3", ErrRequiredLoop)
		}
	}
}

// placeHL opens the HL level named by HL-03 under the HL named by HL-02.
func (w *walker) placeHL(s Segment) {
	rule := w.g.hl[string(s.Element(3))]
	id := string(s.Element(1))
	if rule == nil {
		w.elemErr(s, w.top().loop.ID, 3, 0, 735, "7", ErrInvalidCode)
		w.top().loop.Segments = append(w.top().loop.Segments, s)
		return
	}
	if id != "" && w.hlSeen[id] {
		w.elemErr(s, rule.ID, 1, 0, 628, "7", ErrDuplicate)
	}
	w.hlSeen[id] = true
	parentID := string(s.Element(2))
	level := -1
	if parentID == "" {
		level = 0
	} else {
		for i := len(w.stack) - 1; i > 0; i-- {
			if w.stack[i].loop.HLID == parentID && w.stack[i].rule.isHL() {
				level = i
				break
			}
		}
	}
	if level < 0 || memberIndex(w.stack[level].rule, rule) < 0 {
		w.elemErr(s, rule.ID, 2, 0, 734, "7", ErrHLParent)
		// Fall back to the innermost open loop that may hold this level.
		level = -1
		for i := len(w.stack) - 1; i >= 0; i-- {
			if memberIndex(w.stack[i].rule, rule) >= 0 {
				level = i
				break
			}
		}
		if level < 0 {
			w.top().loop.Segments = append(w.top().loop.Segments, s)
			return
		}
	}
	w.popTo(level)
	f := w.stack[level]
	c := w.open(f, memberIndex(f.rule, rule), s)
	c.loop.HLID = id
}

func memberIndex(parent, child *LoopRule) int {
	for i, m := range parent.Members {
		if m.Loop == child {
			return i
		}
	}
	return -1
}

func (w *walker) top() *frame { return w.stack[len(w.stack)-1] }

// misplaced handles a segment that matches no member forward.
func (w *walker) misplaced(s Segment) {
	top := w.top()
	top.loop.Segments = append(top.loop.Segments, s)
	id := s.IDBytes()
	if !validSegmentID(id) {
		// Not a segment id: it may be anything, so it is not echoed.
		w.errs = append(w.errs, &Error{Level: LevelSegment, Code: "1", Loop: top.loop.ID, Position: s.Position, Offset: s.Offset, Err: ErrSegmentID})
		return
	}
	// A known id with a qualifier that no use accepts.
	for level := len(w.stack) - 1; level >= 0; level-- {
		f := w.stack[level]
		for m := f.rule.Members[f.idx].block; m < len(f.rule.Members); m++ {
			r := f.rule.Members[m].Segment
			if l := f.rule.Members[m].Loop; l != nil && m >= f.idx && !l.isHL() {
				r = l.trigger()
			}
			if r != nil && r.ID == string(id) && r.Element > 0 {
				w.elemErr(s, top.loop.ID, r.Element, 0, qualifierRef(r.ID, r.Element), "7", ErrInvalidCode)
				return
			}
		}
	}
	// An earlier member of an open loop: out of sequence.
	for level := len(w.stack) - 1; level >= 0; level-- {
		f := w.stack[level]
		for i, mem := range f.rule.Members {
			if mem.Segment != nil && mem.Segment.matches(s) ||
				mem.Loop != nil && !mem.Loop.isHL() && mem.Loop.trigger().matches(s) {
				// It is there, only late: not also "missing".
				if f.counts[i] < 0 {
					w.retract(f.missing[i])
					f.counts[i] = 0
				}
				f.counts[i]++
				w.segErr(s, top.loop.ID, "7", ErrSegmentSequence)
				return
			}
		}
	}
	if !w.g.ids[string(id)] {
		w.segErr(s, top.loop.ID, "6", ErrSegmentNotInSet)
		return
	}
	w.segErr(s, top.loop.ID, "2", ErrUnexpectedSegment)
}

// validSegmentID reports whether id is 2 or 3 upper-case letters or
// digits, the first a letter.
func validSegmentID(id []byte) bool {
	if len(id) < 2 || len(id) > 3 || id[0] < 'A' || id[0] > 'Z' {
		return false
	}
	for _, c := range id[1:] {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (w *walker) segErr(s Segment, loopID, code string, err error) {
	w.errs = append(w.errs, &Error{Level: LevelSegment, Code: code, Loop: loopID, Segment: safeID(s), Position: s.Position, Offset: s.Offset, Err: err})
}

// segErrAt reports a missing segment at the position of the segment
// being placed (the first one after where it should have been).
func (w *walker) segErrAt(id, loopID, code string, err error) {
	w.errs = append(w.errs, &Error{Level: LevelSegment, Code: code, Loop: loopID, Segment: id, Position: w.seg.Position, Offset: w.seg.Offset, Err: err})
}

func (w *walker) elemErr(s Segment, loopID string, elem, comp, ref int, code string, err error) {
	w.errs = append(w.errs, &Error{Level: LevelElement, Code: code, Loop: loopID, Segment: safeID(s), Position: s.Position,
		Element: elem, Component: comp, Ref: ref, Offset: s.Offset, Err: err})
}

// safeID returns the segment's id, or "" when it is not a valid id (the
// bytes before the first separator may then be anything, even data).
func safeID(s Segment) string {
	if !validSegmentID(s.IDBytes()) {
		return ""
	}
	return s.ID()
}
