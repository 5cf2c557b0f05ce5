package hl7v2

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDelimiters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      []byte
		want    Delimiters
		path    string // a value read with the delimiters
		value   string
		warning error
	}{
		{
			name:  "default",
			in:    msg(minimalMSH, "PID|1||A^B~C&D"),
			want:  DefaultDelimiters(),
			path:  "PID-3[2].1.2",
			value: "D",
		},
		{
			name:  "custom",
			in:    msg(`MSH#!@%*#SND#FAC#RCV#FAC#20260301##ADT!A01#C1#P#2.5`, "PID#1##12345!!!MRN##DOE!JOHN!A##19800101#M"),
			want:  Delimiters{Field: '#', Component: '!', Repetition: '@', Escape: '%', Subcomponent: '*'},
			path:  "PID-5.2",
			value: "JOHN",
		},
		{
			name:  "caret as field separator",
			in:    msg(`MSH^~|\&^SND^FAC^RCV^FAC^20260301^^ADT~A24^C1^T^2.4`, "PID^1^^11111~~~FOO&&0363~NI"),
			want:  Delimiters{Field: '^', Component: '~', Repetition: '|', Escape: '\\', Subcomponent: '&'},
			path:  "PID-3.4.3",
			value: "0363",
		},
		{
			name:  "truncation character",
			in:    msg(`MSH|^~\&#|SND|FAC|RCV|FAC|20260301||ADT^A01|C1|P|2.7`, `PID|1||A\P\B#`),
			want:  Delimiters{Field: '|', Component: '^', Repetition: '~', Escape: '\\', Subcomponent: '&', Truncation: '#'},
			path:  "PID-3",
			value: "A#B#",
		},
		{
			name:    "doubled escape character recovered",
			in:      msg(`MSH|^~\\&|SND|FAC|RCV|FAC|20260301||ADT^A01|C1|P|2.6`, `PID|1||A&B`),
			want:    DefaultDelimiters(),
			path:    "PID-3.1.2",
			value:   "B",
			warning: ErrRecovered,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := mustParse(t, tt.in)
			if d := cmp.Diff(tt.want, m.Delimiters); d != "" {
				t.Errorf("Delimiters (-want +got):\n%s", d)
			}
			if got := m.Get(tt.path); got != tt.value {
				t.Errorf("Get(%q) = %q, want %q", tt.path, got, tt.value)
			}
			if got, want := m.Get("MSH-1"), string(tt.want.Field); got != want {
				t.Errorf("MSH-1 = %q, want %q", got, want)
			}
			if got, want := m.Get("MSH-2"), tt.want.EncodingCharacters(); got != want {
				t.Errorf("MSH-2 = %q, want %q", got, want)
			}
			if tt.warning != nil {
				ws := m.Warnings()
				if len(ws) == 0 || !errors.Is(ws[0], tt.warning) {
					t.Errorf("Warnings = %v, want %v", ws, tt.warning)
				}
			}
			roundTrip(t, m)
		})
	}
}

func TestParseTerminatorsAndWhitespace(t *testing.T) {
	t.Parallel()
	want := mustParse(t, msg(minimalMSH, "PID|1||X", "OBX|1|ST|A||v"))
	body := []string{minimalMSH, "PID|1||X", "OBX|1|ST|A||v"}
	inputs := map[string]string{
		"CR":                strings.Join(body, "\r"),
		"LF":                strings.Join(body, "\n"),
		"CRLF":              strings.Join(body, "\r\n") + "\r\n",
		"mixed":             body[0] + "\r\n" + body[1] + "\n" + body[2] + "\r",
		"BOM":               bom + strings.Join(body, "\r"),
		"leading blanks":    "\r\n \n" + strings.Join(body, "\r"),
		"trailing blanks":   strings.Join(body, "\r") + "\r\n\r\n  \t\n",
		"blank lines":       body[0] + "\r\r\n\n" + body[1] + "\r   \r" + body[2],
		"BOM, CRLF, blanks": bom + strings.Join(body, "\r\n") + "\r\n\r\n",
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := mustParse(t, []byte(in))
			if d := messageDiff(want, got); d != "" {
				t.Errorf("differs from the CR form (-want +got):\n%s", d)
			}
		})
	}
}

