package copybook

import (
	"errors"
	"strings"
	"testing"
)

func TestParseFixedFormat(t *testing.T) {
	t.Parallel()
	src := "" +
		"000100 01  MEMBER-REC.                                                  SEQ00001\n" +
		"000200*    a comment line with PIC 9(99) in it\n" +
		"000300/    a page-eject comment\n" +
		"** a comment from column 1: NOTE PIC X.\n" +
		"000400D    05 DEBUG-ONLY PIC X.\n" +
		"000500     05  MEMBER-ID            PIC X(10).                          IGNORED!\n" +
		"000600     05  STATUS-CODE          PIC X VALUE 'A'.\n" +
		"000700         88  ACTIVE           VALUE 'A' 'B' THRU 'D'.\n" +
		"000800         88  CLOSED           VALUES ARE 'Z'.\n" +
		"000900     05  NOTE                 PIC X(4) VALUE 'ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG\n" +
		"001000-        'HIJ'.\n" +
		"001100     05  BAL  PIC S9(7)V99\n" +
		"001200          USAGE IS COMP-3 SYNC.\n" +
		"001300     05  AMT  PIC S9(4) COMP-3 OCCURS 3 TIMES INDEXED BY I1.\n" +
		"001400 66  ALIAS RENAMES MEMBER-ID THRU STATUS-CODE.\n"
	cb, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r := cb.Records[0]
	var names []string
	for _, c := range r.Children {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, " "); got != "MEMBER-ID STATUS-CODE NOTE BAL AMT" {
		t.Fatalf("items %q", got)
	}
	st := r.Children[1]
	if len(st.Conditions) != 2 || st.Conditions[0].Name != "ACTIVE" ||
		len(st.Conditions[0].Values) != 2 || st.Conditions[0].Values[1] != (ConditionValue{From: "B", Thru: "D"}) {
		t.Errorf("conditions %+v", st.Conditions)
	}
	bal := r.Children[3]
	if bal.Usage != PackedDecimal || !bal.Sync || bal.Picture.Scale != 2 || bal.Size != 5 || bal.Offset != 15 {
		t.Errorf("BAL %+v %+v", bal, bal.Picture)
	}
	amt := r.Children[4]
	if amt.Occurs != 3 || amt.Size != 3 || amt.Offset != 20 || r.Size != 29 {
		t.Errorf("AMT occurs %d size %d offset %d; record %d", amt.Occurs, amt.Size, amt.Offset, r.Size)
	}
	if len(cb.Renames) != 1 || cb.Renames[0].RenamesFrom != r.Children[0] || cb.Renames[0].RenamesThru != st {
		t.Errorf("renames %+v", cb.Renames)
	}
	if r.Line != 1 || r.Col != 8 || st.Line != 7 {
		t.Errorf("positions: record %d:%d, STATUS-CODE line %d", r.Line, r.Col, st.Line)
	}
}

func TestParseFreeFormat(t *testing.T) {
	t.Parallel()
	src := "*> free format\n01 REC.\n  05 A PIC X(2). *> trailing comment\n\t05 B PIC 9(3) COMP.\n  05 C COMP-2.\n"
	cb, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r := cb.Records[0]
	if len(r.Children) != 3 || r.Size != 12 || r.Children[2].Usage != Double {
		t.Errorf("record size %d, %d items", r.Size, len(r.Children))
	}
}

func TestParseFragmentAndGroupUsage(t *testing.T) {
	t.Parallel()
	// No level 01: an implicit record; USAGE on the group is inherited.
	src := fixed("05 G COMP-3.", "   10 X PIC S9(3).", "   10 Y PIC S9(5).", "05 Z PIC X.",
		"05 H SIGN LEADING SEPARATE.", "   10 T PIC X.", "   10 N PIC S9.")
	cb, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r := cb.Records[0]
	if r.Name != "RECORD" || len(r.Children) != 3 || r.Children[0].Children[1].Usage != PackedDecimal || r.Size != 9 {
		t.Errorf("record %s size %d", r.Name, r.Size)
	}
}

// TestParseErrors checks that errors are *ParseErrors at the right place.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src       string
		line, col int
		err       error
	}{
		{fixed("01 R.", "   05 A PIC X(3)B."), 2, 24, ErrUnsupported},
		{fixed("01 R.", "   05 A PIC $9(3)."), 2, 20, ErrUnsupported},
		{fixed("01 R.", "   05 A PIC 9(3)CR."), 2, 24, ErrUnsupported},
		{fixed("01 R.", "   05 A PIC N(3)."), 2, 20, ErrUnsupported},
		{fixed("01 R.", "   05 A PIC X(."), 2, 21, ErrPicture},
		{fixed("01 R.", "   05 A PIC 9(3)V9V9."), 2, 26, ErrPicture},
		{fixed("01 R.", "   05 A PIC XS."), 2, 21, ErrPicture},
		{fixed("01 R.", "   05 A PIC X(3) COMP-3."), 2, 11, ErrStructure},
		{fixed("01 R.", "   05 A."), 2, 11, ErrStructure},
		{fixed("01 R.", "   05 A PIC X INDEX."), 2, 22, ErrUnsupported},
		{fixed("01 R.", "   05 A PIC X FOO."), 2, 22, ErrSyntax},
		{fixed("01 R.", "   55 A PIC X."), 2, 11, ErrLevel},
		{fixed("01 R.", "   05 A PIC X OCCURS 3 DEPENDING ON N."), 2, 44, ErrReference},
		{fixed("01 R.", "   05 N PIC X.", "   05 A PIC X OCCURS 3 DEPENDING ON N."), 3, 44, ErrStructure},
		{fixed("01 R.", "   05 A PIC X.", "   05 B PIC X.", "   05 C REDEFINES A PIC X."), 4, 11, ErrStructure},
		{fixed("01 R.", "   05 A PIC X OCCURS 3 DEPENDING ON N.", "   05 N PIC 9."), 2, 44, ErrStructure},
		{fixed("01 R.", "   05 C REDEFINES Q PIC X."), 2, 11, ErrReference},
		{fixed("01 R.", "   05 A PIC X VALUE 'OPEN."), 2, 28, ErrLiteral},
		{fixed("01 R.", "   05 A PIC X(9) OCCURS 99999 TIMES.", "   05 B OCCURS 99999.", "     10 C PIC X(9) OCCURS 9999."), 3, 11, ErrStructure},
		{fixed("COPY MEMBERS."), 1, 8, ErrUnsupported},
		{"", 1, 1, ErrEmpty},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.src))
		var pe *ParseError
		if !errors.As(err, &pe) || !errors.Is(err, tc.err) {
			t.Errorf("%q: got %v, want %v", tc.src, err, tc.err)
			continue
		}
		if pe.Line != tc.line || pe.Col != tc.col {
			t.Errorf("%q: %v: at line %d col %d, want line %d col %d", tc.src, err, pe.Line, pe.Col, tc.line, tc.col)
		}
		if !strings.HasPrefix(err.Error(), "copybook: line ") {
			t.Errorf("error text %q", err)
		}
	}
}

