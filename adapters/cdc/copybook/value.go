package copybook

import (
	"encoding/json"
	"unicode/utf8"
)

// Kind is the kind of a decoded [Value].
type Kind uint8

// The kinds of values.
const (
	KindNull   Kind = iota // absent (beyond a short record), blank, or invalid under InvalidNull
	KindString             // text, trimmed per [Config.Trim]
	KindNumber             // an exact decimal, e.g. "-12.50"
	KindFloat              // a COMP-1 or COMP-2 value, as its shortest decimal
	KindGroup              // a group item: Fields
	KindArray              // a table: Elems
)

var kindNames = [...]string{"null", "string", "number", "float", "group", "array"}

// String returns the kind's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(?)"
}

// A Value is a decoded item. Numbers keep their exact decimal text: use
// [Value.Number] or parse Text with math/big; never go through float64
// unless the value is a KindFloat.
type Value struct {
	Kind   Kind
	Text   string   // KindString, KindNumber, KindFloat
	Fields []Member // KindGroup, in copybook order
	Elems  []Value  // KindArray
}

// A Member is a named item of a group value.
type Member struct {
	Name  string
	Value Value
}

// Get returns the member called name of a group value.
func (v Value) Get(name string) (Value, bool) {
	for _, m := range v.Fields {
		if m.Name == name {
			return m.Value, true
		}
	}
	return Value{}, false
}

// Number returns the value of a KindNumber or KindFloat as a
// json.Number, exact; "" for other kinds.
func (v Value) Number() json.Number {
	if v.Kind == KindNumber || v.Kind == KindFloat {
		return json.Number(v.Text)
	}
	return ""
}

// MarshalJSON writes the value as [Decoder.AppendJSON] does.
func (v Value) MarshalJSON() ([]byte, error) {
	return v.appendJSON(nil), nil
}

func (v Value) appendJSON(b []byte) []byte {
	switch v.Kind {
	case KindString:
		return appendString(b, v.Text)
	case KindNumber, KindFloat:
		return append(b, v.Text...)
	case KindGroup:
		b = append(b, '{')
		for i, m := range v.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, m.Name)
			b = append(b, ':')
			b = m.Value.appendJSON(b)
		}
		return append(b, '}')
	case KindArray:
		b = append(b, '[')
		for i, e := range v.Elems {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.appendJSON(b)
		}
		return append(b, ']')
	}
	return append(b, "null"...)
}

// A sink receives a record's values in order.
type sink interface {
	beginObject(n *node, elem bool)
	endObject()
	beginArray(n *node)
	endArray()
	value(n *node, elem bool, k Kind, text []byte)
}

// jsonSink writes JSON straight into a byte slice.
type jsonSink struct {
	buf []byte
}

// sep writes the comma before a member or element unless it is the
// first in its object or array.
func (j *jsonSink) sep() {
	if l := len(j.buf); l > 0 {
		if c := j.buf[l-1]; c != '{' && c != '[' {
			j.buf = append(j.buf, ',')
		}
	}
}

func (j *jsonSink) beginObject(n *node, elem bool) {
	if n.item.Parent != nil || elem {
		j.sep()
		if !elem {
			j.buf = append(j.buf, n.key...)
		}
	}
	j.buf = append(j.buf, '{')
}

func (j *jsonSink) endObject() { j.buf = append(j.buf, '}') }

func (j *jsonSink) beginArray(n *node) {
	j.sep()
	j.buf = append(j.buf, n.key...)
	j.buf = append(j.buf, '[')
}

func (j *jsonSink) endArray() { j.buf = append(j.buf, ']') }

func (j *jsonSink) value(n *node, elem bool, k Kind, text []byte) {
	j.sep()
	if !elem {
		j.buf = append(j.buf, n.key...)
	}
	switch k {
	case KindString:
		j.buf = appendString(j.buf, text)
	case KindNumber, KindFloat:
		j.buf = append(j.buf, text...)
	default:
		j.buf = append(j.buf, "null"...)
	}
}

// treeSink builds a Value.
type treeSink struct {
	stack []Value
	names []string
}

func (t *treeSink) push(v Value, name string) {
	t.stack = append(t.stack, v)
	t.names = append(t.names, name)
}

func (t *treeSink) add(name string, v Value) {
	top := &t.stack[len(t.stack)-1]
	if top.Kind == KindArray {
		top.Elems = append(top.Elems, v)
	} else {
		top.Fields = append(top.Fields, Member{Name: name, Value: v})
	}
}

func (t *treeSink) pop() {
	if len(t.stack) == 1 {
		return // the record itself stays as the result
	}
	v, name := t.stack[len(t.stack)-1], t.names[len(t.names)-1]
	t.stack, t.names = t.stack[:len(t.stack)-1], t.names[:len(t.names)-1]
	t.add(name, v)
}

func (t *treeSink) beginObject(n *node, _ bool) { t.push(Value{Kind: KindGroup}, n.name) }
func (t *treeSink) endObject()                  { t.pop() }
func (t *treeSink) beginArray(n *node)          { t.push(Value{Kind: KindArray}, n.name) }
func (t *treeSink) endArray()                   { t.pop() }

func (t *treeSink) value(n *node, _ bool, k Kind, text []byte) {
	t.add(n.name, Value{Kind: k, Text: string(text)})
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. s is valid UTF-8 (decoded
// through a code page); any invalid byte is written as U+FFFD.
func appendString[S string | []byte](b []byte, s S) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x80 {
			i++
			continue
		}
		if c >= 0x80 {
			r, size := utf8.DecodeRuneInString(string(s[i:min(i+4, len(s))]))
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
			i++
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
