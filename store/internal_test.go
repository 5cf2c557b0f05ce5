package store

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-health/tributary/fhir/search"
)

func TestLoadMigrations(t *testing.T) {
	t.Parallel()
	ms, err := loadMigrations(migrationFiles)
	if err != nil || len(ms) == 0 || ms[0].version != 1 || ms[0].name != "init" {
		t.Fatalf("embedded migrations: %v, %v", ms, err)
	}
	sql := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"migrations/001_a.sql": sql("SELECT 1"), "migrations/003_c.sql": sql("SELECT 1")},
		"bad name":  {"migrations/1_a.sql": sql("SELECT 1")},
		"upper":     {"migrations/001_A.sql": sql("SELECT 1")},
		"not first": {"migrations/002_b.sql": sql("SELECT 1")},
	} {
		if _, err := loadMigrations(fsys); err == nil {
			t.Errorf("%s: loadMigrations succeeded", name)
		}
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	r := Resource{Type: "Patient", ID: "p1", VersionID: 12, LastUpdated: time.Date(2026, 11, 26, 9, 0, 0, 123456000, time.UTC)}
	// As PostgreSQL prints jsonb: keys by length, spaces after separators.
	stored := []byte(`{"id": "p1", "meta": {"source": "urn:x", "versionId": "3"}, "gender": "unknown", "resourceType": "Patient", "extension": [{"url": "u", "valueDecimal": 1.50}]}`)
	got, err := render(r, stored)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"resourceType":"Patient","id":"p1","meta":{"lastUpdated":"2026-11-26T09:00:00.123456Z","source":"urn:x","versionId":"12"},"extension":[{"url":"u","valueDecimal":1.50}],"gender":"unknown"}`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("render (-want +got):\n%s", diff)
	}
	got, err = render(r, []byte(`{"resourceType": "Patient", "id": "p1"}`))
	if err != nil || !bytes.Contains(got, []byte(`"meta":{"lastUpdated":"2026-11-26T09:00:00.123456Z","versionId":"12"}`)) {
		t.Errorf("render without meta = %s, %v", got, err)
	}
	if _, err := render(r, []byte(`[1]`)); err == nil {
		t.Error("render of an array succeeded")
	}
}

func TestTokensRoundTrip(t *testing.T) {
	t.Parallel()
	ts := []search.TokenEntry{{Param: "identifier", Token: search.Token{System: `a"|\`, Code: "x,\n"}}, {Param: "identifier", Token: search.Token{Code: "y"}}}
	got, err := decodeTokens(encodeTokens(ts))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ts, got); diff != "" {
		t.Errorf("decodeTokens(encodeTokens) (-want +got):\n%s", diff)
	}
	if encodeTokens(nil) != "" {
		t.Error("no tokens do not encode as empty")
	}
	if got, err := decodeTokens(""); err != nil || got != nil {
		t.Errorf("decodeTokens(\"\") = %v, %v", got, err)
	}
}

// FuzzCanonical checks that appendCanonical writes valid JSON equal to
// its input, that it is a fixed point, and that key order and spacing do
// not change it.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{
		`{"b":1,"a":[true,null,"x\u0001\"\\/<>&\u2028é"],"c":{"z":1.50,"y":-2e10}}`,
		`{ "a" : { } , "b" : [ ] }`,
		`{"":"","\u0000":"\ud83d\ude00"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		var v map[string]any
		if d.Decode(&v) != nil || v == nil {
			return
		}
		c := appendCanonical(nil, v)
		d = json.NewDecoder(bytes.NewReader(c))
		d.UseNumber()
		var back map[string]any
		if err := d.Decode(&back); err != nil {
			t.Fatalf("canonical form %s is not JSON: %v", c, err)
		}
		if !reflect.DeepEqual(v, back) {
			t.Fatalf("canonical form %s decodes to %v, want %v", c, back, v)
		}
		if again := appendCanonical(nil, back); !bytes.Equal(c, again) {
			t.Fatalf("not a fixed point: %s then %s", c, again)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, c); err != nil || !bytes.Equal(compact.Bytes(), c) {
			t.Fatalf("canonical form %s is not compact", c)
		}
	})
}
