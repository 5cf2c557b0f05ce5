package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributary-health/tributary/claims/x12/x12test"
	"github.com/tributary-health/tributary/fhir"
)

// A generated 837P of 2,000 claims (two transaction sets) becomes one
// Bundle that google/fhir/go validates, with a Claim per claim and each
// Patient once per transaction set; --out writes the same Bundle.
func TestConvertX12(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "claims.x12")
	var buf bytes.Buffer
	if _, err := x12test.Write837P(&buf, x12test.Options{Claims: 2000, Newlines: true}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runMain(t, nil, "convert", "--format", "x12", in)
	if code != 0 || stderr != "" {
		t.Fatalf("convert exited %d: %s", code, stderr)
	}
	if err := fhir.Validate([]byte(stdout)); err != nil {
		t.Fatalf("bundle: %v", err)
	}
	var bundle struct {
		ResourceType string
		Entry        []struct{ Resource json.RawMessage }
	}
	if err := json.Unmarshal([]byte(stdout), &bundle); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	ids := map[string]int{}
	for _, e := range bundle.Entry {
		var r struct{ ResourceType, ID string }
		if err := json.Unmarshal(e.Resource, &r); err != nil {
			t.Fatal(err)
		}
		counts[r.ResourceType]++
		ids[r.ResourceType+"/"+r.ID]++
	}
	if counts["Claim"] != 2000 {
		t.Errorf("%d Claims, want 2000 (%v)", counts["Claim"], counts)
	}
	for _, typ := range []string{"Patient", "Coverage", "Organization"} {
		if counts[typ] == 0 {
			t.Errorf("no %s (%v)", typ, counts)
		}
	}
	for k, n := range ids {
		if n > 2 { // at most once per transaction set
			t.Errorf("%s written %d times", k, n)
		}
	}

	out := filepath.Join(dir, "out")
	if code, _, stderr := runMain(t, nil, "convert", "--format", "x12", "--out", out, in); code != 0 {
		t.Fatalf("convert --out exited %d: %s", code, stderr)
	}
	written, err := os.ReadFile(filepath.Join(out, "claims.fhir.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(written, []byte(stdout)) {
		t.Error("--out wrote another Bundle than stdout")
	}
}

// Input errors are reported as FILE: LOCATION: message without values,
// the exit status is 1, and what is sound still converts.
func TestConvertX12Errors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, err := os.ReadFile("../../fhir/fromx12/testdata/837P.x12")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, data string
		want       []string
		claims     int
	}{
		{name: "element", data: strings.Replace(string(good), "DTP*472*D8*20061003", "DTP*472*D8*20061303", 1),
			want: []string{": transaction set 1 (ST02 0021) 2400/DTP03: invalid date (IK403 8; segment "}},
		{name: "trailer", data: strings.Replace(string(good), "IEA*1*000000907", "IEA*1*000000908", 1),
			want: []string{": interchange 1 (ISA13 000000907) IEA02: control numbers in header and trailer differ (TA105 001; "}, claims: 1},
		{name: "mapping", data: strings.Replace(string(good), "CLM*26463774*100.00", "CLM*26463774*100.001", 1),
			want: []string{": transaction set 1 (ST02 0021) 2300/CLM02: monetary amount has more than 2 decimal places (segment "}},
		{name: "not X12", data: "MSH|^~\\&|A\r",
			want: []string{": ISA: input does not start with an ISA segment (offset 0)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".x12")
			if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runMain(t, nil, "convert", "--format", "x12", path)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, path+w) {
					t.Errorf("stderr %q lacks %q", stderr, path+w)
				}
			}
			for _, v := range []string{"20061303", "100.001", "000000908"} {
				if strings.Contains(stderr, v) {
					t.Errorf("stderr holds a value: %q", stderr)
				}
			}
			if err := fhir.Validate([]byte(stdout)); err != nil {
				t.Errorf("bundle: %v", err)
			}
			if n := strings.Count(stdout, `"resourceType":"Claim"`); n != tc.claims {
				t.Errorf("%d Claims in the Bundle, want %d", n, tc.claims)
			}
		})
	}
}
