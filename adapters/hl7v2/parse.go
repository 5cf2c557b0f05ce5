package hl7v2

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

const bom = "\xEF\xBB\xBF"

// maxWarnings bounds [Message.Warnings], so hostile input cannot make a
// message's warnings outgrow the message.
const maxWarnings = 64

// Parse parses one message. It accepts a UTF-8 byte-order mark, leading
// and trailing white space and blank lines, and CR, LF or CRLF (mixed)
// as segment terminators. The delimiters come from the message's own
// MSH-1 and MSH-2; values are unescaped after splitting and decoded from
// the MSH-18 character set to UTF-8 (see the package documentation).
//
// Parse checks what it needs to interpret the message: the MSH segment
// first, valid delimiters, segment ids of three upper-case letters or
// digits, a supported character set, MSH-9.1 (message code) and MSH-12.1
// (a version 2.x). Any other MSH (a second message) or batch segment is an
// error: use [ParseBatch] for those. The returned error is a
// [*ParseError]; the message is nil exactly when the error is not.
//
// The returned message does not refer to data.
func Parse(data []byte) (*Message, error) {
	p := parser{s: string(data)}
	return p.message(0, len(p.s))
}

// ParseHeader recovers what it can of the MSH segment of data, for
// answering input that [Parse] rejects: it looks for the first "MSH"
// followed by a possible field separator, reads the line up to the
// segment terminator and falls back to the default encoding characters
// when MSH-2 is unusable. Bytes that are not valid in the character set
// are read as windows-1252. It returns a message holding only that MSH
// segment, or a [*ParseError] when there is no MSH at all.
func ParseHeader(data []byte) (*Message, error) {
	pos := -1
	for from := 0; from+4 <= len(data); {
		i := bytes.Index(data[from:], []byte("MSH"))
		if i < 0 || from+i+4 > len(data) {
			break
		}
		i += from
		if delimiterChar(data[i+3]) {
			pos = i
			break
		}
		from = i + 1
	}
	if pos < 0 {
		return nil, &ParseError{Location: Location{Segment: "MSH"}, Code: CodeSegmentSequence, Err: ErrNoMSH}
	}
	end := len(data)
	if i := bytes.IndexAny(data[pos:], "\r\n"); i >= 0 {
		end = pos + i
	}
	// Only the MSH line is copied: data may be a large broken message.
	line := string(data[pos:end])
	fs := line[3]
	encLen := strings.IndexByte(line[4:], fs)
	if encLen < 0 {
		encLen = len(line) - 4
	}
	d, recovered, ok := delimitersFrom(fs, line[4:4+encLen])
	if !ok {
		recovered = true
		d = fallbackDelimiters(fs)
	}
	p := parser{s: line, d: d, cs: csASCII, encLen: encLen, encRecovered: recovered}
	if name, _ := mshRaw(line, d, 18); name != "" {
		if cs, ok := lookupCharset(unescapeName(name, d)); ok && !cs.strict {
			p.cs = cs
		}
	}
	p.setup(0, len(line))
	if err := p.segment(0, len(line)); err != nil {
		// Only a byte undefined in a single-byte set can fail here; read
		// the header as windows-1252 instead.
		p = parser{s: line, d: d, cs: csASCII, encLen: encLen, encRecovered: recovered}
		p.setup(0, len(line))
		if err := p.segment(0, len(line)); err != nil {
			return nil, err
		}
	}
	return p.result(), nil
}

// fallbackDelimiters returns the default encoding characters with field
// separator fs, replacing any that clash with it.
func fallbackDelimiters(fs byte) Delimiters {
	d := DefaultDelimiters()
	d.Field = fs
	spare := []byte{'#', '!', '@', '%', '*'}
	for _, c := range []*byte{&d.Component, &d.Repetition, &d.Escape, &d.Subcomponent} {
		if *c == fs {
			*c = spare[0]
			spare = spare[1:]
		}
	}
	return d
}

// Byte classes for splitting.
const (
	kPlain byte = iota
	kField
	kRep
	kComp
	kSub
	kEsc
	kHigh
	kEOL // only while counting in setup
)

// Flags of a value being split.
const (
	fEsc  = 1
	fHigh = 2
)

