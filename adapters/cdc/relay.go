package cdc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-health/tributary/adapters"
	"github.com/tributary-health/tributary/event"
)

// A Record is one Kafka record of a source CDC topic.
type Record struct {
	Topic      string
	Partition  int32
	Offset     int64
	Key, Value []byte
	Timestamp  time.Time
}

// A BatchFunc handles records in order. It returns nil once they are
// durably handled, or an error to have the same batch delivered again.
type BatchFunc func(ctx context.Context, recs []Record) error

// Batches delivers the records of the source topics, in order per
// partition, in batches, as a consumer group member. It commits a
// batch's offsets only after fn accepted it, and delivers it again when
// fn fails. Run returns nil when ctx is done. The stream package's
// Consumer, wrapped in cmd/tributary, is the production implementation.
type Batches interface {
	Run(ctx context.Context, fn BatchFunc) error
}

// RelayConfig configures a [Relay].
type RelayConfig struct {
	// Consumer reads the source CDC topics. Required.
	Consumer Batches
	// Source names the relay in envelopes; default "cdc".
	Source string
	// MaxInFlight bounds how many rows' envelopes are being written at
	// once; default 64. Each row's envelopes are written one at a time,
	// in order.
	MaxInFlight int
	// Report receives each record that did not parse, as it is found.
	// Such a record is relayed all the same (the raw topic keeps
	// everything; the normalizer dead-letters it). Nil discards; it
	// may be called from several goroutines at once.
	Report func(*RecordError)
	// Logger receives progress, never record content; nil discards.
	Logger *slog.Logger
	// Now returns the time of receipt; default time.Now.
	Now func() time.Time
	// Transactions, when set, makes the relay write the events of one
	// source transaction together, in one Kafka transaction (see
	// [TransactionConfig]); Consumer is then not used and may be nil.
	Transactions *TransactionConfig
}

// A RecordError is a source record that did not parse.
type RecordError struct {
	Topic     string
	Partition int32
	Offset    int64
	Err       error // a *ParseError
}

// Error returns "TOPIC/PARTITION@OFFSET: error".
func (e *RecordError) Error() string {
	return e.Topic + "/" + strconv.Itoa(int(e.Partition)) + "@" + strconv.FormatInt(e.Offset, 10) + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *RecordError) Unwrap() error { return e.Err }

// RelayStats counts what a [Relay] did.
type RelayStats struct {
	Relayed  int64 // envelopes Kafka acknowledged (a redelivered batch counts again)
	Invalid  int64 // of which did not parse
	Batches  int64 // batches accepted (with Transactions: Kafka transactions committed)
	Failures int64 // batches that failed and will be delivered again

	// With [RelayConfig.Transactions]:
	Grouped    int64 // source transactions written whole, in one Kafka transaction
	Incomplete int64 // source transactions released incomplete (a bound was hit; counted when decided): the warning count
	Held       int64 // events held now, waiting for their transaction to complete
}

// A Relay consumes existing CDC topics and writes each record to
// raw.cdc.v1 as an envelope. It implements [adapters.Source]: a batch's
// offsets are committed only after every envelope of it was
// acknowledged, so delivery is at least once, and a redelivered record
// carries the same source position, by which the pipeline ignores it.
// With [RelayConfig.Transactions] it writes each source transaction's
// events together, in one Kafka transaction (see [TransactionConfig]).
type Relay struct {
	cfg   RelayConfig
	log   *slog.Logger
	stats struct {
		relayed, invalid, batches, failures atomic.Int64
		grouped, incomplete, held           atomic.Int64
	}
}

var _ adapters.Source = (*Relay)(nil)

