package hl7v2

import (
	"errors"
	"strconv"
	"strings"
)

// An ErrorCode is a message error condition code of HL7 table 0357, as put
// in ERR-3 (and ELD-4 of ERR-1 before v2.5).
type ErrorCode int

// The codes of HL7 table 0357.
const (
	CodeAccepted                ErrorCode = 0   // message accepted
	CodeSegmentSequence         ErrorCode = 100 // segments out of order, or a required segment missing
	CodeRequiredFieldMissing    ErrorCode = 101 // a required field is missing
	CodeDataType                ErrorCode = 102 // a value does not match its data type
	CodeTableValueNotFound      ErrorCode = 103 // a coded value is not in its table
	CodeUnsupportedMessageType  ErrorCode = 200 // MSH-9.1 not supported
	CodeUnsupportedEventCode    ErrorCode = 201 // MSH-9.2 not supported
	CodeUnsupportedProcessingID ErrorCode = 202 // MSH-11 not supported
	CodeUnsupportedVersionID    ErrorCode = 203 // MSH-12 not supported
	CodeUnknownKeyIdentifier    ErrorCode = 204 // e.g. an update for a patient we do not know
	CodeDuplicateKeyIdentifier  ErrorCode = 205 // e.g. an add for a patient we already have
	CodeApplicationRecordLocked ErrorCode = 206 // the record is locked; retry later
	CodeApplicationInternal     ErrorCode = 207 // anything else that went wrong on our side
)

var codeText = map[ErrorCode]string{
	CodeAccepted:                "Message accepted",
	CodeSegmentSequence:         "Segment sequence error",
	CodeRequiredFieldMissing:    "Required field missing",
	CodeDataType:                "Data type error",
	CodeTableValueNotFound:      "Table value not found",
	CodeUnsupportedMessageType:  "Unsupported message type",
	CodeUnsupportedEventCode:    "Unsupported event code",
	CodeUnsupportedProcessingID: "Unsupported processing id",
	CodeUnsupportedVersionID:    "Unsupported version id",
	CodeUnknownKeyIdentifier:    "Unknown key identifier",
	CodeDuplicateKeyIdentifier:  "Duplicate key identifier",
	CodeApplicationRecordLocked: "Application record locked",
	CodeApplicationInternal:     "Application internal error",
}

// String returns the code's description from table 0357, e.g. "Data type
// error", or "Error <n>" for a code outside the table.
func (c ErrorCode) String() string {
	if s, ok := codeText[c]; ok {
		return s
	}
	return "Error " + strconv.Itoa(int(c))
}

// A Severity is ERR-4 (HL7 table 0516).
type Severity string

// The severities of table 0516.
const (
	SeverityError       Severity = "E"
	SeverityWarning     Severity = "W"
	SeverityInformation Severity = "I"
)

// An Error is an HL7 application error: where (a [Location]), what (a
// table 0357 [ErrorCode]) and a sentence for the sender. It is what
// [NewACK] puts into an ERR segment and what a pipeline stage puts into
// dead-letter headers, so code that rejects a message (a FHIR mapper, a
// listener's check) returns one, e.g.
//
//	&hl7v2.Error{Location: hl7v2.Location{Segment: "PID", Field: 7},
//		Code: hl7v2.CodeDataType, Message: "birth date is not a valid date"}
//
// Message must not contain patient data: it goes to logs, to Kafka
// headers and back to the sender. It names the problem, never the value.
type Error struct {
	Location Location
	Code     ErrorCode
	Severity Severity // empty means [SeverityError]
	Message  string   // PHI-free; empty means the code's description
	Err      error    // the cause, if any; not put into ACKs
}

