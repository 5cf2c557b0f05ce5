package stream

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-health/tributary/event"
)

// newCluster starts an embedded broker on a free port and creates the
// contract topics under a prefix of the test's own.
func newCluster(t *testing.T) Config {
	t.Helper()
	e, err := StartEmbedded(EmbeddedConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	cfg := Config{Brokers: e.Addrs(), Topics: event.NewTopics("test.")}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := EnsureTopics(ctx, cfg, TopicSpec{Partitions: 3}); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestEmitAndReadBackEnvelope(t *testing.T) {
	t.Parallel()
	cfg := newCluster(t)
	ctx := t.Context()
	p, err := NewProducer(cfg, event.FamilyRaw)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	if err := p.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	want := event.Envelope{
		ID:       event.NewID(time.Now()),
		Format:   event.FormatHL7v2,
		Kind:     "ADT^A01",
		Received: time.Date(2026, 11, 26, 9, 30, 0, 123456789, time.UTC),
		Source:   "mllp",
		Key:      "FAC",
		Attrs:    map[string]string{"msh-10": "MSG1"},
		Payload:  []byte("MSH|^~\\&|A|FAC|||20261126||ADT^A01|MSG1|P|2.5.1\r"),
	}
	if err := p.Emit(ctx, want); err != nil {
		t.Fatal(err)
	}
	// EnsureTopics is idempotent.
	if err := EnsureTopics(ctx, cfg, TopicSpec{Partitions: 3}); err != nil {
		t.Fatalf("second EnsureTopics: %v", err)
	}
	recs, err := ReadAll(ctx, cfg, cfg.Topics.Raw(event.FormatHL7v2))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("read %d records, want 1", len(recs))
	}
	got, err := Envelope(recs[0])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("envelope round trip (-want +got):\n%s", diff)
	}

	recs[0].Value = append([]byte(nil), recs[0].Value...)
	recs[0].Value[0] = 'X'
	if _, err := Envelope(recs[0]); err == nil {
		t.Error("Envelope accepted a payload that does not match its sha256")
	}
}

func TestParseCompression(t *testing.T) {
	t.Parallel()
	c, err := ParseCompression("raw=zstd, fhir=none")
	if err != nil {
		t.Fatal(err)
	}
	if c.Codec(event.FamilyRaw) != CodecZstd || c.Codec(event.FamilyFHIR) != CodecNone || c.Codec(event.FamilyDLQ) != CodecGzip {
		t.Errorf("ParseCompression = %v", c)
	}
	if c, _ := ParseCompression("snappy"); c.Codec(event.FamilyAudit) != CodecSnappy {
		t.Errorf("bare codec not applied to every family: %v", c)
	}
	for _, bad := range []string{"raw=brotli", "nope=gzip", "lzma"} {
		if _, err := ParseCompression(bad); err == nil {
			t.Errorf("ParseCompression(%q) succeeded", bad)
		}
	}
}

// The transformer must commit each input's outputs exactly once, even when
// a transaction is aborted part-way through a batch and retried.
func TestTransformerExactlyOnceAcrossAborts(t *testing.T) {
	t.Parallel()
	cfg := newCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	in, out := cfg.Topics.Raw(event.FormatHL7v2), cfg.Topics.FHIR()
	const n = 300
	produceNumbered(t, ctx, cfg, in, n)

	var calls, failures atomic.Int64
	fn := func(_ context.Context, r Record) ([]Record, error) {
		// Fail every 50th call once: a transient error mid-batch.
		if c := calls.Add(1); c%50 == 0 && failures.Load() < 4 {
			failures.Add(1)
			return nil, errors.New("transient")
		}
		return []Record{{Topic: out, Key: r.Key, Value: append([]byte("out-"), r.Value...)}}, nil
	}
	tr, err := NewTransformer(cfg, TransformConfig{Group: "g", TransactionalID: "t1", Topics: []string{in}, MaxPollRecords: 40})
	if err != nil {
		t.Fatal(err)
	}
	transformAll(t, ctx, cfg, tr, fn, out, n)
	if failures.Load() == 0 {
		t.Fatal("no transaction was aborted; the test proves nothing")
	}
	checkEachOutputOnce(t, ctx, cfg, out, n)
}

