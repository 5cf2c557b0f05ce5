package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/stream"
)

// ReplayConfig configures [Replay].
type ReplayConfig struct {
	Stream stream.Config
	// Normalize configures the conversion of each raw record, as for the
	// normalizer stage ([Normalizer.Transform]): converters, labels,
	// identity. Its Stream, Group and Instance are not used: a replay
	// joins no consumer group.
	Normalize NormalizerConfig
	// Formats are the raw topics to replay, in this order. Default:
	// every format Normalize has a converter for (HL7 v2, X12, CDC).
	Formats []event.Format
	// From and To bound what is read of each raw topic (see
	// [stream.ResolveRange]): the zero From is the start of each topic,
	// the zero To the end offsets when the topic's replay begins, so a
	// replay terminates.
	From, To stream.Bound
	// Topic receives the resources. Default the fhir.v1 topic; a staging
	// topic makes a shadow replay whose output can be checked, or
	// materialized into another store, before anything reads it. Dead
	// letters still go to dlq.v1.
	Topic string
	// TransactionalID of the replay's producer. Two replays running at
	// once need different ones (the second fences the first). Default
	// "<topic prefix>replay".
	TransactionalID string
	// BatchSize bounds the raw records of one transaction. Default 500.
	BatchSize int
	Logger    *slog.Logger
	// Progress, if set, is called after each committed transaction with
	// the counts so far of the topic being replayed.
	Progress func(TopicReplay)
}

// A ReplayResult is what [Replay] did, per raw topic.
type ReplayResult struct {
	Topics []TopicReplay
}

// A TopicReplay counts the replay of one raw topic.
type TopicReplay struct {
	Format event.Format
	// Range is what was read, resolved when the topic's replay began.
	Range stream.Range
	// Read counts raw records read (aborted records and transaction
	// markers are not records).
	Read int
	// Resources counts records written to the output topic: upserts,
	// patches and deletes.
	Resources int
	// DeadLetters counts records written to dlq.v1.
	DeadLetters int
	// Retries counts Transform calls and transactions tried again.
	Retries int
}

