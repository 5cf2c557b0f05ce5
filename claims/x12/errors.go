package x12

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors: the Err of a [*SyntaxError] or an [*Error]. Their text
// is fixed and holds nothing from the input.
var (
	ErrNoISA          = errors.New("input does not start with an ISA segment")
	ErrISA            = errors.New("ISA segment too short to read its delimiters")
	ErrDelimiters     = errors.New("invalid delimiters")
	ErrSegmentTooLong = errors.New("segment longer than the maximum")

	ErrISAField           = errors.New("invalid ISA element")
	ErrControlNumber      = errors.New("control numbers in header and trailer differ")
	ErrCount              = errors.New("count in trailer does not match")
	ErrDuplicate          = errors.New("duplicate control number")
	ErrMissingTrailer     = errors.New("trailer missing")
	ErrMissingHeader      = errors.New("header missing")
	ErrEnvelope           = errors.New("segment outside its envelope")
	ErrUnsupportedVersion = errors.New("unsupported version: only 005010 is supported")
	ErrUnsupportedSet     = errors.New("transaction set not supported")

	ErrSegmentID         = errors.New("unrecognized segment id")
	ErrUnexpectedSegment = errors.New("unexpected segment")
	ErrRequiredSegment   = errors.New("required segment missing")
	ErrLoopRepeat        = errors.New("loop occurs over maximum times")
	ErrSegmentRepeat     = errors.New("segment exceeds maximum use")
	ErrSegmentSequence   = errors.New("segment not in proper sequence")
	ErrSegmentNotInSet   = errors.New("segment not in defined transaction set")
	ErrSegmentErrors     = errors.New("one or more segments in error")
	ErrHLParent          = errors.New("HL parent not found or not allowed at this level")
	ErrRequiredLoop      = errors.New("required loop missing")

	ErrRequiredElement    = errors.New("required data element missing")
	ErrTooManyElements    = errors.New("too many data elements")
	ErrTooShort           = errors.New("data element too short")
	ErrTooLong            = errors.New("data element too long")
	ErrInvalidCharacter   = errors.New("invalid character in data element")
	ErrInvalidCode        = errors.New("invalid code value")
	ErrInvalidDate        = errors.New("invalid date")
	ErrInvalidTime        = errors.New("invalid time")
	ErrTooManyRepetitions = errors.New("too many repetitions")
	ErrTooManyComponents  = errors.New("too many components")
)

// A SyntaxError stops a [Reader]: the input cannot be split into segments
// from Offset on. It never holds input bytes.
type SyntaxError struct {
	Offset int64
	Err    error
}

// Error returns e.g. "x12: offset 0: input does not start with an ISA
// segment".
func (e *SyntaxError) Error() string {
	return "x12: offset " + strconv.FormatInt(e.Offset, 10) + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *SyntaxError) Unwrap() error { return e.Err }

// A Level says which acknowledgment segment reports an [Error].
type Level uint8

// The levels, from the outside in.
const (
	LevelInterchange Level = iota + 1 // TA1 (TA105 note code)
	LevelGroup                        // AK9 (AK905 code)
	LevelTransaction                  // IK5 (IK502 code)
	LevelSegment                      // IK3 (IK304 code)
	LevelElement                      // IK3 code 8 plus IK4 (IK403 code)
)

// String returns "interchange", "group", "transaction", "segment" or
// "element".
func (l Level) String() string {
	switch l {
	case LevelInterchange:
		return "interchange"
	case LevelGroup:
		return "group"
	case LevelTransaction:
		return "transaction"
	case LevelSegment:
		return "segment"
	case LevelElement:
		return "element"
	}
	return "level " + strconv.Itoa(int(l))
}

// An Error is one problem found in an interchange, located the way X12
// people locate it — loop, segment, position in the transaction set,
// element, component, repetition — plus the byte offset. Code is the code
// of the acknowledgment element that reports it at its Level: a TA105
// note code ("001"), an AK905 or IK502 code ("4"), an IK304 code ("3") or
// an IK403 code ("1", "I12"). An Error never holds a value from the input:
// its text goes to logs, dead-letter headers and back to the sender.
type Error struct {
	Level      Level
	Code       string
	Loop       string // loop id, e.g. "2300"; "" in the header or unknown
	Segment    string // segment id, e.g. "CLM"
	Position   int    // segment position in the transaction set (ST is 1); 0 if none
	Element    int    // 1-based element position; 0 for the whole segment
	Component  int    // 1-based component position; 0 for the whole element
	Repetition int    // 1-based repetition; 0 when the element does not repeat
	Ref        int    // data element reference number (IK402), 0 if unknown
	Offset     int64  // byte offset of the segment in the stream
	Err        error  // one of the sentinels above
}

// Location returns the X12 notation of where the error is, e.g.
// "2300/CLM05-1", "2010BA/NM1", "SE" or "" for an error without a segment.
func (e *Error) Location() string {
	if e.Segment == "" {
		return e.Loop
	}
	var b strings.Builder
	if e.Loop != "" {
		b.WriteString(e.Loop)
		b.WriteByte('/')
	}
	b.WriteString(e.Segment)
	if e.Element > 0 {
		if e.Element < 10 {
			b.WriteByte('0')
		}
		b.WriteString(strconv.Itoa(e.Element))
		if e.Repetition > 1 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(e.Repetition))
			b.WriteByte(']')
		}
		if e.Component > 0 {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(e.Component))
		}
	}
	return b.String()
}

// Error returns e.g. "x12: 2300/CLM05-1 (segment 23, offset 1204):
// required data element missing (IK403 1)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("x12: ")
	if loc := e.Location(); loc != "" {
		b.WriteString(loc)
		b.WriteByte(' ')
	}
	b.WriteByte('(')
	if e.Position > 0 {
		b.WriteString("segment ")
		b.WriteString(strconv.Itoa(e.Position))
		b.WriteString(", ")
	}
	b.WriteString("offset ")
	b.WriteString(strconv.FormatInt(e.Offset, 10))
	b.WriteString("): ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("error")
	}
	if e.Code != "" {
		b.WriteString(" (")
		b.WriteString(e.codeName())
		b.WriteByte(' ')
		b.WriteString(e.Code)
		b.WriteByte(')')
	}
	return b.String()
}

func (e *Error) codeName() string {
	switch e.Level {
	case LevelInterchange:
		return "TA105"
	case LevelGroup:
		return "AK905"
	case LevelTransaction:
		return "IK502"
	case LevelSegment:
		return "IK304"
	}
	return "IK403"
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// Permanent reports true: resending the same bytes gives the same error,
// so a pipeline sends the input to a dead-letter topic instead of retrying.
func (e *Error) Permanent() bool { return true }

// Permanent reports true (see [Error.Permanent]), except for read errors.
func (e *SyntaxError) Permanent() bool {
	return errors.Is(e.Err, ErrNoISA) || errors.Is(e.Err, ErrISA) ||
		errors.Is(e.Err, ErrDelimiters) || errors.Is(e.Err, ErrSegmentTooLong)
}
