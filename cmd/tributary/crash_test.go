package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/store"
	"github.com/tributary-health/tributary/store/storetest"
	"github.com/tributary-health/tributary/stream"
)

// A stage running as its own OS process (this test binary as main), so the
// test can kill it with SIGKILL: no deferred cleanup, no final commit.
type proc struct {
	t    *testing.T
	name string
	args []string
	cmd  *exec.Cmd
	out  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startProc(t *testing.T, name string, args ...string) *proc {
	p := &proc{t: t, name: name, args: args, out: &syncBuffer{}}
	p.start()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Signal(os.Interrupt)
			_ = p.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", p.name, p.out.String())
		}
	})
	return p
}

func (p *proc) start() {
	p.t.Helper()
	p.cmd = exec.Command(os.Args[0], p.args...)
	p.cmd.Env = append(os.Environ(), "TRIBUTARY_TEST_MAIN=1")
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
}

// crash kills the process abruptly and starts it again.
func (p *proc) crash() {
	p.t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		p.t.Fatal(err)
	}
	_ = p.cmd.Wait()
	fmt.Fprintf(p.out, "---- killed with SIGKILL, restarting ----\n")
	p.start()
}

// A crashEnv is what the crash tests run their stage processes against:
// an embedded broker holding the contract's topics, and a database of
// their own, open as st.
type crashEnv struct {
	cfg   stream.Config
	dbURL string
	st    *store.Store
}

func newCrashEnv(t *testing.T, partitions int32) *crashEnv {
	t.Helper()
	b, err := stream.StartEmbedded(stream.EmbeddedConfig{Addr: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	e := &crashEnv{cfg: stream.Config{Brokers: b.Addrs(), Topics: event.NewTopics("")}, dbURL: storetest.NewDatabase(t)}
	if err := stream.EnsureTopics(t.Context(), e.cfg, stream.TopicSpec{Partitions: partitions}); err != nil {
		t.Fatal(err)
	}
	if e.st, err = store.Open(t.Context(), store.Config{URL: e.dbURL}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.st.Close)
	return e
}

// stageArgs are the arguments of the stage process `tributary cmd`:
// the broker, the database when cmd takes one (the normalizer does once
// it resolves patient identity in PostgreSQL), the instance and warnings
// only.
func (e *crashEnv) stageArgs(cmd, instance string) []string {
	args := []string{cmd, "--brokers=" + e.cfg.Brokers[0], "--instance-id=" + instance, "--log-level=warn"}
	if hasFlag(cmd, "database-url") {
		args = append(args, "--database-url="+e.dbURL)
	}
	return args
}

// hasFlag reports whether `tributary cmd --help` lists --name.
func hasFlag(cmd, name string) bool {
	var help strings.Builder
	Main(context.Background(), []string{cmd, "--help"}, io.Discard, &help, func(string) string { return "" })
	return strings.Contains(help.String(), "--"+name+" ")
}

// While messages flow, the materializer and then the normalizer are killed
// with SIGKILL and restarted. Afterwards every message is in Kafka's
// fhir.v1 exactly once and in the store exactly once: every Patient has
// exactly as many versions as messages were sent for it, none lost.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	t.Parallel()
	e := newCrashEnv(t, 4)
	cfg, st, ctx := e.cfg, e.st, t.Context()
	norm := startProc(t, "normalizer", e.stageArgs("normalize", "crash-n")...)
	mat := startProc(t, "materializer", e.stageArgs("materialize", "crash-m")...)

	const (
		facilities = 4
		patients   = 100 // per facility
		versions   = 4   // messages per patient, each with new content
		total      = facilities * patients * versions
	)
	prod, err := stream.NewProducer(cfg, event.FamilyRaw)
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close(context.Background())
	sent := map[string]bool{}
	var sentMu sync.Mutex
	producing := make(chan struct{})
	// Production pauses after the first and the second round of versions
	// until the test has crashed a stage, so each crash falls in the middle
	// of the flow however fast or loaded the machine is.
	matCrashed, normCrashed := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(producing)
		for v := 1; v <= versions; v++ {
			switch v {
			case 2:
				<-matCrashed
			case 3:
				<-normCrashed
			}
			for f := range facilities {
				for p := range patients {
					fac := fmt.Sprintf("FAC%d", f)
					msg := fmt.Appendf(nil, "MSH|^~\\&|ADT|%s|TRIB|TRIB|202611260%d0000||ADT^A08|%s-%d-%d|P|2.5.1\rPID|1||P%d^^^%s^MR||Family-v%d^Pat||19800101|F\r",
						fac, v, fac, p, v, p, fac, v)
					id := event.NewID(time.Now())
					err := prod.Emit(ctx, event.Envelope{ID: id, Format: event.FormatHL7v2, Kind: "ADT^A08", Received: time.Now().UTC(), Source: "test", Key: fac, Payload: msg})
					if err != nil {
						t.Error(err)
						return
					}
					sentMu.Lock()
					sent[id] = true
					sentMu.Unlock()
				}
				time.Sleep(20 * time.Millisecond) // keep messages flowing while the stages crash
			}
		}
	}()
	stillProducing := func() bool {
		select {
		case <-producing:
			return false
		default:
			return true
		}
	}

	eventually(t, "the materializer to have applied some versions", func() bool {
		c, err := st.Counts(ctx, "Patient")
		return err == nil && c.Versions >= 150
	})
	if !stillProducing() {
		t.Fatal("production ended before the crash; the test proves nothing")
	}
	mat.crash()
	close(matCrashed)

	eventually(t, "the normalizer to have produced a fifth", func() bool {
		end, err := stream.EndOffsets(ctx, cfg, cfg.Topics.FHIR())
		var n int64
		for _, e := range end {
			n += e
		}
		// Each message makes five records (see below): this is a fifth.
		return err == nil && n >= total
	})
	if !stillProducing() {
		t.Fatal("production ended before the normalizer crash; the test proves nothing")
	}
	norm.crash()
	mat.crash() // again, now that the normalizer's restart reshuffles what arrives
	close(normCrashed)

	<-producing
	waitCaughtUp(t, cfg, st)

	// Kafka: each raw envelope's resources committed exactly once.
	recs, err := stream.ReadAll(ctx, cfg, cfg.Topics.FHIR())
	if err != nil {
		t.Fatal(err)
	}
	perType := typesByEnvelope(recs)
	// Each message: its Patient, the sending and receiving facilities
	// (MSH-4, MSH-6), its MessageHeader and its Provenance; with the
	// identity index, also its Patient's Person, not counted here.
	want := map[string]int{"Patient": 1, "Organization": 2, "MessageHeader": 1, "Provenance": 1}
	const perMessage = 5
	records := 0
	for _, types := range perType {
		for typ, n := range types {
			if typ != "Person" {
				records += n
			}
		}
	}
	if records != total*perMessage {
		t.Errorf("fhir.v1 holds %d committed records besides Persons, want %d", records, total*perMessage)
	}
	for id := range sent {
		for typ, n := range want {
			if got := perType[id][typ]; got != n {
				t.Errorf("envelope %s produced %d %s records, want %d", id, got, typ, n)
			}
		}
	}

	// The store: every message applied exactly once.
	c, err := st.Counts(ctx, "Patient")
	if err != nil {
		t.Fatal(err)
	}
	if c.Current != facilities*patients || c.Versions != total {
		t.Errorf("store counts = %+v, want %d current and %d versions", c, facilities*patients, total)
	}
	if c, err := st.Counts(ctx, "MessageHeader"); err != nil || c.Current != total || c.Versions != total {
		t.Errorf("MessageHeader counts = %+v, %v; want one per message: %d", c, err, total)
	}
	for f := range facilities {
		for p := range patients {
			id := fhir.ID("Patient", fmt.Sprintf("urn:tributary:aa:FAC%d", f), fmt.Sprintf("P%d", p))
			r, err := st.Read(ctx, "Patient", id)
			if err != nil {
				t.Fatalf("FAC%d/P%d: %v", f, p, err)
			}
			if r.VersionID != versions || !bytes.Contains(r.JSON, fmt.Appendf(nil, "Family-v%d", versions)) {
				t.Errorf("FAC%d/P%d: version %d, want %d with the last message's content", f, p, r.VersionID, versions)
			}
		}
	}
	dlq, err := stream.ReadAll(ctx, cfg, cfg.Topics.DLQ())
	if err != nil || len(dlq) != 0 {
		t.Errorf("dead letters: %d, %v; want none", len(dlq), err)
	}
}

