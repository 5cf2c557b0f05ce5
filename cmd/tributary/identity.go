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

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/identity"
	"github.com/tributary-health/tributary/pipeline"
	"github.com/tributary-health/tributary/store"
	"github.com/tributary-health/tributary/stream"
)

const identityUsage = `Usage: tributary identity review|show|link|unlink|distinct [flags] ARGS

  review              the review queue: pairs of Patients the matcher was
                      unsure of, with the score and each field's part in it
  show PATIENT-ID     a Patient's person, why it belongs there, its members
  link A B            A and B are one person (closes their review items)
  unlink A            A leaves its person and is never linked back to its
                      members automatically
  distinct A B        A and B are different people (closes their review
                      items; the matcher will not link them)

link, unlink and distinct publish the changed Person resources on fhir.v1,
so the store and every consumer see the decision.`

// cmdIdentity is `tributary identity`: the review queue and manual
// decisions of the master patient index.
func cmdIdentity(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return usageError{errors.New("want a subcommand: tributary identity review|show|link|unlink|distinct")}
	}
	switch args[0] {
	case "review":
		return cmdIdentityReview(ctx, args[1:], stdout, stderr, getenv)
	case "show":
		return cmdIdentityShow(ctx, args[1:], stdout, stderr, getenv)
	case "link", "unlink", "distinct":
		return cmdIdentityDecide(ctx, args[0], args[1:], stdout, stderr, getenv)
	case "-h", "--help", "help":
		fmt.Fprintln(stderr, identityUsage)
		return flag.ErrHelp
	}
	return usageError{fmt.Errorf("unknown subcommand %q: tributary identity review|show|link|unlink|distinct", args[0])}
}

// openIdentityStore parses fs and opens the store holding the index.
func openIdentityStore(ctx context.Context, fs *flag.FlagSet, o *options, args []string, stderr io.Writer, getenv func(string) string) (*store.Store, error) {
	if err := parseFlags(fs, args, getenv); err != nil {
		return nil, err
	}
	log, err := o.logger(stderr)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, store.Config{URL: o.databaseURL, Logger: log})
}

func cmdIdentityReview(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var o options
	fs := newFlagSet("identity review", "identity review [flags]", `Lists review items: pairs of Patients whose match score fell between
--identity-review and --identity-auto-link. Settle each with
tributary identity link A B or tributary identity distinct A B.`, stderr)
	o.logFlags(fs)
	o.databaseFlags(fs)
	status := fs.String("status", "open", "which items: open, linked, distinct or all")
	asJSON := fs.Bool("json", false, "print JSON lines instead of a table")
	st, err := openIdentityStore(ctx, fs, &o, args, stderr, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	want := *status
	switch want {
	case "all":
		want = ""
	case "open", "linked", "distinct":
	default:
		return usageError{fmt.Errorf("--status %q: want open, linked, distinct or all", *status)}
	}
	items, err := st.Reviews(ctx, want)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, it := range items {
			if err := enc.Encode(it); err != nil {
				return err
			}
		}
		return nil
	}
	if len(items) == 0 {
		fmt.Fprintf(stdout, "no %s review items\n", strings.TrimSpace(want+" "))
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tCREATED\tSCORE\tPATIENT\tCANDIDATE\tFIELDS")
	for _, it := range items {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.1f\t%s\t%s\t%s\n", it.ID, it.Status, it.Created.UTC().Format(time.RFC3339),
			it.Score, it.PatientID, it.Candidate, fieldSummary(it.Fields))
	}
	return tw.Flush()
}

// fieldSummary says how each field compared, without the values: a
// reviewer opens the two Patients in the API to see those.
func fieldSummary(fs []identity.FieldScore) string {
	parts := make([]string, 0, len(fs))
	for _, f := range fs {
		parts = append(parts, fmt.Sprintf("%s=%s(%+.1f)", f.Field, f.Level, f.Weight))
	}
	return strings.Join(parts, " ")
}

