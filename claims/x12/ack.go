package x12

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// An AckConfig is the responder's side of an acknowledgment: its own
// interchange and group envelope and the control numbers to use, which
// the caller allocates (they must be unique per trading partner, which
// only the caller can know). Empty fields default to the mirror image of
// the interchange being answered.
type AckConfig struct {
	SenderQualifier     string // ISA-05; default: the input's ISA-07
	SenderID            string // ISA-06; default: the input's ISA-08
	ReceiverQualifier   string // ISA-07; default: the input's ISA-05
	ReceiverID          string // ISA-08; default: the input's ISA-06
	ApplicationSender   string // GS-02; default: the input group's GS-03
	ApplicationReceiver string // GS-03; default: the input group's GS-02

	InterchangeControlNumber int // ISA-13, 1 to 999999999 (required)
	GroupControlNumber       int // GS-06 (required for a 999)
	// TransactionControlNumber is ST-02 of the first 999; the next ones
	// count up. 0 means 1.
	TransactionControlNumber int

	Time       time.Time  // ISA-09/10 and GS-04/05 (required)
	Usage      string     // ISA-15; default: the input's
	Delimiters Delimiters // default: the input's (so that echoed ids cannot contain them)
	Newline    bool       // write a line feed after each terminator
}

// ErrAckConfig is returned for an AckConfig without control numbers or
// time.
var ErrAckConfig = errors.New("x12: acknowledgment needs control numbers and a time")

// TA1Status returns TA104 and TA105 for an interchange: "A" and "000"
// when its envelope is sound, else "R" and the note code of the first
// interchange-level error.
func TA1Status(ic *Interchange) (ack, note string) {
	if len(ic.Errors) == 0 {
		return "A", "000"
	}
	return "R", ic.Errors[0].Code
}

// NewTA1 returns an interchange holding only the TA1 for ic.
func NewTA1(ic *Interchange, cfg AckConfig) ([]byte, error) {
	w, err := newAckWriter(ic, cfg)
	if err != nil {
		return nil, err
	}
	w.isa()
	w.ta1()
	w.seg("IEA", "0", pad9(cfg.InterchangeControlNumber))
	return w.b, nil
}

