package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tributary-health/tributary/claims/x12/x12test"
	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/stream"
)

const x12Corpus = "../../claims/x12/testdata/corpus"

// x12Interchange is a valid synthetic 837P interchange from sender with
// control number ctrl; pipes switches to | ! > and newline delimiters.
func x12Interchange(t *testing.T, sender, ctrl string, pipes bool) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := x12test.Write837P(&b, x12test.Options{Claims: 2}); err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(b.String(), "SUBMITTER01    ", (sender + "               ")[:15], 1)
	s = strings.ReplaceAll(s, "000000001", ctrl)
	if pipes {
		s = strings.NewReplacer("*", "|", "^", "!", ":", ">", "~", "\n").Replace(s)
	}
	return []byte(s)
}

// readRawX12 returns the envelopes on raw.x12.v1.
func readRawX12(t *testing.T, cfg stream.Config) []event.Envelope {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	recs, err := stream.ReadAll(ctx, cfg, cfg.Topics.Raw(event.FormatX12))
	if err != nil {
		t.Fatal(err)
	}
	var out []event.Envelope
	for _, r := range recs {
		e, err := stream.Envelope(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func x12Args(addr string, cfg stream.Config, extra ...string) []string {
	return append([]string{"ingest", "x12", "--brokers=" + addr, "--topic-prefix=" + cfg.Topics.Prefix, "--partitions=3", "--log-level=warn"}, extra...)
}

// tributary ingest x12 FILE...: every interchange stored byte for byte,
// the acknowledgments in --ack-dir, each problem reported as FILE:
// interchange N (offset X): LOCATION: text, exit 1.
func TestIngestX12Files(t *testing.T) {
	t.Parallel()
	addr, cfg := embeddedBroker(t)
	dir, acks := t.TempDir(), t.TempDir()
	a, b := x12Interchange(t, "CLIA", "000000011", false), x12Interchange(t, "CLIB", "000000012", true)
	good := filepath.Join(dir, "good.x12")
	bad := filepath.Join(dir, "bad.x12")
	junk := filepath.Join(dir, "junk.x12")
	missing, err := os.ReadFile(filepath.Join(x12Corpus, "imsweb-x12-parser/837_5010__x12_missing_elements.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for p, data := range map[string][]byte{good: append(append([]byte(nil), a...), b...), bad: missing, junk: []byte("GS*HC~")} {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := runMain(t, nil, x12Args(addr, cfg, "--ack-dir="+acks, good, bad, junk)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "3 interchanges from 2 files stored on "+cfg.Topics.Raw(event.FormatX12)) {
		t.Errorf("stdout = %q", stdout)
	}
	if !strings.Contains(stderr, junk+": offset 0: input does not start with an ISA segment\n") {
		t.Errorf("stderr lacks the junk file:\n%s", stderr)
	}
	line := regexp.MustCompile(`^` + regexp.QuoteMeta(bad) + `: interchange 1 \(offset 0\): \S+: \S.* \((TA105|AK905|IK502|IK304|IK403) \w+; (segment \d+, )?offset \d+\)$`)
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if strings.HasPrefix(l, bad) {
			n++
			if !line.MatchString(l) {
				t.Errorf("not FILE: interchange N (offset X): LOCATION: text: %q", l)
			}
			if strings.Contains(l, "ANGELASZEK") {
				t.Errorf("patient or provider data in %q", l)
			}
		}
	}
	if n < 2 {
		t.Errorf("%d errors reported for bad.x12:\n%s", n, stderr)
	}
	envs := readRawX12(t, cfg)
	if len(envs) != 3 {
		t.Fatalf("%d records, want 3", len(envs))
	}
	payloads := map[string]bool{}
	for _, e := range envs {
		payloads[string(e.Payload)] = true
		if e.Attrs["file"] == "" || e.Format != event.FormatX12 || e.Kind != "837" {
			t.Errorf("envelope %s %s %v", e.Format, e.Kind, e.Attrs)
		}
	}
	if !payloads[string(a)] || !payloads[string(b)] || !payloads[string(missing)] {
		t.Error("payloads are not the interchanges' bytes")
	}
	for _, name := range []string{"good.x12.999", "bad.x12.999", "bad.x12.ta1"} {
		if _, err := os.Stat(filepath.Join(acks, name)); err != nil {
			t.Errorf("--ack-dir: %v", err)
		}
	}
	if code, _, _ := runMain(t, nil, x12Args(addr, cfg)...); code != 2 {
		t.Errorf("no input: exit %d, want 2", code)
	}
	if code, _, _ := runMain(t, nil, x12Args(addr, cfg, "--watch="+dir, good)...); code != 2 {
		t.Errorf("files with --watch: exit %d, want 2", code)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// tributary ingest x12 --watch DIR --http-addr ADDR: a dropped file is
// archived with its 999 once stored; POST /x12 answers with the 999; an
// interrupt stops it cleanly.
func TestIngestX12WatchAndHTTP(t *testing.T) {
	t.Parallel()
	addr, cfg := embeddedBroker(t)
	dir := t.TempDir()
	httpAddr := freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, x12Args(addr, cfg, "--watch="+dir, "--poll=20ms", "--http-addr="+httpAddr), io.Discard, &stderr, func(string) string { return "" })
	}()

	data := x12Interchange(t, "DROP", "000000021", false)
	tmp := filepath.Join(dir, ".claims.x12.part")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute)
	_ = os.Chtimes(tmp, old, old)
	if err := os.Rename(tmp, filepath.Join(dir, "claims.x12")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the dropped file archived", func() bool {
		_, err := os.Stat(filepath.Join(dir, "archive", "claims.x12.999"))
		return err == nil
	})
	if _, err := os.Stat(filepath.Join(dir, "claims.x12")); !os.IsNotExist(err) {
		t.Error("the dropped file is still in the drop directory")
	}

	var resp *http.Response
	eventually(t, "POST /x12 answering", func() bool {
		r, err := http.Post("http://"+httpAddr+"/x12", "application/edi-x12", bytes.NewReader(x12Interchange(t, "POSTER", "000000022", true)))
		if err != nil {
			return false
		}
		resp = r
		return true
	})
	ack, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(ack, []byte("AK9|A|1|1|1")) {
		t.Fatalf("POST /x12: %d %q", resp.StatusCode, ack)
	}
	envs := readRawX12(t, cfg)
	keys := map[string]bool{}
	for _, e := range envs {
		keys[e.Key] = true
	}
	if len(envs) != 2 || !keys["DROP"] || !keys["POSTER"] {
		t.Errorf("records %d, keys %v", len(envs), keys)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after interrupt:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop")
	}
}

// tributary run serves POST /x12 next to /fhir on its HTTP address.
func TestRunServesX12(t *testing.T) {
	t.Parallel()
	a := startPipeline(t)
	body := x12Interchange(t, "RUNSENDER", "000000031", false)
	resp, err := http.Post(a.httpURL()+"/x12", "application/edi-x12", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	ack, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(ack, []byte("AK9*A*1*1*1~")) {
		t.Fatalf("POST /x12: %d %q", resp.StatusCode, ack)
	}
	found := false
	for _, e := range readRawX12(t, a.scfg) {
		found = found || bytes.Equal(e.Payload, body) && e.Key == "RUNSENDER"
	}
	if !found {
		t.Error("the upload is not on raw.x12.v1")
	}
	if code, _ := getJSON(t, a.httpURL()+"/fhir/metadata"); code != http.StatusOK {
		t.Errorf("/fhir/metadata: %d beside /x12", code)
	}
	resp, err = http.Post(a.httpURL()+"/x12", "text/plain", strings.NewReader("not x12"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("garbage: %d, want 400", resp.StatusCode)
	}
}
