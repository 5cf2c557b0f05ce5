package fromcdc

import (
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/tributary-health/tributary/adapters/cdc"
)

// A value is a column's value on its way through the transforms: its
// text, and what the event said it was (a Debezium Date or Timestamp
// keeps its decoded time until a text transform changes it).
type value struct {
	text  string
	kind  cdc.Kind // KindString once a transform rewrote the text
	t     time.Time
	zoned bool
}

// A transform rewrites a present value; ok false drops it (nullIf, a
// map's empty default).
type transform interface {
	apply(v value, loc *time.Location) (out value, ok bool, err error)
}

type textFunc struct {
	name string
	fn   func(string) string
}

func (t textFunc) apply(v value, _ *time.Location) (value, bool, error) {
	s := t.fn(v.text)
	if s == "" {
		return value{}, false, nil
	}
	if s == v.text {
		return v, true, nil // a Date stays a Date through trim
	}
	return value{text: s, kind: cdc.KindString}, true, nil
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

var textTransforms = map[string]func(string) string{
	"trim":   strings.TrimSpace,
	"upper":  strings.ToUpper,
	"lower":  strings.ToLower,
	"digits": digitsOnly,
	"title":  title,
}

// title capitalizes each word: the first letter after anything but a
// letter (QUINTANA-REYES → Quintana-Reyes, O'BRIEN → O'Brien).
func title(s string) string {
	var b strings.Builder
	prev := ' '
	for _, r := range s {
		if unicode.IsLetter(prev) {
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(unicode.ToUpper(r))
		}
		prev = r
	}
	return b.String()
}

// mapTransform looks codes up in an inline table.
type mapTransform struct {
	table      map[string]string
	def        string
	hasDefault bool
}

// ErrUnmapped: a code lookup had no entry for the value and no default.
var ErrUnmapped = errors.New("value not in the map and no default")

func (t mapTransform) apply(v value, _ *time.Location) (value, bool, error) {
	out, ok := t.table[v.text]
	if !ok {
		if !t.hasDefault {
			return value{}, false, ErrUnmapped
		}
		out = t.def
	}
	if out == "" {
		return value{}, false, nil
	}
	return value{text: out, kind: cdc.KindString}, true, nil
}

type nullIf []string

func (t nullIf) apply(v value, _ *time.Location) (value, bool, error) {
	for _, s := range t {
		if v.text == s || numEqual(v.text, s) {
			return value{}, false, nil
		}
	}
	return v, true, nil
}

// numEqual compares decimal texts by value (00000000 and 0), so that
// nullIf ["0"] catches a zero date however many digits it was written with.
func numEqual(a, b string) bool {
	x, ok1 := canonDecimal(a)
	y, ok2 := canonDecimal(b)
	return ok1 && ok2 && x == y
}

type affix struct{ prefix, suffix string }

func (t affix) apply(v value, _ *time.Location) (value, bool, error) {
	return value{text: t.prefix + v.text + t.suffix, kind: cdc.KindString}, true, nil
}

type substr struct{ start, length int }

func (t substr) apply(v value, _ *time.Location) (value, bool, error) {
	r := []rune(v.text)
	if t.start >= len(r) {
		return value{}, false, nil
	}
	end := len(r)
	if t.length > 0 && t.start+t.length < end {
		end = t.start + t.length
	}
	s := string(r[t.start:end])
	if s == "" {
		return value{}, false, nil
	}
	return value{text: s, kind: cdc.KindString}, true, nil
}

type zeroPad int

func (t zeroPad) apply(v value, _ *time.Location) (value, bool, error) {
	s := v.text
	if n := int(t) - len(s); n > 0 {
		s = strings.Repeat("0", n) + s
	}
	return value{text: s, kind: cdc.KindString}, true, nil
}

// scale moves the decimal point left: an implied-decimal number held as
// an integer (1234567 with scale 2 is 12345.67), exactly.
type scale int

// ErrNotNumber: a decimal transform or type met a value that is not a
// decimal number.
var ErrNotNumber = errors.New("not a decimal number")

func (t scale) apply(v value, _ *time.Location) (value, bool, error) {
	s, ok := canonDecimal(v.text)
	if !ok {
		return value{}, false, ErrNotNumber
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	digits := intPart + frac
	point := len(intPart) - int(t)
	for point < 1 {
		digits = "0" + digits
		point++
	}
	out := digits[:point]
	if point < len(digits) {
		out += "." + digits[point:]
	}
	out, _ = canonDecimal(out)
	if neg && strings.Trim(out, "0.") != "" {
		out = "-" + out
	}
	return value{text: out, kind: cdc.KindNumber}, true, nil
}

// canonDecimal checks that s is a decimal number (an optional sign,
// digits, an optional fraction) and returns it without a plus sign or
// leading zeros, keeping the fraction's digits: precision is meaning for
// money ("12.50" stays "12.50").
func canonDecimal(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	intPart, frac, hasPoint := strings.Cut(s, ".")
	if intPart == "" && frac == "" || hasPoint && frac == "" {
		return "", false
	}
	for _, p := range []string{intPart, frac} {
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return "", false
			}
		}
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	out := intPart
	if hasPoint {
		out += "." + frac
	}
	if neg && strings.Trim(out, "0.") != "" {
		out = "-" + out
	}
	return out, true
}

// parseTransform reads one entry of a transforms list: a name
// ("trim") or an object with one operation ({"date": "CCYYMMDD"}; a map
// may add "default").
func parseTransform(raw json.RawMessage, loc string) (transform, error) {
	var name string
	if json.Unmarshal(raw, &name) == nil {
		if fn, ok := textTransforms[name]; ok {
			return textFunc{name, fn}, nil
		}
		switch name {
		case "date":
			return dateTransform{}, nil
		case "dateTime":
			return dateTransform{dateTime: true}, nil
		}
		return nil, mapErr(loc, "unknown transform %q", name)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, mapErr(loc, "want a transform name or an object")
	}
	def, hasDef := obj["default"]
	delete(obj, "default")
	if len(obj) != 1 {
		return nil, mapErr(loc, "want one operation per transform object")
	}
	var op string
	var arg json.RawMessage
	for k, v := range obj {
		op, arg = k, v
	}
	if hasDef && op != "map" {
		return nil, mapErr(loc+".default", "default applies only to map")
	}
	bad := func(want string) error { return mapErr(loc+"."+op, "want %s", want) }
	switch op {
	case "map":
		t := mapTransform{}
		if err := json.Unmarshal(arg, &t.table); err != nil || t.table == nil {
			return nil, bad("an object of strings")
		}
		if hasDef {
			if err := json.Unmarshal(def, &t.def); err != nil {
				return nil, mapErr(loc+".default", "want a string")
			}
			t.hasDefault = true
		}
		return t, nil
	case "date", "dateTime":
		var f string
		if err := json.Unmarshal(arg, &f); err != nil {
			return nil, bad("a format string")
		}
		df, err := parseDateFormat(f)
		if err != nil {
			return nil, &MappingError{Loc: loc + "." + op, Err: err}
		}
		if op == "date" && df.hasTime() {
			return nil, mapErr(loc+".date", "a date format has no time of day (use dateTime)")
		}
		return dateTransform{format: df, dateTime: op == "dateTime"}, nil
	case "nullIf":
		var l []string
		if err := json.Unmarshal(arg, &l); err != nil {
			return nil, bad("an array of strings")
		}
		return nullIf(l), nil
	case "prefix", "suffix":
		var s string
		if err := json.Unmarshal(arg, &s); err != nil {
			return nil, bad("a string")
		}
		if op == "prefix" {
			return affix{prefix: s}, nil
		}
		return affix{suffix: s}, nil
	case "substr":
		var l []int
		if err := json.Unmarshal(arg, &l); err != nil || len(l) != 2 || l[0] < 0 || l[1] < 0 {
			return nil, bad("[start, length] (from 0; length 0 means to the end)")
		}
		return substr{l[0], l[1]}, nil
	case "zeroPad":
		var n int
		if err := json.Unmarshal(arg, &n); err != nil || n < 1 || n > 64 {
			return nil, bad("a width from 1 to 64")
		}
		return zeroPad(n), nil
	case "scale":
		var n int
		if err := json.Unmarshal(arg, &n); err != nil || n < 0 || n > 18 {
			return nil, bad("a number of decimal places from 0 to 18")
		}
		return scale(n), nil
	}
	return nil, mapErr(loc, "unknown transform %q", op)
}
