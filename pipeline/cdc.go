package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tributary-health/tributary/adapters/cdc"
	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir/fromcdc"
)

// CDC converts raw.cdc.v1 envelopes (Debezium change events, relayed or
// made from copybook records; see docs/cdc.md) with a [fromcdc.Mapper].
//
// Each event's upserts become upsert records and its deletes delete
// records (tombstones) on fhir.v1. Every record carries the event's
// source time and, when the connector writes a position, the headers
// source-key (the position's [cdc.Position.Scope] and the envelope's
// key, which names the table row) and source-position
// ([cdc.Position.Key]), by which the store skips replayed (equal) and
// stale (older) changes of the row; see [store.Change.SourceKey].
//
// Tombstones, transaction BEGIN/END records and schema changes convert
// to nothing. Child-table rows ([fromcdc.Patch] entries, such as claim
// lines) become op patch records, and upserts whose mapping keeps
// elements other tables own ([fromcdc.Entry.Keep]) carry header keep:
// the [Materializer] merges both into the stored resource, in the
// store's transaction ([store.Change.Merge]).
//
// A CDC without a Mapper sends every envelope to the dead-letter topic
// (code cdc.no-mapping-configured): the normalizer of a deployment that
// configured no mapping still answers for the CDC intake's records.
type CDC struct {
	Mapper *fromcdc.Mapper
}

// Errors of [CDC.Convert], each permanent.
var (
	errCDCInvalid  = permanentError{errors.New("pipeline: cdc: the intake marked the record invalid"), "cdc.invalid", ""}
	errCDCNoMapper = permanentError{errors.New("pipeline: cdc: no CDC mapping is configured (--cdc-mapping)"), "cdc.no-mapping-configured", ""}
)

// Convert parses the envelope's payload (the Debezium value, or the
// record key of a tombstone) and maps it. Parse errors, tables the
// mapping lacks, truncates and mapping errors are permanent.
func (c CDC) Convert(_ context.Context, env event.Envelope) (Conversion, error) {
	if c.Mapper == nil {
		return Conversion{}, errCDCNoMapper
	}
	var key, value []byte
	if env.Attrs[cdc.AttrPayload] == "key" {
		key = env.Payload
	} else {
		value = env.Payload
	}
	ev, err := cdc.Parse(key, value)
	if err != nil {
		if reason := env.Attrs[cdc.AttrError]; reason != "" {
			return Conversion{}, permanentError{fmt.Errorf("%w: %s", errCDCInvalid, reason), errCDCInvalid.code, ""}
		}
		code, loc := "cdc.parse", ""
		if pe, ok := errors.AsType[*cdc.ParseError](err); ok {
			loc = pe.Location()
		}
		return Conversion{}, permanentError{err, code, loc}
	}
	res, err := c.Mapper.Convert(ev)
	if err != nil {
		switch {
		case errors.Is(err, fromcdc.ErrNoMapping):
			return Conversion{}, permanentError{err, "cdc.no-mapping", ""}
		case errors.Is(err, fromcdc.ErrTruncate):
			return Conversion{}, permanentError{err, "cdc.truncate", ""}
		}
		if ce, ok := errors.AsType[*fromcdc.ConvertError](err); ok {
			return Conversion{}, permanentError{err, "cdc.mapping", ce.Element}
		}
		return Conversion{}, err
	}
	return conversionOf(res, env.Key), nil
}

// MappingVersion returns the version of the mapping file
// ([fromcdc.Mapping.Version]), or "" without a Mapper; see [Versioned].
func (c CDC) MappingVersion() string {
	if c.Mapper == nil {
		return ""
	}
	return c.Mapper.MappingVersion()
}

// conversionOf turns a mapper result into a conversion; rowKey names the
// event's row (the raw.cdc.v1 key).
func conversionOf(res fromcdc.Result, rowKey string) Conversion {
	conv := Conversion{SourceTime: res.SourceTime}
	if !res.Position.IsZero() {
		conv.SourceKey = res.Position.Scope() + "|" + rowKey
		conv.SourcePosition = res.Position.Key()
	}
	for _, e := range res.Entries {
		switch {
		case e.Patch != nil:
			doc, err := json.Marshal(patchDoc{Element: e.Patch.Element, Key: e.Patch.Key, KeyValue: e.Patch.KeyValue, Value: e.Patch.Value})
			if err != nil {
				conv.Rejected = permanentError{fmt.Errorf("pipeline: cdc: %s.%s patch: %w", e.Type, e.Patch.Element, err), "cdc.patch", ""}
				continue
			}
			conv.Resources = append(conv.Resources, Converted{Patch: doc, Type: e.Type, ID: e.ID, Patient: e.Patient})
		case e.Delete:
			conv.Resources = append(conv.Resources, Converted{Delete: true, Type: e.Type, ID: e.ID, Patient: e.Patient})
		default:
			conv.Resources = append(conv.Resources, Converted{Resource: e.Resource, Patient: e.Patient, Keep: e.Keep})
		}
	}
	return conv
}

// patchDoc is the value of an op patch record on fhir.v1: the element
// of the resource whose member key equals keyValue becomes value, or is
// removed when value is absent.
type patchDoc struct {
	Element  string          `json:"element"`
	Key      string          `json:"key"`
	KeyValue json.RawMessage `json:"keyValue"`
	Value    json.RawMessage `json:"value,omitempty"`
}

// patchMerge reads an op patch record's value into the store merge that
// applies it ([fromcdc.Entry.Apply]). A patch of a resource not stored
// yet fails with code cdc.no-parent, and the record goes to the
// dead-letter topic: its parent (a claim header) has not arrived.
func patchMerge(typ, id string, value []byte) (func([]byte) ([]byte, error), error) {
	var doc patchDoc
	if err := json.Unmarshal(value, &doc); err != nil || doc.Element == "" || doc.Key == "" || len(doc.KeyValue) == 0 {
		return nil, permanentError{errors.New("pipeline: fhir.v1 patch record with a malformed patch document"), "fhir.patch", "value"}
	}
	e := fromcdc.Entry{Type: typ, ID: id, Delete: len(doc.Value) == 0,
		Patch: &fromcdc.Patch{Element: doc.Element, Key: doc.Key, KeyValue: doc.KeyValue, Value: doc.Value}}
	return func(cur []byte) ([]byte, error) {
		b, err := e.Apply(cur)
		switch {
		case errors.Is(err, fromcdc.ErrNoParent):
			return nil, permanentError{err, "cdc.no-parent", typ + "." + doc.Element}
		case err != nil:
			return nil, permanentError{err, "cdc.patch", typ + "." + doc.Element}
		}
		return b, nil
	}, nil
}

// keepMerge is the store merge of an upsert with header keep: the new
// resource, with each kept member it lacks taken from the current one.
func keepMerge(resource []byte, keep []string) func([]byte) ([]byte, error) {
	return func(cur []byte) ([]byte, error) {
		if cur == nil {
			return resource, nil
		}
		var next, old map[string]json.RawMessage
		if err := json.Unmarshal(resource, &next); err != nil {
			return nil, permanentError{errors.New("pipeline: fhir.v1 upsert is not a JSON object"), "fhir.json", "value"}
		}
		if err := json.Unmarshal(cur, &old); err != nil {
			return nil, fmt.Errorf("pipeline: stored resource: %w", err)
		}
		kept := false
		for _, k := range keep {
			if v, ok := old[k]; ok {
				if _, set := next[k]; !set {
					next[k], kept = v, true
				}
			}
		}
		if !kept {
			return resource, nil
		}
		return json.Marshal(next)
	}
}
