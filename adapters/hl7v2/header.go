package hl7v2

import (
	"strings"
	"time"
)

// A MessageType is MSH-9: message code, trigger event and message
// structure, e.g. ADT, A01, ADT_A01.
type MessageType struct {
	Code      string
	Trigger   string
	Structure string
}

// String returns "code^trigger" (e.g. "ADT^A01"), "code" when there is no
// trigger, or "" when there is no code. It is an envelope's Kind.
func (t MessageType) String() string {
	switch {
	case t.Code == "":
		return ""
	case t.Trigger == "":
		return t.Code
	}
	return t.Code + "^" + t.Trigger
}

// An HD is a hierarchic designator, as in MSH-3 to MSH-6: a local
// namespace id and/or a universal id (an OID, a DNS name...) and its type.
type HD struct {
	NamespaceID     string
	UniversalID     string
	UniversalIDType string
}

// String returns the namespace id, or the universal id when there is none.
func (h HD) String() string {
	if h.NamespaceID != "" {
		return h.NamespaceID
	}
	return h.UniversalID
}

// An AckType is MSH-15 or MSH-16 (HL7 table 0155): when the sender wants an
// accept or application acknowledgment.
type AckType string

// The values of table 0155.
const (
	AckAlways    AckType = "AL"
	AckNever     AckType = "NE"
	AckOnError   AckType = "ER"
	AckOnSuccess AckType = "SU"
)

// mshValue returns the trimmed text of MSH field n, component comp.
func (m *Message) mshValue(n, comp int) string {
	return strings.TrimSpace(m.Segment("MSH").Field(n).Comp(comp).Value())
}

func (m *Message) hd(n int) HD {
	r := m.Segment("MSH").Field(n).Rep(1)
	return HD{
		NamespaceID:     strings.TrimSpace(r.Comp(1).Value()),
		UniversalID:     strings.TrimSpace(r.Comp(2).Value()),
		UniversalIDType: strings.TrimSpace(r.Comp(3).Value()),
	}
}

// Type returns MSH-9.
func (m *Message) Type() MessageType {
	return MessageType{Code: m.mshValue(9, 1), Trigger: m.mshValue(9, 2), Structure: m.mshValue(9, 3)}
}

// ControlID returns MSH-10, the id that MSA-2 of the acknowledgment
// echoes.
func (m *Message) ControlID() string { return m.mshValue(10, 1) }

// ProcessingID returns MSH-11.1: P (production), T (training) or D
// (debugging).
func (m *Message) ProcessingID() string { return m.mshValue(11, 1) }

// Version returns MSH-12.1, e.g. "2.5.1".
func (m *Message) Version() string { return m.mshValue(12, 1) }

// SendingApplication returns MSH-3.
func (m *Message) SendingApplication() HD { return m.hd(3) }

// SendingFacility returns MSH-4.
func (m *Message) SendingFacility() HD { return m.hd(4) }

// ReceivingApplication returns MSH-5.
func (m *Message) ReceivingApplication() HD { return m.hd(5) }

// ReceivingFacility returns MSH-6.
func (m *Message) ReceivingFacility() HD { return m.hd(6) }

// Time returns MSH-7, the time the message was created, reading a value
// without an offset in def (see [ParseTime]).
func (m *Message) Time(def *time.Location) (Time, error) {
	t, err := ParseTime(m.mshValue(7, 1), def)
	if err != nil {
		return Time{}, &Error{Location: Location{Segment: "MSH", Field: 7}, Code: CodeDataType, Message: "invalid timestamp", Err: err}
	}
	return t, nil
}

// AcceptAckType returns MSH-15; empty means original acknowledgment mode.
func (m *Message) AcceptAckType() AckType { return AckType(strings.ToUpper(m.mshValue(15, 1))) }

// ApplicationAckType returns MSH-16.
func (m *Message) ApplicationAckType() AckType {
	return AckType(strings.ToUpper(m.mshValue(16, 1)))
}

// Charset returns MSH-18, the character set the message was sent in; empty
// means ASCII.
func (m *Message) Charset() string { return m.mshValue(18, 1) }
