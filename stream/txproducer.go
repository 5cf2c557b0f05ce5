package stream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-health/tributary/event"
)

// TxProducerConfig configures a [TxProducer].
type TxProducerConfig struct {
	// TransactionalID must be unique per running producer and stable
	// across its restarts: a restarted producer then fences its previous
	// incarnation and aborts the transaction it left open at once.
	// Required.
	TransactionalID string
	// TransactionTimeout bounds how long a dead producer's open
	// transaction can hold back read_committed consumers. Default 30s.
	TransactionTimeout time.Duration
}

// A TxProducer writes records in Kafka transactions: a read_committed
// consumer sees all the records of one transaction, or none of them.
// Call [TxProducer.Begin], [TxProducer.Produce] any number of times, then
// [TxProducer.Commit] or [TxProducer.Abort]; [TxProducer.EmitAll] does all
// of that for a slice of envelopes. A TxProducer is not safe for
// concurrent use: one transaction at a time.
type TxProducer struct {
	opts    []kgo.Opt
	cl      *kgo.Client
	topics  event.Topics
	timeout time.Duration

	mu       sync.Mutex
	firstErr error // of a record of the open transaction
}

// NewTxProducer returns a TxProducer whose batches use the codec of
// family f. It connects when the first transaction begins.
func NewTxProducer(cfg Config, f event.Family, tc TxProducerConfig) (*TxProducer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if tc.TransactionalID == "" {
		return nil, errors.New("stream: transactional producer needs a transactional id")
	}
	if tc.TransactionTimeout <= 0 {
		tc.TransactionTimeout = 30 * time.Second
	}
	popts, err := cfg.producerOpts(f, true)
	if err != nil {
		return nil, err
	}
	opts := append(cfg.clientOpts(), popts...)
	opts = append(opts,
		kgo.TransactionalID(tc.TransactionalID),
		kgo.TransactionTimeout(tc.TransactionTimeout),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("stream: transactional producer: %w", err)
	}
	return &TxProducer{opts: opts, cl: cl, topics: cfg.Topics, timeout: tc.TransactionTimeout}, nil
}

// Begin starts a transaction.
func (p *TxProducer) Begin() error {
	p.mu.Lock()
	p.firstErr = nil
	p.mu.Unlock()
	if err := p.cl.BeginTransaction(); err != nil {
		// A producer in a fatal state cannot begin; a new client can.
		if rerr := p.reset(); rerr != nil {
			return fmt.Errorf("stream: begin transaction: %w", errors.Join(err, rerr))
		}
		if err := p.cl.BeginTransaction(); err != nil {
			return fmt.Errorf("stream: begin transaction: %w", err)
		}
	}
	return nil
}

// Produce adds records to the open transaction without waiting for them;
// a record that fails makes [TxProducer.Commit] abort and return its
// error.
func (p *TxProducer) Produce(ctx context.Context, recs ...Record) {
	for _, r := range recs {
		p.cl.Produce(ctx, toKgo(r), p.promise)
	}
}

func (p *TxProducer) promise(_ *kgo.Record, err error) {
	if err == nil {
		return
	}
	p.mu.Lock()
	if p.firstErr == nil {
		p.firstErr = err
	}
	p.mu.Unlock()
}

// ProduceEnvelope adds e to the open transaction, on the raw topic of its
// format, as [Producer.Emit] writes it.
func (p *TxProducer) ProduceEnvelope(ctx context.Context, e event.Envelope) {
	p.Produce(ctx, EnvelopeRecord(p.topics, e))
}

// Commit waits for the transaction's records and commits it. It returns
// nil only once the transaction is committed; on an error the transaction
// was aborted (or will be, by the broker, after the transaction timeout)
// and none of its records become visible to read_committed consumers.
// Once the records are flushed, the commit is not cut short by ctx (it
// gets the transaction timeout): a half-finished commit would leave the
// producer unusable.
func (p *TxProducer) Commit(ctx context.Context) error {
	if err := p.cl.Flush(ctx); err != nil {
		return errors.Join(fmt.Errorf("stream: commit transaction: %w", err), p.Abort(ctx))
	}
	p.mu.Lock()
	perr := p.firstErr
	p.mu.Unlock()
	if perr != nil {
		return errors.Join(fmt.Errorf("stream: commit transaction: produce: %w", perr), p.Abort(ctx))
	}
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.timeout)
	defer cancel()
	if err := p.cl.EndTransaction(endCtx, kgo.TryCommit); err != nil {
		return errors.Join(fmt.Errorf("stream: commit transaction: %w", err), p.Abort(ctx))
	}
	return nil
}

// Abort drops the records of the open transaction. A producer that cannot
// abort is replaced by a new client (same transactional id), whose
// initialization fences and aborts what the old one left open.
func (p *TxProducer) Abort(ctx context.Context) error {
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.timeout)
	defer cancel()
	err := p.cl.AbortBufferedRecords(endCtx)
	if err == nil {
		err = p.cl.EndTransaction(endCtx, kgo.TryAbort)
	}
	if err != nil {
		if rerr := p.reset(); rerr != nil {
			return fmt.Errorf("stream: abort transaction: %w", errors.Join(err, rerr))
		}
	}
	return nil
}

// EmitAll writes envs in one transaction and returns once it is
// committed, or with an error after which none of envs is visible to
// read_committed consumers. An empty envs writes nothing.
func (p *TxProducer) EmitAll(ctx context.Context, envs ...event.Envelope) error {
	if len(envs) == 0 {
		return nil
	}
	if err := p.Begin(); err != nil {
		return err
	}
	for _, e := range envs {
		p.ProduceEnvelope(ctx, e)
	}
	return p.Commit(ctx)
}

func (p *TxProducer) reset() error {
	p.cl.Close()
	cl, err := kgo.NewClient(p.opts...)
	if err != nil {
		return fmt.Errorf("stream: transactional producer: %w", err)
	}
	p.cl = cl
	return nil
}

// Close closes the client. A transaction left open is aborted when a
// producer with the same transactional id starts, or by the broker after
// the transaction timeout.
func (p *TxProducer) Close() { p.cl.Close() }