// Replay converts the raw records of a range again, with the mappings the
// normalizer has now, and writes the results in Kafka transactions (one
// per batch of raw records): after a mapping fix, say. Every resource
// carries the mapping version in meta.tag ([SystemMappingVersion]).
//
// Replay writes new records; it does not remove what the normalizer
// wrote before. That is harmless: ids derive from business identifiers,
// so a replayed resource lands on the id it had, and the store skips an
// upsert whose content is unchanged (only a changed mapping makes a new
// version). A Transform error worth retrying (a dependency such as the
// identity index is down) is retried with backoff until ctx is done;
// input that cannot be converted becomes a dead letter, as in the
// normalizer.
//
// Replay returns the counts of the topics replayed so far, with an error
// when one stopped it: ctx's, a transaction that failed five times, or
// a range that could not be resolved or read.
func Replay(ctx context.Context, cfg ReplayConfig) (ReplayResult, error) {
	var res ReplayResult
	if len(cfg.Normalize.Converters) == 0 {
		return res, errors.New("pipeline: replay has no converters")
	}
	// Transform only: no transformer, so no group membership.
	cfg.Normalize.Stream = cfg.Stream
	norm := &Normalizer{cfg: cfg.Normalize, log: logger(cfg.Normalize.Logger), metrics: newNormalizerMetrics(cfg.Normalize.Registerer)}
	topics := cfg.Stream.Topics
	if cfg.Topic == "" {
		cfg.Topic = topics.FHIR()
	}
	if cfg.TransactionalID == "" {
		cfg.TransactionalID = topics.Prefix + "replay"
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	log := logger(cfg.Logger)
	formats := cfg.Formats
	if len(formats) == 0 {
		for _, f := range []event.Format{event.FormatHL7v2, event.FormatX12, event.FormatCDC} {
			if _, ok := cfg.Normalize.Converters[f]; ok {
				formats = append(formats, f)
			}
		}
	}
	for _, f := range formats {
		if _, ok := cfg.Normalize.Converters[f]; !ok {
			return res, fmt.Errorf("pipeline: replay: no converter for format %s", f)
		}
	}
	p, err := stream.NewTxProducer(cfg.Stream, event.FamilyFHIR, stream.TxProducerConfig{TransactionalID: cfg.TransactionalID})
	if err != nil {
		return res, err
	}
	defer p.Close()
	for _, f := range formats {
		raw := topics.Raw(f)
		rng, err := stream.ResolveRange(ctx, cfg.Stream, raw, cfg.From, cfg.To)
		if err != nil {
			return res, fmt.Errorf("pipeline: replay %s: %w", raw, err)
		}
		res.Topics = append(res.Topics, TopicReplay{Format: f, Range: rng})
		tr := &res.Topics[len(res.Topics)-1]
		log.Info("replaying", "topic", raw, "from", cfg.From.String(), "to", cfg.To.String(), "offsets", rng.Len(), "output", cfg.Topic)
		start := time.Now()
		err = stream.ReadRange(ctx, cfg.Stream, rng, stream.ReadRangeConfig{MaxBatch: cfg.BatchSize}, func(ctx context.Context, recs []stream.Record) error {
			return replayBatch(ctx, cfg, norm, p, tr, recs, log)
		})
		if err != nil {
			return res, fmt.Errorf("pipeline: replay %s: %w", raw, err)
		}
		log.Info("replayed", "topic", raw, "read", tr.Read, "resources", tr.Resources,
			"dead_letters", tr.DeadLetters, "took", time.Since(start).Round(time.Millisecond))
	}
	return res, nil
}

// replayBatch transforms recs and writes the outputs in one transaction.
func replayBatch(ctx context.Context, cfg ReplayConfig, norm *Normalizer, p *stream.TxProducer, tr *TopicReplay, recs []stream.Record, log *slog.Logger) error {
	fhirTopic, dlqTopic := cfg.Stream.Topics.FHIR(), cfg.Stream.Topics.DLQ()
	var (
		outs      []stream.Record
		resources int
		dead      int
	)
	for _, in := range recs {
		b := newRetry()
		for {
			o, err := norm.Transform(ctx, in)
			if err == nil {
				for i := range o {
					switch o[i].Topic {
					case fhirTopic:
						o[i].Topic = cfg.Topic
						resources++
					case dlqTopic:
						dead++
					}
				}
				outs = append(outs, o...)
				break
			}
			tr.Retries++
			log.Warn("replay: transform failed; retrying", "topic", in.Topic, "partition", in.Partition, "offset", in.Offset, "err", err)
			if !b.wait(ctx) {
				return ctx.Err()
			}
		}
	}
	b := newRetry()
	for attempt := 1; ; attempt++ {
		err := p.Begin()
		if err == nil {
			p.Produce(ctx, outs...)
			err = p.Commit(ctx)
		}
		if err == nil {
			break
		}
		if attempt == 5 || ctx.Err() != nil {
			return err
		}
		tr.Retries++
		log.Warn("replay: transaction failed; retrying", "records", len(outs), "err", err)
		if !b.wait(ctx) {
			return ctx.Err()
		}
	}
	tr.Read += len(recs)
	tr.Resources += resources
	tr.DeadLetters += dead
	if cfg.Progress != nil {
		cfg.Progress(*tr)
	}
	return nil
}

// retry doubles from 100ms to 10s between attempts.
type retry struct{ d time.Duration }

func newRetry() *retry { return &retry{d: 100 * time.Millisecond} }

// wait sleeps for the current delay; it returns false if ctx ended first.
func (r *retry) wait(ctx context.Context) bool {
	t := time.NewTimer(r.d)
	defer t.Stop()
	r.d = min(2*r.d, 10*time.Second)
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
