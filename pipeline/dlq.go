package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/stream"
)

// Headers of the dead-letter tooling (docs/kafka-contract.md, dlq.v1).
const (
	// HeaderDLQRetried marks a retry marker on dlq.v1: a record with an
	// empty value saying that the dead letter of the original record at
	// dlq-topic/dlq-offset was re-emitted. Its value is the envelope id.
	HeaderDLQRetried = "dlq-retried"
	// HeaderDLQRetryOf, on a retry marker, is the position on dlq.v1 of
	// the dead letter that was retried, offset@partition.
	HeaderDLQRetryOf = "dlq-retry-of"
	// HeaderRetryOf, on a re-emitted record, is the position on dlq.v1 of
	// the dead letter it retries, offset@partition. As an attr- header it
	// is also the envelope attribute "retry-of".
	HeaderRetryOf = event.HeaderAttrPrefix + "retry-of"
	// HeaderRetryCount, on a re-emitted record, counts the retries of
	// this envelope so far: 1 on the first.
	HeaderRetryCount = event.HeaderAttrPrefix + "retry-count"
)

// A DeadLetter is one record of dlq.v1 that a stage could not process.
type DeadLetter struct {
	// Record is the dead letter as read from dlq.v1: the original key,
	// value (which may hold patient data: never print it unasked) and
	// headers, plus the dlq-* headers.
	Record stream.Record
	// EnvelopeID is the envelope the original came from: its envelope-id
	// header, else (for fhir.v1 records) source-envelope-id.
	EnvelopeID string
	Stage      string // dlq-stage
	Code       string // dlq-code
	Location   string // dlq-location; may be empty
	Reason     string // dlq-reason: a sentence without patient data
	// Topic and Offset say where the original record was read (dlq-topic,
	// dlq-offset as offset@partition). Together they identify the
	// original: a dead letter written twice has them both times.
	Topic, Offset string
	// Retried is set when a retry marker on dlq.v1 names this original.
	Retried bool
}

// Position is where the dead letter itself is on dlq.v1, offset@partition.
func (d DeadLetter) Position() string { return position(d.Record.Partition, d.Record.Offset) }

func position(p int32, o int64) string {
	return strconv.FormatInt(o, 10) + "@" + strconv.Itoa(int(p))
}

func (d DeadLetter) origin() string { return d.Topic + "\x00" + d.Offset }

// ReadDeadLetters returns every dead letter on the dlq.v1 topic of cfg, in
// partition and offset order, with Retried set from the retry markers
// (which it does not return). It reads the whole topic up to its end at
// the time of the call.
func ReadDeadLetters(ctx context.Context, cfg stream.Config) ([]DeadLetter, error) {
	recs, err := stream.ReadAll(ctx, cfg, cfg.Topics.DLQ())
	if err != nil {
		return nil, err
	}
	retried := map[string]bool{}
	var out []DeadLetter
	for _, r := range recs {
		if r.Header(HeaderDLQRetried) != "" {
			retried[r.Header(event.HeaderDLQTopic)+"\x00"+r.Header(event.HeaderDLQOffset)] = true
			continue
		}
		id := r.Header(event.HeaderEnvelopeID)
		if id == "" {
			id = r.Header(event.HeaderSourceEnvelope)
		}
		out = append(out, DeadLetter{
			Record:     r,
			EnvelopeID: id,
			Stage:      r.Header(event.HeaderDLQStage),
			Code:       r.Header(event.HeaderDLQCode),
			Location:   r.Header(event.HeaderDLQLocation),
			Reason:     r.Header(event.HeaderDLQReason),
			Topic:      r.Header(event.HeaderDLQTopic),
			Offset:     r.Header(event.HeaderDLQOffset),
		})
	}
	for i := range out {
		out[i].Retried = retried[out[i].origin()]
	}
	slices.SortStableFunc(out, func(a, b DeadLetter) int {
		return cmp.Or(cmp.Compare(a.Record.Partition, b.Record.Partition), cmp.Compare(a.Record.Offset, b.Record.Offset))
	})
	return out, nil
}

// A DeadLetterFilter selects dead letters. Empty fields select all; a
// list matches any of its values.
type DeadLetterFilter struct {
	Since     time.Time // dead-lettered at or after (the record's timestamp)
	Stages    []string
	Codes     []string
	Locations []string
	Envelopes []string
}

// Match reports whether d passes f.
func (f DeadLetterFilter) Match(d DeadLetter) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	return (f.Since.IsZero() || !d.Record.Timestamp.Before(f.Since)) &&
		in(f.Stages, d.Stage) && in(f.Codes, d.Code) && in(f.Locations, d.Location) && in(f.Envelopes, d.EnvelopeID)
}

