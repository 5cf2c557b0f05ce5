package cdc

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"strings"
)

// EventKind says what a Kafka record of a Debezium topic is.
type EventKind uint8

// The kinds of records.
const (
	// KindChange is a data change event: an [Op] with row images.
	KindChange EventKind = iota + 1
	// KindTombstone is the record with a null value that Debezium writes
	// after a delete, so that log compaction can drop the key; only the
	// key is known.
	KindTombstone
	// KindTransaction is a record of the transaction metadata topic:
	// BEGIN or END of a source transaction.
	KindTransaction
	// KindSchemaChange is a record of the schema change topic (DDL).
	KindSchemaChange
)

var eventKindNames = [...]string{"", "change", "tombstone", "transaction", "schema-change"}

// String returns the kind's name.
func (k EventKind) String() string {
	if int(k) < len(eventKindNames) && k > 0 {
		return eventKindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Op is a change event's operation, as Debezium writes it.
type Op string

// The operations.
const (
	OpCreate   Op = "c"
	OpUpdate   Op = "u"
	OpDelete   Op = "d"
	OpRead     Op = "r" // a snapshot read: the row as it was when the snapshot ran
	OpTruncate Op = "t" // the whole table was emptied; no row images
	OpMessage  Op = "m" // a PostgreSQL logical decoding message
)

// ParseOp returns the Op of its one-letter code, or false.
func ParseOp(s string) (Op, bool) {
	switch o := Op(s); o {
	case OpCreate, OpUpdate, OpDelete, OpRead, OpTruncate, OpMessage:
		return o, true
	}
	return "", false
}

// Name returns the operation's upper-case name: CREATE, UPDATE, DELETE,
// READ, TRUNCATE or MESSAGE.
func (o Op) Name() string {
	switch o {
	case OpCreate:
		return "CREATE"
	case OpUpdate:
		return "UPDATE"
	case OpDelete:
		return "DELETE"
	case OpRead:
		return "READ"
	case OpTruncate:
		return "TRUNCATE"
	case OpMessage:
		return "MESSAGE"
	}
	return "UNKNOWN"
}

// An Event is one parsed Debezium record.
type Event struct {
	Kind EventKind
	// Op is the operation of a KindChange event.
	Op Op
	// Key is the record key's columns (the table's primary key, or the
	// message key columns); nil when the record had no key.
	Key Row
	// Before and After are the row images, exactly as written (every
	// Value keeps its Raw bytes), with logical types decoded when the
	// event carries its schema. Nil when null: Before of a create or
	// snapshot read, After of a delete, both of a truncate.
	Before, After Row
	// Source is the source block: where and when the change happened.
	Source Source
	// Position orders this event among the events of the same source
	// (see [Position.Compare]); zero when the connector writes none that
	// this package knows (and for tombstones).
	Position Position
	// Transaction is the transaction block of a change event when the
	// connector has provide.transaction.metadata on; nil otherwise.
	Transaction *Transaction
	// Boundary is the BEGIN or END record of a KindTransaction event.
	Boundary *Boundary
	// Message is the logical decoding message of an OpMessage event.
	Message *Message
	// SchemaChange is the DDL of a KindSchemaChange event.
	SchemaChange *SchemaChange
	// TsMs, TsUs and TsNs are when the connector processed the event
	// (the payload's ts_ms, ts_us, ts_ns); 0 when absent. When the
	// change happened in the database is Source.TsMs.
	TsMs, TsUs, TsNs int64
	// Schema reports whether the value carried its Connect schema (the
	// JsonConverter's schemas.enable), which is what lets logical types
	// be decoded.
	Schema bool
}

// Table returns the event's data collection as "db.schema.table",
// leaving out the parts the connector does not write (MySQL has no
// schema); "" for transaction events and tombstones.
func (e *Event) Table() string { return e.Source.Collection() }

// Source is the source block of an event. The members every connector
// writes are typed; Fields holds all of them, as written, for the
// connector-specific ones.
type Source struct {
	Version   string
	Connector string // "postgresql", "mysql", "oracle", "sqlserver", "db2", ...; from the schema name when the block lacks it
	Name      string // the connector's logical server name (topic prefix)
	TsMs      int64  // when the change was made in the database
	Snapshot  Snapshot
	DB        string
	Schema    string
	Table     string
	TxID      string // txId, as text (a number for PostgreSQL, "6.28.807" for Oracle)
	Fields    Row
}

// Collection returns "db.schema.table" without the empty parts.
func (s Source) Collection() string {
	var parts []string
	for _, p := range []string{s.DB, s.Schema, s.Table} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ".")
}

// Snapshot is the source block's snapshot member, lower case: "" when
// absent, "false" for a streamed change, "true" for a snapshot read,
// "last" for the last one of a snapshot, and the other markers Debezium
// writes ("first", "first_in_data_collection", "last_in_data_collection",
// "incremental").
type Snapshot string

// InSnapshot reports whether the event was read by a snapshot.
func (s Snapshot) InSnapshot() bool { return s != "" && s != "false" }

// Transaction is the transaction block of a change event.
type Transaction struct {
	ID string
	// TotalOrder is the event's position among all events of the
	// transaction, from 1; DataCollectionOrder among those of its table.
	TotalOrder, DataCollectionOrder int64
}

// Boundary is a record of the transaction metadata topic.
type Boundary struct {
	Status string // "BEGIN" or "END"
	ID     string
	TsMs   int64
	// EventCount is the number of change events of the transaction, on
	// END; -1 on BEGIN (null there).
	EventCount int64
	// DataCollections counts the events per table, on END.
	DataCollections []CollectionCount
}

// CollectionCount is the number of events of one transaction in one
// table.
type CollectionCount struct {
	DataCollection string
	EventCount     int64
}

// Message is a PostgreSQL logical decoding message (pg_logical_emit_message).
type Message struct {
	Prefix  string
	Content []byte
}

// SchemaChange is a schema change event. The DDL text and the table
// descriptions are kept as written.
type SchemaChange struct {
	DatabaseName, SchemaName string
	DDL                      string
	TableChanges             Value // KindArray
}

// Parse parses one Kafka record of a Debezium topic written by the JSON
// converter, with or without the schema wrapper: a data change event
// (ops c, u, d, r, t, m), a tombstone (an empty or null value: only key
// is read), a transaction metadata record (BEGIN/END) or a schema change
// event. key may be nil.
//
// The value must be one well-formed JSON object; a documentation
// excerpt with "{ ... }" placeholders, trailing commas or two objects in
// one record is refused. Errors are [*ParseError]s that locate the
// problem (a JSON path, or a byte offset for syntax errors) and never
// hold a value from the record.
func Parse(key, value []byte) (*Event, error) {
	ev := &Event{}
	if len(key) > 0 {
		k, err := ParseKey(key)
		if err != nil {
			return nil, err
		}
		ev.Key = k
	}
	if isNullDoc(value) {
		ev.Kind = KindTombstone
		return ev, nil
	}
	root, err := parseJSON(value)
	if err != nil {
		err.(*ParseError).Doc = "value"
		return nil, err
	}
	if perr := ev.parseValue(root); perr != nil {
		perr.Doc = "value"
		return nil, perr
	}
	return ev, nil
}

// isNullDoc reports whether a record value is a tombstone: no bytes, or
// the JSON null.
func isNullDoc(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || string(b) == "null"
}

// unwrap returns the payload and schema of a document written with the
// schema wrapper {"schema": ..., "payload": ...}, or the document itself.
func unwrap(root *jval) (payload, sch *jval, wrapped bool) {
	if root.kind == jObject && len(root.members) == 2 {
		p, s := root.get("payload"), root.get("schema")
		if p != nil && s != nil {
			return p, s, true
		}
	}
	return root, nil, false
}

// ParseKey parses a Debezium record key, with or without the schema
// wrapper, into its columns. A key that is JSON but not an object (a
// string converter's key) is one column named "".
func ParseKey(key []byte) (Row, error) {
	root, err := parseJSON(key)
	if err != nil {
		err.(*ParseError).Doc = "key"
		return nil, err
	}
	payload, sj, wrapped := unwrap(root)
	p := path{index: -1}
	var sch *schema
	if wrapped {
		ps := p.child("schema")
		if sch, err = parseSchema(sj, ps); err != nil {
			err.(*ParseError).Doc = "key"
			return nil, err
		}
		p = p.child("payload")
	}
	if payload.kind != jObject {
		v, err := decodeValue(payload, sch, p)
		if err != nil {
			err.(*ParseError).Doc = "key"
			return nil, err
		}
		return Row{{Value: v}}, nil
	}
	row, err := decodeRow(payload, sch, p)
	if err != nil {
		err.(*ParseError).Doc = "key"
		return nil, err
	}
	return row, nil
}

func (ev *Event) parseValue(root *jval) *ParseError {
	if root.kind != jObject {
		return fieldError(path{index: -1}, ErrNotEvent, "the value is a JSON "+root.kind.String()+", not an object")
	}
	payload, sj, wrapped := unwrap(root)
	p := path{index: -1}
	var env *schema
	if wrapped {
		ev.Schema = !sj.isNull()
		var err error
		if env, err = parseSchema(sj, p.child("schema")); err != nil {
			return err.(*ParseError)
		}
		p = p.child("payload")
		if payload.kind == jNull {
			ev.Kind = KindTombstone
			return nil
		}
		if payload.kind != jObject {
			return fieldError(p, ErrNotEvent, "the payload is a JSON "+payload.kind.String()+", not an object")
		}
	}
	switch {
	case payload.get("op") != nil:
		return ev.change(payload, env, p)
	case payload.get("status") != nil:
		return ev.boundary(payload, p)
	case payload.get("tableChanges") != nil || payload.get("ddl") != nil:
		return ev.schemaChange(payload, env, p)
	}
	return fieldError(p, ErrNotEvent, "no op, status or tableChanges member")
}

func (ev *Event) change(j *jval, env *schema, p path) *ParseError {
	ev.Kind = KindChange
	opv := j.get("op")
	if opv.kind != jString {
		return fieldError(p.child("op"), ErrField, "want a string")
	}
	op, ok := ParseOp(opv.text)
	if !ok {
		return fieldError(p.child("op"), ErrField, "unknown op (want c, u, d, r, t or m)")
	}
	ev.Op = op
	var err error
	if ev.TsMs, err = optInt(j, "ts_ms", p); err != nil {
		return err.(*ParseError)
	}
	if ev.TsUs, err = optInt(j, "ts_us", p); err != nil {
		return err.(*ParseError)
	}
	if ev.TsNs, err = optInt(j, "ts_ns", p); err != nil {
		return err.(*ParseError)
	}
	for _, img := range []struct {
		name string
		dst  *Row
	}{{"before", &ev.Before}, {"after", &ev.After}} {
		v := j.get(img.name)
		if v.isNull() {
			continue
		}
		row, err := decodeRow(v, env.fieldNamed(img.name), p.child(img.name))
		if err != nil {
			return err.(*ParseError)
		}
		*img.dst = row
	}
	switch op {
	case OpCreate, OpRead, OpUpdate:
		if ev.After == nil {
			return fieldError(p.child("after"), ErrNotEvent, "op "+string(op)+" needs an after image")
		}
	}
	src := j.get("source")
	if src.isNull() {
		return fieldError(p.child("source"), ErrNotEvent, "a change event needs a source block")
	}
	ssch := env.fieldNamed("source")
	if perr := ev.source(src, ssch, p.child("source")); perr != nil {
		return perr
	}
	if tx := j.get("transaction"); !tx.isNull() {
		t, perr := transaction(tx, p.child("transaction"))
		if perr != nil {
			return perr
		}
		ev.Transaction = t
	}
	if op == OpMessage {
		m := j.get("message")
		mp := p.child("message")
		if m.isNull() || m.kind != jObject {
			return fieldError(mp, ErrNotEvent, "op m needs a message object")
		}
		msg := &Message{}
		if pre := m.get("prefix"); !pre.isNull() {
			if pre.kind != jString {
				return fieldError(mp.child("prefix"), ErrField, "want a string")
			}
			msg.Prefix = pre.text
		}
		if c := m.get("content"); !c.isNull() {
			b, err := base64.StdEncoding.DecodeString(c.text)
			if c.kind != jString || err != nil {
				return fieldError(mp.child("content"), ErrField, "want a base64 string")
			}
			msg.Content = b
		}
		ev.Message = msg
	}
	ev.Position = positionOf(ev.Source)
	return nil
}

// source reads the source block.
func (ev *Event) source(j *jval, s *schema, p path) *ParseError {
	row, err := decodeRow(j, s, p)
	if err != nil {
		return err.(*ParseError)
	}
	src := Source{Fields: row}
	str := func(name string, dst *string) *ParseError {
		v, ok := row.Get(name)
		switch {
		case !ok || v.Kind == KindNull:
		case v.Kind == KindString || v.Kind == KindNumber:
			*dst = v.Text
		default:
			return fieldError(p.child(name), ErrField, "want a string")
		}
		return nil
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"version", &src.Version}, {"connector", &src.Connector}, {"name", &src.Name},
		{"db", &src.DB}, {"schema", &src.Schema}, {"table", &src.Table}, {"txId", &src.TxID},
	} {
		if perr := str(f.name, f.dst); perr != nil {
			return perr
		}
	}
	if src.TsMs, err = optInt(j, "ts_ms", p); err != nil {
		return err.(*ParseError)
	}
	if v, ok := row.Get("snapshot"); ok && v.Kind != KindNull {
		if v.Kind != KindBool && v.Kind != KindString {
			return fieldError(p.child("snapshot"), ErrField, "want a boolean or a string")
		}
		src.Snapshot = Snapshot(strings.ToLower(v.Text))
	}
	if src.Connector == "" && s != nil {
		// Oracle's documented events leave the connector out of the
		// block; its schema is named io.debezium.connector.<name>.Source.
		if n, ok := strings.CutPrefix(s.name, "io.debezium.connector."); ok {
			src.Connector, _, _ = strings.Cut(n, ".")
		}
	}
	ev.Source = src
	return nil
}

