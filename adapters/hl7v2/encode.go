package hl7v2

import "unicode/utf8"

// Encode returns m in HL7 v2 syntax: segments terminated by CR, MSH-1 and
// MSH-2 written from m.Delimiters, every value escaped (see the package
// documentation) and encoded in the character set named by MSH-18 (UTF-8
// when MSH-18 is empty, ASCII or unsupported). A character the set cannot
// represent is written as '?'; nothing [Parse] returns has one.
//
// For every message m that Parse returns, Parse(Encode(m)) returns a
// message with the same delimiters and segments.
func Encode(m *Message) []byte {
	if m == nil {
		return nil
	}
	cs := csASCII
	if c, ok := lookupCharset(m.Segment("MSH").Get(18)); ok {
		cs = c
	}
	return appendMessage(nil, m, cs)
}

// appendMessage appends the encoded segments of m.
func appendMessage(dst []byte, m *Message, cs *charset) []byte {
	e := newEncoder(m.Delimiters, cs)
	if dst == nil {
		dst = make([]byte, 0, encodedSize(m))
	}
	for _, s := range m.segments {
		dst = e.appendSegment(dst, s)
	}
	return dst
}

// encodedSize estimates the length of m encoded: its values and
// separators, escapes aside.
func encodedSize(m *Message) int {
	n := 0
	for _, s := range m.segments {
		n += len(s.ID) + 8
		for _, f := range s.Fields {
			n++
			for _, r := range f {
				n++
				for _, c := range r {
					n++
					for _, v := range c {
						n += len(v) + 1
					}
				}
			}
		}
	}
	return n + n/16
}

// An encoder writes segments with one set of delimiters and a character
// set.
type encoder struct {
	d  Delimiters
	cs *charset
	// special marks the bytes that make a value go through appendEscaped:
	// delimiters, backslash, control characters but TAB, and bytes of
	// multi-byte characters (checked further in appendValue).
	special [256]bool
}

func newEncoder(d Delimiters, cs *charset) *encoder {
	e := &encoder{d: d, cs: cs}
	for c := 0; c < ' '; c++ {
		e.special[c] = c != '\t'
	}
	for c := 0x80; c < 0x100; c++ {
		e.special[c] = true
	}
	for _, c := range []byte{d.Field, d.Component, d.Repetition, d.Escape, d.Subcomponent, d.Truncation, '\\'} {
		e.special[c] = true
	}
	e.special[0] = true // NUL, and an unset truncation character
	return e
}

// appendSegment appends one segment and its CR. MSH, FHS and BHS get their
// first two fields from the delimiters.
func (e *encoder) appendSegment(dst []byte, s *Segment) []byte {
	d := e.d
	dst = append(dst, s.ID...)
	fields := s.Fields
	if headerSegment(s.ID) {
		dst = append(dst, d.Field)
		dst = append(dst, d.EncodingCharacters()...)
		if len(fields) > 2 {
			fields = fields[2:]
		} else {
			fields = nil
		}
	}
	for _, f := range fields {
		dst = append(dst, d.Field)
		for i, r := range f {
			if i > 0 {
				dst = append(dst, d.Repetition)
			}
			for j, c := range r {
				if j > 0 {
					dst = append(dst, d.Component)
				}
				for k, v := range c {
					if k > 0 {
						dst = append(dst, d.Subcomponent)
					}
					dst = e.appendValue(dst, v)
				}
			}
		}
	}
	return append(dst, '\r')
}

// appendValue appends one text value, escaped if it needs to be.
func (e *encoder) appendValue(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		if e.special[v[i]] {
			if v[i] < 0x80 || !e.cs.utf8 || !utf8.ValidString(v[i:]) {
				return appendEscaped(dst, v, e.d, e.cs)
			}
			// Valid UTF-8 from here on: only ASCII specials remain to check.
			for j := i + 1; j < len(v); j++ {
				if v[j] < 0x80 && e.special[v[j]] {
					return appendEscaped(dst, v, e.d, e.cs)
				}
			}
			break
		}
	}
	return append(dst, v...)
}
