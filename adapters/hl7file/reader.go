package hl7file

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-health/tributary/adapters"
	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/event"
)

// Defaults of [Config].
const (
	DefaultSource         = "hl7file"
	DefaultMaxMessageSize = 4 << 20 // as the MLLP listener's largest frame
)

// DefaultExtensions are the names of the files read from directories.
var DefaultExtensions = []string{".hl7", ".txt"}

// ErrInput is wrapped by the error [Reader.Run] returns when some input
// was reported bad (each as an [*InputError]) but everything else was
// emitted.
var ErrInput = errors.New("hl7file: bad input")

// Config configures a [Reader]. The zero value of each field but Paths
// means its documented default.
type Config struct {
	// Paths are the files and directories to read, in order. Required.
	Paths []string
	// Extensions selects the files read from directories by the end of
	// their name, case-insensitively; default [DefaultExtensions]. "*"
	// selects every regular file. Files named in Paths are always read.
	Extensions []string
	// MaxMessageSize is the largest message emitted, in bytes; default
	// [DefaultMaxMessageSize]. A larger one is reported, not emitted.
	MaxMessageSize int
	// Source names the reader in envelopes; default [DefaultSource].
	Source string
	// Check, when set, validates each message that parsed, after it was
	// emitted, as the MLLP listener's Check does; its error is reported.
	// It must not keep the message.
	Check func(*hl7v2.Message) error
	// Report receives each problem with the input as it is found, in
	// order; nil discards them (Run still counts them).
	Report func(*InputError)
	// Logger receives progress, never message content; nil discards it.
	Logger *slog.Logger
	// Now returns the time of receipt; default time.Now.
	Now func() time.Time
}

// An InputError is a problem with one message, or with a whole file. Its
// text names the file, the message and where in it, never a value from
// the message.
type InputError struct {
	File    string
	Message int // 1-based position of the message in the file; 0 for the file as a whole
	Offset  int // byte offset in the file of the message's MSH
	// Err is an [*hl7v2.ParseError] or [*hl7v2.Error] (located), or an
	// I/O error.
	Err error
}

// Error returns "FILE: message N (offset X): LOCATION: text", or for a
// whole file "FILE: offset X: LOCATION: text" ("FILE: text" for an I/O
// error). A parse error's text ends with the byte offset of the problem
// in the file.
func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	b.WriteString(": ")
	loc, text, at := describe(e.Err)
	switch {
	case e.Message > 0:
		fmt.Fprintf(&b, "message %d (offset %d): ", e.Message, e.Offset)
		if at >= 0 {
			text += " (byte " + strconv.Itoa(at) + ")"
		}
	case at >= 0:
		fmt.Fprintf(&b, "offset %d: ", at)
	}
	if loc != "" {
		b.WriteString(loc)
		b.WriteString(": ")
	}
	b.WriteString(text)
	return b.String()
}

// Unwrap returns Err.
func (e *InputError) Unwrap() error { return e.Err }

// describe returns the location and a PHI-free text of err, and the byte
// offset of a parse error (else -1).
func describe(err error) (loc, text string, at int) {
	var pe *hl7v2.ParseError
	if errors.As(err, &pe) {
		loc = pe.Location.String()
		if loc == "" && pe.SegmentIndex > 0 {
			loc = "segment " + strconv.Itoa(pe.SegmentIndex)
		}
		return loc, pe.Text(), pe.Offset
	}
	if e, ok := hl7v2.AsError(err); ok {
		return e.Location.String(), e.Text(), -1
	}
	var perr *fs.PathError
	if errors.As(err, &perr) {
		return "", perr.Op + ": " + perr.Err.Error(), -1
	}
	if errors.Is(err, errCheckFailed) {
		return "", err.Error(), -1
	}
	return "", "application internal error", -1
}

var errCheckFailed = errors.New("application internal error while checking the message")

// A Reader reads HL7 v2 files and emits each message. It implements
// [adapters.Source]; run it once.
type Reader struct {
	cfg Config
	log *slog.Logger
	ext []string

	stats Stats
}

var _ adapters.Source = (*Reader)(nil)

// Stats counts what a [Reader] did.
type Stats struct {
	Files    int // files read
	Messages int // messages found
	Emitted  int // messages Kafka acknowledged
	Errors   int // problems reported
}

