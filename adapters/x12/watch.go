package x12

import (
	"context"
	"encoding/hex"
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
	"github.com/tributary-health/tributary/event"
)

// Subdirectories of a drop directory.
const (
	ProcessingDir = ".processing"
	ArchiveDir    = "archive"
	ErrorDir      = "error"
)

// Suffixes of the files written beside a processed file.
const (
	SuffixTA1   = ".ta1"
	Suffix999   = ".999"
	SuffixError = ".err"
)

// WatchConfig configures a [Watcher]. The zero value of each field but
// Dir means its documented default.
type WatchConfig struct {
	// Dir is the drop directory. Required; its subdirectories are made
	// if missing.
	Dir string
	// Poll is how often Dir is listed; default 2s.
	Poll time.Duration
	// MinAge is how long a file must be left unmodified before it is
	// taken, so that a file still being written is not; default 2s.
	// Writers should still write under a name starting with a dot and
	// rename it into Dir when complete.
	MinAge time.Duration
	// StaleAfter is how long a claimed file may go untouched before
	// another watcher takes it over, its owner presumed dead; default
	// 5m. Owners touch their files far more often.
	StaleAfter time.Duration
	// Report receives each problem with a file, as it is found; nil
	// discards them.
	Report func(*InputError)
}

// A Watcher ingests the files dropped in a directory. It implements
// [adapters.Source]; several watchers, in one process or many, may share
// a directory: each file is taken by one. See the package documentation
// for the life of a file.
type Watcher struct {
	in  *Intake
	cfg WatchConfig
	log *slog.Logger
}

var _ adapters.Source = (*Watcher)(nil)

// NewWatcher validates cfg and returns a Watcher that ingests with in.
func NewWatcher(in *Intake, cfg WatchConfig) (*Watcher, error) {
	if in == nil {
		return nil, errors.New("x12: watch: nil intake")
	}
	if cfg.Dir == "" {
		return nil, errors.New("x12: watch: no directory")
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.MinAge <= 0 {
		cfg.MinAge = 2 * time.Second
	}
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = 5 * time.Minute
	}
	return &Watcher{in: in, cfg: cfg, log: in.log.With(slog.String("dir", cfg.Dir))}, nil
}

