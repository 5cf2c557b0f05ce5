package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/store"
	"github.com/tributary-health/tributary/stream"
)

// MaterializerConfig configures a [Materializer].
type MaterializerConfig struct {
	Stream stream.Config
	Store  *store.Store
	// DeadLetters receives fhir.v1 records the store cannot take (a
	// malformed record). Required.
	DeadLetters *stream.Producer
	// Group is the consumer group; its offsets live in the store. Default
	// "<topic prefix>materialize".
	Group string
	// Topic is the topic of FHIR resources to materialize. Default the
	// fhir.v1 topic; a replay's staging topic (see [ReplayConfig.Topic])
	// builds a store from that replay alone.
	Topic string
	// Instance, if set, names this materializer as a static group member,
	// so a restart takes its partitions back at once.
	Instance   string
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// A Materializer keeps the PostgreSQL store in step with fhir.v1. Each
// batch and the group's offsets are written in one database transaction,
// so after any crash the store holds each record's effect exactly once.
type Materializer struct {
	cfg     MaterializerConfig
	log     *slog.Logger
	c       *stream.Consumer
	metrics *materializerMetrics
}

// NewMaterializer returns a Materializer.
func NewMaterializer(cfg MaterializerConfig) (*Materializer, error) {
	if cfg.Store == nil || cfg.DeadLetters == nil {
		return nil, errors.New("pipeline: materializer needs a store and a dead-letter producer")
	}
	if cfg.Group == "" {
		cfg.Group = cfg.Stream.Topics.Prefix + "materialize"
	}
	if cfg.Topic == "" {
		cfg.Topic = cfg.Stream.Topics.FHIR()
	}
	m := &Materializer{cfg: cfg, log: logger(cfg.Logger), metrics: newMaterializerMetrics(cfg.Registerer)}
	c, err := stream.NewConsumer(cfg.Stream, stream.ConsumerConfig{
		Group:      cfg.Group,
		InstanceID: instanceID("materialize-", cfg.Instance),
		Topics:     []string{cfg.Topic},
		Offsets: func(ctx context.Context, topic string) (map[int32]int64, error) {
			return cfg.Store.Offsets(ctx, cfg.Group, topic)
		},
		Observe: func(n int, took time.Duration, err error) {
			m.metrics.batchSeconds.Observe(took.Seconds())
			if err != nil {
				m.metrics.batchErrors.Inc()
			}
		},
	})
	if err != nil {
		return nil, err
	}
	m.c = c
	return m, nil
}

func instanceID(prefix, instance string) string {
	if instance == "" {
		return ""
	}
	return prefix + instance
}

// Run materializes until ctx is done and returns nil.
func (m *Materializer) Run(ctx context.Context) error { return m.c.Run(ctx, m.apply) }

// Close leaves the consumer group.
func (m *Materializer) Close() { m.c.Close() }

func (m *Materializer) apply(ctx context.Context, recs []stream.Record) error {
	changes := make([]store.Change, 0, len(recs))
	var dead []stream.Record
	for _, r := range recs {
		c, err := change(r)
		if err != nil {
			dead = append(dead, deadLetter(m.cfg.Stream.Topics, r, StageMaterialize, err))
			c = skip(r)
		}
		changes = append(changes, c)
	}
	for {
		// Dead letters are written before the commit that moves the
		// offsets past them: a crash in between re-reads the batch and
		// writes them again (at least once), but never loses one.
		if len(dead) > 0 {
			if err := m.cfg.DeadLetters.Produce(ctx, dead...); err != nil {
				return fmt.Errorf("pipeline: dead-letter: %w", err)
			}
			m.metrics.deadLetters.Add(float64(len(dead)))
			dead = nil
		}
		res, err := m.cfg.Store.Apply(ctx, m.cfg.Group, changes)
		var ce *store.ChangeError
		if errors.As(err, &ce) {
			// The store refuses this one change for good, before any
			// database work: dead-letter it, and let it only move the
			// offset past itself. changes[i] is the change of recs[i].
			i := slices.IndexFunc(changes, func(c store.Change) bool {
				return c.Topic == ce.Topic && c.Partition == ce.Partition && c.Offset == ce.Offset
			})
			if i < 0 || changes[i].Op == store.OpSkip {
				return err
			}
			dead = append(dead, deadLetter(m.cfg.Stream.Topics, recs[i], StageMaterialize, err))
			changes[i] = skip(recs[i])
			continue
		}
		if err != nil {
			return err
		}
		m.metrics.record(res)
		return nil
	}
}

// skip is the change of a dead-lettered record: it applies nothing and
// moves its partition's stored offset past it.
func skip(r stream.Record) store.Change {
	return store.Change{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Op: store.OpSkip}
}

// change reads a fhir.v1 record into a store change.
func change(r stream.Record) (store.Change, error) {
	c := store.Change{
		Topic:       r.Topic,
		Partition:   r.Partition,
		Offset:      r.Offset,
		Op:          event.Op(r.Header(event.HeaderOp)),
		Type:        r.Header(event.HeaderResourceType),
		ID:          r.Header(event.HeaderResourceID),
		EnvelopeID:  r.Header(event.HeaderSourceEnvelope),
		Compartment: r.Header(event.HeaderPatient),
		Resource:    r.Value,
		// Both or neither: the store compares positions only under a key.
		SourceKey:      r.Header(event.HeaderSourceKey),
		SourcePosition: r.Header(event.HeaderSourcePosition),
	}
	if c.Type == "" || c.ID == "" {
		return c, permanentError{errors.New("pipeline: fhir.v1 record without resource-type or resource-id header"), "fhir.headers", "header"}
	}
	switch c.Op {
	case event.OpUpsert:
		if len(r.Value) == 0 {
			return c, permanentError{errors.New("pipeline: upsert without a resource"), "fhir.empty", "value"}
		}
	case event.OpDelete:
		c.Resource = nil
	case event.OpPatch:
		merge, err := patchMerge(c.Type, c.ID, r.Value)
		if err != nil {
			return c, err
		}
		// A patch orders against the other changes of its own source
		// row only (by position): its source time says nothing about
		// the rows that made the rest of the resource.
		c.Op, c.Resource, c.Merge = event.OpUpsert, nil, merge
		return c, nil
	default:
		return c, permanentError{errors.New("pipeline: fhir.v1 record with an unknown op"), "fhir.op", "header " + event.HeaderOp}
	}
	if ts := r.Header(event.HeaderSourceTime); ts != "" {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return c, permanentError{errors.New("pipeline: fhir.v1 record with a malformed source-time"), "fhir.source-time", "header " + event.HeaderSourceTime}
		}
		c.SourceTime = t
	}
	if keep := r.Header(event.HeaderKeep); keep != "" && c.Op == event.OpUpsert {
		c.Merge = keepMerge(r.Value, strings.Split(keep, ","))
	}
	return c, nil
}

