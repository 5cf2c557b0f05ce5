package cdc

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A realistic schema-wrapped update (testdata/pg-member-update.json):
// every logical type decoded, the key read from its own document.
func TestTestdataMemberUpdate(t *testing.T) {
	t.Parallel()
	value, err := os.ReadFile("testdata/pg-member-update.json")
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile("testdata/key-wrapped.json")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Parse(key, value)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, img := range []struct {
		name string
		row  Row
	}{{"before", ev.Before}, {"after", ev.After}} {
		for _, c := range img.row {
			got[img.name+"."+c.Name] = c.Value.Kind.String() + ":" + c.Value.Text
		}
	}
	for k, want := range map[string]string{
		"before.birth_date":  "date:1980-01-01",
		"before.premium":     "number:123.66",
		"after.premium":      "number:389.26",
		"before.updated_at":  "timestamp:2025-11-26T10:20:30.123456",
		"after.updated_at":   "timestamp:2025-11-26T10:21:39.000001",
		"after.enrolled_at":  "timestamp:2020-01-01T00:00:00-05:00",
		"before.enrolled_at": "timestamp:2020-01-01T00:00:00Z",
		"after.member_id":    "string:SYN-0001",
	} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}
	if id, _ := ev.Key.Get("member_id"); id.Text != "SYN-0001" {
		t.Errorf("key %+v", ev.Key)
	}
	if !ev.Schema || ev.Position.String() != "postgresql/payer/lsn=33816256" || ev.Transaction.ID != "771:33816256" || ev.Source.TxID != "771" {
		t.Errorf("event %+v", ev)
	}
}

// FuzzParse feeds the parser arbitrary keys and values: it must not
// panic, must return an event or a located error, and what it returns
// must be consistent.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.json")
	corpus, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*.json"))
	for _, p := range append(seeds, corpus...) {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add([]byte(nil), b)
		}
	}
	f.Add([]byte(`{"id":1}`), []byte(nil))
	f.Add([]byte(`"k"`), []byte(`{"op":"m","source":{"connector":"postgresql","lsn":1},"message":{"prefix":"p","content":"AA=="}}`))
	f.Fuzz(func(t *testing.T, key, value []byte) {
		ev, err := Parse(key, value)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Doc != "key" && pe.Doc != "value" {
				t.Fatalf("error without a document: %v", err)
			}
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrNotEvent) && !errors.Is(err, ErrField) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			if pe.Path == "" && pe.Offset < 0 && pe.Err == ErrSyntax {
				t.Fatalf("syntax error without an offset: %v", err)
			}
			_, err2 := Parse(key, value)
			if err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("not deterministic: %v then %v", err, err2)
			}
			return
		}
		if ev == nil || ev.Kind == 0 {
			t.Fatalf("no event and no error")
		}
		if ev.Kind == KindChange {
			if _, ok := ParseOp(string(ev.Op)); !ok {
				t.Fatalf("change event with op %q", ev.Op)
			}
		}
		// Every value's Raw is the event's own bytes.
		for _, row := range []Row{ev.Before, ev.After} {
			for _, c := range row {
				if !bytes.Contains(value, c.Value.Raw) {
					t.Fatalf("column %q: Raw is not from the input", c.Name)
				}
			}
		}
		// Positions survive their header form and compare equal to
		// themselves (a redelivery).
		if s := ev.Position.String(); s != "" {
			back, err := ParsePosition(s)
			if err != nil || back.String() != s {
				t.Fatalf("position %q does not round-trip: %v", s, err)
			}
			if c, ok := ev.Position.Compare(back); !ok || c != 0 {
				t.Fatalf("position %q is not equal to itself", s)
			}
		}
		if a, b := PartitionKey("t", key), PartitionKey("t", key); a != b {
			t.Fatalf("partition key not deterministic")
		}
	})
}

// BenchmarkParse parses a schema-wrapped update with decimals, dates and
// timestamps (2.9 KB, most of it schema).
func BenchmarkParse(b *testing.B) {
	value, err := os.ReadFile("testdata/pg-member-update.json")
	if err != nil {
		b.Fatal(err)
	}
	key, _ := os.ReadFile("testdata/key-wrapped.json")
	b.SetBytes(int64(len(value)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(key, value); err != nil {
			b.Fatal(err)
		}
	}
}
