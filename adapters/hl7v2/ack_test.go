package hl7v2

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var ackNow = time.Date(2026, 11, 26, 9, 30, 15, 0, time.FixedZone("", -5*3600))

func TestNewACK(t *testing.T) {
	t.Parallel()
	orig := mustParse(t, msg(`MSH|^~\&|SApp^1.2^ISO|SFac|RApp|RFac|20260301120000||ADT^A01^ADT_A01|CTRL-9|T|2.5.1|||AL|NE||UNICODE UTF-8`, "PID|1"))
	_, perr := Parse(msg(strings.Replace(minimalMSH, "2.5.1", "1.0", 1)))
	perr = fmt.Errorf("wrapped: %w", perr)
	_, perrUTF8 := Parse(msg(minimalMSH+"||||||UNICODE UTF-8", "PID|1||a\xff"))
	appErr := &Error{Location: Location{Segment: "PID", Field: 7}, Code: CodeDataType, Message: "birth date is not a date"}
	warn := &Error{Location: Location{Segment: "OBX", Sequence: 2, Field: 5, Repetition: 2, Component: 1, Subcomponent: 2}, Code: CodeTableValueNotFound, Severity: SeverityWarning}
	plain := errors.New("database said: patient DOE^JOHN not found")

	ack := NewACK(orig, AckError, ackNow, appErr, plain, perrUTF8, warn, perr)
	enc := string(Encode(ack))
	back, err := Parse(Encode(ack))
	if err != nil {
		t.Fatalf("Parse(ACK): %v\n%q", err, enc)
	}
	want := map[string]string{
		"MSH-3":      "RApp",
		"MSH-4":      "RFac",
		"MSH-5":      "SApp",
		"MSH-5.2":    "1.2",
		"MSH-6":      "SFac",
		"MSH-7":      "20261126093015-0500",
		"MSH-9":      "ACK",
		"MSH-9.2":    "A01",
		"MSH-9.3":    "ACK",
		"MSH-11":     "T",
		"MSH-12":     "2.5.1",
		"MSH-15":     "",
		"MSH-18":     "UNICODE UTF-8",
		"MSA-1":      "AE",
		"MSA-2":      "CTRL-9",
		"MSA-3":      "",
		"ERR-1":      "",
		"ERR-2":      "PID",
		"ERR-2.2":    "1",
		"ERR-2.3":    "7",
		"ERR-2.4":    "1",
		"ERR-2.5":    "",
		"ERR-3":      "102",
		"ERR-3.2":    "Data type error",
		"ERR-3.3":    "HL70357",
		"ERR-4":      "E",
		"ERR-8":      "birth date is not a date",
		"ERR[2]-2":   "",
		"ERR[2]-3":   "207",
		"ERR[2]-3.2": "Application internal error",
		"ERR[2]-8":   "application internal error",
		"ERR[3]-2":   "PID",
		"ERR[3]-2.3": "3",
		"ERR[3]-2.5": "1",
		"ERR[3]-2.6": "1",
		"ERR[3]-3":   "102",
		"ERR[3]-8":   ErrEncoding.Error() + " (segment 2, byte offset 100)",
		"ERR[4]-2":   "OBX",
		"ERR[4]-2.2": "2",
		"ERR[4]-2.4": "2",
		"ERR[4]-2.6": "2",
		"ERR[4]-3":   "103",
		"ERR[4]-4":   "W",
		"ERR[4]-8":   "table value not found",
		"ERR[5]-2":   "MSH",
		"ERR[5]-2.3": "12",
		"ERR[5]-3":   "203",
		"ERR[5]-3.2": "Unsupported version id",
		"ERR[5]-8":   ErrVersion.Error() + " (segment 1, byte offset 67)",
		"ERR[6]-3":   "",
	}
	for path, v := range want {
		if got := back.Get(path); got != v {
			t.Errorf("%s = %q, want %q", path, got, v)
		}
	}
	if id := back.ControlID(); len(id) != 20 || id == "CTRL-9" {
		t.Errorf("MSH-10 = %q, want a fresh 20-character id", id)
	}
	if strings.Contains(enc, "DOE") {
		t.Errorf("ACK holds the plain error's text: %q", enc)
	}
}

