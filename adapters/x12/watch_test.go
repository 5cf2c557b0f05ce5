package x12

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	edi "github.com/tributary-health/tributary/claims/x12"
	"github.com/tributary-health/tributary/event"
)

func writeDrop(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(filepath.Join(dir, name), old, old); err != nil {
		t.Fatal(err)
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func newWatcher(t *testing.T, in *Intake, cfg WatchConfig) *Watcher {
	t.Helper()
	w, err := NewWatcher(in, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// The watcher claims each file, stores its interchanges, then moves it to
// archive/ (all accepted) or error/ (anything rejected, or unreadable)
// with its acknowledgments beside it; hidden and fresh files wait.
func TestWatchFilesEachFile(t *testing.T) {
	t.Parallel()
	_, cfg := broker(t)
	p := producer(t, cfg)
	dir := t.TempDir()
	var reported []string
	in := newIntake(t, Config{})
	w := newWatcher(t, in, WatchConfig{Dir: dir, Poll: 10 * time.Millisecond, MinAge: 10 * time.Second,
		Report: func(e *InputError) { reported = append(reported, e.Error()) }})

	good := append(synth837P(t, edi.DefaultDelimiters, "W1", "000000201", 2), synth837P(t, pipes, "W1", "000000202", 1)...)
	bad := readFile(t, filepath.Join(corpusCopy, "imsweb-x12-parser/837_5010__x12_missing_elements.txt"))
	writeDrop(t, dir, "good.x12", good)
	writeDrop(t, dir, "bad.x12", bad)
	writeDrop(t, dir, "junk.txt", []byte("not x12 at all\n"))
	writeDrop(t, dir, ".partial.x12", good)
	if err := os.WriteFile(filepath.Join(dir, "fresh.x12"), good, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := w.Scan(t.Context(), p.Emit); err != nil {
		t.Fatal(err)
	}

	if got := names(t, filepath.Join(dir, ArchiveDir)); !slices.Equal(got, []string{"good.x12", "good.x12.999"}) {
		t.Errorf("archive/ = %v", got)
	}
	if got := names(t, filepath.Join(dir, ErrorDir)); !slices.Equal(got, []string{"bad.x12", "bad.x12.999", "bad.x12.ta1", "junk.txt", "junk.txt.err"}) {
		t.Errorf("error/ = %v", got)
	}
	if got := names(t, dir); !slices.Equal(got, []string{".partial.x12", ProcessingDir, ArchiveDir, ErrorDir, "fresh.x12"}) {
		t.Errorf("drop dir = %v", got)
	}
	if got := names(t, filepath.Join(dir, ProcessingDir)); len(got) != 0 {
		t.Errorf(".processing = %v", got)
	}
	if b := readFile(t, filepath.Join(dir, ArchiveDir, "good.x12")); !bytes.Equal(b, good) {
		t.Error("archived file differs")
	}
	fa := readFile(t, filepath.Join(dir, ArchiveDir, "good.x12.999"))
	if ics := parseAck(t, fa); len(ics) != 2 {
		t.Errorf("good.x12.999 holds %d interchanges, want one per input interchange", len(ics))
	}
	if got := segments(t, readFile(t, filepath.Join(dir, ErrorDir, "bad.x12.ta1")), "TA1"); len(got) != 1 || !strings.HasSuffix(got[0], "*A*000") {
		t.Errorf("bad.x12.ta1: %v", got)
	}
	if got := segments(t, readFile(t, filepath.Join(dir, ErrorDir, "bad.x12.999")), "IK5"); len(got) != 1 || !strings.HasPrefix(got[0], "IK5*R") {
		t.Errorf("bad.x12.999 IK5: %v", got)
	}
	why := string(readFile(t, filepath.Join(dir, ErrorDir, "junk.txt.err")))
	if want := filepath.Join(dir, "junk.txt") + ": offset 0: input does not start with an ISA segment\n"; why != want {
		t.Errorf("junk.txt.err = %q, want %q", why, want)
	}

	envs := readRaw(t, cfg)
	files := map[string]int{}
	for _, e := range envs {
		files[filepath.Base(e.Attrs["file"])]++
	}
	if files["good.x12"] != 2 || files["bad.x12"] != 1 || len(envs) != 3 {
		t.Errorf("records per file %v, want good 2, bad 1 (junk: none)", files)
	}
	if len(reported) == 0 || !strings.HasPrefix(reported[0], filepath.Join(dir, "bad.x12")+": interchange 1 (offset 0): ") {
		t.Errorf("reported %q", reported)
	}

	// A second file of the same name does not overwrite the first.
	writeDrop(t, dir, "good.x12", synth837P(t, edi.DefaultDelimiters, "W1", "000000203", 1))
	if err := w.Scan(t.Context(), p.Emit); err != nil {
		t.Fatal(err)
	}
	if got := names(t, filepath.Join(dir, ArchiveDir)); !slices.Equal(got, []string{"good.x12", "good.x12.1", "good.x12.1.999", "good.x12.999"}) {
		t.Errorf("archive/ after a second good.x12 = %v", got)
	}
}

// When Kafka does not take the file, it goes back where it was and
// nothing is answered; a claim left by a dead watcher is taken over.
func TestWatchRetriesAndTakesOver(t *testing.T) {
	t.Parallel()
	_, cfg := broker(t)
	p := producer(t, cfg)
	dir := t.TempDir()
	in := newIntake(t, Config{})
	w := newWatcher(t, in, WatchConfig{Dir: dir, MinAge: time.Millisecond, StaleAfter: time.Minute})
	if err := os.MkdirAll(filepath.Join(dir, ProcessingDir), 0o750); err != nil {
		t.Fatal(err)
	}
	data := synth837P(t, edi.DefaultDelimiters, "W2", "000000301", 1)
	writeDrop(t, dir, "a.x12", data)
	down := func(context.Context, event.Envelope) error { return errors.New("broker down") }
	if err := w.Scan(t.Context(), down); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // MinAge: the file was touched when claimed
	if got := names(t, dir); !slices.Contains(got, "a.x12") || len(names(t, filepath.Join(dir, ArchiveDir))) != 0 ||
		len(names(t, filepath.Join(dir, ErrorDir))) != 0 || len(names(t, filepath.Join(dir, ProcessingDir))) != 0 {
		t.Fatalf("after a failed emit: %v", got)
	}

	// A claim six minutes old whose file nobody touched: its watcher died.
	long := time.Now().Add(-6 * time.Minute)
	claimed := filepath.Join(dir, ProcessingDir, claimName(long, "b.x12"))
	if err := os.WriteFile(claimed, synth837P(t, edi.DefaultDelimiters, "W2", "000000302", 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(claimed, long, long); err != nil {
		t.Fatal(err)
	}
	// A recent claim is left alone.
	live := filepath.Join(dir, ProcessingDir, claimName(time.Now(), "c.x12"))
	if err := os.WriteFile(live, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(live, long, long); err != nil {
		t.Fatal(err)
	}
	if err := w.Scan(t.Context(), p.Emit); err != nil {
		t.Fatal(err)
	}
	if got := names(t, filepath.Join(dir, ArchiveDir)); !slices.Equal(got, []string{"a.x12", "a.x12.999", "b.x12", "b.x12.999"}) {
		t.Errorf("archive/ = %v", got)
	}
	if got := names(t, filepath.Join(dir, ProcessingDir)); !slices.Equal(got, []string{filepath.Base(live)}) {
		t.Errorf(".processing = %v", got)
	}
	if n, at, ok := parseClaim(filepath.Base(claimed)); !ok || n != "b.x12" || at.UnixMilli() != long.UnixMilli() {
		t.Errorf("parseClaim = %q %v %v", n, at, ok)
	}
}

// Two watchers on one directory, running at once, store every file once.
func TestWatchConcurrentWatchers(t *testing.T) {
	t.Parallel()
	_, cfg := broker(t)
	p := producer(t, cfg)
	dir := t.TempDir()
	const files = 40
	for i := range files {
		writeDrop(t, dir, fmt.Sprintf("f%02d.x12", i), synth837P(t, edi.DefaultDelimiters, "W3", fmt.Sprintf("%09d", 400+i), 1))
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		// Each watcher as a process of its own: its own intake.
		w := newWatcher(t, newIntake(t, Config{}), WatchConfig{Dir: dir, Poll: 5 * time.Millisecond, MinAge: time.Millisecond})
		wg.Go(func() { errs <- w.Run(ctx, p.Emit) })
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		n := 0
		for _, name := range names(t, filepath.Join(dir, ArchiveDir)) {
			if strings.HasSuffix(name, ".x12") {
				n++
			}
		}
		if n == files {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d files archived", n, files)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	count := map[string]int{}
	for _, e := range readRaw(t, cfg) {
		count[filepath.Base(e.Attrs["file"])]++
	}
	for i := range files {
		if name := fmt.Sprintf("f%02d.x12", i); count[name] != 1 {
			t.Errorf("%s stored %d times", name, count[name])
		}
	}
	if got := names(t, filepath.Join(dir, ArchiveDir)); len(got) != 2*files {
		t.Errorf("archive/ has %d entries, want %d (a file and its 999 each; no .1 copies)", len(got), 2*files)
	}
}
