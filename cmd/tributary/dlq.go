package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tributary-health/tributary/pipeline"
	"github.com/tributary-health/tributary/stream"
)

// cmdDLQ is `tributary dlq list|show|retry`: dead-letter inspection and
// retry after a fix.
func cmdDLQ(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 {
		switch args[0] {
		case "list":
			return cmdDLQList(ctx, args[1:], stdout, stderr, getenv)
		case "show":
			return cmdDLQShow(ctx, args[1:], stdout, stderr, getenv)
		case "retry":
			return cmdDLQRetry(ctx, args[1:], stdout, stderr, getenv)
		case "-h", "--help", "help":
			fmt.Fprintln(stderr, "Usage: tributary dlq list|show|retry [flags]\n\n"+
				"  list   dead letters grouped by stage, code and location, with counts\n"+
				"  show   one dead letter's headers (ENVELOPE-ID or --offset PARTITION:OFFSET)\n"+
				"  retry  re-emit dead letters to the topic they came from, after a fix")
			return flag.ErrHelp
		}
	}
	return usageError{errors.New("want a subcommand: tributary dlq list|show|retry [flags]")}
}

// dlqFilterFlags registers the selection flags shared by list and retry.
type dlqFilterFlags struct {
	since                    string
	stages, codes, locations multiFlag
	envelopes                multiFlag
}

func (f *dlqFilterFlags) register(fs *flag.FlagSet, envelopes bool) {
	fs.StringVar(&f.since, "since", "", "only dead letters written at or after this time: RFC 3339 (2026-11-26T09:00:00Z), a date (2026-11-26), or a duration ago (24h)")
	fs.Var(&f.stages, "stage", "only this stage: ingest, normalize or materialize (repeatable, or comma-separated)")
	fs.Var(&f.codes, "code", "only this dlq-code, e.g. hl7v2.102 (repeatable, or comma-separated)")
	fs.Var(&f.locations, "location", "only this dlq-location, e.g. PID-7 (repeatable, or comma-separated)")
	if envelopes {
		fs.Var(&f.envelopes, "envelope", "only the dead letters of this envelope id (repeatable, or comma-separated)")
	}
}

func (f *dlqFilterFlags) filter(now time.Time) (pipeline.DeadLetterFilter, error) {
	out := pipeline.DeadLetterFilter{Stages: f.stages, Codes: f.codes, Locations: f.locations, Envelopes: f.envelopes}
	if f.since != "" {
		t, err := parseSince(f.since, now)
		if err != nil {
			return out, usageError{fmt.Errorf("--since: %w", err)}
		}
		out.Since = t
	}
	return out, nil
}

func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("want RFC 3339, YYYY-MM-DD or a duration, got %q", s)
}

// multiFlag is a repeatable flag whose values may also be comma-separated.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(s string) error {
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*m = append(*m, p)
		}
	}
	return nil
}

// dlqSetup parses flags and returns the stream config.
func dlqSetup(fs *flag.FlagSet, o *options, args []string, stderr io.Writer, getenv func(string) string) (stream.Config, error) {
	if err := parseFlags(fs, args, getenv); err != nil {
		return stream.Config{}, err
	}
	return o.kafkaConfig(stderr)
}

func readDeadLetters(ctx context.Context, cfg stream.Config) ([]pipeline.DeadLetter, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	dls, err := pipeline.ReadDeadLetters(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("kafka at %v: %w", cfg.Brokers, err)
	}
	return dls, nil
}

