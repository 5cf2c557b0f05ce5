package fromcdc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tributary-health/tributary/fhir"
)

// Errors of [Entry.Apply].
var (
	// ErrNoParent: a child row's element arrived before the resource it
	// belongs to exists (the CLAIM_LINE before its CLAIM_HEADER). The
	// pipeline should retry it after the parent, not drop it.
	ErrNoParent = errors.New("fromcdc: the resource a child element belongs to does not exist yet")
	// ErrNothingToApply: a whole-resource delete carries no content.
	ErrNothingToApply = errors.New("fromcdc: a resource delete has nothing to apply")
)

// Apply returns the FHIR JSON of the resource after e, given its stored
// version (nil when there is none), validated:
//
//   - an upsert: e.Resource, with the Keep elements carried over from
//     stored (so a CLAIM_HEADER update does not drop the items its
//     CLAIM_LINE rows made);
//   - a Patch: stored with the element whose key equals KeyValue
//     replaced by Value (or removed, for a delete), elements ordered by
//     key; [ErrNoParent] when stored is nil.
//
// A whole-resource delete is [ErrNothingToApply]: delete Type/ID.
// Apply is a pure function; the pipeline owns reading the stored version
// and writing the result, in source-position order per row.
func (e Entry) Apply(stored []byte) ([]byte, error) {
	switch {
	case e.Patch != nil:
		if stored == nil {
			return nil, ErrNoParent
		}
		return e.applyPatch(stored)
	case e.Delete:
		return nil, ErrNothingToApply
	case e.Resource == nil:
		return nil, errors.New("fromcdc: entry without a resource")
	}
	next, err := fhir.Marshal(e.Resource)
	if err != nil {
		return nil, err
	}
	if stored == nil || len(e.Keep) == 0 {
		return next, nil
	}
	old, err := members(stored, e.Type, e.ID)
	if err != nil {
		return nil, err
	}
	cur, err := members(next, e.Type, e.ID)
	if err != nil {
		return nil, err
	}
	for _, k := range e.Keep {
		if v, ok := old[k]; ok {
			if _, set := cur[k]; !set {
				cur[k] = v
			}
		}
	}
	return e.finish(cur)
}

func (e Entry) applyPatch(stored []byte) ([]byte, error) {
	doc, err := members(stored, e.Type, e.ID)
	if err != nil {
		return nil, err
	}
	p := e.Patch
	var elems []json.RawMessage
	if raw, ok := doc[p.Element]; ok {
		if err := json.Unmarshal(raw, &elems); err != nil {
			return nil, fmt.Errorf("fromcdc: stored %s.%s is not a list", e.Type, p.Element)
		}
	}
	want := compact(p.KeyValue)
	elems = slices.DeleteFunc(elems, func(el json.RawMessage) bool {
		k, _ := keyOf(el, p.Key)
		return k == want
	})
	if !e.Delete {
		elems = append(elems, p.Value)
	}
	slices.SortStableFunc(elems, func(a, b json.RawMessage) int {
		ka, _ := keyOf(a, p.Key)
		kb, _ := keyOf(b, p.Key)
		return compareKeys(ka, kb)
	})
	if len(elems) == 0 {
		delete(doc, p.Element)
	} else {
		b, err := json.Marshal(elems)
		if err != nil {
			return nil, err
		}
		doc[p.Element] = b
	}
	return e.finish(doc)
}

// finish validates the merged resource and returns its canonical JSON.
func (e Entry) finish(doc map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	r, err := unmarshal(b, true)
	if err != nil {
		return nil, fmt.Errorf("fromcdc: merged %s is not valid FHIR: %w", e.Type, err)
	}
	return fhir.Marshal(r)
}

// members splits a stored resource into its members, checking that it
// is the entry's resource.
func members(b []byte, typ, id string) (map[string]json.RawMessage, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("fromcdc: stored %s is not a JSON object", typ)
	}
	var gotType, gotID string
	_ = json.Unmarshal(doc["resourceType"], &gotType)
	_ = json.Unmarshal(doc["id"], &gotID)
	if gotType != typ || gotID != id {
		return nil, fmt.Errorf("fromcdc: stored resource is not %s/%s", typ, id)
	}
	return doc, nil
}

func keyOf(el json.RawMessage, key string) (string, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(el, &m) != nil {
		return "", false
	}
	v, ok := m[key]
	return compact(v), ok
}

func compact(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}

// compareKeys orders element keys: numbers by value (sequence 2 before
// 10), other JSON by text.
func compareKeys(a, b string) int {
	da, oka := canonDecimal(a)
	db, okb := canonDecimal(b)
	if oka && okb && !strings.Contains(da+db, ".") && !strings.HasPrefix(da, "-") && !strings.HasPrefix(db, "-") {
		if len(da) != len(db) {
			return len(da) - len(db)
		}
		return strings.Compare(da, db)
	}
	return strings.Compare(a, b)
}
