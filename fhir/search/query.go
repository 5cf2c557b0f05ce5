package search

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Page sizes and limits of a [Query].
const (
	// DefaultCount is the page size when _count is absent (HAPI's default).
	DefaultCount = 20
	// MaxCount caps _count; a larger value is lowered to it, as FHIR lets a
	// server return fewer results than asked for.
	MaxCount = 1000
	// MaxValues caps the values of one query, over all its parameters,
	// so that a query string cannot make the store run an unbounded query.
	MaxValues = 100
)

// Names of the result parameters [Parse] understands besides the search
// parameters of [Params].
const (
	ParamCount  = "_count"
	ParamTotal  = "_total"
	ParamCursor = "_cursor" // Tributary's paging parameter; its value is opaque
)

// Errors of [Parse], wrapped in an [*Error] that names the parameter.
var (
	// ErrUnsupported: the parameter, or its modifier, is unknown or not
	// supported for the resource type (ignored under [Lenient]).
	ErrUnsupported = errors.New("not supported")
	// ErrInvalid: the value does not have the syntax the parameter needs.
	ErrInvalid = errors.New("invalid value")
)

// An Error says which query parameter [Parse] rejected, and why. It never
// holds the parameter's value.
type Error struct {
	Param string // as written in the query, with its modifier, e.g. "identifier:text"
	Err   error  // wraps ErrUnsupported or ErrInvalid
}

// Error returns "search: parameter <name>: <reason>".
func (e *Error) Error() string {
	return "search: parameter " + strconv.Quote(e.Param) + ": " + e.Err.Error()
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// Handling says what [Parse] does with parameters it does not support, as
// the FHIR Prefer header's handling preference does.
type Handling uint8

const (
	// Strict rejects unknown and unsupported parameters with an [*Error].
	// It is the default: a client that gets a 400 learns that its search
	// was not what it asked for, instead of receiving wider results. HAPI's
	// JPA server behaves this way, and Inferno sends only supported
	// parameters.
	Strict Handling = iota
	// Lenient ignores unknown and unsupported parameters; the canonical
	// form of the query ([Query.Values], the Bundle's self link) then shows
	// what was applied. Invalid values of supported parameters are still
	// errors.
	Lenient
)

// Total says whether a search counts all its matches.
type Total uint8

const (
	// TotalAccurate counts the matches (the default; _total=accurate, and
	// _total=estimate, which has no cheaper implementation here).
	TotalAccurate Total = iota
	// TotalNone skips counting (_total=none).
	TotalNone
)

// A Query is a parsed search of one resource type: the resources that match
// every clause, in pages of Count.
type Query struct {
	Type    string
	Clauses []Clause // all must match
	// Count is the page size, 0 to MaxCount. [Parse] sets DefaultCount
	// when _count is absent; 0 asks for the total alone.
	Count  int
	Total  Total
	Cursor string // from a previous page's next link; "" for the first page
}

// A Clause is one occurrence of a parameter in a query; it matches when any
// of its values does. Repeating a parameter gives one Clause per
// occurrence, all of which must match.
type Clause struct {
	Param  Param
	Tokens []TokenMatch // for token parameters, including _id
}

// A TokenMatch is one value of a token parameter, in one of the four
// forms of the FHIR token syntax:
//
//	code         AnySystem: Code in any system, or none
//	system|code  Code in System
//	|code        Code without a system (System is "")
//	system|      any code in System (Code is "")
//
// For _id, Code is the id and AnySystem is set.
type TokenMatch struct {
	System    string
	Code      string
	AnySystem bool
}

// String returns m in query syntax, escaped.
func (m TokenMatch) String() string {
	if m.AnySystem {
		return escape(m.Code)
	}
	return escape(m.System) + "|" + escape(m.Code)
}

// Parse parses the query parameters of a search of resourceType. Search
// parameters come from [Params]; the result parameters it understands are
// _count, _total and _cursor. Values use the FHIR syntax: a comma separates
// alternatives (OR), a repeated parameter must match every time (AND), and
// a backslash escapes ',', '|', '$' and '\'. Empty values are ignored, as
// FHIR asks. Parameters about the response format rather than the search
// (_format, _pretty) are the caller's to remove.
//
// Errors are [*Error] values naming the parameter.
func Parse(resourceType string, values url.Values, h Handling) (Query, error) {
	q := Query{Type: resourceType, Count: DefaultCount}
	n := 0
	// Sorted, so that the clauses, and the first error, do not depend on
	// map order.
	for _, key := range slices.Sorted(maps.Keys(values)) {
		vs := values[key]
		name, modifier, _ := strings.Cut(key, ":")
		switch name {
		case ParamCount, ParamTotal, ParamCursor:
			if err := q.parseResult(name, modifier, vs); err != nil {
				return Query{}, &Error{Param: key, Err: err}
			}
			continue
		}
		p, ok := Lookup(resourceType, name)
		if !ok || modifier != "" {
			if h == Lenient {
				continue
			}
			return Query{}, &Error{Param: key, Err: ErrUnsupported}
		}
		for _, v := range vs {
			c := Clause{Param: p}
			for _, alt := range split(v, ',') {
				if alt == "" {
					continue
				}
				m, err := parseToken(p, alt)
				if err != nil {
					return Query{}, &Error{Param: key, Err: err}
				}
				c.Tokens = append(c.Tokens, m)
			}
			if len(c.Tokens) == 0 {
				continue
			}
			if n += len(c.Tokens); n > MaxValues {
				return Query{}, &Error{Param: key, Err: fmt.Errorf("%w: more than %d values in one query", ErrInvalid, MaxValues)}
			}
			q.Clauses = append(q.Clauses, c)
		}
	}
	return q, nil
}

func (q *Query) parseResult(name, modifier string, vs []string) error {
	if modifier != "" {
		return ErrUnsupported
	}
	if len(vs) != 1 {
		return fmt.Errorf("%w: repeated", ErrInvalid)
	}
	v := vs[0]
	if v == "" {
		return nil
	}
	switch name {
	case ParamCount:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: want a non-negative integer", ErrInvalid)
		}
		q.Count = min(n, MaxCount)
	case ParamTotal:
		switch v {
		case "accurate", "estimate":
			q.Total = TotalAccurate
		case "none":
			q.Total = TotalNone
		default:
			return fmt.Errorf("%w: want none, estimate or accurate", ErrInvalid)
		}
	case ParamCursor:
		q.Cursor = v
	}
	return nil
}