// NewRelay validates cfg and returns a Relay.
func NewRelay(cfg RelayConfig) (*Relay, error) {
	if cfg.Transactions != nil {
		tc := *cfg.Transactions // defaults fill a copy, not the caller's
		if err := tc.validate(); err != nil {
			return nil, err
		}
		cfg.Transactions = &tc
	} else if cfg.Consumer == nil {
		return nil, errors.New("cdc: relay config: no consumer")
	}
	if cfg.Source == "" {
		cfg.Source = "cdc"
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Relay{cfg: cfg, log: cfg.Logger.With(slog.String("source", cfg.Source))}, nil
}

// Stats returns the counts so far. It is safe to call while Run runs.
func (r *Relay) Stats() RelayStats {
	return RelayStats{
		Relayed:  r.stats.relayed.Load(),
		Invalid:  r.stats.invalid.Load(),
		Batches:  r.stats.batches.Load(),
		Failures: r.stats.failures.Load(),

		Grouped:    r.stats.grouped.Load(),
		Incomplete: r.stats.incomplete.Load(),
		Held:       r.stats.held.Load(),
	}
}

// Run relays until ctx is done and returns nil, or the consumer's error.
// With [RelayConfig.Transactions] it writes through
// [TransactionConfig.Emit], and emit is not used (it may be nil).
func (r *Relay) Run(ctx context.Context, emit adapters.Emit) error {
	if r.cfg.Transactions != nil {
		return r.runTx(ctx)
	}
	if emit == nil {
		return errors.New("cdc: relay: nil emit")
	}
	return r.cfg.Consumer.Run(ctx, func(ctx context.Context, recs []Record) error {
		err := r.batch(ctx, emit, recs)
		if err != nil {
			r.stats.failures.Add(1)
			return err
		}
		r.stats.batches.Add(1)
		return nil
	})
}

// batch emits a batch: the records of one partition key in order, and
// different keys concurrently, at most MaxInFlight at once. Order matters
// only per row; concurrent emits share the producer's Kafka batches,
// which a snapshot of millions of rows needs (one synchronous produce per
// record would take a round trip each).
func (r *Relay) batch(ctx context.Context, emit adapters.Emit, recs []Record) error {
	envs := make([]event.Envelope, len(recs))
	chains := map[string][]int{}
	var order []string
	for i, rec := range recs {
		envs[i] = r.envelope(rec)
		k := envs[i].Key
		if _, ok := chains[k]; !ok {
			order = append(order, k)
		}
		chains[k] = append(chains[k], i)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		sem      = make(chan struct{}, r.cfg.MaxInFlight)
	)
	fail := func(rec Record, err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = fmt.Errorf("cdc: relay %s/%d@%d: not stored: %w", rec.Topic, rec.Partition, rec.Offset, err)
		}
		mu.Unlock()
		cancel() // the batch will be delivered again whole
	}
chains:
	for _, k := range order {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break chains
		}
		wg.Go(func() {
			defer func() { <-sem }()
			for _, i := range chains[k] {
				if err := emit(ctx, envs[i]); err != nil {
					fail(recs[i], err)
					return
				}
				r.stats.relayed.Add(1)
			}
		})
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "cdc relay batch failed; it will be delivered again", slog.Int("records", len(recs)), slog.Any("err", firstErr))
	}
	return firstErr
}

// envelope builds the raw.cdc.v1 envelope of one source record.
func (r *Relay) envelope(rec Record) event.Envelope {
	env, _ := r.envelopeEvent(rec)
	return env
}

