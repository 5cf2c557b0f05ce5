package hl7v2

import (
	"errors"
	"strings"
)

// A Message is one HL7 v2 message: its delimiters and its segments in
// order, the first being MSH. Values are text (see the package
// documentation for escapes and character sets).
//
// A Message is not safe for concurrent modification; concurrent reads are
// safe.
type Message struct {
	// Delimiters are the separators of MSH-1 and MSH-2. [Encode] writes
	// MSH-1 and MSH-2 from them, whatever the MSH fields hold.
	Delimiters Delimiters

	segments []*Segment
	warnings []*ParseError
}

// NewMessage returns a message holding one MSH segment with MSH-1 and
// MSH-2 set from d, which must be [Delimiters.Valid].
func NewMessage(d Delimiters) (*Message, error) {
	if !d.Valid() {
		return nil, errors.New("hl7v2: new message: " + ErrDelimiters.Error())
	}
	m := &Message{Delimiters: d}
	m.segments = []*Segment{{ID: "MSH", Fields: []Field{
		{{{string([]byte{d.Field})}}},
		{{{d.EncodingCharacters()}}},
	}}}
	return m, nil
}

// Segment returns the first segment with the id, or nil.
func (m *Message) Segment(id string) *Segment {
	if m == nil {
		return nil
	}
	for _, s := range m.segments {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// Segments returns the segments with the id in message order, or all
// segments when id is empty. The slice is new; the segments are the
// message's own.
func (m *Message) Segments(id string) []*Segment {
	if m == nil {
		return nil
	}
	if id == "" {
		return append([]*Segment(nil), m.segments...)
	}
	var out []*Segment
	for _, s := range m.segments {
		if s.ID == id {
			out = append(out, s)
		}
	}
	return out
}

// Len returns the number of segments.
func (m *Message) Len() int {
	if m == nil {
		return 0
	}
	return len(m.segments)
}

// Append adds segments at the end of the message.
func (m *Message) Append(segs ...*Segment) { m.segments = append(m.segments, segs...) }

// AddSegment appends an empty segment with the id and returns it.
func (m *Message) AddSegment(id string) *Segment {
	s := &Segment{ID: id}
	m.segments = append(m.segments, s)
	return s
}

// Warnings returns the problems [Parse] recovered from, in input order:
// malformed or unknown escape sequences kept as text ([ErrEscape]),
// undeclared 8-bit text ([ErrCharsetGuessed]) and malformed encoding
// characters read in the one way that made sense ([ErrRecovered]).
func (m *Message) Warnings() []*ParseError {
	if m == nil {
		return nil
	}
	return m.warnings
}

// segmentAt returns the n-th (1-based; 0 means first) segment with the id.
func (m *Message) segmentAt(id string, n int) *Segment {
	if m == nil {
		return nil
	}
	if n <= 0 {
		n = 1
	}
	for _, s := range m.segments {
		if s.ID == id {
			if n--; n == 0 {
				return s
			}
		}
	}
	return nil
}

// Get returns the text at path (see [ParseLocation]), or "" when the path
// is malformed or the part is absent. A path that stops above a
// subcomponent reads the first one below it: "PID-5" and "PID-5.1" both
// read PID-5.1.1.
func (m *Message) Get(path string) string {
	l, err := ParseLocation(path)
	if err != nil {
		return ""
	}
	return m.Value(l)
}

// Value returns the text at l, as [Message.Get].
func (m *Message) Value(l Location) string {
	s := m.segmentAt(l.Segment, l.Sequence)
	if s == nil || l.Field <= 0 {
		return ""
	}
	return s.Field(l.Field).Rep(at1(l.Repetition)).Comp(at1(l.Component)).Sub(at1(l.Subcomponent))
}

// Set replaces the part at path with the single value text, adding empty
// fields, repetitions, components and subcomponents as needed. The
// segment must exist; MSH-1 and MSH-2 cannot be set (assign
// [Message.Delimiters] instead).
func (m *Message) Set(path, text string) error {
	l, err := ParseLocation(path)
	if err != nil {
		return err
	}
	s := m.segmentAt(l.Segment, l.Sequence)
	if s == nil {
		return errors.New("hl7v2: set " + l.String() + ": no such segment")
	}
	if l.Field == 0 {
		return errors.New("hl7v2: set " + l.String() + ": no field given")
	}
	if headerSegment(s.ID) && l.Field <= 2 {
		return errors.New("hl7v2: set " + l.String() + ": delimiters are set through Message.Delimiters")
	}
	s.Set(l.Field, l.Repetition, l.Component, l.Subcomponent, text)
	return nil
}

func at1(n int) int {
	if n <= 0 {
		return 1
	}
	return n
}

// headerSegment reports whether the segment's first two fields are
// delimiters (MSH-1, MSH-2; likewise FHS and BHS).
func headerSegment(id string) bool { return id == "MSH" || id == "FHS" || id == "BHS" }

// A Segment is one segment: its id and fields. Fields[0] is field 1; in
// MSH, FHS and BHS it is the field separator and Fields[1] the encoding
// characters.
type Segment struct {
	ID     string
	Fields []Field
}

// Field returns field n (1-based), or nil if absent.
func (s *Segment) Field(n int) Field {
	if s == nil || n < 1 || n > len(s.Fields) {
		return nil
	}
	return s.Fields[n-1]
}

// Get returns the first subcomponent text of field n (see [Message.Get]).
func (s *Segment) Get(n int) string { return s.Field(n).Value() }

// Set replaces field n, repetition rep, component comp, subcomponent sub
// (all 1-based; 0 replaces the whole enclosing part) with text, adding
// empty parts as needed.
func (s *Segment) Set(n, rep, comp, sub int, text string) {
	if n < 1 {
		return
	}
	for len(s.Fields) < n {
		s.Fields = append(s.Fields, nil)
	}
	if rep == 0 && comp == 0 && sub == 0 {
		s.Fields[n-1] = Field{{{text}}}
		return
	}
	f := grow(s.Fields[n-1], at1(rep))
	s.Fields[n-1] = f
	r := &f[at1(rep)-1]
	if comp == 0 && sub == 0 {
		*r = Repetition{{text}}
		return
	}
	*r = grow(*r, at1(comp))
	c := &(*r)[at1(comp)-1]
	if sub == 0 {
		*c = Component{text}
		return
	}
	*c = grow(*c, sub)
	(*c)[sub-1] = text
}

// grow returns s extended with zero values to at least n elements.
func grow[S ~[]E, E any](s S, n int) S {
	for len(s) < n {
		var zero E
		s = append(s, zero)
	}
	return s
}

// A Field is a field's repetitions. [Parse] represents an empty field,
// repetition or component as nil, so "^B" is {{nil, {"B"}}} and an
// empty field is nil; the accessors treat nil as empty.
type Field []Repetition

// Rep returns repetition n (1-based), or nil if absent.
func (f Field) Rep(n int) Repetition {
	if n < 1 || n > len(f) {
		return nil
	}
	return f[n-1]
}

// Comp returns component n of the first repetition, or nil if absent.
func (f Field) Comp(n int) Component { return f.Rep(1).Comp(n) }

// Value returns the first subcomponent of the first component of the first
// repetition, or "".
func (f Field) Value() string { return f.Rep(1).Value() }

// Empty reports whether every value in the field is "".
func (f Field) Empty() bool {
	for _, r := range f {
		if !r.Empty() {
			return false
		}
	}
	return true
}

// A Repetition is one occurrence of a field: its components.
type Repetition []Component

// Comp returns component n (1-based), or nil if absent.
func (r Repetition) Comp(n int) Component {
	if n < 1 || n > len(r) {
		return nil
	}
	return r[n-1]
}

// Value returns the first subcomponent of the first component, or "".
func (r Repetition) Value() string { return r.Comp(1).Sub(1) }

// Empty reports whether every value in the repetition is "".
func (r Repetition) Empty() bool {
	for _, c := range r {
		if !c.Empty() {
			return false
		}
	}
	return true
}

// A Component is one component: its subcomponents, each a text value.
type Component []string

// Sub returns subcomponent n (1-based), or "" if absent.
func (c Component) Sub(n int) string {
	if n < 1 || n > len(c) {
		return ""
	}
	return c[n-1]
}

// Value returns the first subcomponent, or "".
func (c Component) Value() string { return c.Sub(1) }

// Empty reports whether every subcomponent is "".
func (c Component) Empty() bool {
	for _, s := range c {
		if s != "" {
			return false
		}
	}
	return true
}

// Null is HL7's explicit null (""), which tells the receiver to delete a
// value it holds, as opposed to an empty value, which leaves it alone.
const Null = `""`

// IsNull reports whether text is the explicit null [Null].
func IsNull(text string) bool { return strings.TrimSpace(text) == Null }
