package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/stream"
)

// A Conversion is what one envelope becomes.
type Conversion struct {
	// Resources in the order they should be applied.
	Resources []Converted
	// Unmapped names source data no FHIR element holds (kept verbatim in
	// an extension instead), for metrics: field or segment names, never
	// values.
	Unmapped []string
	// SourceTime is when the source says the facts were true (MSH-7, a
	// claim's receipt date, a CDC commit time); it orders versions
	// downstream. Zero when unknown.
	SourceTime time.Time
	// Rejected, when not nil, is a permanent error for the part of the
	// envelope that did not convert (an X12 transaction set its 999
	// rejected); the normalizer writes Resources and also a dead letter
	// of the envelope with this reason.
	Rejected error
	// SourceKey and SourcePosition, when set, order the conversion among
	// the changes of one source record exactly (see
	// [store.Change.SourceKey]): CDC sets them from the event's position.
	// They go on every record as headers source-key and source-position.
	SourceKey, SourcePosition string
}

// A Converted is one resource of a conversion.
type Converted struct {
	Resource fhir.Resource
	// Patient is the id of the Patient whose compartment the resource is
	// in (its own id for a Patient); empty for resources of no patient.
	// The record's key on fhir.v1 is that Patient's person (see
	// [Identity]); resources of no patient are keyed by their own id.
	Patient string
	// person is the key the identity step chose; sourceTime, when set,
	// replaces the conversion's source time (a Person's versions are
	// ordered by when the index changed, not by the message).
	person     string
	sourceTime time.Time
	// Delete: the resource Type/ID is deleted; Resource is nil. It goes
	// on fhir.v1 as op delete with an empty value (a tombstone).
	Delete   bool
	Type, ID string
	// Patch, when set, is a patch document for the resource Type/ID
	// (Resource is nil): op patch on fhir.v1, merged into the stored
	// resource by the materializer.
	Patch []byte
	// Keep names elements of Resource that other source rows own: the
	// materializer keeps them from the stored version (header keep).
	Keep []string
}

// A Converter maps one envelope of its format to FHIR resources. It must be
// deterministic: the normalizer may convert the same envelope again after a
// crash, and only one result is ever committed.
//
// An error that cannot be cured by retrying (bad input, an unsupported
// message) is permanent: it implements Permanent() bool returning true, or
// is one of the parse or mapping error types the pipeline knows. Any other
// error is retried.
type Converter interface {
	Convert(ctx context.Context, env event.Envelope) (Conversion, error)
}

// NormalizerConfig configures a [Normalizer].
type NormalizerConfig struct {
	Stream stream.Config
	// Converters by format. A format without one goes to the dead-letter topic.
	Converters map[event.Format]Converter
	// Group is the consumer group. Default "<topic prefix>normalize".
	Group string
	// Instance names this normalizer: unique per running instance, stable
	// across its restarts (a pod name in a StatefulSet, a host name). It
	// is the Kafka transactional id and the static group member id, so a
	// restarted instance fences its dead predecessor and takes its
	// partitions back at once (see [stream.TransformConfig]). Required.
	Instance string
	// TransactionTimeout: see [stream.TransformConfig]. Default 20s.
	TransactionTimeout time.Duration
	Logger             *slog.Logger
	Registerer         prometheus.Registerer
	// Labeler, when set, adds sensitivity labels to every converted
	// resource before it is marshalled (see fhir/labels). Nil: no labels.
	Labeler interface{ Apply(fhir.Resource) bool }
	// Identity, when set, is the master patient index: every converted
	// Patient is resolved into a person, records are keyed by person id,
	// and the Person resources the index changed go to fhir.v1 with them.
	// Nil: each Patient is its own person (keyed by identity.PersonID).
	Identity Identity
}

// A Normalizer turns raw envelopes into FHIR resources on fhir.v1, exactly
// once per envelope.
type Normalizer struct {
	cfg     NormalizerConfig
	log     *slog.Logger
	tr      *stream.Transformer
	metrics *normalizerMetrics
}

