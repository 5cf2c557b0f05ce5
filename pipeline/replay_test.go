package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	ppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/patient_go_proto"
	"github.com/google/go-cmp/cmp"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir/fromv2"
	"github.com/tributary-health/tributary/fhir/labels"
	"github.com/tributary-health/tributary/store"
	"github.com/tributary-health/tributary/store/storetest"
	"github.com/tributary-health/tributary/stream"
)

// mappingTags returns the codes of the mapping-version tags of a fhir.v1
// record's resource.
func mappingTags(t *testing.T, value []byte) []string {
	t.Helper()
	var r struct {
		Meta struct {
			Tag []struct{ System, Code string }
		}
	}
	if err := json.Unmarshal(value, &r); err != nil {
		t.Fatalf("resource JSON: %v", err)
	}
	var out []string
	for _, tag := range r.Meta.Tag {
		if tag.System == SystemMappingVersion {
			out = append(out, tag.Code)
		}
	}
	return out
}

// allConverters are the converters of the three formats, the CDC one with
// the example payer mapping.
func allConverters(t *testing.T) map[event.Format]Converter {
	t.Helper()
	v2, err := fromv2.New(fromv2.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return map[event.Format]Converter{
		event.FormatHL7v2: HL7v2{Mapper: v2},
		event.FormatX12:   x12Converter(t),
		event.FormatCDC:   CDC{Mapper: cdcMapper(t)},
	}
}

// Every upsert the normalizer writes carries exactly one mapping-version
// tag, "<format>/<version>"; patches and deletes carry no resource.
func TestMappingTagOnUpserts(t *testing.T) {
	t.Parallel()
	mapping, err := os.ReadFile("../fhir/fromcdc/examples/payer.mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(mapping)
	cdc := "cdc/1-" + hex.EncodeToString(sum[:4])
	topics := event.NewTopics("")
	n := &Normalizer{
		cfg:     NormalizerConfig{Stream: stream.Config{Topics: topics}, Converters: allConverters(t), Labeler: labels.Default()},
		log:     logger(nil),
		metrics: newNormalizerMetrics(nil),
	}
	for _, tc := range []struct {
		name    string
		format  event.Format
		payload []byte
		want    string
		patches bool
	}{
		{"hl7v2", event.FormatHL7v2, readHL7(t, "ADT_A01_full.hl7"), "hl7v2/" + fromv2.MappingVersion, false},
		{"x12", event.FormatX12, readX12(t, "837P.x12"), "x12/1", false},
		{"cdc", event.FormatCDC, cdcEvent(t, "member-create.json"), cdc, false},
		// A claim line is a patch; its Provenance is an upsert.
		{"cdc patch", event.FormatCDC, cdcEvent(t, "claim-line-1.json"), cdc, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := event.Envelope{ID: "env-" + tc.name, Format: tc.format, Kind: "K", Key: "KEY", Received: time.Now(), Source: "test", Payload: tc.payload}
			outs, err := n.Transform(t.Context(), stream.EnvelopeRecord(topics, env))
			if err != nil {
				t.Fatal(err)
			}
			upserts, patches := 0, 0
			for _, o := range outs {
				if o.Topic != topics.FHIR() {
					t.Fatalf("output to %s (%s)", o.Topic, o.Header(event.HeaderDLQCode))
				}
				switch event.Op(o.Header(event.HeaderOp)) {
				case event.OpUpsert:
					upserts++
					if got := mappingTags(t, o.Value); !slices.Equal(got, []string{tc.want}) {
						t.Errorf("%s: mapping tags %q, want [%q]", o.Header(event.HeaderResourceType), got, tc.want)
					}
				case event.OpPatch:
					patches++
					if strings.Contains(string(o.Value), SystemMappingVersion) {
						t.Errorf("patch carries a mapping tag: %s", o.Value)
					}
				}
			}
			if upserts == 0 || (patches > 0) != tc.patches {
				t.Errorf("%d upserts, %d patches", upserts, patches)
			}
		})
	}
}

func readHL7(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../fhir/fromv2/testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// setMappingTag replaces a mapping tag it finds, and keeps other tags.
func TestSetMappingTagReplaces(t *testing.T) {
	t.Parallel()
	other := &dtpb.Coding{System: &dtpb.Uri{Value: "urn:other"}, Code: &dtpb.Code{Value: "x"}}
	old := &dtpb.Coding{System: &dtpb.Uri{Value: SystemMappingVersion}, Code: &dtpb.Code{Value: "hl7v2/0"}}
	p := &ppb.Patient{Meta: &dtpb.Meta{Tag: []*dtpb.Coding{old, other, old}}}
	setMappingTag(p, "hl7v2/1")
	var got []string
	for _, c := range p.GetMeta().GetTag() {
		got = append(got, c.GetSystem().GetValue()+"|"+c.GetCode().GetValue())
	}
	want := []string{"urn:other|x", SystemMappingVersion + "|hl7v2/1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}

// bumped is a converter whose mapping claims another version, as after a
// mapping fix.
type bumped struct {
	Converter
	version string
}

func (b bumped) MappingVersion() string { return b.version }

// The must-show of replay: raw HL7 v2, X12 and CDC messages normalized
// and materialized into store A; then
//   - the whole raw topics replayed into a staging topic and materialized
//     into an empty store B give B the checksum of A;
//   - fhir.v1 alone materialized into an empty store C (a new group)
//     gives C the checksum of A;
//   - a replay with a changed mapping version changes the checksum and
//     the tag, but not the resources' types and ids.
func TestReplayRebuildsTheStore(t *testing.T) {
	t.Parallel()
	start := time.Now()
	b, err := stream.StartEmbedded(stream.EmbeddedConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	cfg := stream.Config{Brokers: b.Addrs(), Topics: event.NewTopics("")}
	ctx := t.Context()
	spec := stream.TopicSpec{Partitions: 3}
	if err := stream.EnsureTopics(ctx, cfg, spec); err != nil {
		t.Fatal(err)
	}
	prod, err := stream.NewProducer(cfg, event.FamilyRaw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prod.Close(context.Background()) })
	converters := allConverters(t)

	// The raw messages: every HL7 v2 and X12 sample, and the CDC events
	// of the example mapping in an order that makes sense for a row.
	emit := func(f event.Format, key string, payload []byte) {
		t.Helper()
		if err := prod.Emit(ctx, event.Envelope{ID: event.NewID(time.Now()), Format: f, Kind: "K", Received: time.Now().UTC(),
			Source: "test", Key: key, Payload: payload}); err != nil {
			t.Fatal(err)
		}
	}
	hl7s, _ := filepath.Glob("../fhir/fromv2/testdata/*.hl7")
	x12s, _ := filepath.Glob("../fhir/fromx12/testdata/*.x12")
	if len(hl7s) < 5 || len(x12s) < 5 {
		t.Fatalf("found %d HL7 v2 and %d X12 samples", len(hl7s), len(x12s))
	}
	for _, p := range hl7s {
		emit(event.FormatHL7v2, filepath.Base(p), readHL7(t, filepath.Base(p)))
	}
	for _, p := range x12s {
		emit(event.FormatX12, "SENDER", readX12(t, filepath.Base(p)))
	}
	for _, name := range []string{
		"provider-organization", "provider-practitioner", "provider-retyped",
		"member-create", "member-update", "eligibility-create", "eligibility-dependent",
		"claim-header-create", "claim-line-1", "claim-line-2", "claim-line-2-delete",
	} {
		table, _, _ := strings.Cut(name, "-")
		emit(event.FormatCDC, table, cdcEvent(t, name+".json"))
	}

	// Store A: the normalizer and a materializer, until caught up.
	norm, err := NewNormalizer(NormalizerConfig{Stream: cfg, Converters: converters, Instance: "a", Labeler: labels.Default()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(norm.Close)
	storeA := storetest.Open(t)
	runStages(t, norm.Run, materializer(t, cfg, storeA, prod, "", "").Run)
	waitNormalized(t, cfg, cfg.Topics.Prefix+"normalize")
	fhirRecs := waitMaterialized(t, cfg, storeA, cfg.Topics.FHIR(), cfg.Topics.Prefix+"materialize")
	sumA := checksum(t, storeA)
	if len(sumA.Types) < 8 {
		t.Fatalf("store A holds only %v", sumA.Types)
	}
	t.Logf("store A: %v (%s)", sumA.Types, time.Since(start).Round(time.Millisecond))

	replay := func(name string, conv map[event.Format]Converter) (string, ReplayResult) {
		t.Helper()
		staging := "staging." + name + ".fhir.v1"
		if err := stream.EnsureTopic(ctx, cfg, spec, staging); err != nil {
			t.Fatal(err)
		}
		res, err := Replay(ctx, ReplayConfig{Stream: cfg, Topic: staging,
			Normalize: NormalizerConfig{Converters: conv, Labeler: labels.Default()},
			From:      stream.AtOffset(0), TransactionalID: "replay-" + name, BatchSize: 7})
		if err != nil {
			t.Fatal(err)
		}
		return staging, res
	}

	// (i) The whole raw topics replayed into a staging topic, materialized
	// into an empty store B.
	staging, res := replay("b", converters)
	read, written, dead := 0, 0, 0
	for _, tr := range res.Topics {
		read, written, dead = read+tr.Read, written+tr.Resources, dead+tr.DeadLetters
	}
	if want := len(hl7s) + len(x12s) + 11; read != want {
		t.Errorf("replay read %d raw records, want %d", read, want)
	}
	if written != len(fhirRecs) {
		t.Errorf("replay wrote %d resources, the normalizer %d", written, len(fhirRecs))
	}
	t.Logf("replay: %d read, %d resources, %d dead letters", read, written, dead)
	storeB := storetest.Open(t)
	runStages(t, materializer(t, cfg, storeB, prod, "rebuild-b", staging).Run)
	waitMaterialized(t, cfg, storeB, staging, "rebuild-b")
	if diff := cmp.Diff(sumA, checksum(t, storeB)); diff != "" {
		t.Errorf("store B (from a replay) differs from store A (-A +B):\n%s", diff)
	}

	// (ii) fhir.v1 alone, into an empty store C under a new group.
	storeC := storetest.Open(t)
	runStages(t, materializer(t, cfg, storeC, prod, "rebuild-c", "").Run)
	waitMaterialized(t, cfg, storeC, cfg.Topics.FHIR(), "rebuild-c")
	if diff := cmp.Diff(sumA, checksum(t, storeC)); diff != "" {
		t.Errorf("store C (from fhir.v1) differs from store A (-A +C):\n%s", diff)
	}

	// (iii) After a mapping change: the same resources, with the new tag.
	changed := map[event.Format]Converter{}
	for f, c := range converters {
		changed[f] = bumped{c, "2"}
	}
	staging2, _ := replay("d", changed)
	storeD := storetest.Open(t)
	runStages(t, materializer(t, cfg, storeD, prod, "rebuild-d", staging2).Run)
	recsD := waitMaterialized(t, cfg, storeD, staging2, "rebuild-d")
	sumD := checksum(t, storeD)
	if sumD.Sum == sumA.Sum {
		t.Error("a replay with another mapping version left the checksum as it was")
	}
	if diff := cmp.Diff(sumA.Types, sumD.Types); diff != "" {
		t.Errorf("resource counts after a mapping change (-A +D):\n%s", diff)
	}
	if diff := cmp.Diff(recordIDs(fhirRecs), recordIDs(recsD)); diff != "" {
		t.Errorf("resources after a mapping change (-A +D):\n%s", diff)
	}
	for _, r := range recsD {
		if r.Header(event.HeaderOp) != string(event.OpUpsert) {
			continue
		}
		typ, id := r.Header(event.HeaderResourceType), r.Header(event.HeaderResourceID)
		stored, err := storeD.Read(ctx, typ, id)
		if err != nil {
			continue // deleted later
		}
		f, _ := event.ParseFormat(r.Header(event.HeaderFormat))
		if got, want := mappingTags(t, stored.JSON), []string{f.String() + "/2"}; !slices.Equal(got, want) {
			t.Errorf("%s/%s in store D: mapping tags %q, want %q", typ, id, got, want)
		}
		break
	}
	t.Logf("took %s", time.Since(start).Round(time.Millisecond))
}

// recordIDs returns the sorted, distinct type/id of the records.
func recordIDs(recs []stream.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Header(event.HeaderResourceType)+"/"+r.Header(event.HeaderResourceID))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func materializer(t *testing.T, cfg stream.Config, st *store.Store, dead *stream.Producer, group, topic string) *Materializer {
	t.Helper()
	m, err := NewMaterializer(MaterializerConfig{Stream: cfg, Store: st, DeadLetters: dead, Group: group, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// runStages runs the stages until the test ends.
func runStages(t *testing.T, stages ...func(context.Context) error) {
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for _, run := range stages {
		wg.Go(func() { _ = run(ctx) })
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func checksum(t *testing.T, st *store.Store) store.Checksum {
	t.Helper()
	sum, err := st.Checksum(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// waitNormalized waits until group has committed every raw record.
func waitNormalized(t *testing.T, cfg stream.Config, group string) {
	t.Helper()
	for _, f := range []event.Format{event.FormatHL7v2, event.FormatX12, event.FormatCDC} {
		topic := cfg.Topics.Raw(f)
		ends, err := stream.EndOffsets(t.Context(), cfg, topic)
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the normalizer to read "+topic, func() bool {
			done, err := stream.CommittedOffsets(t.Context(), cfg, group, topic)
			if err != nil {
				return false
			}
			for p, end := range ends {
				if end > 0 && done[p] < end {
					return false
				}
			}
			return true
		})
	}
}

// waitMaterialized waits until the store has applied every record of
// topic, and returns them.
func waitMaterialized(t *testing.T, cfg stream.Config, st *store.Store, topic, group string) []stream.Record {
	t.Helper()
	recs, err := stream.ReadAll(t.Context(), cfg, topic)
	if err != nil {
		t.Fatal(err)
	}
	last := map[int32]int64{}
	for _, r := range recs {
		last[r.Partition] = max(last[r.Partition], r.Offset+1)
	}
	eventually(t, "the materializer to apply "+topic, func() bool {
		done, err := st.Offsets(t.Context(), group, topic)
		if err != nil {
			return false
		}
		for p, next := range last {
			if done[p] < next {
				return false
			}
		}
		return true
	})
	return recs
}
