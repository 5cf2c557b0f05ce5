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

// The Provenance added for X12 and CDC envelopes names the sending
// system as its agent (the interchange sender, the connector's server),
// and the adapter when the envelope names none.
func TestProvenanceAgentIsTheSendingSystem(t *testing.T) {
	for _, tc := range []struct {
		env          event.Envelope
		system, want string
	}{
		{event.Envelope{ID: "e1", Format: event.FormatX12, Source: "x12http", Attrs: map[string]string{"sender": "ZZ:123456789012345"}}, systemX12Sender, "ZZ:123456789012345"},
		{event.Envelope{ID: "e2", Format: event.FormatCDC, Source: "cdc", Attrs: map[string]string{"server": "payerdb"}}, systemCDCServer, "payerdb"},
		{event.Envelope{ID: "e3", Format: event.FormatCDC, Source: "copybook"}, systemAdapter, "copybook"},
	} {
		c := Conversion{Resources: []Converted{{Delete: true, Type: "Coverage", ID: "c1"}}}
		addProvenance(tc.env, stream.Record{Topic: "raw", Partition: 1, Offset: 7}, &c)
		if len(c.Resources) != 2 {
			t.Fatalf("%s: no Provenance added", tc.env.ID)
		}
		b, err := fhir.Marshal(c.Resources[1].Resource)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Agent []struct {
				Who struct {
					Identifier struct{ System, Value string }
					Display    string
				}
			}
		}
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		who := p.Agent[0].Who
		if who.Identifier.System != tc.system || who.Identifier.Value != tc.want || who.Display != "via "+tc.env.Source {
			t.Errorf("%s: agent %+v, want %s|%s via %s", tc.env.ID, who, tc.system, tc.want, tc.env.Source)
		}
	}
}
