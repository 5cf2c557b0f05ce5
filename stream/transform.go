package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-health/tributary/event"
)

// A TransformFunc turns one input record into the records to produce for
// it. It must be deterministic and must not have side effects outside the
// returned records: after a crash or a rebalance the same input is
// transformed again, and only one of the outcomes is ever committed.
//
// Bad input is not an error: the function returns a dead-letter record for
// it. An error means "try again later" (for example a dependency is
// unavailable): the transaction is aborted and the batch re-read.
type TransformFunc func(ctx context.Context, in Record) ([]Record, error)

// TransformConfig configures a [Transformer].
type TransformConfig struct {
	// Group is the consumer group; every instance of one stage shares it.
	Group string
	// TransactionalID must be unique per running instance and stable
	// across its restarts: a restarted instance then fences its previous
	// incarnation and aborts the transaction it left open at once, instead
	// of after TransactionTimeout.
	TransactionalID string
	// InstanceID, if set, makes this a static group member (KIP-345): a
	// restarted instance with the same id takes its partitions back at
	// once instead of waiting for the group to time the old member out.
	InstanceID string
	// Topics are the input topics.
	Topics []string
	// Family picks the output codec (see [Compression]).
	Family event.Family
	// TransactionTimeout bounds how long a dead instance's open transaction
	// can hold back read_committed consumers. Default 20s.
	TransactionTimeout time.Duration
	// MaxPollRecords bounds one transaction's input. Default 500.
	MaxPollRecords int
	// Observe, if set, is called after each transaction with how many
	// input records it covered and whether it committed.
	Observe func(inputs int, committed bool, took time.Duration)
}

// A Transformer consumes topics in a group and, for each batch, produces
// the transformed records and commits the consumed offsets in one Kafka
// transaction: consume-transform-produce, each input's outputs exactly once.
type Transformer struct {
	cfg  Config
	tc   TransformConfig
	opts []kgo.Opt
	sess *kgo.GroupTransactSession
}

// NewTransformer returns a Transformer; it joins the group when Run starts
// polling.
func NewTransformer(cfg Config, tc TransformConfig) (*Transformer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if tc.Group == "" || tc.TransactionalID == "" || len(tc.Topics) == 0 {
		return nil, errors.New("stream: transformer needs a group, a transactional id and input topics")
	}
	if tc.TransactionTimeout <= 0 {
		tc.TransactionTimeout = 20 * time.Second
	}
	if tc.MaxPollRecords <= 0 {
		tc.MaxPollRecords = 500
	}
	popts, err := cfg.producerOpts(tc.Family, true)
	if err != nil {
		return nil, err
	}
	opts := append(cfg.clientOpts(), popts...)
	opts = append(opts,
		kgo.TransactionalID(tc.TransactionalID),
		kgo.TransactionTimeout(tc.TransactionTimeout),
		kgo.ConsumerGroup(tc.Group),
		kgo.ConsumeTopics(tc.Topics...),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(500*time.Millisecond),
	)
	if tc.InstanceID != "" {
		opts = append(opts, kgo.InstanceID(tc.InstanceID))
	}
	sess, err := kgo.NewGroupTransactSession(opts...)
	if err != nil {
		return nil, fmt.Errorf("stream: transformer: %w", err)
	}
	return &Transformer{cfg: cfg, tc: tc, opts: opts, sess: sess}, nil
}

