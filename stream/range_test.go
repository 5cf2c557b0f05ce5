package stream

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tributary-health/tributary/event"
)

func TestParseBound(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want Bound
		bad  bool
	}{
		{in: "", want: Bound{}},
		{in: "1200", want: AtOffset(1200)},
		{in: "2026-11-26T09:30:00Z", want: AtTime(at)},
		{in: "2026-11-26T10:30:00+01:00", want: AtTime(at.In(time.FixedZone("", 3600)))},
		{in: "0:5, 2:7", want: AtOffsets(map[int32]int64{0: 5, 2: 7})},
		{in: "-3", bad: true},
		{in: "0:5,0:6", bad: true},
		{in: "0:x", bad: true},
		{in: "2026-11-26", bad: true},
		{in: "yesterday", bad: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseBound(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("ParseBound(%q) = %v, want an error", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want.String() || got.kind != tc.want.kind {
				t.Errorf("ParseBound(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if round, err := ParseBound(got.String()); err != nil || round.String() != got.String() {
				t.Errorf("ParseBound(%q) does not round-trip: %v, %v", got.String(), round, err)
			}
		})
	}
}

// Ranges by offset, by time and per partition, bounded and to the end,
// across partitions; records of an aborted transaction never show, and
// records written after the range was resolved are not read.
func TestReadRange(t *testing.T) {
	t.Parallel()
	cfg := newCluster(t)
	ctx := t.Context()
	topic := cfg.Topics.Raw(event.FormatHL7v2)
	// franz-go measures delivery timeouts from a record's timestamp, so
	// the test's timestamps start now and go forward a minute a record.
	base := time.Now().Truncate(time.Millisecond)

	p, err := NewProducer(cfg, event.FamilyRaw)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	rec := func(i int) Record {
		return Record{Topic: topic, Key: fmt.Appendf(nil, "k%d", i%5), Value: fmt.Appendf(nil, "v%d", i), Timestamp: base.Add(time.Duration(i) * time.Minute)}
	}
	for i := range 20 {
		if err := p.Produce(ctx, rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	// Transactions in the middle: one aborted, one committed, so markers
	// and aborted records take offsets.
	tx, err := NewTxProducer(cfg, event.FamilyRaw, TxProducerConfig{TransactionalID: "range-test"})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	if err := tx.Begin(); err != nil {
		t.Fatal(err)
	}
	tx.Produce(ctx, Record{Topic: topic, Key: []byte("k1"), Value: []byte("aborted"), Timestamp: base.Add(20 * time.Minute)})
	if err := tx.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Begin(); err != nil {
		t.Fatal(err)
	}
	tx.Produce(ctx, rec(20), rec(21))
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 22; i < 30; i++ {
		if err := p.Produce(ctx, rec(i)); err != nil {
			t.Fatal(err)
		}
	}

	all, err := ReadAll(ctx, cfg, topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 30 {
		t.Fatalf("ReadAll: %d records, want 30", len(all))
	}
	parts := map[int32]bool{}
	for _, r := range all {
		parts[r.Partition] = true
		if string(r.Value) == "aborted" {
			t.Fatal("ReadAll returned an aborted record")
		}
	}
	if len(parts) < 2 {
		t.Fatalf("records landed in %d partition(s); the test needs several", len(parts))
	}
	var somePart int32 = -1
	for p := range parts {
		somePart = max(somePart, p)
	}
	index := func(r Record) int {
		var i int
		fmt.Sscanf(string(r.Value), "v%d", &i)
		return i
	}
	offsetsOf := func(p int32) []int64 {
		var out []int64
		for _, r := range all {
			if r.Partition == p {
				out = append(out, r.Offset)
			}
		}
		slices.Sort(out)
		return out
	}
	sp := offsetsOf(somePart)

	// The first range is resolved before one more record is written: the
	// default end holds it out.
	late := false
	for _, tc := range []struct {
		name     string
		from, to Bound
		want     func(Record) bool
	}{
		{"whole topic", Bound{}, Bound{}, func(Record) bool { return true }},
		{"by time", AtTime(base.Add(5 * time.Minute)), AtTime(base.Add(25 * time.Minute)), func(r Record) bool {
			i := index(r)
			return i >= 5 && i < 25
		}},
		{"from a time to the end", AtTime(base.Add(18 * time.Minute)), Bound{}, func(r Record) bool { return index(r) >= 18 }},
		{"by offset", AtOffset(2), AtOffset(5), func(r Record) bool { return r.Offset >= 2 && r.Offset < 5 }},
		{"offset past the end", AtOffset(1 << 40), Bound{}, func(Record) bool { return false }},
		{"per partition", AtOffsets(map[int32]int64{somePart: sp[1]}), AtOffsets(map[int32]int64{somePart: sp[len(sp)-1]}), func(r Record) bool {
			return r.Partition == somePart && r.Offset >= sp[1] && r.Offset < sp[len(sp)-1]
		}},
		{"time to offset", AtTime(base.Add(10 * time.Minute)), AtOffset(1 << 40), func(r Record) bool { return index(r) >= 10 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng, err := ResolveRange(ctx, cfg, topic, tc.from, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			if !late {
				late = true
				if err := p.Produce(ctx, rec(60)); err != nil {
					t.Fatal(err)
				}
				defer func() {
					if all, err = ReadAll(ctx, cfg, topic); err != nil {
						t.Fatal(err)
					}
				}()
			}
			var want []string
			for _, r := range all {
				if tc.want(r) {
					want = append(want, fmt.Sprintf("%d@%d %s", r.Partition, r.Offset, r.Value))
				}
			}
			slices.Sort(want)
			var got []string
			last := map[int32]int64{}
			batches := 0
			rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			err = ReadRange(rctx, cfg, rng, ReadRangeConfig{MaxBatch: 4}, func(_ context.Context, recs []Record) error {
				batches++
				if len(recs) > 4 {
					t.Errorf("batch of %d records, want at most 4", len(recs))
				}
				for _, r := range recs {
					if prev, ok := last[r.Partition]; ok && r.Offset <= prev {
						t.Errorf("partition %d: offset %d after %d", r.Partition, r.Offset, prev)
					}
					last[r.Partition] = r.Offset
					got = append(got, fmt.Sprintf("%d@%d %s", r.Partition, r.Offset, r.Value))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}
