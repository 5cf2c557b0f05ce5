package cdc

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"
)

// pgEvent returns a schema-wrapped PostgreSQL change event whose after
// image has one column of each given schema and value.
func pgEvent(op string, cols ...[2]string) []byte {
	var fields, values []string
	for i, c := range cols {
		name := fmt.Sprintf("c%d", i)
		fields = append(fields, strings.Replace(c[0], "{", `{"field":"`+name+`",`, 1))
		values = append(values, `"`+name+`":`+c[1])
	}
	return []byte(`{"schema":{"type":"struct","name":"srv.public.t.Envelope","fields":[` +
		`{"type":"struct","field":"after","optional":true,"fields":[` + strings.Join(fields, ",") + `]},` +
		`{"type":"struct","field":"source","name":"io.debezium.connector.postgresql.Source","fields":[{"type":"int64","field":"lsn"}]},` +
		`{"type":"string","field":"op"}]},` +
		`"payload":{"before":null,"after":{` + strings.Join(values, ",") + `},` +
		`"source":{"connector":"postgresql","name":"srv","db":"db","schema":"public","table":"t","lsn":100,"txId":7,"ts_ms":1700000000000,"snapshot":"false"},` +
		`"op":"` + op + `","ts_ms":1700000000123}}`)
}

func decimalB64(unscaled string) string {
	n, _ := new(big.Int).SetString(unscaled, 10)
	var b []byte
	if n.Sign() >= 0 {
		b = n.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
	} else {
		// Two's complement of the smallest width that holds n.
		w := (n.BitLen() + 8) / 8
		m := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), uint(8*w)), n)
		b = m.FillBytes(make([]byte, w))
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestLogicalTypes(t *testing.T) {
	t.Parallel()
	dec := func(scale int) string {
		return fmt.Sprintf(`{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"%d","connect.decimal.precision":"12"}}`, scale)
	}
	tests := []struct {
		name   string
		schema string
		value  string
		kind   Kind
		text   string
		time   time.Time
		zoned  bool
	}{
		{"decimal", dec(2), `"` + decimalB64("12345") + `"`, KindNumber, "123.45", time.Time{}, false},
		{"negative decimal", dec(2), `"` + decimalB64("-12345") + `"`, KindNumber, "-123.45", time.Time{}, false},
		{"small decimal", dec(4), `"` + decimalB64("-5") + `"`, KindNumber, "-0.0005", time.Time{}, false},
		{"zero scale", dec(0), `"` + decimalB64("987654321987654321987654321") + `"`, KindNumber, "987654321987654321987654321", time.Time{}, false},
		{"decimal 0x80 boundary", dec(0), `"` + decimalB64("-128") + `"`, KindNumber, "-128", time.Time{}, false},
		{"decimal as number (decimal.format=NUMERIC)", dec(2), `123.40`, KindNumber, "123.40", time.Time{}, false},
		{"variable scale", `{"type":"struct","name":"io.debezium.data.VariableScaleDecimal","fields":[{"type":"int32","field":"scale"},{"type":"bytes","field":"value"}]}`,
			`{"scale":3,"value":"` + decimalB64("1500") + `"}`, KindNumber, "1.500", time.Time{}, false},
		{"double mode keeps the text", `{"type":"double"}`, `0.1000000000000000055511151231257827`, KindNumber, "0.1000000000000000055511151231257827", time.Time{}, false},
		{"string mode is a string", `{"type":"string"}`, `"123.45"`, KindString, "123.45", time.Time{}, false},
		{"date", `{"type":"int32","name":"io.debezium.time.Date"}`, `20418`, KindDate, "2025-11-26", time.Date(2025, 11, 26, 0, 0, 0, 0, time.UTC), false},
		{"date before 1970", `{"type":"int32","name":"io.debezium.time.Date"}`, `-1`, KindDate, "1969-12-31", time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), false},
		{"connect date", `{"type":"int32","name":"org.apache.kafka.connect.data.Date"}`, `0`, KindDate, "1970-01-01", time.Unix(0, 0).UTC(), false},
		{"time ms", `{"type":"int32","name":"io.debezium.time.Time"}`, `37230123`, KindTime, "10:20:30.123", time.Date(0, 1, 1, 10, 20, 30, 123e6, time.UTC), false},
		{"micro time", `{"type":"int64","name":"io.debezium.time.MicroTime"}`, `37230123456`, KindTime, "10:20:30.123456", time.Date(0, 1, 1, 10, 20, 30, 123456000, time.UTC), false},
		{"timestamp ms", `{"type":"int64","name":"io.debezium.time.Timestamp"}`, `1764152430123`, KindTimestamp, "2025-11-26T10:20:30.123",
			time.Date(2025, 11, 26, 10, 20, 30, 123e6, time.UTC), false},
		{"micro timestamp", `{"type":"int64","name":"io.debezium.time.MicroTimestamp"}`, `1764152430123456`, KindTimestamp, "2025-11-26T10:20:30.123456",
			time.Date(2025, 11, 26, 10, 20, 30, 123456000, time.UTC), false},
		{"nano timestamp", `{"type":"int64","name":"io.debezium.time.NanoTimestamp"}`, `1764152430123456789`, KindTimestamp, "2025-11-26T10:20:30.123456789",
			time.Date(2025, 11, 26, 10, 20, 30, 123456789, time.UTC), false},
		{"connect timestamp", `{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"}`, `-1000`, KindTimestamp, "1969-12-31T23:59:59.000",
			time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), false},
		{"zoned timestamp", `{"type":"string","name":"io.debezium.time.ZonedTimestamp"}`, `"2025-11-26T10:20:30.5-05:00"`, KindTimestamp, "2025-11-26T10:20:30.5-05:00",
			time.Date(2025, 11, 26, 15, 20, 30, 5e8, time.UTC), true},
		{"zoned time", `{"type":"string","name":"io.debezium.time.ZonedTime"}`, `"10:20:30Z"`, KindTime, "10:20:30Z", time.Date(0, 1, 1, 10, 20, 30, 0, time.UTC), true},
		{"null date", `{"type":"int32","optional":true,"name":"io.debezium.time.Date"}`, `null`, KindNull, "", time.Time{}, false},
		{"bytes", `{"type":"bytes"}`, `"AAEC"`, KindBytes, "AAEC", time.Time{}, false},
		{"int64 beyond float64", `{"type":"int64"}`, `9007199254740993`, KindNumber, "9007199254740993", time.Time{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ev, err := Parse(nil, pgEvent("c", [2]string{tc.schema, tc.value}))
			if err != nil {
				t.Fatal(err)
			}
			v, ok := ev.After.Get("c0")
			if !ok {
				t.Fatal("no column")
			}
			if v.Kind != tc.kind || v.Text != tc.text || v.Zoned != tc.zoned {
				t.Errorf("got %v %q zoned=%v, want %v %q zoned=%v", v.Kind, v.Text, v.Zoned, tc.kind, tc.text, tc.zoned)
			}
			if !v.Time().Equal(tc.time) {
				t.Errorf("Time() = %v, want %v", v.Time(), tc.time)
			}
			if string(v.Raw) != tc.value {
				t.Errorf("Raw = %s, want the bytes as written %s", v.Raw, tc.value)
			}
			if tc.kind == KindNumber && string(v.Number()) != tc.text {
				t.Errorf("Number() = %q", v.Number())
			}
		})
	}
}

