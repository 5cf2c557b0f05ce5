package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributary-health/tributary/adapters/cdc"
	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir/fromcdc"
	"github.com/tributary-health/tributary/store"
	"github.com/tributary-health/tributary/stream"
)

func cdcMapper(t *testing.T) *fromcdc.Mapper {
	t.Helper()
	f, err := os.Open("../fhir/fromcdc/examples/payer.mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mapping, err := fromcdc.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	m, err := fromcdc.New(fromcdc.Config{Mapping: mapping})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func cdcEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../fhir/fromcdc/testdata/events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCDCConvert runs shipped events through the converter and the
// normalizer's record building: upserts and deletes with their position
// headers, tombstones to nothing, claim lines rejected, bad input
// permanent.
func TestCDCConvert(t *testing.T) {
	t.Parallel()
	conv := CDC{Mapper: cdcMapper(t)}
	n := &Normalizer{cfg: NormalizerConfig{Stream: stream.Config{Topics: event.NewTopics("")}}}
	const rowKey = "MEMBER/0123456789abcdefghijklmnop"
	envelope := func(payload []byte, attrs map[string]string) event.Envelope {
		return event.Envelope{ID: "env-1", Format: event.FormatCDC, Kind: "MEMBER.CREATE", Key: rowKey, Attrs: attrs, Payload: payload}
	}
	records := func(t *testing.T, env event.Envelope) (Conversion, []stream.Record) {
		t.Helper()
		c, err := conv.Convert(t.Context(), env)
		if err != nil {
			t.Fatalf("Convert: %v", err)
		}
		recs, err := n.resourceRecords(env, c)
		if err != nil {
			t.Fatalf("resourceRecords: %v", err)
		}
		return c, recs
	}

	create, createRecs := records(t, envelope(cdcEvent(t, "member-create.json"), nil))
	if len(createRecs) != 1 || createRecs[0].Header(event.HeaderOp) != "upsert" || createRecs[0].Header(event.HeaderResourceType) != "Patient" {
		t.Fatalf("create: records %+v", createRecs)
	}
	patientID := createRecs[0].Header(event.HeaderResourceID)
	if got := string(createRecs[0].Key); got != patientID {
		t.Errorf("create: key %q, want the Patient id", got)
	}
	wantKey := "db2/payerdb/commit_lsn,change_lsn,event_serial_no|" + rowKey
	if got := createRecs[0].Header(event.HeaderSourceKey); got != wantKey {
		t.Errorf("create: source-key %q, want %q", got, wantKey)
	}
	if create.SourcePosition == "" || createRecs[0].Header(event.HeaderSourcePosition) != create.SourcePosition {
		t.Errorf("create: source-position %q", createRecs[0].Header(event.HeaderSourcePosition))
	}
	if createRecs[0].Header(event.HeaderSourceTime) != "2025-11-26T09:40:00Z" {
		t.Errorf("create: source-time %q", createRecs[0].Header(event.HeaderSourceTime))
	}

	del, delRecs := records(t, envelope(cdcEvent(t, "member-delete.json"), nil))
	if len(delRecs) != 1 {
		t.Fatalf("delete: %d records", len(delRecs))
	}
	d := delRecs[0]
	if d.Header(event.HeaderOp) != "delete" || len(d.Value) != 0 || d.Header(event.HeaderResourceID) != patientID || string(d.Key) != patientID {
		t.Errorf("delete: op %q, value %d bytes, id %q, key %q", d.Header(event.HeaderOp), len(d.Value), d.Header(event.HeaderResourceID), d.Key)
	}
	if !(create.SourcePosition < del.SourcePosition) || create.SourceKey != del.SourceKey {
		t.Errorf("positions: create %q %q, delete %q %q: want one key, create before delete", create.SourceKey, create.SourcePosition, del.SourceKey, del.SourcePosition)
	}
	// The store change the materializer makes of it.
	ch, err := change(d)
	if err != nil || ch.Op != event.OpDelete || ch.SourcePosition != del.SourcePosition || ch.SourceKey != wantKey {
		t.Errorf("materializer change of the delete: %+v, %v", ch, err)
	}

	// A tombstone (the key as payload) and a transaction boundary map to
	// nothing.
	for name, env := range map[string]event.Envelope{
		"tombstone":   envelope(cdcEvent(t, "member-delete.key.json"), map[string]string{cdc.AttrPayload: "key"}),
		"transaction": envelope([]byte(`{"status":"BEGIN","id":"571","event_count":null,"data_collections":null}`), nil),
	} {
		if c, recs := records(t, env); len(recs) != 0 || c.Rejected != nil {
			t.Errorf("%s: %d records, rejected %v", name, len(recs), c.Rejected)
		}
	}

	// A claim header carries header keep; a claim line is an op patch
	// record of the same ExplanationOfBenefit, on the same key. The
	// materializer's merges put them together, whatever came first.
	_, hdr := records(t, envelope(cdcEvent(t, "claim-header-create.json"), nil))
	_, line := records(t, envelope(cdcEvent(t, "claim-line-1.json"), nil))
	_, line2 := records(t, envelope(cdcEvent(t, "claim-line-2.json"), nil))
	_, line2del := records(t, envelope(cdcEvent(t, "claim-line-2-delete.json"), nil))
	if len(hdr) != 1 || hdr[0].Header(event.HeaderKeep) != "item" || len(line) != 1 || line[0].Header(event.HeaderOp) != "patch" ||
		string(line[0].Key) != string(hdr[0].Key) || line[0].Header(event.HeaderResourceID) != hdr[0].Header(event.HeaderResourceID) {
		t.Fatalf("claim: header %+v, line %+v", hdr, line)
	}
	changes := func(recs ...stream.Record) []store.Change {
		var out []store.Change
		for _, r := range recs {
			c, err := change(r)
			if err != nil {
				t.Fatalf("change: %v", err)
			}
			out = append(out, c)
		}
		return out
	}
	if _, err := changes(line...)[0].Merge(nil); errorCode(err) != "cdc.no-parent" {
		t.Errorf("line before its header: %v", err)
	}
	var cur []byte
	for _, c := range changes(hdr[0], line[0], line2[0], line2del[0], hdr[0]) {
		if c.Merge == nil {
			t.Fatal("change without a merge")
		}
		if cur, err = c.Merge(cur); err != nil {
			t.Fatalf("merge: %v", err)
		}
	}
	var eob struct{ Item []struct{ Sequence int } }
	if err := json.Unmarshal(cur, &eob); err != nil || len(eob.Item) != 1 || eob.Item[0].Sequence != 1 {
		t.Errorf("claim after header, line 1, line 2, its delete, header again: items %+v (%v)", eob.Item, err)
	}
	if ch := changes(line[0])[0]; !ch.SourceTime.IsZero() || ch.SourcePosition == "" {
		t.Errorf("a patch change orders by position only: time %v position %q", ch.SourceTime, ch.SourcePosition)
	}

	for _, tt := range []struct {
		name    string
		env     event.Envelope
		code    string
		message string
	}{
		{"not JSON", envelope([]byte(`{ ... }`), nil), "cdc.parse", "cdc: value"},
		{"marked invalid", envelope([]byte(`{ ... }`), map[string]string{cdc.AttrError: "cdc: value: byte 2: invalid JSON"}), "cdc.invalid", "byte 2"},
		{"no mapping", envelope([]byte(strings.Replace(string(cdcEvent(t, "member-create.json")), `"MEMBER"`, `"AUDIT_LOG"`, 1)), nil), "cdc.no-mapping", "AUDIT_LOG"},
		{"truncate", envelope([]byte(`{"before":null,"after":null,"source":{"connector":"db2","name":"payerdb","ts_ms":1,"schema":"MBR","table":"MEMBER","commit_lsn":"00000026:00000010:0005"},"op":"t","ts_ms":1}`), nil), "cdc.truncate", "truncate"},
		{"mapping error", envelope([]byte(strings.Replace(string(cdcEvent(t, "member-create.json")), `19800214`, `19801399`, 1)), nil), "cdc.mapping", "BIRTH_DT"},
	} {
		_, err := conv.Convert(t.Context(), tt.env)
		if err == nil || !permanent(err) || errorCode(err) != tt.code || !strings.Contains(err.Error(), tt.message) {
			t.Errorf("%s: err %v (permanent %v, code %q), want code %s mentioning %q", tt.name, err, err != nil && permanent(err), errorCode(err), tt.code, tt.message)
		}
	}
}

func TestCDCWithoutMapping(t *testing.T) {
	t.Parallel()
	_, err := CDC{}.Convert(t.Context(), event.Envelope{Format: event.FormatCDC, Payload: cdcEvent(t, "member-create.json")})
	if err == nil || !permanent(err) || errorCode(err) != "cdc.no-mapping-configured" || !strings.Contains(err.Error(), "--cdc-mapping") {
		t.Errorf("Convert without a mapper: %v", err)
	}
}
