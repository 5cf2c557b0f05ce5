package stream

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-health/tributary/event"
)

// A Record is one Kafka record as the pipeline sees it. Records read from
// Kafka carry Topic, Partition and Offset; records to produce need Topic,
// Key, Value and Headers.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []Header
	Timestamp time.Time
}

// A Header is one record header.
type Header struct {
	Key   string
	Value []byte
}

// Header returns the value of the first header named key, or "".
func (r *Record) Header(key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// SetHeader replaces the header named key, or appends it.
func (r *Record) SetHeader(key, value string) {
	for i, h := range r.Headers {
		if h.Key == key {
			r.Headers[i].Value = []byte(value)
			return
		}
	}
	r.Headers = append(r.Headers, Header{Key: key, Value: []byte(value)})
}

func toKgo(r Record) *kgo.Record {
	k := &kgo.Record{Topic: r.Topic, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp}
	if len(r.Headers) > 0 {
		k.Headers = make([]kgo.RecordHeader, len(r.Headers))
		for i, h := range r.Headers {
			k.Headers[i] = kgo.RecordHeader{Key: h.Key, Value: h.Value}
		}
	}
	return k
}

func fromKgo(k *kgo.Record) Record {
	r := Record{
		Topic:     k.Topic,
		Partition: k.Partition,
		Offset:    k.Offset,
		Key:       k.Key,
		Value:     k.Value,
		Timestamp: k.Timestamp,
	}
	if len(k.Headers) > 0 {
		r.Headers = make([]Header, len(k.Headers))
		for i, h := range k.Headers {
			r.Headers[i] = Header{Key: h.Key, Value: h.Value}
		}
	}
	return r
}

// EnvelopeRecord returns the raw-topic record of e: the payload as value,
// the envelope fields as headers (the contract in docs/kafka-contract.md).
func EnvelopeRecord(t event.Topics, e event.Envelope) Record {
	sum := sha256.Sum256(e.Payload)
	// The Kafka timestamp is left to the producer (the time of writing):
	// franz-go measures delivery timeouts from it, and received-at keeps the
	// adapter's time.
	r := Record{
		Topic: t.Raw(e.Format),
		Key:   []byte(e.Key),
		Value: e.Payload,
	}
	add := func(k, v string) { r.Headers = append(r.Headers, Header{Key: k, Value: []byte(v)}) }
	add(event.HeaderEnvelopeID, e.ID)
	add(event.HeaderFormat, e.Format.String())
	add(event.HeaderKind, e.Kind)
	add(event.HeaderReceivedAt, e.Received.UTC().Format(time.RFC3339Nano))
	add(event.HeaderSource, e.Source)
	add(event.HeaderSHA256, hex.EncodeToString(sum[:]))
	// Sorted, so the same envelope always yields the same bytes.
	for _, k := range slices.Sorted(maps.Keys(e.Attrs)) {
		add(event.HeaderAttrPrefix+k, e.Attrs[k])
	}
	return r
}

// ErrNotEnvelope is returned by [Envelope] for a record that lacks the
// envelope headers.
var ErrNotEnvelope = errors.New("stream: record is not an envelope")

// Envelope reads back the envelope of a raw-topic record. It checks the
// payload against its sha256 header, so corruption between ingest and
// normalization is caught.
func Envelope(r Record) (event.Envelope, error) {
	e := event.Envelope{
		ID:      r.Header(event.HeaderEnvelopeID),
		Kind:    r.Header(event.HeaderKind),
		Source:  r.Header(event.HeaderSource),
		Key:     string(r.Key),
		Payload: r.Value,
	}
	if e.ID == "" {
		return e, ErrNotEnvelope
	}
	f, err := event.ParseFormat(r.Header(event.HeaderFormat))
	if err != nil {
		return e, fmt.Errorf("%w: %w", ErrNotEnvelope, err)
	}
	e.Format = f
	if ts := r.Header(event.HeaderReceivedAt); ts != "" {
		if e.Received, err = time.Parse(time.RFC3339Nano, ts); err != nil {
			return e, fmt.Errorf("%w: header %s: %w", ErrNotEnvelope, event.HeaderReceivedAt, err)
		}
	}
	if want := r.Header(event.HeaderSHA256); want != "" {
		sum := sha256.Sum256(r.Value)
		if hex.EncodeToString(sum[:]) != want {
			return e, fmt.Errorf("stream: envelope %s: payload does not match its sha256 header", e.ID)
		}
	}
	for _, h := range r.Headers {
		if k, ok := strings.CutPrefix(h.Key, event.HeaderAttrPrefix); ok {
			if e.Attrs == nil {
				e.Attrs = make(map[string]string)
			}
			e.Attrs[k] = string(h.Value)
		}
	}
	return e, nil
}