func TestNewACKVersions(t *testing.T) {
	t.Parallel()
	err := &Error{Location: Location{Segment: "PID", Field: 7}, Code: CodeDataType, Message: "bad date"}
	tests := []struct {
		name string
		orig *Message
		code AckCode
		errs []error
		want map[string]string
	}{
		{
			name: "v2.3 uses ERR-1 and MSA-3",
			orig: mustParse(t, msg(`MSH|^~\&|S|SF|R|RF|2026||ADT^A04|C23|P|2.3`)),
			code: AckReject,
			errs: []error{err},
			want: map[string]string{
				"MSH-9": "ACK", "MSH-9.2": "A04", "MSH-9.3": "", "MSH-12": "2.3",
				"MSA-1": "AR", "MSA-2": "C23", "MSA-3": "bad date",
				"ERR-1": "PID", "ERR-1.2": "1", "ERR-1.3": "7", "ERR-1.4.1": "102", "ERR-1.4.2": "Data type error", "ERR-1.4.3": "HL70357",
				"ERR-2": "PID", "ERR-3": "102",
			},
		},
		{
			name: "v2.3.1 has a structure",
			orig: mustParse(t, msg(`MSH|^~\&|S|SF|R|RF|2026||ADT^A04|C231|P|2.3.1`)),
			code: AckAccept,
			want: map[string]string{"MSH-9": "ACK", "MSH-9.3": "ACK", "MSA-1": "AA", "MSA-3": "", "ERR-1": ""},
		},
		{
			name: "nil original",
			orig: nil,
			code: CommitReject,
			errs: []error{err},
			want: map[string]string{"MSH-2": `^~\&`, "MSH-3": "", "MSH-9": "ACK", "MSH-9.2": "", "MSH-9.3": "ACK", "MSH-11": "P", "MSH-12": DefaultVersion, "MSA-1": "CR", "MSA-2": "", "ERR-3": "102"},
		},
		{
			name: "custom delimiters, bad version",
			orig: func() *Message {
				m, err := ParseHeader([]byte(`MSH#!@%*#S#SF#R#RF#2026##ORU!R01#C9#P#1.0`))
				if err != nil {
					t.Fatal(err)
				}
				return m
			}(),
			code: AckReject,
			want: map[string]string{"MSH-1": "#", "MSH-2": "!@%*", "MSH-9.2": "R01", "MSH-12": DefaultVersion, "MSA-2": "C9"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ack := NewACK(tt.orig, tt.code, ackNow, tt.errs...)
			back, err := Parse(Encode(ack))
			if err != nil {
				t.Fatalf("Parse(ACK): %v\n%q", err, Encode(ack))
			}
			for path, v := range tt.want {
				if got := back.Get(path); got != v {
					t.Errorf("%s = %q, want %q", path, got, v)
				}
			}
		})
	}
}

func TestNewACKDoesNotAliasOriginal(t *testing.T) {
	t.Parallel()
	orig := mustParse(t, msg(minimalMSH))
	ack := NewACK(orig, AckAccept, ackNow)
	ack.Segment("MSH").Fields[4][0][0][0] = "CHANGED" // MSH-5, from the original MSH-3
	if got := orig.Get("MSH-3"); got != "APP" {
		t.Errorf("original MSH-3 = %q after changing the ACK", got)
	}
}

func TestAckCodeCommit(t *testing.T) {
	t.Parallel()
	for in, want := range map[AckCode]AckCode{AckAccept: CommitAccept, AckError: CommitError, AckReject: CommitReject, CommitError: CommitError} {
		if got := in.Commit(); got != want {
			t.Errorf("%s.Commit() = %s, want %s", in, got, want)
		}
	}
}

func TestErrorTypes(t *testing.T) {
	t.Parallel()
	cause := errors.New("cause")
	e := &Error{Location: Location{Segment: "PID", Field: 7}, Code: CodeDataType, Err: cause}
	if got, want := e.Error(), "hl7v2: PID-7: data type error"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, cause) {
		t.Error("Unwrap does not reach the cause")
	}
	wrapped := fmt.Errorf("mapper: %w", e)
	if got, ok := AsError(wrapped); !ok || got != e {
		t.Errorf("AsError(wrapped) = %v, %v", got, ok)
	}
	if _, ok := AsError(cause); ok {
		t.Error("AsError of a plain error succeeded")
	}
	pe := &ParseError{Location: Location{Segment: "MSH", Field: 12}, SegmentIndex: 1, Offset: 40, Code: CodeUnsupportedVersionID, Err: ErrVersion}
	if got, want := pe.Error(), "hl7v2: MSH-12 (segment 1, offset 40): unsupported version"; got != want {
		t.Errorf("ParseError.Error() = %q, want %q", got, want)
	}
	h := pe.HL7()
	if h.Code != CodeUnsupportedVersionID || h.Location != pe.Location || h.Message != "unsupported version (segment 1, byte offset 40)" || !errors.Is(h, ErrVersion) {
		t.Errorf("HL7() = %+v", h)
	}
	if ErrorCode(999).String() != "Error 999" || CodeApplicationRecordLocked.String() != "Application record locked" {
		t.Error("ErrorCode.String")
	}
}
