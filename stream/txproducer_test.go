package stream

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/tributary-health/tributary/event"
)

// A read_committed reader sees the records of a committed transaction,
// all of them, and none of an aborted one.
func TestTxProducerCommitAndAbort(t *testing.T) {
	t.Parallel()
	cfg := newCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	topic := cfg.Topics.Raw(event.FormatCDC)
	p, err := NewTxProducer(cfg, event.FamilyRaw, TxProducerConfig{TransactionalID: "tx-test"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	recs := func(prefix string) []Record {
		var out []Record
		for i := range 5 {
			k := prefix + strconv.Itoa(i)
			out = append(out, Record{Topic: topic, Key: []byte(k), Value: []byte(k)})
		}
		return out
	}
	if err := p.Begin(); err != nil {
		t.Fatal(err)
	}
	p.Produce(ctx, recs("aborted-")...)
	if err := p.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Begin(); err != nil {
		t.Fatal(err)
	}
	p.Produce(ctx, recs("committed-")...)
	if err := p.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	env := event.Envelope{ID: event.NewID(time.Now()), Format: event.FormatCDC, Kind: "member.CREATE", Source: "cdc", Key: "k", Payload: []byte("{}")}
	if err := p.EmitAll(ctx, env, env); err != nil {
		t.Fatal(err)
	}
	got, err := ReadAll(ctx, cfg, topic)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range got {
		seen[string(r.Key)]++
	}
	for i := range 5 {
		if seen["committed-"+strconv.Itoa(i)] != 1 || seen["aborted-"+strconv.Itoa(i)] != 0 {
			t.Errorf("record %d: committed seen %d times, aborted %d", i, seen["committed-"+strconv.Itoa(i)], seen["aborted-"+strconv.Itoa(i)])
		}
	}
	if seen["k"] != 2 || len(got) != 7 {
		t.Errorf("read %d records: %v", len(got), seen)
	}
	if _, err := NewTxProducer(cfg, event.FamilyRaw, TxProducerConfig{}); err == nil {
		t.Error("NewTxProducer without a transactional id succeeded")
	}
}

// A Poller commits only what it is told to; Rewind goes back to the
// committed offsets; a new member resumes there.
func TestPollerCommitAndRewind(t *testing.T) {
	t.Parallel()
	cfg := newCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	topic := cfg.Topics.FHIR()
	prod, err := NewProducer(cfg, event.FamilyFHIR)
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close(ctx)
	for i := range 10 {
		if err := prod.Produce(ctx, Record{Topic: topic, Key: []byte("k"), Value: []byte(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	pollN := func(p *Poller, n int) ([]Record, error) {
		var out []Record
		for len(out) < n {
			recs, err := p.Poll(ctx, 200*time.Millisecond)
			if err != nil {
				return out, err
			}
			out = append(out, recs...)
		}
		return out, nil
	}
	p, err := NewPoller(cfg, PollerConfig{Group: "poller", Topics: []string{topic}})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := pollN(p, 10)
	if err != nil || len(recs) != 10 {
		t.Fatalf("polled %d records, %v", len(recs), err)
	}
	part := recs[0].Partition
	if err := p.Commit(ctx, map[string]map[int32]int64{topic: {part: 4}}); err != nil {
		t.Fatal(err)
	}
	p.Rewind()
	if _, err := p.Poll(ctx, 200*time.Millisecond); !errors.Is(err, ErrRewound) {
		t.Fatalf("Poll after Rewind: %v, want ErrRewound", err)
	}
	recs, err = pollN(p, 6)
	if err != nil || len(recs) != 6 || string(recs[0].Value) != "4" {
		t.Fatalf("after the rewind polled %d records, %v; want 6 from 4", len(recs), err)
	}
	p.Close()
	committed, err := CommittedOffsets(ctx, cfg, "poller", topic)
	if err != nil || committed[part] != 4 {
		t.Errorf("committed %v, %v; want 4", committed, err)
	}
	p, err = NewPoller(cfg, PollerConfig{Group: "poller", Topics: []string{topic}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if recs, err = pollN(p, 6); err != nil || len(recs) == 0 || string(recs[0].Value) != "4" {
		t.Errorf("a new member polled %d records, %v; want them from 4", len(recs), err)
	}
}

// When a second member joins and partitions move, the first poller's
// next Poll returns ErrRewound; nothing uncommitted is lost: the two
// members read every record again between them.
func TestPollerRevocationRewinds(t *testing.T) {
	t.Parallel()
	cfg := newCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	topic := cfg.Topics.FHIR()
	prod, err := NewProducer(cfg, event.FamilyFHIR)
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close(ctx)
	const n = 30
	for i := range n {
		if err := prod.Produce(ctx, Record{Topic: topic, Key: []byte(strconv.Itoa(i)), Value: []byte(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	p1, err := NewPoller(cfg, PollerConfig{Group: "rebalance", Topics: []string{topic}})
	if err != nil {
		t.Fatal(err)
	}
	defer p1.Close()
	got := 0
	for got < n {
		recs, err := p1.Poll(ctx, 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		got += len(recs)
	}
	// Nothing committed. A second member joins.
	p2, err := NewPoller(cfg, PollerConfig{Group: "rebalance", Topics: []string{topic}})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	seen := make(chan string, 4*n)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil && len(seen) < cap(seen) {
			recs, _ := p2.Poll(ctx, 200*time.Millisecond)
			for _, r := range recs {
				seen <- string(r.Value)
			}
		}
	}()
	rewound := false
	have := map[string]bool{}
	for len(have) < n {
		recs, err := p1.Poll(ctx, 200*time.Millisecond)
		if errors.Is(err, ErrRewound) {
			rewound = true
			continue
		}
		if err != nil {
			t.Fatalf("%v; %d of %d records read again", err, len(have), n)
		}
		if rewound {
			for _, r := range recs {
				have[string(r.Value)] = true
			}
		}
	drain:
		for {
			select {
			case v := <-seen:
				have[v] = true
			default:
				break drain
			}
		}
	}
	cancel()
	<-done
	if !rewound {
		t.Error("the first member was never told of the revocation")
	}
}
