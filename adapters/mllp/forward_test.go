package mllp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/event"
)

// legacyNow is the clock of the stand-in legacy engine, so its ACKs can be
// told from Tributary's by MSH-7.
var legacyNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// legacyEngine starts a second listener acting as the legacy interface
// engine: it records what it receives and answers AA, or AE for control
// ids starting with "LEGACY-AE".
func legacyEngine(t *testing.T, cfg Config) (*Listener, *recorder) {
	t.Helper()
	rec := &recorder{}
	cfg.Now = func() time.Time { return legacyNow }
	cfg.Source = "legacy"
	if cfg.Check == nil {
		cfg.Check = func(m *hl7v2.Message) error {
			if strings.HasPrefix(m.ControlID(), "LEGACY-AE") {
				return &hl7v2.Error{Location: hl7v2.Location{Segment: "PID", Field: 3}, Code: hl7v2.CodeUnknownKeyIdentifier}
			}
			return nil
		}
	}
	return serve(t, cfg, rec.emit), rec
}

// freeAddr returns a local address nothing listens on (for now).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// metricValue returns the value of the counter or gauge name with the
// given labels (source included), or 0.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue next
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

func payloads(envs []event.Envelope) [][]byte {
	out := make([][]byte, len(envs))
	for i, e := range envs {
		out[i] = e.Payload
	}
	return out
}

