// Command tributary runs the Tributary pipeline: HL7 v2 (and, as they land,
// X12 and CDC) into Kafka, normalized once to FHIR R4, materialized into
// PostgreSQL and served over a FHIR REST API.
//
// One binary, one subcommand per stage; `tributary run` runs them all in
// one process with an embedded Kafka broker. See `tributary help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

type command struct {
	name, synopsis, summary string
	run                     func(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error
}

var commands = []command{
	{"run", "run [flags]", "Run every stage in one process, with an embedded Kafka broker unless --brokers is given.", cmdRun},
	{"ingest", "ingest mllp|hl7v2|x12|cdc|copybook [flags]", "Run an intake adapter against a Kafka cluster (mllp: the HL7 v2 MLLP listener; hl7v2 FILE|DIR...: HL7 v2 files; x12 FILE... or --watch DIR, --http-addr: X12 files and uploads; cdc: Debezium topics; copybook DATA...: mainframe records).", cmdIngestAll},
	{"normalize", "normalize [flags]", "Run the normalizer: raw topics → FHIR R4 on fhir.v1, exactly once.", cmdNormalize},
	{"materialize", "materialize [flags]", "Run the materializer: fhir.v1 → PostgreSQL, exactly once.", cmdMaterialize},
	{"serve", "serve [flags]", "Serve the FHIR REST API from PostgreSQL.", cmdServe},
	{"convert", "convert [flags] FILE...", "Convert HL7 v2 files to a FHIR Bundle on stdout; no Kafka or database needed.", cmdConvert},
	{"send", "send [flags] FILE...", "Send HL7 v2 files over MLLP and print the acknowledgments (a test client).", cmdSend},
	{"copybook", "copybook decode --copybook FILE [flags] DATA...", "Decode mainframe records described by a COBOL copybook to JSON lines (exact numbers).", cmdCopybook},
	{"topics", "topics [flags]", "Create the topics of the Kafka contract on a cluster (run does this itself).", cmdTopics},
	{"replay", "replay --from TIME|OFFSET [--to TIME|OFFSET] [flags]", "Convert the raw topics again with this binary's mappings (after a mapping fix) onto fhir.v1 or a staging topic.", cmdReplay},
	{"store", "store checksum [flags]", "Print the store's resource counts per type and content checksum (compare a rebuilt store with the original).", cmdStore},
	{"dlq", "dlq list|show|retry [flags]", "Inspect dead letters (list: grouped by stage, code and location; show: one envelope's) and retry them after a fix.", cmdDLQ},
	{"identity", "identity review|show|link|unlink|distinct [flags]", "Work the identity review queue: list uncertain matches, link or unlink Patients, say two are different people.", cmdIdentity},
	{"version", "version", "Print the version.", func(_ context.Context, _ []string, stdout, _ io.Writer, _ func(string) string) error {
		fmt.Fprintln(stdout, "tributary", version)
		return nil
	}},
}

// Main runs the command line args and returns the process exit code:
// 0 success, 1 failure, 2 usage error.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr, getenv)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, new(usageError)):
			fmt.Fprintf(stderr, "tributary %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "tributary %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "tributary: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// usageError marks errors in how the command was called (exit code 2).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func usage(w io.Writer) {
	fmt.Fprint(w, `Tributary moves healthcare feeds through Kafka into FHIR R4.

Usage: tributary <command> [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Each command takes --help. Every flag can also be set with an environment
variable: --database-url is TRIBUTARY_DATABASE_URL.

Try it:  tributary run --demo
`)
}
