package fromcdc

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/tributary-health/tributary/adapters/cdc"
	"github.com/tributary-health/tributary/adapters/cdc/copybook"
	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
)

// ebcdic encodes text in IBM-037, padded with spaces to n bytes.
func ebcdic(t testing.TB, s string, n int) []byte {
	t.Helper()
	s += strings.Repeat(" ", n-len(s))
	b, err := charmap.CodePage037.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// packed encodes an unsigned decimal digit string as COMP-3 of n bytes
// with a positive sign (C).
func packed(digits string, n int) []byte {
	digits = strings.Repeat("0", 2*n-1-len(digits)) + digits + "C"
	out := make([]byte, n)
	for i := range out {
		hex := func(c byte) byte {
			if c == 'C' {
				return 0xC
			}
			return c - '0'
		}
		out[i] = hex(digits[2*i])<<4 | hex(digits[2*i+1])
	}
	return out
}

// claimRecord is one CLAIM-HEADER record (testdata/CLAIM-HEADER.cpy).
func claimRecord(t testing.TB, clm, paid string) []byte {
	var b bytes.Buffer
	b.Write(ebcdic(t, clm, 13))
	b.Write(ebcdic(t, "M000012345", 10))
	b.Write(ebcdic(t, "G0042", 8))
	b.Write(ebcdic(t, "SUBMTR01", 10))
	b.Write(ebcdic(t, "PCN7781", 20))
	b.Write(ebcdic(t, "1999999976", 10))
	b.Write(ebcdic(t, "O", 1))
	b.Write(ebcdic(t, "P", 1))
	b.Write(packed("1250110", 4)) // SVC-FROM-DT 2025-01-10, CYYMMDD
	b.Write(packed("1250112", 4)) // SVC-TO-DT
	b.Write(ebcdic(t, "20250115", 8))
	b.Write(ebcdic(t, "20250117", 8))
	b.Write(ebcdic(t, "P", 1))
	b.Write(packed("1500000", 5)) // 15000.00
	b.Write(packed("1300000", 5)) // 13000.00
	b.Write(packed(paid, 5))
	b.Write(ebcdic(t, "", 10))
	return b.Bytes()
}

// A copybook-defined EBCDIC unload goes through adapters/cdc's
// FileReader and this mapper, and lands on the same ids as the
// Debezium-sourced rows of the same table; COMP-3 money stays exact.
func TestCopybookEndToEnd(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(filepath.Join("testdata", "CLAIM-HEADER.cpy"))
	if err != nil {
		t.Fatal(err)
	}
	cb, err := copybook.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := copybook.NewDecoder(cb, copybook.Config{Encoding: copybook.CP037})
	if err != nil {
		t.Fatal(err)
	}
	data := append(claimRecord(t, "2025011500017", "1234567"), claimRecord(t, "2025011500018", "0")...)
	if len(data) != 2*dec.Size() {
		t.Fatalf("record is %d bytes, copybook says %d", len(data)/2, dec.Size())
	}
	path := filepath.Join(t.TempDir(), "CLAIM.HDR.D20250117")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := cdc.NewFileReader(cdc.FileConfig{
		Paths: []string{path}, Decoder: dec, Table: "CLAIM_HEADER", Key: []string{"CLM-NO"}, Encoding: "cp037",
	})
	if err != nil {
		t.Fatal(err)
	}
	var envs []event.Envelope
	if err := r.Run(t.Context(), func(_ context.Context, e event.Envelope) error {
		envs = append(envs, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(envs) != 2 {
		t.Fatalf("%d envelopes", len(envs))
	}
	m := newMapper(t, fhir.Systems{})
	ev, err := cdc.Parse(nil, envs[0].Payload)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Convert(ev)
	if err != nil {
		t.Fatal(err)
	}
	if res.Op != cdc.OpRead || !res.Snapshot || res.Position.IsZero() || len(res.Entries) != 1 {
		t.Fatalf("result %+v", res)
	}
	b, err := fhir.Marshal(res.Entries[0].Resource)
	if err != nil {
		t.Fatal(err)
	}
	if err := fhir.Validate(b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"payment":{"amount":{"currency":"USD","value":12345.67}`,
		`"value":15000.00`,
		`"billablePeriod":{"end":"2025-01-12","start":"2025-01-10"}`,
		`"created":"2025-01-15"`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("missing %s in %s", want, b)
		}
	}
	// The same claim from the Debezium feed: the same resource.
	dbz, err := m.Convert(readEvent(t, "claim-header-create"))
	if err != nil {
		t.Fatal(err)
	}
	if dbz.Entries[0].ID != res.Entries[0].ID || dbz.Entries[0].Patient != res.Entries[0].Patient {
		t.Errorf("copybook and Debezium rows of one claim differ: %s/%s vs %s/%s", res.Entries[0].ID, res.Entries[0].Patient, dbz.Entries[0].ID, dbz.Entries[0].Patient)
	}
	// A zero paid amount is a real amount, not a missing one.
	ev2, err := cdc.Parse(nil, envs[1].Payload)
	if err != nil {
		t.Fatal(err)
	}
	res2, err := m.Convert(ev2)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := fhir.Marshal(res2.Entries[0].Resource)
	if !bytes.Contains(b2, []byte(`"payment":{"amount":{"currency":"USD","value":0.00}`)) {
		t.Errorf("zero payment lost: %s", b2)
	}
}
