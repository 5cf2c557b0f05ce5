package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/stream"
)

// embeddedBroker starts a broker of the test's own and returns its
// address and a stream config for a fresh topic prefix.
func embeddedBroker(t *testing.T) (string, stream.Config) {
	t.Helper()
	e, err := stream.StartEmbedded(stream.EmbeddedConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e.Addrs()[0], stream.Config{Brokers: e.Addrs(), Topics: event.NewTopics("t" + randomName() + ".")}
}

// readRaw returns the envelopes on the raw HL7 v2 topic.
func readRaw(t *testing.T, cfg stream.Config) []event.Envelope {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	recs, err := stream.ReadAll(ctx, cfg, cfg.Topics.Raw(event.FormatHL7v2))
	if err != nil {
		t.Fatal(err)
	}
	var out []event.Envelope
	for _, r := range recs {
		e, err := stream.Envelope(r) // checks the sha256 header too
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func ingestArgs(addr string, cfg stream.Config, extra ...string) []string {
	return append([]string{"ingest", "hl7v2", "--brokers=" + addr, "--topic-prefix=" + cfg.Topics.Prefix, "--partitions=3", "--log-level=warn"}, extra...)
}

// tributary ingest hl7v2 stores each message of a batch file and of a
// directory tree on the raw topic, byte for byte, with the MLLP headers;
// reports bad messages with their location and exits 1; stores them all
// again when run again.
func TestIngestHL7Files(t *testing.T) {
	t.Parallel()
	addr, cfg := embeddedBroker(t)
	dir := t.TempDir()
	crlf := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\r"), []byte("\r\n")) }
	lf := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\r"), []byte("\n")) }
	m := func(mrn, ctrl string) []byte { return adtA01(mrn, "Filewoman", "19700101", ctrl) }
	batch := crlf(bytes.Join([][]byte{
		[]byte("FHS|^~\\&|ADT|GHH\rBHS|^~\\&|ADT|GHH\r"), m("F-1", "BATCH-1"), m("F-2", "BATCH-2"), m("F-3", "BATCH-3"),
		[]byte("BTS|3\rFTS|1\r"),
	}, nil))
	badDate := adtA01("F-BAD", "Wrong", "19801345", "BAD-DATE")
	files := map[string][]byte{
		"batch.hl7":          batch,
		"tree/a.hl7":         lf(m("F-4", "TREE-A")),
		"tree/sub/b.txt":     append(m("F-5", "TREE-B1"), m("F-6", "TREE-B2")...),
		"tree/sub/skip.json": []byte(`{"not": "hl7"}`),
		"tree/.hidden.hl7":   m("F-7", "HIDDEN"),
		"bad/bad.hl7":        append(append([]byte(nil), badDate...), "MSH|^~\\&|ADT|GHH|||2026||ADT^A01|BAD-SEG|P|2.5.1\rpid|x\r"...),
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	batchPath, treePath, badPath := filepath.Join(dir, "batch.hl7"), filepath.Join(dir, "tree"), filepath.Join(dir, "bad", "bad.hl7")

	code, stdout, stderr := runMain(t, nil, ingestArgs(addr, cfg, batchPath, treePath, badPath)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1 for the bad file; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "8 messages from 4 files") {
		t.Errorf("stdout = %q", stdout)
	}
	for _, want := range []string{
		badPath + ": message 1 (offset 0): PID-7: ",
		badPath + ": message 2 (offset " + strconv.Itoa(len(badDate)) + "): segment 2: invalid segment id",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "Wrong") || strings.Contains(stderr, "F-BAD") {
		t.Errorf("stderr holds patient data:\n%s", stderr)
	}

	envs := readRaw(t, cfg)
	if len(envs) != 8 {
		t.Fatalf("raw topic has %d records, want 8 (the bad messages too: the normalizer dead-letters them)", len(envs))
	}
	byCtrl := map[string]event.Envelope{}
	for _, e := range envs {
		byCtrl[e.Attrs["msh-10"]] = e
	}
	for ctrl, want := range map[string]struct {
		file    string
		payload []byte
	}{
		"BATCH-2":  {batchPath, crlf(m("F-2", "BATCH-2"))},
		"TREE-A":   {filepath.Join(treePath, "a.hl7"), lf(m("F-4", "TREE-A"))},
		"TREE-B2":  {filepath.Join(treePath, "sub", "b.txt"), m("F-6", "TREE-B2")},
		"BAD-DATE": {badPath, badDate},
	} {
		e, ok := byCtrl[ctrl]
		if !ok {
			t.Errorf("%s not on the raw topic", ctrl)
			continue
		}
		if !bytes.Equal(e.Payload, want.payload) {
			t.Errorf("%s: payload %q, want %q", ctrl, e.Payload, want.payload)
		}
		content, _ := os.ReadFile(want.file)
		off, _ := strconv.Atoi(e.Attrs["offset"])
		if e.Attrs["file"] != want.file || !bytes.HasPrefix(content[off:], e.Payload) {
			t.Errorf("%s: attr file %q offset %d do not point at the message", ctrl, e.Attrs["file"], off)
		}
		if e.Format != event.FormatHL7v2 || e.Kind != "ADT^A01" || e.Source != "hl7file" || e.Key != "GHH" ||
			e.Attrs["msh-9"] != "ADT^A01^ADT_A01" || e.Attrs["msh-12"] != "2.5.1" || e.Received.IsZero() {
			t.Errorf("%s: envelope %+v", ctrl, e)
		}
	}
	if _, ok := byCtrl["HIDDEN"]; ok {
		t.Error("a hidden file was ingested")
	}

	// Again, the good files only: everything is stored a second time, as
	// new envelopes, and the exit status is 0.
	code, _, stderr = runMain(t, map[string]string{"TRIBUTARY_SOURCE": "replay"}, ingestArgs(addr, cfg, batchPath, treePath)...)
	if code != 0 {
		t.Fatalf("re-run exit %d:\n%s", code, stderr)
	}
	again := readRaw(t, cfg)
	if len(again) != 8+6 {
		t.Fatalf("raw topic has %d records after the re-run, want 14", len(again))
	}
	ids := map[string]bool{}
	replayed := 0
	for _, e := range again {
		ids[e.ID] = true
		if e.Source == "replay" {
			replayed++
		}
	}
	if len(ids) != 14 || replayed != 6 {
		t.Errorf("%d distinct envelope ids, %d with source replay; want 14 and 6", len(ids), replayed)
	}

	// Usage errors exit 2.
	if code, _, _ := runMain(t, nil, "ingest", "hl7v2", "--brokers="+addr); code != 2 {
		t.Errorf("no files: exit %d, want 2", code)
	}
}

// The shared corpus, ingested whole: every message that can be split out
// is stored; the malformed files are reported in the documented format.
func TestIngestHL7Corpus(t *testing.T) {
	t.Parallel()
	const corpus = "../../../shared/corpus/hl7v2"
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("shared corpus not found at %s", corpus)
	}
	addr, cfg := embeddedBroker(t)
	// --check=false: the corpus's many message types are the mapping's
	// business; here only intake is under test.
	code, stdout, stderr := runMain(t, nil, ingestArgs(addr, cfg, "--check=false", corpus)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the corpus has malformed files); stderr:\n%s", code, stderr)
	}
	sum := regexp.MustCompile(`^(\d+) messages from (\d+) files`).FindStringSubmatch(stdout)
	if sum == nil {
		t.Fatalf("stdout = %q, want a summary", stdout)
	}
	n, _ := strconv.Atoi(sum[1])
	files, _ := strconv.Atoi(sum[2])
	if n < 60 || files < 50 {
		t.Errorf("%d messages from %d files: too few", n, files)
	}
	if envs := readRaw(t, cfg); len(envs) != n {
		t.Errorf("raw topic has %d records, stdout says %d stored", len(envs), n)
	}
	line := regexp.MustCompile(`^\S+/(malformed-|invalid-)?[^/]+: (message \d+ \(offset \d+\): |offset \d+: )\S.*$`)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "tributary ingest: ") {
			continue // the summary of the exit status
		}
		if !line.MatchString(l) {
			t.Errorf("stderr line not in the FILE: message N (offset X): LOCATION: text format: %q", l)
		}
		if name := filepath.Base(strings.SplitN(l, ":", 2)[0]); !strings.HasPrefix(name, "malformed-") && !strings.HasPrefix(name, "invalid-") && !strings.HasSuffix(name, ".txt") {
			t.Errorf("a well-formed file was reported: %q", l)
		}
	}
}