// optInt reads an optional integer member of j. Some connectors (Db2's
// transaction metadata) write numbers as strings; both are accepted.
func optInt(j *jval, name string, p path) (int64, error) {
	v := j.get(name)
	if v.isNull() {
		return 0, nil
	}
	text := v.text
	if v.kind != jNumber && v.kind != jString {
		return 0, fieldError(p.child(name), ErrField, "want an integer")
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, fieldError(p.child(name), ErrField, "want an integer")
	}
	return n, nil
}

func optString(j *jval, name string, p path) (string, *ParseError) {
	v := j.get(name)
	if v.isNull() {
		return "", nil
	}
	if v.kind != jString && v.kind != jNumber {
		return "", fieldError(p.child(name), ErrField, "want a string")
	}
	return v.text, nil
}

func transaction(j *jval, p path) (*Transaction, *ParseError) {
	if j.kind != jObject {
		return nil, fieldError(p, ErrField, "want an object")
	}
	t := &Transaction{}
	var perr *ParseError
	if t.ID, perr = optString(j, "id", p); perr != nil {
		return nil, perr
	}
	var err error
	if t.TotalOrder, err = optInt(j, "total_order", p); err != nil {
		return nil, err.(*ParseError)
	}
	if t.DataCollectionOrder, err = optInt(j, "data_collection_order", p); err != nil {
		return nil, err.(*ParseError)
	}
	return t, nil
}

