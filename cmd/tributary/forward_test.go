package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tributary-health/tributary/adapters/mllp"
	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/stream"
)

// startIngest runs the MLLP intake with an embedded broker, configured by
// the flags of `tributary run`.
func startIngest(t *testing.T, env map[string]string, extra ...string) *app {
	t.Helper()
	var o options
	fs := runFlags(&o, io.Discard)
	args := append([]string{
		"--broker-addr=127.0.0.1:0",
		"--data-dir=" + t.TempDir(),
		"--mllp-addr=127.0.0.1:0",
		"--partitions=3",
	}, extra...)
	if err := parseFlags(fs, args, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	a, err := start(t.Context(), &o, stages{embedded: true, ingest: true}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.shutdown(context.Background()) })
	return a
}

// legacyMLLP is a stand-in legacy engine: an MLLP listener that records
// what it receives and answers AA.
type legacyMLLP struct {
	mu   sync.Mutex
	msgs [][]byte
}

func (l *legacyMLLP) emit(_ context.Context, e event.Envelope) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, e.Payload)
	return nil
}

func (l *legacyMLLP) received() [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([][]byte(nil), l.msgs...)
}

func startLegacy(t *testing.T) (string, *legacyMLLP) {
	t.Helper()
	rec := &legacyMLLP{}
	ln, err := mllp.Listen(mllp.Config{Addr: "127.0.0.1:0", Source: "legacy"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ln.Run(ctx, rec.emit) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String(), rec
}

// --forward-addr (here from TRIBUTARY_FORWARD_ADDR) in tee mode: the
// sender gets AA once Kafka has the message, and the legacy engine gets
// the same bytes.
func TestForwardTeeFromFlags(t *testing.T) {
	t.Parallel()
	legacyAddr, legacy := startLegacy(t)
	a := startIngest(t, map[string]string{"TRIBUTARY_FORWARD_ADDR": legacyAddr})
	c := dialMLLP(t, a)
	var sent [][]byte
	for _, ctrl := range []string{"TEE-1", "TEE-2", "TEE-3"} {
		msg := adtA01("FWD-1", "Teeperson", "19700101", ctrl)
		sent = append(sent, msg)
		if ack := send(t, c, msg); ack.Get("MSA-1") != "AA" || ack.Get("MSA-2") != ctrl {
			t.Fatalf("ACK %s for %s", ack.Get("MSA-1"), ack.Get("MSA-2"))
		}
	}
	raw, err := stream.ReadAll(t.Context(), a.scfg, a.scfg.Topics.Raw(event.FormatHL7v2))
	if err != nil || len(raw) != 3 {
		t.Fatalf("raw topic: %d records, %v; want 3", len(raw), err)
	}
	eventually(t, "the legacy engine to receive the messages", func() bool { return len(legacy.received()) == 3 })
	for i, got := range legacy.received() {
		if !bytes.Equal(got, sent[i]) {
			t.Errorf("message %d reached the legacy engine altered or out of order", i)
		}
	}
}

// Passthrough with the legacy engine down: the message is stored, and
// the sender gets --forward-unreachable-ack with ERR 207.
func TestForwardPassthroughFromFlags(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	_ = ln.Close()
	a := startIngest(t, nil, "--forward-addr="+down, "--forward-mode=passthrough", "--forward-connect-timeout=2s", "--forward-unreachable-ack=AR")
	ack := send(t, dialMLLP(t, a), adtA01("FWD-2", "Passperson", "19700101", "PASS-1"))
	if ack.Get("MSA-1") != "AR" || ack.Get("MSA-2") != "PASS-1" || ack.Get("ERR-3") != "207" {
		t.Errorf("ACK MSA-1 %s MSA-2 %s ERR-3 %s; want AR, PASS-1, 207", ack.Get("MSA-1"), ack.Get("MSA-2"), ack.Get("ERR-3"))
	}
	raw, err := stream.ReadAll(t.Context(), a.scfg, a.scfg.Topics.Raw(event.FormatHL7v2))
	if err != nil || len(raw) != 1 {
		t.Errorf("raw topic: %d records, %v; want the message stored", len(raw), err)
	}
	families, err := a.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range families {
		if mf.GetName() == "tributary_mllp_forward_total" {
			for _, m := range mf.GetMetric() {
				for _, lp := range m.GetLabel() {
					if lp.GetName() == "result" && lp.GetValue() == "failed" && m.GetCounter().GetValue() == 1 {
						found = true
					}
				}
			}
		}
	}
	if !found {
		t.Error("tributary_mllp_forward_total{result=failed} is not 1")
	}
}

func TestForwardFlagErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--forward-addr=127.0.0.1:1", "--forward-mode=mirror"},
		{"--forward-addr=127.0.0.1:1", "--forward-unreachable-ack=AA"},
		{"--forward-addr=127.0.0.1:1", "--forward-tls-cert=x.pem"},
	} {
		var o options
		fs := runFlags(&o, io.Discard)
		if err := parseFlags(fs, args, func(string) string { return "" }); err != nil {
			t.Fatal(err)
		}
		if _, err := o.forward.forward(); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	var o options
	if err := parseFlags(runFlags(&o, io.Discard), nil, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	if f, err := o.forward.forward(); f != nil || err != nil {
		t.Errorf("forwarding without --forward-addr: %+v, %v", f, err)
	}
	o.forward.addr, o.forward.mode, o.forward.ackTimeout = "legacy:2575", "legacy-ack", 5*time.Second
	o.forward.tlsServerName = "legacy.example"
	f, err := o.forward.forward()
	if err != nil || f.Mode != mllp.ForwardPassthrough || f.AckTimeout != 5*time.Second || f.TLS == nil || f.TLS.ServerName != "legacy.example" {
		t.Errorf("forward() = %+v, %v", f, err)
	}
}
