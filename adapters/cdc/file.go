package cdc

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-health/tributary/adapters"
	"github.com/tributary-health/tributary/adapters/cdc/copybook"
	"github.com/tributary-health/tributary/event"
)

// ConnectorCopybook is the source.connector of the change events that
// [FileReader] makes from copybook-defined records.
const ConnectorCopybook = "copybook"

// Defaults of [FileConfig].
const (
	DefaultFileSource = "copybook"
	DefaultServerName = "mainframe"
)

// ErrInput is wrapped by the error [FileReader.Run] returns when some
// input was reported bad (each as a [*FileError]) but everything else
// was emitted.
var ErrInput = errors.New("cdc: bad input")

// FileConfig configures a [FileReader]. The zero value of each optional
// field means its documented default.
type FileConfig struct {
	// Paths are the data files, read in order. Required.
	Paths []string
	// Decoder decodes one record; it fixes the copybook, the record, the
	// encoding and the decoding rules. Required.
	Decoder *copybook.Decoder
	// Framing splits a file into records. For Fixed records a zero
	// Length means the Decoder's Size.
	Framing copybook.ReaderConfig
	// Table names the data collection, e.g. "MEMBER": source.table of
	// every event and the first part of the partition key. Required.
	Table string
	// Key names the items that form the record key, e.g. "MEMBER-ID"
	// (matched as the copybook decoder matches names: case-insensitive,
	// '_' for '-'; "GROUP.ITEM" qualifies). Required; none may be in a
	// table (OCCURS).
	Key []string
	// OpField, when set, names the item that says what a change file's
	// record does, and Ops maps its values (trimmed text, or a number's
	// exact decimal) to operations: e.g. A→c, C→u, D→d. A value not in
	// Ops makes the record invalid. When OpField is empty every record
	// is a snapshot read (op r) of an unload.
	OpField string
	Ops     map[string]Op
	// Name is the logical server name (source.name); default
	// [DefaultServerName]. Positions compare only within one name.
	Name string
	// Encoding is written to source.encoding (e.g. "cp037"), for whoever
	// reads the raw record; optional.
	Encoding string
	// Source names the reader in envelopes; default [DefaultFileSource].
	Source string
	// Report receives each problem with the input, in order; nil
	// discards them (Run still counts them).
	Report func(*FileError)
	// Logger receives progress, never record content; nil discards.
	Logger *slog.Logger
	// Now returns the time of receipt; default time.Now.
	Now func() time.Time
}

// A FileError is a problem with one record or a whole file. Its text
// names the file, the record and where in it, never a value.
type FileError struct {
	File   string
	Record int   // from 1; 0 for the file as a whole
	Offset int64 // byte offset of the record (or of a framing error) in the file
	Err    error // a *copybook.DecodeError, an I/O error, or an unknown op
}

// Error returns "FILE: record N (offset X): text", or "FILE: text".
func (e *FileError) Error() string {
	if e.Record > 0 {
		return fmt.Sprintf("%s: record %d (offset %d): %v", e.File, e.Record, e.Offset, e.Err)
	}
	var perr *fs.PathError
	if errors.As(e.Err, &perr) {
		return e.File + ": " + perr.Op + ": " + perr.Err.Error() // the path once
	}
	return e.File + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *FileError) Unwrap() error { return e.Err }

// ErrUnknownOp is the Err of a [*FileError] for a record whose op field
// holds a value that FileConfig.Ops does not map.
var ErrUnknownOp = errors.New("cdc: op field value not in the op map")

// FileStats counts what a [FileReader] did.
type FileStats struct {
	Files   int // files read
	Records int // records found
	Emitted int // envelopes Kafka acknowledged (invalid records too)
	Errors  int // problems reported
}

// A FileReader turns copybook-defined mainframe records (a VSAM or IMS
// unload, or a change file) into Debezium-shaped change events on
// raw.cdc.v1, one per record. It implements [adapters.Source]; run it
// once.
type FileReader struct {
	cfg     FileConfig
	log     *slog.Logger
	keys    []field
	opField *field
	stats   FileStats
}

