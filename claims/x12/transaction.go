package x12

import "strings"

// A Transaction is one ST/SE transaction set: its segments (owned, in
// order, ST first) and, when its implementation guide is supported, the
// tree of loops built from them. Errors lists everything found wrong with
// it, from SE counts to element lengths; a Transaction with errors still
// has its loops, as far as they could be built.
type Transaction struct {
	SetID         string // ST-01, e.g. "837"
	ControlNumber string // ST-02
	Version       string // ST-03, or GS-08 when ST-03 is empty, e.g. "005010X222A1"
	Guide         *Guide // nil when the set or version is not supported
	Segments      []Segment
	Root          *Loop // the transaction set as a loop (ID ""), nil without a guide
	Errors        []*Error
	Offset        int64
	Group         *Group
}

// Accepted reports whether the transaction set has no errors.
func (t *Transaction) Accepted() bool { return len(t.Errors) == 0 }

// Err returns the transaction's errors joined, or nil.
func (t *Transaction) Err() error {
	if len(t.Errors) == 0 {
		return nil
	}
	return &TransactionError{Errors: t.Errors}
}

// A TransactionError holds the errors of a transaction set.
type TransactionError struct{ Errors []*Error }

// Error returns the first error and the number of others.
func (e *TransactionError) Error() string {
	s := e.Errors[0].Error()
	if n := len(e.Errors) - 1; n > 0 {
		s += " (and " + itoa(n) + " more)"
	}
	return s
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (e *TransactionError) Unwrap() []error {
	errs := make([]error, len(e.Errors))
	for i, x := range e.Errors {
		errs[i] = x
	}
	return errs
}

func itoa(n int) string { return string(appendInt(nil, int64(n))) }

// builder collects the segments of a transaction set into one buffer.
type builder struct {
	g    *Group
	sum  *Summary
	d    Delimiters
	buf  []byte
	ends []int32
	segs []segRef
}

type builderHint struct{ buf, ends, segs int }

type segRef struct {
	raw, ends int32 // start in buf and in ends
	nraw, ne  int32
	off       int64
}

// newBuilder starts collecting a transaction set; hint is the size of the
// previous one, so that a stream of similar sets grows no buffer twice.
func newBuilder(g *Group, st Segment, hint builderHint) *builder {
	b := &builder{g: g, d: st.Delimiters(),
		buf:  make([]byte, 0, max(hint.buf, 4096)),
		ends: make([]int32, 0, max(hint.ends, 1024)),
		segs: make([]segRef, 0, max(hint.segs, 128))}
	b.sum = &Summary{SetID: st.Value(1), ControlNumber: st.Value(2), Convention: st.Value(3), Offset: st.Offset}
	b.add(st)
	return b
}

func (b *builder) add(s Segment) {
	b.segs = append(b.segs, segRef{raw: int32(len(b.buf)), ends: int32(len(b.ends)), nraw: int32(len(s.raw)), ne: int32(len(s.ends)), off: s.Offset})
	b.buf = append(b.buf, s.raw...)
	b.ends = append(b.ends, s.ends...)
}

// endTransaction finishes the transaction being collected; se is its SE
// segment, or nil when the trailer is missing. It returns nil when no
// transaction is open.
func (p *Parser) endTransaction(se *Segment) *Transaction {
	b := p.tx
	if b == nil {
		return nil
	}
	p.tx = nil
	p.hint = builderHint{len(b.buf), len(b.ends), len(b.segs)}
	sum := b.sum
	t := &Transaction{SetID: sum.SetID, ControlNumber: sum.ControlNumber, Version: sum.Convention, Offset: sum.Offset, Group: b.g}
	if t.Version == "" {
		t.Version = b.g.Version
	}
	t.Segments = make([]Segment, len(b.segs))
	for i, r := range b.segs {
		t.Segments[i] = Segment{raw: b.buf[r.raw : r.raw+r.nraw : r.raw+r.nraw], ends: b.ends[r.ends : r.ends+r.ne : r.ends+r.ne], d: b.d, Offset: r.off, Position: i + 1}
	}
	sum.Segments = len(t.Segments)
	st := t.Segments[0]
	if n := len(st.Element(2)); n < 4 || n > 9 {
		sum.addErr(st, "7", ErrControlNumber)
	}
	if want, ok := functionalIDs[b.g.FunctionalID]; ok && want != sum.SetID {
		sum.addErr(st, "6", ErrUnsupportedSet)
	}
	if se == nil {
		last := t.Segments[len(t.Segments)-1]
		sum.Errors = append(sum.Errors, &Error{Level: LevelTransaction, Code: "2", Segment: "SE", Position: last.Position + 1, Offset: last.Offset, Err: ErrMissingTrailer})
	} else {
		se := t.Segments[len(t.Segments)-1]
		if n, ok := atoi(se.Element(1)); !ok || n != len(t.Segments) {
			sum.addErr(se, "4", ErrCount)
		}
		if se.Value(2) != sum.ControlNumber {
			sum.addErr(se, "3", ErrControlNumber)
		}
	}
	switch {
	case !b.g.Supported:
		sum.addErr(st, "1", ErrUnsupportedVersion)
	case sum.Convention != "" && !strings.HasPrefix(sum.Convention, "005010"):
		sum.addErr(st, "I6", ErrUnsupportedVersion)
	default:
		t.Guide = GuideFor(t.SetID, t.Version)
		if t.Guide == nil {
			sum.addErr(st, "1", ErrUnsupportedSet)
			break
		}
		segErrs := buildLoops(t)
		if len(segErrs) > 0 {
			sum.Errors = append(sum.Errors, &Error{Level: LevelTransaction, Code: "5", Segment: "ST", Position: 1, Offset: st.Offset, Err: ErrSegmentErrors})
			sum.Errors = append(sum.Errors, segErrs...)
		}
	}
	t.Errors = sum.Errors
	return t
}