func TestPicture(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pic                 string
		cat                 Category
		length, digits, scl int
		signed              bool
	}{
		{"X(10)", Alphanumeric, 10, 0, 0, false},
		{"A(3)", Alphabetic, 3, 0, 0, false},
		{"XXA99", Alphanumeric, 5, 0, 0, false},
		{"S9(5)V99", Numeric, 7, 7, 2, true},
		{"9(3)", Numeric, 3, 3, 0, false},
		{"SPPP9(5)", Numeric, 5, 5, 8, true},
		{"VPP99", Numeric, 2, 2, 4, false},
		{"9(3)PP", Numeric, 3, 3, -2, false},
		{"SV9(7)", Numeric, 7, 7, 7, true},
		{"9(8).9(2)", NumericEdited, 11, 10, 2, false},
		{"Z(6)VZZ-", NumericEdited, 9, 8, 2, true},
		{"+9(8)", NumericEdited, 9, 8, 0, true},
		{"S9(3).99", NumericEdited, 6, 5, 2, true},
	}
	for _, tc := range tests {
		p, err := parsePicture(tc.pic, 1, 1)
		if err != nil {
			t.Errorf("%s: %v", tc.pic, err)
			continue
		}
		if p.Category != tc.cat || p.Len != tc.length || p.Digits != tc.digits || p.Scale != tc.scl || p.Signed != tc.signed {
			t.Errorf("%s: %+v", tc.pic, p)
		}
	}
}

func TestEncodingNames(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]Encoding{"cp037": CP037, "IBM-1047": CP1047, "1140": CP1140, "ASCII": ASCII, "037": CP037} {
		if e, err := ParseEncoding(s); err != nil || e != want {
			t.Errorf("ParseEncoding(%q) = %v, %v", s, e, err)
		}
		if e, _ := ParseEncoding(want.String()); e != want {
			t.Errorf("%v does not round-trip", want)
		}
	}
	if _, err := ParseEncoding("cp500"); err == nil {
		t.Error("cp500 accepted")
	}
}

func TestParseRecordsAndContinuation(t *testing.T) {
	t.Parallel()
	src := "" +
		"000100 01  FIRST-REC.\n" +
		"000200     05  LONG-NA\n" +
		"000300-        ME  PIC X(2).\n" +
		"000400 01  SECOND-REC.\n" +
		"000500     05  B   PIC 9(3) COMP.\n" +
		"000600 77  LONE    PIC S9(3)V9 COMP-3.\n"
	cb, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(cb.Records) != 3 || cb.Records[2].Level != 77 || cb.Record("second-rec") != cb.Records[1] {
		t.Fatalf("records %+v", cb.Records)
	}
	if n := cb.Records[0].Children[0]; n.Name != "LONG-NAME" || n.Path() != "FIRST-REC.LONG-NAME" {
		t.Errorf("continued word: %q", n.Name)
	}
	var names []string
	cb.Walk(func(it *Item) bool { names = append(names, it.Name); return it.Name != "SECOND-REC" })
	if strings.Join(names, ",") != "FIRST-REC,LONG-NAME,SECOND-REC" {
		t.Errorf("Walk visited %v", names)
	}
	d, err := NewDecoder(cb, Config{Record: "LONE"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := d.AppendJSON(nil, []byte{0x00, 0x12, 0x3d}); err != nil || string(got) != `{"LONE":-12.3}` {
		t.Errorf("77 item: %s %v", got, err)
	}
	if _, err := NewDecoder(cb, Config{Record: "NOPE"}); err == nil {
		t.Error("unknown record accepted")
	}
}

func TestDetectFormat(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]Format{
		"000100 01 R.\n000200     05 A PIC X.\n": FormatFixed,
		"       01 R.\n":                         FormatFixed,
		"      01 R.\n":                          FormatFixed, // one column left: tolerated
		"01 R.\n  05 A PIC X.\n":                 FormatFree,
		" 05 A PIC X.\n":                         FormatFree,
		"ABC123 01 R.\n":                         FormatFixed,
	} {
		if got := detectFormat(splitLines([]byte(src))); got != want {
			t.Errorf("%q: %v, want %v", src, got, want)
		}
	}
}
