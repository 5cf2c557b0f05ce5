package pipeline

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/fhir/fromv2"
	"github.com/tributary-health/tributary/store"
	"github.com/tributary-health/tributary/store/storetest"
	"github.com/tributary-health/tributary/stream"
)

type env struct {
	cfg   stream.Config
	store *store.Store
	prod  *stream.Producer
	norm  *Normalizer
	mat   *Materializer
}

// newEnv is an embedded broker, a store, and a normalizer with the HL7 v2
// converter and a materializer between them.
func newEnv(t *testing.T) *env {
	t.Helper()
	mapper, err := fromv2.New(fromv2.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, map[event.Format]Converter{event.FormatHL7v2: HL7v2{Mapper: mapper}})
}

// newEnvWith is newEnv with the given converters.
func newEnvWith(t *testing.T, converters map[event.Format]Converter) *env {
	t.Helper()
	b, err := stream.StartEmbedded(stream.EmbeddedConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	cfg := stream.Config{Brokers: b.Addrs(), Topics: event.NewTopics("")}
	if err := stream.EnsureTopics(t.Context(), cfg, stream.TopicSpec{Partitions: 3}); err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t)
	prod, err := stream.NewProducer(cfg, event.FamilyRaw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prod.Close(context.Background()) })
	norm, err := NewNormalizer(NormalizerConfig{Stream: cfg, Converters: converters, Instance: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(norm.Close)
	mat, err := NewMaterializer(MaterializerConfig{Stream: cfg, Store: st, DeadLetters: prod})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mat.Close)
	return &env{cfg: cfg, store: st, prod: prod, norm: norm, mat: mat}
}

