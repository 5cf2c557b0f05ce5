package copybook

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors of copybook parsing, the Err of a [*ParseError].
var (
	ErrSyntax       = errors.New("syntax error")
	ErrLiteral      = errors.New("unterminated literal")
	ErrContinuation = errors.New("continuation line does not continue the literal")
	ErrLevel        = errors.New("invalid level number")
	ErrUnsupported  = errors.New("unsupported")
	ErrPicture      = errors.New("invalid PICTURE")
	ErrReference    = errors.New("unresolved reference")
	ErrStructure    = errors.New("invalid structure")
	ErrEmpty        = errors.New("no data description entries")
)

// A ParseError is a copybook syntax or structure error at a source
// position. Line and Col count from 1; Col counts bytes, a tab as one.
type ParseError struct {
	Line, Col int
	Msg       string // details, naming where but never quoting data
	Err       error  // one of the sentinel errors above
}

// Error returns "copybook: line N col M: <error>[: <details>]".
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("copybook: line ")
	b.WriteString(strconv.Itoa(e.Line))
	b.WriteString(" col ")
	b.WriteString(strconv.Itoa(e.Col))
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	return b.String()
}

// Unwrap returns the sentinel error.
func (e *ParseError) Unwrap() error { return e.Err }

func parseErr(line, col int, err error) *ParseError {
	return &ParseError{Line: line, Col: col, Err: err}
}

func parseErrf(line, col int, err error, msg string) *ParseError {
	return &ParseError{Line: line, Col: col, Err: err, Msg: msg}
}

// Sentinel errors of record decoding, the Err of a [*DecodeError]. Their
// text is fixed and holds no data from the record.
var (
	ErrPacked     = errors.New("invalid packed decimal")
	ErrZoned      = errors.New("invalid zoned decimal")
	ErrEditedNum  = errors.New("invalid numeric-edited value")
	ErrFloat      = errors.New("invalid floating-point value")
	ErrShort      = errors.New("record ends inside the field")
	ErrOccurs     = errors.New("OCCURS DEPENDING ON value out of range")
	ErrRecordLen  = errors.New("invalid record length")
	ErrBlockLen   = errors.New("invalid block length")
	ErrTruncated  = errors.New("data ends inside a record")
	ErrSegmentPos = errors.New("segment id field is not at a fixed position")
)

// A DecodeError locates a record decoding error: the record number
// (from 1; 0 when the decoder was given a lone record), the byte offset
// (of the field in the record, or of the record in the input for
// framing errors), and the field, e.g. "ACCOUNT-TYPE-N(3)" for the third
// element of a table. It never holds the value.
type DecodeError struct {
	Record int
	Offset int64
	Field  string
	Err    error
}

// Error returns "copybook: record N offset M field F: <error>".
func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("copybook: ")
	if e.Record > 0 {
		b.WriteString("record ")
		b.WriteString(strconv.Itoa(e.Record))
		b.WriteString(" ")
	}
	b.WriteString("offset ")
	b.WriteString(strconv.FormatInt(e.Offset, 10))
	if e.Field != "" {
		b.WriteString(" field ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the sentinel error.
func (e *DecodeError) Unwrap() error { return e.Err }