// Run transforms until ctx is done, then finishes the transaction in
// flight (committing it if it is complete) and returns nil. When the
// transactional producer becomes unusable (a broker-side failure, or fencing
// by another instance with the same TransactionalID) it starts a new session
// after a backoff; it returns an error only if that fails.
func (t *Transformer) Run(ctx context.Context, fn TransformFunc) error {
	log := t.cfg.logger()
	backoff := newBackoff()
	// limit is this transaction's input bound. A transaction that fails
	// for good (typically: its batch took longer than the transaction
	// timeout, and the broker aborted it) is retried with a quarter of the
	// input, else the same slow batch would time out forever; successes
	// grow it back by an eighth.
	limit := t.tc.MaxPollRecords
	for {
		if ctx.Err() != nil {
			return nil
		}
		fetches := t.sess.PollRecords(ctx, limit)
		if fetches.IsClientClosed() || ctx.Err() != nil {
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			log.Warn("fetch error", "topic", topic, "partition", p, "err", err)
		})
		var in []*kgo.Record
		fetches.EachRecord(func(r *kgo.Record) { in = append(in, r) })
		if len(in) == 0 {
			continue
		}
		start := time.Now()
		committed, err := t.transact(ctx, in, fn)
		if t.tc.Observe != nil {
			t.tc.Observe(len(in), committed, time.Since(start))
		}
		if err != nil {
			var fatal fatalError
			isFatal := errors.As(err, &fatal)
			log.Warn("transaction aborted; retrying the batch", "group", t.tc.Group, "fatal", isFatal, "err", err)
			if !backoff.wait(ctx) {
				return nil
			}
			if isFatal {
				limit = max(1, limit/4)
				// A new session re-initializes the producer id and rejoins
				// the group; uncommitted input is re-read from the last
				// committed offsets.
				t.sess.Close()
				if t.sess, err = kgo.NewGroupTransactSession(t.opts...); err != nil {
					return fmt.Errorf("stream: transformer: %w", err)
				}
			}
			continue
		}
		backoff.reset()
		limit = min(t.tc.MaxPollRecords, limit+max(1, limit/8))
	}
}

type fatalError struct{ error }

func (e fatalError) Unwrap() error { return e.error }

// transact runs one transaction over in. Shutdown (ctx done) after the
// inputs were transformed still commits: End gets its own short deadline,
// so a SIGTERM does not throw away finished work.
func (t *Transformer) transact(ctx context.Context, in []*kgo.Record, fn TransformFunc) (bool, error) {
	if err := t.sess.Begin(); err != nil {
		return false, fatalError{fmt.Errorf("stream: begin transaction: %w", err)}
	}
	var (
		produceErr error
		failed     = make(chan error, 1)
	)
	promise := func(_ *kgo.Record, err error) {
		if err != nil {
			select {
			case failed <- err:
			default:
			}
		}
	}
	for _, r := range in {
		outs, err := fn(ctx, fromKgo(r))
		if err != nil {
			produceErr = fmt.Errorf("transform %s/%d@%d: %w", r.Topic, r.Partition, r.Offset, err)
			break
		}
		for _, o := range outs {
			t.sess.Produce(ctx, toKgo(o), promise)
		}
	}
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.tc.TransactionTimeout)
	defer cancel()
	try := kgo.TryCommit
	if produceErr != nil {
		try = kgo.TryAbort
	}
	committed, err := t.sess.End(endCtx, try)
	if err != nil {
		return false, fatalError{fmt.Errorf("stream: end transaction: %w", err)}
	}
	if produceErr == nil {
		select {
		case produceErr = <-failed:
		default:
		}
	}
	if produceErr != nil {
		return committed, produceErr
	}
	if !committed {
		return false, errors.New("stream: transaction aborted (group rebalanced); the batch will be re-read")
	}
	return true, nil
}

// Close leaves the group and closes the client.
func (t *Transformer) Close() { t.sess.Close() }

// backoff doubles from 100ms to 10s between retries of a failing step.
type backoff struct{ d time.Duration }

func newBackoff() *backoff { return &backoff{d: 100 * time.Millisecond} }

func (b *backoff) reset() { b.d = 100 * time.Millisecond }

// wait sleeps for the current delay; it returns false if ctx ended first.
func (b *backoff) wait(ctx context.Context) bool {
	t := time.NewTimer(b.d)
	defer t.Stop()
	b.d = min(2*b.d, 10*time.Second)
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
