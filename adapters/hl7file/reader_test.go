package hl7file

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/event"
)

// msg returns a synthetic ADT^A01 with the control id, its segments ended
// by term.
func msg(control, term string) string {
	return strings.Join([]string{
		`MSH|^~\&|SENDAPP|SENDFAC^1.2.3^ISO|RECVAPP|RECVFAC|20260301120000||ADT^A01^ADT_A01|` + control + `|P|2.5.1`,
		"EVN|A01|20260301120000",
		"PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F",
	}, term) + term
}

var fixedNow = time.Date(2026, 11, 26, 9, 0, 0, 0, time.FixedZone("", 3600))

type recorder struct {
	envs []event.Envelope
	fail func(event.Envelope) error
}

func (r *recorder) emit(_ context.Context, e event.Envelope) error {
	if r.fail != nil {
		if err := r.fail(e); err != nil {
			return err
		}
	}
	r.envs = append(r.envs, e)
	return nil
}

func (r *recorder) controls() []string {
	var out []string
	for _, e := range r.envs {
		out = append(out, e.Attrs["msh-10"])
	}
	return out
}

// write creates files under dir; names may contain slashes.
func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// run reads paths with cfg and returns the envelopes, the reports as
// text, and Run's error.
func run(t *testing.T, cfg Config, rec *recorder) ([]string, error) {
	t.Helper()
	var reports []string
	cfg.Report = func(e *InputError) { reports = append(reports, e.Error()) }
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixedNow }
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = r.Run(t.Context(), rec.emit)
	return reports, err
}

func TestBatchFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m1, m2, m3 := msg("B1", "\r\n"), msg("B2", "\r\n"), msg("B3", "\r\n")
	content := "\xEF\xBB\xBFFHS|^~\\&|SENDAPP|SENDFAC\r\nBHS|^~\\&|SENDAPP|SENDFAC\r\n" + m1 + m2 + "BTS|2\r\nBHS|^~\\&\r\n" + m3 + "BTS|1\r\nFTS|2\r\n"
	write(t, dir, map[string]string{"batch.hl7": content})
	path := filepath.Join(dir, "batch.hl7")
	rec := &recorder{}
	reports, err := run(t, Config{Paths: []string{path}, Source: "nightly-batch"}, rec)
	if err != nil || len(reports) > 0 {
		t.Fatalf("Run = %v, reports %q", err, reports)
	}
	if got := rec.controls(); strings.Join(got, ",") != "B1,B2,B3" {
		t.Fatalf("emitted %v, want B1,B2,B3", got)
	}
	for i, want := range []string{m1, m2, m3} {
		e := rec.envs[i]
		off := strings.Index(content, want)
		if string(e.Payload) != want {
			t.Errorf("message %d: payload %q, want the file's bytes %q", i+1, e.Payload, want)
		}
		if e.Attrs["file"] != path || e.Attrs["offset"] != strconv.Itoa(off) {
			t.Errorf("message %d: file %q offset %q, want %q %d", i+1, e.Attrs["file"], e.Attrs["offset"], path, off)
		}
		if e.Format != event.FormatHL7v2 || e.Kind != "ADT^A01" || e.Key != "SENDFAC" || e.Source != "nightly-batch" ||
			e.Attrs["msh-9"] != "ADT^A01^ADT_A01" || e.Attrs["msh-12"] != "2.5.1" {
			t.Errorf("message %d: envelope %+v", i+1, e)
		}
		if !e.Received.Equal(fixedNow) || e.Received.Location() != time.UTC {
			t.Errorf("Received = %v", e.Received)
		}
		if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7`).MatchString(e.ID) {
			t.Errorf("ID %q is not a UUIDv7", e.ID)
		}
	}
}

func TestTerminators(t *testing.T) {
	t.Parallel()
	for name, term := range map[string]string{"cr": "\r", "lf": "\n", "crlf": "\r\n"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			content := msg("T1", term) + term + msg("T2", term) // a blank line between
			write(t, dir, map[string]string{"m.hl7": content})
			rec := &recorder{}
			reports, err := run(t, Config{Paths: []string{dir}}, rec)
			if err != nil || len(reports) > 0 {
				t.Fatalf("Run = %v, reports %q", err, reports)
			}
			if len(rec.envs) != 2 {
				t.Fatalf("emitted %d, want 2", len(rec.envs))
			}
			joined := string(rec.envs[0].Payload) + string(rec.envs[1].Payload)
			if joined != content {
				t.Errorf("payloads do not add up to the file:\n%q\n%q", joined, content)
			}
			for _, e := range rec.envs {
				if _, err := hl7v2.Parse(e.Payload); err != nil {
					t.Errorf("payload does not parse: %v", err)
				}
			}
		})
	}
}

func TestDirectoryWalk(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"a.hl7":           msg("A", "\r"),
		"b/c.TXT":         msg("C", "\n"),
		"b/d/e.hl7":       msg("E", "\r") + msg("E2", "\r"),
		"b/notes.md":      "not read",
		"f.dat":           msg("F", "\r"),
		".hidden.hl7":     msg("HIDDEN", "\r"),
		".git/x.hl7":      msg("GIT", "\r"),
		"z.hl7.swp":       "editor junk",
		"explicit/g.data": msg("G", "\r"),
	})
	if err := os.Symlink(filepath.Join(dir, "f.dat"), filepath.Join(dir, "link.hl7")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, filepath.Join(dir, "b", "loop.hl7")); err != nil { // a link to a directory: not followed
		t.Fatal(err)
	}
	rec := &recorder{}
	reports, err := run(t, Config{Paths: []string{dir, filepath.Join(dir, "explicit", "g.data")}}, rec)
	if err != nil || len(reports) > 0 {
		t.Fatalf("Run = %v, reports %q", err, reports)
	}
	if got := strings.Join(rec.controls(), ","); got != "A,C,E,E2,F,G" {
		t.Errorf("emitted %s, want A,C,E,E2,F,G (lexical order, hidden and other extensions skipped, the link followed, the named file read)", got)
	}

	rec = &recorder{}
	if _, err := run(t, Config{Paths: []string{filepath.Join(dir, "b")}, Extensions: []string{"*"}}, rec); err == nil {
		t.Error("notes.md read as HL7 without an error")
	}
	if got := strings.Join(rec.controls(), ","); got != "C,E,E2" {
		t.Errorf("with *: emitted %s, want C,E,E2", got)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := strings.Replace(msg("BAD", "\r"), "PID|", "pid|", 1)
	write(t, dir, map[string]string{
		"1-mixed.hl7":     msg("OK1", "\r") + bad + msg("OK2", "\r"),
		"2-count.hl7":     "BHS|^~\\&\r" + msg("N1", "\r") + "BTS|5\r",
		"3-empty.hl7":     "",
		"4-orphan.hl7":    "PID|1||X\r" + msg("N2", "\r"),
		"5-garbage.hl7":   "MSH|^~\\&|A|B|C|D|2026||ADT^A01|G1|P|2.5.1\rthis is not a segment\r",
		"6-fine.hl7":      msg("OK3", "\r"),
		"7-noversion.hl7": "MSH|^~\\&|A|B|C|D|2026||ADT^A01|V1|P|9.9\r",
	})
	rec := &recorder{}
	reports, err := run(t, Config{Paths: []string{dir, filepath.Join(dir, "missing.hl7")}}, rec)
	if !errors.Is(err, ErrInput) {
		t.Fatalf("Run = %v, want ErrInput", err)
	}
	// Every delimited message is emitted, good or bad; files that cannot
	// be split are not.
	if got := strings.Join(rec.controls(), ","); got != "OK1,BAD,OK2,G1,OK3,V1" {
		t.Errorf("emitted %s", got)
	}
	badOff := len(msg("OK1", "\r"))
	want := []string{
		`^` + regexp.QuoteMeta(filepath.Join(dir, "1-mixed.hl7")) + `: message 2 \(offset ` + strconv.Itoa(badOff) + `\): segment 3: invalid segment id \(byte \d+\)$`,
		`^` + regexp.QuoteMeta(filepath.Join(dir, "2-count.hl7")) + `: offset \d+: BTS-1: batch count does not match$`,
		`3-empty.hl7: offset 0: MSH: no message$`,
		`4-orphan.hl7: offset 0: MSH: message does not start with an MSH segment$`,
		`5-garbage.hl7: message 1 \(offset 0\): .*invalid segment id`,
		`7-noversion.hl7: message 1 \(offset 0\): MSH-12: unsupported version`,
		`missing.hl7: stat: no such file or directory$`,
	}
	if len(reports) != len(want) {
		t.Fatalf("reports:\n%s\nwant %d", strings.Join(reports, "\n"), len(want))
	}
	for i, w := range want {
		if !regexp.MustCompile(w).MatchString(reports[i]) {
			t.Errorf("report %d = %q, want it to match %s", i, reports[i], w)
		}
	}
	for _, r := range reports {
		if strings.Contains(r, "DOE") || strings.Contains(r, "this is not") {
			t.Errorf("report holds message content: %q", r)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{"m.hl7": msg("C1", "\r") + msg("C2", "\r") + msg("C3", "\r") + msg("C4", "\r")})
	rec := &recorder{}
	reports, err := run(t, Config{Paths: []string{dir}, Check: func(m *hl7v2.Message) error {
		switch m.ControlID() {
		case "C2":
			return &hl7v2.Error{Location: hl7v2.Location{Segment: "PID", Field: 7}, Code: hl7v2.CodeDataType, Message: "birth date is not a date"}
		case "C3":
			return errors.New("lookup of DOE^JANE failed")
		case "C4":
			panic("bug")
		}
		return nil
	}}, rec)
	if !errors.Is(err, ErrInput) || len(rec.envs) != 4 {
		t.Fatalf("Run = %v, emitted %d; want ErrInput and all 4 emitted", err, len(rec.envs))
	}
	off := len(msg("C1", "\r"))
	want := []string{
		filepath.Join(dir, "m.hl7") + ": message 2 (offset " + strconv.Itoa(off) + "): PID-7: birth date is not a date",
		filepath.Join(dir, "m.hl7") + ": message 3 (offset " + strconv.Itoa(2*off) + "): application internal error while checking the message",
		filepath.Join(dir, "m.hl7") + ": message 4 (offset " + strconv.Itoa(3*off) + "): application internal error while checking the message",
	}
	if strings.Join(reports, "\n") != strings.Join(want, "\n") {
		t.Errorf("reports:\n%s\nwant:\n%s", strings.Join(reports, "\n"), strings.Join(want, "\n"))
	}
}

func TestEmitFailureStops(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{"a.hl7": msg("A1", "\r") + msg("A2", "\r"), "b.hl7": msg("B1", "\r")})
	kafka := errors.New("kafka: not enough replicas")
	rec := &recorder{fail: func(e event.Envelope) error {
		if e.Attrs["msh-10"] == "A2" {
			return kafka
		}
		return nil
	}}
	_, err := run(t, Config{Paths: []string{dir}}, rec)
	if !errors.Is(err, kafka) || !strings.Contains(err.Error(), "a.hl7: message 2") {
		t.Errorf("Run = %v, want the emit error naming a.hl7 message 2", err)
	}
	if got := strings.Join(rec.controls(), ","); got != "A1" {
		t.Errorf("emitted %s, want only A1", got)
	}
}

func TestMaxMessageSize(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := msg("BIG", "\r") + strings.Repeat("OBX|1|TX|||lorem ipsum\r", 20)
	write(t, dir, map[string]string{"m.hl7": msg("S1", "\r") + big + msg("S2", "\r")})
	rec := &recorder{}
	reports, err := run(t, Config{Paths: []string{dir}, MaxMessageSize: 300}, rec)
	if !errors.Is(err, ErrInput) || strings.Join(rec.controls(), ",") != "S1,S2" {
		t.Fatalf("Run = %v, emitted %v", err, rec.controls())
	}
	if len(reports) != 1 || !strings.Contains(reports[0], "message 2") || !strings.Contains(reports[0], "maximum size") {
		t.Errorf("reports = %q", reports)
	}
}

func TestCanceled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{"a.hl7": msg("A", "\r"), "b.hl7": msg("B", "\r")})
	r, err := New(Config{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	rec := &recorder{fail: func(event.Envelope) error { cancel(); return nil }}
	if err := r.Run(ctx, rec.emit); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if len(rec.envs) != 1 {
		t.Errorf("emitted %d after cancel, want 1", len(rec.envs))
	}
	if _, err := New(Config{}); err == nil {
		t.Error("New accepted no paths")
	}
	if err := r.Run(t.Context(), nil); err == nil {
		t.Error("Run accepted a nil emit")
	}
}

// mshLine matches the start of an MSH segment, whatever its field
// separator, after a byte-order mark or padding.
var mshLine = regexp.MustCompile(`(?:\A|[\r\n])(?:\x{FEFF})?[ \t]*MSH[^A-Za-z0-9\r\n]`)

// sharedCorpus is the public sample corpus beside the repository.
const sharedCorpus = "../../../shared/corpus/hl7v2"

// The corpus: every message of every file that splits is emitted, byte
// for byte; the deliberately malformed files and the one that is not HL7
// are reported with a location.
func TestCorpus(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(sharedCorpus); err != nil {
		t.Skipf("shared corpus not found at %s", sharedCorpus)
	}
	rec := &recorder{}
	var reports []*InputError
	r, err := New(Config{Paths: []string{sharedCorpus}, Report: func(e *InputError) { reports = append(reports, e) }})
	if err != nil {
		t.Fatal(err)
	}
	err = r.Run(t.Context(), rec.emit)
	if !errors.Is(err, ErrInput) {
		t.Fatalf("Run = %v, want ErrInput (the corpus has malformed files)", err)
	}
	st := r.Stats()
	if st.Files < 50 || st.Emitted < 60 {
		t.Errorf("stats %+v: too few files or messages", st)
	}
	reported := map[string]bool{}
	for _, e := range reports {
		base := filepath.Base(e.File)
		reported[base] = true
		if !strings.HasPrefix(base, "malformed-") && !strings.HasPrefix(base, "invalid-") && !strings.HasSuffix(base, ".txt") &&
			!strings.Contains(base, "malformed") {
			t.Errorf("well-formed file reported: %v", e)
		}
		if _, _, at := describe(e.Err); at < 0 {
			t.Errorf("report without a byte offset: %v", e)
		}
	}
	for _, name := range []string{"malformed-empty.hl7", "invalid-missing-msh.hl7", "malformed-msh_present_but_missing_msh-9.hl7"} {
		if !reported[name] {
			t.Errorf("%s not reported", name)
		}
	}
	// Independently of ParseBatch: each emitted payload is a slice of its
	// file starting with MSH at the offset given, and the files' MSH lines
	// are all accounted for.
	files := map[string][]byte{}
	perFile := map[string]int{}
	for _, e := range rec.envs {
		path := e.Attrs["file"]
		if files[path] == nil {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			files[path] = b
		}
		off, _ := strconv.Atoi(e.Attrs["offset"])
		if !bytes.HasPrefix(files[path][off:], e.Payload) || !bytes.HasPrefix(e.Payload, []byte("MSH")) {
			t.Errorf("%s at %d: payload is not the file's bytes from an MSH", path, off)
		}
		perFile[path]++
	}
	for path, b := range files {
		if n := len(mshLine.FindAll(b, -1)); n != perFile[path] {
			t.Errorf("%s: %d MSH segments, %d envelopes", path, n, perFile[path])
		}
	}
}
