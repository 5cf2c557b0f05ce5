package stream

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// A Bound is one end of a [Range] of a topic: a time, one offset for
// every partition, or an offset per partition. The zero Bound is unset:
// as a start it means the start of the log, as an end the end offsets
// when the read begins.
type Bound struct {
	kind    boundKind
	time    time.Time
	offset  int64
	offsets map[int32]int64
}

type boundKind uint8

const (
	boundUnset boundKind = iota
	boundTime
	boundOffset
	boundOffsets
)

// AtTime is the bound at the first record whose timestamp is at or after
// t, in each partition.
func AtTime(t time.Time) Bound { return Bound{kind: boundTime, time: t} }

// AtOffset is the bound at offset o in every partition.
func AtOffset(o int64) Bound { return Bound{kind: boundOffset, offset: o} }

// AtOffsets is the bound at the given offset per partition. As a start,
// partitions it leaves out are not read; as an end, they are read up to
// the end offsets when the read begins.
func AtOffsets(m map[int32]int64) Bound {
	return Bound{kind: boundOffsets, offsets: maps.Clone(m)}
}

// ParseBound reads a bound from the command line: an RFC 3339 time
// ("2026-11-26T09:30:00Z"), an offset ("1200"), or offsets per partition
// ("0:1200,3:95"). The empty string is the unset bound.
func ParseBound(s string) (Bound, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Bound{}, nil
	case strings.Contains(s, ":") && !strings.ContainsAny(s, "T-"):
		m := map[int32]int64{}
		for part := range strings.SplitSeq(s, ",") {
			ps, os, ok := strings.Cut(strings.TrimSpace(part), ":")
			p, perr := strconv.ParseInt(ps, 10, 32)
			o, oerr := strconv.ParseInt(os, 10, 64)
			if !ok || perr != nil || oerr != nil || p < 0 || o < 0 {
				return Bound{}, fmt.Errorf("stream: bound %q: want partition:offset pairs, comma-separated", s)
			}
			if _, dup := m[int32(p)]; dup {
				return Bound{}, fmt.Errorf("stream: bound %q: partition %d named twice", s, p)
			}
			m[int32(p)] = o
		}
		return AtOffsets(m), nil
	}
	if o, err := strconv.ParseInt(s, 10, 64); err == nil {
		if o < 0 {
			return Bound{}, fmt.Errorf("stream: bound %q: negative offset", s)
		}
		return AtOffset(o), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return Bound{}, fmt.Errorf("stream: bound %q: want an RFC 3339 time, an offset, or partition:offset pairs", s)
	}
	return AtTime(t), nil
}

// IsZero reports whether b is unset.
func (b Bound) IsZero() bool { return b.kind == boundUnset }

// String returns b as [ParseBound] reads it.
func (b Bound) String() string {
	switch b.kind {
	case boundTime:
		return b.time.UTC().Format(time.RFC3339Nano)
	case boundOffset:
		return strconv.FormatInt(b.offset, 10)
	case boundOffsets:
		parts := make([]string, 0, len(b.offsets))
		for _, p := range slices.Sorted(maps.Keys(b.offsets)) {
			parts = append(parts, fmt.Sprintf("%d:%d", p, b.offsets[p]))
		}
		return strings.Join(parts, ",")
	}
	return ""
}

// A Range is a part of one topic: in each partition, the records from
// offset From up to, not including, offset To.
type Range struct {
	Topic      string
	Partitions map[int32]Span
}

// A Span is the offsets [From, To) of one partition.
type Span struct{ From, To int64 }

// Len returns how many offsets the span covers; transaction markers and
// aborted records take offsets too, so it bounds the records read.
func (s Span) Len() int64 { return max(0, s.To-s.From) }

// Len returns how many offsets r covers; see [Span.Len].
func (r Range) Len() int64 {
	var n int64
	for _, s := range r.Partitions {
		n += s.Len()
	}
	return n
}

// ResolveRange turns bounds into the offsets of a [Range] of topic, as
// they stand now. Starts are clamped to the log start, and ends to the
// end offsets (the last stable offsets, which read_committed consumers
// see), so that a read of the range terminates; a start past its end
// leaves the partition empty. A time resolves to the first offset whose
// record timestamp is at or after it (the end offset when there is none),
// so a time range holds the records from one time up to, not including,
// the other.
func ResolveRange(ctx context.Context, cfg Config, topic string, from, to Bound) (Range, error) {
	if err := cfg.validate(); err != nil {
		return Range{}, err
	}
	adm, err := newAdmin(cfg)
	if err != nil {
		return Range{}, err
	}
	defer adm.Close()
	starts, err := listed(adm.ListStartOffsets(ctx, topic))
	if err != nil {
		return Range{}, fmt.Errorf("stream: start offsets of %s: %w", topic, err)
	}
	ends, err := listed(adm.ListCommittedOffsets(ctx, topic))
	if err != nil {
		return Range{}, fmt.Errorf("stream: end offsets of %s: %w", topic, err)
	}
	lo, err := resolve(ctx, adm, topic, from, starts)
	if err != nil {
		return Range{}, err
	}
	hi, err := resolve(ctx, adm, topic, to, ends)
	if err != nil {
		return Range{}, err
	}
	r := Range{Topic: topic, Partitions: map[int32]Span{}}
	for p, end := range ends {
		f, ok := lo[p]
		if !ok {
			continue // a start per partition that leaves p out
		}
		t, ok := hi[p]
		if !ok {
			t = end
		}
		f = min(max(f, starts[p]), end)
		t = min(max(t, f), end)
		r.Partitions[p] = Span{From: f, To: t}
	}
	return r, nil
}

