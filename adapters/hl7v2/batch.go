package hl7v2

import (
	"errors"
	"strconv"
	"strings"
)

// A File is the content of an HL7 batch file:
//
//	[FHS] { [BHS] { MSH ... } [BTS] } [FTS]
//
// A file of messages without any header is a File with one Batch and no
// headers or trailers.
type File struct {
	Header  *Segment // FHS, or nil
	Batches []*Batch
	Trailer *Segment // FTS, or nil
}

// A Batch is the messages between a BHS and a BTS (either may be absent).
type Batch struct {
	Header   *Segment // BHS, or nil
	Messages []Entry
	Trailer  *Segment // BTS, or nil
}

// An Entry is one message of a batch and where it was in the input.
type Entry struct {
	Offset  int      // byte offset of its MSH in the input
	Raw     []byte   // its bytes in the input (a subslice of the input)
	Message *Message // nil when Err is set
	Err     error    // why the message did not parse (a *ParseError with offsets in the input)
}

// Messages returns the entries of all batches in order.
func (f *File) Messages() []Entry {
	var out []Entry
	for _, b := range f.Batches {
		out = append(out, b.Messages...)
	}
	return out
}

// ParseBatch parses a batch file, or any sequence of messages. Each
// message is parsed as by [Parse] with its own MSH delimiters; a message
// that fails keeps its error in its [Entry] and does not stop the others.
// ParseBatch itself fails, with a [*ParseError], only on input that is not
// a sequence of messages: nothing but white space, a segment outside any
// message, headers and trailers out of order or malformed, or a count in
// BTS-1 or FTS-1 that does not match what the batch or file holds (counts
// are checked only when present; FTS-1 counts batches, a file without BHS
// having one).
func ParseBatch(data []byte) (*File, error) {
	s := string(data)
	pos := 0
	if strings.HasPrefix(s, bom) {
		pos = len(bom)
	}
	f := &File{}
	var (
		cur       *Batch
		fileD     = DefaultDelimiters()
		batchD    Delimiters
		msgStart  = -1
		msgIndex  int // segment index of the current message's MSH
		segIndex  int
		closed    bool // FTS seen
		anything  bool
		lineStart = pos
	)
	fail := func(off int, loc Location, code ErrorCode, err error) (*File, error) {
		return nil, &ParseError{Location: loc, SegmentIndex: segIndex, Offset: off, Code: code, Err: err}
	}
	flush := func(end int) {
		if msgStart < 0 {
			return
		}
		if cur == nil {
			cur = &Batch{}
			f.Batches = append(f.Batches, cur)
		}
		p := parser{s: s}
		m, err := p.message(msgStart, end)
		var pe *ParseError
		if errors.As(err, &pe) && pe.SegmentIndex > 0 {
			pe.SegmentIndex += msgIndex - 1
		}
		cur.Messages = append(cur.Messages, Entry{Offset: msgStart, Raw: data[msgStart:end:end], Message: m, Err: err})
		msgStart = -1
	}
	for lineStart <= len(s) {
		end := min(indexFrom(s, '\r', lineStart), indexFrom(s, '\n', lineStart))
		a, line := lineStart, s[lineStart:end]
		lineStart = end + 1
		if blank(line) {
			continue
		}
		anything = true
		segIndex++
		if closed {
			return fail(a, Location{}, CodeSegmentSequence, ErrBatch)
		}
		id := line[:min(3, len(line))]
		switch id {
		case "MSH":
			flush(a)
			msgStart, msgIndex = a, segIndex
			continue
		case "FHS", "BHS", "BTS", "FTS":
		default:
			if msgStart < 0 {
				return fail(a, Location{Segment: "MSH"}, CodeSegmentSequence, ErrNoMSH)
			}
			continue // a segment of the current message
		}
		flush(a)
		loc := Location{Segment: id}
		switch id {
		case "FHS", "BHS":
			if id == "FHS" && segIndex != 1 {
				return fail(a, loc, CodeSegmentSequence, ErrBatch)
			}
			seg, d, err := headerSeg(s, a, end, segIndex)
			if err != nil {
				return nil, err
			}
			if id == "FHS" {
				f.Header, fileD = seg, d
				continue
			}
			cur = &Batch{Header: seg}
			batchD = d
			f.Batches = append(f.Batches, cur)
		case "BTS":
			if cur == nil {
				cur = &Batch{}
				f.Batches = append(f.Batches, cur)
			}
			d := fileD
			if cur.Header != nil {
				d = batchD
			}
			seg, err := trailerSeg(s, a, end, d, segIndex)
			if err != nil {
				return nil, err
			}
			cur.Trailer = seg
			if err := checkCount(seg, len(cur.Messages), a, segIndex); err != nil {
				return nil, err
			}
			cur = nil
		case "FTS":
			seg, err := trailerSeg(s, a, end, fileD, segIndex)
			if err != nil {
				return nil, err
			}
			f.Trailer = seg
			if err := checkCount(seg, len(f.Batches), a, segIndex); err != nil {
				return nil, err
			}
			closed = true
		}
	}
	flush(len(s))
	if !anything {
		return nil, &ParseError{Location: Location{Segment: "MSH"}, Offset: pos, Code: CodeSegmentSequence, Err: ErrEmpty}
	}
	return f, nil
}