// Run watches the directory until ctx is done (it returns nil then). A
// file whose interchanges Kafka did not all take is put back, and tried
// again after Poll. Run fails only when the directory cannot be used.
func (w *Watcher) Run(ctx context.Context, emit adapters.Emit) error {
	if emit == nil {
		return errors.New("x12: watch: nil emit")
	}
	t := time.NewTicker(w.cfg.Poll)
	defer t.Stop()
	for {
		if err := w.Scan(ctx, emit); err != nil && ctx.Err() == nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Scan takes over stale claimed files, then claims and ingests every file
// of the directory old enough, once. Run calls it on every poll.
func (w *Watcher) Scan(ctx context.Context, emit adapters.Emit) error {
	for _, d := range []string{ProcessingDir, ArchiveDir, ErrorDir} {
		if err := os.MkdirAll(filepath.Join(w.cfg.Dir, d), 0o750); err != nil {
			return fmt.Errorf("x12: watch: %w", err)
		}
	}
	proc := filepath.Join(w.cfg.Dir, ProcessingDir)
	stale, err := os.ReadDir(proc)
	if err != nil {
		return fmt.Errorf("x12: watch: %w", err)
	}
	now := w.in.cfg.Now()
	for _, d := range stale {
		name, at, ok := parseClaim(d.Name())
		if !ok || now.Sub(at) < w.cfg.StaleAfter {
			continue
		}
		info, err := d.Info()
		if err != nil || now.Sub(info.ModTime()) < w.cfg.StaleAfter {
			continue
		}
		w.log.LogAttrs(ctx, slog.LevelWarn, "x12 taking over a stale claimed file", slog.String("file", name))
		if err := w.take(ctx, emit, filepath.Join(proc, d.Name()), name); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(w.cfg.Dir)
	if err != nil {
		return fmt.Errorf("x12: watch: %w", err)
	}
	for _, d := range entries {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if strings.HasPrefix(d.Name(), ".") || !d.Type().IsRegular() {
			continue
		}
		info, err := d.Info()
		if err != nil || now.Sub(info.ModTime()) < w.cfg.MinAge {
			continue // gone, or perhaps still being written
		}
		if err := w.take(ctx, emit, filepath.Join(w.cfg.Dir, d.Name()), d.Name()); err != nil {
			return err
		}
	}
	return nil
}

// claimName is the name of a claimed file in .processing: the claim's
// time (UUIDv7), so that a stale claim is recognized even when the file's
// own time is old, then the file's name.
func claimName(now time.Time, name string) string { return event.NewID(now) + "_" + name }

func parseClaim(s string) (name string, at time.Time, ok bool) {
	if len(s) < 38 || s[36] != '_' {
		return "", time.Time{}, false
	}
	var ms [8]byte
	if _, err := hex.Decode(ms[2:], []byte(s[0:8]+s[9:13])); err != nil {
		return "", time.Time{}, false
	}
	var n int64
	for _, c := range ms {
		n = n<<8 | int64(c)
	}
	return s[37:], time.UnixMilli(n), true
}

// take claims src by renaming it into .processing (of two watchers, one
// rename succeeds), ingests it and files it away. A lost race is not an
// error; only a directory that cannot be used is.
func (w *Watcher) take(ctx context.Context, emit adapters.Emit, src, name string) error {
	now := w.in.cfg.Now()
	claimed := filepath.Join(w.cfg.Dir, ProcessingDir, claimName(now, name))
	if err := os.Rename(src, claimed); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // another watcher took it
		}
		return fmt.Errorf("x12: watch: claim: %w", err)
	}
	_ = os.Chtimes(claimed, now, now)
	stop := w.heartbeat(claimed)
	res, err := w.ingest(ctx, emit, claimed, filepath.Join(w.cfg.Dir, name))
	stop()
	var ee *EmitError
	switch {
	case errors.As(err, &ee):
		// Not stored: put it back for the next poll (or any watcher).
		w.log.LogAttrs(ctx, slog.LevelWarn, "x12 file not stored; will retry", slog.String("file", name), slog.String("err", err.Error()))
		if _, perr := place(claimed, w.cfg.Dir, name, false); perr != nil {
			w.log.LogAttrs(ctx, slog.LevelError, "x12 file left claimed", slog.String("file", name), slog.String("err", perr.Error()))
		}
		return nil
	case err != nil:
		ie := &InputError{File: filepath.Join(w.cfg.Dir, name), Err: err}
		w.report(ie)
		return w.file(claimed, ErrorDir, name, nil, []byte(ie.Error()+"\n"))
	}
	dir := ArchiveDir
	if !res.Accepted() {
		dir = ErrorDir
		for _, e := range res.InputErrors(filepath.Join(w.cfg.Dir, name)) {
			w.report(e)
		}
	}
	w.log.LogAttrs(ctx, slog.LevelInfo, "x12 file stored", slog.String("file", name), slog.Int("interchanges", len(res.Interchanges)),
		slog.Bool("accepted", res.Accepted()))
	return w.file(claimed, dir, name, res, nil)
}

func (w *Watcher) report(e *InputError) {
	if w.cfg.Report != nil {
		w.cfg.Report(e)
	}
}

func (w *Watcher) ingest(ctx context.Context, emit adapters.Emit, path, display string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return w.in.Ingest(ctx, emit, f, info.Size(), Origin{File: display})
}

// heartbeat touches a claimed file until stopped, so that no other
// watcher takes it for stale.
func (w *Watcher) heartbeat(path string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(max(w.cfg.StaleAfter/4, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				now := time.Now()
				_ = os.Chtimes(path, now, now)
			}
		}
	}()
	return func() { close(done); <-finished }
}

// file moves a processed file into dir (archive or error) under its name
// (or name.N when taken), with its acknowledgments, or the text of why it
// was not stored, beside it.
func (w *Watcher) file(claimed, dir, name string, res *Result, why []byte) error {
	d := filepath.Join(w.cfg.Dir, dir)
	final, err := place(claimed, d, name, true)
	if err != nil {
		return fmt.Errorf("x12: watch: %w", err)
	}
	base := filepath.Join(d, final)
	var errs []error
	if res != nil {
		if b := res.TA1(); len(b) > 0 {
			errs = append(errs, writeFile(base+SuffixTA1, b))
		}
		if b := res.FA(); len(b) > 0 {
			errs = append(errs, writeFile(base+Suffix999, b))
		}
	}
	if why != nil {
		errs = append(errs, writeFile(base+SuffixError, why))
	}
	if err := os.Remove(claimed); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err) // ErrNotExist: place renamed it
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("x12: watch: %w", err)
	}
	return nil
}

// place links src into dir as name, or name.1, name.2, … when taken
// (a hard link never replaces a file), and returns the name used. With
// keep false, src is removed once linked. Where the file system has no
// hard links, src is renamed whatever keep says.
func place(src, dir, name string, keep bool) (string, error) {
	for i := 0; i < 10000; i++ {
		cand := name
		if i > 0 {
			cand = name + "." + strconv.Itoa(i)
		}
		dst := filepath.Join(dir, cand)
		err := os.Link(src, dst)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			// No hard links on this file system: a rename, after
			// checking the name is free (racy, but only between two
			// files of the same name).
			if _, serr := os.Lstat(dst); serr == nil {
				continue
			}
			return cand, os.Rename(src, dst)
		}
		if !keep {
			return cand, os.Remove(src)
		}
		return cand, nil
	}
	return "", fmt.Errorf("no free name for %s in %s", name, dir)
}

// writeFile writes through a temporary name, so that a reader never sees
// half an acknowledgment.
func writeFile(path string, b []byte) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, b, 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
