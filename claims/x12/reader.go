package x12

import (
	"bytes"
	"errors"
	"io"
)

const (
	defaultBufSize = 64 << 10
	// DefaultMaxSegment is the longest segment a [Reader] accepts unless
	// told otherwise (a BIN segment of a 275 may carry a document, so it
	// is generous; the buffer only grows this far for such a segment).
	DefaultMaxSegment = 16 << 20
	// isaScan bounds the search for the 16 element separators of an ISA
	// segment (106 bytes when its fields have their fixed widths).
	isaScan = 256
)

// A Reader splits a stream of X12 interchanges into segments. It reads
// the delimiters from every ISA segment, so one stream may hold several
// interchanges with different delimiters, and it keeps only a bounded
// buffer (64 KiB, growing only to hold the longest segment), so memory does
// not depend on the size of the stream.
//
// Between segments it skips line breaks, spaces and tabs that are not
// delimiters, empty segments, and a UTF-8 byte-order mark at the start of
// the stream: everything else is returned, byte for byte, so that writing
// each segment with [Segment.AppendTo] gives back the input without those
// ignorable bytes. A final segment without its terminator is returned as
// if it had one.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	src  io.Reader
	buf  []byte
	r, w int   // buf[r:w] is unread
	base int64 // stream offset of buf[0]
	eof  bool
	err  error // sticky
	d    Delimiters
	have bool // d is known (an ISA was read)
	ends []int32
	max  int
	n    int
}

// NewReader returns a Reader over src.
func NewReader(src io.Reader) *Reader {
	return &Reader{src: src, buf: make([]byte, defaultBufSize), ends: make([]int32, 0, 32), max: DefaultMaxSegment}
}

// SetMaxSegment sets the longest segment accepted, in bytes (at least
// 256); a longer one makes Next fail with [ErrSegmentTooLong].
func (r *Reader) SetMaxSegment(n int) {
	r.max = max(n, isaScan)
}

// Delimiters returns the delimiters of the current interchange and
// whether an ISA has been read.
func (r *Reader) Delimiters() (Delimiters, bool) { return r.d, r.have }

// Count returns the number of segments returned so far.
func (r *Reader) Count() int { return r.n }

// Offset returns the stream offset of the next unread byte.
func (r *Reader) Offset() int64 { return r.base + int64(r.r) }

