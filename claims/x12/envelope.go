package x12

import (
	"errors"
	"io"
	"strings"
)

// An Interchange is what a [Parser] learned about one ISA/IEA envelope:
// its header (without ISA-02 and ISA-04, which may hold passwords), its
// functional groups and the interchange-level errors a TA1 reports.
type Interchange struct {
	Offset            int64
	Delimiters        Delimiters
	SenderQualifier   string // ISA-05
	SenderID          string // ISA-06, trailing spaces trimmed
	ReceiverQualifier string // ISA-07
	ReceiverID        string // ISA-08, trailing spaces trimmed
	Date              string // ISA-09, YYMMDD
	Time              string // ISA-10, HHMM
	Version           string // ISA-12, e.g. "00501"
	ControlNumber     string // ISA-13
	AckRequested      string // ISA-14: "1" asks for a TA1
	Usage             string // ISA-15: P, T or I
	Groups            []*Group
	Errors            []*Error // interchange-level errors (TA105 codes)
	TA1Count          int      // TA1 segments received in this interchange
	Closed            bool     // an IEA was read
}

// A Group is one GS/GE functional group of an [Interchange].
type Group struct {
	Offset        int64
	FunctionalID  string // GS-01, e.g. "HC"
	SenderCode    string // GS-02
	ReceiverCode  string // GS-03
	Date          string // GS-04
	Time          string // GS-05
	ControlNumber string // GS-06
	Version       string // GS-08, e.g. "005010X222A1"
	Declared      int    // GE-01; -1 when the GE is missing
	Transactions  []*Summary
	Errors        []*Error // group-level errors (AK905 codes)
	Closed        bool     // a GE was read
	Supported     bool     // GS-08 is a 005010 version
}

// A Summary is what a [Group] keeps of each transaction set for the 999:
// its identity and errors, not its segments.
type Summary struct {
	SetID         string // ST-01
	ControlNumber string // ST-02
	Convention    string // ST-03 (may be empty)
	Offset        int64
	Segments      int // segments from ST to SE
	Errors        []*Error
}

// Accepted reports whether the transaction set has no errors.
func (s *Summary) Accepted() bool { return len(s.Errors) == 0 }

// A Parser reads interchanges from a stream, checks their envelopes and
// returns one [Transaction] at a time with its loops built and checked
// against its implementation guide. It holds one transaction set in
// memory at a time (plus a [Summary] of each one read, for the 999), so a
// stream of any size can be read with memory bounded by its largest
// transaction set.
//
// A Parser is not safe for concurrent use.
type Parser struct {
	rd       *Reader
	ics      []*Interchange
	ic       *Interchange
	g        *Group
	seen     map[string]bool // sender + ISA-13 of every interchange
	groups   map[string]bool // GS-06 in the open interchange
	sets     map[string]bool // ST-02 in the open group
	tx       *builder
	hint     builderHint
	pushback *Segment
	skipping bool // inside content of a broken envelope
	err      error
}

// NewParser returns a Parser reading from r.
func NewParser(r io.Reader) *Parser {
	return &Parser{rd: NewReader(r), seen: map[string]bool{}}
}

// Reader returns the underlying tokenizer (to set its maximum segment).
func (p *Parser) Reader() *Reader { return p.rd }

// Interchanges returns every interchange read so far, the last one
// possibly still open. After Next returned io.EOF all are complete and
// their errors final: this is what [NewTA1] and [New999] answer.
func (p *Parser) Interchanges() []*Interchange { return p.ics }

// Next returns the next transaction set, io.EOF at the end of the input,
// or a [*SyntaxError] when the input cannot be tokenized (which ends the
// stream). A transaction set is returned even when it has errors (see
// [Transaction.Errors]); one in a group of an unsupported version has no
// loops. Envelope errors are recorded in [Parser.Interchanges].
func (p *Parser) Next() (*Transaction, error) {
	if p.err != nil {
		return nil, p.err
	}
	for {
		var s Segment
		if p.pushback != nil {
			s, p.pushback = *p.pushback, nil
		} else {
			var err error
			s, err = p.rd.Next()
			if err != nil {
				if tx := p.endTransaction(nil); tx != nil {
					// Return what we have; the error comes next call.
					p.pushErr(err)
					return tx, nil
				}
				p.finish(err)
				p.err = err
				return nil, err
			}
		}
		id := s.IDBytes()
		if p.tx != nil {
			switch string(id) {
			case "SE":
				p.tx.add(s)
				return p.endTransaction(&s), nil
			case "ISA", "IEA", "GS", "GE", "ST":
				c := s.Clone()
				p.pushback = &c
				return p.endTransaction(nil), nil
			}
			p.tx.add(s)
			continue
		}
		p.envelope(s)
	}
}

// pushErr arranges for the next call of Next to see err after the
// transaction just returned.
func (p *Parser) pushErr(err error) {
	p.rd.err = err
}

