package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/tributary-health/tributary/stream"
)

// serveStages parses flags for a long-running command, starts its stages,
// waits for a signal or a failing stage, and shuts down.
func serveStages(ctx context.Context, fs *flag.FlagSet, o *options, st stages, args []string, stderr io.Writer, getenv func(string) string, after func(context.Context, *app) error) error {
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	log, err := o.logger(stderr)
	if err != nil {
		return err
	}
	a, err := start(ctx, o, st, log)
	if err != nil {
		return err
	}
	if after != nil {
		if err := after(ctx, a); err != nil {
			a.shutdown(context.Background())
			return err
		}
	}
	err = a.wait(ctx)
	log.Info("shutting down")
	a.shutdown(context.Background())
	return err
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var o options
	fs := runFlags(&o, stderr)
	st := stages{embedded: true, ingest: true, normalize: true, materialize: true, serve: true}
	// The demo runs after start, by which time the flags are parsed.
	return serveStages(ctx, fs, &o, st, args, stderr, getenv, func(ctx context.Context, a *app) error {
		if !o.demo {
			return nil
		}
		return runDemo(ctx, a, stdout)
	})
}

// runFlags registers the flags of `tributary run` into o.
func runFlags(o *options, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("run", "run [flags]", `Runs every stage in one process: the MLLP listener, the normalizer, the
materializer and the FHIR API, with POST /x12 for X12 uploads beside it.
Without --brokers it starts an embedded Kafka broker on --broker-addr whose
data lives under --data-dir, so a restart keeps everything and any Kafka
client can connect to it. With --demo it also
sends a few synthetic HL7 v2 messages through MLLP and prints what to try.`, stderr)
	o.logFlags(fs)
	o.kafkaFlags(fs, "")
	o.embeddedFlags(fs)
	o.databaseFlags(fs)
	o.mappingFlags(fs)
	o.mllpFlags(fs)
	o.normalizeFlags(fs)
	o.identityFlags(fs)
	o.materializeFlags(fs)
	o.apiFlags(fs)
	o.x12Flags(fs)
	fs.BoolVar(&o.demo, "demo", false, "send synthetic sample messages once running, and print URLs and curl commands to try")
	return fs
}

func cmdIngest(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 && args[0] == "hl7v2" {
		return cmdIngestHL7(ctx, args[1:], stdout, stderr, getenv)
	}
	if len(args) > 0 && args[0] == "x12" {
		return cmdIngestX12(ctx, args[1:], stdout, stderr, getenv)
	}
	if len(args) == 0 || args[0] != "mllp" {
		// cmdIngestAll answers -h with the list of adapters.
		return usageError{errors.New("want an adapter: tributary ingest mllp|hl7v2|x12|cdc|copybook [flags] (see tributary ingest --help)")}
	}
	var o options
	fs := newFlagSet("ingest mllp", "ingest mllp [flags]", `Runs the HL7 v2 MLLP listener. Each message is written to the raw topic
and acknowledged (AA) only once Kafka has it; a message that cannot be parsed
or mapped is still kept and answered AE/AR with an ERR segment. With
--forward-addr every stored message is also relayed to a legacy interface
engine: in tee mode asynchronously, in passthrough mode before answering,
with the legacy engine's ACK.`, stderr)
	o.logFlags(fs)
	o.kafkaFlags(fs, "127.0.0.1:9092")
	o.mappingFlags(fs)
	o.mllpFlags(fs)
	o.adminFlags(fs)
	return serveStages(ctx, fs, &o, stages{ingest: true}, args[1:], stderr, getenv, nil)
}

func cmdNormalize(ctx context.Context, args []string, _, stderr io.Writer, getenv func(string) string) error {
	var o options
	fs := newFlagSet("normalize", "normalize [flags]", `Runs a normalizer: consumes the raw topics and produces FHIR R4 resources
to fhir.v1 inside Kafka transactions, so each raw message yields its
resources exactly once. What cannot be converted goes to dlq.v1. Run several
with distinct --transactional-id values to scale out.`, stderr)
	o.logFlags(fs)
	o.kafkaFlags(fs, "127.0.0.1:9092")
	o.databaseFlags(fs)
	o.mappingFlags(fs)
	o.normalizeFlags(fs)
	o.identityFlags(fs)
	o.adminFlags(fs)
	return serveStages(ctx, fs, &o, stages{normalize: true}, args, stderr, getenv, nil)
}

func cmdMaterialize(ctx context.Context, args []string, _, stderr io.Writer, getenv func(string) string) error {
	var o options
	fs := newFlagSet("materialize", "materialize [flags]", `Runs a materializer: consumes fhir.v1 and writes PostgreSQL, storing its
consumer offsets in the same database transaction (an exactly-once sink).`, stderr)
	o.logFlags(fs)
	o.kafkaFlags(fs, "127.0.0.1:9092")
	o.databaseFlags(fs)
	o.materializeFlags(fs)
	o.adminFlags(fs)
	return serveStages(ctx, fs, &o, stages{materialize: true}, args, stderr, getenv, nil)
}

func cmdServe(ctx context.Context, args []string, _, stderr io.Writer, getenv func(string) string) error {
	var o options
	fs := newFlagSet("serve", "serve [flags]", `Serves the FHIR R4 REST API (/fhir), /healthz, /readyz and /metrics from
PostgreSQL.`, stderr)
	o.logFlags(fs)
	o.databaseFlags(fs)
	o.apiFlags(fs)
	return serveStages(ctx, fs, &o, stages{serve: true}, args, stderr, getenv, nil)
}

func cmdTopics(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var o options
	fs := newFlagSet("topics", "topics [flags]", "Creates the topics of the Kafka contract that do not exist yet, and lists them.", stderr)
	o.logFlags(fs)
	o.kafkaFlags(fs, "127.0.0.1:9092")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	log, err := o.logger(stderr)
	if err != nil {
		return err
	}
	cfg, err := o.streamConfig(log)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := stream.EnsureTopics(ctx, cfg, stream.TopicSpec{Partitions: int32(o.partitions), ReplicationFactor: int16(o.replicationFactor)}); err != nil {
		return err
	}
	for _, t := range stream.ContractTopics(cfg.Topics) {
		fmt.Fprintln(stdout, t)
	}
	return nil
}
