package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tributary-health/tributary/adapters"
	"github.com/tributary-health/tributary/adapters/cdc"
	"github.com/tributary-health/tributary/adapters/cdc/copybook"
	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/stream"
)

// cmdIngestAll is `tributary ingest`: the CDC adapters here, the others
// in cmdIngest.
func cmdIngestAll(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 {
		switch args[0] {
		case "cdc":
			return cmdIngestCDC(ctx, args[1:], stdout, stderr, getenv)
		case "copybook":
			return cmdIngestCopybook(ctx, args[1:], stdout, stderr, getenv)
		case "-h", "--help", "help":
			fmt.Fprint(stderr, `Usage: tributary ingest mllp|hl7v2|cdc|copybook [flags]

Adapters:
  mllp                HL7 v2 over MLLP (runs until stopped)
  hl7v2 FILE|DIR...   HL7 v2 files (exits when Kafka has them all)
  cdc                 Debezium change events from existing Kafka topics (runs until stopped)
  copybook DATA...    mainframe records laid out by a COBOL copybook (exits when Kafka has them all)

Each takes --help.
`)
			return flag.ErrHelp
		}
	}
	return cmdIngest(ctx, args, stdout, stderr, getenv)
}

// cmdIngestCDC is `tributary ingest cdc`: relays Debezium topics to
// raw.cdc.v1 until stopped.
func cmdIngestCDC(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var (
		o             options
		sourceBrokers listFlag
		topics        listFlag
		group         string
		source        string
		txTopic       string
		txMaxEvents   int
		txMaxAge      time.Duration
	)
	fs := newFlagSet("ingest cdc", "ingest cdc --topics T1,T2 [flags]", `Consumes existing CDC topics (Debezium's JSON format, with or without the
schema wrapper) on --source-brokers, as a member of consumer group --group,
and writes each record to raw.cdc.v1 unmodified, with its source topic,
partition and offset and its parsed log position in headers. A batch's
offsets are committed only after Kafka acknowledged every record of it, so
delivery is at least once; a record delivered twice carries the same
position, by which the pipeline ignores it. A record that does not parse is
relayed all the same (the normalizer dead-letters it) and logged with its
location. Runs until interrupted.

With Debezium's transaction metadata (--transaction-topic, or a topic of
--topics named <server>.transaction), the events of one source transaction
are held until its END record and all its events have come, then written
together in one Kafka transaction: a read_committed consumer sees all of
them or none. A transaction not complete within --transaction-max-age, or
when more than --transaction-max-events events are held, is written
incomplete, with a warning.`, stderr)
	o.logFlags(fs)
	o.kafkaFlags(fs, "127.0.0.1:9092")
	fs.Var(&sourceBrokers, "source-brokers", "seed brokers of the cluster holding the CDC topics, comma-separated host:port (default: --brokers)")
	fs.Var(&topics, "topics", "the CDC topics to relay, comma-separated: each table's topic, and the transaction metadata topic if the connector writes one")
	fs.StringVar(&group, "group", "", "consumer group on the source cluster; its committed offsets are where a restart resumes (default <topic-prefix>cdc-relay)")
	fs.StringVar(&source, "source", "cdc", "name of this intake in the envelopes' source header")
	fs.StringVar(&txTopic, "transaction-topic", "", "the connector's transaction metadata topic (default: the topic of --topics ending in .transaction, if any); its presence makes each source transaction one Kafka transaction")
	fs.IntVar(&txMaxEvents, "transaction-max-events", 10000, "most events held waiting for their transactions to complete; past it the oldest transaction is written incomplete")
	fs.DurationVar(&txMaxAge, "transaction-max-age", time.Minute, "longest a source transaction is held waiting to complete; then it is written incomplete")
	o.instanceFlag(fs)
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if len(topics) == 0 {
		return usageError{errors.New("--topics is required")}
	}
	if len(o.brokers) == 0 {
		return usageError{errors.New("--brokers is required")}
	}
	log, err := o.logger(stderr)
	if err != nil {
		return err
	}
	scfg, err := o.streamConfig(log)
	if err != nil {
		return err
	}
	if len(sourceBrokers) == 0 {
		sourceBrokers = o.brokers
	}
	if group == "" {
		group = scfg.Topics.Prefix + "cdc-relay"
	}
	if txTopic == "" {
		for _, t := range topics {
			if strings.HasSuffix(t, ".transaction") {
				txTopic = t
				break
			}
		}
	} else if !slices.Contains(topics, txTopic) {
		topics = append(topics, txTopic)
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = stream.EnsureTopics(tctx, scfg, stream.TopicSpec{Partitions: int32(o.partitions), ReplicationFactor: int16(o.replicationFactor)})
	cancel()
	if err != nil {
		return fmt.Errorf("kafka at %v: %w", []string(o.brokers), err)
	}
	src := stream.Config{Brokers: sourceBrokers, Topics: scfg.Topics, ClientID: "tributary-cdc-relay", Logger: log}
	rcfg := cdc.RelayConfig{
		Source: source,
		Logger: log,
		Report: func(e *cdc.RecordError) {
			// The error is located and holds no value from the record.
			log.LogAttrs(ctx, slog.LevelWarn, "cdc record did not parse; relayed for the dead-letter topic",
				slog.String("topic", e.Topic), slog.Int("partition", int(e.Partition)), slog.Int64("offset", e.Offset), slog.String("err", e.Err.Error()))
		},
	}
	var emit adapters.Emit
	if txTopic != "" {
		poller, err := stream.NewPoller(src, stream.PollerConfig{Group: group, Topics: topics})
		if err != nil {
			return err
		}
		defer poller.Close()
		// Unique per instance, stable across its restarts: a restarted
		// relay fences the transaction its predecessor left open.
		txp, err := stream.NewTxProducer(scfg, event.FamilyRaw, stream.TxProducerConfig{TransactionalID: group + "-" + o.instanceID})
		if err != nil {
			return err
		}
		defer txp.Close()
		rcfg.Transactions = &cdc.TransactionConfig{
			Source:        pollerCursor{poller},
			Emit:          func(ctx context.Context, envs []event.Envelope) error { return txp.EmitAll(ctx, envs...) },
			MaxHeldEvents: txMaxEvents,
			MaxAge:        txMaxAge,
		}
	} else {
		p, err := stream.NewProducer(scfg, event.FamilyRaw)
		if err != nil {
			return err
		}
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			p.Close(cctx)
			cancel()
		}()
		consumer, err := stream.NewConsumer(src, stream.ConsumerConfig{
			Group:  group,
			Topics: topics,
			// The group's own commits are the progress: the relay keeps no
			// store, and commits only what Kafka acknowledged downstream.
			Offsets: func(ctx context.Context, topic string) (map[int32]int64, error) {
				m, err := stream.CommittedOffsets(ctx, src, group, topic)
				for p, off := range m {
					if off < 0 {
						delete(m, p)
					}
				}
				return m, err
			},
		})
		if err != nil {
			return err
		}
		defer consumer.Close()
		rcfg.Consumer = streamBatches{consumer}
		emit = p.Emit
	}
	relay, err := cdc.NewRelay(rcfg)
	if err != nil {
		return err
	}
	log.Info("relaying CDC topics", "topics", strings.Join(topics, ","), "group", group, "to", scfg.Topics.Raw(event.FormatCDC), "transaction_topic", txTopic)
	err = relay.Run(ctx, emit)
	st := relay.Stats()
	fmt.Fprintf(stdout, "%d records relayed to %s (%d did not parse)\n", st.Relayed, scfg.Topics.Raw(event.FormatCDC), st.Invalid)
	if txTopic != "" {
		fmt.Fprintf(stdout, "%d source transactions written whole, %d released incomplete\n", st.Grouped, st.Incomplete)
	}
	return err
}

