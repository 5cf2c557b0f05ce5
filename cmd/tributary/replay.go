package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir/fromv2"
	"github.com/tributary-health/tributary/pipeline"
	"github.com/tributary-health/tributary/store"
	"github.com/tributary-health/tributary/stream"
)

// replayOptions are the flags of `tributary replay` beyond the
// normalizer's.
type replayOptions struct {
	from, to  string
	formats   listFlag
	fhirTopic string
	batch     int
}

func cmdReplay(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var (
		o options
		r replayOptions
	)
	fs := newFlagSet("replay", "replay --from TIME|OFFSET [--to TIME|OFFSET] [flags]", `Converts the raw topics again with the mappings of this binary (after a
mapping fix, say) and writes the resources, each tagged with its mapping
version in meta.tag, to fhir.v1 or to --fhir-topic, in Kafka transactions.
Ids derive from business identifiers, so replayed resources land on the ids
they had; the store makes a new version only where the content changed.
Takes the normalizer's flags (mapping, identity, --cdc-mapping).

TIME is RFC 3339 (2026-11-26T09:30:00Z): the first record at or after it.
OFFSET is an offset in every partition (0 is the start), or partition:offset
pairs (0:1200,3:95; as --from, other partitions are not read). --to is
exclusive and defaults to the end of each topic when its replay starts.`, stderr)
	o.logFlags(fs)
	o.kafkaFlags(fs, "127.0.0.1:9092")
	o.databaseFlags(fs)
	o.mappingFlags(fs)
	o.normalizeFlags(fs)
	o.identityFlags(fs)
	fs.StringVar(&r.from, "from", "", "where to start in each raw topic: TIME, OFFSET or partition:offset pairs (required; 0 replays everything)")
	fs.StringVar(&r.to, "to", "", "where to stop, exclusive: TIME, OFFSET or partition:offset pairs (default: the end when the replay starts)")
	fs.Var(&r.formats, "format", "raw topics to replay, comma-separated: hl7v2, x12, cdc (default hl7v2,x12, and cdc with --cdc-mapping)")
	fs.StringVar(&r.fhirTopic, "fhir-topic", "", "topic to write the resources to (default the fhir.v1 topic); another name makes a staging topic, created if missing, for a shadow replay")
	fs.IntVar(&r.batch, "batch", 500, "raw records per Kafka transaction")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if r.from == "" {
		return usageError{errors.New("--from is required (--from 0 replays every raw record)")}
	}
	from, err := stream.ParseBound(r.from)
	if err != nil {
		return usageError{fmt.Errorf("--from: %w", err)}
	}
	to, err := stream.ParseBound(r.to)
	if err != nil {
		return usageError{fmt.Errorf("--to: %w", err)}
	}
	if len(r.formats) == 0 {
		// Without a mapping the normalizer dead-letters CDC envelopes; a
		// replay would only write those dead letters again.
		r.formats = listFlag{"hl7v2", "x12"}
		if o.cdcMapping != "" {
			r.formats = append(r.formats, "cdc")
		}
	}
	var formats []event.Format
	for _, s := range r.formats {
		f, err := event.ParseFormat(s)
		if err != nil {
			return usageError{fmt.Errorf("--format: %w", err)}
		}
		if f == event.FormatCDC && o.cdcMapping == "" {
			return usageError{errors.New("--format cdc needs --cdc-mapping")}
		}
		formats = append(formats, f)
	}
	log, err := o.logger(stderr)
	if err != nil {
		return err
	}
	// The normalizer's own wiring, so a replay converts as it does.
	a := &app{opts: &o, log: log, reg: prometheus.NewRegistry(), failed: make(chan error, 1)}
	defer a.shutdown(context.Background())
	if a.scfg, err = o.streamConfig(log); err != nil {
		return err
	}
	if o.identity {
		if a.store, err = store.Open(ctx, store.Config{URL: o.databaseURL, Logger: log}); err != nil {
			return err
		}
	}
	mcfg, err := o.mapperConfig()
	if err != nil {
		return err
	}
	if a.mapper, err = fromv2.New(mcfg); err != nil {
		return err
	}
	ncfg, err := a.normalizerConfig(pipeline.HL7v2{Mapper: a.mapper})
	if err != nil {
		return err
	}
	out := a.scfg.Topics.FHIR()
	if r.fhirTopic != "" && r.fhirTopic != out {
		out = r.fhirTopic
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := stream.EnsureTopic(tctx, a.scfg, stream.TopicSpec{Partitions: int32(o.partitions), ReplicationFactor: int16(o.replicationFactor)}, out)
		cancel()
		if err != nil {
			return err
		}
	}
	start := time.Now()
	res, err := pipeline.Replay(ctx, pipeline.ReplayConfig{
		Stream:          a.scfg,
		Normalize:       ncfg,
		Formats:         formats,
		From:            from,
		To:              to,
		Topic:           out,
		TransactionalID: a.scfg.Topics.Prefix + "replay-" + o.instanceID,
		BatchSize:       r.batch,
		Logger:          log,
	})
	printReplay(stdout, res, out, time.Since(start))
	return err
}

// printReplay writes the summary of a replay: one line per raw topic.
func printReplay(w io.Writer, res pipeline.ReplayResult, out string, took time.Duration) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tOFFSETS\tREAD\tRESOURCES\tDEAD LETTERS\tRETRIES")
	var read, resources, dead int
	for _, t := range res.Topics {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", t.Range.Topic, t.Range.Len(), t.Read, t.Resources, t.DeadLetters, t.Retries)
		read, resources, dead = read+t.Read, resources+t.Resources, dead+t.DeadLetters
	}
	tw.Flush()
	fmt.Fprintf(w, "replayed %d raw records into %d records on %s, %d dead letters, in %s\n",
		read, resources, out, dead, took.Round(time.Millisecond))
}

func cmdStore(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "checksum" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(stderr, "Usage: tributary store checksum [flags]\n\nchecksum: the per-type counts and content checksum of the store's current resources.")
			return flag.ErrHelp
		}
		return usageError{errors.New("want a subcommand: tributary store checksum [flags]")}
	}
	var o options
	fs := newFlagSet("store checksum", "store checksum [flags]", `Prints how many current resources the store holds per type, and a checksum
of their contents (types, ids and content without meta.versionId and
meta.lastUpdated). Two stores with equal checksums hold the same resources,
whatever versions, times and batches made them: compare a store rebuilt
from fhir.v1, or from a replay, with the original.`, stderr)
	o.logFlags(fs)
	o.databaseFlags(fs)
	if err := parseFlags(fs, args[1:], getenv); err != nil {
		return err
	}
	log, err := o.logger(stderr)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, store.Config{URL: o.databaseURL, Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	sum, err := st.Checksum(ctx)
	if err != nil {
		return err
	}
	printChecksum(stdout, sum)
	return nil
}

// printChecksum writes the per-type counts, the total and the sum.
func printChecksum(w io.Writer, sum store.Checksum) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	total := 0
	for _, typ := range slices.Sorted(maps.Keys(sum.Types)) {
		fmt.Fprintf(tw, "%s\t%d\n", typ, sum.Types[typ])
		total += sum.Types[typ]
	}
	fmt.Fprintf(tw, "total\t%d\n", total)
	fmt.Fprintf(tw, "sum\t%s\n", sum.Sum)
	tw.Flush()
}
