package cdc

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/stream"
)

// pollerCursor adapts stream.Poller to Cursor, as cmd/tributary does.
type pollerCursor struct{ p *stream.Poller }

func (c pollerCursor) Poll(ctx context.Context, wait time.Duration) ([]Record, error) {
	recs, err := c.p.Poll(ctx, wait)
	if errors.Is(err, stream.ErrRewound) {
		return nil, fmt.Errorf("%w: %w", ErrRewound, err)
	}
	out := make([]Record, len(recs))
	for i, r := range recs {
		out[i] = Record{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp}
	}
	return out, err
}

func (c pollerCursor) Commit(ctx context.Context, next map[TopicPartition]int64) error {
	m := map[string]map[int32]int64{}
	for tp, off := range next {
		if m[tp.Topic] == nil {
			m[tp.Topic] = map[int32]int64{}
		}
		m[tp.Topic][tp.Partition] = off
	}
	return c.p.Commit(ctx, m)
}

func (c pollerCursor) Rewind() { c.p.Rewind() }

// txCluster starts an embedded broker with the contract topics of prefix
// "out." (raw.cdc.v1 is where the relay writes) and of prefix "src.",
// whose raw.cdc.v1 stands for a table topic and raw.x12.v1 for the
// connector's transaction topic.
func txCluster(t *testing.T) (out, src stream.Config, table, txTopic string) {
	t.Helper()
	e, err := stream.StartEmbedded(stream.EmbeddedConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	out = stream.Config{Brokers: e.Addrs(), Topics: event.NewTopics("out.")}
	src = stream.Config{Brokers: e.Addrs(), Topics: event.NewTopics("src.")}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for _, c := range []stream.Config{out, src} {
		if err := stream.EnsureTopics(ctx, c, stream.TopicSpec{Partitions: 3}); err != nil {
			t.Fatal(err)
		}
	}
	return out, src, src.Topics.Raw(event.FormatCDC), src.Topics.Raw(event.FormatX12)
}

// runTxRelay starts a transactional relay in group; stop stops it (a
// crash, as far as held records go: they are dropped, uncommitted).
func runTxRelay(t *testing.T, out, src stream.Config, group string, topics []string, maxAge time.Duration) (*Relay, func()) {
	t.Helper()
	p, err := stream.NewPoller(src, stream.PollerConfig{Group: group, Topics: topics})
	if err != nil {
		t.Fatal(err)
	}
	txp, err := stream.NewTxProducer(out, event.FamilyRaw, stream.TxProducerConfig{TransactionalID: group + "-tx"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRelay(RelayConfig{Transactions: &TransactionConfig{
		Source: pollerCursor{p},
		Emit:   func(ctx context.Context, envs []event.Envelope) error { return txp.EmitAll(ctx, envs...) },
		MaxAge: maxAge,
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := r.Run(ctx, nil); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return r, func() {
		cancel()
		wg.Wait()
		p.Close()
		txp.Close()
	}
}

func txChange(id int, tx string, order int) []byte {
	return []byte(`{"op":"u","before":null,"after":{"id":` + strconv.Itoa(id) + `},` +
		`"source":{"connector":"postgresql","name":"pg","db":"payer","schema":"public","table":"member","lsn":` + strconv.Itoa(1000+id) + `,"ts_ms":1700000000000},` +
		`"transaction":{"id":"` + tx + `","total_order":` + strconv.Itoa(order) + `,"data_collection_order":` + strconv.Itoa(order) + `}}`)
}

func txBoundary(status, tx string, count int) stream.Record {
	v := `{"status":"BEGIN","id":"` + tx + `","ts_ms":1700000000000,"event_count":null,"data_collections":null}`
	if status == "END" {
		v = `{"status":"END","id":"` + tx + `","ts_ms":1700000000000,"event_count":` + strconv.Itoa(count) +
			`,"data_collections":[{"data_collection":"payer.public.member","event_count":` + strconv.Itoa(count) + `}]}`
	}
	return stream.Record{Key: []byte(`{"id":"` + tx + `"}`), Value: []byte(v)}
}

// rawByTx reads raw.cdc.v1 (read_committed) and counts envelopes per
// source transaction id ("" for none), and per source record.
func rawByTx(t *testing.T, out stream.Config) (byTx map[string]int, bySource map[string]int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	recs, err := stream.ReadAll(ctx, out, out.Topics.Raw(event.FormatCDC))
	if err != nil {
		t.Fatal(err)
	}
	byTx, bySource = map[string]int{}, map[string]int{}
	for _, r := range recs {
		e, err := stream.Envelope(r)
		if err != nil {
			t.Fatal(err)
		}
		byTx[e.Attrs[AttrTxID]]++
		bySource[e.Attrs[AttrSourceTopic]+"/"+e.Attrs[AttrSourcePartition]+"@"+e.Attrs[AttrSourceOffset]]++
	}
	return byTx, bySource
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Two source transactions interleaved on a table topic, their BEGIN/END
// records on the transaction topic: each shows on raw.cdc.v1 (read
// committed) only once complete, whole; a record without a transaction
// passes at once. Offsets are committed only below what is held: a relay
// killed while holding a transaction loses nothing, the next one
// relays it whole.
func TestRelayTransactionsGrouped(t *testing.T) {
	t.Parallel()
	out, src, table, txTopic := txCluster(t)
	ctx := t.Context()
	sp, err := stream.NewProducer(src, event.FamilyRaw)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close(context.Background())
	produce := func(topic string, recs ...stream.Record) {
		t.Helper()
		for _, r := range recs {
			r.Topic = topic
			if err := sp.Produce(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	key := func(id int) []byte { return []byte(`{"id":` + strconv.Itoa(id) + `}`) }
	produce(txTopic, txBoundary("BEGIN", "T1", 0), txBoundary("BEGIN", "T2", 0))
	produce(table,
		stream.Record{Key: key(1), Value: txChange(1, "T1", 1)},
		stream.Record{Key: key(2), Value: txChange(2, "T2", 1)},
		stream.Record{Key: key(3), Value: txChange(3, "T1", 2)},
		stream.Record{Key: key(4), Value: txChange(4, "T2", 2)},
		stream.Record{Key: key(9), Value: nil}, // a tombstone: no transaction block
	)
	produce(txTopic, txBoundary("END", "T2", 2))

	topics := []string{table, txTopic}
	r, stop := runTxRelay(t, out, src, "relay", topics, time.Hour)
	// T2 is complete: its BEGIN, two events and END come together; the
	// tombstone (no transaction) at once; T1 is held.
	waitUntil(t, "T2 is relayed", func() bool {
		byTx, _ := rawByTx(t, out)
		return byTx["T2"] == 4 && byTx[""] == 1
	})
	time.Sleep(500 * time.Millisecond)
	byTx, _ := rawByTx(t, out)
	if byTx["T1"] != 0 || byTx["T2"] != 4 {
		t.Fatalf("before T1's END, raw.cdc.v1 holds %v", byTx)
	}
	if st := r.Stats(); st.Grouped != 1 || st.Held != 3 || st.Incomplete != 0 {
		t.Errorf("stats %+v, want 1 grouped and 3 held (T1's BEGIN and events)", st)
	}
	// Nothing at or after a held record is committed.
	held := map[string]bool{}
	recs, err := stream.ReadAll(ctx, src, table)
	if err != nil {
		t.Fatal(err)
	}
	txRecs, err := stream.ReadAll(ctx, src, txTopic)
	if err != nil {
		t.Fatal(err)
	}
	lowest := map[string]int64{} // per topic/partition, the first T1 record
	for _, rec := range append(recs, txRecs...) {
		ev, err := Parse(rec.Key, rec.Value)
		isT1 := err == nil && (ev.Transaction != nil && ev.Transaction.ID == "T1" || ev.Boundary != nil && ev.Boundary.ID == "T1")
		k := rec.Topic + "/" + strconv.Itoa(int(rec.Partition))
		if isT1 {
			held[k] = true
			if o, ok := lowest[k]; !ok || rec.Offset < o {
				lowest[k] = rec.Offset
			}
		}
	}
	for _, topic := range topics {
		committed, err := stream.CommittedOffsets(ctx, src, "relay", topic)
		if err != nil {
			t.Fatal(err)
		}
		for p, off := range committed {
			k := topic + "/" + strconv.Itoa(int(p))
			if held[k] && off > lowest[k] {
				t.Errorf("%s committed at %d, past T1's held record at %d", k, off, lowest[k])
			}
		}
	}

	// Kill the relay while it holds T1; T1's END comes; a new relay
	// reads again from the committed offsets and relays T1 whole.
	stop()
	produce(txTopic, txBoundary("END", "T1", 2))
	// T2's records read again are duplicates: those on partitions behind
	// T1's records come again, the others do not, so T2 stays incomplete
	// and is released at the age limit.
	r, stop = runTxRelay(t, out, src, "relay", topics, time.Second)
	defer stop()
	waitUntil(t, "T1 is relayed", func() bool {
		byTx, _ := rawByTx(t, out)
		return byTx["T1"] == 4
	})
	time.Sleep(500 * time.Millisecond)
	byTx, bySource := rawByTx(t, out)
	if byTx["T1"] != 4 {
		t.Errorf("T1 relayed as %d envelopes, want 4 (once)", byTx["T1"])
	}
	// Every source record is on raw.cdc.v1 (T2's records read again after
	// the restart, being on partitions behind T1's, are duplicates with
	// the same position, which the pipeline ignores).
	for _, rec := range append(recs, txRecs...) {
		if bySource[rec.Topic+"/"+strconv.Itoa(int(rec.Partition))+"@"+strconv.FormatInt(rec.Offset, 10)] == 0 {
			t.Errorf("source record %s/%d@%d lost", rec.Topic, rec.Partition, rec.Offset)
		}
	}
	waitUntil(t, "nothing is held", func() bool { return r.Stats().Held == 0 })
	if st := r.Stats(); st.Grouped < 1 {
		t.Errorf("after restart: stats %+v", st)
	}
}

// A transaction whose END never comes is released after MaxAge, counted
// incomplete; its later events are not held again. A Kafka transaction
// that fails is not lost: the source is rewound and read again.
func TestRelayTransactionsAgeLimitAndFailure(t *testing.T) {
	t.Parallel()
	out, src, table, txTopic := txCluster(t)
	ctx := t.Context()
	sp, err := stream.NewProducer(src, event.FamilyRaw)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close(context.Background())
	produce := func(topic string, recs ...stream.Record) {
		t.Helper()
		for _, r := range recs {
			r.Topic = topic
			if err := sp.Produce(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	key := func(id int) []byte { return []byte(`{"id":` + strconv.Itoa(id) + `}`) }
	produce(txTopic, txBoundary("BEGIN", "T3", 0))
	produce(table, stream.Record{Key: key(1), Value: txChange(1, "T3", 1)})

	p, err := stream.NewPoller(src, stream.PollerConfig{Group: "relay", Topics: []string{table, txTopic}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	txp, err := stream.NewTxProducer(out, event.FamilyRaw, stream.TxProducerConfig{TransactionalID: "relay-tx"})
	if err != nil {
		t.Fatal(err)
	}
	defer txp.Close()
	var calls, failed int
	emit := func(ctx context.Context, envs []event.Envelope) error {
		calls++
		if calls == 1 {
			// The first transaction fails after its records were produced.
			if err := txp.Begin(); err != nil {
				return err
			}
			for _, e := range envs {
				txp.ProduceEnvelope(ctx, e)
			}
			failed = len(envs)
			return errors.Join(errors.New("broker lost"), txp.Abort(ctx))
		}
		return txp.EmitAll(ctx, envs...)
	}
	r, err := NewRelay(RelayConfig{Transactions: &TransactionConfig{Source: pollerCursor{p}, Emit: emit, MaxAge: 700 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := r.Run(runCtx, nil); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	defer func() { cancel(); wg.Wait() }()
	start := time.Now()
	waitUntil(t, "T3 is released", func() bool {
		byTx, _ := rawByTx(t, out)
		return byTx["T3"] == 2
	})
	if d := time.Since(start); d < 700*time.Millisecond {
		t.Errorf("T3 released after %v, before the age limit", d)
	}
	if failed != 2 {
		t.Errorf("the failed transaction held %d records, want T3's 2", failed)
	}
	// Its END and a late event: not held again.
	produce(table, stream.Record{Key: key(2), Value: txChange(2, "T3", 2)})
	produce(txTopic, txBoundary("END", "T3", 2))
	waitUntil(t, "T3's late records pass", func() bool {
		byTx, _ := rawByTx(t, out)
		return byTx["T3"] == 4
	})
	st := r.Stats()
	if st.Incomplete != 1 || st.Failures != 1 || st.Held != 0 {
		t.Errorf("stats %+v, want 1 incomplete, 1 failure, none held", st)
	}
}

// The holder, without a broker: a row's records keep their order across
// transactions and records without one; the held-events bound releases
// the oldest transaction.
func TestHolderOrder(t *testing.T) {
	t.Parallel()
	r, err := NewRelay(RelayConfig{Consumer: &fakeBatches{}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	h := newHolder()
	off := int64(0)
	add := func(topic string, key, value []byte) {
		rec := Record{Topic: topic, Offset: off, Key: key, Value: value}
		off++
		env, ev := r.envelopeEvent(rec)
		h.add(rec, env, ev, now)
	}
	offsets := func(out []*heldEvent) string {
		var s []string
		for _, e := range out {
			s = append(s, strconv.FormatInt(e.off, 10))
		}
		return fmt.Sprint(s)
	}
	key := func(id int) []byte { return []byte(`{"id":` + strconv.Itoa(id) + `}`) }
	const tbl, tx = "pg.public.member", "pg.transaction"
	end := func(id string, n int) []byte { return txBoundary("END", id, n).Value }
	add(tbl, key(1), txChange(1, "A", 1)) // 0: A, row 1
	add(tbl, key(1), nil)                 // 1: row 1's tombstone: follows A
	add(tbl, key(2), nil)                 // 2: row 2, nothing held: at once
	add(tbl, key(1), txChange(1, "B", 1)) // 3: B, row 1, behind A
	add(tx, key(0), end("B", 1))          // 4: B is complete, but waits for A
	out, rel := h.take(now, 100, time.Minute)
	if got := offsets(out); got != "[2]" || rel.grouped != 0 {
		t.Errorf("first take: %s %+v, want [2]", got, rel)
	}
	if next := h.commitable(); next[TopicPartition{tbl, 0}] != 0 || next[TopicPartition{tx, 0}] != 4 {
		t.Errorf("commitable %v, want the table at 0 (A held), the transaction topic at 4", next)
	}
	add(tx, key(0), end("A", 1)) // 5
	out, rel = h.take(now, 100, time.Minute)
	if got := offsets(out); got != "[0 1 3 4 5]" || rel.grouped != 2 {
		t.Errorf("second take: %s %+v", got, rel)
	}
	if next := h.commitable(); next[TopicPartition{tbl, 0}] != 4 || next[TopicPartition{tx, 0}] != 6 {
		t.Errorf("commitable %v after all was released", next)
	}
	// Once written (runTx remembers them), A's records read again after a
	// rewind are duplicates and pass.
	for _, id := range rel.complete {
		h.remember(id)
	}
	h.reset()
	add(tbl, key(1), txChange(1, "A", 1))
	if out, _ := h.take(now, 100, time.Minute); len(out) != 1 || h.held != 0 {
		t.Errorf("A read again: %d released, %d held", len(out), h.held)
	}
	off = 6

	// The bound: three held events of C and D, limit 2: C (the oldest)
	// goes, incomplete; D stays.
	add(tbl, key(3), txChange(3, "C", 1)) // 6
	add(tbl, key(3), txChange(3, "C", 2)) // 7
	add(tbl, key(4), txChange(4, "D", 1)) // 8
	out, rel = h.take(now, 2, time.Minute)
	if got := offsets(out); got != "[6 7]" || rel.incomplete != 1 || h.held != 1 {
		t.Errorf("bounded take: %s %+v, %d held", got, rel, h.held)
	}
	// The age: D goes once older than MaxAge.
	out, rel = h.take(now.Add(2*time.Minute), 100, time.Minute)
	if got := offsets(out); got != "[8]" || rel.incomplete != 1 || h.held != 0 {
		t.Errorf("aged take: %s %+v", got, rel)
	}
}

func TestNewRelayTransactionsNeedSourceAndEmit(t *testing.T) {
	t.Parallel()
	if _, err := NewRelay(RelayConfig{Transactions: &TransactionConfig{}}); err == nil {
		t.Error("NewRelay with transactions but no source or emit succeeded")
	}
	tc := &TransactionConfig{Source: pollerCursor{}, Emit: func(context.Context, []event.Envelope) error { return nil }}
	if _, err := NewRelay(RelayConfig{Transactions: tc}); err != nil || tc.MaxAge != 0 {
		t.Errorf("NewRelay: %v; the caller's config changed: %+v", err, tc)
	}
}
