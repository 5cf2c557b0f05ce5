package cdc

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-health/tributary/adapters/cdc/copybook"
	"github.com/tributary-health/tributary/event"
)

const memberCopybook = `       01 MEMBER-REC.
          05 CHG-TYPE   PIC X.
          05 MEMBER-ID  PIC X(6).
          05 BIRTH-DT   PIC 9(8).
          05 PREMIUM    PIC S9(5)V99 COMP-3.
`

func memberDecoder(t *testing.T) *copybook.Decoder {
	t.Helper()
	cb, err := copybook.Parse([]byte(memberCopybook))
	if err != nil {
		t.Fatal(err)
	}
	d, err := copybook.NewDecoder(cb, copybook.Config{Encoding: copybook.ASCII})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func memberRecord(op, id, birth string, premium []byte) []byte {
	return append([]byte(op+id+birth), premium...)
}

// A change file: each record's op comes from CHG-TYPE; deletes carry the
// row as before; bad records are emitted as invalid events and reported
// with their location, never their values.
func TestFileReaderChangeFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := bytes.Join([][]byte{
		memberRecord("A", "M00001", "19800101", []byte{0x00, 0x12, 0x34, 0x5c}),
		memberRecord("C", "M00001", "19800101", []byte{0x00, 0x13, 0x00, 0x0c}),
		memberRecord("D", "M00001", "19800101", []byte{0x00, 0x13, 0x00, 0x0c}),
		memberRecord("X", "M00002", "19900101", []byte{0x00, 0x00, 0x00, 0x0c}),
		memberRecord("A", "M00003", "19900101", []byte{0x00, 0x00, 0x00, 0x07}), // bad sign nibble
	}, nil)
	path := filepath.Join(dir, "MEMBER.CHG.D20261126")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var reported []string
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	r, err := NewFileReader(FileConfig{
		Paths: []string{path}, Decoder: memberDecoder(t), Table: "MEMBER", Key: []string{"member_id"},
		OpField: "CHG-TYPE", Ops: map[string]Op{"A": OpCreate, "C": OpUpdate, "D": OpDelete},
		Encoding: "ascii", Report: func(e *FileError) { reported = append(reported, e.Error()) },
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	err = r.Run(t.Context(), c.emit)
	if !errors.Is(err, ErrInput) {
		t.Fatalf("Run = %v, want ErrInput", err)
	}
	if st := r.Stats(); st.Records != 5 || st.Emitted != 5 || st.Errors != 2 || st.Files != 1 {
		t.Errorf("stats %+v", st)
	}
	if len(c.envs) != 5 {
		t.Fatalf("%d envelopes", len(c.envs))
	}
	wantKinds := []string{"MEMBER.CREATE", "MEMBER.UPDATE", "MEMBER.DELETE", "MEMBER.INVALID", "MEMBER.INVALID"}
	for i, e := range c.envs {
		if e.Kind != wantKinds[i] || e.Format != event.FormatCDC || e.Source != "copybook" {
			t.Errorf("envelope %d: kind %q format %v source %q", i+1, e.Kind, e.Format, e.Source)
		}
	}
	// The events parse as Debezium events, positions in file order.
	var prev Position
	for i, e := range c.envs[:3] {
		ev, err := Parse(nil, e.Payload)
		if err != nil {
			t.Fatalf("record %d: %v\n%s", i+1, err, e.Payload)
		}
		if c, ok := prev.Compare(ev.Position); i > 0 && (!ok || c != -1) {
			t.Errorf("record %d: position %s not after %s", i+1, ev.Position, prev)
		}
		prev = ev.Position
		if e.Attrs[AttrPosition] != ev.Position.String() || ev.Position.String() != "copybook/mainframe/file=MEMBER.CHG.D20261126,record="+itoa(i+1) {
			t.Errorf("record %d: position attr %q, event %q", i+1, e.Attrs[AttrPosition], ev.Position)
		}
		if ev.Source.Snapshot != "false" || ev.Table() != "MEMBER" || ev.Source.Connector != ConnectorCopybook {
			t.Errorf("record %d: source %+v", i+1, ev.Source)
		}
		img := ev.After
		if ev.Op == OpDelete {
			img = ev.Before
			if ev.After != nil {
				t.Error("delete has an after image")
			}
		}
		if id, _ := img.Get("MEMBER-ID"); id.Text != "M00001" {
			t.Errorf("record %d: MEMBER-ID %+v", i+1, id)
		}
		raw, _ := base64.StdEncoding.DecodeString(mustGet(t, e.Payload, "raw"))
		if !bytes.Equal(raw, data[i*19:(i+1)*19]) {
			t.Errorf("record %d: raw record not kept", i+1)
		}
	}
	first, _ := Parse(nil, c.envs[0].Payload)
	if p, _ := first.After.Get("PREMIUM"); p.Number() != "123.45" || string(p.Raw) != "123.45" {
		t.Errorf("PREMIUM = %+v", p)
	}
	// One member's changes share a partition key; it does not show the id.
	if k := c.envs[0].Key; k != c.envs[1].Key || k != c.envs[2].Key || !strings.HasPrefix(k, "MEMBER/") || strings.Contains(k, "M00001") {
		t.Errorf("partition keys %q %q %q", c.envs[0].Key, c.envs[1].Key, c.envs[2].Key)
	}
	if c.envs[0].Key != PartitionKey("MEMBER", []byte(`{"MEMBER-ID":"M00001"}`)) {
		t.Error("partition key is not PartitionKey of the key fields")
	}
	wantReports := []string{
		path + ": record 4 (offset 57): cdc: op field value not in the op map (field CHG-TYPE)",
		path + ": record 5 (offset 76): copybook: record 5 offset 15 field PREMIUM: invalid packed decimal",
	}
	if strings.Join(reported, "\n") != strings.Join(wantReports, "\n") {
		t.Errorf("reported:\n%s\nwant:\n%s", strings.Join(reported, "\n"), strings.Join(wantReports, "\n"))
	}
	inv := c.envs[4]
	if inv.Attrs[AttrError] == "" || inv.Key != "MEMBER" || strings.Contains(string(inv.Payload), `"op"`) {
		t.Errorf("invalid envelope %+v %s", inv.Attrs, inv.Payload)
	}
	if _, err := Parse(nil, inv.Payload); !errors.Is(err, ErrNotEvent) {
		t.Errorf("an invalid record's event parses: %v", err)
	}
}

func mustGet(t *testing.T, doc []byte, name string) string {
	t.Helper()
	j, err := parseJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	return j.get(name).text
}

// The Cobrix fixed-length file as an unload: op r for every record, the
// last one snapshot "last", keys from the ID item.
func TestFileReaderCobrixUnload(t *testing.T) {
	t.Parallel()
	const dir = "../../../shared/corpus/copybook/AbsaOSS-cobrix/"
	src, err := os.ReadFile(dir + "test1_odo_comp3_redefines.cob")
	if err != nil {
		t.Skipf("Cobrix corpus not found: %v", err)
	}
	cb, err := copybook.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := copybook.NewDecoder(cb, copybook.Config{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewFileReader(FileConfig{Paths: []string{dir + "test1_odo_comp3_redefines.ebcdic.bin"}, Decoder: dec, Table: "COMPANY", Key: []string{"ID"}, Name: "zos1"})
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	if err := r.Run(t.Context(), c.emit); err != nil {
		t.Fatal(err)
	}
	if len(c.envs) < 5 {
		t.Fatalf("%d envelopes", len(c.envs))
	}
	keys := map[string]bool{}
	for i, e := range c.envs {
		ev, err := Parse(nil, e.Payload)
		if err != nil {
			t.Fatalf("record %d: %v", i+1, err)
		}
		want := "true"
		if i == len(c.envs)-1 {
			want = "last"
		}
		if ev.Op != OpRead || string(ev.Source.Snapshot) != want || e.Attrs[AttrSnapshot] != want || ev.Source.Name != "zos1" {
			t.Errorf("record %d: op %q snapshot %q", i+1, ev.Op, ev.Source.Snapshot)
		}
		id, _ := ev.After.Get("ID")
		if string(id.Number()) != itoa(i+1) {
			t.Errorf("record %d: ID %q", i+1, id.Text)
		}
		keys[e.Key] = true
	}
	if len(keys) != len(c.envs) {
		t.Errorf("%d partition keys for %d records with distinct IDs", len(keys), len(c.envs))
	}
}

func TestNewFileReaderValidates(t *testing.T) {
	t.Parallel()
	d := memberDecoder(t)
	ok := FileConfig{Paths: []string{"x"}, Decoder: d, Table: "MEMBER", Key: []string{"MEMBER-ID"}}
	if _, err := NewFileReader(ok); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*FileConfig){
		"no paths":        func(c *FileConfig) { c.Paths = nil },
		"no decoder":      func(c *FileConfig) { c.Decoder = nil },
		"no table":        func(c *FileConfig) { c.Table = "" },
		"no key":          func(c *FileConfig) { c.Key = nil },
		"unknown key":     func(c *FileConfig) { c.Key = []string{"NOPE"} },
		"op without map":  func(c *FileConfig) { c.OpField = "CHG-TYPE" },
		"unknown op":      func(c *FileConfig) { c.OpField, c.Ops = "CHG-TYPE", map[string]Op{"A": "z"} },
		"unknown opfield": func(c *FileConfig) { c.OpField, c.Ops = "NOPE", map[string]Op{"A": OpCreate} },
	} {
		c := ok
		mod(&c)
		if _, err := NewFileReader(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Qualified names resolve through groups; items in a table do not.
	cb, _ := copybook.Parse([]byte("       01 R.\n          05 G.\n             10 ID PIC X(2).\n          05 T OCCURS 2.\n             10 V PIC X.\n"))
	dec, _ := copybook.NewDecoder(cb, copybook.Config{Encoding: copybook.ASCII})
	if _, err := NewFileReader(FileConfig{Paths: []string{"x"}, Decoder: dec, Table: "R", Key: []string{"G.ID"}}); err != nil {
		t.Errorf("qualified key: %v", err)
	}
	if _, err := NewFileReader(FileConfig{Paths: []string{"x"}, Decoder: dec, Table: "R", Key: []string{"V"}}); err == nil {
		t.Error("a key in a table was accepted")
	}
}

// A framing error (a bad RDW) stops that file after what could be
// delimited; the next file is still read.
func TestFileReaderFramingError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rec := memberRecord("A", "M00001", "19800101", []byte{0x00, 0x12, 0x34, 0x5c})
	rdw := []byte{0, byte(len(rec) + 4), 0, 0}
	bad := append(append(append([]byte(nil), rdw...), rec...), 0xff, 0xff, 0, 0, 'x')
	good := append(append([]byte(nil), rdw...), rec...)
	p1, p2 := filepath.Join(dir, "a.dat"), filepath.Join(dir, "b.dat")
	os.WriteFile(p1, bad, 0o644)
	os.WriteFile(p2, good, 0o644)
	var reported []string
	r, err := NewFileReader(FileConfig{Paths: []string{p1, filepath.Join(dir, "missing.dat"), p2}, Decoder: memberDecoder(t),
		Framing: copybook.ReaderConfig{Format: copybook.Variable}, Table: "MEMBER", Key: []string{"MEMBER-ID"},
		Report: func(e *FileError) { reported = append(reported, e.Error()) }})
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	if err := r.Run(t.Context(), c.emit); !errors.Is(err, ErrInput) {
		t.Fatalf("Run = %v", err)
	}
	if len(c.envs) != 2 || len(reported) != 2 {
		t.Fatalf("%d emitted, reported %q", len(c.envs), reported)
	}
	if reported[0] != p1+": copybook: record 2 offset 28: data ends inside a record" || !strings.HasPrefix(reported[1], filepath.Join(dir, "missing.dat")+": open: ") {
		t.Errorf("reported %q", reported)
	}
	// The last record of the run is the one marked last.
	if c.envs[1].Attrs[AttrSnapshot] != "last" || c.envs[0].Attrs[AttrSnapshot] != "true" {
		t.Errorf("snapshot attrs %q %q", c.envs[0].Attrs[AttrSnapshot], c.envs[1].Attrs[AttrSnapshot])
	}
}
