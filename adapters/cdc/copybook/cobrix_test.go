package copybook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// cobrixDir holds Cobrix's test copybooks, data and expected records
// (see /work/shared/corpus/SOURCES.md); the tests skip when it is absent.
const cobrixDir = "../../../../shared/corpus/copybook/AbsaOSS-cobrix"

// A cobrixCase is one Cobrix integration test: its files and the reader
// options its Scala spec (spark-cobol/src/test/scala/.../integration/
// Test<N>*Spec.scala) passes, translated into ours.
type cobrixCase struct {
	name   string // file prefix in cobrixDir
	data   string // data file suffix
	spec   string // the Cobrix spec and its options, for the record
	cfg    Config
	reader ReaderConfig
	// take is the limit of the spec's df.take(n): Cobrix's expected
	// file holds the first take records (or all, when fewer).
	take int
	// keepRoot: schema_retention_policy keep_original wraps the record
	// in its level-01 name; collapse_root (the others) does not.
	keepRoot bool
	// generated lists the columns Cobrix adds: generate_record_id adds
	// File_Id, Record_Id and Record_Byte_Length (test19 drops the
	// last); segment_id_level0/1 add Seg_Id0 and Seg_Id1.
	generated []string
	segLevels [2]string // segment ids of levels 0 and 1, for Seg_Id*
	sortByID  bool      // the spec orders by ID
	fillZero  bool      // the spec calls na.fill(0): null numbers read 0
	// diffs are known differences: "record/FIELD_PATH" -> why.
	diffs map[string]string
}

var cobrixCases = []cobrixCase{
	{
		name: "test1_odo_comp3_redefines", data: ".ebcdic.bin",
		spec: "Test1FixedLengthRecordsSpec: schema_retention_policy=collapse_root",
		take: 60,
	},
	{
		name: "test4_multisegment_vrl", data: ".ebcdic.dat",
		spec: "Test4MultisegmentSpec: encoding=ascii, is_record_sequence=true, segment_field=SEGMENT_ID, " +
			"segment_id_level0=C, segment_id_level1=P, segment_id_prefix=A, generate_record_id=true, collapse_root",
		cfg:       Config{Encoding: ASCII, SegmentField: "SEGMENT-ID"},
		reader:    ReaderConfig{Format: Variable, RDW: RDWLittleEndian},
		take:      60,
		generated: []string{"File_Id", "Record_Id", "Record_Byte_Length", "Seg_Id"},
		segLevels: [2]string{"C", "P"},
	},
	{
		name: "test6_numeric_type_variety", data: ".ebcdic.dat",
		spec: "Test6TypeVarietySpec: collapse_root; orderBy(ID), na.fill(0), take(100); " +
			"COMP-1/COMP-2 in the data are IEEE 754 (Cobrix of the time read floats as IEEE; floating_point_format=IEEE754 now)",
		cfg:      Config{Float: FloatIEEE},
		take:     100,
		sortByID: true,
		fillZero: true,
	},
	{
		name: "test16_fixed_len_segment_redefines", data: ".ebcdic.dat",
		spec: "Test16FixedLenSegmentRedefinesSpec: collapse_root, segment_field=SEGMENT_ID, " +
			"redefine_segment_id_map COMPANY=>C, PERSON=>P, PO-BOX=>B; take(50), pretty-printed",
		cfg:  Config{SegmentField: "SEGMENT_ID", Segments: map[string]string{"C": "COMPANY", "P": "PERSON", "B": "PO-BOX"}},
		take: 50,
	},
	{
		name: "test17_hierarchical_rdw", data: ".ebcdic.dat",
		spec: "Test17HierarchicalSpec (test17a): record_format=V, generate_record_id=true, collapse_root, " +
			"segment_field=SEGMENT_ID, redefine_segment_id_map COMPANY=>1 DEPT=>2 EMPLOYEE=>3 OFFICE=>4 CUSTOMER=>5 CONTACT=>6 CONTRACT=>7",
		// The data's DISPLAY numbers are NUL-padded ("33\x00" in PIC 9(3)).
		cfg: Config{PaddedNumbers: true, SegmentField: "SEGMENT_ID", Segments: map[string]string{
			"1": "COMPANY", "2": "DEPT", "3": "EMPLOYEE", "4": "OFFICE", "5": "CUSTOMER", "6": "CONTACT", "7": "CONTRACT"}},
		reader:    ReaderConfig{Format: Variable, RDW: RDWLittleEndian},
		take:      300,
		generated: []string{"File_Id", "Record_Id", "Record_Byte_Length"},
	},
	{
		name: "test19_display_numerics", data: ".dat",
		spec:      "Test19DisplayNumParsingSpec: pedantic, generate_record_id=true, collapse_root, improved_null_detection=false, drop(Record_Byte_Length)",
		take:      300,
		generated: []string{"File_Id", "Record_Id"},
		diffs: map[string]string{
			"5/WS_AMOUNT_FRACTION": "all spaces in PIC 9(8)V9(2): Cobrix reads 0.00 (its addDecimalPoint turns the empty digit " +
				"string into zero) while it reads the same blanks in PIC 9(10) as null; we read both as null",
		},
	},
	{
		name: "test21_nested_odo", data: ".dat",
		spec:     "Test21VariableOccurs: encoding=ascii, variable_size_occurs=true, record_format F (records split by their ODO counts), keep_original",
		cfg:      Config{Encoding: ASCII, VariableOccurs: true},
		take:     60,
		keepRoot: true,
	},
}

