package main

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The Cobrix multi-segment RDW file decodes to one JSON line per record,
// with the segment map selecting each record's REDEFINES alternative.
func TestCopybookDecode(t *testing.T) {
	t.Parallel()
	const dir = "../../../shared/corpus/copybook/AbsaOSS-cobrix/"
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus not found at %s", dir)
	}
	code, stdout, stderr := runMain(t, map[string]string{"TRIBUTARY_RDW": "little-endian"},
		"copybook", "decode", "--copybook", dir+"test17_hierarchical_rdw.cob",
		"--record-format", "V", "--padded-numbers", "--segment-field", "SEGMENT-ID",
		"--segments", "1=COMPANY,2=DEPT,3=EMPLOYEE,4=OFFICE,5=CUSTOMER,6=CONTACT,7=CONTRACT",
		dir+"test17_hierarchical_rdw.ebcdic.dat")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	n := 0
	for sc.Scan() {
		d := json.NewDecoder(strings.NewReader(sc.Text()))
		d.UseNumber()
		var rec map[string]any
		if err := d.Decode(&rec); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		if n == 0 {
			want := `{"SEGMENT-ID":1,"COMPANY":{"COMPANY-NAME":"Joan Q & Z","ADDRESS":"10 Sandton, Johannesburg","TAXPAYER":777676251}}`
			if sc.Text() != want {
				t.Errorf("first record\n got %s\nwant %s", sc.Text(), want)
			}
		}
		if len(rec) != 2 {
			t.Errorf("line %d has %d members, want the segment id and one segment: %s", n+1, len(rec), sc.Text())
		}
		n++
	}
	if n < 300 {
		t.Errorf("%d records, want at least 300", n)
	}
}

func TestCopybookDecodeErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cb := dir + "/r.cob"
	data := dir + "/r.dat"
	os.WriteFile(cb, []byte("       01 R.\n          05 AMOUNT PIC S9(3) COMP-3.\n"), 0o644)
	os.WriteFile(data, []byte{0x12, 0x3c, 0x12, 0x34, 0x99, 0x9d}, 0o644)
	code, stdout, stderr := runMain(t, nil, "copybook", "decode", "--copybook", cb, data)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if stdout != "{\"AMOUNT\":123}\n{\"AMOUNT\":-999}\n" {
		t.Errorf("stdout %q", stdout)
	}
	if want := data + ": copybook: record 2 offset 0 field AMOUNT: invalid packed decimal\n"; !strings.HasPrefix(stderr, want) {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	if code, _, _ := runMain(t, nil, "copybook", "decode", data); code != 2 {
		t.Errorf("without --copybook: exit %d, want 2", code)
	}
	if code, _, _ := runMain(t, nil, "copybook", "decode", "--copybook", cb, "--encoding", "cp500", data); code != 2 {
		t.Errorf("bad encoding: exit %d, want 2", code)
	}
}