// Tee: the sender gets Tributary's AA after emit; the legacy engine gets
// every stored frame byte for byte, each connection's in the order sent.
func TestForwardTee(t *testing.T) {
	t.Parallel()
	legacy, legacyRec := legacyEngine(t, Config{})
	reg := prometheus.NewRegistry()
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&logs, &logMu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := &recorder{}
	l := serve(t, Config{Registerer: reg, Logger: logger, Forward: &Forward{Addr: legacy.Addr().String()}}, rec.emit)

	const conns, msgs = 3, 15
	sent := make([][][]byte, conns)
	var wg sync.WaitGroup
	for i := range conns {
		c := dial(t, l)
		wg.Go(func() {
			for j := range msgs {
				msg := adt(fmt.Sprintf("C%d-%02d", i, j))
				if j%5 == 4 { // LF terminators and a trailing newline must survive as they are
					msg = append(bytes.ReplaceAll(msg, []byte("\r"), []byte("\n")), '\n')
				}
				sent[i] = append(sent[i], msg)
				raw, err := c.Send(t.Context(), msg)
				if err != nil {
					t.Error(err)
					return
				}
				if ack, _ := hl7v2.Parse(raw); ack.Get("MSA-1") != "AA" || ack.Get("MSH-7") != hl7v2.FormatTime(fixedNow) {
					t.Errorf("ACK %q is not Tributary's AA", raw)
				}
			}
		})
	}
	wg.Wait()
	garbage := []byte("not HL7 at all, DOE^JANE")
	expect(t, send(t, dial(t, l), garbage), map[string]string{"MSA-1": "AR"})

	total := conns*msgs + 1
	waitFor(t, "the legacy engine to receive everything", func() bool { return len(legacyRec.all()) == total })
	// Every stored frame, byte for byte, once. (Across connections the
	// order is that of enqueueing, which need not be that of storing.)
	stored, forwarded := payloads(rec.all()), payloads(legacyRec.all())
	count := map[string]int{}
	for _, p := range stored {
		count[string(p)]++
	}
	for _, p := range forwarded {
		count[string(p)]--
	}
	for p, n := range count {
		if n != 0 {
			t.Errorf("stored minus forwarded = %d for %q", n, p)
		}
	}
	// Per connection, the order sent.
	for i := range conns {
		var got [][]byte
		for _, p := range forwarded {
			if bytes.Contains(p, fmt.Appendf(nil, "|C%d-", i)) {
				got = append(got, p)
			}
		}
		if len(got) != msgs {
			t.Fatalf("connection %d: %d messages forwarded, want %d", i, len(got), msgs)
		}
		for j := range got {
			if !bytes.Equal(got[j], sent[i][j]) {
				t.Errorf("connection %d message %d out of order or altered", i, j)
			}
		}
	}
	waitFor(t, "the forward metrics", func() bool {
		return metricValue(t, reg, "tributary_mllp_forward_total", map[string]string{"result": "accepted"}) == float64(conns*msgs) &&
			metricValue(t, reg, "tributary_mllp_forward_total", map[string]string{"result": "rejected"}) == 1
	})
	if q := metricValue(t, reg, "tributary_mllp_forward_queue_length", nil); q != 0 {
		t.Errorf("queue length = %v after draining", q)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if bytes.Contains(logs.Bytes(), []byte("DOE")) {
		t.Errorf("logs hold message content:\n%s", logs.String())
	}
	if !bytes.Contains(logs.Bytes(), []byte(`"result":"rejected"`)) {
		t.Errorf("the legacy engine's AR is not logged:\n%s", logs.String())
	}
}

// Tee with the legacy engine down: the sender still gets AA and the
// message is stored; failures are counted; once the engine comes up the
// queue drains in order.
func TestForwardTeeLegacyDown(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	reg := prometheus.NewRegistry()
	rec := &recorder{}
	l := serve(t, Config{Registerer: reg, Forward: &Forward{
		Addr: addr, MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, ConnectTimeout: time.Second,
	}}, rec.emit)
	c := dial(t, l)
	var sent [][]byte
	for i := range 5 {
		msg := adt(fmt.Sprint("DOWN-", i))
		sent = append(sent, msg)
		expect(t, send(t, c, msg), map[string]string{"MSA-1": "AA", "MSA-2": fmt.Sprint("DOWN-", i)})
	}
	if n := len(rec.all()); n != 5 {
		t.Fatalf("stored %d, want 5", n)
	}
	waitFor(t, "connect failures to be counted", func() bool {
		return metricValue(t, reg, "tributary_mllp_forward_errors_total", map[string]string{"kind": "connect"}) >= 2
	})
	if q := metricValue(t, reg, "tributary_mllp_forward_queue_length", nil); q != 4 {
		t.Errorf("queue length = %v, want 4 (one more in hand)", q)
	}

	legacy, legacyRec := legacyEngine(t, Config{Addr: addr})
	_ = legacy
	waitFor(t, "the queue to drain to the engine", func() bool { return len(legacyRec.all()) == 5 })
	for i, p := range payloads(legacyRec.all()) {
		if !bytes.Equal(p, sent[i]) {
			t.Errorf("message %d: out of order or altered", i)
		}
	}
	// New messages go straight through now.
	expect(t, send(t, c, adt("UP")), map[string]string{"MSA-1": "AA"})
	waitFor(t, "the next message", func() bool { return len(legacyRec.all()) == 6 })
}

// A full queue drops the copy for the legacy engine, never the message:
// the sender gets AA and Kafka has it.
func TestForwardTeeQueueFull(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	rec := &recorder{}
	l := serve(t, Config{Registerer: reg, ShutdownTimeout: 100 * time.Millisecond, Forward: &Forward{
		Addr: freeAddr(t), QueueSize: 2, MinBackoff: time.Hour, MaxBackoff: time.Hour,
	}}, rec.emit)
	c := dial(t, l)
	expect(t, send(t, c, adt("Q0")), map[string]string{"MSA-1": "AA"})
	waitFor(t, "the worker to take the first message", func() bool {
		return metricValue(t, reg, "tributary_mllp_forward_errors_total", map[string]string{"kind": "connect"}) == 1
	})
	for i := 1; i < 6; i++ {
		expect(t, send(t, c, adt(fmt.Sprint("Q", i))), map[string]string{"MSA-1": "AA"})
	}
	if n := len(rec.all()); n != 6 {
		t.Errorf("stored %d, want 6", n)
	}
	// One in the worker's hand, two queued, three dropped.
	waitFor(t, "drops to be counted", func() bool {
		return metricValue(t, reg, "tributary_mllp_forward_total", map[string]string{"result": "dropped"}) == 3
	})
}

// Passthrough: each message is stored, then forwarded, and the sender
// gets the legacy engine's ACK (AA or AE), not Tributary's.
func TestForwardPassthrough(t *testing.T) {
	t.Parallel()
	rec := &recorder{fail: func(e event.Envelope) error {
		if e.Attrs["msh-10"] == "KAFKA-DOWN" {
			return errors.New("kafka: not enough replicas")
		}
		return nil
	}}
	// The engine checks that Kafka had each message before it did.
	legacyRec := &recorder{}
	legacy := serve(t, Config{Source: "legacy", Now: func() time.Time { return legacyNow }, Check: func(m *hl7v2.Message) error {
		if strings.HasPrefix(m.ControlID(), "LEGACY-AE") {
			return &hl7v2.Error{Location: hl7v2.Location{Segment: "PID", Field: 3}, Code: hl7v2.CodeUnknownKeyIdentifier}
		}
		return nil
	}}, func(ctx context.Context, e event.Envelope) error {
		stored := false
		for _, s := range rec.all() {
			stored = stored || bytes.Equal(s.Payload, e.Payload)
		}
		if !stored {
			t.Errorf("message %s reached the legacy engine before Kafka", e.Attrs["msh-10"])
		}
		return legacyRec.emit(ctx, e)
	})
	reg := prometheus.NewRegistry()
	l := serve(t, Config{Registerer: reg, Check: func(m *hl7v2.Message) error {
		if m.ControlID() == "TRIB-AE" {
			return &hl7v2.Error{Location: hl7v2.Location{Segment: "PID", Field: 7}, Code: hl7v2.CodeDataType}
		}
		return nil
	}, Forward: &Forward{Addr: legacy.Addr().String(), Mode: ForwardPassthrough}}, rec.emit)
	c := dial(t, l)
	legacyTime := hl7v2.FormatTime(legacyNow)

	expect(t, send(t, c, adt("OK-1")), map[string]string{"MSA-1": "AA", "MSA-2": "OK-1", "MSH-7": legacyTime})
	expect(t, send(t, c, adt("LEGACY-AE-1")), map[string]string{"MSA-1": "AE", "MSA-2": "LEGACY-AE-1", "MSH-7": legacyTime, "ERR-2": "PID", "ERR-3": "204"})
	// Tributary would have said AE; the engine's AA wins, and the
	// disagreement is counted.
	expect(t, send(t, c, adt("TRIB-AE")), map[string]string{"MSA-1": "AA", "MSA-2": "TRIB-AE", "MSH-7": legacyTime})
	// Not stored: Tributary answers AE itself, and nothing is forwarded.
	expect(t, send(t, c, adt("KAFKA-DOWN")), map[string]string{"MSA-1": "AE", "MSA-2": "KAFKA-DOWN", "ERR-3": "207", "MSH-7": hl7v2.FormatTime(fixedNow)})
	// MSH-15 NE: the engine sends no ACK, so neither does Tributary, and
	// the next message is not held up waiting for one.
	if _, err := c.conn.Write(AppendFrame(nil, withMSH15(adt("NE-1"), "NE"))); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	expect(t, send(t, c, adt("OK-2")), map[string]string{"MSA-1": "AA", "MSA-2": "OK-2", "MSH-7": legacyTime})
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("a message after an NE one took %v", d)
	}

	var got []string
	for _, e := range legacyRec.all() {
		got = append(got, e.Attrs["msh-10"])
	}
	if want := []string{"OK-1", "LEGACY-AE-1", "TRIB-AE", "NE-1", "OK-2"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("legacy engine received %v, want %v", got, want)
	}
	for k, want := range map[string]float64{"accepted": 3, "error": 1, "no_ack": 1} {
		if v := metricValue(t, reg, "tributary_mllp_forward_total", map[string]string{"result": k}); v != want {
			t.Errorf("forward_total{result=%s} = %v, want %v", k, v, want)
		}
	}
	// LEGACY-AE-1 (Tributary: AA, engine: AE) and TRIB-AE (the reverse).
	if v := metricValue(t, reg, "tributary_mllp_forward_disagreements_total", nil); v != 2 {
		t.Errorf("disagreements = %v, want 2", v)
	}
}