func TestParseStructure(t *testing.T) {
	t.Parallel()
	m := mustParse(t, msg(minimalMSH,
		"PID|1||~B1^B2|C1&C2^&^|||||",
		"ZZ1",
		"ZZ2|",
		"OBX|1",
		"OBX|2|ST|||second"))
	pid := m.Segment("PID")
	if pid == nil {
		t.Fatal("no PID")
	}
	want := []Field{
		{{{"1"}}},
		nil,
		{nil, {{"B1"}, {"B2"}}},
		{{{"C1", "C2"}, {"", ""}, nil}},
		nil, nil, nil, nil, nil,
	}
	if d := cmp.Diff(want, pid.Fields); d != "" {
		t.Errorf("PID fields (-want +got):\n%s", d)
	}
	if got := len(m.Segment("ZZ1").Fields); got != 0 {
		t.Errorf("ZZ1 has %d fields, want 0", got)
	}
	if d := cmp.Diff([]Field{nil}, m.Segment("ZZ2").Fields); d != "" {
		t.Errorf("ZZ2 fields (-want +got):\n%s", d)
	}
	if got := len(m.Segments("OBX")); got != 2 {
		t.Errorf("Segments(OBX) = %d, want 2", got)
	}
	if got := m.Len(); got != 6 {
		t.Errorf("Len = %d, want 6", got)
	}
	paths := map[string]string{
		"MSH-1":        "|",
		"MSH-2":        `^~\&`,
		"MSH-3":        "APP",
		"MSH-9":        "ADT",
		"MSH-9.2":      "A01",
		"MSH-9.3":      "ADT_A01",
		"MSH-10":       "CTRL1",
		"MSH-12":       "2.5.1",
		"PID-3":        "", // first repetition is empty
		"PID-3[1]":     "",
		"PID-3[2]":     "B1",
		"PID-3[2].2":   "B2",
		"PID-3[3]":     "",
		"PID-4.1.2":    "C2",
		"PID-4.2.2":    "",
		"PID-4.9":      "",
		"PID-99":       "",
		"OBX-5":        "",
		"OBX[2]-5":     "second",
		"OBX[3]-5":     "",
		"XYZ-1":        "",
		"not a path":   "",
		"PID-0":        "",
		"PID-3[0]":     "",
		"PID-3.1.1.1":  "",
		"PID[2]-1":     "",
		"OBX[2]-2.1.1": "ST",
	}
	for path, want := range paths {
		if got := m.Get(path); got != want {
			t.Errorf("Get(%q) = %q, want %q", path, got, want)
		}
	}
	roundTrip(t, m)
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     string
		err    error
		code   ErrorCode
		loc    string
		index  int
		offset int
	}{
		{"empty", "", ErrEmpty, CodeSegmentSequence, "MSH", 0, 0},
		{"only white space", bom + " \r\n\t", ErrEmpty, CodeSegmentSequence, "MSH", 0, 7},
		{"no MSH", "PID|1\rPV1|1", ErrNoMSH, CodeSegmentSequence, "MSH", 1, 0},
		{"batch header", "FHS|^~\\&\rMSH|^~\\&", ErrUnexpected, CodeSegmentSequence, "FHS", 1, 0},
		{"MSH only", "MSH", ErrRequired, CodeRequiredFieldMissing, "MSH-1", 1, 3},
		{"MSH-1 bad", "MSHA^~\\&", ErrDelimiters, CodeDataType, "MSH-1", 1, 3},
		{"MSH-2 empty", "MSH||A|B", ErrRequired, CodeRequiredFieldMissing, "MSH-2", 1, 4},
		{"MSH-2 short", "MSH|^~|A", ErrDelimiters, CodeDataType, "MSH-2", 1, 4},
		{"MSH-2 duplicate", "MSH|^^\\&|A", ErrDelimiters, CodeDataType, "MSH-2", 1, 4},
		{"MSH-2 letter", "MSH|^~\\A|A", ErrDelimiters, CodeDataType, "MSH-2", 1, 4},
		{"MSH-9 missing", "MSH|^~\\&|A|B|C|D|2026||^A01|1|P|2.5", ErrRequired, CodeRequiredFieldMissing, "MSH-9", 1, 23},
		{"MSH-9 absent", "MSH|^~\\&|A", ErrRequired, CodeRequiredFieldMissing, "MSH-9", 1, 10},
		{"MSH-12 missing", "MSH|^~\\&|A|B|C|D|2026||ADT^A01|1|P|", ErrRequired, CodeRequiredFieldMissing, "MSH-12", 1, 35},
		{"MSH-12 not 2.x", "MSH|^~\\&|A|B|C|D|2026||ADT^A01|1|P|1.0", ErrVersion, CodeUnsupportedVersionID, "MSH-12", 1, 35},
		{"MSH-12 garbage", "MSH|^~\\&|A|B|C|D|2026||ADT^A01|1|P|2.x", ErrVersion, CodeUnsupportedVersionID, "MSH-12", 1, 35},
		{"MSH-18 unknown", minimalMSH + "||||||UTF-16", ErrCharset, CodeDataType, "MSH-18", 1, len(minimalMSH) + 6},
		{"bad segment id", minimalMSH + "\rPIDX|1", ErrSegmentID, CodeSegmentSequence, "", 2, len(minimalMSH) + 1},
		{"short segment id", minimalMSH + "\rPV|1", ErrSegmentID, CodeSegmentSequence, "", 2, len(minimalMSH) + 1},
		{"lower-case segment id", minimalMSH + "\rpid|1", ErrSegmentID, CodeSegmentSequence, "", 2, len(minimalMSH) + 1},
		{"indented segment", minimalMSH + "\r PID|1", ErrSegmentID, CodeSegmentSequence, "", 2, len(minimalMSH) + 1},
		{"second MSH", minimalMSH + "\rPID|1\r" + minimalMSH, ErrUnexpected, CodeSegmentSequence, "MSH", 3, len(minimalMSH) + 7},
		{"trailer inside", minimalMSH + "\rBTS|1", ErrUnexpected, CodeSegmentSequence, "BTS", 2, len(minimalMSH) + 1},
		{"invalid UTF-8 declared", minimalMSH + "||||||UNICODE UTF-8\rPID|1||ab\xffc", ErrEncoding, CodeDataType, "PID-3.1.1", 2, len(minimalMSH) + 19 + 1 + 9},
		{"undefined 8859/3 byte", minimalMSH + "||||||8859/3\rPID|1||\xa5", ErrEncoding, CodeDataType, "PID-3.1.1", 2, len(minimalMSH) + 12 + 1 + 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Parse([]byte(tt.in))
			if m != nil {
				t.Errorf("Parse returned a message with error %v", err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error = %v, want a *ParseError", err)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("error = %v, want %v", err, tt.err)
			}
			if pe.Code != tt.code {
				t.Errorf("Code = %d, want %d", pe.Code, tt.code)
			}
			if got := pe.Location.String(); got != tt.loc {
				t.Errorf("Location = %q, want %q", got, tt.loc)
			}
			if pe.SegmentIndex != tt.index {
				t.Errorf("SegmentIndex = %d, want %d", pe.SegmentIndex, tt.index)
			}
			if pe.Offset != tt.offset {
				t.Errorf("Offset = %d, want %d", pe.Offset, tt.offset)
			}
			e, ok := AsError(err)
			if !ok || e.Code != tt.code || e.Location != pe.Location {
				t.Errorf("AsError = %+v, %v; want code %d at %q", e, ok, tt.code, tt.loc)
			}
		})
	}
}

