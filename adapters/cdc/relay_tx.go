package cdc

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/tributary-health/tributary/event"
)

// A Cursor reads the source topics for a relay that holds records across
// polls: it commits only what it is told to. The stream package's Poller,
// wrapped in cmd/tributary, is the production implementation.
type Cursor interface {
	// Poll returns the next records, in order per partition, waiting up
	// to wait for some: none when nothing came. It returns ctx's error
	// when ctx is done, and an error wrapping [ErrRewound] when the
	// source went back to its committed offsets (a rebalance, or
	// [Cursor.Rewind]): every record not committed will come again.
	Poll(ctx context.Context, wait time.Duration) ([]Record, error)
	// Commit commits, per partition, the offset of the next record to
	// read.
	Commit(ctx context.Context, next map[TopicPartition]int64) error
	// Rewind makes the next Poll go back to the committed offsets and
	// return [ErrRewound].
	Rewind()
}

// ErrRewound is returned (wrapped) by [Cursor.Poll] when the source went
// back to its committed offsets.
var ErrRewound = errors.New("cdc: source rewound to its committed offsets")

// A TopicPartition names a partition of a source topic.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// A TxEmit writes envelopes in one Kafka transaction. It returns nil once
// the transaction is committed, or an error after which none of envs is
// visible to a read_committed consumer. The stream package's
// TxProducer.EmitAll is the production implementation.
type TxEmit func(ctx context.Context, envs []event.Envelope) error

// TransactionConfig makes a [Relay] write the events of one source
// transaction together. It needs Debezium's transaction metadata (the
// connector's provide.transaction.metadata, and its transaction topic
// among the relayed topics).
//
// A change event with a transaction id is held until the transaction's
// END record has come and the events held for it number END's
// event_count (events with the same total_order count once); then the
// BEGIN record, the events and the END record are written in one Kafka
// transaction, so a read_committed consumer sees all of them or none.
// Records without a transaction id are written at once, in a Kafka
// transaction of their own, unless their row has events held: then they
// wait behind them, so a row's records keep their source order (a
// Debezium tombstone, which carries no transaction block, follows its
// delete). A complete transaction also waits while one of its rows has
// events of an earlier transaction held.
//
// Bounds: when the events held exceed MaxHeldEvents, or a transaction has
// been held longer than MaxAge, everything held is written at once, in
// source order, and each incomplete transaction among it is counted in
// [RelayStats.Incomplete] and logged as a warning; its later events are
// not held again.
//
// Source offsets are committed only after the Kafka transaction holding
// their records committed: per partition, up to the first record still
// held. After a crash or a rebalance held records are read again.
type TransactionConfig struct {
	// Source reads the CDC topics, the transaction topic among them.
	// Required.
	Source Cursor
	// Emit writes envelopes in one Kafka transaction. Required.
	Emit TxEmit
	// MaxHeldEvents bounds the events held in memory (each with its
	// record's value: memory is about MaxHeldEvents times the record
	// size). Default 10000.
	MaxHeldEvents int
	// MaxAge bounds how long a transaction is held, from its first
	// record. Default 1 minute.
	MaxAge time.Duration
	// PollWait is how long one poll waits for records; MaxAge is checked
	// at least that often. Default 250ms.
	PollWait time.Duration
}

func (c *TransactionConfig) validate() error {
	if c.Source == nil || c.Emit == nil {
		return errors.New("cdc: relay config: transactions need a source cursor and a transactional emit")
	}
	if c.MaxHeldEvents <= 0 {
		c.MaxHeldEvents = 10000
	}
	if c.MaxAge <= 0 {
		c.MaxAge = time.Minute
	}
	if c.PollWait <= 0 {
		c.PollWait = 250 * time.Millisecond
	}
	return nil
}