// Passthrough with the engine down: the message is stored and the sender
// gets AE (default) or AR, with ERR 207.
func TestForwardPassthroughLegacyDown(t *testing.T) {
	t.Parallel()
	for _, code := range []hl7v2.AckCode{"", hl7v2.AckReject} {
		t.Run(string(code), func(t *testing.T) {
			t.Parallel()
			reg := prometheus.NewRegistry()
			rec := &recorder{}
			l := serve(t, Config{Registerer: reg, Forward: &Forward{
				Addr: freeAddr(t), Mode: ForwardPassthrough, Unreachable: code, ConnectTimeout: time.Second,
			}}, rec.emit)
			c := dial(t, l)
			want := "AE"
			if code != "" {
				want = string(code)
			}
			for _, ctrl := range []string{"D1", "D2"} { // D2 meets the backoff and fails at once
				ack := send(t, c, adt(ctrl))
				expect(t, ack, map[string]string{"MSA-1": want, "MSA-2": ctrl, "ERR-3": "207"})
				if !strings.Contains(ack.Get("ERR-8"), "not delivered") {
					t.Errorf("ERR-8 = %q", ack.Get("ERR-8"))
				}
			}
			if n := len(rec.all()); n != 2 {
				t.Errorf("stored %d, want 2", n)
			}
			if v := metricValue(t, reg, "tributary_mllp_forward_total", map[string]string{"result": "failed"}); v != 2 {
				t.Errorf("forward_total{failed} = %v, want 2", v)
			}
		})
	}
}