// TestErrorsHoldNoValues checks that parse errors and warnings never
// repeat message content, which may be patient data.
func TestErrorsHoldNoValues(t *testing.T) {
	t.Parallel()
	const secret = "SECRETNAME"
	inputs := []string{
		minimalMSH + "||||||UNICODE UTF-8\rPID|1||" + secret + "\xff",
		minimalMSH + "\r" + secret + "|1",
		minimalMSH + "\rPID|1||" + secret + `\Q\`,
		strings.Replace(minimalMSH, "2.5.1", secret, 1),
		"MSH|^~\\&|A|B|C|D|2026||" + secret + "^^" + "|1|P|" + secret,
	}
	for _, in := range inputs {
		m, err := Parse([]byte(in))
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("error %q holds message content", err)
		}
		for _, w := range m.Warnings() {
			if strings.Contains(w.Error(), secret) {
				t.Errorf("warning %q holds message content", w)
			}
		}
	}
}

func TestParseHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		control string
		sender  string
		delims  Delimiters
	}{
		{"broken body", minimalMSH + "\rPIDX|broken", "CTRL1", "APP", DefaultDelimiters()},
		{"missing MSH-2", "MSH||SND^x^DNS|FAC|RCV|RFAC|2023||ORM^O01|111111|D|2.5.1", "111111", "SND", DefaultDelimiters()},
		{"bad MSH-2, caret field separator", "MSH^abc^SND^FAC^^^^^^C9", "C9", "SND",
			Delimiters{Field: '^', Component: '#', Repetition: '~', Escape: '\\', Subcomponent: '&'}},
		{"garbage before", "\x00\x01garbageMSH|^~\\&|SND|||||||C2", "C2", "SND", DefaultDelimiters()},
		{"Latin-1 undeclared", "MSH|^~\\&|S\xe9|||||||C3|P|2.3", "C3", "Sé", DefaultDelimiters()},
		{"bad byte in declared 8859/3", "MSH|^~\\&|S\xa5|||||||C4|P|2.3||||||8859/3", "C4", "S¥", DefaultDelimiters()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := ParseHeader([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseHeader: %v", err)
			}
			if got := m.ControlID(); got != tt.control {
				t.Errorf("ControlID = %q, want %q", got, tt.control)
			}
			if got := m.SendingApplication().NamespaceID; got != tt.sender {
				t.Errorf("MSH-3 = %q, want %q", got, tt.sender)
			}
			if m.Delimiters != tt.delims {
				t.Errorf("Delimiters = %+v, want %+v", m.Delimiters, tt.delims)
			}
			if m.Len() != 1 {
				t.Errorf("Len = %d, want 1 (MSH only)", m.Len())
			}
		})
	}
	for _, in := range []string{"", "PID|1", "MSH", "MSHX"} {
		if m, err := ParseHeader([]byte(in)); err == nil || m != nil {
			t.Errorf("ParseHeader(%q) = %v, %v; want an error", in, m, err)
		}
	}
}

func TestHeaderAccessors(t *testing.T) {
	t.Parallel()
	m := mustParse(t, msg(`MSH|^~\&|App^1.2.3^ISO|Fac^2.16.840^ISO|RApp|^rfac.example^DNS|20260301120000-0500||ORU^R01^ORU_R01|C-7|T^A|2.5.1|||al|NE||UNICODE UTF-8`))
	if got, want := m.Type(), (MessageType{"ORU", "R01", "ORU_R01"}); got != want {
		t.Errorf("Type = %+v, want %+v", got, want)
	}
	if got := m.Type().String(); got != "ORU^R01" {
		t.Errorf("Type.String = %q", got)
	}
	checks := map[string][2]string{
		"ControlID":          {m.ControlID(), "C-7"},
		"ProcessingID":       {m.ProcessingID(), "T"},
		"Version":            {m.Version(), "2.5.1"},
		"AcceptAckType":      {string(m.AcceptAckType()), "AL"},
		"ApplicationAckType": {string(m.ApplicationAckType()), "NE"},
		"Charset":            {m.Charset(), "UNICODE UTF-8"},
		"SendingFacility":    {m.SendingFacility().String(), "Fac"},
		"ReceivingFacility":  {m.ReceivingFacility().String(), "rfac.example"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if got, want := m.SendingApplication(), (HD{"App", "1.2.3", "ISO"}); got != want {
		t.Errorf("SendingApplication = %+v, want %+v", got, want)
	}
	if got := m.ReceivingApplication(); got != (HD{NamespaceID: "RApp"}) {
		t.Errorf("ReceivingApplication = %+v", got)
	}
	ts, err := m.Time(nil)
	if err != nil || !ts.HasZone || ts.Precision != PrecisionSecond || ts.Time.UTC().Hour() != 17 {
		t.Errorf("Time = %+v, %v", ts, err)
	}
	var nilMsg *Message
	if nilMsg.Type().String() != "" || nilMsg.ControlID() != "" || nilMsg.Segment("MSH") != nil || nilMsg.Get("MSH-9") != "" {
		t.Error("accessors on a nil message are not empty")
	}
	bad := mustParse(t, msg(`MSH|^~\&|A|B|C|D|2026-13||ADT^A01|1|P|2.5`))
	if _, err := bad.Time(nil); err == nil {
		t.Error("Time of an invalid MSH-7 succeeded")
	} else if e, ok := AsError(err); !ok || e.Location.String() != "MSH-7" || e.Code != CodeDataType {
		t.Errorf("Time error = %v, want MSH-7 data type error", err)
	}
}

func TestSet(t *testing.T) {
	t.Parallel()
	m := mustParse(t, msg(minimalMSH, "PID|1", "OBX|1", "OBX|2"))
	sets := map[string]string{
		"PID-3[2].4.2": "AUTH",
		"PID-5":        "DOE^JOHN", // a value: the caret is escaped, not a separator
		"OBX[2]-5.2":   "second",
		"MSH-10":       "NEW",
	}
	for path, v := range sets {
		if err := m.Set(path, v); err != nil {
			t.Fatalf("Set(%q): %v", path, err)
		}
	}
	for path, v := range sets {
		if got := m.Get(path); got != v {
			t.Errorf("Get(%q) after Set = %q, want %q", path, got, v)
		}
	}
	if got := m.Get("PID-3[1]"); got != "" {
		t.Errorf("padding repetition = %q", got)
	}
	enc := string(Encode(m))
	for _, want := range []string{`PID|1||~^^^&AUTH||DOE\S\JOHN`, `OBX|2||||^second`, "|NEW|"} {
		if !strings.Contains(enc, want) {
			t.Errorf("Encode = %q, missing %q", enc, want)
		}
	}
	for _, path := range []string{"MSH-1", "MSH-2", "NTE-1", "PID", "bad"} {
		if err := m.Set(path, "x"); err == nil {
			t.Errorf("Set(%q) succeeded", path)
		}
	}
}

func TestLocation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Location
		str  string
	}{
		{"PID", Location{Segment: "PID"}, "PID"},
		{"PID-7", Location{Segment: "PID", Field: 7}, "PID-7"},
		{"PID-3[2].1", Location{Segment: "PID", Field: 3, Repetition: 2, Component: 1}, "PID-3[2].1"},
		{"PID-5.1.1", Location{Segment: "PID", Field: 5, Component: 1, Subcomponent: 1}, "PID-5.1.1"},
		{"OBX[2]-5", Location{Segment: "OBX", Sequence: 2, Field: 5}, "OBX[2]-5"},
		{"ZX1[10]-12[3].4.5", Location{Segment: "ZX1", Sequence: 10, Field: 12, Repetition: 3, Component: 4, Subcomponent: 5}, "ZX1[10]-12[3].4.5"},
		{"PID[1]-3[1]", Location{Segment: "PID", Sequence: 1, Field: 3, Repetition: 1}, "PID-3"},
	}
	for _, tt := range tests {
		got, err := ParseLocation(tt.in)
		if err != nil {
			t.Errorf("ParseLocation(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseLocation(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if s := got.String(); s != tt.str {
			t.Errorf("String(%q) = %q, want %q", tt.in, s, tt.str)
		}
	}
	for _, bad := range []string{"", "PI", "pid-1", "1ID-1", "PID-", "PID-0", "PID-1.", "PID-1[2", "PID-1[]", "PID-01", "PID-1x", "PID[0]-1", "PID-1.2.3.4", "PID-1234567"} {
		if _, err := ParseLocation(bad); err == nil {
			t.Errorf("ParseLocation(%q) succeeded", bad)
		}
	}
	if s := (Location{}).String(); s != "" {
		t.Errorf("zero Location = %q", s)
	}
}

func TestNewMessage(t *testing.T) {
	t.Parallel()
	m, err := NewMessage(DefaultDelimiters())
	if err != nil {
		t.Fatal(err)
	}
	for path, v := range map[string]string{"MSH-9.1": "ADT", "MSH-9.2": "A04", "MSH-10": "X1", "MSH-12": "2.5.1"} {
		if err := m.Set(path, v); err != nil {
			t.Fatal(err)
		}
	}
	m.AddSegment("PID").Set(5, 1, 2, 0, "JANE")
	if got, want := string(Encode(m)), "MSH|^~\\&|||||||ADT^A04|X1||2.5.1\rPID|||||^JANE\r"; got != want {
		t.Errorf("Encode = %q, want %q", got, want)
	}
	if _, err := Parse(Encode(m)); err != nil {
		t.Errorf("Parse(Encode(NewMessage)): %v", err)
	}
	if _, err := NewMessage(Delimiters{Field: '|', Component: '|'}); err == nil {
		t.Error("NewMessage with invalid delimiters succeeded")
	}
}