// An unzoned timestamp is a wall-clock time: In places it in the
// source's zone.
func TestUnzonedTimestampIn(t *testing.T) {
	t.Parallel()
	ev, err := Parse(nil, pgEvent("c", [2]string{`{"type":"int64","name":"io.debezium.time.MicroTimestamp"}`, `1764152430000000`}))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := ev.After.Get("c0")
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Skip(err)
	}
	got := v.In(chicago)
	if got.Hour() != 10 || got.Location() != chicago || got.UTC().Hour() != 16 {
		t.Errorf("In(Chicago) = %v", got)
	}
}

// Without a schema nothing says a number is a date: values stay as
// written.
func TestSchemalessValuesAsWritten(t *testing.T) {
	t.Parallel()
	ev, err := Parse(nil, []byte(`{"op":"r","after":{"BIRTH":20418,"AMOUNT":"MDk=","RATE":1.10,"TAGS":["a",1],"ADDR":{"ZIP":"48901"}},`+
		`"source":{"connector":"postgresql","name":"s","lsn":5,"snapshot":"last"}}`))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"BIRTH": "number:20418", "AMOUNT": "string:MDk=", "RATE": "number:1.10"} {
		v, _ := ev.After.Get(name)
		if got := v.Kind.String() + ":" + v.Text; got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	tags, _ := ev.After.Get("TAGS")
	addr, _ := ev.After.Get("ADDR")
	zip, _ := addr.Fields.Get("ZIP")
	if tags.Kind != KindArray || len(tags.Elems) != 2 || addr.Kind != KindStruct || zip.Text != "48901" {
		t.Errorf("TAGS %+v ADDR %+v", tags, addr)
	}
	if ev.Op != OpRead || ev.Source.Snapshot != "last" || !ev.Source.Snapshot.InSnapshot() || ev.Schema {
		t.Errorf("op %q snapshot %q schema %v", ev.Op, ev.Source.Snapshot, ev.Schema)
	}
}

