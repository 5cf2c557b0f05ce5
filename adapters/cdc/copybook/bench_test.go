package copybook

import (
	"testing"
)

// claimCopybook is a 200-byte claim line record, typical of a payer
// mainframe: text, zoned dates, packed amounts, binary counters.
const claimCopybook = `
       01  CLAIM-LINE.
           05  CLM-ID                 PIC X(15).
           05  MEMBER-ID              PIC X(12).
           05  MEMBER-NAME.
               10  LAST-NAME          PIC X(20).
               10  FIRST-NAME         PIC X(15).
           05  BIRTH-DATE             PIC 9(8).
           05  SERVICE-DATE           PIC 9(8).
           05  PROVIDER-NPI           PIC 9(10).
           05  LINE-NO                PIC S9(4)   COMP.
           05  UNITS                  PIC S9(5)V99 COMP-3.
           05  BILLED-AMT             PIC S9(9)V99 COMP-3.
           05  ALLOWED-AMT            PIC S9(9)V99 COMP-3.
           05  PAID-AMT               PIC S9(9)V99 COMP-3.
           05  COPAY-AMT              PIC S9(7)V99 COMP-3.
           05  DIAG-CODES             PIC X(7) OCCURS 4 TIMES.
           05  PROC-CODE              PIC X(5).
           05  MODIFIERS              PIC X(2) OCCURS 4 TIMES.
           05  STATUS-CODE            PIC X.
           05  ADJ-COUNT              PIC S9(8)   COMP.
           05  PLAN-CODE              PIC X(6).
           05  FILLER                 PIC X(31).
`

func claimRecord(t testing.TB, d *Decoder) []byte {
	rec := make([]byte, d.Size())
	for i := range rec {
		rec[i] = 0x40
	}
	put := func(off int, b ...byte) { copy(rec[off:], b) }
	ebc := func(off int, s string) {
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c >= '0' && c <= '9':
				rec[off+i] = 0xF0 + c - '0'
			case c >= 'A' && c <= 'I':
				rec[off+i] = 0xC1 + c - 'A'
			case c >= 'J' && c <= 'R':
				rec[off+i] = 0xD1 + c - 'J'
			case c >= 'S' && c <= 'Z':
				rec[off+i] = 0xE2 + c - 'S'
			}
		}
	}
	ebc(0, "CLM000000012345")
	ebc(15, "M00012345678")
	ebc(27, "DOE")
	ebc(47, "JANE")
	ebc(62, "19800101")
	ebc(70, "20261125")
	ebc(78, "1234567890")
	put(88, 0x00, 0x01)
	put(90, 0x00, 0x00, 0x10, 0x0C)
	put(94, 0x00, 0x00, 0x01, 0x23, 0x45, 0x0C)
	put(100, 0x00, 0x00, 0x00, 0x98, 0x76, 0x5C)
	put(106, 0x00, 0x00, 0x00, 0x88, 0x76, 0x5C)
	put(112, 0x00, 0x00, 0x02, 0x50, 0x0D)
	ebc(117, "E119")
	ebc(145, "99213")
	ebc(150, "25")
	ebc(158, "A")
	put(159, 0x00, 0x00, 0x00, 0x02)
	ebc(163, "PPO001")
	if len(rec) != 200 {
		t.Fatalf("record is %d bytes, want 200", len(rec))
	}
	return rec
}

// BenchmarkDecode decodes a 200-byte record with COMP-3 fields to JSON.
func BenchmarkDecode(b *testing.B) {
	cb, err := Parse([]byte(claimCopybook))
	if err != nil {
		b.Fatal(err)
	}
	d, err := NewDecoder(cb, Config{})
	if err != nil {
		b.Fatal(err)
	}
	rec := claimRecord(b, d)
	out, err := d.AppendJSON(nil, rec)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out, err = d.AppendJSON(out[:0], rec)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkDecodeValue is BenchmarkDecode building a Value tree.
func BenchmarkDecodeValue(b *testing.B) {
	cb, _ := Parse([]byte(claimCopybook))
	d, _ := NewDecoder(cb, Config{})
	rec := claimRecord(b, d)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Decode(rec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func TestClaimRecord(t *testing.T) {
	t.Parallel()
	cb, _ := Parse([]byte(claimCopybook))
	d, _ := NewDecoder(cb, Config{})
	out, err := d.AppendJSON(nil, claimRecord(t, d))
	want := `{"CLM-ID":"CLM000000012345","MEMBER-ID":"M00012345678","MEMBER-NAME":{"LAST-NAME":"DOE","FIRST-NAME":"JANE"},` +
		`"BIRTH-DATE":19800101,"SERVICE-DATE":20261125,"PROVIDER-NPI":1234567890,"LINE-NO":1,"UNITS":1.00,` +
		`"BILLED-AMT":1234.50,"ALLOWED-AMT":987.65,"PAID-AMT":887.65,"COPAY-AMT":-25.00,` +
		`"DIAG-CODES":["E119","","",""],"PROC-CODE":"99213","MODIFIERS":["25","","",""],"STATUS-CODE":"A","ADJ-COUNT":2,"PLAN-CODE":"PPO001"}`
	if err != nil || string(out) != want {
		t.Errorf("got  %s %v\nwant %s", out, err, want)
	}
}