// cobrixConfig completes a case's Config with what every Cobrix test
// shares: Cobrix trims text on both sides, reads BINARY beyond its
// PICTURE (it has no TRUNC(STD) truncation) and makes invalid values
// null, and it skips blanks around DISPLAY digits.
func cobrixConfig(c Config) Config {
	c.Trim = TrimBoth
	c.Binary = BinaryFull
	c.Invalid = InvalidNull
	c.PaddedNumbers = true
	return c
}

func TestCobrix(t *testing.T) {
	if _, err := os.Stat(cobrixDir); err != nil {
		t.Skipf("Cobrix corpus not found: %v", err)
	}
	for _, tc := range cobrixCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, lengths := decodeCobrixFile(t, tc, cobrixConfig(tc.cfg))
			want := readExpected(t, filepath.Join(cobrixDir, tc.name+".expected.json.txt"))
			if len(want) == 0 {
				t.Fatal("no expected records")
			}
			if len(got) < len(want) || len(want) < tc.take && len(got) != len(want) {
				t.Fatalf("decoded %d records, Cobrix %d (take %d)", len(got), len(want), tc.take)
			}
			ours := cobrixShape(t, tc, got, lengths)
			if tc.sortByID {
				sort.SliceStable(ours, func(i, j int) bool {
					return numLess(ours[i].(map[string]any)["ID"], ours[j].(map[string]any)["ID"])
				})
			}
			seen := map[string]bool{}
			for i := range want {
				var diffs []string
				compareJSON(&diffs, strconv.Itoa(i), ours[i], want[i], tc.fillZero)
				for _, d := range diffs {
					if _, ok := tc.diffs[d]; ok {
						seen[d] = true
						continue
					}
					t.Errorf("record %d: %s differs\n got: %s\nwant: %s", i, d, mustJSON(ours[i]), mustJSON(want[i]))
				}
			}
			for d := range tc.diffs {
				if !seen[d] {
					t.Errorf("known difference %s did not occur: remove it", d)
				}
			}
		})
	}
}

