package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tributary-health/tributary/adapters/hl7file"
	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir/fromv2"
	"github.com/tributary-health/tributary/pipeline"
	"github.com/tributary-health/tributary/stream"
)

// cmdIngestHL7 is `tributary ingest hl7v2 FILE|DIR...`: file intake onto
// the raw topic, exiting once Kafka has every message.
func cmdIngestHL7(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var (
		o       options
		source  string
		exts    listFlag
		maxSize int
		check   bool
	)
	fs := newFlagSet("ingest hl7v2", "ingest hl7v2 [flags] FILE|DIR...", `Reads HL7 v2 files and writes each message to the raw topic, exactly as
the MLLP listener would, then exits once Kafka has acknowledged them all.
A file may hold one message, several, or an FHS/BHS batch (split into one
message per record); segments may end in CR, LF or CRLF. Directories are
read recursively for the --extensions, skipping names that start with a
dot; a file named on the command line is read whatever its name.

A message that does not parse, or that the mapping rejects (where MLLP
would answer AR or AE), is still stored, and the normalizer dead-letters
it; it is reported on stderr as FILE: message N (offset X): LOCATION: text.
A file that cannot be split into messages is reported and not stored.
The exit status is 1 if anything was reported. Ingesting a file again
stores its messages again; the FHIR resources they map to converge.`, stderr)
	o.logFlags(fs)
	o.kafkaFlags(fs, "127.0.0.1:9092")
	o.mappingFlags(fs)
	_ = exts.Set(".hl7,.txt")
	fs.Var(&exts, "extensions", `endings of the file names read from directories, comma-separated, case-insensitive; "*" reads every file`)
	fs.StringVar(&source, "source", hl7file.DefaultSource, "name of this intake in the envelopes' source header (the path of each file is in attr-file)")
	fs.IntVar(&maxSize, "max-message-size", hl7file.DefaultMaxMessageSize, "largest message stored, in bytes; a larger one is reported")
	fs.BoolVar(&check, "check", true, "also report messages the mapping rejects, as the MLLP listener answers them AE")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{errors.New("no input files or directories")}
	}
	log, err := o.logger(stderr)
	if err != nil {
		return err
	}
	var checkFn func(*hl7v2.Message) error
	if check {
		mcfg, err := o.mapperConfig()
		if err != nil {
			return err
		}
		m, err := fromv2.New(mcfg)
		if err != nil {
			return err
		}
		checkFn = pipeline.HL7v2{Mapper: m}.Check
	}
	r, err := hl7file.New(hl7file.Config{
		Paths:          fs.Args(),
		Extensions:     exts,
		MaxMessageSize: maxSize,
		Source:         source,
		Check:          checkFn,
		Report:         func(e *hl7file.InputError) { fmt.Fprintln(stderr, e) },
		Logger:         log,
	})
	if err != nil {
		return usageError{err}
	}
	if len(o.brokers) == 0 {
		return usageError{errors.New("--brokers is required")}
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
		p.Close(cctx) // every Emit was acknowledged already; nothing is buffered
		cancel()
	}()
	err = r.Run(ctx, p.Emit)
	st := r.Stats()
	fmt.Fprintf(stdout, "%d messages from %d files stored on %s; %d reported\n",
		st.Emitted, st.Files, scfg.Topics.Raw(event.FormatHL7v2), st.Errors)
	return err
}
