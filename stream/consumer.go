package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// An OffsetLoader returns the next offset to read for each partition of
// topic that an external store has recorded. Partitions it leaves out are
// read from the start: the store is the truth, so an emptied store is
// rebuilt by replaying the topic.
type OffsetLoader func(ctx context.Context, topic string) (map[int32]int64, error)

// A BatchFunc handles records in order. It returns nil once they are
// durably handled, or an error to have the same batch retried.
type BatchFunc func(ctx context.Context, recs []Record) error

// ConsumerConfig configures a [Consumer].
type ConsumerConfig struct {
	Group string
	// InstanceID, if set, makes this a static group member; see
	// [TransformConfig.InstanceID].
	InstanceID string
	Topics     []string
	Offsets    OffsetLoader // required
	// MaxPollRecords bounds one batch. Default 500.
	MaxPollRecords int
	// Observe, if set, is called after each attempt at a batch.
	Observe func(n int, took time.Duration, err error)
}

// A Consumer reads topics in a consumer group for a sink whose offsets live
// in the sink's own store, written in the same transaction as the data —
// an exactly-once sink. It starts each assigned partition at the offset the
// store returns, and commits offsets to Kafka only afterwards, for lag
// monitoring; Kafka's committed offsets are never used to resume.
type Consumer struct {
	cfg Config
	cc  ConsumerConfig
	cl  *kgo.Client
}

// NewConsumer returns a Consumer. It reads with read_committed isolation.
func NewConsumer(cfg Config, cc ConsumerConfig) (*Consumer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cc.Group == "" || len(cc.Topics) == 0 || cc.Offsets == nil {
		return nil, errors.New("stream: consumer needs a group, topics and an offset loader")
	}
	if cc.MaxPollRecords <= 0 {
		cc.MaxPollRecords = 500
	}
	c := &Consumer{cfg: cfg, cc: cc}
	opts := append(cfg.clientOpts(),
		kgo.ConsumerGroup(cc.Group),
		kgo.ConsumeTopics(cc.Topics...),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.BlockRebalanceOnPoll(),
		kgo.AutoCommitMarks(),
		kgo.AdjustFetchOffsetsFn(c.adjust),
		kgo.FetchMaxWait(500*time.Millisecond),
	)
	if cc.InstanceID != "" {
		opts = append(opts, kgo.InstanceID(cc.InstanceID))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("stream: consumer: %w", err)
	}
	c.cl = cl
	return c, nil
}

func (c *Consumer) adjust(ctx context.Context, assigned map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	out := make(map[string]map[int32]kgo.Offset, len(assigned))
	for topic, parts := range assigned {
		stored, err := c.cc.Offsets(ctx, topic)
		if err != nil {
			return nil, fmt.Errorf("stream: load offsets of %s: %w", topic, err)
		}
		m := make(map[int32]kgo.Offset, len(parts))
		for p := range parts {
			if off, ok := stored[p]; ok {
				// Epoch -1: the stored offset is authoritative; skip
				// Kafka's data-loss detection against its own commits.
				m[p] = kgo.NewOffset().At(off).WithEpoch(-1)
			} else {
				m[p] = kgo.NewOffset().AtStart()
			}
		}
		out[topic] = m
	}
	return out, nil
}

// Run consumes until ctx is done and returns nil. A batch is retried with
// backoff until fn accepts it; rebalances wait until the batch in hand is
// handled, so a partition never has two owners mid-batch in this process.
func (c *Consumer) Run(ctx context.Context, fn BatchFunc) error {
	log := c.cfg.logger()
	backoff := newBackoff()
	for {
		fetches := c.cl.PollRecords(ctx, c.cc.MaxPollRecords)
		if fetches.IsClientClosed() || ctx.Err() != nil {
			c.cl.AllowRebalance()
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			log.Warn("fetch error", "topic", topic, "partition", p, "err", err)
		})
		var (
			recs []Record
			krs  []*kgo.Record
		)
		fetches.EachRecord(func(r *kgo.Record) {
			krs = append(krs, r)
			recs = append(recs, fromKgo(r))
		})
		for len(recs) > 0 {
			start := time.Now()
			err := fn(ctx, recs)
			if c.cc.Observe != nil {
				c.cc.Observe(len(recs), time.Since(start), err)
			}
			if err == nil {
				backoff.reset()
				c.cl.MarkCommitRecords(krs...)
				break
			}
			log.Warn("batch failed; retrying", "group", c.cc.Group, "records", len(recs), "err", err)
			if !backoff.wait(ctx) {
				c.cl.AllowRebalance()
				return nil
			}
		}
		c.cl.AllowRebalance()
	}
}

// Close commits the marked offsets to Kafka (for monitoring), leaves the
// group and closes the client.
func (c *Consumer) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.cl.CommitMarkedOffsets(ctx)
	c.cl.Close()
}
