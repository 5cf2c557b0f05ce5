package x12

import (
	"errors"
	"strconv"
	"strings"

	edi "github.com/tributary-health/tributary/claims/x12"
)

// An InputError is one problem with an input, located: a file (or an HTTP
// body) that cannot be split, or one error an acknowledgment reports. Its
// text names the file, the interchange and where in it, never a value
// from the input.
type InputError struct {
	File        string // "" for an HTTP body
	Interchange int    // 1-based; 0 for the input as a whole
	Offset      int64  // of the interchange's ISA; of the problem when Interchange is 0
	// Err is an [*edi.Error], a [*SplitError] or an I/O error.
	Err error
}

// Error returns "FILE: interchange N (offset X): LOCATION: text (CODE c;
// segment P, offset O)" for an error an acknowledgment reports, where P
// counts from the transaction set's ST and O is the byte offset in the
// file; "FILE: offset X: text" for a file that cannot be split.
func (e *InputError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	var se *SplitError
	if errors.As(e.Err, &se) {
		b.WriteString(se.Error())
		return b.String()
	}
	if e.Interchange > 0 {
		b.WriteString("interchange ")
		b.WriteString(strconv.Itoa(e.Interchange))
		b.WriteString(" (offset ")
		b.WriteString(strconv.FormatInt(e.Offset, 10))
		b.WriteString("): ")
	}
	var xe *edi.Error
	if !errors.As(e.Err, &xe) {
		b.WriteString(describe(e.Err))
		return b.String()
	}
	if loc := xe.Location(); loc != "" {
		b.WriteString(loc)
		b.WriteString(": ")
	}
	if xe.Err != nil {
		b.WriteString(xe.Err.Error())
	} else {
		b.WriteString("error")
	}
	b.WriteString(" (")
	b.WriteString(codeName(xe.Level))
	b.WriteByte(' ')
	b.WriteString(xe.Code)
	b.WriteString("; ")
	if xe.Position > 0 {
		b.WriteString("segment ")
		b.WriteString(strconv.Itoa(xe.Position))
		b.WriteString(", ")
	}
	b.WriteString("offset ")
	b.WriteString(strconv.FormatInt(xe.Offset, 10))
	b.WriteByte(')')
	return b.String()
}

// Unwrap returns Err.
func (e *InputError) Unwrap() error { return e.Err }

// describe returns a text for an error that is neither located nor ours:
// an I/O error keeps its operation and cause (paths are the caller's).
func describe(err error) string {
	var pe interface{ Unwrap() error }
	if errors.As(err, &pe) {
		if inner := pe.Unwrap(); inner != nil {
			return inner.Error()
		}
	}
	return err.Error()
}

// codeName names the acknowledgment element that carries an error's code.
func codeName(l edi.Level) string {
	switch l {
	case edi.LevelInterchange:
		return "TA105"
	case edi.LevelGroup:
		return "AK905"
	case edi.LevelTransaction:
		return "IK502"
	case edi.LevelSegment:
		return "IK304"
	}
	return "IK403"
}

// InputErrors returns every error the acknowledgments of r report, as
// [*InputError]s of file, in input order.
func (r *Result) InputErrors(file string) []*InputError {
	var out []*InputError
	for i, ic := range r.Interchanges {
		for _, e := range ic.Errors() {
			out = append(out, &InputError{File: file, Interchange: i + 1, Offset: ic.Offset, Err: e})
		}
	}
	return out
}