// envelope handles a segment outside a transaction set.
func (p *Parser) envelope(s Segment) {
	switch string(s.IDBytes()) {
	case "ISA":
		p.closeInterchange(s.Offset)
		p.openInterchange(s)
	case "IEA":
		if p.ic == nil || p.ic.Closed {
			p.orphan(s)
			return
		}
		p.closeGroup(s.Offset)
		ic := p.ic
		// An interchange of TA1s only may count them in IEA-01.
		if n, ok := atoi(s.Element(1)); !ok || n != len(ic.Groups) && (len(ic.Groups) > 0 || n != ic.TA1Count) {
			ic.addErr(s, "021", ErrCount, 1)
		}
		if s.Value(2) != ic.ControlNumber {
			ic.addErr(s, "001", ErrControlNumber, 2)
		}
		ic.Closed = true
		p.skipping = false
	case "GS":
		if p.ic == nil || p.ic.Closed {
			p.orphan(s)
			return
		}
		p.closeGroup(s.Offset)
		p.openGroup(s)
	case "GE":
		g := p.g
		if g == nil {
			p.orphan(s)
			return
		}
		n, ok := atoi(s.Element(1))
		if ok {
			g.Declared = n
		}
		if !ok || n != len(g.Transactions) {
			g.addErr(s, "5", ErrCount)
		}
		if s.Value(2) != g.ControlNumber {
			g.addErr(s, "4", ErrControlNumber)
		}
		g.Closed = true
		p.g = nil
		p.skipping = false
	case "ST":
		if p.g == nil {
			p.orphan(s)
			return
		}
		p.tx = newBuilder(p.g, s, p.hint)
		sum := p.tx.sum
		if p.sets[sum.ControlNumber] {
			sum.addErr(s, "23", ErrDuplicate)
		}
		p.sets[sum.ControlNumber] = true
		p.g.Transactions = append(p.g.Transactions, sum)
	case "TA1":
		if p.ic != nil && p.g == nil && !p.ic.Closed {
			p.ic.TA1Count++
			return
		}
		p.orphan(s)
	default:
		p.orphan(s)
	}
}

// orphan records a segment outside the envelope where it belongs; one
// error per run of such segments.
func (p *Parser) orphan(s Segment) {
	if p.skipping {
		return
	}
	p.skipping = true
	if p.ic != nil {
		p.ic.addErr(s, "024", ErrEnvelope, 0)
	}
}

// closeInterchange ends the open interchange, if any, at offset.
func (p *Parser) closeInterchange(off int64) {
	p.closeGroup(off)
	if p.ic != nil && !p.ic.Closed {
		p.ic.Errors = append(p.ic.Errors, &Error{Level: LevelInterchange, Code: "023", Segment: "IEA", Offset: off, Err: ErrMissingTrailer})
		p.ic.Closed = true
	}
}

// closeGroup ends the open group, if any, at offset.
func (p *Parser) closeGroup(off int64) {
	if p.g != nil && !p.g.Closed {
		p.g.Errors = append(p.g.Errors, &Error{Level: LevelGroup, Code: "3", Segment: "GE", Offset: off, Err: ErrMissingTrailer})
		p.g.Closed = true
	}
	p.g = nil
}

// finish closes everything at the end of the input.
func (p *Parser) finish(err error) {
	off := p.rd.Offset()
	if errors.Is(err, io.EOF) || p.ic != nil {
		p.closeInterchange(off)
	}
}

// isaWidths are the fixed widths of ISA-01 to ISA-16 with the TA105 note
// code reporting each.
var isaWidths = [17]struct {
	n    int
	note string
}{{}, {2, "010"}, {10, "011"}, {2, "012"}, {10, "013"}, {2, "005"}, {15, "006"}, {2, "007"}, {15, "008"},
	{6, "014"}, {4, "015"}, {1, "016"}, {5, "017"}, {9, "018"}, {1, "019"}, {1, "020"}, {1, "027"}}

// idQualifiers are the values of ISA-05 and ISA-07 (X12 code list I05).
var idQualifiers = map[string]bool{"01": true, "14": true, "20": true, "27": true, "28": true, "29": true,
	"30": true, "33": true, "ZZ": true}

