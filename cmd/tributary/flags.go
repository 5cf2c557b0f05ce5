package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// envName is the environment variable that sets flag name:
// --database-url ↔ TRIBUTARY_DATABASE_URL.
func envName(name string) string {
	return "TRIBUTARY_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// parseFlags parses args into fs, then fills every flag not given on the
// command line from its TRIBUTARY_* variable. Flags win over the
// environment, the environment over defaults.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 && !acceptsArgs[fs.Name()] {
		return fmt.Errorf("%s: unexpected argument %q (see --help)", fs.Name(), fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", envName(f.Name), v, e)
			}
		}
	})
	return err
}

// acceptsArgs lists the commands that take positional arguments.
var acceptsArgs = map[string]bool{"convert": true, "send": true, "ingest hl7v2": true, "ingest x12": true,
	"identity show": true, "identity link": true, "identity unlink": true, "identity distinct": true}

// newFlagSet returns a flag set whose --help lists each flag with its
// environment variable.
func newFlagSet(name, synopsis, description string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: tributary %s\n\n%s\n\nFlags (each also settable as TRIBUTARY_<NAME>):\n", synopsis, description)
		fs.VisitAll(func(f *flag.Flag) {
			typ, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(out, "  --%s %s\n    \t%s", f.Name, typ, strings.ReplaceAll(usage, "\n", "\n    \t"))
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				fmt.Fprintf(out, " (default %s)", f.DefValue)
			}
			fmt.Fprintf(out, " [%s]\n", envName(f.Name))
		})
	}
	return fs
}

// listFlag is a comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = nil
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// mapFlag is a comma-separated list of key=value pairs.
type mapFlag map[string]string

func (m *mapFlag) String() string {
	var parts []string
	for k, v := range *m {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

func (m *mapFlag) Set(s string) error {
	out := map[string]string{}
	for p := range strings.SplitSeq(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		k, v, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("want key=value, got %q", p)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	*m = out
	return nil
}

// loadLocation accepts an IANA zone name ("America/Chicago"), "UTC" or "Local".
func loadLocation(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: %w", name, err)
	}
	return loc, nil
}