// A DeadLetterGroup counts the dead letters of one stage, code and location.
type DeadLetterGroup struct {
	Stage    string `json:"stage"`
	Code     string `json:"code"`
	Location string `json:"location"`
	Count    int    `json:"count"`
	// Pending counts those not retried yet.
	Pending int       `json:"pending"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
	// Example is the envelope id of the latest one, and Reason its reason.
	Example string `json:"example_envelope_id"`
	Reason  string `json:"reason"`
}

// GroupDeadLetters groups dls by stage, code and location, most frequent
// first. The groups hold no payload content.
func GroupDeadLetters(dls []DeadLetter) []DeadLetterGroup {
	type key struct{ stage, code, loc string }
	idx := map[key]int{}
	var out []DeadLetterGroup
	for _, d := range dls {
		k := key{d.Stage, d.Code, d.Location}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, DeadLetterGroup{Stage: d.Stage, Code: d.Code, Location: d.Location, First: d.Record.Timestamp})
		}
		g := &out[i]
		g.Count++
		if !d.Retried {
			g.Pending++
		}
		ts := d.Record.Timestamp
		if ts.Before(g.First) {
			g.First = ts
		}
		if !ts.Before(g.Last) {
			g.Last, g.Example, g.Reason = ts, d.EnvelopeID, d.Reason
		}
	}
	slices.SortStableFunc(out, func(a, b DeadLetterGroup) int {
		return cmp.Or(-cmp.Compare(a.Count, b.Count), strings.Compare(a.Stage, b.Stage),
			strings.Compare(a.Code, b.Code), strings.Compare(a.Location, b.Location))
	})
	return out
}

// ErrNoOrigin is returned by [RetryRecord] for a dead letter that does not
// say which topic its original was read from.
var ErrNoOrigin = errors.New("pipeline: dead letter has no dlq-topic header")

// RetryRecord returns the record that retries d: the original key, value
// and headers on the topic the original was read from (dlq-topic), without
// the dlq-* headers, plus [HeaderRetryOf] and [HeaderRetryCount].
func RetryRecord(d DeadLetter) (stream.Record, error) {
	if d.Topic == "" {
		return stream.Record{}, fmt.Errorf("dead letter %s: %w", d.Position(), ErrNoOrigin)
	}
	out := stream.Record{Topic: d.Topic, Key: d.Record.Key, Value: d.Record.Value}
	for _, h := range d.Record.Headers {
		if !strings.HasPrefix(h.Key, "dlq-") {
			out.Headers = append(out.Headers, h)
		}
	}
	n, _ := strconv.Atoi(out.Header(HeaderRetryCount))
	out.SetHeader(HeaderRetryOf, d.Position())
	out.SetHeader(HeaderRetryCount, strconv.Itoa(n+1))
	return out, nil
}

// retryMarker returns the dlq.v1 record saying d was retried.
func retryMarker(t event.Topics, d DeadLetter) stream.Record {
	return stream.Record{
		Topic: t.DLQ(),
		Key:   d.Record.Key,
		Headers: []stream.Header{
			{Key: HeaderDLQRetried, Value: []byte(cmp.Or(d.EnvelopeID, "-"))},
			{Key: event.HeaderDLQTopic, Value: []byte(d.Topic)},
			{Key: event.HeaderDLQOffset, Value: []byte(d.Offset)},
			{Key: HeaderDLQRetryOf, Value: []byte(d.Position())},
		},
	}
}

// retryBatch bounds the dead letters retried in one transaction.
const retryBatch = 200

// RetryDeadLetters re-emits each of dls with [RetryRecord] and writes its
// retry marker on dlq.v1, both in one Kafka transaction (a batch of dead
// letters per transaction), so a read_committed reader (the normalizer)
// sees a retry exactly when its marker exists. Dead letters with the same
// original (dlq-topic and dlq-offset) are retried once. It returns the
// dead letters retried, which are all of them unless err is not nil; a
// batch that failed is not among them.
//
// Callers select which dead letters to retry; those with Retried set are
// retried again. Concurrent calls for one topic prefix fence each other
// (they share a transactional id), and one of them fails.
func RetryDeadLetters(ctx context.Context, cfg stream.Config, dls []DeadLetter) ([]DeadLetter, error) {
	seen := map[string]bool{}
	var todo []DeadLetter
	var recs [][2]stream.Record
	for _, d := range dls {
		if seen[d.origin()] {
			continue
		}
		seen[d.origin()] = true
		r, err := RetryRecord(d)
		if err != nil {
			return nil, err
		}
		todo = append(todo, d)
		recs = append(recs, [2]stream.Record{r, retryMarker(cfg.Topics, d)})
	}
	if len(todo) == 0 {
		return nil, nil
	}
	p, err := stream.NewTxProducer(cfg, event.FamilyDLQ, stream.TxProducerConfig{TransactionalID: cfg.Topics.Prefix + "dlq-retry"})
	if err != nil {
		return nil, err
	}
	defer p.Close()
	var done []DeadLetter
	for start := 0; start < len(todo); start += retryBatch {
		end := min(start+retryBatch, len(todo))
		if err := p.Begin(); err != nil {
			return done, err
		}
		for _, rs := range recs[start:end] {
			p.Produce(ctx, rs[0], rs[1])
		}
		if err := p.Commit(ctx); err != nil {
			return done, fmt.Errorf("pipeline: retry dead letters: %w", err)
		}
		done = append(done, todo[start:end]...)
	}
	return done, nil
}
