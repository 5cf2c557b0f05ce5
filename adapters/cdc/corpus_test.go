package cdc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusDir holds Debezium events from the Debezium repository (see
// /work/shared/corpus/SOURCES.md): whole test fixtures, and excerpts cut
// from the documentation, most of which use shorthand.
const corpusDir = "../../../shared/corpus/cdc"

// A corpusFile says what a corpus file is and what Parse must make of
// it.
type corpusFile struct {
	why string
	// Accepted files: the kind, op, connector, table and position text.
	kind      EventKind
	op        Op
	connector string
	table     string
	position  string
	asKey     bool // a record key, read with ParseKey
	// Rejected files: the error's sentinel and location.
	err      error
	location string // ParseError.Location()
}

var corpusFiles = map[string]corpusFile{
	// debezium-test-fixtures: MySQL serde test events, all well-formed.
	"debezium-test-fixtures/mysql-serde-unknown-property.json": {
		why:  "op u, payload only; after has a column the schema of the other fixtures lacks (schema drift): accepted, the column kept",
		kind: KindChange, op: OpUpdate, connector: "mysql", table: "inventory.customers",
		position: "mysql/mysql-server-1/file=000003,pos=154,row=0",
	},
	"debezium-test-fixtures/mysql-serde-update.json": {
		why:  "op u, payload only, before and after",
		kind: KindChange, op: OpUpdate, connector: "mysql", table: "inventory.customers",
		position: "mysql/mysql-server-1/file=000003,pos=154,row=0",
	},
	"debezium-test-fixtures/mysql-serde-with-schema.json": {
		why:  "op c with the full {schema, payload} wrapper",
		kind: KindChange, op: OpCreate, connector: "mysql", table: "inventory.customers",
		position: "mysql/mysql-server-1/file=000003,pos=154,row=0",
	},
	"debezium-test-fixtures/mysql-serde-without-schema.json": {
		why:  "op c, payload only, before null",
		kind: KindChange, op: OpCreate, connector: "mysql", table: "inventory.customers",
		position: "mysql/mysql-server-1/file=000003,pos=154,row=0",
	},

	// debezium-docs, strict JSON: accepted. source.version holds the
	// unexpanded AsciiDoc attribute "{debezium-version}", but inside a
	// string: a version is free text, not checked.
	"debezium-docs/db2-customers-key.adoc-excerpt.json": {
		why:   "a record key {schema, payload}: read with ParseKey",
		asKey: true,
	},
	"debezium-docs/oracle-customers-create-op-c.adoc-excerpt.json": {
		why:  "Oracle op c with schema; the source block has no connector member, taken from the schema name io.debezium.connector.oracle.Source",
		kind: KindChange, op: OpCreate, connector: "oracle", table: "",
		position: "oracle/server1/commit_scn=2122185,scn=2122185",
	},
	"debezium-docs/postgresql-customers-create-op-c.adoc-excerpt.json": {
		why:  "PostgreSQL op c with schema, snapshot true",
		kind: KindChange, op: OpCreate, connector: "postgresql", table: "postgres.public.customers",
		position: "postgresql/PostgreSQL_server/lsn=24023128",
	},

	// debezium-docs with documentation shorthand: rejected, located.
	"debezium-docs/db2-customers-create-op-c.adoc-excerpt.json": {
		why: "full schema, but trailing commas after commit_lsn (in the schema's field list and in source)",
		err: ErrSyntax, location: "value byte 2826",
	},
	"debezium-docs/db2-customers-delete-op-d.adoc-excerpt.json": {
		why: `"schema": { ... }` + " placeholder",
		err: ErrSyntax, location: "value byte 16",
	},
	"debezium-docs/db2-customers-update-op-u.adoc-excerpt.json": {
		why: `"schema": { ... }` + " placeholder",
		err: ErrSyntax, location: "value byte 16",
	},
	"debezium-docs/db2-event-with-transaction-metadata.adoc-excerpt.json": {
		why: "source block is a bare ... placeholder (and ts_ms are strings)",
		err: ErrSyntax, location: "value byte 81",
	},
	"debezium-docs/db2-schema-change-event.adoc-excerpt.json": {
		why: "schema is a bare ... placeholder",
		err: ErrSyntax, location: "value byte 18",
	},
	"debezium-docs/db2-transaction-boundary-begin-end.adoc-excerpt.json": {
		why: "two JSON objects (BEGIN and END) in one excerpt; each alone is accepted (TestTransactionBoundaryExcerpt)",
		err: ErrSyntax, location: "value byte 136",
	},
	"debezium-docs/oracle-customers-truncate-op-t.adoc-excerpt.json": {
		why: `"schema": { ... }` + " placeholder",
		err: ErrSyntax, location: "value byte 18",
	},
	"debezium-docs/oracle-customers-update-op-u.adoc-excerpt.json": {
		why: `"schema": { ... }` + " placeholder (and a trailing comma after ts_ns)",
		err: ErrSyntax, location: "value byte 18",
	},
	"debezium-docs/postgresql-customers-delete-op-d.adoc-excerpt.json": {
		why: `"schema": { ... }` + " placeholder",
		err: ErrSyntax, location: "value byte 18",
	},
	"debezium-docs/postgresql-logical-message-transactional-op-m.adoc-excerpt.json": {
		why: `"schema": { ... }` + " placeholder",
		err: ErrSyntax, location: "value byte 18",
	},
}

func TestCorpus(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("CDC corpus not found: %v", err)
	}
	seen := map[string]bool{}
	err := filepath.WalkDir(corpusDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(corpusDir, p)
		rel = filepath.ToSlash(rel)
		seen[rel] = true
		want, ok := corpusFiles[rel]
		if !ok {
			t.Errorf("%s: not classified in corpusFiles", rel)
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		t.Run(rel, func(t *testing.T) {
			if want.asKey {
				row, err := ParseKey(data)
				if err != nil {
					t.Fatalf("ParseKey: %v", err)
				}
				if v, ok := row.Get("ID"); !ok || v.Number() != "1004" {
					t.Errorf("key = %+v, want ID 1004", row)
				}
				return
			}
			ev, err := Parse(nil, data)
			if want.err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) || !errors.Is(err, want.err) {
					t.Fatalf("Parse error = %v, want a located %v (%s)", err, want.err, want.why)
				}
				if got := pe.Location(); got != want.location {
					t.Errorf("location = %q, want %q; error: %v", got, want.location, err)
				}
				if pe.Line < 1 || pe.Col < 1 {
					t.Errorf("no line and column: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v (%s)", err, want.why)
			}
			if ev.Kind != want.kind || ev.Op != want.op || ev.Source.Connector != want.connector || ev.Table() != want.table {
				t.Errorf("event kind %v op %q connector %q table %q; want %v %q %q %q",
					ev.Kind, ev.Op, ev.Source.Connector, ev.Table(), want.kind, want.op, want.connector, want.table)
			}
			if got := ev.Position.String(); got != want.position {
				t.Errorf("position %q, want %q", got, want.position)
			}
			if ev.After == nil {
				t.Error("no after image")
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range corpusFiles {
		if !seen[name] {
			t.Errorf("%s: listed but not in the corpus", name)
		}
	}
}

// The unknown-property fixture keeps the extra column, in order, and
// every value exactly.
func TestCorpusSchemaDrift(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpusDir, "debezium-test-fixtures/mysql-serde-unknown-property.json"))
	if err != nil {
		t.Skipf("CDC corpus not found: %v", err)
	}
	ev, err := Parse(nil, data)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ev.After.Names(), ","); got != "id,first_name,last_name,middle_name,email" {
		t.Errorf("after columns %s", got)
	}
	if v, _ := ev.Before.Get("first_name"); v.Text != "Anne-Marie" || string(v.Raw) != `"Anne-Marie"` {
		t.Errorf("before.first_name = %+v", v)
	}
	if ev.TsMs != 1465491411815 || ev.Source.Snapshot != "false" || ev.Source.Snapshot.InSnapshot() {
		t.Errorf("ts_ms %d snapshot %q", ev.TsMs, ev.Source.Snapshot)
	}
}

// The transaction boundary excerpt holds two records; split, each is a
// well-formed transaction metadata record.
func TestTransactionBoundaryExcerpt(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpusDir, "debezium-docs/db2-transaction-boundary-begin-end.adoc-excerpt.json"))
	if err != nil {
		t.Skipf("CDC corpus not found: %v", err)
	}
	parts := strings.SplitN(string(data), "\n\n", 2)
	if len(parts) != 2 {
		t.Fatal("excerpt does not hold two records")
	}
	begin, err := Parse([]byte(`{"id":"00000025:00000d08:0025"}`), []byte(parts[0]))
	if err != nil {
		t.Fatal(err)
	}
	end, err := Parse(nil, []byte(parts[1]))
	if err != nil {
		t.Fatal(err)
	}
	if begin.Kind != KindTransaction || begin.Boundary.Status != "BEGIN" || begin.Boundary.EventCount != -1 ||
		begin.Boundary.ID != "00000025:00000d08:0025" || begin.TsMs != 1486500577125 {
		t.Errorf("BEGIN = %+v", begin.Boundary)
	}
	b := end.Boundary
	if b.Status != "END" || b.EventCount != 2 || len(b.DataCollections) != 2 ||
		b.DataCollections[1] != (CollectionCount{DataCollection: "testDB.dbo.tableb", EventCount: 1}) {
		t.Errorf("END = %+v", b)
	}
}