// NewNormalizer returns a Normalizer consuming the raw topics of every
// configured format.
func NewNormalizer(cfg NormalizerConfig) (*Normalizer, error) {
	if cfg.Instance == "" {
		return nil, errors.New("pipeline: normalizer needs an instance name")
	}
	if cfg.Group == "" {
		cfg.Group = cfg.Stream.Topics.Prefix + "normalize"
	}
	var topics []string
	for _, f := range []event.Format{event.FormatHL7v2, event.FormatX12, event.FormatCDC} {
		if _, ok := cfg.Converters[f]; ok {
			topics = append(topics, cfg.Stream.Topics.Raw(f))
		}
	}
	if len(topics) == 0 {
		return nil, errors.New("pipeline: normalizer has no converters")
	}
	n := &Normalizer{cfg: cfg, log: logger(cfg.Logger), metrics: newNormalizerMetrics(cfg.Registerer)}
	tr, err := stream.NewTransformer(cfg.Stream, stream.TransformConfig{
		Group:              cfg.Group,
		TransactionalID:    cfg.Stream.Topics.Prefix + "normalize-" + cfg.Instance,
		InstanceID:         "normalize-" + cfg.Instance,
		Topics:             topics,
		Family:             event.FamilyFHIR,
		TransactionTimeout: cfg.TransactionTimeout,
		Observe: func(inputs int, committed bool, took time.Duration) {
			n.metrics.transactions.WithLabelValues(fmt.Sprint(committed)).Inc()
			n.metrics.txSeconds.Observe(took.Seconds())
		},
	})
	if err != nil {
		return nil, err
	}
	n.tr = tr
	return n, nil
}

// Run normalizes until ctx is done; see [stream.Transformer.Run].
func (n *Normalizer) Run(ctx context.Context) error {
	return n.tr.Run(ctx, n.Transform)
}

// Close leaves the consumer group.
func (n *Normalizer) Close() { n.tr.Close() }

// Transform converts one raw record into fhir.v1 records, or into one
// dead-letter record when the input is bad. It returns an error only for
// failures worth retrying.
func (n *Normalizer) Transform(ctx context.Context, in stream.Record) ([]stream.Record, error) {
	topics := n.cfg.Stream.Topics
	env, err := stream.Envelope(in)
	if err != nil {
		n.metrics.outcome(event.FormatUnknown, "dead-letter")
		return []stream.Record{deadLetter(topics, in, StageNormalize, err)}, nil
	}
	conv, ok := n.cfg.Converters[env.Format]
	if !ok {
		n.metrics.outcome(env.Format, "dead-letter")
		return []stream.Record{deadLetter(topics, in, StageNormalize, errUnsupportedFormat)}, nil
	}
	c, err := conv.Convert(ctx, env)
	if err == nil {
		addProvenance(env, in, &c)
		err = n.resolve(ctx, &c)
	}
	if err == nil {
		var outs []stream.Record
		outs, err = n.resourceRecords(env, c)
		if err == nil {
			n.metrics.outcome(env.Format, "converted")
			n.metrics.resources.Add(float64(len(outs)))
			for _, u := range c.Unmapped {
				n.metrics.unmapped.WithLabelValues(env.Format.String(), u).Inc()
			}
			if c.Rejected != nil {
				outs = append(outs, deadLetter(topics, in, StageNormalize, c.Rejected))
			}
			return outs, nil
		}
	}
	if !permanent(err) {
		n.metrics.outcome(env.Format, "retry")
		return nil, err
	}
	n.metrics.outcome(env.Format, "dead-letter")
	n.log.LogAttrs(ctx, slog.LevelWarn, "envelope sent to the dead-letter topic",
		slog.String("envelope_id", env.ID), slog.String("kind", env.Kind),
		slog.String("code", errorCode(err)), slog.String("location", errorLocation(err)))
	return []stream.Record{deadLetter(topics, in, StageNormalize, err)}, nil
}

