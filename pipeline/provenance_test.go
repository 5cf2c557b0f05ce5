package pipeline

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/stream"
)

// Every message's Provenance names the raw envelope it came from: its id,
// and its topic, partition and offset in Kafka.
func TestProvenanceNamesTheEnvelope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.emit(t, adt("3001", "Epsilon", "P1"))
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { _ = e.norm.Run(ctx) })
	var prov *stream.Record
	eventually(t, "the Provenance", func() bool {
		recs, err := stream.ReadAll(t.Context(), e.cfg, e.cfg.Topics.FHIR())
		for i := range recs {
			if recs[i].Header(event.HeaderResourceType) == "Provenance" {
				prov = &recs[i]
			}
		}
		return err == nil && prov != nil
	})
	cancel()
	wg.Wait()
	if err := fhir.Validate(prov.Value); err != nil {
		t.Fatal(err)
	}
	raw, err := stream.ReadAll(t.Context(), e.cfg, e.cfg.Topics.Raw(event.FormatHL7v2))
	if err != nil || len(raw) != 1 {
		t.Fatalf("raw records: %d, %v", len(raw), err)
	}
	var p struct {
		Entity []struct {
			What struct {
				Identifier struct{ System, Value string }
				Extension  []struct {
					URL          string
					ValueString  string
					ValueInteger int32
				}
			}
		}
	}
	if err := json.Unmarshal(prov.Value, &p); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, en := range p.Entity {
		if en.What.Identifier.System != systemEnvelope {
			continue
		}
		found = true
		if en.What.Identifier.Value != id {
			t.Errorf("entity envelope id %q, want %q", en.What.Identifier.Value, id)
		}
		got := map[string]string{}
		for _, x := range en.What.Extension {
			got[x.URL] = x.ValueString
			if x.URL == extKafkaPartition {
				got[x.URL] = strconv.Itoa(int(x.ValueInteger))
			}
		}
		want := map[string]string{extKafkaTopic: raw[0].Topic, extKafkaPartition: strconv.Itoa(int(raw[0].Partition)), extKafkaOffset: strconv.FormatInt(raw[0].Offset, 10)}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %q, want %q", k, got[k], v)
			}
		}
	}
	if !found {
		t.Errorf("no entity names the envelope: %s", prov.Value)
	}
}