// A parser splits one message held in s. Values are substrings of s where
// nothing needs decoding; the tree is carved from a few arenas, so a parse
// costs a handful of allocations plus one per value that holds escapes.
type parser struct {
	s     string
	d     Delimiters
	cs    *charset
	valid bool // the message is valid UTF-8 (for the UTF-8 family)
	class [256]byte

	encLen       int  // length of MSH-2 as written
	encRecovered bool // MSH-2 was unusable or malformed

	segs   []Segment
	fields []Field
	reps   []Repetition
	comps  []Component
	subs   []string
	buf    []byte

	nextCR, nextLF int

	// Where the parser is, for errors and warnings.
	segIndex   int
	field      int
	r0, c0, s0 int
	mshOff     [24]int // offsets of MSH fields, for errors found after splitting
	mshEnd     int

	warnings []*ParseError
	guessed  bool
}

// message parses s[a:b] as one message.
func (p *parser) message(a, b int) (*Message, error) {
	s := p.s
	pos := a
	if strings.HasPrefix(s[pos:b], bom) {
		pos += len(bom)
	}
	for pos < b && (isSpace(s[pos]) || s[pos] == '\r' || s[pos] == '\n') {
		pos++
	}
	if pos == b {
		return nil, &ParseError{Location: Location{Segment: "MSH"}, Offset: pos, Code: CodeSegmentSequence, Err: ErrEmpty}
	}
	p.nextCR, p.nextLF = -1, -1
	end := p.lineEnd(pos, b)
	line := s[pos:end]
	if len(line) < 3 || line[:3] != "MSH" {
		if len(line) >= 3 && batchSegment(line[:3]) {
			return nil, &ParseError{Location: Location{Segment: line[:3]}, SegmentIndex: 1, Offset: pos, Code: CodeSegmentSequence, Err: ErrUnexpected}
		}
		return nil, &ParseError{Location: Location{Segment: "MSH"}, SegmentIndex: 1, Offset: pos, Code: CodeSegmentSequence, Err: ErrNoMSH}
	}
	msh := func(field, off int, code ErrorCode, err error) error {
		return &ParseError{Location: Location{Segment: "MSH", Field: field}, SegmentIndex: 1, Offset: off, Code: code, Err: err}
	}
	if len(line) < 4 {
		return nil, msh(1, pos+3, CodeRequiredFieldMissing, ErrRequired)
	}
	fs := line[3]
	if !delimiterChar(fs) {
		return nil, msh(1, pos+3, CodeDataType, ErrDelimiters)
	}
	p.encLen = strings.IndexByte(line[4:], fs)
	if p.encLen < 0 {
		p.encLen = len(line) - 4
	}
	if p.encLen == 0 {
		return nil, msh(2, pos+4, CodeRequiredFieldMissing, ErrRequired)
	}
	d, recovered, ok := delimitersFrom(fs, line[4:4+p.encLen])
	if !ok {
		return nil, msh(2, pos+4, CodeDataType, ErrDelimiters)
	}
	p.d, p.encRecovered = d, recovered
	if recovered {
		p.warn(&ParseError{Location: Location{Segment: "MSH", Field: 2}, SegmentIndex: 1, Offset: pos + 4, Code: CodeDataType, Err: ErrRecovered})
	}
	name, off := mshRaw(line, d, 18)
	cs, ok := lookupCharset(unescapeName(name, d))
	if !ok {
		return nil, msh(18, pos+off, CodeDataType, ErrCharset)
	}
	p.cs = cs
	p.valid = cs.utf8 && utf8.ValidString(s[pos:b])
	p.setup(pos, b)

	for pos < b {
		end := p.lineEnd(pos, b)
		if !blank(s[pos:end]) {
			if err := p.segment(pos, end); err != nil {
				return nil, err
			}
		}
		pos = end + 1
	}

	m := p.result()
	mshSeg := m.segments[0]
	if strings.TrimSpace(mshSeg.Field(9).Value()) == "" {
		return nil, msh(9, p.mshOffset(9), CodeRequiredFieldMissing, ErrRequired)
	}
	switch v := strings.TrimSpace(mshSeg.Field(12).Value()); {
	case v == "":
		return nil, msh(12, p.mshOffset(12), CodeRequiredFieldMissing, ErrRequired)
	case !validVersion(v):
		return nil, msh(12, p.mshOffset(12), CodeUnsupportedVersionID, ErrVersion)
	}
	return m, nil
}

// result assembles the parsed segments into a message.
func (p *parser) result() *Message {
	m := &Message{Delimiters: p.d, warnings: p.warnings}
	m.segments = make([]*Segment, len(p.segs))
	for i := range p.segs {
		m.segments[i] = &p.segs[i]
	}
	return m
}

// mshOffset returns the offset of MSH field n, or the end of the MSH
// segment if the field is absent.
func (p *parser) mshOffset(n int) int {
	if n < len(p.mshOff) && p.mshOff[n] > 0 {
		return p.mshOff[n]
	}
	return p.mshEnd
}