func parseToken(p Param, v string) (TokenMatch, error) {
	system, code, found := cut(v, '|')
	if !found {
		return TokenMatch{Code: unescape(v), AnySystem: true}, nil
	}
	if p.Name == ParamID {
		return TokenMatch{}, fmt.Errorf("%w: an id has no system", ErrInvalid)
	}
	if system == "" && code == "" {
		return TokenMatch{}, fmt.Errorf("%w: want a code, system|code, |code or system|", ErrInvalid)
	}
	return TokenMatch{System: unescape(system), Code: unescape(code)}, nil
}

// Values returns q in canonical query syntax, for self and next links:
// Parse(q.Type, q.Values(), Strict) returns q again.
func (q Query) Values() url.Values {
	v := url.Values{}
	for _, c := range q.Clauses {
		alts := make([]string, len(c.Tokens))
		for i, t := range c.Tokens {
			alts[i] = t.String()
		}
		v.Add(c.Param.Name, strings.Join(alts, ","))
	}
	v.Set(ParamCount, strconv.Itoa(q.Count))
	if q.Total == TotalNone {
		v.Set(ParamTotal, "none")
	}
	if q.Cursor != "" {
		v.Set(ParamCursor, q.Cursor)
	}
	return v
}

// split splits s at every unescaped sep.
func split(s string, sep byte) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // the escaped byte is never a separator
		case sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// cut cuts s at its first unescaped sep.
func cut(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

const escapable = `\,|$`

// unescape removes the backslash of \\, \, \| and \$; any other backslash
// is kept as written.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(escapable, s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func escape(s string) string {
	if !strings.ContainsAny(s, escapable) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(escapable, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
