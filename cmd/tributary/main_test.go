package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/adapters/mllp"
	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/store/storetest"
	"github.com/tributary-health/tributary/stream"
)

// TestMain lets the crash tests run this test binary as the tributary
// command: with TRIBUTARY_TEST_MAIN=1 it is main, not the tests.
func TestMain(m *testing.M) {
	if os.Getenv("TRIBUTARY_TEST_MAIN") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

var allStages = stages{embedded: true, ingest: true, normalize: true, materialize: true, serve: true}

func randomName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// startPipeline runs `tributary run` in this process on free ports, with an
// embedded broker under a temporary directory and a database of its own.
func startPipeline(t *testing.T, extra ...string) *app {
	t.Helper()
	var o options
	fs := runFlags(&o, io.Discard)
	args := append([]string{
		"--broker-addr=127.0.0.1:0",
		"--data-dir=" + t.TempDir(),
		"--database-url=" + storetest.NewDatabase(t),
		"--mllp-addr=127.0.0.1:0",
		"--http-addr=127.0.0.1:0",
		"--instance-id=e2e-" + randomName(),
		"--partitions=3",
	}, extra...)
	if err := parseFlags(fs, args, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	a, err := start(t.Context(), &o, allStages, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.shutdown(context.Background()) })
	return a
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.DiscardHandler)
}

func adtA01(mrn, family, birth, ctrl string) []byte {
	return fmt.Appendf(nil, "MSH|^~\\&|ADT|GHH|TRIB|TRIB|20261126093000-0500||ADT^A01^ADT_A01|%s|P|2.5.1\r"+
		"EVN|A01|20261126093000-0500\r"+
		"PID|1||%s^^^GHH^MR||%s^Ann^M||%s|F|||1 Main St^^Lansing^MI^48901^USA^H||^PRN^PH^^1^517^5550100\r"+
		"PV1|1|I|W1^1^1\r", ctrl, mrn, family, birth)
}

