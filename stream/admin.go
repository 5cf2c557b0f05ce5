package stream

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-health/tributary/event"
)

// TopicSpec says how to create the contract's topics.
type TopicSpec struct {
	// Partitions per topic. Default 6: enough for a few consumers per
	// stage; partitions can be added later, but that moves keys.
	Partitions int32
	// ReplicationFactor; -1 (the default, also for 0) takes the broker's default.
	ReplicationFactor int16
}

// ContractTopics returns the topic names that [EnsureTopics] creates. Egress
// topics are per partner and created by the egress stage.
func ContractTopics(t event.Topics) []string {
	return []string{
		t.Raw(event.FormatHL7v2), t.Raw(event.FormatX12), t.Raw(event.FormatCDC),
		t.FHIR(), t.DLQ(), t.Audit(),
	}
}

// EnsureTopics creates the topics of the contract that do not exist yet,
// and leaves existing ones as they are. Every contract topic keeps its
// records forever (retention.ms=-1): Kafka is the system of record and the
// store is rebuilt by replaying them. Compaction is off: fhir.v1 is keyed
// by person, so compacting it would drop all but one resource per person.
func EnsureTopics(ctx context.Context, cfg Config, spec TopicSpec) error {
	return ensureTopics(ctx, cfg, spec, ContractTopics(cfg.Topics))
}

// EnsureTopic creates topic, if it does not exist yet, with the settings
// of the contract's topics ([EnsureTopics]): for topics outside the
// contract, such as the staging topic of a shadow replay.
func EnsureTopic(ctx context.Context, cfg Config, spec TopicSpec, topic string) error {
	return ensureTopics(ctx, cfg, spec, []string{topic})
}

func ensureTopics(ctx context.Context, cfg Config, spec TopicSpec, topics []string) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	if spec.Partitions <= 0 {
		spec.Partitions = 6
	}
	if spec.ReplicationFactor == 0 {
		spec.ReplicationFactor = -1
	}
	adm, err := newAdmin(cfg)
	if err != nil {
		return err
	}
	defer adm.Close()
	configs := map[string]*string{
		"retention.ms":   kadm.StringPtr("-1"),
		"cleanup.policy": kadm.StringPtr("delete"),
	}
	resp, err := adm.CreateTopics(ctx, spec.Partitions, spec.ReplicationFactor, configs, topics...)
	if err != nil {
		return fmt.Errorf("stream: create topics: %w", err)
	}
	for _, r := range resp.Sorted() {
		if r.Err != nil && !errors.Is(r.Err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("stream: create topic %s: %w", r.Topic, r.Err)
		}
	}
	return nil
}

// newAdmin returns a short-lived admin client; Close closes its kgo client.
func newAdmin(cfg Config) (*kadm.Client, error) {
	cl, err := kgo.NewClient(cfg.clientOpts()...)
	if err != nil {
		return nil, fmt.Errorf("stream: admin: %w", err)
	}
	return kadm.NewClient(cl), nil
}

// EndOffsets returns, per partition, the offset after the last committed
// record of topic (the high watermark as a read_committed consumer sees it).
// Tests and tools use it to know when a stage has caught up.
func EndOffsets(ctx context.Context, cfg Config, topic string) (map[int32]int64, error) {
	adm, err := newAdmin(cfg)
	if err != nil {
		return nil, err
	}
	defer adm.Close()
	lo, err := adm.ListCommittedOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("stream: list offsets of %s: %w", topic, err)
	}
	out := make(map[int32]int64)
	var firstErr error
	lo.Each(func(o kadm.ListedOffset) {
		if o.Err != nil && firstErr == nil {
			firstErr = fmt.Errorf("stream: offsets of %s partition %s: %w", topic, strconv.Itoa(int(o.Partition)), o.Err)
		}
		out[o.Partition] = o.Offset
	})
	return out, firstErr
}

// ReadAll returns every committed record of topic, from the start up to the
// end offsets at the time of the call, in partition order. Tools and tests
// use it (dead-letter inspection, replay checks); it is not a consumer loop.
func ReadAll(ctx context.Context, cfg Config, topic string) ([]Record, error) {
	ends, err := EndOffsets(ctx, cfg, topic)
	if err != nil {
		return nil, err
	}
	start := make(map[string]map[int32]kgo.Offset)
	start[topic] = make(map[int32]kgo.Offset)
	remaining := 0
	for p, end := range ends {
		if end > 0 {
			start[topic][p] = kgo.NewOffset().AtStart()
			remaining++
		}
	}
	if remaining == 0 {
		return nil, nil
	}
	cl, err := kgo.NewClient(append(cfg.clientOpts(),
		kgo.ConsumePartitions(start),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Transaction markers take offsets too; seeing them is how we know
		// a partition is read up to its end.
		kgo.KeepControlRecords(),
	)...)
	if err != nil {
		return nil, fmt.Errorf("stream: read %s: %w", topic, err)
	}
	defer cl.Close()
	var out []Record
	done := make(map[int32]bool)
	for len(done) < remaining {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("stream: read %s: %w", topic, err)
		}
		var ferr error
		fetches.EachError(func(_ string, p int32, err error) {
			if ferr == nil {
				ferr = fmt.Errorf("stream: read %s partition %d: %w", topic, p, err)
			}
		})
		if ferr != nil {
			return out, ferr
		}
		fetches.EachRecord(func(r *kgo.Record) {
			end := ends[r.Partition]
			if r.Offset >= end-1 {
				done[r.Partition] = true
			}
			if r.Offset < end && !r.Attrs.IsControl() {
				out = append(out, fromKgo(r))
			}
		})
	}
	return out, nil
}

// CommittedOffsets returns the offsets group has committed to Kafka for
// topic, per partition. For the normalizer they are its progress; for the
// materializer, whose progress lives in the store, they are advisory (lag
// monitoring).
func CommittedOffsets(ctx context.Context, cfg Config, group, topic string) (map[int32]int64, error) {
	adm, err := newAdmin(cfg)
	if err != nil {
		return nil, err
	}
	defer adm.Close()
	resp, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("stream: offsets of group %s: %w", group, err)
	}
	out := make(map[int32]int64)
	for p, o := range resp[topic] {
		if o.Err != nil {
			return nil, fmt.Errorf("stream: offsets of group %s on %s/%d: %w", group, topic, p, o.Err)
		}
		out[p] = o.At
	}
	return out, nil
}