// New validates cfg and returns a Reader.
func New(cfg Config) (*Reader, error) {
	if len(cfg.Paths) == 0 {
		return nil, errors.New("hl7file: config: no paths")
	}
	if cfg.MaxMessageSize < 0 {
		return nil, errors.New("hl7file: config: MaxMessageSize is negative")
	}
	if cfg.MaxMessageSize == 0 {
		cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	if cfg.Source == "" {
		cfg.Source = DefaultSource
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ext := cfg.Extensions
	if ext == nil {
		ext = DefaultExtensions
	}
	r := &Reader{cfg: cfg, log: cfg.Logger.With(slog.String("source", cfg.Source))}
	for _, e := range ext {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			r.ext = append(r.ext, e)
		}
	}
	if len(r.ext) == 0 {
		return nil, errors.New("hl7file: config: no extensions")
	}
	return r, nil
}

// Stats returns the counts so far; call it after Run returned.
func (r *Reader) Stats() Stats { return r.stats }

// Run reads every path and emits each message, one at a time, returning
// once Kafka has acknowledged them all (nil), or when bad input was
// reported (an error wrapping [ErrInput], after emitting everything
// else), when an emit fails (that error, at once) or when ctx is done
// (its error).
func (r *Reader) Run(ctx context.Context, emit adapters.Emit) error {
	if emit == nil {
		return errors.New("hl7file: run: nil emit")
	}
	for _, root := range r.cfg.Paths {
		if err := r.path(ctx, emit, root); err != nil {
			return err
		}
	}
	r.log.LogAttrs(ctx, slog.LevelInfo, "hl7file done", slog.Int("files", r.stats.Files),
		slog.Int("messages", r.stats.Messages), slog.Int("emitted", r.stats.Emitted), slog.Int("errors", r.stats.Errors))
	if r.stats.Errors > 0 {
		return fmt.Errorf("%w: %d reported, %d files read", ErrInput, r.stats.Errors, r.stats.Files)
	}
	return nil
}

func (r *Reader) report(e *InputError) {
	r.stats.Errors++
	if r.cfg.Report != nil {
		r.cfg.Report(e)
	}
}

// path reads a file, or walks a directory.
func (r *Reader) path(ctx context.Context, emit adapters.Emit, root string) error {
	info, err := os.Stat(root)
	if err != nil {
		r.report(&InputError{File: root, Err: err})
		return nil
	}
	if !info.IsDir() {
		return r.file(ctx, emit, root)
	}
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			r.report(&InputError{File: path, Err: err})
			return nil // the rest of the tree is still read
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !r.wanted(d.Name()) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if info, err := os.Stat(path); err != nil || !info.Mode().IsRegular() {
				return nil // a dangling link, or one to a directory
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		return r.file(ctx, emit, path)
	})
}

func (r *Reader) wanted(name string) bool {
	name = strings.ToLower(name)
	for _, e := range r.ext {
		if e == "*" || strings.HasSuffix(name, e) {
			return true
		}
	}
	return false
}

// file emits the messages of one file.
func (r *Reader) file(ctx context.Context, emit adapters.Emit, path string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		r.report(&InputError{File: path, Err: err})
		return nil
	}
	r.stats.Files++
	f, err := hl7v2.ParseBatch(data)
	if err != nil {
		r.report(&InputError{File: path, Err: err}) // the offset is the error's
		return nil
	}
	entries := f.Messages()
	r.log.LogAttrs(ctx, slog.LevelDebug, "hl7file reading", slog.String("file", path), slog.Int("messages", len(entries)))
	for i, e := range entries {
		r.stats.Messages++
		n := i + 1
		if len(e.Raw) > r.cfg.MaxMessageSize {
			r.report(&InputError{File: path, Message: n, Offset: e.Offset, Err: &hl7v2.Error{
				Location: hl7v2.Location{Segment: "MSH"}, Code: hl7v2.CodeApplicationInternal,
				Message: "message exceeds the maximum size of " + strconv.Itoa(r.cfg.MaxMessageSize) + " bytes; not stored",
			}})
			continue
		}
		hdr := e.Message
		if hdr == nil {
			hdr, _ = hl7v2.ParseHeader(e.Raw)
		}
		env := envelope(hdr, e.Raw, r.cfg.Now(), r.cfg.Source, path, e.Offset)
		if err := emit(ctx, env); err != nil {
			return fmt.Errorf("hl7file: %s: message %d: not stored: %w", path, n, err)
		}
		r.stats.Emitted++
		switch {
		case e.Err != nil:
			r.report(&InputError{File: path, Message: n, Offset: e.Offset, Err: inMessage(e.Err, e.Raw, e.Offset)})
		case r.cfg.Check != nil:
			if err := check(r.cfg.Check, e.Message); err != nil {
				r.report(&InputError{File: path, Message: n, Offset: e.Offset, Err: err})
			}
		}
	}
	return nil
}

// inMessage renumbers the segment of a parse error found by ParseBatch,
// which counts segments from the start of the file, from the start of
// the message instead, since the report names the message. The byte
// offset stays the file's.
func inMessage(err error, raw []byte, offset int) error {
	var pe *hl7v2.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	_, merr := hl7v2.Parse(raw)
	var me *hl7v2.ParseError
	if !errors.As(merr, &me) || offset+me.Offset != pe.Offset {
		return err // not the same error after all; keep it as it is
	}
	c := *pe
	c.SegmentIndex = me.SegmentIndex
	return &c
}

// check runs Config.Check; an error that is not an HL7 one, or a panic,
// becomes errCheckFailed, since its text may hold anything.
func check(fn func(*hl7v2.Message) error, m *hl7v2.Message) (err error) {
	defer func() {
		if recover() != nil {
			err = errCheckFailed
		}
	}()
	if err = fn(m); err != nil {
		if _, ok := hl7v2.AsError(err); !ok {
			return errCheckFailed
		}
	}
	return err
}

// envelope builds the envelope of one message, as the MLLP listener
// does, with the file and offset in place of the remote address.
func envelope(hdr *hl7v2.Message, payload []byte, now time.Time, source, file string, offset int) event.Envelope {
	t := hdr.Type()
	return event.Envelope{
		ID:       event.NewID(now),
		Format:   event.FormatHL7v2,
		Kind:     t.String(),
		Received: now.UTC(),
		Source:   source,
		Key:      partitionKey(hdr),
		Attrs: map[string]string{
			"msh-9":  strings.TrimRight(t.Code+"^"+t.Trigger+"^"+t.Structure, "^"),
			"msh-10": hdr.ControlID(),
			"msh-12": hdr.Version(),
			"file":   file,
			"offset": strconv.Itoa(offset),
		},
		Payload: payload,
	}
}

// partitionKey names the sending system, as the MLLP listener's does:
// MSH-4, else MSH-3, else "". Never a patient identifier.
func partitionKey(hdr *hl7v2.Message) string {
	if k := hdr.SendingFacility().String(); k != "" {
		return k
	}
	return hdr.SendingApplication().String()
}