func dialMLLP(t *testing.T, a *app) *mllp.Client {
	t.Helper()
	c, err := mllp.Dial(t.Context(), dialable(a.listener.Addr()), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// send sends msg and returns the parsed ACK.
func send(t *testing.T, c *mllp.Client, msg []byte) *hl7v2.Message {
	t.Helper()
	ack, err := c.Send(t.Context(), msg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := hl7v2.Parse(ack)
	if err != nil {
		t.Fatalf("ACK does not parse: %v", err)
	}
	return m
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil && resp.StatusCode != http.StatusNotModified {
		t.Fatalf("GET %s: %d, body is not JSON: %v", url, resp.StatusCode, err)
	}
	return resp.StatusCode, v
}

// eventually polls cond until it holds or 60 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitCaughtUp waits until the normalizer has consumed every record of
// the raw topics of formats (HL7 v2 when none are named) and the store
// has applied every committed fhir.v1 record.
func waitCaughtUp(t *testing.T, cfg stream.Config, st interface {
	Offsets(context.Context, string, string) (map[int32]int64, error)
}, formats ...event.Format) {
	t.Helper()
	ctx := t.Context()
	if len(formats) == 0 {
		formats = []event.Format{event.FormatHL7v2}
	}
	for _, f := range formats {
		raw := cfg.Topics.Raw(f)
		eventually(t, "the normalizer to catch up with "+raw, func() bool {
			end, err := stream.EndOffsets(ctx, cfg, raw)
			if err != nil {
				return false
			}
			done, err := stream.CommittedOffsets(ctx, cfg, cfg.Topics.Prefix+"normalize", raw)
			if err != nil {
				return false
			}
			for p, e := range end {
				if e > 0 && done[p] < e {
					return false
				}
			}
			return true
		})
	}
	eventually(t, "the materializer to catch up", func() bool {
		recs, err := stream.ReadAll(ctx, cfg, cfg.Topics.FHIR())
		if err != nil {
			return false
		}
		want := map[int32]int64{}
		for _, r := range recs {
			want[r.Partition] = max(want[r.Partition], r.Offset+1)
		}
		got, err := st.Offsets(ctx, cfg.Topics.Prefix+"materialize", cfg.Topics.FHIR())
		if err != nil {
			return false
		}
		for p, w := range want {
			if got[p] < w {
				return false
			}
		}
		return true
	})
}

func lookup(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			var i int
			fmt.Sscan(k, &i)
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// The end-to-end path: an ADT^A01 over a real MLLP connection is
// acknowledged AA, and the Patient appears on the HTTP API with the right
// fields, through Kafka and PostgreSQL.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	a := startPipeline(t)
	c := dialMLLP(t, a)
	ack := send(t, c, adtA01("E2E-1", "Everywoman", "19620320", "CTRL-1"))
	if got := ack.Get("MSA-1"); got != "AA" {
		t.Fatalf("MSA-1 = %q, want AA", got)
	}
	if got := ack.Get("MSA-2"); got != "CTRL-1" {
		t.Errorf("MSA-2 = %q, want the control id", got)
	}
	id := fhir.ID("Patient", "urn:tributary:aa:GHH", "E2E-1")
	var p map[string]any
	eventually(t, "the Patient on the API", func() bool {
		var code int
		code, p = getJSON(t, a.httpURL()+"/fhir/Patient/"+id)
		return code == http.StatusOK
	})
	for path, want := range map[string]any{
		"resourceType":        "Patient",
		"id":                  id,
		"identifier.0.system": "urn:tributary:aa:GHH",
		"identifier.0.value":  "E2E-1",
		"name.0.family":       "Everywoman",
		"name.0.given.0":      "Ann",
		"birthDate":           "1962-03-20",
		"gender":              "female",
		"address.0.city":      "Lansing",
		"telecom.0.value":     "+1 517 5550100",
		"meta.versionId":      "1",
	} {
		if got := lookup(p, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	code, b := getJSON(t, a.httpURL()+"/fhir/Patient?identifier=urn:tributary:aa:GHH|E2E-1")
	if code != http.StatusOK || lookup(b, "total") != float64(1) || lookup(b, "entry.0.resource.id") != id {
		t.Errorf("search by identifier: %d total=%v", code, lookup(b, "total"))
	}
	if code, _ := getJSON(t, a.httpURL()+"/fhir/Patient?identifier=E2E-1"); code != http.StatusOK {
		t.Errorf("search by bare identifier value: %d", code)
	}
	resp, err := http.Get(a.httpURL() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz = %d", resp.StatusCode)
	}
	resp, err = http.Get(a.httpURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{"tributary_normalizer_envelopes_total", "tributary_materializer_changes_total"} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	if strings.Contains(string(metrics), "E2E-1") || strings.Contains(string(metrics), "Everywoman") {
		t.Error("/metrics contains patient data")
	}
}

// The same message sent N times yields one Patient, with one version.
func TestResendIsIdempotent(t *testing.T) {
	t.Parallel()
	a := startPipeline(t)
	c := dialMLLP(t, a)
	msg := adtA01("IDEM-1", "Repeat", "19700101", "CTRL-R")
	const n = 5
	for range n {
		if got := send(t, c, msg).Get("MSA-1"); got != "AA" {
			t.Fatalf("MSA-1 = %q", got)
		}
	}
	waitCaughtUp(t, a.scfg, a.store)
	raw, err := stream.ReadAll(t.Context(), a.scfg, a.scfg.Topics.Raw(event.FormatHL7v2))
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != n {
		t.Errorf("raw topic has %d records, want %d (every receipt is kept)", len(raw), n)
	}
	code, b := getJSON(t, a.httpURL()+"/fhir/Patient?identifier=IDEM-1")
	if code != http.StatusOK || lookup(b, "total") != float64(1) {
		t.Fatalf("search: %d total=%v, want one Patient", code, lookup(b, "total"))
	}
	if v := lookup(b, "entry.0.resource.meta.versionId"); v != "1" {
		t.Errorf("versionId = %v, want 1: identical resends make no new version", v)
	}
	counts, err := a.store.Counts(t.Context(), "Patient")
	if err != nil {
		t.Fatal(err)
	}
	if counts.Current != 1 || counts.Versions != 1 {
		t.Errorf("store counts = %+v, want 1 current, 1 version", counts)
	}
}

// Malformed input is answered AR/AE with an ERR segment, lands on dlq.v1,
// and the connection stays usable for the next message.
func TestBadInputIsRejectedAndDeadLettered(t *testing.T) {
	t.Parallel()
	a := startPipeline(t)
	c := dialMLLP(t, a)

	garbage := send(t, c, []byte("this is not HL7"))
	if got := garbage.Get("MSA-1"); got != "AR" {
		t.Errorf("garbage: MSA-1 = %q, want AR", got)
	}
	if garbage.Segment("ERR") == nil {
		t.Error("garbage: no ERR segment")
	}

	bad := send(t, c, adtA01("BAD-1", "Wrong", "19801345", "CTRL-BAD"))
	if got := bad.Get("MSA-1"); got != "AE" {
		t.Errorf("bad PID-7: MSA-1 = %q, want AE", got)
	}
	if got := bad.Get("MSA-2"); got != "CTRL-BAD" {
		t.Errorf("bad PID-7: MSA-2 = %q", got)
	}
	if seg, field, code := bad.Get("ERR-2.1"), bad.Get("ERR-2.3"), bad.Get("ERR-3.1"); seg != "PID" || field != "7" || code != "102" {
		t.Errorf("ERR-2 = %s-%s, ERR-3 = %s; want PID-7 and 102", seg, field, code)
	}

	good := send(t, c, adtA01("GOOD-1", "Right", "19800101", "CTRL-GOOD"))
	if got := good.Get("MSA-1"); got != "AA" {
		t.Fatalf("next message on the same connection: MSA-1 = %q, want AA", got)
	}
	eventually(t, "the good Patient", func() bool {
		code, _ := getJSON(t, a.httpURL()+"/fhir/Patient/"+fhir.ID("Patient", "urn:tributary:aa:GHH", "GOOD-1"))
		return code == http.StatusOK
	})
	var dlq []stream.Record
	eventually(t, "two dead letters", func() bool {
		var err error
		dlq, err = stream.ReadAll(t.Context(), a.scfg, a.scfg.Topics.DLQ())
		return err == nil && len(dlq) == 2
	})
	byLoc := map[string]stream.Record{}
	for _, d := range dlq {
		byLoc[d.Header(event.HeaderDLQLocation)] = d
	}
	if d, ok := byLoc["PID-7"]; !ok || d.Header(event.HeaderDLQCode) != "hl7v2.102" || d.Header(event.HeaderDLQStage) != "normalize" {
		t.Errorf("no dead letter at PID-7 with code hl7v2.102; got %v", keys(byLoc))
	}
	for _, d := range dlq {
		if string(d.Value) == "this is not HL7" {
			return
		}
	}
	t.Error("the garbage frame is not on the dead-letter topic")
}

func keys[M ~map[string]V, V any](m M) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