func TestTombstones(t *testing.T) {
	t.Parallel()
	key := []byte(`{"schema":{"type":"struct","fields":[{"type":"int32","field":"id"}]},"payload":{"id":1004}}`)
	for _, value := range [][]byte{nil, {}, []byte("null"), []byte(`{"schema":null,"payload":null}`)} {
		ev, err := Parse(key, value)
		if err != nil {
			t.Fatalf("value %q: %v", value, err)
		}
		if ev.Kind != KindTombstone || ev.Before != nil || ev.After != nil || !ev.Position.IsZero() {
			t.Errorf("value %q: %+v", value, ev)
		}
		if id, _ := ev.Key.Get("id"); id.Number() != "1004" {
			t.Errorf("value %q: key %+v", value, ev.Key)
		}
	}
	// A tombstone and the delete before it partition together.
	del := []byte(`{"op":"d","before":{"id":1004},"after":null,"source":{"connector":"postgresql","name":"s","lsn":9}}`)
	ev, err := Parse([]byte(`{"id":1004}`), del)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Op != OpDelete || ev.After != nil || ev.Before == nil {
		t.Errorf("delete = %+v", ev)
	}
	if a, b := PartitionKey("srv.public.t", key), PartitionKey("srv.public.t", []byte(` { "id" : 1004 } `)); a != b || !strings.HasPrefix(a, "srv.public.t/") || len(a) != len("srv.public.t/")+26 {
		t.Errorf("PartitionKey: wrapped %q, bare %q", a, b)
	}
	if PartitionKey("t", []byte(`{"id":1004}`)) == PartitionKey("t", []byte(`{"id":1005}`)) {
		t.Error("different keys share a partition key")
	}
	if strings.Contains(PartitionKey("t", []byte(`{"id":"MRN-77"}`)), "MRN-77") {
		t.Error("partition key holds the key value")
	}
	if got := PartitionKey("t", nil); got != "t" {
		t.Errorf("keyless partition key = %q", got)
	}
}