// fakeEngine is a legacy engine that answers by the control id:
// MISMATCH-* with another MSA-2, GARBAGE-* with a non-HL7 frame, SILENT-*
// never, AR-* with AR, anything else with AA.
func fakeEngine(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				f := NewFramer(nc, 0)
				for {
					raw, err := f.Next()
					if err != nil {
						return
					}
					m, _ := hl7v2.ParseHeader(raw)
					ctrl := m.ControlID()
					var ack []byte
					switch {
					case strings.HasPrefix(ctrl, "MISMATCH"):
						ack = hl7v2.Encode(hl7v2.NewACK(m, hl7v2.AckAccept, legacyNow))
						ack = bytes.Replace(ack, []byte("MSA|AA|"+ctrl), []byte("MSA|AA|SOMETHING-ELSE"), 1)
					case strings.HasPrefix(ctrl, "GARBAGE"):
						ack = []byte("OK thanks")
					case strings.HasPrefix(ctrl, "SILENT"):
						continue
					case strings.HasPrefix(ctrl, "AR"):
						ack = hl7v2.Encode(hl7v2.NewACK(m, hl7v2.AckReject, legacyNow))
					default:
						ack = hl7v2.Encode(hl7v2.NewACK(m, hl7v2.AckAccept, legacyNow))
					}
					if _, err := nc.Write(AppendFrame(nil, ack)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// The legacy ACK is checked: MSA-2 must echo MSH-10 and the frame must be
// an ACK; otherwise the sender gets AE. A wrong answer or a timeout
// closes the connection, and the next message starts afresh.
func TestForwardAckValidation(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	l := serve(t, Config{Registerer: reg, Forward: &Forward{
		Addr: fakeEngine(t), Mode: ForwardPassthrough, AckTimeout: 300 * time.Millisecond, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond,
	}}, (&recorder{}).emit)
	c := dial(t, l)
	tests := []struct{ ctrl, want string }{
		{"OK-1", "AA"},
		{"MISMATCH-1", "AE"},
		{"OK-2", "AA"},
		{"GARBAGE-1", "AE"},
		{"AR-1", "AR"},
		{"SILENT-1", "AE"},
		{"OK-3", "AA"},
	}
	for _, tt := range tests {
		if tt.ctrl == "OK-2" {
			// An NE message, which this engine acknowledges anyway: its
			// stray ACK must not be taken for OK-2's.
			if _, err := c.conn.Write(AppendFrame(nil, withMSH15(adt("NE-1"), "NE"))); err != nil {
				t.Fatal(err)
			}
		}
		ack := send(t, c, adt(tt.ctrl))
		expect(t, ack, map[string]string{"MSA-1": tt.want, "MSA-2": tt.ctrl})
		if tt.want == "AE" && ack.Get("ERR-3") != "207" {
			t.Errorf("%s: ERR-3 = %q, want 207", tt.ctrl, ack.Get("ERR-3"))
		}
	}
	for k, want := range map[string]float64{"accepted": 3, "invalid_ack": 2, "rejected": 1, "failed": 1, "no_ack": 1} {
		if v := metricValue(t, reg, "tributary_mllp_forward_total", map[string]string{"result": k}); v != want {
			t.Errorf("forward_total{result=%s} = %v, want %v", k, v, want)
		}
	}
	if v := metricValue(t, reg, "tributary_mllp_forward_errors_total", map[string]string{"kind": "ack_timeout"}); v != 1 {
		t.Errorf("forward_errors_total{ack_timeout} = %v, want 1", v)
	}
}

// An engine that closes idle connections does not cost a message: the
// broken connection is noticed and the message resent on a new one.
func TestForwardReconnectsAfterIdleClose(t *testing.T) {
	t.Parallel()
	legacy, legacyRec := legacyEngine(t, Config{IdleTimeout: 100 * time.Millisecond})
	l := serve(t, Config{Forward: &Forward{Addr: legacy.Addr().String(), Mode: ForwardPassthrough}}, (&recorder{}).emit)
	c := dial(t, l)
	expect(t, send(t, c, adt("BEFORE")), map[string]string{"MSA-1": "AA", "MSH-7": hl7v2.FormatTime(legacyNow)})
	time.Sleep(400 * time.Millisecond) // let the engine close the idle connection
	expect(t, send(t, c, adt("AFTER")), map[string]string{"MSA-1": "AA", "MSA-2": "AFTER", "MSH-7": hl7v2.FormatTime(legacyNow)})
	if n := len(legacyRec.all()); n != 2 {
		t.Errorf("legacy engine received %d, want 2", n)
	}
}

func TestForwardTLS(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	legacy, legacyRec := legacyEngine(t, Config{TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})
	l := serve(t, Config{Forward: &Forward{Addr: legacy.Addr().String(), Mode: ForwardPassthrough,
		TLS: &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}}}, (&recorder{}).emit)
	expect(t, send(t, dial(t, l), adt("TLS-1")), map[string]string{"MSA-1": "AA", "MSH-7": hl7v2.FormatTime(legacyNow)})
	if n := len(legacyRec.all()); n != 1 {
		t.Errorf("legacy engine received %d, want 1", n)
	}
}

// Messages still queued at shutdown are forwarded before Run returns.
func TestForwardTeeDrainsAtShutdown(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	legacyRec := &recorder{}
	legacy := serve(t, Config{Source: "legacy"}, func(ctx context.Context, e event.Envelope) error {
		<-release // a slow engine
		return legacyRec.emit(ctx, e)
	})
	l, stop := start(t, Config{ShutdownTimeout: 5 * time.Second, Forward: &Forward{Addr: legacy.Addr().String()}}, (&recorder{}).emit)
	c := dial(t, l)
	for i := range 4 {
		expect(t, send(t, c, adt(fmt.Sprint("S", i))), map[string]string{"MSA-1": "AA"})
	}
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	time.Sleep(100 * time.Millisecond)
	close(release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if n := len(legacyRec.all()); n != 4 {
		t.Errorf("legacy engine received %d before Run returned, want 4", n)
	}
}

func TestForwardConfig(t *testing.T) {
	t.Parallel()
	for _, f := range []Forward{
		{},
		{Addr: "nohostport"},
		{Addr: "127.0.0.1:1", Mode: "mirror"},
		{Addr: "127.0.0.1:1", Unreachable: hl7v2.AckAccept},
		{Addr: "127.0.0.1:1", MinBackoff: time.Second, MaxBackoff: time.Millisecond},
	} {
		if _, err := Listen(Config{Addr: "127.0.0.1:0", Forward: &f}); err == nil {
			t.Errorf("Listen accepted Forward %+v", f)
		}
	}
	for in, want := range map[string]ForwardMode{"tee": ForwardTee, "": ForwardTee, "Passthrough": ForwardPassthrough, "legacy-ack": ForwardPassthrough} {
		if got, err := ParseForwardMode(in); err != nil || got != want {
			t.Errorf("ParseForwardMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseForwardMode("both"); err == nil {
		t.Error("ParseForwardMode accepted both")
	}
}
