package stream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// ErrRewound is returned by [Poller.Poll] when partitions were revoked
// from this group member, or [Poller.Rewind] was called: the caller drops
// every record it holds but has not committed, and the next poll starts
// again at the committed offsets of the partitions still assigned.
var ErrRewound = errors.New("stream: poller rewound to the committed offsets")

// PollerConfig configures a [Poller].
type PollerConfig struct {
	Group  string
	Topics []string
	// MaxPollRecords bounds one poll. Default 500.
	MaxPollRecords int
}

// A Poller reads topics in a consumer group for a caller that may hold
// records across polls and commits offsets itself ([Poller.Commit]):
// offsets are never committed on its own. A new member starts at the
// group's committed offsets, or at the start of a partition without one.
// It reads with read_committed isolation. Poll, Commit and Rewind are
// meant for one goroutine.
type Poller struct {
	cfg    Config
	pc     PollerConfig
	cl     *kgo.Client
	rewind atomic.Bool

	mu       sync.Mutex
	assigned map[string]map[int32]bool
}

// NewPoller returns a Poller; it joins the group on the first poll.
func NewPoller(cfg Config, pc PollerConfig) (*Poller, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if pc.Group == "" || len(pc.Topics) == 0 {
		return nil, errors.New("stream: poller needs a group and topics")
	}
	if pc.MaxPollRecords <= 0 {
		pc.MaxPollRecords = 500
	}
	p := &Poller{cfg: cfg, pc: pc, assigned: map[string]map[int32]bool{}}
	gone := func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
		p.mu.Lock()
		for t, ps := range m {
			for _, part := range ps {
				delete(p.assigned[t], part)
			}
		}
		p.mu.Unlock()
		p.rewind.Store(true)
	}
	opts := append(cfg.clientOpts(),
		kgo.ConsumerGroup(pc.Group),
		kgo.ConsumeTopics(pc.Topics...),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.BlockRebalanceOnPoll(),
		// Only what Commit marks is ever committed.
		kgo.AutoCommitMarks(),
		kgo.FetchMaxWait(500*time.Millisecond),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			p.mu.Lock()
			for t, ps := range m {
				if p.assigned[t] == nil {
					p.assigned[t] = map[int32]bool{}
				}
				for _, part := range ps {
					p.assigned[t][part] = true
				}
			}
			p.mu.Unlock()
		}),
		kgo.OnPartitionsRevoked(gone),
		kgo.OnPartitionsLost(gone),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("stream: poller: %w", err)
	}
	p.cl = cl
	return p, nil
}

// Poll returns the records fetched, in order per partition, waiting up to
// wait for some: none when nothing came. It returns ctx's error when ctx
// is done, and [ErrRewound] (and no records) after a revocation or a
// [Poller.Rewind].
func (p *Poller) Poll(ctx context.Context, wait time.Duration) ([]Record, error) {
	pctx, cancel := context.WithTimeout(ctx, wait)
	fetches := p.cl.PollRecords(pctx, p.pc.MaxPollRecords)
	cancel()
	// Rebalances wait while a poll's records are in hand; the caller
	// holds records across polls and learns of a revocation from the
	// next Poll instead.
	defer p.cl.AllowRebalance()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if fetches.IsClientClosed() {
		return nil, errors.New("stream: poller closed")
	}
	if p.rewind.Swap(false) {
		p.seekCommitted()
		return nil, ErrRewound
	}
	fetches.EachError(func(topic string, part int32, err error) {
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			p.cfg.logger().Warn("fetch error", "topic", topic, "partition", part, "err", err)
		}
	})
	var out []Record
	fetches.EachRecord(func(r *kgo.Record) { out = append(out, fromKgo(r)) })
	return out, nil
}

// seekCommitted moves every assigned partition back to its committed
// offset (the start when none), dropping what was fetched beyond it.
func (p *Poller) seekCommitted() {
	committed := p.cl.CommittedOffsets()
	set := map[string]map[int32]kgo.EpochOffset{}
	p.mu.Lock()
	for t, ps := range p.assigned {
		for part := range ps {
			off := int64(0)
			if c, ok := committed[t][part]; ok && c.Offset >= 0 {
				off = c.Offset
			}
			if set[t] == nil {
				set[t] = map[int32]kgo.EpochOffset{}
			}
			set[t][part] = kgo.EpochOffset{Epoch: -1, Offset: off}
		}
	}
	p.mu.Unlock()
	p.cl.SetOffsets(set)
}

// Rewind makes the next [Poller.Poll] return [ErrRewound] and start again
// at the committed offsets: for a caller that dropped records it had not
// handled.
func (p *Poller) Rewind() { p.rewind.Store(true) }

// Commit commits, per topic and partition, the offset of the next record
// to read. It returns once the group coordinator accepted them. Offsets
// of partitions no longer assigned are left out.
func (p *Poller) Commit(ctx context.Context, next map[string]map[int32]int64) error {
	if len(next) == 0 {
		return nil
	}
	m := make(map[string]map[int32]kgo.EpochOffset, len(next))
	for t, ps := range next {
		m[t] = make(map[int32]kgo.EpochOffset, len(ps))
		for part, off := range ps {
			m[t][part] = kgo.EpochOffset{Epoch: -1, Offset: off}
		}
	}
	p.cl.MarkCommitOffsets(m)
	if err := p.cl.CommitMarkedOffsets(ctx); err != nil {
		return fmt.Errorf("stream: commit offsets of group %s: %w", p.pc.Group, err)
	}
	return nil
}

// Close leaves the group and closes the client, committing nothing more.
func (p *Poller) Close() { p.cl.Close() }
