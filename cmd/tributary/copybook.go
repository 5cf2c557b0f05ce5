package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

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
	cbPath := fs.String("copybook", "", "the copybook `file` (required)")
	enc := fs.String("encoding", "cp037", "character encoding of DISPLAY data: cp037, cp1047, cp1140 or ascii")
	recfm := fs.String("record-format", "F", "record format: F (fixed length), V (RDW) or VB (BDW and RDW)")
	rdw := fs.String("rdw", "standard", "RDW layout: standard (IBM: big-endian, counts itself) or little-endian (Cobrix's default)")
	length := fs.Int("record-length", 0, "length of fixed-length records (default: the copybook record's size)")
	record := fs.String("record", "", "the level-01 record to decode (default: the first)")
	varOccurs := fs.Bool("variable-occurs", false, "OCCURS DEPENDING ON tables take only their actual elements (later items move; fixed records are split by their counts)")
	segField := fs.String("segment-field", "", "the item holding the segment id of multi-segment records")
	var segments mapFlag
	fs.Var(&segments, "segments", "segment id to REDEFINES alternative, e.g. `C=COMPANY,P=PERSON`")
	floatFmt := fs.String("float", "ibm", "COMP-1/COMP-2 format: ibm (hexadecimal) or ieee")
	binary := fs.String("binary", "truncate", "BINARY values beyond their PICTURE: truncate (TRUNC(STD)) or full (TRUNC(BIN))")
	invalid := fs.String("invalid", "error", "an undecodable value: error (skip the record) or null")
	trim := fs.String("trim", "right", "text padding to trim: right, both or none")
	padded := fs.Bool("padded-numbers", false, "accept spaces and NULs around the digits of DISPLAY numbers")
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
	if *cbPath == "" {
		return usageError{errors.New("--copybook is required")}
	}
	if len(data) == 0 {
		return usageError{errors.New("no data files")}
	}
	var cfg copybook.Config
	var rc copybook.ReaderConfig
	var err error
	if cfg.Encoding, err = copybook.ParseEncoding(*enc); err != nil {
		return usageError{err}
	}
	if rc.Format, err = copybook.ParseRecordFormat(*recfm); err != nil {
		return usageError{err}
	}
	choose := func(name, v string, opts ...string) (int, error) {
		for i, o := range opts {
			if strings.EqualFold(v, o) {
				return i, nil
			}
		}
		return 0, usageError{fmt.Errorf("--%s %q: want one of %s", name, v, strings.Join(opts, ", "))}
	}
	var i int
	if i, err = choose("rdw", *rdw, "standard", "little-endian"); err != nil {
		return err
	}
	rc.RDW = copybook.RDW(i)
	if i, err = choose("float", *floatFmt, "ibm", "ieee"); err != nil {
		return err
	}
	cfg.Float = copybook.FloatFormat(i)
	if i, err = choose("binary", *binary, "truncate", "full"); err != nil {
		return err
	}
	cfg.Binary = copybook.BinaryMode(i)
	if i, err = choose("invalid", *invalid, "error", "null"); err != nil {
		return err
	}
	cfg.Invalid = copybook.InvalidPolicy(i)
	if i, err = choose("trim", *trim, "right", "both", "none"); err != nil {
		return err
	}
	cfg.Trim = copybook.Trim(i)
	cfg.Record, cfg.VariableOccurs, cfg.SegmentField, cfg.PaddedNumbers = *record, *varOccurs, *segField, *padded
	if len(segments) > 0 {
		cfg.Segments = segments
	}

	src, err := os.ReadFile(*cbPath)
	if err != nil {
		return err
	}
	cb, err := copybook.Parse(src)
	if err != nil {
		return fmt.Errorf("%s: %w", *cbPath, err)
	}
	dec, err := copybook.NewDecoder(cb, cfg)
	if err != nil {
		return err
	}
	if rc.Format == copybook.Fixed {
		rc.Length = *length
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