var _ adapters.Source = (*FileReader)(nil)

// field is a configured item: its name and the member names from the
// record down to it in the decoded value.
type field struct {
	name string
	path []string
}

// NewFileReader validates cfg and returns a FileReader.
func NewFileReader(cfg FileConfig) (*FileReader, error) {
	if len(cfg.Paths) == 0 {
		return nil, errors.New("cdc: file config: no paths")
	}
	if cfg.Decoder == nil {
		return nil, errors.New("cdc: file config: no decoder")
	}
	if strings.TrimSpace(cfg.Table) == "" {
		return nil, errors.New("cdc: file config: no table")
	}
	if len(cfg.Key) == 0 {
		return nil, errors.New("cdc: file config: no key items")
	}
	if cfg.Framing.Format == copybook.Fixed && cfg.Framing.Length == 0 {
		cfg.Framing.Length = cfg.Decoder.Size()
	}
	if cfg.Name == "" {
		cfg.Name = DefaultServerName
	}
	if cfg.Source == "" {
		cfg.Source = DefaultFileSource
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &FileReader{cfg: cfg, log: cfg.Logger.With(slog.String("source", cfg.Source))}
	rec := cfg.Decoder.Record()
	for _, k := range cfg.Key {
		f, err := findField(rec, k)
		if err != nil {
			return nil, fmt.Errorf("cdc: file config: key %w", err)
		}
		r.keys = append(r.keys, f)
	}
	if cfg.OpField != "" {
		f, err := findField(rec, cfg.OpField)
		if err != nil {
			return nil, fmt.Errorf("cdc: file config: op field %w", err)
		}
		if len(cfg.Ops) == 0 {
			return nil, errors.New("cdc: file config: an op field needs an op map")
		}
		for v, op := range cfg.Ops {
			if _, ok := ParseOp(string(op)); !ok || op == OpMessage || op == OpTruncate {
				return nil, fmt.Errorf("cdc: file config: op map value for %q: want c, u, d or r", v)
			}
		}
		r.opField = &f
	}
	return r, nil
}

// findField finds the item called name (or "A.B": an item B under a
// group A) in rec, as the first match in copybook order.
func findField(rec *copybook.Item, name string) (field, error) {
	segs := strings.Split(strings.ToUpper(strings.TrimSpace(name)), ".")
	match := func(item, want string) bool {
		return item == want || item == strings.ReplaceAll(want, "_", "-")
	}
	var found *copybook.Item
	var walk func(it *copybook.Item)
	walk = func(it *copybook.Item) {
		if found != nil {
			return
		}
		if it != rec && match(it.Name, segs[len(segs)-1]) && !it.IsFiller() {
			// The qualifiers must name ancestors, innermost first.
			q := len(segs) - 2
			for a := it.Parent; a != nil && q >= 0; a = a.Parent {
				if match(a.Name, segs[q]) {
					q--
				}
			}
			if q < 0 {
				found = it
				return
			}
		}
		for _, c := range it.Children {
			walk(c)
		}
	}
	walk(rec)
	if found == nil {
		return field{}, fmt.Errorf("%q: no such item in record %s", name, rec.Name)
	}
	var p []string
	for a := found; a != nil && a != rec; a = a.Parent {
		if a.Occurs > 0 {
			return field{}, fmt.Errorf("%q: in a table (OCCURS); a key or op field must occur once", name)
		}
		p = append([]string{a.Name}, p...)
	}
	return field{name: found.Name, path: p}, nil
}

// lookup returns the value of f in a decoded record; a KindNull value
// when it is absent (an unselected REDEFINES, a short record).
func (f field) lookup(v copybook.Value) copybook.Value {
	for _, n := range f.path {
		var ok bool
		if v, ok = v.Get(n); !ok {
			return copybook.Value{}
		}
	}
	return v
}

// Stats returns the counts so far; call it after Run returned.
func (r *FileReader) Stats() FileStats { return r.stats }

// A pending record waits for the next one: the last record of an
// unload is marked snapshot "last", which is only known at the end.
type pending struct {
	file      string // as given
	base      string // the file's base name: the position's file part
	record    int
	offset    int64
	tsMs      int64 // the file's modification time
	op        Op
	row, key  []byte // JSON
	raw       []byte
	decodeErr error
}

// Run reads every file and emits one envelope per record, one at a time
// and in order, each only after the previous one was acknowledged, so
// Run returns nil only when Kafka has every record. Bad records are
// emitted as invalid events and reported; Run then returns an error
// wrapping [ErrInput] at the end. An emit error stops Run at once.
func (r *FileReader) Run(ctx context.Context, emit adapters.Emit) error {
	if emit == nil {
		return errors.New("cdc: file reader: nil emit")
	}
	var prev *pending
	flush := func(last bool) error {
		if prev == nil {
			return nil
		}
		p := prev
		prev = nil
		return r.emit(ctx, emit, p, last)
	}
	for _, path := range r.cfg.Paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.file(ctx, path, func(p *pending) error {
			if err := flush(false); err != nil {
				return err
			}
			prev = p
			return nil
		}); err != nil {
			return err
		}
	}
	if err := flush(true); err != nil {
		return err
	}
	r.log.LogAttrs(ctx, slog.LevelInfo, "copybook intake done", slog.Int("files", r.stats.Files),
		slog.Int("records", r.stats.Records), slog.Int("emitted", r.stats.Emitted), slog.Int("errors", r.stats.Errors))
	if r.stats.Errors > 0 {
		return fmt.Errorf("%w: %d reported, %d files read", ErrInput, r.stats.Errors, r.stats.Files)
	}
	return nil
}