func TestTransactionBlockAndMessage(t *testing.T) {
	t.Parallel()
	ev, err := Parse(nil, []byte(`{"op":"u","before":null,"after":{"id":1},"source":{"connector":"db2","name":"d","change_lsn":"00000027:00000ac0:0002","commit_lsn":"00000027:00000AC0:0007"},`+
		`"transaction":{"id":"00000025:00000d08:0025","total_order":"2","data_collection_order":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	if tx := ev.Transaction; tx == nil || tx.ID != "00000025:00000d08:0025" || tx.TotalOrder != 2 || tx.DataCollectionOrder != 1 {
		t.Errorf("transaction = %+v", ev.Transaction)
	}
	if got := ev.Position.String(); got != "db2/d/commit_lsn=00000027:00000ac0:0007,change_lsn=00000027:00000ac0:0002,event_serial_no=" {
		t.Errorf("position %q", got)
	}
	m, err := Parse(nil, []byte(`{"op":"m","source":{"connector":"postgresql","name":"s","lsn":46523128},"message":{"prefix":"foo","content":"Ymfy"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Message == nil || m.Message.Prefix != "foo" || string(m.Message.Content) != "bg\xf2" {
		t.Errorf("message = %+v", m.Message)
	}
	tr, err := Parse(nil, []byte(`{"op":"t","before":null,"after":null,"source":{"connector":"oracle","name":"o","scn":"13234397","commit_scn":"13271102"}}`))
	if err != nil || tr.Op != OpTruncate || tr.Position.String() != "oracle/o/commit_scn=13271102,scn=13234397" {
		t.Errorf("truncate = %+v, %v", tr, err)
	}
	sc, err := Parse(nil, []byte(`{"source":{"connector":"db2","name":"db2","snapshot":"true","commit_lsn":"00000025:00000d98:00a2"},"ts_ms":1588252618953,`+
		`"databaseName":"TESTDB","schemaName":"DB2INST1","ddl":null,"tableChanges":[{"type":"CREATE","id":"\"DB2INST1\".\"CUSTOMERS\""}]}`))
	if err != nil || sc.Kind != KindSchemaChange || sc.SchemaChange.DatabaseName != "TESTDB" || len(sc.SchemaChange.TableChanges.Elems) != 1 {
		t.Errorf("schema change = %+v, %v", sc, err)
	}
}

// Errors say where, and never what: no value from the record appears.
func TestErrorsLocatedWithoutValues(t *testing.T) {
	t.Parallel()
	const secret = "SECRET-7731"
	dec := `{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}`
	tests := []struct {
		name  string
		value string
		err   error
		loc   string
	}{
		{"bad decimal", string(pgEvent("c", [2]string{dec, `"` + secret + `!"`})), ErrField, "value.payload.after.c0"},
		{"date not a number", string(pgEvent("c", [2]string{`{"type":"int32","name":"io.debezium.time.Date"}`, `"` + secret + `"`})), ErrField, "value.payload.after.c0"},
		{"int column with a string", string(pgEvent("c", [2]string{`{"type":"int32"}`, `"` + secret + `"`})), ErrField, "value.payload.after.c0"},
		{"date out of range", string(pgEvent("c", [2]string{`{"type":"int32","name":"io.debezium.time.Date"}`, `99999999`})), ErrField, "value.payload.after.c0"},
		{"unknown op", `{"op":"x","after":{"a":"` + secret + `"},"source":{}}`, ErrField, "value.op"},
		{"no op", `{"after":{"a":"` + secret + `"}}`, ErrNotEvent, "value"},
		{"create without after", `{"op":"c","before":null,"after":null,"source":{}}`, ErrNotEvent, "value.after"},
		{"no source", `{"op":"c","after":{"a":1}}`, ErrNotEvent, "value.source"},
		{"placeholder", `{"schema": { ... }, "payload": {"a": "` + secret + `"}}`, ErrSyntax, "value byte 13"},
		{"bad escape in a string", `{"op":"c","after":{"a":"` + secret + `\q"}}`, ErrSyntax, "value byte 35"},
		{"control character", "{\"op\":\"c\",\"after\":{\"a\":\"" + secret + "\x01\"}}", ErrSyntax, "value byte 35"},
		{"two values", `{"op":"c"} {"a":"` + secret + `"}`, ErrSyntax, "value byte 11"},
		{"duplicate member", `{"op":"c","op":"` + secret + `"}`, ErrSyntax, "value byte 10"},
		{"array", `["` + secret + `"]`, ErrNotEvent, "value"},
		{"odd column name is quoted", `{"schema":{"type":"struct","fields":[{"type":"struct","field":"after","fields":[{"type":"int32","field":"a b"}]}]},` +
			`"payload":{"op":"c","after":{"a b":"` + secret + `"},"source":{}}}`, ErrField, `value.payload.after."a b"`},
		{"END without count", `{"status":"END","id":"` + "tx" + `"}`, ErrNotEvent, "value.event_count"},
		{"bad status", `{"status":"` + secret + `","id":"x"}`, ErrField, "value.status"},
		{"deep nesting", strings.Repeat("[", 300), ErrSyntax, "value byte 256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(nil, []byte(tc.value))
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want a *ParseError wrapping %v", err, tc.err)
			}
			if pe.Location() != tc.loc {
				t.Errorf("location %q, want %q (%v)", pe.Location(), tc.loc, err)
			}
			if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "7731") {
				t.Errorf("error holds a value: %v", err)
			}
		})
	}
	// Keys are located in the key document.
	_, err := Parse([]byte(`{"id": `+secret+`}`), []byte(`{"op":"c","after":{},"source":{}}`))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Doc != "key" || strings.Contains(err.Error(), secret) {
		t.Errorf("bad key: %v", err)
	}
}

// Every connector's positions order the changes of one row, and
// positions from different sources do not compare.
func TestPositionOrdering(t *testing.T) {
	t.Parallel()
	src := func(s string) Position {
		t.Helper()
		ev, err := Parse(nil, []byte(`{"op":"u","after":{"id":1},"source":`+s+`}`))
		if err != nil {
			t.Fatal(err)
		}
		return ev.Position
	}
	tests := []struct {
		name          string
		earlier, late string
	}{
		{"postgresql lsn", `{"connector":"postgresql","name":"pg","lsn":999}`, `{"connector":"postgresql","name":"pg","lsn":1000}`},
		{"postgresql lsn beyond int64 text", `{"connector":"postgresql","name":"pg","lsn":9223372036854775807}`, `{"connector":"postgresql","name":"pg","lsn":18446744073709551615}`},
		{"mysql binlog rollover", `{"connector":"mysql","name":"my","file":"mysql-bin.999999","pos":900,"row":0}`, `{"connector":"mysql","name":"my","file":"mysql-bin.1000000","pos":4,"row":0}`},
		{"mysql rows of one event", `{"connector":"mysql","name":"my","file":"mysql-bin.000003","pos":154,"row":0}`, `{"connector":"mysql","name":"my","file":"mysql-bin.000003","pos":154,"row":1}`},
		{"oracle commit order", `{"connector":"oracle","name":"o","scn":"2122190","commit_scn":"2122199"}`, `{"connector":"oracle","name":"o","scn":"2122185","commit_scn":"2122200"}`},
		{"oracle snapshot then stream", `{"connector":"oracle","name":"o","scn":"2122185","snapshot":"true"}`, `{"connector":"oracle","name":"o","scn":"2122186","commit_scn":"2122190"}`},
		{"sqlserver", `{"connector":"sqlserver","name":"ms","commit_lsn":"00000027:00000758:0005","change_lsn":"00000027:00000758:0003","event_serial_no":1}`,
			`{"connector":"sqlserver","name":"ms","commit_lsn":"00000027:00000758:0005","change_lsn":"00000027:00000758:0003","event_serial_no":2}`},
		{"sqlserver snapshot (no change_lsn) first", `{"connector":"sqlserver","name":"ms","commit_lsn":"00000027:00000758:0005","change_lsn":null}`,
			`{"connector":"sqlserver","name":"ms","commit_lsn":"00000027:00000758:0005","change_lsn":"00000027:00000758:0003"}`},
		{"db2 hex digits", `{"connector":"db2","name":"d","commit_lsn":"00000027:00000a9f:0007","change_lsn":"00000027:00000a9f:0002"}`,
			`{"connector":"db2","name":"d","commit_lsn":"00000027:00000AC0:0007","change_lsn":"00000027:00000ac0:0002"}`},
		{"mongodb", `{"connector":"mongodb","name":"m","ts_ms":1000,"ord":9}`, `{"connector":"mongodb","name":"m","ts_ms":1000,"ord":10}`},
		{"copybook", `{"connector":"copybook","name":"mf","file":"MEMBER.D20261101","record":120}`, `{"connector":"copybook","name":"mf","file":"MEMBER.D20261102","record":1}`},
		{"guessed oracle (no connector)", `{"name":"o","scn":"10"}`, `{"name":"o","scn":"11"}`},
	}
	for _, tc := range tests {
		a, b := src(tc.earlier), src(tc.late)
		if c, ok := a.Compare(b); !ok || c != -1 {
			t.Errorf("%s: Compare(earlier, later) = %d, %v (%s vs %s)", tc.name, c, ok, a, b)
		}
		if c, ok := b.Compare(a); !ok || c != 1 {
			t.Errorf("%s: Compare(later, earlier) = %d, %v", tc.name, c, ok)
		}
		if c, ok := a.Compare(a); !ok || c != 0 {
			t.Errorf("%s: a redelivery must compare equal: %d, %v", tc.name, c, ok)
		}
		// The header form round-trips and still compares.
		back, err := ParsePosition(b.String())
		if err != nil {
			t.Fatalf("%s: ParsePosition(%q): %v", tc.name, b, err)
		}
		if c, ok := a.Compare(back); !ok || c != -1 {
			t.Errorf("%s: after a round trip through %q: %d, %v", tc.name, b, c, ok)
		}
	}
	for _, pair := range [][2]string{
		{`{"connector":"postgresql","name":"pg1","lsn":1}`, `{"connector":"postgresql","name":"pg2","lsn":2}`},
		{`{"connector":"postgresql","name":"x","lsn":1}`, `{"connector":"mysql","name":"x","file":"b.1","pos":2}`},
		{`{"connector":"informix","name":"x","lsn":1}`, `{"connector":"informix","name":"x","lsn":2}`},
	} {
		if _, ok := src(pair[0]).Compare(src(pair[1])); ok {
			t.Errorf("%s and %s compared", pair[0], pair[1])
		}
	}
	odd := Position{Connector: "copybook", Server: "a/b", Parts: []PositionPart{{"file", "MEMBER,1=2%/x y"}, {"record", "7"}}}
	if back, err := ParsePosition(odd.String()); err != nil || back.String() != odd.String() || back.Parts[0].Value != "MEMBER,1=2%/x y" {
		t.Errorf("escaping: %q -> %+v, %v", odd.String(), back, err)
	}
	for _, bad := range []string{"x", "a/b", "a/b/c", "a/b/c=%zz"} {
		if _, err := ParsePosition(bad); err == nil {
			t.Errorf("ParsePosition(%q) succeeded", bad)
		}
	}
}
