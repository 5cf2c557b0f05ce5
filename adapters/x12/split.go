package x12

import (
	"errors"
	"io"
	"strconv"

	edi "github.com/tributary-health/tributary/claims/x12"
)

// A Span is where one interchange lies in an input: from its ISA up to
// the next ISA or the end of the input, so the bytes between two
// interchanges (line breaks, stray segments) belong to the one before,
// whose envelope check reports them.
type Span struct {
	Offset int64 // of the ISA
	Size   int64
}

// ErrNoInterchange is the error of an input without an ISA segment (an
// empty file, or only blank lines).
var ErrNoInterchange = errors.New("no interchange (ISA segment) in the input")

// ErrTooLarge is the error of an interchange over the maximum size: it
// would not fit in one Kafka record, so it is not stored.
var ErrTooLarge = errors.New("interchange exceeds the maximum size")

// A SplitError says why an input cannot be split into interchanges and
// where: nothing of such an input is stored.
type SplitError struct {
	Interchange int   // 1-based position of the interchange concerned; 0 before the first
	Offset      int64 // byte offset of the problem in the input
	Err         error // an [*edi.SyntaxError], [ErrTooLarge], [ErrNoInterchange] or a read error
}

// Error returns e.g. "offset 0: input does not start with an ISA segment".
func (e *SplitError) Error() string {
	var se *edi.SyntaxError
	text := "read error"
	switch {
	case errors.As(e.Err, &se):
		text = se.Err.Error()
		if !se.Permanent() {
			text = "read error"
		}
	case errors.Is(e.Err, ErrTooLarge), errors.Is(e.Err, ErrNoInterchange):
		text = e.Err.Error()
	}
	if e.Interchange > 0 {
		return "interchange " + itoa(int64(e.Interchange)) + " (offset " + itoa(e.Offset) + "): " + text
	}
	return "offset " + itoa(e.Offset) + ": " + text
}

// Unwrap returns Err.
func (e *SplitError) Unwrap() error { return e.Err }

// Split returns where each interchange of r lies, reading r once with
// memory independent of its size. maxSize bounds an interchange (0 means
// no bound). It fails with a [*SplitError] when the input cannot be split
// whole: no ISA at its start (after an optional byte-order mark and blank
// lines), an ISA whose delimiters cannot be read, a segment too long, an
// interchange over maxSize, or a read error.
func Split(r io.Reader, maxSize int64) ([]Span, error) {
	cr := &countReader{r: r}
	rd := edi.NewReader(cr)
	var spans []Span
	for {
		s, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *edi.SyntaxError
			off := cr.n
			if errors.As(err, &se) {
				off = se.Offset
			}
			return nil, &SplitError{Interchange: len(spans), Offset: off, Err: err}
		}
		if string(s.IDBytes()) == "ISA" {
			if n := len(spans); n > 0 {
				spans[n-1].Size = s.Offset - spans[n-1].Offset
			}
			spans = append(spans, Span{Offset: s.Offset})
		}
		if n := len(spans); n > 0 && maxSize > 0 && rd.Offset()-spans[n-1].Offset > maxSize {
			return nil, &SplitError{Interchange: n, Offset: spans[n-1].Offset, Err: ErrTooLarge}
		}
	}
	if len(spans) == 0 {
		return nil, &SplitError{Err: ErrNoInterchange}
	}
	last := &spans[len(spans)-1]
	last.Size = cr.n - last.Offset
	if maxSize > 0 && last.Size > maxSize {
		return nil, &SplitError{Interchange: len(spans), Offset: last.Offset, Err: ErrTooLarge}
	}
	return spans, nil
}

// countReader counts the bytes read, so that the last interchange runs to
// the end of the input, trailing line breaks included.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