func (n *Normalizer) resourceRecords(env event.Envelope, c Conversion) ([]stream.Record, error) {
	outs := make([]stream.Record, 0, len(c.Resources))
	var srcTime string
	if !c.SourceTime.IsZero() {
		srcTime = c.SourceTime.UTC().Format(time.RFC3339Nano)
	}
	// Patches and deletes carry no resource, so no tag.
	tag := mappingTag(env.Format, n.cfg.Converters[env.Format])
	for _, cr := range c.Resources {
		var b []byte
		typ, id, op := cr.Type, cr.ID, event.OpDelete
		if cr.Patch != nil {
			b, op = cr.Patch, event.OpPatch
		} else if !cr.Delete {
			// A Person is the identity index's, not the format mapping's:
			// tagged, it would change version with every feed that
			// mentions one of its Patients.
			if tag != "" && cr.sourceTime.IsZero() {
				setMappingTag(cr.Resource, tag)
			}
			if n.cfg.Labeler != nil {
				n.cfg.Labeler.Apply(cr.Resource)
			}
			var err error
			b, err = fhir.Marshal(cr.Resource)
			if err != nil {
				return nil, permanentError{fmt.Errorf("pipeline: %w", err), "fhir.marshal", ""}
			}
			typ, id, op = fhir.TypeOf(cr.Resource), resourceID(cr.Resource), event.OpUpsert
		}
		if !fhir.ValidID(id) {
			return nil, permanentError{fmt.Errorf("pipeline: converted %s has no valid id", typ), "fhir.id", ""}
		}
		key := cr.person
		if key == "" {
			key = id
		}
		r := stream.Record{Topic: n.cfg.Stream.Topics.FHIR(), Key: []byte(key), Value: b}
		r.SetHeader(event.HeaderResourceType, typ)
		r.SetHeader(event.HeaderResourceID, id)
		r.SetHeader(event.HeaderOp, string(op))
		r.SetHeader(event.HeaderSourceEnvelope, env.ID)
		r.SetHeader(event.HeaderFormat, env.Format.String())
		r.SetHeader(event.HeaderKind, env.Kind)
		if !cr.sourceTime.IsZero() {
			r.SetHeader(event.HeaderSourceTime, cr.sourceTime.UTC().Format(time.RFC3339Nano))
		} else if srcTime != "" {
			r.SetHeader(event.HeaderSourceTime, srcTime)
		}
		if cr.Patient != "" {
			r.SetHeader(event.HeaderPatient, cr.Patient)
		}
		if len(cr.Keep) > 0 {
			r.SetHeader(event.HeaderKeep, strings.Join(cr.Keep, ","))
		}
		// A record that orders itself (a Person, by when the index
		// changed it) does not take the source row's position: the
		// row's replay must not hide a later membership.
		if c.SourceKey != "" && c.SourcePosition != "" && cr.sourceTime.IsZero() {
			r.SetHeader(event.HeaderSourceKey, c.SourceKey)
			r.SetHeader(event.HeaderSourcePosition, c.SourcePosition)
		}
		outs = append(outs, r)
	}
	return outs, nil
}

// resourceID reads the id of any R4 resource message.
func resourceID(r fhir.Resource) string {
	m := r.ProtoReflect()
	f := m.Descriptor().Fields().ByName("id")
	if f == nil || !m.Has(f) {
		return ""
	}
	idMsg := m.Get(f).Message()
	v := idMsg.Descriptor().Fields().ByName("value")
	if v == nil {
		return ""
	}
	return idMsg.Get(v).String()
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

type normalizerMetrics struct {
	envelopes    *prometheus.CounterVec
	resources    prometheus.Counter
	transactions *prometheus.CounterVec
	txSeconds    prometheus.Histogram
	unmapped     *prometheus.CounterVec
}

func newNormalizerMetrics(reg prometheus.Registerer) *normalizerMetrics {
	m := &normalizerMetrics{
		envelopes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_normalizer_envelopes_total",
			Help: "Raw envelopes the normalizer handled, by format and outcome (converted, dead-letter, retry).",
		}, []string{"format", "outcome"}),
		resources: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_normalizer_resources_total",
			Help: "FHIR resources produced to fhir.v1 (inside transactions that may still abort).",
		}),
		transactions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_normalizer_transactions_total",
			Help: "Normalizer Kafka transactions, by whether they committed.",
		}, []string{"committed"}),
		unmapped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_normalizer_unmapped_total",
			Help: "Source data no FHIR element holds, kept verbatim in an extension instead, by format and item (a field such as PID-18, or a segment such as ZPI).",
		}, []string{"format", "item"}),
		txSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tributary_normalizer_transaction_seconds",
			Help:    "Time to transform a batch and end its transaction.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
	}
	if reg != nil {
		reg.MustRegister(m.envelopes, m.resources, m.transactions, m.txSeconds, m.unmapped)
	}
	return m
}

func (m *normalizerMetrics) outcome(f event.Format, outcome string) {
	m.envelopes.WithLabelValues(f.String(), outcome).Inc()
}
