package mllp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/adapters/mllp"
	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/stream"
)

// npmClientDir holds send.mjs, an MLLP client built on the npm package
// node-hl7-client 3.x: a sender Tributary did not write.
const npmClientDir = "testdata/npmclient"

// nodeClient returns the directory to run send.mjs in. It uses
// testdata/npmclient/node_modules when present (`npm ci` there once);
// otherwise it installs the locked dependencies into a copy with
// `npm ci --prefer-offline` (from the npm cache or the registry), leaving
// the source tree alone.
//
// Without node the test is skipped, unless TRIBUTARY_REQUIRE_NODE=1 (set
// it where CI installs nodejs and npm, e.g. with apt). With node, an
// install that fails skips the test, unless TRIBUTARY_REQUIRE_NODE=1 or
// TRIBUTARY_REQUIRE_SERVICES=1.
//
// Run it with: go test -run TestNodeHL7Client -v ./adapters/mllp/
func nodeClient(t *testing.T) string {
	t.Helper()
	require := os.Getenv("TRIBUTARY_REQUIRE_NODE") == "1"
	skip := func(format string, args ...any) {
		t.Helper()
		if require {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	if _, err := exec.LookPath("node"); err != nil {
		skip("node is not installed: %v", err)
	}
	require = require || os.Getenv("TRIBUTARY_REQUIRE_SERVICES") == "1"
	if _, err := os.Stat(filepath.Join(npmClientDir, "node_modules", "node-hl7-client")); err == nil {
		return npmClientDir
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		skip("node-hl7-client is not installed in %s and npm is missing: %v", npmClientDir, err)
	}
	dir := t.TempDir()
	for _, name := range []string{"package.json", "package-lock.json", "send.mjs"} {
		b, err := os.ReadFile(filepath.Join(npmClientDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--prefer-offline", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		skip("npm ci failed (offline, no cache?): %v\n%s", err, out)
	}
	return dir
}

// The real listener, storing into the embedded Kafka broker, driven by
// node-hl7-client: every ACK it parses has MSA-1 AA and MSA-2 = MSH-10,
// except for a message with a bad PID-7, answered AE with an ERR at
// PID-7 and code 102; every message is on the raw topic.
func TestNodeHL7Client(t *testing.T) {
	t.Parallel()
	dir := nodeClient(t)

	broker, err := stream.StartEmbedded(stream.EmbeddedConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	cfg := stream.Config{Brokers: broker.Addrs(), Topics: event.NewTopics("npm.")}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := stream.EnsureTopics(ctx, cfg, stream.TopicSpec{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	p, err := stream.NewProducer(cfg, event.FamilyRaw)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })

	l, err := mllp.Listen(mllp.Config{Addr: "127.0.0.1:0", Check: func(m *hl7v2.Message) error {
		if _, err := hl7v2.ParseTime(m.Get("PID-7"), time.UTC); err != nil {
			return &hl7v2.Error{Location: hl7v2.Location{Segment: "PID", Field: 7}, Code: hl7v2.CodeDataType, Message: "birth date is not a valid date"}
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(runCtx, p.Emit) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})

	msg := func(ctrl, birth string) string {
		return strings.Join([]string{
			`MSH|^~\&|NODEAPP|NODEFAC|TRIB|TRIB|20261126093000||ADT^A01^ADT_A01|` + ctrl + `|P|2.5.1`,
			"EVN|A01|20261126093000",
			"PID|1||N-1^^^NODEFAC^MR||Nodeperson^Ann||" + birth + "|F",
			"PV1|1|I",
		}, "\r")
	}
	type want struct{ msa1, err2, err3 string }
	cases := []struct {
		ctrl, birth string
		want        want
	}{
		{"NODE-1", "19700101", want{"AA", "", ""}},
		{"NODE-2", "19800229", want{"AA", "", ""}},
		{"NODE-BAD", "19801345", want{"AE", "PID-7", "102"}},
		{"NODE-3", "19900101", want{"AA", "", ""}}, // the connection is still usable
	}
	var msgs []string
	for _, c := range cases {
		msgs = append(msgs, msg(c.ctrl, c.birth))
	}
	in, _ := json.Marshal(map[string]any{"messages": msgs})

	_, port, _ := strings.Cut(l.Addr().String(), "127.0.0.1:")
	nctx, ncancel := context.WithTimeout(t.Context(), time.Minute)
	defer ncancel()
	cmd := exec.CommandContext(nctx, "node", "send.mjs", "--port", port)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("send.mjs: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), out)
	}
	type ack struct {
		Index            int
		MSA1, MSA2       string
		ERR2, ERR3, Text string
	}
	var acks []ack
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var a struct {
			Index int    `json:"index"`
			MSA1  string `json:"msa1"`
			MSA2  string `json:"msa2"`
			ERR2  string `json:"err2"`
			ERR3  string `json:"err3"`
			ACK   string `json:"ack"`
		}
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("send.mjs printed %q: %v", sc.Bytes(), err)
		}
		acks = append(acks, ack{a.Index, a.MSA1, a.MSA2, a.ERR2, a.ERR3, a.ACK})
	}
	if len(acks) != len(cases) {
		t.Fatalf("%d ACKs for %d messages:\n%s", len(acks), len(cases), out)
	}
	for i, c := range cases {
		a := acks[i]
		if a.Index != i || a.MSA1 != c.want.msa1 || a.MSA2 != c.ctrl || a.ERR2 != c.want.err2 || a.ERR3 != c.want.err3 {
			t.Errorf("message %s: ACK as node-hl7-client read it: %+v; want MSA-1 %s, MSA-2 %s, ERR-2 %q, ERR-3 %q",
				c.ctrl, a, c.want.msa1, c.ctrl, c.want.err2, c.want.err3)
		}
	}

	rctx, rcancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer rcancel()
	recs, err := stream.ReadAll(rctx, cfg, cfg.Topics.Raw(event.FormatHL7v2))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(cases) {
		t.Fatalf("raw topic has %d records, want %d", len(recs), len(cases))
	}
	for i, r := range recs {
		// node-hl7-client may drop the last segment terminator; the rest
		// must be what was sent.
		if got := strings.TrimRight(string(r.Value), "\r"); got != msgs[i] {
			t.Errorf("record %d: %q, want %q", i, got, msgs[i])
		}
	}
}
