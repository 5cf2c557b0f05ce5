package search

import (
	"cmp"
	"slices"
)

// A Token is one token index value: a code and the system it belongs to
// ("" when the element has no system).
type Token struct {
	System string
	Code   string
}

// A TokenEntry is a [Token] indexed under a parameter.
type TokenEntry struct {
	Param string
	Token
}

// An Index holds the search index values of one resource, grouped by
// parameter type. Each slice is sorted and free of duplicates.
type Index struct {
	Tokens []TokenEntry
}

// Extract returns the index values of a resource of type resourceType,
// decoded from JSON (objects as map[string]any, arrays as []any, as
// encoding/json decodes). It indexes every supported parameter of the type
// except [ParamID]; elements it does not understand are skipped, never an
// error, because the resource was validated upstream.
func Extract(resourceType string, resource map[string]any) Index {
	var idx Index
	for _, p := range Params(resourceType) {
		if len(p.Path) == 0 {
			continue
		}
		switch p.Type {
		case TypeToken:
			walk(resource, p.Path, func(v any) {
				for _, t := range tokens(v) {
					idx.Tokens = append(idx.Tokens, TokenEntry{Param: p.Name, Token: t})
				}
			})
		}
	}
	slices.SortFunc(idx.Tokens, func(a, b TokenEntry) int {
		return cmp.Or(cmp.Compare(a.Param, b.Param), cmp.Compare(a.System, b.System), cmp.Compare(a.Code, b.Code))
	})
	idx.Tokens = slices.Compact(idx.Tokens)
	return idx
}

// walk calls fn with every value at path below v, flattening arrays at any
// step, as FHIRPath does.
func walk(v any, path []string, fn func(any)) {
	if a, ok := v.([]any); ok {
		for _, e := range a {
			walk(e, path, fn)
		}
		return
	}
	if len(path) == 0 {
		fn(v)
		return
	}
	if m, ok := v.(map[string]any); ok {
		walk(m[path[0]], path[1:], fn)
	}
}

// tokens returns the tokens of one element, recognised by its shape:
// CodeableConcept (each coding), Identifier (system, value), Coding
// (system, code), and primitive code, string, id, uri or boolean. A
// ContactPoint has an Identifier's shape but a different meaning; it needs
// its own case when a parameter indexes one.
func tokens(v any) []Token {
	switch v := v.(type) {
	case string:
		if v != "" {
			return []Token{{Code: v}}
		}
	case bool:
		if v {
			return []Token{{Code: "true"}}
		}
		return []Token{{Code: "false"}}
	case map[string]any:
		if codings, ok := v["coding"].([]any); ok {
			var ts []Token
			for _, c := range codings {
				ts = append(ts, tokens(c)...)
			}
			return ts
		}
		system, _ := v["system"].(string)
		if value, ok := v["value"].(string); ok && value != "" {
			return []Token{{System: system, Code: value}}
		}
		if code, ok := v["code"].(string); ok && code != "" {
			return []Token{{System: system, Code: code}}
		}
	}
	return nil
}
