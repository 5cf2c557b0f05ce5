package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/fhir/search"
)

// validType matches FHIR resource type names. fhir has no list of them;
// the store accepts any well-formed name.
var validType = regexp.MustCompile(`^[A-Z][A-Za-z]{1,63}$`)

// A prepared change: what Apply computes before talking to the database.
type prepared struct {
	content []byte // canonical JSON without meta.versionId and meta.lastUpdated; nil for a delete
	hash    []byte // sha256 of content
	index   search.Index
	tokens  string   // index.Tokens as stored in resources.index_tokens
	links   []string // of a Person: the Patient ids of link[].target, sorted, without duplicates
}

// prepareAll prepares changes into preps, on every CPU when the batch is
// large: decoding and encoding JSON is the client's share of the work on
// the hot path. It returns the [*ChangeError] of the first bad change.
func prepareAll(changes []Change, preps []prepared) error {
	const perWorker = 32 // fewer changes are not worth a goroutine
	errs := make([]error, len(changes))
	workers := max(1, min(runtime.GOMAXPROCS(0), len(changes)/perWorker))
	size := (len(changes) + workers - 1) / workers
	var wg sync.WaitGroup
	for start := 0; start < len(changes); start += size {
		wg.Go(func() {
			for i := start; i < min(start+size, len(changes)); i++ {
				preps[i], errs[i] = prepare(&changes[i])
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			c := &changes[i]
			return &ChangeError{Topic: c.Topic, Partition: c.Partition, Offset: c.Offset, Err: err}
		}
	}
	return nil
}

func prepare(c *Change) (prepared, error) {
	switch {
	case c.Op == OpSkip:
		return prepared{}, nil
	case !validType.MatchString(c.Type):
		return prepared{}, fmt.Errorf("%w: resource type is not a FHIR type name", ErrInvalidChange)
	case !fhir.ValidID(c.ID):
		return prepared{}, fmt.Errorf("%w: %s id is not a FHIR id", ErrInvalidChange, c.Type)
	case c.Op == event.OpDelete:
		return prepared{}, nil
	case c.Op != event.OpUpsert:
		return prepared{}, fmt.Errorf("%w: op is not upsert, delete or skip", ErrInvalidChange)
	case c.Merge != nil:
		return prepared{}, nil // prepared when merged, in Apply's transaction
	}
	// Errors of the JSON decoder quote content; these do not.
	d := json.NewDecoder(bytes.NewReader(c.Resource))
	d.UseNumber() // keep decimals as written: 1.50 is not 1.5 in FHIR
	var m map[string]any
	if err := d.Decode(&m); err != nil || m == nil {
		return prepared{}, fmt.Errorf("%w: %s resource is not a JSON object", ErrInvalidChange, c.Type)
	}
	if _, err := d.Token(); err != io.EOF {
		return prepared{}, fmt.Errorf("%w: %s resource has data after its JSON object", ErrInvalidChange, c.Type)
	}
	if rt, _ := m["resourceType"].(string); rt != c.Type {
		return prepared{}, fmt.Errorf("%w: resourceType differs from the record's %s", ErrInvalidChange, c.Type)
	}
	switch id := m["id"].(type) {
	case nil:
		m["id"] = c.ID
	case string:
		if id != c.ID {
			return prepared{}, fmt.Errorf("%w: %s id differs from the record's", ErrInvalidChange, c.Type)
		}
	default:
		return prepared{}, fmt.Errorf("%w: %s id is not a string", ErrInvalidChange, c.Type)
	}
	// PostgreSQL's jsonb cannot hold U+0000; the cheap test keeps the walk
	// off the hot path.
	if bytes.Contains(c.Resource, []byte(`\u0000`)) && hasNUL(m) {
		return prepared{}, fmt.Errorf("%w: %s resource holds U+0000, which PostgreSQL cannot store", ErrInvalidChange, c.Type)
	}
	if meta, ok := m["meta"].(map[string]any); ok {
		delete(meta, "versionId")
		delete(meta, "lastUpdated")
		if len(meta) == 0 {
			delete(m, "meta")
		}
	}
	content := appendCanonical(make([]byte, 0, len(c.Resource)), m)
	sum := sha256.Sum256(content)
	p := prepared{content: content, hash: sum[:], index: search.Extract(c.Type, m)}
	p.tokens = encodeTokens(p.index.Tokens)
	if c.Type == "Person" {
		p.links = personLinks(m)
	}
	return p, nil
}

// personLinks returns the ids of the Patients a Person links to: the
// link[].target.reference values "Patient/<id>", sorted, without
// duplicates. Other targets (RelatedPerson, Practitioner, another
// Person, absolute or versioned references) are ignored.
func personLinks(m map[string]any) []string {
	links, _ := m["link"].([]any)
	var ids []string
	for _, l := range links {
		l, _ := l.(map[string]any)
		target, _ := l["target"].(map[string]any)
		ref, _ := target["reference"].(string)
		if id, ok := strings.CutPrefix(ref, "Patient/"); ok && fhir.ValidID(id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// encodeTokens encodes the token index entries of a resource for the
// resources.index_tokens column, which only the store reads: a JSON array
// of [param, system, code] arrays, or "" for none. Entries are sorted, so
// equal indexes encode equally.
func encodeTokens(ts []search.TokenEntry) string {
	if len(ts) == 0 {
		return ""
	}
	b := []byte{'['}
	for i, t := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendString(b, t.Param)
		b = append(b, ',')
		b = appendString(b, t.System)
		b = append(b, ',')
		b = appendString(b, t.Code)
		b = append(b, ']')
	}
	return string(append(b, ']'))
}

func decodeTokens(s string) ([]search.TokenEntry, error) {
	if s == "" {
		return nil, nil
	}
	var triples [][3]string
	if err := json.Unmarshal([]byte(s), &triples); err != nil {
		return nil, fmt.Errorf("stored index_tokens: %w", err)
	}
	ts := make([]search.TokenEntry, len(triples))
	for i, t := range triples {
		ts[i] = search.TokenEntry{Param: t[0], Token: search.Token{System: t[1], Code: t[2]}}
	}
	return ts, nil
}

// appendCanonical appends v, as decoded by encoding/json with UseNumber, in
// a canonical form: compact, object keys sorted, strings escaped only
// where JSON requires. Equal resources give equal bytes whatever order and
// spacing the source wrote them in; the store hashes these bytes to skip
// unchanged upserts. It is several times faster than encoding/json, which
// reflects on every value.
func appendCanonical(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, v)
	case json.Number:
		return append(b, v...)
	case string:
		return appendString(b, v)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCanonical(b, e)
		}
		return append(b, ']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendCanonical(b, v[k])
		}
		return append(b, '}')
	}
	panic(fmt.Sprintf("store: appendCanonical: unexpected %T", v)) // encoding/json decodes to no other type
}

// appendString appends s as a JSON string. s is valid UTF-8: the decoder
// replaced invalid bytes.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
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
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func hasNUL(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.IndexByte(v, 0) >= 0
	case []any:
		return slices.ContainsFunc(v, hasNUL)
	case map[string]any:
		for k, e := range v {
			if strings.IndexByte(k, 0) >= 0 || hasNUL(e) {
				return true
			}
		}
	}
	return false
}
