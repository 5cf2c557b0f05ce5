package hl7v2

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestUnescape(t *testing.T) {
	t.Parallel()
	const (
		utf8MSH   = minimalMSH + "||||||UNICODE UTF-8"
		latin1MSH = minimalMSH + "||||||8859/1"
		truncMSH  = `MSH|^~\&#|A|B|C|D|2026||ADT^A01|1|P|2.7`
		customMSH = `MSH#!@%*#A#B#C#D#2026##ADT!A01#1#P#2.5`
	)
	tests := []struct {
		name string
		msh  string
		raw  string // value of field 3 of a ZZZ segment
		want string
		warn bool
	}{
		{"field", minimalMSH, `a\F\b`, "a|b", false},
		{"component", minimalMSH, `a\S\b`, "a^b", false},
		{"subcomponent", minimalMSH, `a\T\b`, "a&b", false},
		{"repetition", minimalMSH, `a\R\b`, "a~b", false},
		{"escape", minimalMSH, `a\E\b`, `a\b`, false},
		{"all delimiters", minimalMSH, `\F\\S\\T\\R\\E\`, `|^&~\`, false},
		{"truncation", truncMSH, `a\P\b`, "a#b", false},
		{"truncation undeclared", minimalMSH, `a\P\b`, `a\P\b`, true},
		{"hex", minimalMSH, `\X41\\X4243\`, "ABC", false},
		{"hex lower case", minimalMSH, `\x41\`, `\x41\`, true},
		{"hex digits lower case", minimalMSH, `\X4a\`, "J", false},
		{"hex CR LF", minimalMSH, `line1\X0D0A\line2`, "line1\r\nline2", false},
		{"hex UTF-8", utf8MSH, `caf\XC3A9\`, "café", false},
		{"hex binary", minimalMSH, `\XFF00\`, "\xff\x00", false},
		{"hex Latin-1", latin1MSH, `caf\XE9\`, "café", false},
		{"hex odd", minimalMSH, `\X414\`, `\X414\`, true},
		{"hex empty", minimalMSH, `\X\`, `\X\`, true},
		{"hex not hex", minimalMSH, `\XZZ\`, `\XZZ\`, true},
		{"highlight", minimalMSH, `a \H\bold\N\ b`, `a \H\bold\N\ b`, false},
		{"line break", minimalMSH, `one\.br\two`, `one\.br\two`, false},
		{"formatting", minimalMSH, `\.sp\\.sp3\\.sp 2\\.in+4\\.ti-2\\.sk2\\.fi\\.nf\\.ce\`, `\.sp\\.sp3\\.sp 2\\.in+4\\.ti-2\\.sk2\\.fi\\.nf\\.ce\`, false},
		{"bad formatting", minimalMSH, `\.xx\\.brr\\.sp-1\`, `\.xx\\.brr\\.sp-1\`, true},
		{"custom", minimalMSH, `\Zabc1\`, `\Zabc1\`, false},
		{"custom with symbol", minimalMSH, `\Za-b\`, `\Za-b\`, true},
		{"charset switches", minimalMSH, `\C2842\x\M2442\y\M244228\`, `\C2842\x\M2442\y\M244228\`, false},
		{"unknown", minimalMSH, `a\Q\b`, `a\Q\b`, true},
		{"empty sequence", minimalMSH, `a\\b`, `a\\b`, true},
		{"unterminated", minimalMSH, `IPv6\r"`, `IPv6\r"`, true},
		{"custom delimiters", customMSH, `%F%%S%%T%%R%%E%`, `#!*@%`, false},
		{"custom escape keeps markup canonical", customMSH, `a%.br%b`, `a\.br\b`, false},
		{"custom escape leaves backslash", customMSH, `C:\dir\E\`, `C:\dir\E\`, false},
		{"no escapes", minimalMSH, `plain text`, `plain text`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := DefaultDelimiters()
			if strings.HasPrefix(tt.msh, "MSH#") {
				d = Delimiters{Field: '#', Component: '!', Repetition: '@', Escape: '%', Subcomponent: '*'}
			}
			in := msg(tt.msh, "ZZZ"+string(d.Field)+"1"+string(d.Field)+string(d.Field)+tt.raw)
			m := mustParse(t, in)
			if got := m.Segment("ZZZ").Field(3).Value(); got != tt.want {
				t.Errorf("value = %q, want %q", got, tt.want)
			}
			ws := m.Warnings()
			if tt.warn != (len(ws) > 0) {
				t.Errorf("warnings = %v, want some: %v", ws, tt.warn)
			}
			for _, w := range ws {
				if !errors.Is(w, ErrEscape) || w.Location.String() != "ZZZ-3.1.1" || w.Code != CodeDataType {
					t.Errorf("warning = %v (%s, %d), want an escape warning at ZZZ-3.1.1", w, w.Location, w.Code)
				}
			}
			roundTrip(t, m)
		})
	}
}

func TestEscapeOnEncode(t *testing.T) {
	t.Parallel()
	def := DefaultDelimiters()
	trunc := def
	trunc.Truncation = '#'
	custom := Delimiters{Field: '#', Component: '!', Repetition: '@', Escape: '%', Subcomponent: '*'}
	dotComp := Delimiters{Field: '|', Component: '.', Repetition: '~', Escape: '\\', Subcomponent: '&'}
	tests := []struct {
		name string
		d    Delimiters
		cs   *charset
		text string
		raw  string
	}{
		{"delimiters", def, csASCII, `a|b^c&d~e\f`, `a\F\b\S\c\T\d\R\e\E\f`},
		{"controls", def, csASCII, "a\r\nb\x01\tc", `a\X0D\\X0A\b\X01\` + "\tc"},
		{"markup", def, csASCII, `x\.br\y\H\z\N\`, `x\.br\y\H\z\N\`},
		{"not markup", def, csASCII, `\Q\`, `\E\Q\E\`},
		{"markup with a delimiter", dotComp, csASCII, `\.br\`, `\E\\S\br\E\`},
		{"truncation", trunc, csASCII, "a#", `a\P\`},
		{"no truncation", def, csASCII, "a#", "a#"},
		{"custom", custom, csASCII, `#!*@%\`, `%F%%S%%T%%R%%E%\`},
		{"custom markup", custom, csASCII, `a\.br\b`, `a%.br%b`},
		{"UTF-8", def, csUTF8, "café", "café"},
		{"invalid UTF-8", def, csUTF8, "a\xffb", `a\XFF\b`},
		{"Latin-1", def, charsets["8859/1"], "café", "caf\xe9"},
		{"Latin-1 unrepresentable", def, charsets["8859/1"], "€1", "?1"},
		{"8859/15 euro", def, charsets["8859/15"], "€1", "\xa41"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := string(newEncoder(tt.d, tt.cs).appendValue(nil, tt.text))
			if got != tt.raw {
				t.Errorf("escaped = %q, want %q", got, tt.raw)
			}
		})
	}
}

func TestCharsets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		charset string
		raw     string
		want    string
		warn    error
	}{
		{"ASCII", "ASCII", "plain", "plain", nil},
		{"undeclared UTF-8", "", "M\xc3\xbcller", "Müller", nil},
		{"undeclared 8-bit", "", "M\xfcller \x80", "Müller €", ErrCharsetGuessed},
		{"declared UTF-8", "UNICODE UTF-8", "\xc2\xb5mol/L", "µmol/L", nil},
		{"8859/1", "8859/1", "Gar\xe7ia", "Garçia", nil},
		{"8859/1 lower case name", "8859/1 ", "\xe9", "é", nil},
		{"8859/2", "8859/2", "\xb3\xf3d\xbc", "łódź", nil},
		{"8859/5", "8859/5", "\xb8\xd2\xd0\xdd", "Иван", nil},
		{"8859/7", "8859/7", "\xe1", "α", nil},
		{"8859/15", "8859/15", "\xa4", "€", nil},
		{"8859/2 C1 control", "8859/2", "\x85", "\u0085", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := mustParse(t, msg(minimalMSH+"||||||"+tt.charset, "ZZZ|"+tt.raw))
			if got := m.Segment("ZZZ").Get(1); got != tt.want {
				t.Errorf("value = %q, want %q", got, tt.want)
			}
			ws := m.Warnings()
			if tt.warn == nil && len(ws) > 0 || tt.warn != nil && (len(ws) != 1 || !errors.Is(ws[0], tt.warn)) {
				t.Errorf("warnings = %v, want %v", ws, tt.warn)
			}
			roundTrip(t, m)
			if tt.warn == nil && !strings.Contains(string(Encode(m)), "ZZZ|"+tt.raw+"\r") {
				t.Errorf("Encode does not write the value back in %q: %q", tt.charset, Encode(m))
			}
		})
	}
}