func (r *FileReader) report(e *FileError) {
	r.stats.Errors++
	if r.cfg.Report != nil {
		r.cfg.Report(e)
	}
}

// file splits one file into records and hands each to next.
func (r *FileReader) file(ctx context.Context, path string, next func(*pending) error) error {
	f, err := os.Open(path)
	if err != nil {
		r.report(&FileError{File: path, Err: err})
		return nil
	}
	defer f.Close()
	var tsMs int64
	if info, err := f.Stat(); err == nil {
		tsMs = info.ModTime().UnixMilli()
	}
	rd, err := copybook.NewReader(f, r.cfg.Framing)
	if err != nil {
		return fmt.Errorf("cdc: %s: %w", path, err)
	}
	r.stats.Files++
	base := filepath.Base(path)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		raw, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			// A framing error (a *copybook.DecodeError with the offset) or
			// an I/O error: what follows cannot be delimited.
			r.report(&FileError{File: path, Err: err})
			return nil
		}
		r.stats.Records++
		p := &pending{file: path, base: base, record: rd.Record(), offset: rd.Offset(), tsMs: tsMs, raw: bytes.Clone(raw)}
		r.decode(p)
		if p.decodeErr != nil {
			r.report(&FileError{File: path, Record: p.record, Offset: p.offset, Err: p.decodeErr})
		}
		if err := next(p); err != nil {
			return err
		}
	}
}

// decode fills the row, key and op of p, or its decodeErr.
func (r *FileReader) decode(p *pending) {
	v, err := r.cfg.Decoder.Decode(p.raw)
	if err != nil {
		var de *copybook.DecodeError
		if errors.As(err, &de) {
			de.Record = p.record
		}
		p.decodeErr = err
		return
	}
	p.row, _ = v.MarshalJSON()
	key := []byte{'{'}
	for i, k := range r.keys {
		if i > 0 {
			key = append(key, ',')
		}
		key = appendJSONString(key, k.name)
		key = append(key, ':')
		kv, _ := k.lookup(v).MarshalJSON()
		key = append(key, kv...)
	}
	p.key = append(key, '}')
	p.op = OpRead
	if r.opField != nil {
		ov := r.opField.lookup(v)
		op, ok := r.cfg.Ops[strings.TrimSpace(ov.Text)]
		if !ok || ov.Kind == copybook.KindNull {
			p.decodeErr = fmt.Errorf("%w (field %s)", ErrUnknownOp, r.opField.name)
			return
		}
		p.op = op
	}
}

