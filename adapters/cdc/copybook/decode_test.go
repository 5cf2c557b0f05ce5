package copybook

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// fixed indents entries into area B of the fixed reference format.
func fixed(lines ...string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("       ")
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

func mustDecoder(t *testing.T, src string, cfg Config) *Decoder {
	t.Helper()
	cb, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	d, err := NewDecoder(cb, cfg)
	if err != nil {
		t.Fatalf("NewDecoder: %v", err)
	}
	return d
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestScalars decodes one elementary item per case and checks its JSON.
func TestScalars(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, clause string
		cfg          Config
		data         string // hex
		want         string // the JSON value
	}{
		// Zoned decimal, EBCDIC: zone F digits, sign overpunched C/D.
		{"zoned unsigned", "PIC 9(3)", Config{}, "f1f2f3", "123"},
		{"zoned negative overpunch", "PIC S9(3)", Config{}, "f1f2d3", "-123"},
		{"zoned positive overpunch", "PIC S9(3)", Config{}, "f1f2c3", "123"},
		{"zoned overpunch F", "PIC S9(3)", Config{}, "f1f2f3", "123"},
		{"zoned B is negative", "PIC S9(3)", Config{}, "f1f2b3", "-123"},
		{"zoned leading", "PIC S9(3) SIGN LEADING", Config{}, "d1f2f3", "-123"},
		{"zoned leading separate", "PIC S9(3) SIGN IS LEADING SEPARATE CHARACTER", Config{}, "60f1f2f3", "-123"},
		{"zoned trailing separate", "PIC S9(3) SIGN TRAILING SEPARATE", Config{}, "f1f2f34e", "123"},
		{"zoned implied decimal", "PIC S9(3)V99", Config{}, "f0f0f1f2d3", "-1.23"},
		{"zoned keeps scale zeros", "PIC 9V99", Config{}, "f0f0f0", "0.00"},
		{"zoned negative zero", "PIC S9(2)", Config{}, "f0d0", "0"},
		{"zoned blank is null", "PIC 9(3)", Config{}, "404040", "null"},
		{"zoned low-values is null", "PIC 9(3)", Config{}, "000000", "null"},
		{"zoned ascii", "PIC S9(3)", Config{Encoding: ASCII}, "31327d", "-120"},
		{"zoned ascii J", "PIC S9(3)", Config{Encoding: ASCII}, "31324a", "-121"},
		{"zoned ascii micro focus", "PIC S9(3)", Config{Encoding: ASCII}, "313273", "-123"},
		{"zoned padded", "PIC 9(3)", Config{PaddedNumbers: true}, "f3f300", "33"},
		// P scaling.
		{"P left", "PIC PPP9(2)", Config{}, "f1f2", "0.00012"},
		{"P left signed", "PIC SVPP9", Config{}, "d5", "-0.005"},
		{"P right", "PIC 9(2)PPP", Config{}, "f1f2", "12000"},
		{"P right zero", "PIC 9(2)PP", Config{}, "f0f0", "0"},
		// Packed decimal: odd and even digit counts, sign nibbles.
		{"packed odd", "PIC S9(5) COMP-3", Config{}, "12345c", "12345"},
		{"packed odd negative", "PIC S9(5) COMP-3", Config{}, "12345d", "-12345"},
		{"packed even pad nibble", "PIC S9(4) COMP-3", Config{}, "01234d", "-1234"},
		{"packed unsigned F", "PIC 9(3) COMP-3", Config{}, "123f", "123"},
		{"packed A B E", "PIC S9(1) PACKED-DECIMAL", Config{}, "1b", "-1"},
		{"packed E positive", "PIC S9(1) COMP-3", Config{}, "7e", "7"},
		{"packed scale", "PIC S9(7)V99 COMP-3", Config{}, "000012345d", "-123.45"},
		{"packed P", "PIC S9(3)PP COMP-3", Config{}, "123c", "12300"},
		{"packed 31 digits", "PIC S9(31) COMP-3", Config{}, "1234567890123456789012345678901d", "-1234567890123456789012345678901"},
		// Binary: big-endian, two's complement when signed.
		{"comp halfword", "PIC S9(4) COMP", Config{}, "fffe", "-2"},
		{"comp unsigned", "PIC 9(4) BINARY", Config{}, "0fff", "4095"},
		{"comp truncated to PIC", "PIC 9(4) COMP", Config{}, "3039", "2345"},
		{"comp full", "PIC 9(4) COMP", Config{Binary: BinaryFull}, "3039", "12345"},
		{"comp-5 not truncated", "PIC 9(4) COMP-5", Config{}, "3039", "12345"},
		{"comp-4 fullword scale", "PIC S9(7)V99 COMP-4", Config{}, "ffffff85", "-1.23"},
		{"comp doubleword min", "PIC S9(18) COMP-5", Config{}, "8000000000000000", "-9223372036854775808"},
		{"comp 20 digits", "PIC 9(20) COMP", Config{Binary: BinaryFull}, "ffffffffffffffffff", "4722366482869645213695"},
		{"comp 20 digits truncated", "PIC 9(20) COMP", Config{}, "ffffffffffffffffff", "22366482869645213695"},
		// IBM hexadecimal floating point.
		{"comp-1 one", "COMP-1", Config{}, "41100000", "1"},
		{"comp-1 -118.625", "COMP-1", Config{}, "c276a000", "-118.625"},
		{"comp-2 one", "COMP-2", Config{}, "4110000000000000", "1"},
		{"comp-2 -118.625", "COMP-2", Config{}, "c276a00000000000", "-118.625"},
		{"comp-2 0.1", "USAGE COMP-2", Config{}, "401999999999999a", "0.1"},
		{"comp-1 zero", "COMP-1", Config{}, "00000000", "0"},
		{"comp-1 ieee", "COMP-1", Config{Float: FloatIEEE}, "3f800000", "1"},
		// Text.
		{"text cp037", "PIC X(5)", Config{}, "c1c2c34040", `"ABC"`},
		{"text trim both", "PIC X(5)", Config{Trim: TrimBoth}, "40c1c24000", `"AB"`},
		{"text no trim", "PIC X(3)", Config{Trim: TrimNone}, "c14040", `"A  "`},
		{"text cp037 cent", "PIC X", Config{}, "4a", `"¢"`},
		{"text cp1047 caret", "PIC X", Config{Encoding: CP1047}, "5f", `"^"`},
		{"text cp1140 euro", "PIC X", Config{Encoding: CP1140}, "9f", `"€"`},
		{"text ascii high byte", "PIC X(2)", Config{Encoding: ASCII}, "41dc", "\"A\ufffd\""},
		{"text escapes", "PIC X(2)", Config{Encoding: ASCII}, "227f", `"\"` + "\x7f" + `"`},
		{"text control", "PIC X(2)", Config{Encoding: ASCII}, "4101", `"A\u0001"`},
		// Numeric-edited.
		{"edited point", "PIC 9(3).9(2)", Config{}, "40f1f24bf5f0", "12.50"},
		{"edited trailing minus", "PIC Z(3)9-", Config{}, "4040f1f260", "-12"},
		{"edited trailing minus blank", "PIC Z(3)9-", Config{}, "4040f1f240", "12"},
		{"edited leading plus", "PIC +9(3)V99", Config{}, "60f0f1f2f3f4", "-12.34"},
		{"edited S overpunch", "PIC S9(3).99", Config{}, "f1f2f34bf0d5", "-123.05"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := mustDecoder(t, fixed("01 R.", "   05 F "+tc.clause+"."), tc.cfg)
			data := unhex(t, tc.data)
			if d.Size() != len(data) {
				t.Fatalf("size %d, data %d bytes", d.Size(), len(data))
			}
			got, err := d.AppendJSON(nil, data)
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"F":` + tc.want + `}`; string(got) != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

// TestInvalid checks that bad values fail with a located error that
// holds no data, and read as null under InvalidNull.
func TestInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		clause string
		data   string
		err    error
	}{
		{"PIC S9(3) COMP-3", "12f3", ErrPacked}, // digit nibble F
		{"PIC S9(3) COMP-3", "1234", ErrPacked}, // sign nibble 4
		{"PIC 9(3)", "f1c1f3", ErrZoned},        // zone C inside
		{"PIC 9(3)", "f1f2c1", nil},             // overpunch on the last byte is a sign
		{"PIC 9(3)", "f140f3", ErrZoned},        // embedded blank
		{"PIC S9(3) SIGN LEADING SEPARATE", "f1f2f3f4", ErrZoned},
		{"PIC 9(3).99", "f14bf24bf3f4", ErrEditedNum},
		{"COMP-1", "7fffffff", nil},
		{"COMP-2", "7ff0000000000000", nil}, // IBM has no infinity
	}
	for _, tc := range tests {
		src := fixed("01 R.", "   05 PAD PIC X(2).", "   05 AMOUNT "+tc.clause+".")
		d := mustDecoder(t, src, Config{})
		data := append([]byte{0x40, 0x40}, unhex(t, tc.data)...)
		_, err := d.AppendJSON(nil, data)
		if tc.err == nil {
			if err != nil {
				t.Errorf("%s % x: %v", tc.clause, data, err)
			}
			continue
		}
		var de *DecodeError
		if !errors.As(err, &de) || !errors.Is(err, tc.err) {
			t.Errorf("%s % x: got %v, want a *DecodeError %v", tc.clause, data, err, tc.err)
			continue
		}
		if de.Offset != 2 || de.Field != "AMOUNT" {
			t.Errorf("%s: located at offset %d field %q, want 2 AMOUNT", tc.clause, de.Offset, de.Field)
		}
		want := "copybook: offset 2 field AMOUNT: " + tc.err.Error()
		if err.Error() != want {
			t.Errorf("error text %q, want %q", err, want)
		}
		dn := mustDecoder(t, src, Config{Invalid: InvalidNull})
		got, err := dn.AppendJSON(nil, data)
		if err != nil || string(got) != `{"PAD":"","AMOUNT":null}` {
			t.Errorf("InvalidNull: %s, %v", got, err)
		}
	}
}

func TestIEEENaN(t *testing.T) {
	t.Parallel()
	d := mustDecoder(t, fixed("01 R.", "   05 F COMP-2."), Config{Float: FloatIEEE})
	if _, err := d.AppendJSON(nil, unhex(t, "7ff8000000000000")); !errors.Is(err, ErrFloat) {
		t.Errorf("NaN: %v, want ErrFloat", err)
	}
}

const odoCopybook = `
       01 RECORD.
          02 COUNT PIC 9(1).
          02 GRP OCCURS 0 TO 2 TIMES DEPENDING ON COUNT.
             03 INNER-COUNT PIC 9(1).
             03 INNER OCCURS 0 TO 3 TIMES
                          DEPENDING ON INNER-COUNT.
                04 FIELD PIC X.
          02 TAIL PIC X(2).
`

func TestNestedODO(t *testing.T) {
	t.Parallel()
	// Variable: the tables take only their elements; TAIL moves.
	d := mustDecoder(t, odoCopybook, Config{Encoding: ASCII, VariableOccurs: true})
	rec := []byte("22AB1CZZ")
	n, err := d.Length(rec)
	if err != nil || n != len(rec) {
		t.Fatalf("Length = %d, %v; want %d", n, err, len(rec))
	}
	got, err := d.AppendJSON(nil, rec)
	want := `{"COUNT":2,"GRP":[{"INNER-COUNT":2,"INNER":[{"FIELD":"A"},{"FIELD":"B"}]},{"INNER-COUNT":1,"INNER":[{"FIELD":"C"}]}],"TAIL":"ZZ"}`
	if err != nil || string(got) != want {
		t.Errorf("variable:\n got %s %v\nwant %s", got, err, want)
	}
	// Fixed: every table at its maximum; TAIL at offset 1+2*(1+3).
	d = mustDecoder(t, odoCopybook, Config{Encoding: ASCII})
	if d.Size() != 11 {
		t.Fatalf("Size = %d, want 11", d.Size())
	}
	got, err = d.AppendJSON(nil, []byte("12AB 0    ZZ"[:11]))
	want = `{"COUNT":1,"GRP":[{"INNER-COUNT":2,"INNER":[{"FIELD":"A"},{"FIELD":"B"}]}],"TAIL":" Z"}`
	if err != nil || string(got) != want {
		t.Errorf("fixed:\n got %s %v\nwant %s", got, err, want)
	}
	// A count beyond the maximum is an error located at the table.
	_, err = d.AppendJSON(nil, []byte("14ABCD     "))
	var de *DecodeError
	if !errors.As(err, &de) || !errors.Is(err, ErrOccurs) || de.Field != "INNER(1)" || de.Offset != 2 {
		t.Errorf("count 4 of 3: %v", err)
	}
}

func TestRedefinesAndSegments(t *testing.T) {
	t.Parallel()
	src := fixed(
		"01 REC.",
		"   05 SEG PIC X.",
		"   05 A.",
		"      10 A1 PIC X(2).",
		"   05 B REDEFINES A.",
		"      10 B1 PIC S9(3) COMP-3.",
		"      10 FILLER PIC X.",
		"   05 C REDEFINES A PIC X(3).",
		"   05 AFTER PIC X.",
	)
	d := mustDecoder(t, src, Config{Encoding: ASCII})
	if d.Size() != 5 {
		t.Fatalf("Size = %d, want 5 (SEG, the longest alternative, AFTER)", d.Size())
	}
	rec := []byte{'B', 0x12, 0x3d, 'x', 'Z'}
	d = mustDecoder(t, src, Config{Encoding: ASCII, SegmentField: "SEG", Segments: map[string]string{"A": "A", "B": "B"}})
	got, err := d.AppendJSON(nil, rec)
	want := `{"SEG":"B","B":{"B1":-123},"C":"\u0012=x","AFTER":"Z"}`
	if err != nil || string(got) != want {
		t.Errorf("segment B:\n got %s %v\nwant %s", got, err, want)
	}
	if id, err := d.Segment(rec); id != "B" || err != nil {
		t.Errorf("Segment = %q, %v", id, err)
	}
	rec[0] = 'Q' // an unknown segment: no mapped alternative
	got, _ = d.AppendJSON(nil, rec)
	if want := `{"SEG":"Q","C":"\u0012=x","AFTER":"Z"}`; string(got) != want {
		t.Errorf("segment Q:\n got %s\nwant %s", got, want)
	}
	cb, _ := Parse([]byte(src))
	if _, err := NewDecoder(cb, Config{SegmentField: "NOPE"}); err == nil {
		t.Error("unknown segment field accepted")
	}
	if _, err := NewDecoder(cb, Config{SegmentField: "SEG", Segments: map[string]string{"X": "AFTER"}}); err == nil {
		t.Error("a segment alternative that is not a REDEFINES accepted")
	}
}

func TestShortRecord(t *testing.T) {
	t.Parallel()
	d := mustDecoder(t, fixed("01 R.", "   05 A PIC X(3).", "   05 B PIC 9(3).", "   05 C PIC X(3)."), Config{Encoding: ASCII})
	got, err := d.AppendJSON(nil, []byte("abc12"))
	var de *DecodeError
	if !errors.As(err, &de) || !errors.Is(err, ErrShort) || de.Field != "B" {
		t.Errorf("record ending inside a number: %s %v", got, err)
	}
	got, err = d.AppendJSON(nil, []byte("abc123de"))
	if want := `{"A":"abc","B":123,"C":"de"}`; err != nil || string(got) != want {
		t.Errorf("got %s %v, want %s", got, err, want)
	}
	got, err = d.AppendJSON(nil, []byte("ab"))
	if want := `{"A":"ab","B":null,"C":null}`; err != nil || string(got) != want {
		t.Errorf("got %s %v, want %s", got, err, want)
	}
}

func TestDecodeValue(t *testing.T) {
	t.Parallel()
	d := mustDecoder(t, odoCopybook, Config{Encoding: ASCII, VariableOccurs: true})
	v, err := d.Decode([]byte("11AZZ"))
	if err != nil {
		t.Fatal(err)
	}
	c, ok := v.Get("COUNT")
	if !ok || c.Kind != KindNumber || c.Number() != "1" {
		t.Errorf("COUNT = %+v", c)
	}
	g, _ := v.Get("GRP")
	if g.Kind != KindArray || len(g.Elems) != 1 {
		t.Fatalf("GRP = %+v", g)
	}
	if f, _ := g.Elems[0].Get("INNER"); len(f.Elems) != 1 || f.Elems[0].Fields[0].Value.Text != "A" {
		t.Errorf("INNER = %+v", f)
	}
}

// A Decoder is shared by goroutines: each call has its own scratch state.
func TestDecoderConcurrent(t *testing.T) {
	t.Parallel()
	d := mustDecoder(t, odoCopybook, Config{Encoding: ASCII, VariableOccurs: true})
	recs := [][]byte{[]byte("0ZZ"), []byte("11AZZ"), []byte("22AB1CZZ"), []byte("13ABCZZ")}
	want := make([]string, len(recs))
	for i, r := range recs {
		b, err := d.AppendJSON(nil, r)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = string(b)
	}
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func() {
			var out []byte
			for i := 0; i < 200; i++ {
				k := (g + i) % len(recs)
				var err error
				if out, err = d.AppendJSON(out[:0], recs[k]); err != nil || string(out) != want[k] {
					done <- errors.New("concurrent decode differs")
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