// streamBatches adapts the stream consumer to cdc.Batches.
type streamBatches struct{ c *stream.Consumer }

func (s streamBatches) Run(ctx context.Context, fn cdc.BatchFunc) error {
	return s.c.Run(ctx, func(ctx context.Context, recs []stream.Record) error {
		return fn(ctx, cdcRecords(recs))
	})
}

func cdcRecords(recs []stream.Record) []cdc.Record {
	out := make([]cdc.Record, len(recs))
	for i, r := range recs {
		out[i] = cdc.Record{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp}
	}
	return out
}

// pollerCursor adapts the stream poller to cdc.Cursor.
type pollerCursor struct{ p *stream.Poller }

func (c pollerCursor) Poll(ctx context.Context, wait time.Duration) ([]cdc.Record, error) {
	recs, err := c.p.Poll(ctx, wait)
	if errors.Is(err, stream.ErrRewound) {
		return nil, fmt.Errorf("%w: %w", cdc.ErrRewound, err)
	}
	return cdcRecords(recs), err
}

func (c pollerCursor) Commit(ctx context.Context, next map[cdc.TopicPartition]int64) error {
	m := map[string]map[int32]int64{}
	for tp, off := range next {
		if m[tp.Topic] == nil {
			m[tp.Topic] = map[int32]int64{}
		}
		m[tp.Topic][tp.Partition] = off
	}
	return c.p.Commit(ctx, m)
}

func (c pollerCursor) Rewind() { c.p.Rewind() }

