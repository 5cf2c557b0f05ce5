package cdc

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors, the Err of a [*ParseError]. Their text is fixed and
// holds nothing from the event.
var (
	// ErrSyntax: the key or value is not one well-formed JSON value
	// (documentation shorthand such as "{ ... }", trailing commas, two
	// values in one record).
	ErrSyntax = errors.New("invalid JSON")
	// ErrNotEvent: well-formed JSON that is not a Debezium record: no
	// op, status or tableChanges, or a required block missing.
	ErrNotEvent = errors.New("not a Debezium change event")
	// ErrField: a member has the wrong JSON type or an invalid value for
	// what it is (an unknown op, a decimal that is not base64, a date out
	// of range, a schema that does not describe the payload).
	ErrField = errors.New("invalid field")
)

// A ParseError locates why a record was not accepted: the document
// ("key" or "value"), a JSON path inside it such as
// "payload.after.AMOUNT", and for syntax errors the byte offset with its
// line and column. It never holds a value from the record: records carry
// patient data.
type ParseError struct {
	Doc    string // "key" or "value"
	Path   string // e.g. "payload.after.AMOUNT"; "" for syntax errors
	Offset int    // byte offset in the document; -1 when Path locates the error
	Line   int    // 1-based line and column (in bytes) of Offset
	Col    int
	Err    error  // ErrSyntax, ErrNotEvent or ErrField
	Msg    string // details, naming what was expected, never the data
}

// Error returns "cdc: value.payload.after.AMOUNT: invalid field: details"
// or, for syntax errors, "cdc: value: byte 19 (line 2 col 15): invalid
// JSON: details".
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("cdc: ")
	b.WriteString(e.Doc)
	if e.Path != "" {
		b.WriteByte('.')
		b.WriteString(e.Path)
	}
	if e.Offset >= 0 {
		b.WriteString(": byte ")
		b.WriteString(strconv.Itoa(e.Offset))
		b.WriteString(" (line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(" col ")
		b.WriteString(strconv.Itoa(e.Col))
		b.WriteString(")")
	}
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

// Location returns where the error is, without the text: the path, or
// "byte N" for a syntax error; for dead-letter location headers.
func (e *ParseError) Location() string {
	loc := e.Doc
	if e.Path != "" {
		loc += "." + e.Path
	}
	if e.Offset >= 0 {
		loc += " byte " + strconv.Itoa(e.Offset)
	}
	return loc
}

func syntaxError(b []byte, off int, msg string) *ParseError {
	line, col := 1, 1
	for _, c := range b[:min(off, len(b))] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &ParseError{Offset: off, Line: line, Col: col, Err: ErrSyntax, Msg: msg}
}

// fieldError returns an error located at path.
func fieldError(path path, err error, msg string) *ParseError {
	return &ParseError{Path: path.String(), Offset: -1, Err: err, Msg: msg}
}

// A path is a JSON path under construction: a linked list from the leaf,
// so building one for every value costs nothing until an error needs it.
type path struct {
	parent *path
	name   string
	index  int // for array elements; name == "" then
}

// child and elem take p by value, so the parent they point to is a
// copy of its own: reassigning a path variable to its child cannot make
// a cycle.
func (p path) child(name string) path { return path{parent: &p, name: name, index: -1} }
func (p path) elem(i int) path        { return path{parent: &p, index: i} }

// String renders the path: names joined by dots, indexes in brackets,
// names with unusual characters quoted (and cut: column names are
// schema, not data, but a hostile key could be anything).
func (p path) String() string {
	var parts []*path
	for q := &p; q != nil; q = q.parent {
		if q.name == "" && q.index < 0 {
			continue // the root
		}
		parts = append(parts, q)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		q := parts[i]
		if q.name == "" {
			b.WriteString("[" + strconv.Itoa(q.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		if plainName(q.name) {
			b.WriteString(q.name)
		} else {
			n := q.name
			if len(n) > 64 {
				n = n[:64] + "..."
			}
			b.WriteString(strconv.Quote(n))
		}
	}
	return b.String()
}

func plainName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '$' || c == '#') {
			return false
		}
	}
	return true
}