// New999 returns an interchange with one functional group (GS-01 "FA")
// holding a 999 for each functional group of ic, in order. Each reports
// every transaction set (AK2), each segment error (IK3, with the loop id)
// and element error (IK4, with the element, component and repetition
// positions and the data element reference number), the transaction
// set's status (IK5) and the group's (AK9). Values are never copied: IK4-04
// (copy of the bad element) and the CTX business unit are left out, so
// a 999 carries no patient data. It fails with [ErrAckConfig] when the
// control numbers or the time are missing.
func New999(ic *Interchange, cfg AckConfig) ([]byte, error) {
	w, err := newAckWriter(ic, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.GroupControlNumber <= 0 {
		return nil, ErrAckConfig
	}
	w.isa()
	w.group999()
	w.seg("IEA", "1", pad9(cfg.InterchangeControlNumber))
	return w.b, nil
}

// Acknowledge returns the answer to ic in one interchange: a TA1 when the
// sender asked for one (ISA-14 = 1) or the envelope has errors, and, unless
// the interchange is rejected, a group of 999s for its functional groups.
func Acknowledge(ic *Interchange, cfg AckConfig) ([]byte, error) {
	w, err := newAckWriter(ic, cfg)
	if err != nil {
		return nil, err
	}
	ack, _ := TA1Status(ic)
	groups := 0
	w.isa()
	if ic.AckRequested == "1" || ack != "A" {
		w.ta1()
	}
	if ack == "A" && len(ic.Groups) > 0 {
		if cfg.GroupControlNumber <= 0 {
			return nil, ErrAckConfig
		}
		w.group999()
		groups = 1
	}
	w.seg("IEA", strconv.Itoa(groups), pad9(cfg.InterchangeControlNumber))
	return w.b, nil
}

type ackWriter struct {
	ic  *Interchange
	cfg AckConfig
	d   Delimiters
	b   []byte
	n   int // segments since ST
}

func newAckWriter(ic *Interchange, cfg AckConfig) (*ackWriter, error) {
	if ic == nil || cfg.InterchangeControlNumber <= 0 || cfg.InterchangeControlNumber > 999999999 || cfg.Time.IsZero() {
		return nil, ErrAckConfig
	}
	d := cfg.Delimiters
	if d == (Delimiters{}) {
		d = ic.Delimiters
		if d.Repetition == 0 {
			d.Repetition = pickRepetition(d)
		}
	}
	if d.check() != nil || d.Repetition == 0 {
		return nil, ErrDelimiters
	}
	return &ackWriter{ic: ic, cfg: cfg, d: d}, nil
}

// pickRepetition chooses a repetition separator for a 5010 answer to an
// interchange that declared none.
func pickRepetition(d Delimiters) byte {
	for _, c := range []byte("^|!`{}") {
		if c != d.Element && c != d.Component && c != d.Segment {
			return c
		}
	}
	return 0
}

// seg writes one segment; values are cleaned of delimiters and trailing
// empty elements are dropped.
func (w *ackWriter) seg(id string, elems ...string) {
	for len(elems) > 0 && elems[len(elems)-1] == "" {
		elems = elems[:len(elems)-1]
	}
	w.b = append(w.b, id...)
	for _, e := range elems {
		w.b = append(w.b, w.d.Element)
		w.b = append(w.b, e...)
	}
	w.b = append(w.b, w.d.Segment)
	if w.cfg.Newline {
		w.b = append(w.b, '\n')
	}
	w.n++
}

// clean drops delimiter bytes from a value echoed from the input. It works
// on bytes, not runes: a delimiter above 0x7F can be one byte of a UTF-8
// sequence in the value.
func (w *ackWriter) clean(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == w.d.Element || c == w.d.Component || c == w.d.Repetition || c == w.d.Segment {
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// qualifier returns q when it is an ISA id qualifier, else "ZZ" (mutually
// defined), so that an answer to a broken ISA is itself sound.
func qualifier(q string) string {
	if idQualifiers[q] {
		return q
	}
	return "ZZ"
}

func padRight(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat(" ", n-len(s))
}

func pad9(n int) string {
	s := strconv.Itoa(n)
	return strings.Repeat("0", 9-len(s)) + s
}

func (w *ackWriter) isa() {
	ic, c := w.ic, w.cfg
	usage := or(c.Usage, ic.Usage)
	if usage != "T" && usage != "I" {
		usage = "P"
	}
	w.b = append(w.b, "ISA"...)
	for _, e := range []string{
		"00", strings.Repeat(" ", 10), "00", strings.Repeat(" ", 10),
		padRight(w.clean(or(c.SenderQualifier, qualifier(ic.ReceiverQualifier))), 2),
		padRight(w.clean(or(c.SenderID, ic.ReceiverID)), 15),
		padRight(w.clean(or(c.ReceiverQualifier, qualifier(ic.SenderQualifier))), 2),
		padRight(w.clean(or(c.ReceiverID, ic.SenderID)), 15),
		c.Time.Format("060102"), c.Time.Format("1504"),
		string([]byte{w.d.Repetition}), "00501", pad9(c.InterchangeControlNumber), "0", usage,
	} {
		w.b = append(w.b, w.d.Element)
		w.b = append(w.b, e...)
	}
	w.b = append(w.b, w.d.Element, w.d.Component, w.d.Segment)
	if c.Newline {
		w.b = append(w.b, '\n')
	}
}

func (w *ackWriter) ta1() {
	ack, note := TA1Status(w.ic)
	ctrl := w.clean(w.ic.ControlNumber)
	w.seg("TA1", ctrl, w.clean(w.ic.Date), w.clean(w.ic.Time), ack, note)
}

// group999 writes GS, one 999 per functional group of the input, and GE.
func (w *ackWriter) group999() {
	c := w.cfg
	var first *Group
	if len(w.ic.Groups) > 0 {
		first = w.ic.Groups[0]
	} else {
		first = &Group{}
	}
	gs := strconv.Itoa(c.GroupControlNumber)
	w.seg("GS", "FA", w.clean(or(c.ApplicationSender, or(first.ReceiverCode, "RECEIVER"))),
		w.clean(or(c.ApplicationReceiver, or(first.SenderCode, "SENDER"))),
		c.Time.Format("20060102"), c.Time.Format("1504"), gs, "X", "005010X231A1")
	st := max(c.TransactionControlNumber, 1)
	for i, g := range w.ic.Groups {
		w.write999(g, st+i)
	}
	w.seg("GE", strconv.Itoa(len(w.ic.Groups)), gs)
}

// write999 writes the 999 for one group.
func (w *ackWriter) write999(g *Group, ctrl int) {
	num := strconv.Itoa(ctrl)
	if len(num) < 4 {
		num = strings.Repeat("0", 4-len(num)) + num
	}
	w.n = 0
	w.seg("ST", "999", num, "005010X231A1")
	w.seg("AK1", w.clean(g.FunctionalID), w.clean(g.ControlNumber), w.clean(g.Version))
	accepted := 0
	for _, t := range g.Transactions {
		w.seg("AK2", w.clean(t.SetID), w.clean(t.ControlNumber), w.clean(t.Convention))
		var setCodes []string
		w.segmentErrors(t.Errors)
		for _, e := range t.Errors {
			if e.Level == LevelTransaction {
				setCodes = appendCode(setCodes, e.Code)
			}
		}
		if len(t.Errors) == 0 {
			accepted++
			w.seg("IK5", "A")
			continue
		}
		w.seg("IK5", append([]string{"R"}, setCodes...)...)
	}
	var codes []string
	for _, e := range g.Errors {
		codes = appendCode(codes, e.Code)
	}
	ack := "A"
	switch {
	case len(g.Errors) > 0 || accepted == 0 && len(g.Transactions) > 0:
		ack = "R"
	case accepted < len(g.Transactions):
		ack = "P"
	}
	declared := g.Declared
	if declared < 0 {
		declared = len(g.Transactions)
	}
	w.seg("AK9", append([]string{ack, strconv.Itoa(declared), strconv.Itoa(len(g.Transactions)), strconv.Itoa(accepted)}, codes...)...)
	w.seg("SE", strconv.Itoa(w.n+1), num)
}

// segmentErrors writes the IK3/IK4 loops for the segment and element
// errors of one transaction set, grouped by segment position in the
// order found.
func (w *ackWriter) segmentErrors(errs []*Error) {
	type group struct {
		segs  []*Error // segment-level errors at this position
		elems []*Error // element errors of the segment
	}
	var order []string
	groups := map[string]*group{}
	for _, e := range errs {
		if e.Level != LevelSegment && e.Level != LevelElement {
			continue
		}
		key := strconv.Itoa(e.Position) + "/" + e.Segment
		g := groups[key]
		if g == nil {
			g = &group{}
			groups[key] = g
			order = append(order, key)
		}
		if e.Level == LevelSegment {
			g.segs = append(g.segs, e)
		} else {
			g.elems = append(g.elems, e)
		}
	}
	for _, k := range order {
		g := groups[k]
		for _, e := range g.segs {
			// IK301 is required; an id that is not one is not echoed.
			w.seg("IK3", or(w.clean(e.Segment), "UNK"), strconv.Itoa(e.Position), w.clean(e.Loop), e.Code)
		}
		if len(g.elems) == 0 {
			continue
		}
		e0 := g.elems[0]
		w.seg("IK3", w.clean(e0.Segment), strconv.Itoa(e0.Position), w.clean(e0.Loop), "8")
		for i, e := range g.elems {
			if i == 99 {
				break // IK4 repeats at most 99 times
			}
			// IK401 is C030: element, component, repetition.
			pos := strconv.Itoa(e.Element)
			switch {
			case e.Repetition > 0 && e.Component > 0:
				pos += string([]byte{w.d.Component}) + strconv.Itoa(e.Component) + string([]byte{w.d.Component}) + strconv.Itoa(e.Repetition)
			case e.Repetition > 0:
				pos += string([]byte{w.d.Component}) + string([]byte{w.d.Component}) + strconv.Itoa(e.Repetition)
			case e.Component > 0:
				pos += string([]byte{w.d.Component}) + strconv.Itoa(e.Component)
			}
			ref := ""
			if e.Ref > 0 {
				ref = strconv.Itoa(e.Ref)
			}
			w.seg("IK4", pos, ref, e.Code)
		}
	}
}

func appendCode(codes []string, c string) []string {
	if len(codes) >= 5 {
		return codes
	}
	for _, x := range codes {
		if x == c {
			return codes
		}
	}
	return append(codes, c)
}