func (e *env) run(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { _ = e.norm.Run(ctx) })
	wg.Go(func() { _ = e.mat.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func adt(mrn, family, ctrl string) []byte {
	return fmt.Appendf(nil, "MSH|^~\\&|REG|FAC|TRIB|TRIB|20261126093000||ADT^A01|%s|P|2.5.1\rEVN|A01\rPID|1||%s^^^FAC^MR||%s^Ann||19800101|F\r", ctrl, mrn, family)
}

func (e *env) emit(t *testing.T, payload []byte) string {
	t.Helper()
	id := event.NewID(time.Now())
	if err := e.prod.Emit(t.Context(), event.Envelope{
		ID: id, Format: event.FormatHL7v2, Kind: "ADT^A01", Received: time.Now().UTC(),
		Source: "test", Key: "FAC", Payload: payload,
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Raw HL7 in, Patients in the store; a malformed message goes to dlq.v1
// with its reason and location and does not hold up the messages after it.
func TestNormalizeAndMaterialize(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.run(t)
	e.emit(t, adt("1001", "Alpha", "C1"))
	badID := e.emit(t, []byte("MSH|^~\\&|REG|FAC|TRIB|TRIB|20261126||ADT^A01|C2|P|2.5.1\rPID|1||1002^^^FAC^MR||Beta^B||19801345|F\r"))
	e.emit(t, adt("1003", "Gamma", "C3"))
	e.emit(t, adt("1001", "Alpha-Renamed", "C4")) // an update of the first patient

	id1 := fhir.ID("Patient", "urn:tributary:aa:FAC", "1001")
	id3 := fhir.ID("Patient", "urn:tributary:aa:FAC", "1003")
	eventually(t, "both patients", func() bool {
		r1, err1 := e.store.Read(t.Context(), "Patient", id1)
		_, err3 := e.store.Read(t.Context(), "Patient", id3)
		return err1 == nil && err3 == nil && r1.VersionID == 2
	})
	if _, err := e.store.Read(t.Context(), "Patient", fhir.ID("Patient", "urn:tributary:aa:FAC", "1002")); err == nil {
		t.Error("the malformed message became a Patient")
	}
	var dlq []stream.Record
	eventually(t, "the dead letter", func() bool {
		var err error
		dlq, err = stream.ReadAll(t.Context(), e.cfg, e.cfg.Topics.DLQ())
		return err == nil && len(dlq) == 1
	})
	d := dlq[0]
	for h, want := range map[string]string{
		event.HeaderEnvelopeID:  badID,
		event.HeaderDLQStage:    StageNormalize,
		event.HeaderDLQCode:     "hl7v2.102",
		event.HeaderDLQLocation: "PID-7",
		event.HeaderDLQTopic:    e.cfg.Topics.Raw(event.FormatHL7v2),
	} {
		if got := d.Header(h); got != want {
			t.Errorf("dead letter header %s = %q, want %q", h, got, want)
		}
	}
	if got := string(d.Value); got == "" || d.Header(event.HeaderSHA256) == "" {
		t.Error("dead letter lost the original payload or headers")
	}
}

// Applying the same fhir.v1 records twice changes nothing the second time:
// the offsets stored with the data make re-delivery a no-op.
func TestMaterializerRedeliveryIsNoop(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.emit(t, adt("2001", "Delta", "D1"))
	e.emit(t, adt("2001", "Delta-2", "D2"))
	// Normalize only, then take the fhir.v1 records by hand.
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { _ = e.norm.Run(ctx) })
	var recs []stream.Record
	eventually(t, "normalized records", func() bool {
		var err error
		recs, err = stream.ReadAll(t.Context(), e.cfg, e.cfg.Topics.FHIR())
		patients := 0
		for _, r := range recs {
			if r.Header(event.HeaderResourceType) == "Patient" {
				patients++
			}
		}
		// Each message also brings its MessageHeader, Provenance and sender.
		return err == nil && patients == 2
	})
	cancel()
	wg.Wait()

	if err := e.mat.apply(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	id := fhir.ID("Patient", "urn:tributary:aa:FAC", "2001")
	before, err := e.store.Read(t.Context(), "Patient", id)
	if err != nil {
		t.Fatal(err)
	}
	if before.VersionID != 2 {
		t.Fatalf("versionId = %d, want 2", before.VersionID)
	}
	if err := e.mat.apply(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	after, _ := e.store.Read(t.Context(), "Patient", id)
	if after.VersionID != before.VersionID || !after.LastUpdated.Equal(before.LastUpdated) {
		t.Errorf("re-delivery changed the resource: version %d→%d", before.VersionID, after.VersionID)
	}
	h, err := e.store.History(t.Context(), "Patient", id)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 {
		t.Errorf("history has %d versions, want 2", len(h))
	}
}

// A record the store cannot take goes to the dead-letter topic; the batch
// around it is applied.
func TestMaterializerDeadLettersBadRecords(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	topic := e.cfg.Topics.FHIR()
	good := stream.Record{Topic: topic, Partition: 0, Offset: 0, Value: []byte(`{"resourceType":"Patient","id":"p1"}`)}
	good.SetHeader(event.HeaderResourceType, "Patient")
	good.SetHeader(event.HeaderResourceID, "p1")
	good.SetHeader(event.HeaderOp, "upsert")
	noHeaders := stream.Record{Topic: topic, Partition: 0, Offset: 1, Value: []byte(`{}`)}
	badJSON := stream.Record{Topic: topic, Partition: 0, Offset: 2, Value: []byte(`{"resourceType":`)}
	badJSON.Headers = append(badJSON.Headers, good.Headers...)
	badJSON.SetHeader(event.HeaderResourceID, "p2")
	if err := e.mat.apply(t.Context(), []stream.Record{good, noHeaders, badJSON}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Read(t.Context(), "Patient", "p1"); err != nil {
		t.Errorf("good record not applied: %v", err)
	}
	off, err := e.store.Offsets(t.Context(), e.mat.cfg.Group, topic)
	if err != nil {
		t.Fatal(err)
	}
	if off[0] != 3 {
		t.Errorf("stored next offset = %d, want 3: dead-lettered records are passed", off[0])
	}
	dlq, err := stream.ReadAll(t.Context(), e.cfg, e.cfg.Topics.DLQ())
	if err != nil {
		t.Fatal(err)
	}
	if len(dlq) != 2 {
		t.Fatalf("%d dead letters, want 2", len(dlq))
	}
	for _, d := range dlq {
		if d.Header(event.HeaderDLQStage) != StageMaterialize || d.Header(event.HeaderDLQCode) == "" {
			t.Errorf("dead letter headers: stage %q code %q", d.Header(event.HeaderDLQStage), d.Header(event.HeaderDLQCode))
		}
	}
}
