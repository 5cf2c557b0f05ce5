package claims

import (
	"errors"
	"strconv"
	"strings"

	"github.com/tributary-health/tributary/claims/x12"
)

// Sentinel errors: the Err of an [*Error]. Their text is fixed and holds
// nothing from the input.
var (
	// ErrAmount: a monetary amount is not an X12 decimal number
	// (optional minus sign, digits, optional decimal point) or does not
	// fit in an int64 number of cents.
	ErrAmount = errors.New("invalid monetary amount")
	// ErrPrecision: a monetary amount has non-zero digits after the
	// second decimal place, which cents cannot hold exactly.
	ErrPrecision = errors.New("monetary amount has more than 2 decimal places")
	// ErrDecimal: a quantity or other number is not an X12 decimal
	// number, or has more digits than an int64 holds.
	ErrDecimal = errors.New("invalid decimal number")
	// ErrDate: a date, time or date range is not valid in its format
	// (D8, RD8, DT, TM, or a DTM/BPR date).
	ErrDate = errors.New("invalid date")
	// ErrDateFormat: a DTP date time period format qualifier (DTP-02)
	// is not one this package reads.
	ErrDateFormat = errors.New("unsupported date format qualifier")
	// ErrPointer: a diagnosis pointer is not a number from 1 to 12.
	ErrPointer = errors.New("invalid diagnosis code pointer")
	// ErrTransaction: the transaction set is not the kind the builder
	// reads (another set id or guide), or it has no loops because its
	// guide or version is not supported.
	ErrTransaction = errors.New("transaction set not supported by this builder")
)

// An Error is a value in a transaction set that cannot be represented in
// the models: located the way [x12.Error] locates it (loop, segment,
// position in the transaction set, element, component) and never
// holding the value itself, so its text may go to logs, dead-letter
// headers and back to the sender.
type Error struct {
	Loop      string // e.g. "2300"; "" in the header
	Segment   string // e.g. "CLM"
	Position  int    // position of the segment in the transaction set (ST is 1)
	Element   int    // 1-based element position
	Component int    // 1-based component position; 0 for a simple element
	Offset    int64  // byte offset of the segment in the stream
	Err       error  // one of the sentinels above
}

// Location returns the X12 notation of where the error is, e.g.
// "2300/CLM02" or "2400/SV101-2".
func (e *Error) Location() string {
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
		if e.Component > 0 {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(e.Component))
		}
	}
	return b.String()
}

// Error returns e.g. "claims: 2300/CLM02 (segment 23, offset 1204):
// monetary amount has more than 2 decimal places".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("claims: ")
	if loc := e.Location(); loc != "" {
		b.WriteString(loc)
		b.WriteByte(' ')
	}
	b.WriteString("(segment ")
	b.WriteString(strconv.Itoa(e.Position))
	b.WriteString(", offset ")
	b.WriteString(strconv.FormatInt(e.Offset, 10))
	b.WriteString("): ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("error")
	}
	return b.String()
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// Permanent reports true: the same bytes give the same error, so a
// pipeline dead-letters the input instead of retrying it.
func (e *Error) Permanent() bool { return true }

// errAt returns an Error located at element elem, component comp of s in
// loop l.
func errAt(l *x12.Loop, s x12.Segment, elem, comp int, err error) *Error {
	e := &Error{Segment: safeID(s), Position: s.Position, Element: elem, Component: comp, Offset: s.Offset, Err: err}
	if l != nil {
		e.Loop = l.ID
	}
	return e
}

// safeID returns the segment id when it is a plausible one (2 or 3 upper
// case letters or digits): the bytes before the first separator of a
// broken segment may be data.
func safeID(s x12.Segment) string {
	id := s.IDBytes()
	if len(id) < 2 || len(id) > 3 || id[0] < 'A' || id[0] > 'Z' {
		return ""
	}
	for _, c := range id[1:] {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return ""
		}
	}
	return s.ID()
}