// setup prepares the byte classes and sizes the arenas for s[a:b], so
// parsing never grows them.
func (p *parser) setup(a, b int) {
	d := p.d
	p.class[d.Field] = kField
	p.class[d.Repetition] = kRep
	p.class[d.Component] = kComp
	p.class[d.Subcomponent] = kSub
	p.class[d.Escape] = kEsc
	for c := 0x80; c < 0x100; c++ {
		p.class[c] = kHigh
	}
	// Slab sizes from separator counts (vectorized): an upper bound, since
	// empty parts take no slot; exact counting cost a second byte-by-byte
	// pass that was a fifth of parsing.
	text := p.s[a:b]
	eols := strings.Count(text, "\r") + strings.Count(text, "\n")
	fields := strings.Count(text, string([]byte{d.Field})) + eols + 1
	reps := fields + strings.Count(text, string([]byte{d.Repetition}))
	comps := reps + strings.Count(text, string([]byte{d.Component}))
	subs := comps + strings.Count(text, string([]byte{d.Subcomponent})) + 1
	p.segs = make([]Segment, 0, eols+1)
	p.fields = make([]Field, 0, fields)
	p.reps = make([]Repetition, 0, reps)
	p.comps = make([]Component, 0, comps)
	p.subs = make([]string, 0, subs)
}

// lineEnd returns the index of the first CR or LF at or after pos, or b.
// It remembers the next of each, so splitting stays linear with either
// terminator.
func (p *parser) lineEnd(pos, b int) int {
	if p.nextCR < pos {
		p.nextCR = indexFrom(p.s[:b], '\r', pos)
	}
	if p.nextLF < pos {
		p.nextLF = indexFrom(p.s[:b], '\n', pos)
	}
	return min(p.nextCR, p.nextLF)
}