func (p *Parser) openInterchange(s Segment) {
	ic := &Interchange{
		Offset:            s.Offset,
		Delimiters:        s.Delimiters(),
		SenderQualifier:   s.Value(5),
		SenderID:          strings.TrimRight(s.Value(6), " "),
		ReceiverQualifier: s.Value(7),
		ReceiverID:        strings.TrimRight(s.Value(8), " "),
		Date:              s.Value(9),
		Time:              s.Value(10),
		Version:           s.Value(12),
		ControlNumber:     s.Value(13),
		AckRequested:      s.Value(14),
		Usage:             s.Value(15),
	}
	p.ics = append(p.ics, ic)
	p.ic = ic
	p.groups = map[string]bool{}
	p.skipping = false
	if s.Len() != 16 {
		ic.addErr(s, "024", ErrISAField, 0)
	}
	for i := 1; i <= 16 && i <= s.Len(); i++ {
		if len(s.Element(i)) != isaWidths[i].n {
			ic.addErr(s, isaWidths[i].note, ErrISAField, i)
		}
	}
	check := func(i int, ok bool) {
		if !ok && len(s.Element(i)) == isaWidths[i].n {
			ic.addErr(s, isaWidths[i].note, ErrISAField, i)
		}
	}
	check(1, len(s.Element(1)) == 2 && s.Element(1)[0] == '0' && s.Element(1)[1] >= '0' && s.Element(1)[1] <= '6')
	check(3, s.Is(3, "00") || s.Is(3, "01"))
	check(5, idQualifiers[s.Value(5)])
	check(7, idQualifiers[s.Value(7)])
	check(9, validDate(s.Element(9), true))
	check(10, validTime(s.Element(10)))
	check(12, allDigits(s.Element(12)))
	check(13, allDigits(s.Element(13)))
	check(14, s.Is(14, "0") || s.Is(14, "1"))
	check(15, s.Is(15, "P") || s.Is(15, "T") || s.Is(15, "I"))
	key := ic.SenderQualifier + "/" + ic.SenderID + "/" + ic.ControlNumber
	if p.seen[key] {
		ic.addErr(s, "025", ErrDuplicate, 13)
	}
	p.seen[key] = true
}

// functionalIDs maps GS-01 to the transaction sets it may hold.
var functionalIDs = map[string]string{"HC": "837", "HP": "835", "BE": "834", "HS": "270", "HB": "271",
	"HR": "276", "HN": "277", "HI": "278", "PI": "275", "RA": "820"}

func (p *Parser) openGroup(s Segment) {
	g := &Group{
		Offset:        s.Offset,
		FunctionalID:  s.Value(1),
		SenderCode:    s.Value(2),
		ReceiverCode:  s.Value(3),
		Date:          s.Value(4),
		Time:          s.Value(5),
		ControlNumber: s.Value(6),
		Version:       s.Value(8),
		Declared:      -1,
	}
	p.ic.Groups = append(p.ic.Groups, g)
	p.g = g
	p.sets = map[string]bool{}
	p.skipping = false
	if n := len(s.Element(6)); n < 1 || n > 9 || !allDigits(s.Element(6)) {
		g.addErr(s, "6", ErrControlNumber)
	} else if p.groups[g.ControlNumber] {
		g.addErr(s, "19", ErrDuplicate)
	}
	p.groups[g.ControlNumber] = true
	g.Supported = strings.HasPrefix(g.Version, "005010")
	if !g.Supported {
		g.addErr(s, "2", ErrUnsupportedVersion)
	}
}

func (ic *Interchange) addErr(s Segment, note string, err error, elem int) {
	ic.Errors = append(ic.Errors, &Error{Level: LevelInterchange, Code: note, Segment: safeID(s), Element: elem, Offset: s.Offset, Err: err})
}

func (g *Group) addErr(s Segment, code string, err error) {
	g.Errors = append(g.Errors, &Error{Level: LevelGroup, Code: code, Segment: safeID(s), Offset: s.Offset, Err: err})
}

func (t *Summary) addErr(s Segment, code string, err error) {
	t.Errors = append(t.Errors, &Error{Level: LevelTransaction, Code: code, Segment: safeID(s), Position: s.Position, Offset: s.Offset, Err: err})
}

// atoi parses a non-negative decimal of at most 9 digits.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func allDigits(b []byte) bool {
	_, ok := atoi(b)
	return ok || (len(b) > 9 && strings.Trim(string(b), "0123456789") == "")
}

// validDate checks CCYYMMDD, or YYMMDD when short is true.
func validDate(b []byte, short bool) bool {
	want := 8
	if short {
		want = 6
	}
	if len(b) != want || !allDigits(b) {
		return false
	}
	if short {
		b = append([]byte("20"), b...)
	}
	y := int(b[0]-'0')*1000 + int(b[1]-'0')*100 + int(b[2]-'0')*10 + int(b[3]-'0')
	m := int(b[4]-'0')*10 + int(b[5]-'0')
	d := int(b[6]-'0')*10 + int(b[7]-'0')
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	if m == 2 && (y%4 == 0 && y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

// validTime checks HHMM, HHMMSS or HHMMSSd..d.
func validTime(b []byte) bool {
	if len(b) < 4 || len(b) == 5 || len(b) > 8 || !allDigits(b) {
		return false
	}
	h := int(b[0]-'0')*10 + int(b[1]-'0')
	m := int(b[2]-'0')*10 + int(b[3]-'0')
	if h > 23 || m > 59 {
		return false
	}
	if len(b) >= 6 {
		if int(b[4]-'0')*10+int(b[5]-'0') > 59 {
			return false
		}
	}
	return true
}
