package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/tributary-health/tributary/store"
)

// withLinks adds to a Patient read the Patients the identity index linked
// to it, as link entries of type seealso: both records are in use and
// describe one person. The stored resource does not hold them (the index
// changes without a new version of every Patient), so they are added at
// read time, and the version part of the ETag gains a digest of them so
// that a client's cached copy goes stale when the links change.
func (s *server) withLinks(ctx context.Context, res store.Resource) (store.Resource, string, error) {
	_, others, err := s.store.LinkedPatients(ctx, res.ID)
	if err != nil || len(others) == 0 {
		return res, "", err
	}
	b, err := addLinks(res.JSON, others)
	if err != nil {
		return res, "", fmt.Errorf("api: patient links: %w", err)
	}
	res.JSON = b
	sum := sha256.Sum256([]byte(fmt.Sprint(others)))
	return res, hex.EncodeToString(sum[:4]), nil
}

type patientLink struct {
	Other struct {
		Reference string `json:"reference"`
	} `json:"other"`
	Type string `json:"type"`
}

// addLinks returns the Patient JSON with a seealso link to each of others
// it does not link already, keeping the order of its members.
func addLinks(patient []byte, others []string) ([]byte, error) {
	fields, err := topLevel(patient)
	if err != nil {
		return nil, err
	}
	var links []json.RawMessage
	var have []string
	at := slices.IndexFunc(fields, func(f field) bool { return f.key == "link" })
	if at >= 0 {
		if err := json.Unmarshal(fields[at].value, &links); err != nil {
			return nil, err
		}
		for _, l := range links {
			var pl patientLink
			if json.Unmarshal(l, &pl) == nil {
				have = append(have, pl.Other.Reference)
			}
		}
	}
	for _, id := range others {
		ref := "Patient/" + id
		if slices.Contains(have, ref) {
			continue
		}
		var pl patientLink
		pl.Other.Reference, pl.Type = ref, "seealso"
		b, err := json.Marshal(pl)
		if err != nil {
			return nil, err
		}
		links = append(links, b)
	}
	v, err := json.Marshal(links)
	if err != nil {
		return nil, err
	}
	if at >= 0 {
		fields[at].value = v
	} else {
		fields = append(fields, field{"link", v})
	}
	var out bytes.Buffer
	out.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			out.WriteByte(',')
		}
		k, _ := json.Marshal(f.key)
		out.Write(k)
		out.WriteByte(':')
		out.Write(f.value)
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

type field struct {
	key   string
	value json.RawMessage
}

// topLevel splits a JSON object into its members, in order.
func topLevel(b []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	var fs []field
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		fs = append(fs, field{k, v})
	}
	return fs, nil
}