// emit builds the event of p and hands it on.
func (r *FileReader) emit(ctx context.Context, emit adapters.Emit, p *pending, last bool) error {
	now := r.cfg.Now()
	snapshot := "false"
	if p.op == OpRead {
		snapshot = "true"
		if last {
			snapshot = "last"
		}
	}
	payload := r.payload(p, snapshot, now)
	attrs := map[string]string{
		AttrFile:   p.file,
		AttrRecord: strconv.Itoa(p.record),
		AttrOffset: strconv.FormatInt(p.offset, 10),
	}
	env := event.Envelope{
		ID:       event.NewID(now),
		Format:   event.FormatCDC,
		Received: now.UTC(),
		Source:   r.cfg.Source,
		Key:      r.cfg.Table,
		Attrs:    attrs,
		Payload:  payload,
	}
	if p.decodeErr != nil {
		env.Kind = r.cfg.Table + ".INVALID"
		attrs[AttrError] = p.decodeErr.Error()
		attrs[AttrTable] = r.cfg.Table
		attrs[AttrConnector] = ConnectorCopybook
		attrs[AttrServer] = r.cfg.Name
	} else {
		// The event goes through the same parser as every CDC record
		// downstream, so its position and attributes are what the
		// pipeline will compute; a failure here is a bug, not bad input.
		ev, err := Parse(p.key, payload)
		if err != nil {
			return fmt.Errorf("cdc: %s: record %d: built an event that does not parse: %w", p.file, p.record, err)
		}
		env.Key = PartitionKey(r.cfg.Table, p.key)
		env.Kind = r.cfg.Table + "." + p.op.Name()
		attrs[AttrOp] = string(p.op)
		addEventAttrs(attrs, ev)
	}
	if err := emit(ctx, env); err != nil {
		return fmt.Errorf("cdc: %s: record %d: not stored: %w", p.file, p.record, err)
	}
	r.stats.Emitted++
	return nil
}

// payload writes the Debezium-shaped change event of one record. The
// record's bytes are kept, base64, in "raw": the raw topic is the system
// of record, and the decoded row is only one reading of them.
func (r *FileReader) payload(p *pending, snapshot string, now time.Time) []byte {
	b := make([]byte, 0, 256+len(p.row)+len(p.raw)*4/3)
	if p.decodeErr == nil {
		before, after := []byte("null"), p.row
		switch p.op {
		case OpDelete:
			before, after = p.row, []byte("null")
		}
		b = append(b, `{"before":`...)
		b = append(b, before...)
		b = append(b, `,"after":`...)
		b = append(b, after...)
		b = append(b, ',')
	} else {
		b = append(b, '{')
	}
	b = append(b, `"source":{"version":"tributary","connector":"copybook","name":`...)
	b = appendJSONString(b, r.cfg.Name)
	b = append(b, `,"ts_ms":`...)
	b = strconv.AppendInt(b, p.tsMs, 10)
	b = append(b, `,"snapshot":`...)
	b = appendJSONString(b, snapshot)
	b = append(b, `,"table":`...)
	b = appendJSONString(b, r.cfg.Table)
	b = append(b, `,"file":`...)
	b = appendJSONString(b, p.base)
	b = append(b, `,"record":`...)
	b = strconv.AppendInt(b, int64(p.record), 10)
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, p.offset, 10)
	if r.cfg.Encoding != "" {
		b = append(b, `,"encoding":`...)
		b = appendJSONString(b, r.cfg.Encoding)
	}
	b = append(b, '}')
	if p.decodeErr == nil {
		b = append(b, `,"op":`...)
		b = appendJSONString(b, string(p.op))
	} else {
		b = append(b, `,"error":`...)
		b = appendJSONString(b, p.decodeErr.Error())
	}
	b = append(b, `,"ts_ms":`...)
	b = strconv.AppendInt(b, now.UnixMilli(), 10)
	b = append(b, `,"raw":"`...)
	b = base64.StdEncoding.AppendEncode(b, p.raw)
	return append(b, `"}`...)
}