// typesByEnvelope counts fhir.v1 records by source envelope and resource
// type.
func typesByEnvelope(recs []stream.Record) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, r := range recs {
		env := r.Header(event.HeaderSourceEnvelope)
		if out[env] == nil {
			out[env] = map[string]int{}
		}
		out[env][r.Header(event.HeaderResourceType)]++
	}
	return out
}

// A graceful restart of `tributary run` on the same data directory and
// database keeps everything: topics, records, offsets and resources.
func TestRestartKeepsEverything(t *testing.T) {
	t.Parallel()
	dataDir, dbURL := t.TempDir(), storetest.NewDatabase(t)
	args := []string{"--data-dir=" + dataDir, "--database-url=" + dbURL, "--instance-id=keep-" + randomName()}
	a := startPipeline(t, args...)
	c := dialMLLP(t, a)
	if got := send(t, c, adtA01("KEEP-1", "First", "19800101", "K1")).Get("MSA-1"); got != "AA" {
		t.Fatalf("MSA-1 = %q", got)
	}
	waitCaughtUp(t, a.scfg, a.store)
	c.Close()
	a.shutdown(context.Background())

	a = startPipeline(t, args...)
	c = dialMLLP(t, a)
	if got := send(t, c, adtA01("KEEP-2", "Second", "19800101", "K2")).Get("MSA-1"); got != "AA" {
		t.Fatalf("after restart: MSA-1 = %q", got)
	}
	waitCaughtUp(t, a.scfg, a.store)
	raw, err := stream.ReadAll(t.Context(), a.scfg, a.scfg.Topics.Raw(event.FormatHL7v2))
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 2 {
		t.Errorf("raw topic after restart: %d records, want 2", len(raw))
	}
	counts, err := a.store.Counts(t.Context(), "Patient")
	if err != nil {
		t.Fatal(err)
	}
	if counts.Current != 2 || counts.Versions != 2 {
		t.Errorf("store after restart = %+v, want 2 Patients with one version each (nothing re-applied)", counts)
	}
}