// envelopeEvent builds the raw.cdc.v1 envelope of one source record and
// returns the parsed event too; nil when the record did not parse.
func (r *Relay) envelopeEvent(rec Record) (event.Envelope, *Event) {
	now := r.cfg.Now()
	attrs := map[string]string{
		AttrSourceTopic:     rec.Topic,
		AttrSourcePartition: strconv.Itoa(int(rec.Partition)),
		AttrSourceOffset:    strconv.FormatInt(rec.Offset, 10),
	}
	env := event.Envelope{
		ID:       event.NewID(now),
		Format:   event.FormatCDC,
		Received: now.UTC(),
		Source:   r.cfg.Source,
		Key:      PartitionKey(rec.Topic, rec.Key),
		Attrs:    attrs,
		Payload:  rec.Value,
	}
	ev, err := Parse(rec.Key, rec.Value)
	if err != nil {
		r.stats.invalid.Add(1)
		attrs[AttrError] = err.Error()
		env.Kind = "INVALID"
		if isNullDoc(rec.Value) {
			env.Payload = rec.Key
			attrs[AttrPayload] = "key"
		}
		if r.cfg.Report != nil {
			r.cfg.Report(&RecordError{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset, Err: err})
		}
		return env, nil
	}
	table := ev.Source.Table
	if table == "" {
		// A tombstone has no source block; Debezium names a table's
		// topic <prefix>.<schema>.<table>.
		table = rec.Topic[strings.LastIndexByte(rec.Topic, '.')+1:]
	}
	switch ev.Kind {
	case KindChange:
		env.Kind = table + "." + ev.Op.Name()
		attrs[AttrOp] = string(ev.Op)
	case KindTombstone:
		env.Kind = table + ".TOMBSTONE"
		attrs[AttrOp] = "tombstone"
		// The value is empty: the key is what says which row, so it
		// becomes the payload (never a header: it may identify a person).
		env.Payload = rec.Key
		attrs[AttrPayload] = "key"
	case KindTransaction:
		env.Kind = "TRANSACTION." + ev.Boundary.Status
		attrs[AttrOp] = strings.ToLower(ev.Boundary.Status)
		attrs[AttrTxID] = ev.Boundary.ID
	case KindSchemaChange:
		env.Kind = "SCHEMA_CHANGE"
		attrs[AttrOp] = "schema-change"
	}
	addEventAttrs(attrs, ev)
	return env, ev
}

// Envelope attribute names (each a header "attr-<name>" on raw.cdc.v1).
// None holds patient data: they name topics, tables, operations and log
// positions.
const (
	AttrSourceTopic     = "source-topic"     // the CDC topic the record was read from
	AttrSourcePartition = "source-partition" // its partition
	AttrSourceOffset    = "source-offset"    // its offset
	AttrPosition        = "position"         // [Position.String]; absent when zero
	AttrConnector       = "connector"        // source.connector
	AttrServer          = "server"           // source.name
	AttrTable           = "table"            // db.schema.table
	AttrOp              = "op"               // c u d r t m, tombstone, begin, end, schema-change
	AttrSnapshot        = "snapshot"         // source.snapshot when set
	AttrTxID            = "tx-id"            // the source transaction
	AttrTxOrder         = "tx-total-order"   // the event's place in it, from 1
	AttrSourceTsMs      = "source-ts-ms"     // source.ts_ms: when the database made the change
	AttrPayload         = "payload"          // "key" when the payload is the record key (tombstones)
	AttrError           = "error"            // why the record did not parse, located, no values
	AttrFile            = "file"             // copybook intake: the data file (as given)
	AttrRecord          = "record"           // copybook intake: the record number in it, from 1
	AttrOffset          = "offset"           // copybook intake: the record's byte offset in it
)

func addEventAttrs(attrs map[string]string, ev *Event) {
	set := func(k, v string) {
		if v != "" {
			attrs[k] = v
		}
	}
	set(AttrPosition, ev.Position.String())
	set(AttrConnector, ev.Source.Connector)
	set(AttrServer, ev.Source.Name)
	set(AttrTable, ev.Source.Collection())
	set(AttrSnapshot, string(ev.Source.Snapshot))
	if ev.Source.TsMs != 0 {
		attrs[AttrSourceTsMs] = strconv.FormatInt(ev.Source.TsMs, 10)
	}
	if t := ev.Transaction; t != nil {
		set(AttrTxID, t.ID)
		if t.TotalOrder > 0 {
			attrs[AttrTxOrder] = strconv.FormatInt(t.TotalOrder, 10)
		}
	}
}
