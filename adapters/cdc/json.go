package cdc

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The package reads JSON with its own small parser rather than
// encoding/json, for three reasons: members keep their order (a row image
// is an ordered list of columns), every value keeps the exact bytes it
// was written with (numbers are never rounded through float64), and
// syntax errors carry a byte offset with a message that never quotes the
// input (encoding/json's do quote a character of it).

type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jObject
	jArray
)

var jkindNames = [...]string{"null", "boolean", "number", "string", "object", "array"}

func (k jkind) String() string { return jkindNames[k] }

// A jval is one parsed JSON value.
type jval struct {
	kind     jkind
	src      []byte // the document
	off, end int    // the value's bytes in src
	text     string // jString: the decoded string; jNumber: the number as written; jBool: "true"/"false"
	members  []jmember
	elems    []*jval
}

type jmember struct {
	name string
	val  *jval
}

// get returns the first member called name of an object, or nil.
func (v *jval) get(name string) *jval {
	if v == nil || v.kind != jObject {
		return nil
	}
	for i := range v.members {
		if v.members[i].name == name {
			return v.members[i].val
		}
	}
	return nil
}

// isNull reports whether v is absent or the JSON null.
func (v *jval) isNull() bool { return v == nil || v.kind == jNull }

// maxDepth bounds nesting, so hostile input cannot exhaust the stack.
const maxDepth = 256

type jparser struct {
	b     []byte
	i     int
	depth int
}

// parseJSON parses b as exactly one JSON value, with optional white space
// around it. Errors are *ParseError with an offset and no input quoted.
func parseJSON(b []byte) (*jval, error) {
	p := &jparser{b: b}
	p.space()
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.b) {
		return nil, p.fail("unexpected data after the JSON value (several values in one record?)")
	}
	return v, nil
}

func (p *jparser) fail(msg string) error {
	if p.i >= len(p.b) && msg == "" {
		msg = "unexpected end of input"
	}
	return syntaxError(p.b, p.i, msg)
}

func (p *jparser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jparser) value() (*jval, error) {
	if p.i >= len(p.b) {
		return nil, p.fail("unexpected end of input, expected a value")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		start := p.i
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &jval{src: p.b, kind: jString, off: start, end: p.i, text: s}, nil
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return p.literal("true", jBool)
	case c == 'f':
		return p.literal("false", jBool)
	case c == 'n':
		return p.literal("null", jNull)
	case c == '.':
		return nil, p.fail("unexpected '.', expected a value (a documentation placeholder such as \"...\"?)")
	case c == '}' || c == ']':
		return nil, p.fail("unexpected end of object or array, expected a value (a trailing comma?)")
	}
	return nil, p.fail("unexpected character, expected a value")
}

func (p *jparser) literal(word string, k jkind) (*jval, error) {
	start := p.i
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return nil, p.fail("invalid literal, expected " + word)
	}
	p.i += len(word)
	return &jval{src: p.b, kind: k, off: start, end: p.i, text: word}, nil
}

func (p *jparser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.fail("nesting deeper than " + strconv.Itoa(maxDepth))
	}
	return nil
}

func (p *jparser) object() (*jval, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	v := &jval{src: p.b, kind: jObject, off: p.i}
	p.i++ // {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		v.end = p.i
		p.depth--
		return v, nil
	}
	var seen map[string]bool
	for {
		p.space()
		if p.i >= len(p.b) {
			return nil, p.fail("unexpected end of input inside an object")
		}
		switch p.b[p.i] {
		case '"':
		case '}':
			return nil, p.fail("unexpected '}' after ',' (a trailing comma?)")
		case '.':
			return nil, p.fail("unexpected '.', expected a member name (a documentation placeholder such as \"{ ... }\"?)")
		default:
			return nil, p.fail("expected a member name in double quotes")
		}
		nameOff := p.i
		name, err := p.str()
		if err != nil {
			return nil, err
		}
		// Duplicate names are ambiguous (readers disagree on which one
		// wins), so they are refused rather than silently resolved.
		if len(v.members) >= 8 && seen == nil {
			seen = make(map[string]bool, 16)
			for _, m := range v.members {
				seen[m.name] = true
			}
		}
		dup := false
		if seen != nil {
			dup = seen[name]
			seen[name] = true
		} else {
			for _, m := range v.members {
				if m.name == name {
					dup = true
					break
				}
			}
		}
		if dup {
			p.i = nameOff
			return nil, p.fail("duplicate member name in an object")
		}
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return nil, p.fail("expected ':' after a member name")
		}
		p.i++
		p.space()
		val, err := p.value()
		if err != nil {
			return nil, err
		}
		v.members = append(v.members, jmember{name: name, val: val})
		p.space()
		if p.i >= len(p.b) {
			return nil, p.fail("unexpected end of input inside an object")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			v.end = p.i
			p.depth--
			return v, nil
		default:
			return nil, p.fail("expected ',' or '}' after an object member")
		}
	}
}