func cmdDLQList(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var (
		o      options
		f      dlqFilterFlags
		asJSON bool
	)
	fs := newFlagSet("dlq list", "dlq list [flags]", `Reads the whole dead-letter topic (dlq.v1, every partition) and prints
its dead letters grouped by stage, code and location: how many, how many
are not retried yet (pending), when the first and the last were written,
and the envelope id and reason of the latest. Payloads are never printed.`, stderr)
	o.logFlags(fs)
	o.kafkaFlags(fs, "127.0.0.1:9092")
	f.register(fs, false)
	fs.BoolVar(&asJSON, "json", false, "print the groups as a JSON array")
	cfg, err := dlqSetup(fs, &o, args, stderr, getenv)
	if err != nil {
		return err
	}
	filter, err := f.filter(time.Now())
	if err != nil {
		return err
	}
	dls, err := readDeadLetters(ctx, cfg)
	if err != nil {
		return err
	}
	var sel []pipeline.DeadLetter
	for _, d := range dls {
		if filter.Match(d) {
			sel = append(sel, d)
		}
	}
	groups := pipeline.GroupDeadLetters(sel)
	if asJSON {
		if groups == nil {
			groups = []pipeline.DeadLetterGroup{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(groups)
	}
	if len(groups) == 0 {
		fmt.Fprintf(stdout, "no dead letters on %s\n", cfg.Topics.DLQ())
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tCODE\tLOCATION\tCOUNT\tPENDING\tFIRST\tLAST\tEXAMPLE\tREASON")
	for _, g := range groups {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", g.Stage, g.Code, dash(g.Location), g.Count, g.Pending,
			g.First.UTC().Format(time.RFC3339), g.Last.UTC().Format(time.RFC3339), dash(g.Example), oneLine(g.Reason))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d dead letters in %d groups\n", len(sel), len(groups))
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func cmdDLQShow(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var (
		o       options
		offset  string
		payload bool
	)
	fs := newFlagSet("dlq show", "dlq show [flags] ENVELOPE-ID | --offset PARTITION:OFFSET", `Prints the dead letters of one envelope (or the one at --offset on
dlq.v1): where each is, its key and headers, and whether it was retried.
The original payload is printed only with --payload.`, stderr)
	o.logFlags(fs)
	o.kafkaFlags(fs, "127.0.0.1:9092")
	fs.StringVar(&offset, "offset", "", "the dead letter at PARTITION:OFFSET of dlq.v1, instead of an envelope id")
	fs.BoolVar(&payload, "payload", false, "also print the original payload, which may contain patient data (PHI)")
	// Flags may follow the envelope id.
	var id string
	rest := args
	for i, a := range args {
		if !strings.HasPrefix(a, "-") && (i == 0 || !dlqTakesValue(args[i-1])) {
			id, rest = a, append(append([]string(nil), args[:i]...), args[i+1:]...)
			break
		}
	}
	cfg, err := dlqSetup(fs, &o, rest, stderr, getenv)
	if err != nil {
		return err
	}
	var (
		part int64
		off  int64
	)
	switch {
	case (id == "") == (offset == ""):
		return usageError{errors.New("want an envelope id or --offset PARTITION:OFFSET, not both")}
	case offset != "":
		p, o, ok := strings.Cut(offset, ":")
		var perr, oerr error
		part, perr = strconv.ParseInt(p, 10, 32)
		off, oerr = strconv.ParseInt(o, 10, 64)
		if !ok || perr != nil || oerr != nil {
			return usageError{fmt.Errorf("--offset: want PARTITION:OFFSET, got %q", offset)}
		}
	}
	dls, err := readDeadLetters(ctx, cfg)
	if err != nil {
		return err
	}
	var found []pipeline.DeadLetter
	for _, d := range dls {
		if (id != "" && d.EnvelopeID == id) || (offset != "" && int64(d.Record.Partition) == part && d.Record.Offset == off) {
			found = append(found, d)
		}
	}
	if len(found) == 0 {
		if id != "" {
			return fmt.Errorf("no dead letter of envelope %s on %s", id, cfg.Topics.DLQ())
		}
		return fmt.Errorf("no dead letter at %s on %s", offset, cfg.Topics.DLQ())
	}
	if payload {
		fmt.Fprintln(stderr, "warning: printing original payloads, which may contain protected health information (PHI)")
	}
	for i, d := range found {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "dead letter %d:%d on %s, written %s\n", d.Record.Partition, d.Record.Offset,
			cfg.Topics.DLQ(), d.Record.Timestamp.UTC().Format(time.RFC3339Nano))
		fmt.Fprintf(stdout, "retried: %t\n", d.Retried)
		fmt.Fprintf(stdout, "key: %s\n", d.Record.Key)
		for _, h := range d.Record.Headers {
			fmt.Fprintf(stdout, "%s: %s\n", h.Key, oneLine(string(h.Value)))
		}
		fmt.Fprintf(stdout, "payload: %d bytes\n", len(d.Record.Value))
		if payload {
			fmt.Fprintln(stdout, "----")
			_, _ = stdout.Write(d.Record.Value)
			fmt.Fprintln(stdout, "\n----")
		}
	}
	return nil
}

// dlqTakesValue reports whether arg is a dlq show flag that takes its
// value as the next argument.
func dlqTakesValue(arg string) bool {
	name := strings.TrimLeft(arg, "-")
	if strings.Contains(name, "=") {
		return false
	}
	switch name {
	case "payload", "h", "help":
		return false
	}
	return true
}

func cmdDLQRetry(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var (
		o      options
		f      dlqFilterFlags
		dryRun bool
		again  bool
	)
	fs := newFlagSet("dlq retry", "dlq retry [flags]", `Re-emits the selected dead letters to the topic their original was read
from (raw topics for the normalize stage, fhir.v1 for materialize), with
the original key, value and headers minus the dlq-* headers, plus
attr-retry-of (the dead letter's offset@partition on dlq.v1) and
attr-retry-count. Run it after a fix (a mapping, a code list): the stage
processes them again, and what still fails is dead-lettered anew.

Each re-emitted record and a retry marker on dlq.v1 (header dlq-retried)
are written in one Kafka transaction; a dead letter with a marker is not
retried again unless --again. Without filters every pending dead letter is
retried.`, stderr)
	o.logFlags(fs)
	o.kafkaFlags(fs, "127.0.0.1:9092")
	f.register(fs, true)
	fs.BoolVar(&dryRun, "dry-run", false, "print what would be retried and write nothing")
	fs.BoolVar(&again, "again", false, "also retry dead letters that were retried before")
	cfg, err := dlqSetup(fs, &o, args, stderr, getenv)
	if err != nil {
		return err
	}
	filter, err := f.filter(time.Now())
	if err != nil {
		return err
	}
	dls, err := readDeadLetters(ctx, cfg)
	if err != nil {
		return err
	}
	var (
		sel     []pipeline.DeadLetter
		skipped int
		seen    = map[[2]string]bool{}
	)
	for _, d := range dls {
		if !filter.Match(d) {
			continue
		}
		if d.Retried && !again {
			skipped++
			continue
		}
		// A dead letter written twice (same original) is retried once.
		if k := [2]string{d.Topic, d.Offset}; !seen[k] {
			seen[k] = true
			sel = append(sel, d)
		}
	}
	if dryRun {
		for _, d := range sel {
			if _, err := pipeline.RetryRecord(d); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "would retry %s (dead letter %d:%d, %s %s %s) to %s\n", dash(d.EnvelopeID),
				d.Record.Partition, d.Record.Offset, d.Stage, d.Code, dash(d.Location), d.Topic)
		}
		fmt.Fprintf(stdout, "dry run: %d dead letters would be retried; %d retried before skipped\n", len(sel), skipped)
		return nil
	}
	done, err := pipeline.RetryDeadLetters(ctx, cfg, sel)
	for _, d := range done {
		fmt.Fprintf(stdout, "retried %s (dead letter %d:%d, %s %s %s) to %s\n", dash(d.EnvelopeID),
			d.Record.Partition, d.Record.Offset, d.Stage, d.Code, dash(d.Location), d.Topic)
	}
	fmt.Fprintf(stdout, "%d dead letters retried; %d retried before skipped\n", len(done), skipped)
	return err
}