// TestCobrixStrict decodes the Cobrix data with the default, strict
// configuration (except for the framing and segment options the data
// needs): every record must decode without error but the few that hold
// deliberately invalid values.
func TestCobrixStrict(t *testing.T) {
	if _, err := os.Stat(cobrixDir); err != nil {
		t.Skipf("Cobrix corpus not found: %v", err)
	}
	wantFail := map[string]int{
		"test19_display_numerics": 1, // record 7 has letters in PIC 9 items, on purpose
	}
	for _, tc := range cobrixCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := tc.cfg
			cfg.Binary = BinaryFull
			d := newDecoder(t, tc.name, cfg)
			recs := readRecords(t, tc, d)
			fails := 0
			for i, r := range recs {
				if _, err := d.AppendJSON(nil, r); err != nil {
					fails++
					var de *DecodeError
					if !errors.As(err, &de) || de.Field == "" {
						t.Errorf("record %d: error %v is not a located *DecodeError", i+1, err)
					}
				}
			}
			if fails != wantFail[tc.name] {
				t.Errorf("%d of %d records fail in strict mode, want %d", fails, len(recs), wantFail[tc.name])
			}
		})
	}
}

func newDecoder(t *testing.T, name string, cfg Config) *Decoder {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(cobrixDir, name+".cob"))
	if err != nil {
		t.Fatal(err)
	}
	cb, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDecoder(cb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func readRecords(t *testing.T, tc cobrixCase, d *Decoder) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(cobrixDir, tc.name+tc.data))
	if err != nil {
		t.Fatal(err)
	}
	rc := tc.reader
	if rc.Format == Fixed {
		rc.Length = d.Size()
		if tc.cfg.VariableOccurs {
			rc.LengthOf = d.Length
		}
	}
	r, err := NewReader(bytes.NewReader(data), rc)
	if err != nil {
		t.Fatal(err)
	}
	var recs [][]byte
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d records: %v", len(recs), err)
		}
		recs = append(recs, bytes.Clone(rec))
	}
	return recs
}

func decodeCobrixFile(t *testing.T, tc cobrixCase, cfg Config) ([]Value, []int) {
	t.Helper()
	d := newDecoder(t, tc.name, cfg)
	var vals []Value
	var lengths []int
	for i, rec := range readRecords(t, tc, d) {
		v, err := d.Decode(rec)
		if err != nil {
			t.Fatalf("record %d: %v", i+1, err)
		}
		// AppendJSON and Decode must agree.
		j, err := d.AppendJSON(nil, rec)
		if err != nil {
			t.Fatalf("record %d: AppendJSON: %v", i+1, err)
		}
		if m, _ := v.MarshalJSON(); !bytes.Equal(m, j) {
			t.Fatalf("record %d: Decode and AppendJSON differ:\n%s\n%s", i+1, m, j)
		}
		vals = append(vals, v)
		lengths = append(lengths, len(rec))
	}
	return vals, lengths
}

// cobrixShape turns our values into Cobrix's shape: '-' in names becomes
// '_' (Spark column names), the generated columns are added, and the
// root is kept for keep_original.
func cobrixShape(t *testing.T, tc cobrixCase, vals []Value, lengths []int) []any {
	var out []any
	root := -1
	for i, v := range vals {
		m := toAny(v).(map[string]any)
		if tc.keepRoot {
			m = map[string]any{"RECORD": m}
		}
		for _, g := range tc.generated {
			switch g {
			case "File_Id":
				m[g] = json.Number("0")
			case "Record_Id":
				m[g] = json.Number(strconv.Itoa(i))
			case "Record_Byte_Length":
				m[g] = json.Number(strconv.Itoa(lengths[i]))
			case "Seg_Id":
				// Seg_Id0 is "<prefix>_<file>_<record of the root>";
				// Seg_Id1 adds "_L1_<records since the root>".
				seg, _ := m["SEGMENT_ID"].(string)
				switch seg {
				case tc.segLevels[0]:
					root = i
					m["Seg_Id0"] = fmt.Sprintf("A_0_%d", i)
				case tc.segLevels[1]:
					if root >= 0 {
						m["Seg_Id0"] = fmt.Sprintf("A_0_%d", root)
						m["Seg_Id1"] = fmt.Sprintf("A_0_%d_L1_%d", root, i-root)
					}
				}
			}
		}
		out = append(out, m)
	}
	return out
}

