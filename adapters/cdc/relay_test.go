package cdc

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-health/tributary/event"
)

// fakeBatches delivers its batches in order; a batch whose fn fails is
// delivered again, as the stream consumer does, and committed counts the
// records of accepted batches.
type fakeBatches struct {
	batches   [][]Record
	committed int
}

func (f *fakeBatches) Run(ctx context.Context, fn BatchFunc) error {
	for _, b := range f.batches {
		for {
			if err := fn(ctx, b); err == nil {
				f.committed += len(b)
				break
			}
			if ctx.Err() != nil {
				return nil
			}
		}
	}
	return nil
}

// collector is an Emit that keeps what it is given and can fail once.
type collector struct {
	mu     sync.Mutex
	envs   []event.Envelope
	failOn string // fail the first emit whose source-offset attr is this
	failed bool
}

func (c *collector) emit(_ context.Context, e event.Envelope) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.failed && c.failOn != "" && e.Attrs[AttrSourceOffset] == c.failOn {
		c.failed = true
		return errors.New("broker unavailable")
	}
	c.envs = append(c.envs, e)
	return nil
}

func pgChange(op string, id int, lsn int) []byte {
	img := `{"id":` + itoa(id) + `,"name":"Ann"}`
	before, after := "null", img
	if op == "d" {
		before, after = img, "null"
	}
	return []byte(`{"op":"` + op + `","before":` + before + `,"after":` + after +
		`,"source":{"connector":"postgresql","name":"pg","db":"payer","schema":"public","table":"member","lsn":` + itoa(lsn) + `,"txId":5,"ts_ms":1700000000000,"snapshot":"false"},` +
		`"transaction":{"id":"5:` + itoa(lsn) + `","total_order":1,"data_collection_order":1}}`)
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestRelayEnvelopes(t *testing.T) {
	t.Parallel()
	const topic = "pg.public.member"
	key := func(id int) []byte { return []byte(`{"id":` + itoa(id) + `}`) }
	recs := []Record{
		{Topic: topic, Partition: 0, Offset: 10, Key: key(1), Value: pgChange("c", 1, 100)},
		{Topic: topic, Partition: 0, Offset: 11, Key: key(1), Value: pgChange("u", 1, 200)},
		{Topic: topic, Partition: 1, Offset: 4, Key: key(2), Value: pgChange("c", 2, 150)},
		{Topic: topic, Partition: 0, Offset: 12, Key: key(1), Value: pgChange("d", 1, 300)},
		{Topic: topic, Partition: 0, Offset: 13, Key: key(1), Value: nil},
		{Topic: "pg.transaction", Partition: 0, Offset: 7, Key: []byte(`{"id":"5:300"}`), Value: []byte(`{"status":"END","id":"5:300","event_count":3,"data_collections":[{"data_collection":"payer.public.member","event_count":3}]}`)},
		{Topic: topic, Partition: 1, Offset: 5, Key: key(3), Value: []byte(`{"schema": { ... }, "payload": {"name":"SECRET"}}`)},
	}
	var reported []*RecordError
	var mu sync.Mutex
	fb := &fakeBatches{batches: [][]Record{recs[:4], recs[4:]}}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	r, err := NewRelay(RelayConfig{Consumer: fb, Now: func() time.Time { return now }, Report: func(e *RecordError) {
		mu.Lock()
		reported = append(reported, e)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	// The first emit of offset 11 fails: the whole first batch is
	// delivered again, offsets committed only after.
	c := &collector{failOn: "11"}
	if err := r.Run(t.Context(), c.emit); err != nil {
		t.Fatal(err)
	}
	if fb.committed != len(recs) {
		t.Errorf("committed %d records, want %d", fb.committed, len(recs))
	}
	st := r.Stats()
	if st.Failures != 1 || st.Batches != 2 {
		t.Errorf("stats %+v", st)
	}
	byOffset := map[string][]event.Envelope{}
	for _, e := range c.envs {
		byOffset[e.Attrs[AttrSourceTopic]+"@"+e.Attrs[AttrSourceOffset]] = append(byOffset[e.Attrs[AttrSourceTopic]+"@"+e.Attrs[AttrSourceOffset]], e)
	}
	// Offset 10 was emitted before the failure and again after it: a
	// duplicate with the same position, which the pipeline ignores.
	if d := byOffset[topic+"@10"]; len(d) != 2 || d[0].Attrs[AttrPosition] != d[1].Attrs[AttrPosition] || d[0].Attrs[AttrPosition] == "" {
		t.Errorf("offset 10 emitted %d times: %+v", len(d), d)
	}
	// One row's records are emitted in source order.
	var p0 []string
	for _, e := range c.envs {
		if e.Attrs[AttrSourceTopic] == topic && e.Attrs[AttrSourcePartition] == "0" {
			p0 = append(p0, e.Attrs[AttrSourceOffset])
		}
	}
	if got := strings.Join(p0, ","); got != "10,10,11,12,13" {
		t.Errorf("partition 0 emitted in order %s", got)
	}

	upd := byOffset[topic+"@11"][0]
	if upd.Format != event.FormatCDC || upd.Kind != "member.UPDATE" || upd.Source != "cdc" || !upd.Received.Equal(now) ||
		!bytes.Equal(upd.Payload, recs[1].Value) {
		t.Errorf("update envelope %+v", upd)
	}
	for k, want := range map[string]string{
		AttrSourceTopic: topic, AttrSourcePartition: "0", AttrSourceOffset: "11", AttrPosition: "postgresql/pg/lsn=200",
		AttrConnector: "postgresql", AttrServer: "pg", AttrTable: "payer.public.member", AttrOp: "u", AttrSnapshot: "false",
		AttrTxID: "5:200", AttrTxOrder: "1", AttrSourceTsMs: "1700000000000",
	} {
		if upd.Attrs[k] != want {
			t.Errorf("attr %s = %q, want %q", k, upd.Attrs[k], want)
		}
	}
	// One row's create, update, delete and tombstone share a partition key.
	keyOf := upd.Key
	for _, off := range []string{"10", "12", "13"} {
		if byOffset[topic+"@"+off][0].Key != keyOf {
			t.Errorf("offset %s has another partition key", off)
		}
	}
	if !strings.HasPrefix(keyOf, topic+"/") || byOffset[topic+"@4"][0].Key == keyOf {
		t.Errorf("partition keys: %q and %q", keyOf, byOffset[topic+"@4"][0].Key)
	}
	tomb := byOffset[topic+"@13"][0]
	if tomb.Kind != "member.TOMBSTONE" || tomb.Attrs[AttrOp] != "tombstone" || tomb.Attrs[AttrPayload] != "key" || !bytes.Equal(tomb.Payload, key(1)) {
		t.Errorf("tombstone envelope %+v", tomb)
	}
	end := byOffset["pg.transaction@7"][0]
	if end.Kind != "TRANSACTION.END" || end.Attrs[AttrTxID] != "5:300" || end.Attrs[AttrOp] != "end" {
		t.Errorf("transaction envelope %+v", end)
	}
	bad := byOffset[topic+"@5"][0]
	if bad.Kind != "INVALID" || !strings.Contains(bad.Attrs[AttrError], "value: byte 13") || strings.Contains(bad.Attrs[AttrError], "SECRET") ||
		!bytes.Equal(bad.Payload, recs[6].Value) {
		t.Errorf("invalid envelope %+v", bad)
	}
	if len(reported) != 1 || !strings.HasPrefix(reported[0].Error(), topic+"/1@5: cdc: value: byte 13") {
		t.Errorf("reported %v", reported)
	}
	if st.Invalid != 1 {
		t.Errorf("invalid count %d", st.Invalid)
	}
}

func TestNewRelayNeedsConsumer(t *testing.T) {
	t.Parallel()
	if _, err := NewRelay(RelayConfig{}); err == nil {
		t.Error("NewRelay without a consumer succeeded")
	}
}

// Different rows are written concurrently, bounded by MaxInFlight; one
// row's records one at a time, in order.
func TestRelayConcurrencyPerKey(t *testing.T) {
	t.Parallel()
	var recs []Record
	for i := range 200 {
		id := i % 50
		recs = append(recs, Record{Topic: "pg.public.member", Offset: int64(i), Key: []byte(`{"id":` + itoa(id) + `}`), Value: pgChange("u", id, 1000+i)})
	}
	var (
		mu           sync.Mutex
		inFlight     int
		maxInFlight  int
		lastPosByKey = map[string]string{}
		outOfOrder   int
	)
	emit := func(_ context.Context, e event.Envelope) error {
		mu.Lock()
		inFlight++
		maxInFlight = max(maxInFlight, inFlight)
		prev := lastPosByKey[e.Key]
		lastPosByKey[e.Key] = e.Attrs[AttrPosition]
		mu.Unlock()
		if prev != "" {
			a, _ := ParsePosition(prev)
			b, _ := ParsePosition(e.Attrs[AttrPosition])
			if c, ok := a.Compare(b); !ok || c != -1 {
				mu.Lock()
				outOfOrder++
				mu.Unlock()
			}
		}
		time.Sleep(time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
		return nil
	}
	r, err := NewRelay(RelayConfig{Consumer: &fakeBatches{batches: [][]Record{recs}}, MaxInFlight: 8})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(t.Context(), emit); err != nil {
		t.Fatal(err)
	}
	if maxInFlight < 2 || maxInFlight > 8 {
		t.Errorf("at most %d emits in flight, want 2..8", maxInFlight)
	}
	if outOfOrder != 0 || len(lastPosByKey) != 50 || r.Stats().Relayed != 200 {
		t.Errorf("%d out of order, %d keys, %d relayed", outOfOrder, len(lastPosByKey), r.Stats().Relayed)
	}
}