// A batch slower than the transaction timeout is aborted by the broker;
// the transformer retries with smaller batches instead of timing out on
// the same batch forever, and every input's output is committed once.
func TestTransformerShrinksBatchesThatOutliveTheTransaction(t *testing.T) {
	t.Parallel()
	cfg := newCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	in, out := cfg.Topics.Raw(event.FormatHL7v2), cfg.Topics.FHIR()
	const n = 60
	produceNumbered(t, ctx, cfg, in, n)
	var calls atomic.Int64
	fn := func(_ context.Context, r Record) ([]Record, error) {
		calls.Add(1)
		time.Sleep(60 * time.Millisecond) // 60 inputs: 3.6 s, over the 2 s timeout
		return []Record{{Topic: out, Key: r.Key, Value: append([]byte("out-"), r.Value...)}}, nil
	}
	tr, err := NewTransformer(cfg, TransformConfig{Group: "g", TransactionalID: "slow", Topics: []string{in}, MaxPollRecords: n, TransactionTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	transformAll(t, ctx, cfg, tr, fn, out, n)
	if calls.Load() <= n {
		t.Fatalf("%d transform calls for %d inputs: no batch was aborted, the test proves nothing", calls.Load(), n)
	}
	checkEachOutputOnce(t, ctx, cfg, out, n)
}

// produceNumbered writes records "0" to "n-1" to topic.
func produceNumbered(t *testing.T, ctx context.Context, cfg Config, topic string, n int) {
	t.Helper()
	p, err := NewProducer(cfg, event.FamilyRaw)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	for i := range n {
		k := strconv.Itoa(i)
		if err := p.Produce(ctx, Record{Topic: topic, Key: []byte(k), Value: []byte(k)}); err != nil {
			t.Fatal(err)
		}
	}
}

// transformAll runs tr until out holds n committed records, then stops
// and closes it.
func transformAll(t *testing.T, ctx context.Context, cfg Config, tr *Transformer, fn TransformFunc, out string, n int) {
	t.Helper()
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := tr.Run(runCtx, fn); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	waitFor(t, ctx, func() bool {
		recs, err := ReadAll(ctx, cfg, out)
		return err == nil && len(recs) == n
	})
	stop()
	wg.Wait()
	tr.Close()
}

// checkEachOutputOnce checks that out holds "out-<i>" exactly once for
// each input i < n.
func checkEachOutputOnce(t *testing.T, ctx context.Context, cfg Config, out string, n int) {
	t.Helper()
	recs, err := ReadAll(ctx, cfg, out)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range recs {
		seen[string(r.Value)]++
	}
	for i := range n {
		if c := seen[fmt.Sprintf("out-%d", i)]; c != 1 {
			t.Errorf("output of input %d committed %d times, want 1", i, c)
		}
	}
}

// The consumer starts where the external store says, and from the start
// where it knows nothing.
func TestConsumerResumesFromStoredOffsets(t *testing.T) {
	t.Parallel()
	cfg := newCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	topic := cfg.Topics.FHIR()
	p, err := NewProducer(cfg, event.FamilyFHIR)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	// All on one partition (one key), so offsets are 0..9.
	for i := range 10 {
		if err := p.Produce(ctx, Record{Topic: topic, Key: []byte("k"), Value: []byte(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := ReadAll(ctx, cfg, topic)
	if err != nil || len(recs) != 10 {
		t.Fatalf("ReadAll = %d records, %v", len(recs), err)
	}
	part := recs[0].Partition

	// The "store" has applied offsets 0..6; a batch fails once, and is retried.
	var mu sync.Mutex
	next := map[int32]int64{part: 7}
	var got []string
	failed := false
	c, err := NewConsumer(cfg, ConsumerConfig{
		Group:  "sink",
		Topics: []string{topic},
		Offsets: func(context.Context, string) (map[int32]int64, error) {
			mu.Lock()
			defer mu.Unlock()
			return map[int32]int64{part: next[part]}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = c.Run(runCtx, func(_ context.Context, rs []Record) error {
			mu.Lock()
			defer mu.Unlock()
			if !failed {
				failed = true
				return errors.New("database unavailable")
			}
			for _, r := range rs {
				got = append(got, string(r.Value))
				next[r.Partition] = r.Offset + 1
			}
			return nil
		})
	})
	waitFor(t, ctx, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return next[part] == 10
	})
	stop()
	wg.Wait()
	c.Close()
	if diff := cmp.Diff([]string{"7", "8", "9"}, got); diff != "" {
		t.Errorf("consumed (-want +got):\n%s", diff)
	}
}

func waitFor(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not reached before the deadline")
		case <-tick.C:
		}
	}
}

// A produce to a broker that went away returns within twice the delivery
// timeout, with an error, instead of waiting for the broker forever.
func TestProduceIsBoundedWhenTheBrokerIsGone(t *testing.T) {
	t.Parallel()
	e, err := StartEmbedded(EmbeddedConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Brokers: e.Addrs(), Topics: event.NewTopics("gone."), DeliveryTimeout: time.Second}
	if err := EnsureTopics(t.Context(), cfg, TopicSpec{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	p, err := NewProducer(cfg, event.FamilyRaw)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		// The broker is gone: Close may only wait as long as it is told.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		p.Close(ctx)
	}()
	env := event.Envelope{ID: event.NewID(time.Now()), Format: event.FormatHL7v2, Received: time.Now(), Source: "test", Key: "k", Payload: []byte("x")}
	if err := p.Emit(t.Context(), env); err != nil {
		t.Fatal(err)
	}
	e.Close()
	start := time.Now()
	env.ID = event.NewID(time.Now())
	err = p.Emit(t.Context(), env)
	if err == nil {
		t.Fatal("emit to a closed broker succeeded")
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("emit took %v, want at most twice the 1s delivery timeout (and some slack)", d)
	}
}