func (ev *Event) boundary(j *jval, p path) *ParseError {
	ev.Kind = KindTransaction
	b := &Boundary{EventCount: -1}
	st := j.get("status")
	if st.kind != jString || st.text != "BEGIN" && st.text != "END" {
		return fieldError(p.child("status"), ErrField, "want \"BEGIN\" or \"END\"")
	}
	b.Status = st.text
	var perr *ParseError
	if b.ID, perr = optString(j, "id", p); perr != nil {
		return perr
	}
	if b.ID == "" {
		return fieldError(p.child("id"), ErrNotEvent, "a transaction record needs an id")
	}
	var err error
	if b.TsMs, err = optInt(j, "ts_ms", p); err != nil {
		return err.(*ParseError)
	}
	if ec := j.get("event_count"); !ec.isNull() {
		if b.EventCount, err = optInt(j, "event_count", p); err != nil {
			return err.(*ParseError)
		}
	} else if b.Status == "END" {
		return fieldError(p.child("event_count"), ErrNotEvent, "an END record needs an event_count")
	}
	if dc := j.get("data_collections"); !dc.isNull() {
		dp := p.child("data_collections")
		if dc.kind != jArray {
			return fieldError(dp, ErrField, "want an array")
		}
		for i, e := range dc.elems {
			ep := dp.elem(i)
			if e.kind != jObject {
				return fieldError(ep, ErrField, "want an object")
			}
			var c CollectionCount
			if c.DataCollection, perr = optString(e, "data_collection", ep); perr != nil {
				return perr
			}
			if c.EventCount, err = optInt(e, "event_count", ep); err != nil {
				return err.(*ParseError)
			}
			b.DataCollections = append(b.DataCollections, c)
		}
	}
	ev.Boundary = b
	ev.TsMs = b.TsMs
	return nil
}

func (ev *Event) schemaChange(j *jval, env *schema, p path) *ParseError {
	ev.Kind = KindSchemaChange
	sc := &SchemaChange{}
	var perr *ParseError
	if sc.DatabaseName, perr = optString(j, "databaseName", p); perr != nil {
		return perr
	}
	if sc.SchemaName, perr = optString(j, "schemaName", p); perr != nil {
		return perr
	}
	if sc.DDL, perr = optString(j, "ddl", p); perr != nil {
		return perr
	}
	if tc := j.get("tableChanges"); !tc.isNull() {
		v, err := decodeValue(tc, nil, p.child("tableChanges"))
		if err != nil {
			return err.(*ParseError)
		}
		if v.Kind != KindArray {
			return fieldError(p.child("tableChanges"), ErrField, "want an array")
		}
		sc.TableChanges = v
	}
	var err error
	if ev.TsMs, err = optInt(j, "ts_ms", p); err != nil {
		return err.(*ParseError)
	}
	if src := j.get("source"); !src.isNull() {
		if perr := ev.source(src, env.fieldNamed("source"), p.child("source")); perr != nil {
			return perr
		}
		ev.Position = positionOf(ev.Source)
	}
	ev.SchemaChange = sc
	return nil
}