// toAny converts a Value to what encoding/json with UseNumber gives,
// with float values as float64 so that they compare as floats.
func toAny(v Value) any {
	switch v.Kind {
	case KindString:
		return v.Text
	case KindNumber:
		return json.Number(v.Text)
	case KindFloat:
		f, _ := strconv.ParseFloat(v.Text, 64)
		return f
	case KindGroup:
		m := map[string]any{}
		for _, f := range v.Fields {
			m[strings.ReplaceAll(f.Name, "-", "_")] = toAny(f.Value)
		}
		return m
	case KindArray:
		a := []any{}
		for _, e := range v.Elems {
			a = append(a, toAny(e))
		}
		return a
	}
	return nil
}

func readExpected(t *testing.T, path string) []any {
	t.Helper()
	f, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(f))
	dec.UseNumber()
	var out []any
	for {
		var v any
		if err := dec.Decode(&v); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	return out
}

// normText is how strings compare: Cobrix drops control characters (its
// ASCII decoder) or maps them to spaces (its EBCDIC table), then trims.
func normText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// present drops what Spark's JSON omits or we render differently without
// a difference in value: nulls, and text that is empty once normalized
// (Cobrix makes all-low-values text null, we make it "").
func present(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			continue
		case string:
			if normText(x) == "" {
				continue
			}
		}
		out[k] = v
	}
	return out
}

// compareJSON appends the paths, "record/A_B/C", where got and want
// differ. Numbers compare by exact value (Cobrix writes BigDecimal
// scale, we write the PICTURE's: only form), floats by float32 or
// float64 value.
func compareJSON(diffs *[]string, path string, got, want any, fillZero bool) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*diffs = append(*diffs, path)
			return
		}
		gp, wp := present(g), present(w)
		for k, wv := range wp {
			gv, ok := gp[k]
			if !ok {
				if n, isNum := wv.(json.Number); fillZero && isNum && n == "0" {
					if _, wasNull := g[k]; wasNull {
						continue // na.fill(0) of a null number
					}
				}
				*diffs = append(*diffs, path+"/"+k)
				continue
			}
			compareJSON(diffs, path+"/"+k, gv, wv, fillZero)
		}
		for k := range gp {
			if _, ok := wp[k]; !ok {
				*diffs = append(*diffs, path+"/"+k)
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*diffs = append(*diffs, path)
			return
		}
		for i := range w {
			compareJSON(diffs, path+"/"+strconv.Itoa(i), g[i], w[i], fillZero)
		}
	case string:
		if g, ok := got.(string); !ok || normText(g) != normText(w) {
			*diffs = append(*diffs, path)
		}
	case json.Number:
		switch g := got.(type) {
		case json.Number:
			if !sameDecimal(string(g), string(w)) {
				*diffs = append(*diffs, path)
			}
		case float64:
			wf, err := strconv.ParseFloat(string(w), 64)
			if err != nil || g != wf && float32(g) != float32(wf) {
				*diffs = append(*diffs, path)
			}
		default:
			*diffs = append(*diffs, path)
		}
	default:
		if fmt.Sprint(got) != fmt.Sprint(want) {
			*diffs = append(*diffs, path)
		}
	}
}

func sameDecimal(a, b string) bool {
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	return ok1 && ok2 && x.Cmp(y) == 0
}

func numLess(a, b any) bool {
	x, _ := new(big.Rat).SetString(fmt.Sprint(a))
	y, _ := new(big.Rat).SetString(fmt.Sprint(b))
	if x == nil || y == nil {
		return false
	}
	return x.Cmp(y) < 0
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