// cmdIngestCopybook is `tributary ingest copybook DATA...`: mainframe
// records as change events on raw.cdc.v1, exiting once Kafka has them.
func cmdIngestCopybook(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var (
		o    options
		keys listFlag
		ops  mapFlag
	)
	fs := newFlagSet("ingest copybook", "ingest copybook --copybook FILE --table NAME --key ITEM[,ITEM] [flags] DATA...",
		`Reads mainframe records (a VSAM or IMS unload, or a change file) laid out by a
COBOL copybook and writes each to raw.cdc.v1 as a Debezium-shaped change
event: op r (a snapshot read) for an unload, or with --op-field the op its
value maps to in --ops (e.g. A=c,C=u,D=d). The event's source block names
the table, the data file and the record number, which is its position:
ingesting the same file again yields the same positions, which the pipeline
ignores as duplicates, so give each unload or change file a name of its own
(a date, a generation). The record's bytes are kept in the event, base64.

A record that does not decode is stored as an invalid event and reported on
stderr as FILE: record N (offset X): reason (never a value); a framing error
stops that file. The exit status is 1 if anything was reported.`, stderr)
	o.logFlags(fs)
	o.kafkaFlags(fs, "127.0.0.1:9092")
	var cbf copybookFlags
	cbf.register(fs)
	table := fs.String("table", "", "the table the records belong to, e.g. MEMBER (required): source.table and the partition key")
	fs.Var(&keys, "key", "the items forming the record key, comma-separated, e.g. MEMBER-ID (required); GROUP.ITEM qualifies")
	opField := fs.String("op-field", "", "the item saying what a change file's record does; without it every record is op r")
	fs.Var(&ops, "ops", "op field value to op (c, u, d or r), e.g. `A=c,C=u,D=d`")
	name := fs.String("name", cdc.DefaultServerName, "logical name of the mainframe source (source.name); positions compare within one name")
	source := fs.String("source", cdc.DefaultFileSource, "name of this intake in the envelopes' source header")
	// DATA follows the flags: parse them, then fill from the environment
	// what the command line left unset (as copybook decode does).
	if err := fs.Parse(args); err != nil {
		return err
	}
	data := fs.Args()
	if err := parseFlags(fs, nil, getenv); err != nil {
		return err
	}
	switch {
	case cbf.path == "":
		return usageError{errors.New("--copybook is required")}
	case *table == "":
		return usageError{errors.New("--table is required")}
	case len(keys) == 0:
		return usageError{errors.New("--key is required")}
	case len(data) == 0:
		return usageError{errors.New("no data files")}
	case len(o.brokers) == 0:
		return usageError{errors.New("--brokers is required")}
	}
	cfg, rc, err := cbf.configs()
	if err != nil {
		return err
	}
	opMap := map[string]cdc.Op{}
	for v, code := range ops {
		op, ok := cdc.ParseOp(strings.ToLower(code))
		if !ok {
			return usageError{fmt.Errorf("--ops %s=%s: want c, u, d or r", v, code)}
		}
		opMap[v] = op
	}

	src, err := os.ReadFile(cbf.path)
	if err != nil {
		return err
	}
	cb, err := copybook.Parse(src)
	if err != nil {
		return fmt.Errorf("%s: %w", cbf.path, err)
	}
	dec, err := copybook.NewDecoder(cb, cfg)
	if err != nil {
		return err
	}
	if rc.Format == copybook.Fixed {
		rc.Length = cbf.length
		if cfg.VariableOccurs {
			if rc.Length == 0 {
				rc.Length = dec.Size()
			}
			rc.LengthOf = dec.Length
		}
	}
	log, err := o.logger(stderr)
	if err != nil {
		return err
	}
	r, err := cdc.NewFileReader(cdc.FileConfig{
		Paths:    data,
		Decoder:  dec,
		Framing:  rc,
		Table:    *table,
		Key:      keys,
		OpField:  *opField,
		Ops:      opMap,
		Name:     *name,
		Encoding: cfg.Encoding.String(),
		Source:   *source,
		Report:   func(e *cdc.FileError) { fmt.Fprintln(stderr, e) },
		Logger:   log,
	})
	if err != nil {
		return usageError{err}
	}
	scfg, err := o.streamConfig(log)
	if err != nil {
		return err
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = stream.EnsureTopics(tctx, scfg, stream.TopicSpec{Partitions: int32(o.partitions), ReplicationFactor: int16(o.replicationFactor)})
	cancel()
	if err != nil {
		return fmt.Errorf("kafka at %v: %w", []string(o.brokers), err)
	}
	p, err := stream.NewProducer(scfg, event.FamilyRaw)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		p.Close(cctx) // every Emit was acknowledged already
		cancel()
	}()
	err = r.Run(ctx, p.Emit)
	st := r.Stats()
	fmt.Fprintf(stdout, "%d records from %d files stored on %s; %d reported\n",
		st.Emitted, st.Files, scfg.Topics.Raw(event.FormatCDC), st.Errors)
	return err
}
