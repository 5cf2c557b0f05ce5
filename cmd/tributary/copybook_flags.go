package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/tributary-health/tributary/adapters/cdc/copybook"
)

// copybookFlags are the record layout flags `copybook decode` and
// `ingest copybook` share.
type copybookFlags struct {
	path, encoding, recordFormat, rdw, record, float, binary string
	length                                                   int
	variableOccurs, padded                                   bool
}

func (f *copybookFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.path, "copybook", "", "the copybook `file` (required)")
	fs.StringVar(&f.encoding, "encoding", "cp037", "character encoding of DISPLAY data: cp037, cp1047, cp1140 or ascii")
	fs.StringVar(&f.recordFormat, "record-format", "F", "record format: F (fixed length), V (RDW) or VB (BDW and RDW)")
	fs.StringVar(&f.rdw, "rdw", "standard", "RDW layout: standard (IBM: big-endian, counts itself) or little-endian (Cobrix's default)")
	fs.IntVar(&f.length, "record-length", 0, "length of fixed-length records (default: the copybook record's size)")
	fs.StringVar(&f.record, "record", "", "the level-01 record to decode (default: the first)")
	fs.BoolVar(&f.variableOccurs, "variable-occurs", false, "OCCURS DEPENDING ON tables take only their actual elements (later items move; fixed records are split by their counts)")
	fs.StringVar(&f.float, "float", "ibm", "COMP-1/COMP-2 format: ibm (hexadecimal) or ieee")
	fs.StringVar(&f.binary, "binary", "truncate", "BINARY values beyond their PICTURE: truncate (TRUNC(STD)) or full (TRUNC(BIN))")
	fs.BoolVar(&f.padded, "padded-numbers", false, "accept spaces and NULs around the digits of DISPLAY numbers")
}

// configs turns the flags into the decoder's and the reader's
// configuration; a bad value is a usage error naming its flag.
func (f *copybookFlags) configs() (copybook.Config, copybook.ReaderConfig, error) {
	var cfg copybook.Config
	var rc copybook.ReaderConfig
	var err error
	if cfg.Encoding, err = copybook.ParseEncoding(f.encoding); err != nil {
		return cfg, rc, usageError{err}
	}
	if rc.Format, err = copybook.ParseRecordFormat(f.recordFormat); err != nil {
		return cfg, rc, usageError{err}
	}
	var i int
	if i, err = chooseFlag("rdw", f.rdw, "standard", "little-endian"); err != nil {
		return cfg, rc, err
	}
	rc.RDW = copybook.RDW(i)
	if i, err = chooseFlag("float", f.float, "ibm", "ieee"); err != nil {
		return cfg, rc, err
	}
	cfg.Float = copybook.FloatFormat(i)
	if i, err = chooseFlag("binary", f.binary, "truncate", "full"); err != nil {
		return cfg, rc, err
	}
	cfg.Binary = copybook.BinaryMode(i)
	cfg.Record, cfg.VariableOccurs, cfg.PaddedNumbers = f.record, f.variableOccurs, f.padded
	return cfg, rc, nil
}

// chooseFlag returns the index of v among opts, case-insensitively, or a
// usage error listing them.
func chooseFlag(name, v string, opts ...string) (int, error) {
	for i, o := range opts {
		if strings.EqualFold(v, o) {
			return i, nil
		}
	}
	return 0, usageError{fmt.Errorf("--%s %q: want one of %s", name, v, strings.Join(opts, ", "))}
}
