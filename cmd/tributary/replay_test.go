package main

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/pipeline"
	"github.com/tributary-health/tributary/store"
	"github.com/tributary-health/tributary/store/storetest"
	"github.com/tributary-health/tributary/stream"
)

// `tributary replay` converts raw HL7 v2 again into a staging topic and
// onto fhir.v1 (with the identity index, as `normalize` wires it);
// `tributary materialize` with a new group builds an empty database from
// fhir.v1 alone; `tributary store checksum` reports it.
func TestReplayCommand(t *testing.T) {
	t.Parallel()
	addr, cfg := embeddedBroker(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	if err := stream.EnsureTopics(ctx, cfg, stream.TopicSpec{Partitions: 3}); err != nil {
		t.Fatal(err)
	}
	p, err := stream.NewProducer(cfg, event.FamilyRaw)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	for i, birth := range []string{"19800101", "19801345", "19700202"} { // the second is bad
		err := p.Emit(ctx, event.Envelope{ID: "env-replay-" + string(rune('a'+i)), Format: event.FormatHL7v2, Kind: "ADT^A01",
			Received: time.Now().UTC(), Source: "test", Key: "GHH", Payload: adtA01("MRN-R"+string(rune('0'+i)), "Replay", birth, "R"+string(rune('0'+i)))})
		if err != nil {
			t.Fatal(err)
		}
	}
	dbURL := storetest.NewDatabase(t)
	common := []string{"--brokers=" + addr, "--topic-prefix=" + cfg.Topics.Prefix, "--log-level=warn", "--instance-id=replay-test"}

	for _, bad := range [][]string{{}, {"--from=yesterday"}, {"--from=0", "--to=1:"}, {"--from=0", "--format=hl7"}, {"--from=0", "--format=cdc"}} {
		if code, _, stderr := runMain(t, nil, append(append([]string{"replay"}, common...), bad...)...); code != 2 {
			t.Errorf("replay %q exited %d, want 2 (stderr %s)", bad, code, stderr)
		}
	}

	// A shadow replay into a staging topic, without the identity index.
	staging := cfg.Topics.Prefix + "staging.fhir.v1"
	code, stdout, stderr := runMain(t, nil, append([]string{"replay"}, append(common, "--from=0", "--fhir-topic="+staging, "--identity=false")...)...)
	if code != 0 {
		t.Fatalf("replay exited %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "replayed 3 raw records into") || !strings.Contains(stdout, "on "+staging+", 1 dead letters") {
		t.Errorf("replay summary:\n%s", stdout)
	}
	recs := readTopic(t, cfg, staging)
	if len(recs) == 0 {
		t.Fatal("nothing on the staging topic")
	}
	for _, r := range recs {
		var res struct {
			Meta struct {
				Tag []struct{ System, Code string }
			}
		}
		if err := json.Unmarshal(r.Value, &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Meta.Tag) != 1 || res.Meta.Tag[0].System != pipeline.SystemMappingVersion || res.Meta.Tag[0].Code != "hl7v2/1" {
			t.Errorf("%s: meta.tag %+v", r.Header(event.HeaderResourceType), res.Meta.Tag)
		}
	}
	if got := readTopic(t, cfg, cfg.Topics.FHIR()); len(got) != 0 {
		t.Errorf("a shadow replay wrote %d records to fhir.v1", len(got))
	}
	if got := readTopic(t, cfg, cfg.Topics.DLQ()); len(got) != 1 {
		t.Errorf("%d dead letters, want 1", len(got))
	}

	// Onto fhir.v1, with the identity index in the database, as normalize.
	code, stdout, stderr = runMain(t, nil, append([]string{"replay"}, append(common, "--from=0", "--database-url="+dbURL)...)...)
	if code != 0 {
		t.Fatalf("replay onto fhir.v1 exited %d: %s", code, stderr)
	}
	fhirRecs := readTopic(t, cfg, cfg.Topics.FHIR())
	if len(fhirRecs) == 0 || !strings.Contains(stdout, "on "+cfg.Topics.FHIR()) {
		t.Fatalf("replay onto fhir.v1 wrote %d records:\n%s", len(fhirRecs), stdout)
	}

	// The store, rebuilt from fhir.v1 alone by a materializer of a new
	// group; and a shadow store from the staging topic.
	st := materializeAll(t, addr, cfg, dbURL, "rebuild", cfg.Topics.FHIR(), fhirRecs)
	shadow := materializeAll(t, addr, cfg, storetest.NewDatabase(t), "shadow", staging, recs)
	if sum, err := shadow.Checksum(ctx); err != nil || sum.Types["Patient"] != 2 {
		t.Errorf("shadow store: %+v, %v; want 2 Patients", sum, err)
	}
	want, err := st.Checksum(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want.Types["Patient"] != 2 {
		t.Errorf("rebuilt store: %v, want 2 Patients", want.Types)
	}
	code, stdout, stderr = runMain(t, nil, "store", "checksum", "--database-url="+dbURL, "--log-level=warn")
	if code != 0 {
		t.Fatalf("store checksum exited %d: %s", code, stderr)
	}
	got := map[string]string{}
	for line := range strings.Lines(stdout) {
		if f := strings.Fields(line); len(f) == 2 {
			got[f[0]] = f[1]
		}
	}
	if got["Patient"] != "2" || got["sum"] != want.Sum || got["total"] == "" {
		t.Errorf("store checksum printed:\n%s\nwant Patient 2 and sum %s", stdout, want.Sum)
	}
}

// materializeAll runs `tributary materialize` on topic into the database
// at dbURL until it has applied recs, and returns the store.
func materializeAll(t *testing.T, addr string, cfg stream.Config, dbURL, group, topic string, recs []stream.Record) *store.Store {
	t.Helper()
	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer func() { stop(); wg.Wait() }()
	wg.Go(func() {
		runMainCtx(ctx, "materialize", "--brokers="+addr, "--topic-prefix="+cfg.Topics.Prefix, "--log-level=warn",
			"--instance-id="+group, "--materialize-group="+group, "--materialize-topic="+topic, "--database-url="+dbURL)
	})
	st, err := store.Open(t.Context(), store.Config{URL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	next := map[int32]int64{}
	for _, r := range recs {
		next[r.Partition] = max(next[r.Partition], r.Offset+1)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		done, err := st.Offsets(ctx, group, topic)
		caughtUp := err == nil
		for part, n := range next {
			caughtUp = caughtUp && done[part] >= n
		}
		if caughtUp {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for the materializer of %s", topic)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runMainCtx runs the command line until ctx is done and returns its exit
// code.
func runMainCtx(ctx context.Context, args ...string) int {
	var out strings.Builder
	return Main(ctx, args, &out, &out, func(string) string { return "" })
}
