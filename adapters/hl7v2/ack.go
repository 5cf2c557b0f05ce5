package hl7v2

import (
	"crypto/rand"
	"strconv"
	"strings"
	"time"
)

// An AckCode is MSA-1 (HL7 table 0008).
type AckCode string

// The acknowledgment codes: application acknowledgments (original mode)
// and commit acknowledgments (enhanced mode).
const (
	AckAccept    AckCode = "AA" // processed
	AckError     AckCode = "AE" // not processed; the sender may fix and resend
	AckReject    AckCode = "AR" // rejected; resending the same message will not help
	CommitAccept AckCode = "CA" // in safe storage
	CommitError  AckCode = "CE" // not stored; resend
	CommitReject AckCode = "CR" // rejected
)

// Commit returns the commit acknowledgment of the same meaning (AA -> CA,
// AE -> CE, AR -> CR); commit codes are returned as they are.
func (c AckCode) Commit() AckCode {
	switch c {
	case AckAccept:
		return CommitAccept
	case AckError:
		return CommitError
	case AckReject:
		return CommitReject
	}
	return c
}

// DefaultVersion is MSH-12 of an acknowledgment whose original has no
// usable version.
const DefaultVersion = "2.5.1"

// NewACK builds the acknowledgment of orig, which may be nil or hold only
// an MSH segment (from [ParseHeader]):
//
//   - MSH with the original's delimiters ([DefaultDelimiters] if none) and
//     version ([DefaultVersion] if none or not 2.x); sending and
//     receiving application and facility swapped; MSH-7 now; MSH-9
//     ACK^<trigger>^ACK (ACK^<trigger> before v2.3.1, which has no message
//     structure); a fresh MSH-10 ([NewControlID]); MSH-11 and MSH-18
//     copied (MSH-18 only when supported).
//   - MSA-1 code, MSA-2 the original MSH-10, and before v2.5 MSA-3 the text
//     of the first error.
//   - One ERR per error: ERR-2 the location (ERL), ERR-3 the table 0357
//     code (e.g. 102^Data type error^HL70357), ERR-4 the severity, ERR-8
//     the text; before v2.5 also ERR-1 (ELD), which those versions use
//     instead. Errors are converted with [AsError]; any other error
//     becomes 207 with a generic text, never its own (it may hold
//     patient data).
func NewACK(orig *Message, code AckCode, now time.Time, errs ...error) *Message {
	d := DefaultDelimiters()
	if orig != nil && orig.Delimiters.Valid() {
		d = orig.Delimiters
	}
	version := orig.Version()
	if !validVersion(version) {
		version = DefaultVersion
	}
	old := versionBefore(version, "2.5")
	ack, _ := NewMessage(d) // d is valid
	msh := ack.segments[0]
	omsh := orig.Segment("MSH")
	for _, swap := range [...][2]int{{3, 5}, {4, 6}, {5, 3}, {6, 4}} {
		if f := omsh.Field(swap[1]); f != nil {
			msh.setField(swap[0], cloneField(f))
		}
	}
	msh.Set(7, 0, 0, 0, FormatTime(now))
	msh.Set(9, 1, 1, 0, "ACK")
	if t := orig.Type().Trigger; t != "" {
		msh.Set(9, 1, 2, 0, t)
	}
	if !versionBefore(version, "2.3.1") {
		msh.Set(9, 1, 3, 0, "ACK")
	}
	msh.Set(10, 0, 0, 0, NewControlID())
	if f := omsh.Field(11); !f.Empty() {
		msh.setField(11, cloneField(f))
	} else {
		msh.Set(11, 0, 0, 0, "P")
	}
	msh.Set(12, 0, 0, 0, version)
	if cs := orig.Charset(); cs != "" {
		if _, ok := lookupCharset(cs); ok {
			msh.Set(18, 0, 0, 0, cs)
		}
	}

	msa := ack.AddSegment("MSA")
	msa.Set(1, 0, 0, 0, string(code))
	msa.Set(2, 0, 0, 0, orig.ControlID())
	for i, err := range errs {
		e, ok := AsError(err)
		if !ok {
			e = &Error{Code: CodeApplicationInternal}
		}
		if i == 0 && old {
			msa.Set(3, 0, 0, 0, e.Text())
		}
		addERR(ack, e, old)
	}
	return ack
}

// addERR appends the ERR segment of e.
func addERR(m *Message, e *Error, old bool) {
	s := m.AddSegment("ERR")
	l := e.Location
	code := strconv.Itoa(int(e.Code))
	if old {
		if l.Segment != "" {
			s.Set(1, 1, 1, 0, l.Segment)
			s.Set(1, 1, 2, 0, strconv.Itoa(at1(l.Sequence)))
			if l.Field > 0 {
				s.Set(1, 1, 3, 0, strconv.Itoa(l.Field))
			}
		}
		s.Set(1, 1, 4, 1, code)
		s.Set(1, 1, 4, 2, e.Code.String())
		s.Set(1, 1, 4, 3, "HL70357")
	}
	if l.Segment != "" {
		s.Set(2, 1, 1, 0, l.Segment)
		s.Set(2, 1, 2, 0, strconv.Itoa(at1(l.Sequence)))
		if l.Field > 0 {
			s.Set(2, 1, 3, 0, strconv.Itoa(l.Field))
			s.Set(2, 1, 4, 0, strconv.Itoa(at1(l.Repetition)))
			if l.Component > 0 {
				s.Set(2, 1, 5, 0, strconv.Itoa(l.Component))
				if l.Subcomponent > 0 {
					s.Set(2, 1, 6, 0, strconv.Itoa(l.Subcomponent))
				}
			}
		}
	}
	s.Set(3, 1, 1, 0, code)
	s.Set(3, 1, 2, 0, e.Code.String())
	s.Set(3, 1, 3, 0, "HL70357")
	sev := e.Severity
	if sev == "" {
		sev = SeverityError
	}
	s.Set(4, 0, 0, 0, string(sev))
	s.Set(8, 0, 0, 0, e.Text())
}

// setField replaces field n, adding empty fields before it as needed.
func (s *Segment) setField(n int, f Field) {
	for len(s.Fields) < n {
		s.Fields = append(s.Fields, nil)
	}
	s.Fields[n-1] = f
}

// cloneField returns a deep copy of f, so an ACK never aliases the
// original message.
func cloneField(f Field) Field {
	if f == nil {
		return nil
	}
	out := make(Field, len(f))
	for i, r := range f {
		if r == nil {
			continue
		}
		out[i] = make(Repetition, len(r))
		for j, c := range r {
			if c != nil {
				out[i][j] = append(Component(nil), c...)
			}
		}
	}
	return out
}

// versionBefore reports whether version a precedes b, comparing the
// numbers between dots.
func versionBefore(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// NewControlID returns a fresh message control id (MSH-10): 20 random
// upper-case letters and digits, the length v2.3 allows.
func NewControlID() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var b [20]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}
