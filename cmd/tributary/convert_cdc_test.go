package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributary-health/tributary/fhir"
)

func cdcTestEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../fhir/fromcdc/testdata/events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type cdcBundle struct {
	ResourceType, Type string
	Entry              []struct {
		FullURL  string
		Resource map[string]any
		Request  struct{ Method, URL string }
	}
}

func decodeBundles(t *testing.T, out string) []cdcBundle {
	t.Helper()
	var bs []cdcBundle
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		if err := fhir.Validate(raw); err != nil {
			t.Errorf("bundle %d: %v", len(bs), err)
		}
		var b cdcBundle
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatal(err)
		}
		bs = append(bs, b)
	}
	return bs
}

// tributary convert --format cdc: files of Debezium events (concatenated
// pretty-printed values, NDJSON, a JSON array) become transaction Bundles
// of their net effect: PUTs and DELETEs, claim lines merged into their
// claim, stale and duplicate events skipped.
func TestConvertCDC(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, parts ...[]byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, bytes.Join(parts, []byte("\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	compact := func(b []byte) []byte {
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	ev := func(name string) []byte { return cdcTestEvent(t, name) }
	// Concatenated values: a claim with its lines (line 2 added, then
	// deleted), a member created then updated, a provider; then the
	// member's create again (older: skipped) and line 1 again (a duplicate).
	claims := write("claims.json", ev("claim-header-create.json"), ev("claim-line-1.json"), ev("claim-line-2.json"), ev("claim-line-2-delete.json"),
		ev("member-create.json"), ev("member-update.json"), ev("provider-practitioner.json"), ev("member-create.json"), ev("claim-line-1.json"))
	// NDJSON with a tombstone (null): a member created and deleted.
	ndjson := write("member.ndjson", compact(ev("member-create.json")), []byte("null"), compact(ev("member-delete.json")))
	// A JSON array.
	array := write("array.json", []byte("["), compact(ev("eligibility-create.json")), []byte(","), compact(ev("provider-organization.json")), []byte("]"))

	code, stdout, stderr := runMain(t, nil, "convert", "--format", "cdc", "--mapping", cdcMappingFile, claims, ndjson, array)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	bs := decodeBundles(t, stdout)
	if len(bs) != 3 {
		t.Fatalf("%d bundles, want 3", len(bs))
	}
	summary := func(b cdcBundle) []string {
		var out []string
		for _, e := range b.Entry {
			s := e.Request.Method + " " + strings.SplitN(e.Request.URL, "/", 2)[0]
			if e.Resource != nil && e.FullURL != e.Request.URL {
				t.Errorf("entry %s: fullUrl %q", e.Request.URL, e.FullURL)
			}
			out = append(out, s)
		}
		return out
	}
	for i, want := range []string{
		"PUT ExplanationOfBenefit,PUT Patient,PUT Practitioner",
		"DELETE Patient",
		"PUT Coverage,PUT Organization",
	} {
		if bs[i].Type != "transaction" {
			t.Errorf("bundle %d: type %q", i, bs[i].Type)
		}
		if got := strings.Join(summary(bs[i]), ","); got != want {
			t.Errorf("bundle %d: %s, want %s", i, got, want)
		}
	}
	eob := bs[0].Entry[0].Resource
	items, _ := eob["item"].([]any)
	if len(items) != 1 || lookup(eob, "item.0.sequence") != float64(1) {
		t.Errorf("claim items %v, want line 1 only (line 2 was deleted)", eob["item"])
	}
	if got := lookup(bs[0].Entry[1].Resource, "name.0.family"); got != "QUINTANA-REYES" {
		t.Errorf("member family %v: the update must win over the replayed create", got)
	}

	// Errors: a documentation placeholder and a line before its claim.
	bad := write("bad.json", ev("claim-line-1.json"), ev("member-create.json"), []byte(`{"before": { ... }}`))
	code, stdout, stderr = runMain(t, nil, "convert", "--format", "cdc", "--mapping", cdcMappingFile, bad)
	if code != 1 {
		t.Errorf("bad input: exit %d, want 1", code)
	}
	for _, want := range []string{
		bad + ": event 1 (offset 0): ",
		"does not exist yet",
		bad + ": event 3 (offset ",
		"documentation placeholder",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "QUINTANA") || strings.Contains(stderr, "2025011500017") {
		t.Errorf("stderr holds values:\n%s", stderr)
	}
	if bs := decodeBundles(t, stdout); len(bs) != 1 || len(bs[0].Entry) != 1 {
		t.Errorf("bad input: the good event's bundle is missing")
	}

	// --mapping is required with --format cdc.
	if code, _, _ := runMain(t, nil, "convert", "--format", "cdc", claims); code != 2 {
		t.Errorf("without --mapping: exit %d, want 2", code)
	}
}
