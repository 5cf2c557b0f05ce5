package stream

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-health/tributary/event"
)

// A Producer writes envelopes to the raw topics, and records to any topic,
// with an idempotent producer and acks from all in-sync replicas. It is
// safe for concurrent use; concurrent calls share batches.
type Producer struct {
	cl     *kgo.Client
	topics event.Topics
	bound  time.Duration // the longest Produce waits; see Produce
}

// NewProducer returns a Producer whose batches use the codec of family f.
func NewProducer(cfg Config, f event.Family) (*Producer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	popts, err := cfg.producerOpts(f, false)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(cfg.clientOpts(), popts...)...)
	if err != nil {
		return nil, fmt.Errorf("stream: producer: %w", err)
	}
	return &Producer{cl: cl, topics: cfg.Topics, bound: 2 * cfg.deliveryTimeout()}, nil
}

// Emit writes e to the raw topic of its format and returns once Kafka has
// acknowledged it, or with an error. It has the signature of
// [github.com/tributary-health/tributary/adapters.Emit].
func (p *Producer) Emit(ctx context.Context, e event.Envelope) error {
	if err := p.Produce(ctx, EnvelopeRecord(p.topics, e)); err != nil {
		return fmt.Errorf("stream: envelope %s: %w", e.ID, err)
	}
	return nil
}

// Produce writes records and returns once Kafka has acknowledged all of
// them, or with the first error. It never waits longer than twice the
// delivery timeout: franz-go keeps an idempotent record that
// reached a broker until that broker answers, even past the timeout when
// the broker went away, and a caller such as an MLLP sender waiting for
// its ACK must get an answer. A record given up on this way may still be
// written later, so a resend can store it twice (at least once).
func (p *Producer) Produce(ctx context.Context, recs ...Record) error {
	krs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		krs[i] = toKgo(r)
	}
	ctx, cancel := context.WithTimeout(ctx, p.bound)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.cl.ProduceSync(ctx, krs...).FirstErr() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("stream: produce: %w", err)
	}
	return nil
}

// Ping reports whether a broker answers.
func (p *Producer) Ping(ctx context.Context) error {
	if err := p.cl.Ping(ctx); err != nil {
		return fmt.Errorf("stream: no broker answers: %w", err)
	}
	return nil
}

// Close flushes what is buffered (bounded by ctx) and closes the client.
func (p *Producer) Close(ctx context.Context) {
	_ = p.cl.Flush(ctx)
	p.cl.Close()
}