func cmdIdentityShow(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var o options
	fs := newFlagSet("identity show", "identity show [flags] PATIENT-ID", `Prints the person a Patient belongs to, how it came to belong there,
and the person's other Patients.`, stderr)
	o.logFlags(fs)
	o.databaseFlags(fs)
	st, err := openIdentityStore(ctx, fs, &o, args, stderr, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	if fs.NArg() != 1 || !fhir.ValidID(fs.Arg(0)) {
		return usageError{errors.New("want one Patient id: tributary identity show PATIENT-ID")}
	}
	e, ok, err := st.IdentityEntry(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("patient %s is not in the identity index", fs.Arg(0))
	}
	var members []identity.Entry
	err = st.Identity(ctx, func(tx identity.Tx) error {
		var err error
		members, err = tx.Members(ctx, e.PersonID)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Patient %s is in Person %s\n", e.PatientID, e.PersonID)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PATIENT\tMETHOD\tSCORE\tUPDATED")
	for _, m := range members {
		score := ""
		if m.Method == identity.MethodProbabilistic {
			score = strconv.FormatFloat(m.Score, 'f', 1, 64)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.PatientID, m.Method, score, m.Updated.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

func cmdIdentityDecide(ctx context.Context, verb string, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var o options
	synopsis, want := "identity "+verb+" [flags] PATIENT-A PATIENT-B", 2
	if verb == "unlink" {
		synopsis, want = "identity unlink [flags] PATIENT-ID", 1
	}
	fs := newFlagSet("identity "+verb, synopsis, `Records a reviewer's decision in the identity index and publishes the
Person resources it changed on fhir.v1.`, stderr)
	o.logFlags(fs)
	o.kafkaFlags(fs, "127.0.0.1:9092")
	o.databaseFlags(fs)
	o.identityFlags(fs)
	st, err := openIdentityStore(ctx, fs, &o, args, stderr, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	ids := fs.Args()
	if len(ids) != want || !allValidIDs(ids) {
		return usageError{fmt.Errorf("want %d Patient id(s): tributary %s", want, synopsis)}
	}
	scfg, err := o.kafkaConfig(stderr) // the decision is published on fhir.v1
	if err != nil {
		return err
	}
	prod, err := stream.NewProducer(scfg, event.FamilyFHIR)
	if err != nil {
		return err
	}
	defer prod.Close(context.Background())
	// Check Kafka before changing the index: a decision the store never
	// hears of would leave the index and the store disagreeing.
	if err := prod.Ping(ctx); err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	for _, id := range ids {
		if _, ok, err := st.IdentityEntry(ctx, id); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("patient %s is not in the identity index", id)
		}
	}
	m := identity.NewMatcher(o.identityConfig)
	var out identity.Outcome
	err = st.Identity(ctx, func(tx identity.Tx) error {
		var err error
		switch verb {
		case "link":
			out, err = m.Link(ctx, tx, ids[0], ids[1])
		case "unlink":
			out, err = m.Unlink(ctx, tx, ids[0])
		case "distinct":
			out, err = m.Distinguish(ctx, tx, ids[0], ids[1])
		}
		return err
	})
	if err != nil {
		return err
	}
	recs, err := pipeline.PersonRecords(scfg, out, "identity-"+verb+"-"+event.NewID(time.Now()))
	if err != nil {
		return err
	}
	if err := prod.Produce(ctx, recs...); err != nil {
		// The index changed; the next resolution of any of its Patients
		// publishes their Person again, and so does repeating this command.
		return fmt.Errorf("the index recorded the decision, but publishing it failed (run the command again): %w", err)
	}
	for _, p := range out.Persons {
		if p.Deleted {
			fmt.Fprintf(stdout, "Person %s: merged away\n", p.ID)
			continue
		}
		ms := make([]string, len(p.Members))
		for i, m := range p.Members {
			ms[i] = m.PatientID
		}
		fmt.Fprintf(stdout, "Person %s: %s\n", p.ID, strings.Join(ms, " "))
	}
	return nil
}

func allValidIDs(ids []string) bool {
	for _, id := range ids {
		if !fhir.ValidID(id) {
			return false
		}
	}
	return true
}
