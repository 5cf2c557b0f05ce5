package cdc

import (
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Kind is the kind of a column [Value].
type Kind uint8

// The kinds of values. Date, Time and Timestamp are only produced when
// the event's schema names a temporal logical type; without a schema the
// same column is a Number or String, as written.
const (
	KindNull      Kind = iota
	KindBool           // Text "true" or "false"
	KindNumber         // Text: the exact decimal, as written or decoded from a Decimal
	KindString         // Text: the string
	KindBytes          // Text: the base64 as written; see [Value.Bytes]
	KindDate           // Text "2006-01-02"
	KindTime           // Text "15:04:05.000000" (fraction digits of the unit), or as written when zoned
	KindTimestamp      // Text "2006-01-02T15:04:05.000000" (unzoned), or as written (RFC 3339) when zoned
	KindStruct         // Fields
	KindArray          // Elems
	KindMap            // a Connect map: kept as Raw
)

var kindNames = [...]string{"null", "bool", "number", "string", "bytes", "date", "time", "timestamp", "struct", "array", "map"}

// String returns the kind's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// A Value is one column of a row image (or a field of a struct column).
// Raw always holds the bytes exactly as the event wrote them; Text holds
// the decoded value for the Kind. Numbers are never converted to
// float64: use [Value.Number].
type Value struct {
	Kind Kind
	Text string
	// Raw is the value's JSON exactly as in the event. It shares memory
	// with the bytes given to Parse: copy it to keep it past them.
	Raw json.RawMessage
	// Logical is the schema's semantic type name, e.g.
	// "io.debezium.time.MicroTimestamp"; "" without a schema.
	Logical string
	// Zoned is true for a Timestamp or Time that carries its offset
	// (ZonedTimestamp, ZonedTime). An unzoned Timestamp is a wall-clock
	// time in the database's zone, which the event does not say:
	// [Value.In] places it in the zone configured for the source.
	Zoned  bool
	Fields Row     // KindStruct
	Elems  []Value // KindArray

	t time.Time
}

// Number returns the value of a KindNumber as an exact json.Number; ""
// for other kinds.
func (v Value) Number() json.Number {
	if v.Kind == KindNumber {
		return json.Number(v.Text)
	}
	return ""
}

// Time returns the instant of a KindTimestamp (for an unzoned one, its
// wall clock read as UTC), the midnight UTC of a KindDate, or the time
// of day of a KindTime on 0000-01-01 (UTC, or its offset when zoned);
// the zero time for other kinds.
func (v Value) Time() time.Time { return v.t }

// In returns an unzoned KindTimestamp's wall-clock time placed in loc
// (the zone of the source database); other values' Time unchanged.
func (v Value) In(loc *time.Location) time.Time {
	if v.Kind != KindTimestamp || v.Zoned || loc == nil {
		return v.t
	}
	t := v.t
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
}

// Bytes decodes a KindBytes value; nil for other kinds.
func (v Value) Bytes() []byte {
	if v.Kind != KindBytes {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(v.Text)
	if err != nil {
		return nil // checked when parsed
	}
	return b
}

// A Row is a row image (before, after, a key) or a struct: its columns
// in the order the event wrote them.
type Row []Column

// A Column is one named value of a [Row].
type Column struct {
	Name  string
	Value Value
}

// Get returns the column called name.
func (r Row) Get(name string) (Value, bool) {
	for i := range r {
		if r[i].Name == name {
			return r[i].Value, true
		}
	}
	return Value{}, false
}

// Names returns the column names in order.
func (r Row) Names() []string {
	out := make([]string, len(r))
	for i := range r {
		out[i] = r[i].Name
	}
	return out
}

// A schema is a Kafka Connect schema as the JsonConverter writes it.
type schema struct {
	typ      string // "int32", "string", "bytes", "struct", "array", "map", ...
	name     string // the logical (semantic) type, e.g. "io.debezium.time.Date"
	params   map[string]string
	fields   []*schema // struct fields in order
	field    string    // this schema's name in its struct
	items    *schema   // array
	optional bool
}

func (s *schema) fieldNamed(name string) *schema {
	if s == nil {
		return nil
	}
	for _, f := range s.fields {
		if f.field == name {
			return f
		}
	}
	return nil
}

// parseSchema reads a Connect schema. A missing or null schema is nil.
func parseSchema(j *jval, p path) (*schema, error) {
	if j.isNull() {
		return nil, nil
	}
	if j.kind != jObject {
		return nil, fieldError(p, ErrField, "a schema must be an object")
	}
	s := &schema{}
	str := func(name string) (string, error) {
		v := j.get(name)
		if v.isNull() {
			return "", nil
		}
		if v.kind != jString {
			return "", fieldError(p.child(name), ErrField, "want a string")
		}
		return v.text, nil
	}
	var err error
	if s.typ, err = str("type"); err != nil {
		return nil, err
	}
	if s.name, err = str("name"); err != nil {
		return nil, err
	}
	if s.field, err = str("field"); err != nil {
		return nil, err
	}
	if o := j.get("optional"); o != nil && o.kind == jBool {
		s.optional = o.text == "true"
	}
	if ps := j.get("parameters"); !ps.isNull() {
		if ps.kind != jObject {
			return nil, fieldError(p.child("parameters"), ErrField, "want an object")
		}
		s.params = make(map[string]string, len(ps.members))
		for _, m := range ps.members {
			if m.val.kind == jString || m.val.kind == jNumber {
				s.params[m.name] = m.val.text
			}
		}
	}
	if fs := j.get("fields"); !fs.isNull() {
		fp := p.child("fields")
		if fs.kind != jArray {
			return nil, fieldError(fp, ErrField, "want an array")
		}
		for i, f := range fs.elems {
			ep := fp.elem(i)
			fsch, err := parseSchema(f, ep)
			if err != nil {
				return nil, err
			}
			if fsch == nil || fsch.field == "" {
				return nil, fieldError(ep, ErrField, "a struct field's schema needs a \"field\" name")
			}
			s.fields = append(s.fields, fsch)
		}
	}
	if it := j.get("items"); !it.isNull() {
		if s.items, err = parseSchema(it, p.child("items")); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Semantic type names of Kafka Connect and Debezium that change how a
// value is read.
const (
	logicalDecimal         = "org.apache.kafka.connect.data.Decimal"
	logicalConnectDate     = "org.apache.kafka.connect.data.Date"
	logicalConnectTime     = "org.apache.kafka.connect.data.Time"
	logicalConnectTs       = "org.apache.kafka.connect.data.Timestamp"
	logicalVariableDecimal = "io.debezium.data.VariableScaleDecimal"
	logicalDate            = "io.debezium.time.Date"
	logicalTime            = "io.debezium.time.Time"
	logicalMicroTime       = "io.debezium.time.MicroTime"
	logicalNanoTime        = "io.debezium.time.NanoTime"
	logicalTimestamp       = "io.debezium.time.Timestamp"
	logicalMicroTimestamp  = "io.debezium.time.MicroTimestamp"
	logicalNanoTimestamp   = "io.debezium.time.NanoTimestamp"
	logicalZonedTimestamp  = "io.debezium.time.ZonedTimestamp"
	logicalZonedTime       = "io.debezium.time.ZonedTime"
)

// decodeRow reads an object as a row: each member a column, decoded with
// its field schema when s (a struct schema) has one.
func decodeRow(j *jval, s *schema, p path) (Row, error) {
	if j.kind != jObject {
		return nil, fieldError(p, ErrField, "want an object, got "+j.kind.String())
	}
	row := make(Row, 0, len(j.members))
	for _, m := range j.members {
		v, err := decodeValue(m.val, s.fieldNamed(m.name), p.child(m.name))
		if err != nil {
			return nil, err
		}
		row = append(row, Column{Name: m.name, Value: v})
	}
	return row, nil
}

// decodeValue reads one value, following its schema s when there is one.
func decodeValue(j *jval, s *schema, p path) (Value, error) {
	v := Value{Raw: json.RawMessage(j.raw())}
	if s != nil {
		v.Logical = s.name
	}
	if j.kind == jNull {
		v.Kind = KindNull
		return v, nil
	}
	if s != nil {
		switch s.name {
		case logicalDecimal:
			return decimalValue(v, j, s, p)
		case logicalVariableDecimal:
			return variableDecimal(v, j, p)
		case logicalDate, logicalConnectDate:
			return dateValue(v, j, p)
		case logicalTime, logicalConnectTime:
			return timeOfDay(v, j, p, time.Millisecond)
		case logicalMicroTime:
			return timeOfDay(v, j, p, time.Microsecond)
		case logicalNanoTime:
			return timeOfDay(v, j, p, time.Nanosecond)
		case logicalTimestamp, logicalConnectTs:
			return timestamp(v, j, p, time.Millisecond)
		case logicalMicroTimestamp:
			return timestamp(v, j, p, time.Microsecond)
		case logicalNanoTimestamp:
			return timestamp(v, j, p, time.Nanosecond)
		case logicalZonedTimestamp:
			return zoned(v, j, p, time.RFC3339Nano, KindTimestamp)
		case logicalZonedTime:
			return zoned(v, j, p, "15:04:05.999999999Z07:00", KindTime)
		}
		return typedValue(v, j, s, p)
	}
	return untypedValue(v, j, p)
}

// raw returns the value's bytes as written.
func (v *jval) raw() []byte { return v.src[v.off:v.end] }

func typedValue(v Value, j *jval, s *schema, p path) (Value, error) {
	want := func(k jkind) error {
		if j.kind != k {
			return fieldError(p, ErrField, "schema type "+s.typ+" wants a JSON "+k.String()+", got "+j.kind.String())
		}
		return nil
	}
	switch s.typ {
	case "int8", "int16", "int32", "int64":
		if err := want(jNumber); err != nil {
			return v, err
		}
		if strings.ContainsAny(j.text, ".eE") {
			return v, fieldError(p, ErrField, "schema type "+s.typ+" wants an integer")
		}
		v.Kind, v.Text = KindNumber, j.text
	case "float32", "float64", "float", "double":
		if err := want(jNumber); err != nil {
			return v, err
		}
		v.Kind, v.Text = KindNumber, j.text
	case "boolean":
		if err := want(jBool); err != nil {
			return v, err
		}
		v.Kind, v.Text = KindBool, j.text
	case "string":
		if err := want(jString); err != nil {
			return v, err
		}
		v.Kind, v.Text = KindString, j.text
	case "bytes":
		if err := want(jString); err != nil {
			return v, err
		}
		if _, err := base64.StdEncoding.DecodeString(j.text); err != nil {
			return v, fieldError(p, ErrField, "bytes: not base64")
		}
		v.Kind, v.Text = KindBytes, j.text
	case "struct":
		if err := want(jObject); err != nil {
			return v, err
		}
		row, err := decodeRow(j, s, p)
		if err != nil {
			return v, err
		}
		v.Kind, v.Fields = KindStruct, row
	case "array":
		if err := want(jArray); err != nil {
			return v, err
		}
		v.Kind = KindArray
		for i, e := range j.elems {
			ev, err := decodeValue(e, s.items, p.elem(i))
			if err != nil {
				return v, err
			}
			v.Elems = append(v.Elems, ev)
		}
	case "map":
		if j.kind != jObject && j.kind != jArray {
			return v, fieldError(p, ErrField, "schema type map wants a JSON object or array")
		}
		v.Kind = KindMap
	default:
		// A type this package does not know: keep it as the JSON says.
		return untypedValue(v, j, p)
	}
	return v, nil
}

func untypedValue(v Value, j *jval, p path) (Value, error) {
	switch j.kind {
	case jBool:
		v.Kind, v.Text = KindBool, j.text
	case jNumber:
		v.Kind, v.Text = KindNumber, j.text
	case jString:
		v.Kind, v.Text = KindString, j.text
	case jObject:
		row, err := decodeRow(j, nil, p)
		if err != nil {
			return v, err
		}
		v.Kind, v.Fields = KindStruct, row
	case jArray:
		v.Kind = KindArray
		for i, e := range j.elems {
			ev, err := decodeValue(e, nil, p.elem(i))
			if err != nil {
				return v, err
			}
			v.Elems = append(v.Elems, ev)
		}
	}
	return v, nil
}

// maxScale bounds decimal scales, so a hostile schema cannot make the
// decoder write a million zeros.
const maxScale = 1000

// decimalValue reads a Connect Decimal: base64 of the big-endian two's
// complement unscaled value, with the scale in the schema's parameters
// (decimal.handling.mode=precise). A JSON number is taken as written
// (the converter's decimal.format=NUMERIC).
func decimalValue(v Value, j *jval, s *schema, p path) (Value, error) {
	if j.kind == jNumber {
		v.Kind, v.Text = KindNumber, j.text
		return v, nil
	}
	if j.kind != jString {
		return v, fieldError(p, ErrField, "Decimal wants a base64 string or a number, got "+j.kind.String())
	}
	scale, err := strconv.Atoi(s.params["scale"])
	if err != nil || scale < -maxScale || scale > maxScale {
		return v, fieldError(p, ErrField, "Decimal: the schema has no valid scale parameter")
	}
	text, ok := decimalText(j.text, scale)
	if !ok {
		return v, fieldError(p, ErrField, "Decimal: not base64 of an unscaled integer")
	}
	v.Kind, v.Text = KindNumber, text
	return v, nil
}

// variableDecimal reads io.debezium.data.VariableScaleDecimal, a struct
// {scale, value} used for NUMERIC columns without a fixed scale.
func variableDecimal(v Value, j *jval, p path) (Value, error) {
	if j.kind != jObject {
		return v, fieldError(p, ErrField, "VariableScaleDecimal wants an object, got "+j.kind.String())
	}
	sc, val := j.get("scale"), j.get("value")
	if sc == nil || sc.kind != jNumber {
		return v, fieldError(p.child("scale"), ErrField, "want an integer")
	}
	scale, err := strconv.Atoi(sc.text)
	if err != nil || scale < -maxScale || scale > maxScale {
		return v, fieldError(p.child("scale"), ErrField, "want an integer within ±1000")
	}
	if val == nil || val.kind != jString {
		return v, fieldError(p.child("value"), ErrField, "want a base64 string")
	}
	text, ok := decimalText(val.text, scale)
	if !ok {
		return v, fieldError(p.child("value"), ErrField, "not base64 of an unscaled integer")
	}
	v.Kind, v.Text = KindNumber, text
	return v, nil
}

// decimalText turns base64 two's complement bytes and a scale into the
// exact decimal text.
func decimalText(b64 string, scale int) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) == 0 || len(b) > 4096 {
		return "", false
	}
	n := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return scaleDecimal(n.String(), scale), true
}

// scaleDecimal places the decimal point: "-12345", 2 → "-123.45".
func scaleDecimal(digits string, scale int) string {
	neg := strings.HasPrefix(digits, "-")
	digits = strings.TrimPrefix(digits, "-")
	switch {
	case scale < 0:
		if digits != "0" {
			digits += strings.Repeat("0", -scale)
		}
	case scale > 0:
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// The range of dates and times this package writes: years 1 to 9999,
// which every consumer (FHIR, PostgreSQL, RFC 3339) can hold.
var (
	minTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

func integer(j *jval, p path, what string) (int64, error) {
	if j.kind != jNumber {
		return 0, fieldError(p, ErrField, what+" wants an integer, got "+j.kind.String())
	}
	n, err := strconv.ParseInt(j.text, 10, 64)
	if err != nil {
		return 0, fieldError(p, ErrField, what+" wants a 64-bit integer")
	}
	return n, nil
}

func dateValue(v Value, j *jval, p path) (Value, error) {
	days, err := integer(j, p, "Date")
	if err != nil {
		return v, err
	}
	const lo, hi = -719162, 2932896 // 0001-01-01, 9999-12-31
	if days < lo || days > hi {
		return v, fieldError(p, ErrField, "Date: days since 1970-01-01 out of range (years 1-9999)")
	}
	v.t = time.Unix(days*86400, 0).UTC()
	v.Kind, v.Text = KindDate, v.t.Format(time.DateOnly)
	return v, nil
}

// fraction returns the layout of a fraction of the unit's digits.
func fraction(unit time.Duration) string {
	switch unit {
	case time.Millisecond:
		return ".000"
	case time.Microsecond:
		return ".000000"
	}
	return ".000000000"
}

func timeOfDay(v Value, j *jval, p path, unit time.Duration) (Value, error) {
	n, err := integer(j, p, "Time")
	if err != nil {
		return v, err
	}
	day := int64(24 * time.Hour / unit)
	if n < 0 || n >= day {
		return v, fieldError(p, ErrField, "Time: out of range for a time of day")
	}
	v.t = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * unit)
	v.Kind, v.Text = KindTime, v.t.Format("15:04:05"+fraction(unit))
	return v, nil
}

func timestamp(v Value, j *jval, p path, unit time.Duration) (Value, error) {
	n, err := integer(j, p, "Timestamp")
	if err != nil {
		return v, err
	}
	var t time.Time
	switch unit {
	case time.Millisecond:
		t = time.UnixMilli(n)
	case time.Microsecond:
		t = time.UnixMicro(n)
	default:
		t = time.Unix(0, n)
	}
	t = t.UTC()
	if t.Before(minTime) || t.After(maxTime) {
		return v, fieldError(p, ErrField, "Timestamp: out of range (years 1-9999)")
	}
	v.t = t
	v.Kind, v.Text = KindTimestamp, t.Format("2006-01-02T15:04:05"+fraction(unit))
	return v, nil
}

func zoned(v Value, j *jval, p path, layout string, k Kind) (Value, error) {
	if j.kind != jString {
		return v, fieldError(p, ErrField, v.Logical+" wants a string, got "+j.kind.String())
	}
	t, err := time.Parse(layout, j.text)
	if err != nil {
		return v, fieldError(p, ErrField, "not an ISO 8601 time with an offset")
	}
	v.t = t
	v.Kind, v.Text, v.Zoned = k, j.text, true
	return v, nil
}