// TestCharsetNameEscaped: Parse must read MSH-18 as text, as Encode
// writes it (found by FuzzParse: a control character in MSH-18 was written
// as \X0B\ and no longer read as ASCII).
func TestCharsetNameEscaped(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"\v", `\X0B\`, `8859\E\`, `\X38\859/1`} {
		m, err := Parse(msg(minimalMSH+"||||||"+name, "ZZZ|\xe9"))
		if name == `8859\E\` {
			if err == nil {
				t.Errorf("MSH-18 %q accepted", name)
			}
			continue
		}
		if err != nil {
			t.Errorf("MSH-18 %q: %v", name, err)
			continue
		}
		roundTrip(t, m)
	}
}

func TestPlainText(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		`plain`:                       "plain",
		`one\.br\two`:                 "one\ntwo",
		`a\.sp3\b`:                    "a\n\n\nb",
		`a\.sp\b`:                     "a\nb",
		`a\.sk 2\b`:                   "a  b",
		`\H\bold\N\ \.in+4\\.fi\text`: "bold text",
		`\Zx\\C2842\\M2442\x`:         "x",
		`C:\dir\file`:                 `C:\dir\file`,
		`trailing\`:                   `trailing\`,
		`\.ce\title`:                  "\ntitle",
	}
	for in, want := range tests {
		if got := PlainText(in); got != want {
			t.Errorf("PlainText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestEscapeDenseValue decodes a large value dense with escapes from the
// corpus (a uuencoded PDF with \E\ \S\ \T\ \X0D\ \X0A\).
func TestEscapeDenseValue(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/corpus/hapifhir-hapi-hl7v2/FIELD-VALUE-ONLY-uuencoded-pdf-with-escapes-E-S-T-X0D-X0A.txt")
	if err != nil {
		t.Fatal(err)
	}
	value := strings.TrimRight(string(raw), "\r\n")
	m := mustParse(t, msg(minimalMSH, "OBX|1|ED|PDF||"+value))
	if ws := m.Warnings(); len(ws) > 0 {
		t.Fatalf("warnings: %v", ws[0])
	}
	text := m.Get("OBX-5")
	if got, want := strings.Count(text, "\r\n"), strings.Count(value, `\X0D\\X0A\`); got != want || want == 0 {
		t.Errorf("CRLF count = %d, want %d", got, want)
	}
	if strings.Contains(text, `\X0D\`) || strings.Contains(text, `\T\`) {
		t.Error("escapes left in the text")
	}
	if !strings.HasPrefix(text, "begin 644 WAV.DAT\r\n") {
		t.Errorf("text starts %q", text[:20])
	}
	roundTrip(t, m)
}