// headerSeg parses an FHS or BHS line, which declares its own delimiters.
func headerSeg(s string, a, b, index int) (*Segment, Delimiters, error) {
	line := s[a:b]
	id := line[:3]
	fail := func(field int, code ErrorCode, err error) (*Segment, Delimiters, error) {
		return nil, Delimiters{}, &ParseError{Location: Location{Segment: id, Field: field}, SegmentIndex: index, Offset: a + 3, Code: code, Err: err}
	}
	if len(line) < 5 || !delimiterChar(line[3]) {
		return fail(1, CodeRequiredFieldMissing, ErrRequired)
	}
	encLen := strings.IndexByte(line[4:], line[3])
	if encLen < 0 {
		encLen = len(line) - 4
	}
	d, recovered, ok := delimitersFrom(line[3], line[4:4+encLen])
	if !ok {
		return fail(2, CodeDataType, ErrDelimiters)
	}
	p := parser{s: s, d: d, cs: csASCII, encLen: encLen, encRecovered: recovered}
	p.setup(a, b)
	if err := p.segment(a, b); err != nil {
		return nil, Delimiters{}, withIndex(err, index)
	}
	return &p.segs[0], d, nil
}

// trailerSeg parses a BTS or FTS line with the delimiters of its header.
func trailerSeg(s string, a, b int, d Delimiters, index int) (*Segment, error) {
	p := parser{s: s, d: d, cs: csASCII}
	p.setup(a, b)
	if err := p.segment(a, b); err != nil {
		return nil, withIndex(err, index)
	}
	return &p.segs[0], nil
}

func withIndex(err error, index int) error {
	var pe *ParseError
	if errors.As(err, &pe) {
		pe.SegmentIndex = index
	}
	return err
}

// checkCount compares field 1 of a trailer, when present, with n.
func checkCount(seg *Segment, n, off, index int) error {
	v := strings.TrimSpace(seg.Get(1))
	if v == "" {
		return nil
	}
	loc := Location{Segment: seg.ID, Field: 1}
	count, err := strconv.Atoi(v)
	if err != nil || count < 0 {
		return &ParseError{Location: loc, SegmentIndex: index, Offset: off, Code: CodeDataType, Err: ErrNumber}
	}
	if count != n {
		return &ParseError{Location: loc, SegmentIndex: index, Offset: off, Code: CodeSegmentSequence, Err: ErrBatchCount}
	}
	return nil
}

// EncodeBatch returns f in HL7 syntax: FHS, then each batch's BHS,
// messages (as [Encode]) and BTS, then FTS, omitting absent ones. Headers
// and trailers use the delimiters their header declares; the trailers'
// counts are written as they are, not recomputed.
func EncodeBatch(f *File) []byte {
	var dst []byte
	fd := headerDelimiters(f.Header, DefaultDelimiters())
	if f.Header != nil {
		dst = newEncoder(fd, csASCII).appendSegment(dst, f.Header)
	}
	for _, b := range f.Batches {
		bd := headerDelimiters(b.Header, fd)
		if b.Header != nil {
			dst = newEncoder(bd, csASCII).appendSegment(dst, b.Header)
		}
		for _, e := range b.Messages {
			if e.Message != nil {
				dst = append(dst, Encode(e.Message)...)
			}
		}
		if b.Trailer != nil {
			dst = newEncoder(bd, csASCII).appendSegment(dst, b.Trailer)
		}
	}
	if f.Trailer != nil {
		dst = newEncoder(fd, csASCII).appendSegment(dst, f.Trailer)
	}
	return dst
}

// headerDelimiters reads the delimiters an FHS or BHS declares, or returns
// def.
func headerDelimiters(h *Segment, def Delimiters) Delimiters {
	if h == nil {
		return def
	}
	fs, enc := h.Get(1), h.Get(2)
	if len(fs) != 1 {
		return def
	}
	if d, _, ok := delimitersFrom(fs[0], enc); ok {
		return d
	}
	return def
}