// resolve returns the offsets of b per partition; def are the offsets of
// the unset bound.
func resolve(ctx context.Context, adm *kadm.Client, topic string, b Bound, def map[int32]int64) (map[int32]int64, error) {
	switch b.kind {
	case boundUnset:
		return def, nil
	case boundOffsets:
		for p := range b.offsets {
			if _, ok := def[p]; !ok {
				return nil, fmt.Errorf("stream: %s has no partition %d", topic, p)
			}
		}
		return b.offsets, nil
	case boundOffset:
		out := make(map[int32]int64, len(def))
		for p := range def {
			out[p] = b.offset
		}
		return out, nil
	}
	out, err := listed(adm.ListOffsetsAfterMilli(ctx, b.time.UnixMilli(), topic))
	if err != nil {
		return nil, fmt.Errorf("stream: offsets of %s at %s: %w", topic, b, err)
	}
	return out, nil
}

// listed reads the offsets of one topic from a kadm listing.
func listed(lo kadm.ListedOffsets, err error) (map[int32]int64, error) {
	if err != nil {
		return nil, err
	}
	out := map[int32]int64{}
	var firstErr error
	lo.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("partition %d: %w", o.Partition, o.Err)
			}
			return
		}
		out[o.Partition] = o.Offset
	})
	return out, firstErr
}

// ReadRangeConfig tunes [ReadRange].
type ReadRangeConfig struct {
	// MaxBatch bounds the records of one call of the batch function.
	// Default 500.
	MaxBatch int
}

// ReadRange reads the committed records of r (read_committed: records of
// aborted transactions are skipped) and hands them to fn in batches, in
// offset order within each partition; a batch may mix partitions. It
// returns nil once every partition is read to its end, the first error
// of fn (reading stops there; the batch is not retried), or ctx's error.
// It joins no consumer group and commits nothing.
//
// A range whose end lies inside a transaction still open when it was
// resolved is finished only when that transaction ends (at the latest,
// after the producer's transaction timeout).
func ReadRange(ctx context.Context, cfg Config, r Range, rc ReadRangeConfig, fn BatchFunc) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	if rc.MaxBatch <= 0 {
		rc.MaxBatch = 500
	}
	start := map[int32]kgo.Offset{}
	for p, s := range r.Partitions {
		if s.Len() > 0 {
			start[p] = kgo.NewOffset().At(s.From).WithEpoch(-1)
		}
	}
	if len(start) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(append(cfg.clientOpts(),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{r.Topic: start}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Transaction markers take offsets too; seeing them is how a
		// partition whose last records are markers is known to be done.
		kgo.KeepControlRecords(),
		kgo.FetchMaxWait(500*time.Millisecond),
	)...)
	if err != nil {
		return fmt.Errorf("stream: read %s: %w", r.Topic, err)
	}
	defer cl.Close()
	remaining := len(start)
	for remaining > 0 {
		fetches := cl.PollRecords(ctx, rc.MaxBatch)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("stream: read %s: %w", r.Topic, err)
		}
		var ferr error
		fetches.EachError(func(_ string, p int32, err error) {
			if ferr == nil {
				ferr = fmt.Errorf("stream: read %s partition %d: %w", r.Topic, p, err)
			}
		})
		if ferr != nil {
			return ferr
		}
		var (
			batch []Record
			done  []int32
		)
		fetches.EachPartition(func(fp kgo.FetchTopicPartition) {
			s, ok := r.Partitions[fp.Partition]
			if !ok {
				return
			}
			if _, open := start[fp.Partition]; !open {
				return // already finished; left over from a fetch
			}
			for _, k := range fp.Records {
				if k.Offset >= s.To {
					break
				}
				if !k.Attrs.IsControl() && k.Offset >= s.From {
					batch = append(batch, fromKgo(k))
				}
			}
			if n := len(fp.Records); n > 0 && fp.Records[n-1].Offset >= s.To-1 {
				delete(start, fp.Partition)
				done = append(done, fp.Partition)
			}
		})
		if len(done) > 0 {
			remaining -= len(done)
			cl.PauseFetchPartitions(map[string][]int32{r.Topic: done})
		}
		if len(batch) == 0 {
			continue
		}
		if err := fn(ctx, batch); err != nil {
			return err
		}
	}
	return nil
}