func indexFrom(s string, c byte, from int) int {
	if i := strings.IndexByte(s[from:], c); i >= 0 {
		return from + i
	}
	return len(s)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\v' || c == '\f' }

// blank reports whether a line holds only white space.
func blank(line string) bool {
	for i := 0; i < len(line); i++ {
		if !isSpace(line[i]) {
			return false
		}
	}
	return true
}

func batchSegment(id string) bool { return id == "FHS" || id == "BHS" || id == "BTS" || id == "FTS" }

// validVersion reports whether v is a version id of v2: "2.n" or "2.n.n".
func validVersion(v string) bool {
	if !strings.HasPrefix(v, "2.") {
		return false
	}
	parts := strings.Split(v[2:], ".")
	if len(parts) > 2 {
		return false
	}
	for _, part := range parts {
		if part == "" || len(part) > 2 || strings.Trim(part, "0123456789") != "" {
			return false
		}
	}
	return true
}

// mshRaw returns the raw first subcomponent of the first component of the
// first repetition of MSH field n (n >= 3) of an MSH line, without
// unescaping (what [Message.Get] would read, for values without escapes),
// and its offset in the line (the line's length if the field is absent).
func mshRaw(line string, d Delimiters, n int) (string, int) {
	i := 3 // the separator before MSH-2
	for k := 2; k < n; k++ {
		j := strings.IndexByte(line[i+1:], d.Field)
		if j < 0 {
			return "", len(line)
		}
		i += 1 + j
	}
	v := line[i+1:]
	if j := strings.IndexByte(v, d.Field); j >= 0 {
		v = v[:j]
	}
	if j := strings.IndexByte(v, d.Repetition); j >= 0 {
		v = v[:j]
	}
	if j := strings.IndexByte(v, d.Component); j >= 0 {
		v = v[:j]
	}
	if j := strings.IndexByte(v, d.Subcomponent); j >= 0 {
		v = v[:j]
	}
	return v, i + 1
}

// unescapeName unescapes an MSH-18 value as the parser would, so the
// character set Parse reads a message in is the one Encode writes it in.
func unescapeName(raw string, d Delimiters) string {
	if strings.IndexByte(raw, d.Escape) < 0 {
		return raw
	}
	p := parser{s: raw, d: d, cs: csASCII}
	name, err := p.decode(0, len(raw))
	if err != nil {
		return raw
	}
	return name
}

// errAt returns a parse error at offset off in the current segment.
func (p *parser) errAt(off int, loc Location, code ErrorCode, err error) *ParseError {
	return &ParseError{Location: loc, SegmentIndex: p.segIndex, Offset: off, Code: code, Err: err}
}

// here returns the location of the value being split.
func (p *parser) here() Location {
	if len(p.segs) == 0 {
		return Location{}
	}
	seg := &p.segs[len(p.segs)-1]
	n := 0
	for i := range p.segs {
		if p.segs[i].ID == seg.ID {
			n++
		}
	}
	return Location{
		Segment:      seg.ID,
		Sequence:     n,
		Field:        p.field,
		Repetition:   len(p.reps) - p.r0 + 1,
		Component:    len(p.comps) - p.c0 + 1,
		Subcomponent: len(p.subs) - p.s0 + 1,
	}
}

func (p *parser) warn(w *ParseError) {
	if len(p.warnings) < maxWarnings {
		p.warnings = append(p.warnings, w)
	}
}

// segment splits the segment s[a:b] (a non-blank line).
func (p *parser) segment(a, b int) error {
	s := p.s
	p.segIndex++
	line := s[a:b]
	if len(line) < 3 || !isSegmentID(line[:3]) || len(line) > 3 && line[3] != p.d.Field {
		// The location stays empty: the bytes are not known to be an id.
		return p.errAt(a, Location{}, CodeSegmentSequence, ErrSegmentID)
	}
	id := line[:3]
	first := len(p.segs) == 0
	if !first && (id == "MSH" || batchSegment(id)) {
		return p.errAt(a, Location{Segment: id}, CodeSegmentSequence, ErrUnexpected)
	}
	p.segs = append(p.segs, Segment{ID: id})
	f0 := len(p.fields)
	i := a + 3
	n := 0
	if first && headerSegment(id) {
		enc := s[a+4 : a+4+p.encLen]
		if p.encRecovered {
			enc = p.d.EncodingCharacters()
		}
		p.fields = append(p.fields, p.single(s[a+3:a+4]), p.single(enc))
		p.mshOff[0], p.mshOff[1], p.mshOff[2], p.mshEnd = a, a+3, a+4, b
		n = 2
		i = a + 4 + p.encLen
	}
	for i < b {
		n++
		if first && n < len(p.mshOff) {
			p.mshOff[n] = i + 1
		}
		var err error
		if i, err = p.splitField(i+1, b, n); err != nil {
			return err
		}
	}
	p.segs[len(p.segs)-1].Fields = p.fields[f0:len(p.fields):len(p.fields)]
	return nil
}

// single returns a field of one value.
func (p *parser) single(v string) Field {
	p.subs = append(p.subs, v)
	p.comps = append(p.comps, p.subs[len(p.subs)-1:len(p.subs):len(p.subs)])
	p.reps = append(p.reps, p.comps[len(p.comps)-1:len(p.comps):len(p.comps)])
	return p.reps[len(p.reps)-1 : len(p.reps) : len(p.reps)]
}

// splitField splits the field starting at i (after its separator) and
// returns the index of the next field separator or b. Empty fields,
// repetitions and components are nil.
func (p *parser) splitField(i, b, n int) (int, error) {
	s := p.s
	if i >= b || s[i] == p.d.Field {
		p.fields = append(p.fields, nil)
		return i, nil
	}
	p.field = n
	p.r0, p.c0, p.s0 = len(p.reps), len(p.comps), len(p.subs)
	start := i
	flags := 0
	for ; i < b; i++ {
		k := p.class[s[i]]
		if k == kPlain {
			continue
		}
		if k == kField {
			break
		}
		switch k {
		case kEsc:
			flags |= fEsc
			continue
		case kHigh:
			flags |= fHigh
			continue
		}
		if err := p.leaf(start, i, flags); err != nil {
			return 0, err
		}
		start, flags = i+1, 0
		if k == kSub {
			continue
		}
		p.endComp()
		if k == kRep {
			p.endRep()
		}
	}
	if err := p.leaf(start, i, flags); err != nil {
		return 0, err
	}
	p.endComp()
	p.endRep()
	if len(p.reps) == p.r0+1 && p.reps[p.r0] == nil {
		p.reps = p.reps[:p.r0]
		p.fields = append(p.fields, nil)
	} else {
		p.fields = append(p.fields, p.reps[p.r0:len(p.reps):len(p.reps)])
	}
	return i, nil
}

// endComp closes the component whose subcomponents start at s0.
func (p *parser) endComp() {
	if len(p.subs) == p.s0+1 && p.subs[p.s0] == "" {
		p.subs = p.subs[:p.s0]
		p.comps = append(p.comps, nil)
	} else {
		p.comps = append(p.comps, p.subs[p.s0:len(p.subs):len(p.subs)])
	}
	p.s0 = len(p.subs)
}

// endRep closes the repetition whose components start at c0.
func (p *parser) endRep() {
	if len(p.comps) == p.c0+1 && p.comps[p.c0] == nil {
		p.comps = p.comps[:p.c0]
		p.reps = append(p.reps, nil)
	} else {
		p.reps = append(p.reps, p.comps[p.c0:len(p.comps):len(p.comps)])
	}
	p.c0 = len(p.comps)
}

// leaf appends the value s[a:b].
func (p *parser) leaf(a, b, flags int) error {
	if flags == 0 || flags == fHigh && p.valid {
		p.subs = append(p.subs, p.s[a:b])
		return nil
	}
	t, err := p.decode(a, b)
	if err != nil {
		return err
	}
	p.subs = append(p.subs, t)
	return nil
}

// decode unescapes and decodes the raw value s[a:b]; see the package
// documentation for what each escape sequence becomes.
func (p *parser) decode(a, b int) (string, error) {
	s, d := p.s, p.d
	buf := p.buf[:0]
	var err error
	for i := a; i < b; {
		if s[i] != d.Escape {
			end := indexFrom(s[:b], d.Escape, i)
			if buf, err = p.appendRaw(buf, i, end); err != nil {
				return "", err
			}
			i = end
			continue
		}
		j := strings.IndexByte(s[i+1:b], d.Escape)
		if j < 0 {
			// Unterminated: keep the escape character as text.
			p.warn(p.errAt(i, p.here(), CodeDataType, ErrEscape))
			if buf, err = p.appendRaw(buf, i, i+1); err != nil {
				return "", err
			}
			i++
			continue
		}
		seq := s[i+1 : i+1+j]
		next := i + 2 + j
		known := true
		if c, ok := delimiterEscape(seq, d); ok {
			buf = append(buf, c)
		} else if markupSeq(seq) {
			buf = append(buf, '\\')
			buf = append(buf, seq...)
			buf = append(buf, '\\')
		} else if hexSeq(seq) {
			buf, known = p.appendHex(buf, seq)
		} else {
			known = false
		}
		if !known {
			// Unknown or malformed: keep the sequence as text, and say so.
			p.warn(p.errAt(i, p.here(), CodeDataType, ErrEscape))
			if buf, err = p.appendRaw(buf, i, next); err != nil {
				return "", err
			}
		}
		i = next
	}
	p.buf = buf
	return string(buf), nil
}

// appendHex appends the bytes of \Xhh...\ as text of the message's
// character set: as they are for the UTF-8 family (they may be binary),
// decoded for a single-byte set. It fails on a byte the set leaves
// undefined.
func (p *parser) appendHex(buf []byte, seq string) ([]byte, bool) {
	hex := seq[1:]
	if !p.cs.utf8 {
		for i := 0; i < len(hex); i += 2 {
			c := byte(unhex(hex[i])<<4 | unhex(hex[i+1]))
			if _, ok := p.cs.decodeByte(c); c >= 0x80 && !ok {
				return buf, false
			}
		}
	}
	for i := 0; i < len(hex); i += 2 {
		c := byte(unhex(hex[i])<<4 | unhex(hex[i+1]))
		if c < 0x80 || p.cs.utf8 {
			buf = append(buf, c)
		} else {
			r, _ := p.cs.decodeByte(c)
			buf = utf8.AppendRune(buf, r)
		}
	}
	return buf, true
}

// appendRaw appends raw bytes s[a:b] (no escapes) decoded to UTF-8.
func (p *parser) appendRaw(buf []byte, a, b int) ([]byte, error) {
	raw := p.s[a:b]
	if p.cs.utf8 {
		if p.valid {
			return append(buf, raw...), nil
		}
		for i := 0; i < len(raw); {
			c := raw[i]
			if c < 0x80 {
				buf = append(buf, c)
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(raw[i:])
			if r == utf8.RuneError && size == 1 {
				if p.cs.strict {
					return nil, p.errAt(a+i, p.here(), CodeDataType, ErrEncoding)
				}
				if !p.guessed {
					p.guessed = true
					p.warn(p.errAt(a+i, p.here(), CodeDataType, ErrCharsetGuessed))
				}
				buf = utf8.AppendRune(buf, guessByte(c))
			} else {
				buf = append(buf, raw[i:i+size]...)
			}
			i += size
		}
		return buf, nil
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c < 0x80 {
			buf = append(buf, c)
			continue
		}
		r, ok := p.cs.decodeByte(c)
		if !ok {
			return nil, p.errAt(a+i, p.here(), CodeDataType, ErrEncoding)
		}
		buf = utf8.AppendRune(buf, r)
	}
	return buf, nil
}
