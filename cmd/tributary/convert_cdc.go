package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tributary-health/tributary/adapters/cdc"
	"github.com/tributary-health/tributary/fhir/fromcdc"
	"github.com/tributary-health/tributary/pipeline"
)

func init() {
	fileConverters["cdc"] = func(o convertOptions) (fileConverter, error) {
		if o.mapping == "" {
			return nil, usageError{errors.New("--format cdc needs --mapping FILE")}
		}
		m, err := o.cdcMapper(o.mapping)
		if err != nil {
			return nil, err
		}
		return func(data []byte) ([]byte, []string) { return convertCDC(m, data) }, nil
	}
}

// cdcMapper loads a fromcdc mapping file, with the identifier systems
// and default zone of the mapping flags.
func (o *options) cdcMapper(path string) (*fromcdc.Mapper, error) {
	mcfg, err := o.mapperConfig()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	mapping, err := fromcdc.Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return fromcdc.New(fromcdc.Config{Systems: mcfg.Systems, Location: mcfg.DefaultLocation, Mapping: mapping})
}

// cdcConverter is the normalizer's converter of raw.cdc.v1: with
// --cdc-mapping, the mapping's; without, one that sends every CDC
// envelope to the dead-letter topic saying so.
func (o *options) cdcConverter() (pipeline.Converter, error) {
	if o.cdcMapping == "" {
		return pipeline.CDC{}, nil
	}
	m, err := o.cdcMapper(o.cdcMapping)
	if err != nil {
		return nil, fmt.Errorf("--cdc-mapping: %w", err)
	}
	return pipeline.CDC{Mapper: m}, nil
}

// convertCDC converts one file of Debezium change event values (NDJSON,
// concatenated JSON values, or a JSON array of them; null is a
// tombstone) into a Bundle of type transaction: the net effect of the
// file's changes in file order, one entry per resource, PUT with the
// resource or DELETE. A transaction cannot name one resource twice (and
// a server runs its DELETEs before its PUTs), so only each resource's
// last state is kept. Changes of a row with a position at or before one
// already applied to the resource (a duplicate or a late event) are
// skipped, as the pipeline skips them. Child rows (claim lines) are
// merged into their resource from earlier in the file. It returns one
// "event N (offset X): message" line per event that failed.
func convertCDC(m *fromcdc.Mapper, data []byte) ([]byte, []string) {
	var errs []string
	type state struct {
		typ, id string
		json    []byte // nil: deleted
	}
	var order []string // resource keys in first-change order
	states := map[string]*state{}
	positions := map[string]string{} // resource key + scope → position key
	n := 0
	eachJSONValue(data, func(off int64, raw []byte, err error) {
		n++
		at := fmt.Sprintf("event %d (offset %d): ", n, off)
		if err != nil {
			errs = append(errs, at+err.Error())
			return
		}
		ev, err := cdc.Parse(nil, raw)
		if err != nil {
			errs = append(errs, at+err.Error())
			return
		}
		res, err := m.Convert(ev)
		if err != nil {
			errs = append(errs, at+err.Error())
			return
		}
		for _, e := range res.Entries {
			k := e.Type + "/" + e.ID
			var pk, pos string
			if !res.Position.IsZero() {
				pk, pos = k+"|"+res.Position.Scope(), res.Position.Key()
				if e.Patch != nil {
					pk += "|" + string(e.Patch.KeyValue) // each child row has its own order
				}
				if last, ok := positions[pk]; ok && pos <= last {
					continue
				}
			}
			s := states[k]
			var stored, b []byte
			if s != nil {
				stored = s.json
			}
			if !e.Delete || e.Patch != nil {
				b, err = e.Apply(stored)
				if errors.Is(err, fromcdc.ErrNoParent) {
					err = fmt.Errorf("%s.%s: %w (it must come earlier in the input)", e.Type, e.Patch.Element, err)
				}
				if err != nil {
					errs = append(errs, at+err.Error())
					continue
				}
			}
			if pk != "" {
				positions[pk] = pos
			}
			if s == nil {
				s = &state{typ: e.Type, id: e.ID}
				states[k] = s
				order = append(order, k)
			}
			s.json = b // nil: deleted
		}
	})
	var entries []transactionEntry
	for _, k := range order {
		s := states[k]
		if s.json == nil {
			entries = append(entries, transactionEntry{Request: transactionRequest{Method: "DELETE", URL: k}})
			continue
		}
		entries = append(entries, transactionEntry{FullURL: k, Resource: s.json, Request: transactionRequest{Method: "PUT", URL: k}})
	}
	b, err := transactionBundle(entries)
	if err != nil {
		errs = append(errs, "internal: "+err.Error())
	}
	return b, errs
}

type transactionRequest struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}

type transactionEntry struct {
	FullURL  string             `json:"fullUrl,omitempty"`
	Resource json.RawMessage    `json:"resource,omitempty"`
	Request  transactionRequest `json:"request"`
}

func transactionBundle(entries []transactionEntry) ([]byte, error) {
	bundle := struct {
		ResourceType string             `json:"resourceType"`
		Type         string             `json:"type"`
		Entry        []transactionEntry `json:"entry,omitempty"`
	}{ResourceType: "Bundle", Type: "transaction", Entry: entries}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(bundle); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// eachJSONValue calls fn with each top-level JSON value of data and its
// byte offset, the elements of a top-level array counting as values. A
// syntax error ends the walk with one call carrying the error, located
// by cdc.Parse where it can (it names documentation placeholders).
func eachJSONValue(data []byte, fn func(off int64, raw []byte, err error)) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		base := int64(len(data) - len(trimmed))
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		if _, err := dec.Token(); err != nil {
			fn(base, nil, err)
			return
		}
		for dec.More() {
			off := base + dec.InputOffset()
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				fn(off, nil, syntaxText(trimmed[off-base:], err))
				return
			}
			fn(skipSpace(data, off), raw, nil)
		}
		if _, err := dec.Token(); err != nil {
			fn(base+dec.InputOffset(), nil, err)
		}
		return
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		off := dec.InputOffset()
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return
		}
		if err != nil {
			fn(skipSpace(data, off), nil, syntaxText(data[off:], err))
			return
		}
		fn(skipSpace(data, off), raw, nil)
	}
}

func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
		off++
	}
	return off
}

// syntaxText explains a JSON syntax error with cdc.Parse's located
// message for the rest of the input when it has one.
func syntaxText(rest []byte, err error) error {
	if _, perr := cdc.Parse(nil, bytes.TrimLeft(rest, " \t\r\n,")); perr != nil {
		return perr
	}
	return err
}