// Error returns "hl7v2: <location>: <message>".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("hl7v2: ")
	if loc := e.Location.String(); loc != "" {
		b.WriteString(loc)
		b.WriteString(": ")
	}
	b.WriteString(e.Text())
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Text returns Message, or the code's description when Message is empty.
func (e *Error) Text() string {
	if e.Message != "" {
		return e.Message
	}
	return strings.ToLower(e.Code.String()[:1]) + e.Code.String()[1:]
}

// AsError reports the HL7 terms of err: the first [*Error] in its chain,
// or else a [*ParseError] converted with [ParseError.HL7]. It returns
// false for other errors, which a caller reports as
// [CodeApplicationInternal] without their text (it may hold anything).
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) && e != nil {
		return e, true
	}
	var pe *ParseError
	if errors.As(err, &pe) && pe != nil {
		return pe.HL7(), true
	}
	return nil, false
}

// Sentinel errors, the Err of a [*ParseError]. Their text is fixed and
// holds no data from the message.
var (
	ErrEmpty          = errors.New("no message")
	ErrNoMSH          = errors.New("message does not start with an MSH segment")
	ErrDelimiters     = errors.New("invalid delimiters")
	ErrSegmentID      = errors.New("invalid segment id")
	ErrUnexpected     = errors.New("unexpected segment") // a second MSH, or batch segments passed to Parse
	ErrRequired       = errors.New("required value missing")
	ErrVersion        = errors.New("unsupported version")
	ErrCharset        = errors.New("unsupported character set")
	ErrEncoding       = errors.New("bytes invalid in the message character set")
	ErrEscape         = errors.New("malformed or unknown escape sequence; kept as text")
	ErrCharsetGuessed = errors.New("8-bit text without a declared character set; read as windows-1252")
	ErrRecovered      = errors.New("malformed encoding characters; recovered")
	ErrBatch          = errors.New("invalid batch structure")
	ErrBatchCount     = errors.New("batch count does not match")
	ErrNumber         = errors.New("not a number")
)

// A ParseError says where input could not be parsed: the [Location]
// (segment, field, repetition, component, subcomponent as far as known),
// the position of the segment among the input's segments and the byte
// offset in the input. It never holds the offending value.
//
// A ParseError also describes each problem that [Parse] recovered from;
// see [Message.Warnings].
type ParseError struct {
	Location     Location
	SegmentIndex int // 1-based position of the segment in the input; 0 if none
	Offset       int // byte offset in the input
	Code         ErrorCode
	Err          error // one of the sentinels above
}

// Error returns e.g. "hl7v2: PID-3[2].1 (segment 3, offset 412): invalid
// delimiters".
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("hl7v2: ")
	if loc := e.Location.String(); loc != "" {
		b.WriteString(loc)
		b.WriteByte(' ')
	}
	b.WriteByte('(')
	if e.SegmentIndex > 0 {
		b.WriteString("segment ")
		b.WriteString(strconv.Itoa(e.SegmentIndex))
		b.WriteString(", ")
	}
	b.WriteString("offset ")
	b.WriteString(strconv.Itoa(e.Offset))
	b.WriteString("): ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString(e.Text())
	}
	return b.String()
}

// Unwrap returns the sentinel.
func (e *ParseError) Unwrap() error { return e.Err }

// Text returns a PHI-free sentence for an ERR segment.
func (e *ParseError) Text() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return (&Error{Code: e.Code}).Text()
}

// HL7 returns e in the terms of an ERR segment: its location, its code
// (100, 101, 102 or 203) and its text, which also gives the segment's
// position and the byte offset, since ERR has no place for them (and a
// location may be empty, for a line that is not a segment).
func (e *ParseError) HL7() *Error {
	msg := e.Text() + " (byte offset " + strconv.Itoa(e.Offset) + ")"
	if e.SegmentIndex > 0 {
		msg = e.Text() + " (segment " + strconv.Itoa(e.SegmentIndex) + ", byte offset " + strconv.Itoa(e.Offset) + ")"
	}
	return &Error{Location: e.Location, Code: e.Code, Message: msg, Err: e}
}