// runTx is Run with transactions: poll, hold, write what is ready in one
// Kafka transaction, commit the source offsets below what is still held.
func (r *Relay) runTx(ctx context.Context) error {
	tc := r.cfg.Transactions
	h := newHolder()
	delay := 100 * time.Millisecond
	for {
		recs, err := tc.Source.Poll(ctx, tc.PollWait)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrRewound) {
			h.reset()
			r.stats.held.Store(0)
			continue
		}
		if err != nil {
			return fmt.Errorf("cdc: relay: %w", err)
		}
		now := r.cfg.Now()
		for _, rec := range recs {
			env, ev := r.envelopeEvent(rec)
			h.add(rec, env, ev, now)
		}
		out, rel := h.take(now, tc.MaxHeldEvents, tc.MaxAge)
		if rel.incomplete > 0 {
			r.stats.incomplete.Add(int64(rel.incomplete))
			r.log.LogAttrs(ctx, slog.LevelWarn, "cdc relay released source transactions before they were complete",
				slog.String("reason", rel.reason), slog.Int("incomplete", rel.incomplete), slog.Int("events", len(out)))
		}
		if len(out) > 0 {
			envs := make([]event.Envelope, len(out))
			for i, e := range out {
				envs[i] = e.env
			}
			if err := tc.Emit(ctx, envs); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				r.stats.failures.Add(1)
				r.log.LogAttrs(ctx, slog.LevelWarn, "cdc relay transaction failed; the uncommitted records will be read again",
					slog.Int("records", len(envs)), slog.Any("err", err))
				h.reset()
				r.stats.held.Store(0)
				tc.Source.Rewind()
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(delay):
				}
				delay = min(2*delay, 10*time.Second)
				continue
			}
			delay = 100 * time.Millisecond
			// Records of these read again after a rewind (those behind a
			// record that was held) are duplicates: they pass, not held
			// for a transaction that cannot complete again.
			for _, id := range rel.complete {
				h.remember(id)
			}
			r.stats.relayed.Add(int64(len(envs)))
			r.stats.batches.Add(1)
			r.stats.grouped.Add(int64(rel.grouped))
		}
		r.stats.held.Store(int64(h.held))
		if next := h.commitable(); len(next) > 0 {
			if err := tc.Source.Commit(ctx, next); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				// The next cycle commits again; a crash before re-reads.
				r.log.LogAttrs(ctx, slog.LevelWarn, "cdc relay could not commit source offsets", slog.Any("err", err))
			} else {
				h.committed(next)
			}
		}
	}
}

// heldEvent is one relayed record waiting to be written.
type heldEvent struct {
	seq int64 // arrival order: source order per partition
	tp  TopicPartition
	off int64
	env event.Envelope
}

// txGroup is what is held of one source transaction.
type txGroup struct {
	id     string
	first  time.Time
	events []*heldEvent // BEGIN, changes, END and rows' followers, in arrival order
	orders map[int64]bool
	count  int64 // distinct change events
	want   int64 // END's event_count; -1 before END
	keys   []string
}

func (g *txGroup) complete() bool { return g.want >= 0 && g.count >= g.want }

// holder keeps the held records of a transactional relay. It is used by
// one goroutine.
type holder struct {
	groups map[string]*txGroup
	byKey  map[string][]*txGroup // per partition key, the groups holding its events, oldest first
	ready  []*heldEvent          // records to write at once
	held   int
	seq    int64
	forced string // when set, everything held is released: why

	next, done map[TopicPartition]int64 // per partition: after the last record read; committed

	expired     map[string]bool // transactions written (or released incomplete): not held again
	expiredRing []string
}

// maxExpired bounds the remembered ids of transactions written or
// released incomplete.
const maxExpired = 10000

func newHolder() *holder {
	h := &holder{expired: map[string]bool{}}
	h.reset()
	return h
}

// reset drops everything held, for a source rewound to its committed
// offsets.
func (h *holder) reset() {
	h.groups = map[string]*txGroup{}
	h.byKey = map[string][]*txGroup{}
	h.ready = nil
	h.held = 0
	h.forced = ""
	h.next = map[TopicPartition]int64{}
	h.done = map[TopicPartition]int64{}
}

func (h *holder) add(rec Record, env event.Envelope, ev *Event, now time.Time) {
	h.seq++
	e := &heldEvent{seq: h.seq, tp: TopicPartition{rec.Topic, rec.Partition}, off: rec.Offset, env: env}
	h.next[e.tp] = max(h.next[e.tp], rec.Offset+1)
	var id string
	var b *Boundary
	switch {
	case ev == nil:
	case ev.Kind == KindTransaction:
		id, b = ev.Boundary.ID, ev.Boundary
	case ev.Transaction != nil:
		id = ev.Transaction.ID
	}
	if id != "" && h.expired[id] {
		id = ""
	}
	if id == "" {
		if q := h.byKey[env.Key]; len(q) > 0 {
			// The row has events held: this one follows them.
			g := q[len(q)-1]
			g.events = append(g.events, e)
			h.held++
			return
		}
		h.ready = append(h.ready, e)
		return
	}
	g := h.groups[id]
	if g == nil {
		g = &txGroup{id: id, first: now, want: -1, orders: map[int64]bool{}}
		h.groups[id] = g
	}
	g.events = append(g.events, e)
	h.held++
	if b != nil {
		if b.Status == "END" {
			g.want = b.EventCount
		}
		return
	}
	if o := ev.Transaction.TotalOrder; o > 0 {
		if !g.orders[o] {
			g.orders[o] = true
			g.count++
		}
	} else {
		g.count++
	}
	q := h.byKey[env.Key]
	switch {
	case len(q) > 0 && q[len(q)-1] == g:
	case slices.Contains(q, g):
		// The row's events alternate between two held transactions:
		// no order of whole transactions keeps the row's order.
		h.forced = "a row's events alternate between transactions"
	default:
		h.byKey[env.Key] = append(q, g)
		g.keys = append(g.keys, env.Key)
	}
}