type materializerMetrics struct {
	results      *prometheus.CounterVec
	deadLetters  prometheus.Counter
	batchSeconds prometheus.Histogram
	batchErrors  prometheus.Counter
}

func newMaterializerMetrics(reg prometheus.Registerer) *materializerMetrics {
	m := &materializerMetrics{
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_materializer_changes_total",
			Help: "fhir.v1 records applied to the store, by result (created, updated, deleted, unchanged, stale, duplicate, skipped).",
		}, []string{"result"}),
		deadLetters: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_materializer_dead_letters_total",
			Help: "fhir.v1 records the materializer sent to the dead-letter topic.",
		}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tributary_materializer_batch_seconds",
			Help:    "Time to apply one batch to the store, including its commit.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		batchErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_materializer_batch_errors_total",
			Help: "Batches that failed and were retried.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.results, m.deadLetters, m.batchSeconds, m.batchErrors)
	}
	return m
}

func (m *materializerMetrics) record(r store.ApplyResult) {
	for name, n := range map[string]int{
		"created": r.Created, "updated": r.Updated, "deleted": r.Deleted,
		"unchanged": r.Unchanged, "stale": r.Stale, "duplicate": r.Duplicate, "skipped": r.Skipped,
	} {
		if n > 0 {
			m.results.WithLabelValues(name).Add(float64(n))
		}
	}
}