func (p *jparser) array() (*jval, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	v := &jval{src: p.b, kind: jArray, off: p.i}
	p.i++ // [
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		v.end = p.i
		p.depth--
		return v, nil
	}
	for {
		p.space()
		e, err := p.value()
		if err != nil {
			return nil, err
		}
		v.elems = append(v.elems, e)
		p.space()
		if p.i >= len(p.b) {
			return nil, p.fail("unexpected end of input inside an array")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			v.end = p.i
			p.depth--
			return v, nil
		default:
			return nil, p.fail("expected ',' or ']' after an array element")
		}
	}
}

func (p *jparser) number() (*jval, error) {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.b) && p.b[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return nil, p.fail("invalid number")
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, p.fail("invalid number: no digits after the decimal point")
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, p.fail("invalid number: no digits in the exponent")
		}
	}
	return &jval{src: p.b, kind: jNumber, off: start, end: p.i, text: string(p.b[start:p.i])}, nil
}

// str reads a string starting at the opening quote and returns its
// decoded content. Invalid UTF-8 is kept as it is: the bytes are the
// source's, and this parser does not judge them.
func (p *jparser) str() (string, error) {
	p.i++ // "
	start := p.i
	// Fast path: no escapes.
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '"' {
			s := string(p.b[start:p.i])
			p.i++
			return s, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		p.i++
	}
	buf := append([]byte(nil), p.b[start:p.i]...)
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c < 0x20:
			return "", p.fail("control character in a string (unescaped line break?)")
		case c == '\\':
			if p.i+1 >= len(p.b) {
				return "", p.fail("unexpected end of input in a string escape")
			}
			e := p.b[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.fail("invalid \\u escape in a string")
				}
				if utf16.IsSurrogate(r) {
					// A high surrogate takes the low one that follows;
					// a lone surrogate becomes U+FFFD, as encoding/json does.
					save := p.i
					if p.i+1 < len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
						p.i += 2
						if r2, ok := p.hex4(); ok {
							if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
								buf = utf8.AppendRune(buf, d)
								continue
							}
						}
					}
					p.i = save
					r = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, r)
			default:
				p.i -= 2 // at the backslash
				return "", p.fail("invalid escape in a string")
			}
		default:
			buf = append(buf, c)
			p.i++
		}
	}
	return "", p.fail("unexpected end of input inside a string")
}

func (p *jparser) hex4() (rune, bool) {
	if len(p.b)-p.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.b[p.i : p.i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	p.i += 4
	return r, true
}

// appendCanonical appends v in a canonical form: no white space, object
// members sorted by name, strings re-escaped the one way appendJSONString
// does, numbers as written. Equal canonical forms mean equal values for
// the purpose of partitioning (keys written with or without white space,
// or with members in another order, land together).
func appendCanonical(dst []byte, v *jval) []byte {
	switch v.kind {
	case jString:
		return appendJSONString(dst, v.text)
	case jObject:
		idx := make([]int, len(v.members))
		for i := range idx {
			idx[i] = i
		}
		// Insertion sort: keys have few members.
		for i := 1; i < len(idx); i++ {
			for j := i; j > 0 && v.members[idx[j]].name < v.members[idx[j-1]].name; j-- {
				idx[j], idx[j-1] = idx[j-1], idx[j]
			}
		}
		dst = append(dst, '{')
		for n, i := range idx {
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, v.members[i].name)
			dst = append(dst, ':')
			dst = appendCanonical(dst, v.members[i].val)
		}
		return append(dst, '}')
	case jArray:
		dst = append(dst, '[')
		for i, e := range v.elems {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendCanonical(dst, e)
		}
		return append(dst, ']')
	}
	return append(dst, v.text...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaping only what JSON
// requires (not '<', '>' and '&', as encoding/json does): the output is
// read by programs, not browsers.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