// released says what take released.
type released struct {
	grouped, incomplete int
	reason              string
	complete            []string // ids of the complete transactions
}

// take returns the records to write now, in arrival order: those not
// held, the complete transactions whose rows wait for no earlier one and,
// when a bound is hit, everything.
func (h *holder) take(now time.Time, maxHeld int, maxAge time.Duration) ([]*heldEvent, released) {
	out := h.ready
	h.ready = nil
	var rel released
	for progress := true; progress; {
		progress = false
		for _, g := range h.groups {
			if g.complete() && h.first(g) {
				out = append(out, g.events...)
				h.drop(g)
				rel.grouped++
				rel.complete = append(rel.complete, g.id)
				progress = true
			}
		}
	}
	rel.reason = h.forced
	if h.forced != "" {
		// Everything goes.
		for _, g := range h.groups {
			h.release(g, &out, &rel)
		}
		h.forced = ""
	}
	for _, g := range h.groups {
		if now.Sub(g.first) > maxAge {
			rel.reason = "a transaction was held longer than the limit"
			h.release(g, &out, &rel)
		}
	}
	for h.held > maxHeld {
		var oldest *txGroup
		for _, g := range h.groups {
			if oldest == nil || g.events[0].seq < oldest.events[0].seq {
				oldest = g
			}
		}
		if oldest == nil {
			break
		}
		rel.reason = "more events held than the limit"
		h.release(oldest, &out, &rel)
	}
	slices.SortFunc(out, func(a, b *heldEvent) int { return cmp.Compare(a.seq, b.seq) })
	return out, rel
}

// release releases g, complete or not, and first every group holding
// earlier events of g's rows (which may in turn hold earlier events of
// their rows), so that the released events of each row are the oldest.
func (h *holder) release(g *txGroup, out *[]*heldEvent, rel *released) {
	if h.groups[g.id] != g {
		return // released already
	}
	var ahead []*txGroup
	for _, k := range g.keys {
		q := h.byKey[k]
		ahead = append(ahead, q[:slices.Index(q, g)]...)
	}
	h.drop(g)
	*out = append(*out, g.events...)
	if g.complete() {
		rel.grouped++
		rel.complete = append(rel.complete, g.id)
	} else {
		rel.incomplete++
		h.remember(g.id)
	}
	for _, a := range ahead {
		h.release(a, out, rel)
	}
}

// remember makes later records of transaction id pass without being
// held: it was written, whole or incomplete. The last maxExpired ids are
// remembered, across rewinds.
func (h *holder) remember(id string) {
	if h.expired[id] {
		return
	}
	if len(h.expiredRing) >= maxExpired {
		delete(h.expired, h.expiredRing[0])
		h.expiredRing = h.expiredRing[1:]
	}
	h.expired[id] = true
	h.expiredRing = append(h.expiredRing, id)
}

// first reports whether g holds the oldest held events of each of its
// rows.
func (h *holder) first(g *txGroup) bool {
	for _, k := range g.keys {
		if h.byKey[k][0] != g {
			return false
		}
	}
	return true
}

// drop forgets g.
func (h *holder) drop(g *txGroup) {
	delete(h.groups, g.id)
	for _, k := range g.keys {
		if q := slices.DeleteFunc(h.byKey[k], func(a *txGroup) bool { return a == g }); len(q) > 0 {
			h.byKey[k] = q
		} else {
			delete(h.byKey, k)
		}
	}
	h.held -= len(g.events)
}

// commitable returns the offsets to commit: per partition, the first
// record still held, or after the last one read; only those that moved.
func (h *holder) commitable() map[TopicPartition]int64 {
	low := make(map[TopicPartition]int64, len(h.next))
	for tp, n := range h.next {
		low[tp] = n
	}
	for _, g := range h.groups {
		for _, e := range g.events {
			low[e.tp] = min(low[e.tp], e.off)
		}
	}
	for tp, off := range low {
		if d, ok := h.done[tp]; ok && off <= d {
			delete(low, tp)
		}
	}
	return low
}

func (h *holder) committed(next map[TopicPartition]int64) {
	for tp, off := range next {
		h.done[tp] = off
	}
}
