package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/tributary-health/tributary/adapters/cdc/copybook"
)

// cmdCopybook runs the copybook subcommands: decode.
func cmdCopybook(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, `Usage: tributary copybook decode [flags] DATA...

Subcommands:
  decode   Decode mainframe records described by a COBOL copybook to JSON lines.
`)
		if len(args) == 0 {
			return usageError{errors.New("no subcommand")}
		}
		return flag.ErrHelp
	}
	if args[0] != "decode" {
		return usageError{fmt.Errorf("unknown subcommand %q (decode)", args[0])}
	}
	return cmdCopybookDecode(ctx, args[1:], stdout, stderr, getenv)
}

func cmdCopybookDecode(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlagSet("copybook decode", "copybook decode --copybook FILE [flags] DATA...",
		`Decodes the records of each DATA file, laid out by a COBOL copybook, and
prints one JSON object per record on stdout. Numbers are exact: decimals are
JSON numbers written from their exact decimal digits (read them with a
decimal type, not float64); COMP-1/COMP-2 are floats.

A record that does not decode is reported on stderr as
FILE: record N offset M field F: reason (never the value) and skipped; the
exit status is then 1. A framing error (a bad RDW or BDW, a truncated
record) stops that file.`, stderr)
	var cbf copybookFlags
	cbf.register(fs)
	segField := fs.String("segment-field", "", "the item holding the segment id of multi-segment records")
	var segments mapFlag
	fs.Var(&segments, "segments", "segment id to REDEFINES alternative, e.g. `C=COMPANY,P=PERSON`")
	invalid := fs.String("invalid", "error", "an undecodable value: error (skip the record) or null")
	trim := fs.String("trim", "right", "text padding to trim: right, both or none")
	// The flag set takes positional DATA arguments: parse them first,
	// then let parseFlags fill what the command line left unset from
	// the environment.
	if err := fs.Parse(args); err != nil {
		return err
	}
	data := fs.Args()
	if err := parseFlags(fs, nil, getenv); err != nil {
		return err
	}
	if cbf.path == "" {
		return usageError{errors.New("--copybook is required")}
	}
	if len(data) == 0 {
		return usageError{errors.New("no data files")}
	}
	cfg, rc, err := cbf.configs()
	if err != nil {
		return err
	}
	var i int
	if i, err = chooseFlag("invalid", *invalid, "error", "null"); err != nil {
		return err
	}
	cfg.Invalid = copybook.InvalidPolicy(i)
	if i, err = chooseFlag("trim", *trim, "right", "both", "none"); err != nil {
		return err
	}
	cfg.Trim = copybook.Trim(i)
	cfg.SegmentField = *segField
	if len(segments) > 0 {
		cfg.Segments = segments
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
		if rc.Length == 0 {
			rc.Length = dec.Size()
		}
		if cfg.VariableOccurs {
			rc.LengthOf = dec.Length
		}
	}

	w := bufio.NewWriter(stdout)
	failed := false
	for _, path := range data {
		ok, err := decodeFile(ctx, dec, rc, path, w, stderr)
		if err != nil {
			w.Flush()
			return err
		}
		failed = failed || !ok
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if failed {
		return errors.New("some records did not decode")
	}
	return nil
}

// decodeFile writes the JSON lines of one data file. It reports
// undecodable records and framing errors on stderr (ok is then false)
// and returns an error only for I/O failures.
func decodeFile(ctx context.Context, dec *copybook.Decoder, rc copybook.ReaderConfig, path string, w *bufio.Writer, stderr io.Writer) (ok bool, _ error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	r, err := copybook.NewReader(f, rc)
	if err != nil {
		return false, err
	}
	ok = true
	var out []byte
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		rec, err := r.Next()
		if err == io.EOF {
			return ok, nil
		}
		var de *copybook.DecodeError
		if errors.As(err, &de) {
			fmt.Fprintf(stderr, "%s: %v\n", path, err)
			return false, nil
		}
		if err != nil {
			return false, err
		}
		out, err = dec.AppendJSON(out[:0], rec)
		if errors.As(err, &de) {
			de.Record = r.Record()
			fmt.Fprintf(stderr, "%s: %v\n", path, err)
			ok = false
			continue
		}
		if err != nil {
			return false, err
		}
		out = append(out, '\n')
		if _, err := w.Write(out); err != nil {
			return false, err
		}
	}
}