// fill reads more input, keeping buf[r:w]; it compacts the buffer first
// and grows it when the unread part fills it. It returns false at EOF.
func (r *Reader) fill() bool {
	if r.eof {
		return false
	}
	if r.r > 0 {
		n := copy(r.buf, r.buf[r.r:r.w])
		r.base += int64(r.r)
		r.w = n
		r.r = 0
	}
	if r.w == len(r.buf) {
		if len(r.buf) >= r.max {
			return false
		}
		nb := make([]byte, min(2*len(r.buf), r.max))
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if err != nil {
			if err != io.EOF {
				r.err = &SyntaxError{Offset: r.base + int64(r.w), Err: err}
			}
			r.eof = true
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	r.err = &SyntaxError{Offset: r.base + int64(r.w), Err: io.ErrNoProgress}
	r.eof = true
	return false
}

// ensure makes n unread bytes available if the input has them.
func (r *Reader) ensure(n int) bool {
	for r.w-r.r < n {
		if !r.fill() {
			return r.w-r.r >= n
		}
	}
	return true
}

// isBlank reports whether c may be skipped between segments: a line
// break, space or tab that is not a separator, or a terminator (an empty
// segment, such as a blank line when the terminator is a newline).
func (r *Reader) isBlank(c byte) bool {
	if r.have && c == r.d.Segment {
		return true
	}
	switch c {
	case '\r', '\n', ' ', '\t':
		return !r.have || (c != r.d.Element && c != r.d.Component && c != r.d.Repetition)
	}
	return false
}

// Next returns the next segment, a view valid until the next call (see
// [Segment.Clone]). At the end of the input it returns io.EOF. Errors are
// [*SyntaxError]s and stop the stream: input that does not start with an
// ISA segment ([ErrNoISA]), an ISA whose delimiters cannot be read
// ([ErrISA], [ErrDelimiters]), a segment longer than the maximum
// ([ErrSegmentTooLong]), or a read error.
func (r *Reader) Next() (Segment, error) {
	if r.err != nil {
		return Segment{}, r.err
	}
	// Skip what may separate segments.
	for {
		for r.r < r.w && r.isBlank(r.buf[r.r]) {
			r.r++
		}
		if r.r < r.w {
			break
		}
		if !r.fill() {
			if r.err != nil {
				return Segment{}, r.err
			}
			return Segment{}, io.EOF
		}
	}
	if r.base+int64(r.r) == 0 && r.ensure(3) && bytes.HasPrefix(r.buf[r.r:r.w], bom) {
		r.r += len(bom)
		return r.Next()
	}
	r.ensure(4)
	if p := r.buf[r.r:r.w]; len(p) >= 4 && p[0] == 'I' && p[1] == 'S' && p[2] == 'A' && !isAlnum(p[3]) {
		return r.isa()
	}
	if !r.have {
		r.err = &SyntaxError{Offset: r.Offset(), Err: ErrNoISA}
		return Segment{}, r.err
	}
	// Find the terminator; the common case is one IndexByte in the buffer.
	i := bytes.IndexByte(r.buf[r.r:r.w], r.d.Segment)
	for i < 0 {
		scanned := r.w - r.r
		if !r.fill() {
			if r.err != nil {
				return Segment{}, r.err
			}
			if r.eof {
				i = r.w - r.r // unterminated last segment
				break
			}
			r.err = &SyntaxError{Offset: r.Offset(), Err: ErrSegmentTooLong}
			return Segment{}, r.err
		}
		if j := bytes.IndexByte(r.buf[r.r+scanned:r.w], r.d.Segment); j >= 0 {
			i = scanned + j
		}
	}
	if i > r.max {
		r.err = &SyntaxError{Offset: r.Offset(), Err: ErrSegmentTooLong}
		return Segment{}, r.err
	}
	raw := r.buf[r.r : r.r+i]
	s := Segment{raw: raw, d: r.d, Offset: r.Offset()}
	r.split(&s)
	r.r += min(i+1, r.w-r.r)
	r.n++
	return s, nil
}

// split records the element boundaries of s.raw in r.ends. Elements are
// short (a few bytes), so a plain loop beats a call to IndexByte per
// element.
func (r *Reader) split(s *Segment) {
	ends := r.ends[:0]
	sep := r.d.Element
	for i, c := range s.raw {
		if c == sep {
			ends = append(ends, int32(i))
		}
	}
	ends = append(ends, int32(len(s.raw)))
	r.ends = ends
	s.ends = ends
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// isa reads an ISA segment and takes its delimiters. The element
// separator is the byte after "ISA"; ISA-16 (one byte) follows the 16th
// separator and the terminator follows ISA-16. Searching for separators
// rather than counting 106 bytes tolerates ISA fields of the wrong width,
// which the envelope check reports instead.
func (r *Reader) isa() (Segment, error) {
	r.ensure(isaScan)
	p := r.buf[r.r:r.w]
	sep := p[3]
	n, k := 0, 3
	for ; k < len(p) && k < isaScan; k++ {
		if p[k] == sep {
			n++
			if n == 16 {
				break
			}
		}
	}
	if n < 16 || k+2 >= len(p) {
		r.err = &SyntaxError{Offset: r.Offset(), Err: ErrISA}
		return Segment{}, r.err
	}
	d := Delimiters{Element: sep, Component: p[k+1], Segment: p[k+2]}
	raw := p[:k+2]
	s := Segment{raw: raw, Offset: r.Offset()}
	r.d = Delimiters{Element: sep, Segment: d.Segment} // for split
	r.split(&s)
	// ISA-11 is the repetition separator from 00501 on; before, it is the
	// standards identifier ("U").
	if rep, ver := s.Element(11), s.Element(12); len(rep) == 1 && !isAlnum(rep[0]) && string(ver) >= "00501" {
		d.Repetition = rep[0]
	}
	if err := d.check(); err != nil {
		r.err = &SyntaxError{Offset: r.Offset(), Err: err}
		r.have = false
		return Segment{}, r.err
	}
	r.d, r.have = d, true
	s.d = d
	r.r += k + 3
	r.n++
	return s, nil
}

// check reports delimiters that cannot work: alphanumeric or space
// separators, or two roles sharing a byte.
func (d Delimiters) check() error {
	if isAlnum(d.Element) || d.Element == ' ' {
		return errElementSep
	}
	if isAlnum(d.Component) || d.Component == ' ' || d.Component == d.Element {
		return errComponentSep
	}
	if isAlnum(d.Segment) || d.Segment == ' ' || d.Segment == d.Element || d.Segment == d.Component {
		return errTerminator
	}
	if d.Repetition != 0 && (d.Repetition == d.Element || d.Repetition == d.Component || d.Repetition == d.Segment) {
		return errRepetitionSep
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// Errors about the delimiters; they wrap [ErrDelimiters] and say which
// one, so the TA1 can carry the right note code.
var (
	errElementSep    = &delimError{"element separator", "026"}
	errComponentSep  = &delimError{"component separator", "027"}
	errTerminator    = &delimError{"segment terminator", "004"}
	errRepetitionSep = &delimError{"repetition separator", "026"}
)

type delimError struct{ which, note string }

func (e *delimError) Error() string { return "invalid " + e.which }
func (e *delimError) Unwrap() error { return ErrDelimiters }

// noteOf returns the TA105 note code for a tokenizer error.
func noteOf(err error) string {
	var de *delimError
	if errors.As(err, &de) {
		return de.note
	}
	return "024"
}
