package copybook

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics, returns a copybook exactly
// when it returns no error, locates its errors inside the source, and
// that a parsed copybook always compiles into a decoder.
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(cobrixDir, "*.cob"))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		odoCopybook,
		fixed("01 R.", "   05 A PIC S9(3)V99 COMP-3.", "   05 B REDEFINES A PIC X(3).", "   05 C COMP-1.", "       88 X VALUE 1 THRU 2."),
		"01 R.\n 05 A PIC X(4) VALUE 'AB\n-    'CD'.\n",
		fixed("01 R.", "   05 N PIC 9.", "   05 T OCCURS 1 TO 9 DEPENDING ON N OF R.", "      10 F PIC Z(3)9.99-.", "66 Q RENAMES N THRU T."),
		"*> free\n01 R. 05 A PIC X.",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		cb, err := Parse(src)
		if (cb == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want exactly one", cb, err)
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Line < 1 || pe.Line > len(splitLines(src))+1 || pe.Col < 1 {
				t.Fatalf("error %v outside the source", err)
			}
			return
		}
		for _, r := range cb.Records {
			if _, err := NewDecoder(cb, Config{Record: r.Name}); err != nil && cb.Record(r.Name) == r {
				t.Fatalf("NewDecoder(%s): %v", r.Name, err)
			}
		}
	})
}

// fuzzCopybooks are decoded against random records by FuzzDecode.
var fuzzCopybooks = []struct {
	src string
	cfg Config
}{
	{odoCopybook, Config{Encoding: ASCII, VariableOccurs: true}},
	{odoCopybook, Config{}},
	{fixed("01 R.",
		"   05 SEG PIC X.",
		"   05 A.",
		"      10 Z PIC S9(5) SIGN LEADING SEPARATE.",
		"      10 P PIC S9(6)V99 COMP-3.",
		"      10 B PIC S9(4) COMP.",
		"      10 B5 PIC 9(20) COMP-5.",
		"   05 B REDEFINES A.",
		"      10 F1 COMP-1.",
		"      10 F2 COMP-2.",
		"      10 E PIC Z(3)9.99-.",
		"      10 X PIC X(3).",
		"   05 TAIL PIC PPP9(2).",
	), Config{SegmentField: "SEG", Segments: map[string]string{"A": "A", "B": "B"}}},
}

// FuzzDecode checks that decoding random records never panics, gives
// valid JSON exactly when it gives no error, locates errors within the
// record, and that Decode agrees with AppendJSON.
func FuzzDecode(f *testing.F) {
	f.Add(uint8(0), []byte("22AB1CZZ"))
	f.Add(uint8(1), []byte("\xf1\xf2\xc1\xc2\xf0"))
	f.Add(uint8(2), []byte("A\x4e\xf1\xf2\xf3\xf4\xf5\x00\x12\x34\x56\x7c\x80\x01"))
	f.Add(uint8(2), []byte("B\x41\x10\x00\x00\xc2\x76\xa0\x00\x00\x00\x00\x00"))
	var decs []*Decoder
	for _, c := range fuzzCopybooks {
		cb, err := Parse([]byte(c.src))
		if err != nil {
			f.Fatal(err)
		}
		for _, inv := range []InvalidPolicy{InvalidError, InvalidNull} {
			cfg := c.cfg
			cfg.Invalid = inv
			d, err := NewDecoder(cb, cfg)
			if err != nil {
				f.Fatal(err)
			}
			decs = append(decs, d)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, rec []byte) {
		d := decs[int(which)%len(decs)]
		out, err := d.AppendJSON(nil, rec)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Offset < 0 || de.Offset > int64(d.Size()) || de.Field == "" {
				t.Fatalf("error %v is not located in the record", err)
			}
			if d.cfg.Invalid == InvalidNull {
				t.Fatalf("InvalidNull decoder failed: %v", err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON %s", out)
		}
		v, err := d.Decode(rec)
		if err != nil {
			t.Fatalf("Decode: %v, AppendJSON did not fail", err)
		}
		if m, _ := v.MarshalJSON(); string(m) != string(out) {
			t.Fatalf("Decode %s, AppendJSON %s", m, out)
		}
		if _, err := d.Length(rec); err != nil && d.cfg.Invalid == InvalidNull {
			t.Fatalf("Length: %v", err)
		}
	})
}
