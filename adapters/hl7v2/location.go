package hl7v2

import (
	"errors"
	"strconv"
)

// A Location addresses a part of a message the way the standard numbers
// it: every index is 1-based, and MSH-1 is the field separator itself, so
// MSH-9 is the message type. A zero index means "not specified": for
// reading, the first; for an error, "the whole of the enclosing part".
//
// [Location.String] and [ParseLocation] use the customary notation:
//
//	PID            the first PID segment
//	OBX[2]-5       field 5 of the second OBX segment
//	PID-3[2].1     component 1 of the second repetition of PID-3
//	PID-5.1.1      subcomponent 1 of component 1 of PID-5
type Location struct {
	Segment      string // segment id, e.g. "PID"
	Sequence     int    // occurrence of Segment in the message (ERL-2)
	Field        int    // ERL-3
	Repetition   int    // ERL-4
	Component    int    // ERL-5
	Subcomponent int    // ERL-6
}

// String returns the location in the notation of [ParseLocation]; indexes
// of 0 are left out, and so are a Sequence and Repetition of 1.
func (l Location) String() string {
	if l.Segment == "" && l.Field == 0 {
		return ""
	}
	b := make([]byte, 0, 24)
	b = append(b, l.Segment...)
	if l.Sequence > 1 {
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(l.Sequence), 10)
		b = append(b, ']')
	}
	if l.Field <= 0 {
		return string(b)
	}
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(l.Field), 10)
	if l.Repetition > 1 {
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(l.Repetition), 10)
		b = append(b, ']')
	}
	if l.Component > 0 {
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(l.Component), 10)
		if l.Subcomponent > 0 {
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(l.Subcomponent), 10)
		}
	}
	return string(b)
}

// errPath is returned for a malformed path; it holds no input.
var errPath = errors.New("hl7v2: invalid location syntax")

// ParseLocation parses a path such as "PID-3[2].1", "OBX[2]-5" or
// "MSH-9.2" (see [Location]). The segment id is three upper-case letters or
// digits; indexes are positive.
func ParseLocation(path string) (Location, error) {
	var l Location
	if len(path) < 3 || !isSegmentID(path[:3]) {
		return Location{}, errPath
	}
	l.Segment = path[:3]
	i := 3
	var ok bool
	if i < len(path) && path[i] == '[' {
		if l.Sequence, i, ok = bracket(path, i); !ok {
			return Location{}, errPath
		}
	}
	if i == len(path) {
		return l, nil
	}
	if path[i] != '-' {
		return Location{}, errPath
	}
	if l.Field, i, ok = number(path, i+1); !ok {
		return Location{}, errPath
	}
	if i < len(path) && path[i] == '[' {
		if l.Repetition, i, ok = bracket(path, i); !ok {
			return Location{}, errPath
		}
	}
	if i < len(path) && path[i] == '.' {
		if l.Component, i, ok = number(path, i+1); !ok {
			return Location{}, errPath
		}
		if i < len(path) && path[i] == '.' {
			if l.Subcomponent, i, ok = number(path, i+1); !ok {
				return Location{}, errPath
			}
		}
	}
	if i != len(path) {
		return Location{}, errPath
	}
	return l, nil
}

// bracket reads "[n]" at path[i].
func bracket(path string, i int) (n, next int, ok bool) {
	n, i, ok = number(path, i+1)
	if !ok || i >= len(path) || path[i] != ']' {
		return 0, 0, false
	}
	return n, i + 1, true
}

// number reads a positive decimal of at most 6 digits at path[i].
func number(path string, i int) (n, next int, ok bool) {
	if i < len(path) && path[i] == '0' {
		return 0, 0, false // no leading zeros: one spelling per location
	}
	j := i
	for j < len(path) && path[j] >= '0' && path[j] <= '9' && j-i < 6 {
		n = n*10 + int(path[j]-'0')
		j++
	}
	if j == i || n == 0 || (j < len(path) && path[j] >= '0' && path[j] <= '9') {
		return 0, 0, false
	}
	return n, j, true
}

// isSegmentID reports whether s is a valid segment id: three upper-case
// ASCII letters or digits, the first a letter.
func isSegmentID(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
