package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-health/tributary/event"
)

// Config holds what every client of this package needs.
type Config struct {
	// Brokers are the seed brokers, host:port. Required.
	Brokers []string
	// Topics names the contract's topics (prefix).
	Topics event.Topics
	// Compression picks the batch codec per topic family; families not in
	// the map use [DefaultCompression].
	Compression Compression
	// ClientID names this process to the brokers (logs, quotas). Default "tributary".
	ClientID string
	// DeliveryTimeout bounds how long a produce may retry before it fails,
	// so an adapter can answer its sender instead of hanging. Default 30s.
	DeliveryTimeout time.Duration
	// Logger receives franz-go's warnings and errors. Nil discards.
	Logger *slog.Logger
}

func (c Config) validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("stream: no brokers configured")
	}
	if c.Topics.Prefix == "" {
		// An empty prefix is legal, but almost always a wiring mistake:
		// event.NewTopics fills the default.
		return errors.New("stream: topic prefix is empty; use event.NewTopics")
	}
	return nil
}

func (c Config) clientOpts() []kgo.Opt {
	id := c.ClientID
	if id == "" {
		id = "tributary"
	}
	return []kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.ClientID(id),
		kgo.WithLogger(kgoLogger{c.logger()}),
	}
}

func (c Config) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

func (c Config) deliveryTimeout() time.Duration {
	if c.DeliveryTimeout <= 0 {
		return 30 * time.Second
	}
	return c.DeliveryTimeout
}

// A Codec is a Kafka batch compression codec.
type Codec string

// The codecs Kafka defines.
const (
	CodecNone   Codec = "none"
	CodecGzip   Codec = "gzip"
	CodecSnappy Codec = "snappy"
	CodecLZ4    Codec = "lz4"
	CodecZstd   Codec = "zstd"
)

func (c Codec) kgo() (kgo.CompressionCodec, error) {
	switch c {
	case CodecNone:
		return kgo.NoCompression(), nil
	case CodecGzip:
		return kgo.GzipCompression(), nil
	case CodecSnappy:
		return kgo.SnappyCompression(), nil
	case CodecLZ4:
		return kgo.Lz4Compression(), nil
	case CodecZstd:
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("stream: unknown codec %q (want none, gzip, snappy, lz4 or zstd)", string(c))
}

// Compression maps topic families to codecs.
type Compression map[event.Family]Codec

// DefaultCompression is used for families a [Compression] leaves out. Raw
// topics are read by Tributary itself, so they take the fast lz4; every
// topic that partners may read takes gzip, the one codec every Kafka client
// reads (kafkajs cannot read snappy, lz4 or zstd without plugins).
var DefaultCompression = Compression{
	event.FamilyRaw:    CodecLZ4,
	event.FamilyFHIR:   CodecGzip,
	event.FamilyDLQ:    CodecGzip,
	event.FamilyAudit:  CodecGzip,
	event.FamilyEgress: CodecGzip,
}

// Codec returns the codec for family f; gzip for a family it does not know.
func (c Compression) Codec(f event.Family) Codec {
	if v, ok := c[f]; ok {
		return v
	}
	if v, ok := DefaultCompression[f]; ok {
		return v
	}
	return CodecGzip
}

// ParseCompression parses "raw=lz4,fhir=gzip"; a bare codec ("none")
// applies to every family.
func ParseCompression(s string) (Compression, error) {
	out := Compression{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		fam, codec, ok := strings.Cut(part, "=")
		if !ok {
			c := Codec(part)
			if _, err := c.kgo(); err != nil {
				return nil, err
			}
			for _, f := range event.Families {
				out[f] = c
			}
			continue
		}
		f := event.Family(strings.TrimSpace(fam))
		if !knownFamily(f) {
			return nil, fmt.Errorf("stream: unknown topic family %q (want raw, fhir, dlq, audit or egress)", fam)
		}
		c := Codec(strings.TrimSpace(codec))
		if _, err := c.kgo(); err != nil {
			return nil, err
		}
		out[f] = c
	}
	return out, nil
}

func knownFamily(f event.Family) bool {
	for _, g := range event.Families {
		if f == g {
			return true
		}
	}
	return false
}

// producerOpts are the options of every producing client: idempotent,
// acks from all in-sync replicas, bounded delivery time, the codec of the
// family it writes.
//
// Transactional clients get no delivery timeout: a timed-out record would
// leave the transaction unusable, and the transaction timeout bounds them.
func (c Config) producerOpts(f event.Family, transactional bool) ([]kgo.Opt, error) {
	codec, err := c.Compression.Codec(f).kgo()
	if err != nil {
		return nil, err
	}
	opts := []kgo.Opt{
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchCompression(codec),
		kgo.ProducerLinger(0),
	}
	if !transactional {
		opts = append(opts, kgo.RecordDeliveryTimeout(c.deliveryTimeout()))
	}
	return opts, nil
}

// kgoLogger adapts slog to franz-go's two-method Logger. franz-go logs
// broker addresses and topic names, never record contents.
type kgoLogger struct{ l *slog.Logger }

func (k kgoLogger) Level() kgo.LogLevel { return kgo.LogLevelWarn }

func (k kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	var l slog.Level
	switch level {
	case kgo.LogLevelError:
		l = slog.LevelError
	case kgo.LogLevelWarn:
		l = slog.LevelWarn
	case kgo.LogLevelInfo:
		l = slog.LevelInfo
	default:
		l = slog.LevelDebug
	}
	k.l.Log(context.Background(), l, "kafka: "+msg, keyvals...)
}
