package mllp

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/event"
)

// adt returns a synthetic ADT^A01 with the control id.
func adt(control string) []byte {
	return []byte(strings.Join([]string{
		`MSH|^~\&|SENDAPP|SENDFAC^1.2.3^ISO|RECVAPP|RECVFAC|20260301120000||ADT^A01^ADT_A01|` + control + `|P|2.5.1`,
		"EVN|A01|20260301120000",
		"PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F",
	}, "\r") + "\r")
}

// withMSH15 sets MSH-15 (accept acknowledgment type) of a message.
func withMSH15(msg []byte, accept string) []byte {
	return bytes.Replace(msg, []byte("|P|2.5.1"), []byte("|P|2.5.1|||"+accept), 1)
}

var fixedNow = time.Date(2026, 11, 26, 9, 0, 0, 0, time.FixedZone("", 3600))

// recorder is an emit func that records envelopes; fail, when set, decides
// its result.
type recorder struct {
	mu   sync.Mutex
	envs []event.Envelope
	fail func(event.Envelope) error
}

func (r *recorder) emit(_ context.Context, e event.Envelope) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.envs = append(r.envs, e)
	if r.fail != nil {
		return r.fail(e)
	}
	return nil
}

func (r *recorder) all() []event.Envelope {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event.Envelope(nil), r.envs...)
}

// serve starts a listener on a free port and stops it when the test ends,
// checking that Run returned nil.
func serve(t *testing.T, cfg Config, emit func(context.Context, event.Envelope) error) *Listener {
	t.Helper()
	l, stop := start(t, cfg, emit)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return l
}

// start starts a listener; stop cancels it and returns Run's error.
func start(t *testing.T, cfg Config, emit func(context.Context, event.Envelope) error) (*Listener, func() error) {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixedNow }
	}
	l, err := Listen(cfg)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx, emit) }()
	var once sync.Once
	var runErr error
	return l, func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(10 * time.Second):
				runErr = errors.New("Run did not return")
			}
		})
		return runErr
	}
}

func dial(t *testing.T, l *Listener) *Client {
	t.Helper()
	c, err := Dial(t.Context(), l.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// send sends msg and parses the acknowledgment.
func send(t *testing.T, c *Client, msg []byte) *hl7v2.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	raw, err := c.Send(ctx, msg)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	ack, err := hl7v2.Parse(raw)
	if err != nil {
		t.Fatalf("ACK does not parse: %v\n%q", err, raw)
	}
	return ack
}

// expect checks values of an acknowledgment.
func expect(t *testing.T, ack *hl7v2.Message, want map[string]string) {
	t.Helper()
	for path, v := range want {
		if got := ack.Get(path); got != v {
			t.Errorf("ACK %s = %q, want %q", path, got, v)
		}
	}
}

// rawConn dials without the client, to control bytes and timing.
func rawConn(t *testing.T, l *Listener) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// expectClosed checks the server closes c (after any frames it sends)
// within d.
func expectClosed(t *testing.T, c net.Conn, d time.Duration) []byte {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	rest, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("connection not closed by the server: %v", err)
	}
	return rest
}

func TestAckOnlyAfterEmit(t *testing.T) {
	t.Parallel()
	got := make(chan event.Envelope)
	release := make(chan struct{})
	l := serve(t, Config{Source: "mllp-test"}, func(ctx context.Context, e event.Envelope) error {
		got <- e
		select {
		case <-release:
			return nil
		case <-ctx.Done(): // the test failed; let Run stop
			return ctx.Err()
		}
	})
	c := rawConn(t, l)
	msg := adt("CTRL-1")
	if _, err := c.Write(AppendFrame(nil, msg)); err != nil {
		t.Fatal(err)
	}
	env := <-got // emit is running and blocked
	// Nothing may arrive while emit has not returned.
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, err := c.Read(make([]byte, 1)); !isTimeout(err) {
		t.Fatalf("read %d bytes (%v) before emit returned", n, err)
	}
	close(release)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	raw, err := NewFramer(c, 0).Next()
	if err != nil {
		t.Fatal(err)
	}
	ack, err := hl7v2.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, ack, map[string]string{"MSA-1": "AA", "MSA-2": "CTRL-1", "MSH-9": "ACK", "MSH-9.2": "A01",
		"MSH-3": "RECVAPP", "MSH-5": "SENDAPP", "MSH-6": "SENDFAC", "MSH-7": hl7v2.FormatTime(fixedNow)})

	if !bytes.Equal(env.Payload, msg) {
		t.Errorf("Payload is not the framed bytes")
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7`).MatchString(env.ID) {
		t.Errorf("ID = %q, not a UUIDv7", env.ID)
	}
	if env.Format != event.FormatHL7v2 || env.Kind != "ADT^A01" || env.Source != "mllp-test" || env.Key != "SENDFAC" {
		t.Errorf("envelope = %+v", env)
	}
	if !env.Received.Equal(fixedNow) || env.Received.Location() != time.UTC {
		t.Errorf("Received = %v, want %v in UTC", env.Received, fixedNow)
	}
	wantAttrs := map[string]string{"msh-10": "CTRL-1", "msh-9": "ADT^A01^ADT_A01", "msh-12": "2.5.1", "remote": c.LocalAddr().String()}
	for k, v := range wantAttrs {
		if env.Attrs[k] != v {
			t.Errorf("Attrs[%s] = %q, want %q", k, env.Attrs[k], v)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestGarbageThenValid(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	checked := 0
	l := serve(t, Config{Check: func(*hl7v2.Message) error { checked++; return nil }}, rec.emit)
	c := dial(t, l)

	garbage := []byte("this is not HL7 \x00\xff")
	ack := send(t, c, garbage)
	expect(t, ack, map[string]string{"MSA-1": "AR", "MSA-2": "", "ERR-3": "100", "ERR-3.3": "HL70357", "ERR-4": "E", "MSH-12": hl7v2.DefaultVersion})

	broken := append(adt("CTRL-B"), "PIDX|bad\r"...)
	ack = send(t, c, broken)
	expect(t, ack, map[string]string{"MSA-1": "AR", "MSA-2": "CTRL-B", "MSH-9.2": "A01", "ERR-3": "100", "MSH-5": "SENDAPP"})

	badDate := bytes.Replace(adt("CTRL-V"), []byte("|2.5.1"), []byte("|3.0"), 1)
	ack = send(t, c, badDate)
	expect(t, ack, map[string]string{"MSA-1": "AR", "MSA-2": "CTRL-V", "ERR-2": "MSH", "ERR-2.3": "12", "ERR-3": "203"})

	ack = send(t, c, adt("CTRL-2"))
	expect(t, ack, map[string]string{"MSA-1": "AA", "MSA-2": "CTRL-2", "ERR-1": ""})

	envs := rec.all()
	if len(envs) != 4 {
		t.Fatalf("emitted %d envelopes, want 4 (every frame)", len(envs))
	}
	if !bytes.Equal(envs[0].Payload, garbage) || envs[0].Kind != "" || envs[0].Key != "" {
		t.Errorf("garbage envelope = %+v", envs[0])
	}
	if envs[1].Kind != "ADT^A01" || envs[1].Attrs["msh-10"] != "CTRL-B" || envs[1].Key != "SENDFAC" {
		t.Errorf("broken message envelope = %+v", envs[1])
	}
	if checked != 1 {
		t.Errorf("Check ran %d times, want 1 (only for messages that parse)", checked)
	}
}

func TestEmitFailure(t *testing.T) {
	t.Parallel()
	rec := &recorder{fail: func(e event.Envelope) error {
		if e.Attrs["msh-10"] == "FAIL" {
			return errors.New("kafka: not enough replicas")
		}
		return nil
	}}
	l := serve(t, Config{}, rec.emit)
	c := dial(t, l)
	ack := send(t, c, adt("FAIL"))
	expect(t, ack, map[string]string{"MSA-1": "AE", "MSA-2": "FAIL", "ERR-3": "207", "ERR-3.2": "Application internal error"})
	if text := ack.Get("ERR-8"); !strings.Contains(text, "not stored") || !strings.Contains(text, "resend") {
		t.Errorf("ERR-8 = %q, want it to say the message was not stored and should be resent", text)
	}
	// Also for a message that does not parse: not stored comes first.
	ack = send(t, c, []byte("MSH|^~\\&|A|B|C|D|2026||ADT^A01|FAIL|P|9.9"))
	expect(t, ack, map[string]string{"MSA-1": "AE", "ERR-3": "207"})
	// The connection stays usable.
	ack = send(t, c, adt("OK"))
	expect(t, ack, map[string]string{"MSA-1": "AA", "MSA-2": "OK"})
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want map[string]string
	}{
		{"coded error", &hl7v2.Error{Location: hl7v2.Location{Segment: "PID", Field: 7}, Code: hl7v2.CodeDataType, Message: "birth date is not a date"},
			map[string]string{"MSA-1": "AE", "ERR-2": "PID", "ERR-2.2": "1", "ERR-2.3": "7", "ERR-3": "102", "ERR-3.2": "Data type error", "ERR-8": "birth date is not a date"}},
		{"unsupported event", fmt.Errorf("wrapped: %w", &hl7v2.Error{Location: hl7v2.Location{Segment: "MSH", Field: 9, Component: 2}, Code: hl7v2.CodeUnsupportedEventCode}),
			map[string]string{"MSA-1": "AR", "ERR-2": "MSH", "ERR-2.3": "9", "ERR-2.5": "2", "ERR-3": "201"}},
		{"unsupported version", &hl7v2.Error{Code: hl7v2.CodeUnsupportedVersionID}, map[string]string{"MSA-1": "AR", "ERR-3": "203"}},
		{"unknown key", &hl7v2.Error{Code: hl7v2.CodeUnknownKeyIdentifier}, map[string]string{"MSA-1": "AE", "ERR-3": "204"}},
		{"plain error", errors.New("lookup of DOE^JANE failed"), map[string]string{"MSA-1": "AE", "ERR-3": "207", "ERR-8": "application internal error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			l := serve(t, Config{Check: func(m *hl7v2.Message) error {
				if m.ControlID() == "GOOD" {
					return nil
				}
				return tt.err
			}}, rec.emit)
			c := dial(t, l)
			ack := send(t, c, adt("BAD"))
			want := map[string]string{"MSA-2": "BAD"}
			for k, v := range tt.want {
				want[k] = v
			}
			expect(t, ack, want)
			if raw := hl7v2.Encode(ack); bytes.Contains(raw, []byte("DOE")) {
				t.Errorf("ACK holds patient data: %q", raw)
			}
			expect(t, send(t, c, adt("GOOD")), map[string]string{"MSA-1": "AA", "MSA-2": "GOOD"})
			if n := len(rec.all()); n != 2 {
				t.Errorf("emitted %d, want 2", n)
			}
		})
	}
}

func TestCheckPanics(t *testing.T) {
	t.Parallel()
	l := serve(t, Config{Check: func(*hl7v2.Message) error { panic("bug") }}, (&recorder{}).emit)
	expect(t, send(t, dial(t, l), adt("P")), map[string]string{"MSA-1": "AE", "ERR-3": "207"})
}

func TestSplitAndCoalescedFrames(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	l := serve(t, Config{}, rec.emit)
	c := rawConn(t, l)
	frame := AppendFrame(nil, adt("SPLIT"))
	// One frame in three writes, the last one the end block alone.
	for _, part := range [][]byte{frame[:10], frame[10 : len(frame)-2], frame[len(frame)-2:]} {
		if _, err := c.Write(part); err != nil {
			t.Fatal(err)
		}
	}
	f := NewFramer(c, 0)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	raw, err := f.Next()
	if err != nil {
		t.Fatal(err)
	}
	if ack, _ := hl7v2.Parse(raw); ack.Get("MSA-2") != "SPLIT" || ack.Get("MSA-1") != "AA" {
		t.Errorf("ACK %q", raw)
	}
	// Two frames in one write, with junk between: two ACKs, in order.
	two := AppendFrame(AppendFrame(nil, adt("ONE")), []byte{})
	two = append(two[:len(two)-3], "\r\n"...)
	two = AppendFrame(two, adt("TWO"))
	if _, err := c.Write(two); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ONE", "TWO"} {
		raw, err := f.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ack, _ := hl7v2.Parse(raw); ack.Get("MSA-2") != want {
			t.Errorf("ACK for %s: %q", want, raw)
		}
	}
	envs := rec.all()
	if len(envs) != 3 || !bytes.Equal(envs[0].Payload, adt("SPLIT")) || !bytes.Equal(envs[2].Payload, adt("TWO")) {
		t.Errorf("emitted %d envelopes; payloads not the framed bytes", len(envs))
	}
}

func TestOversizeFrame(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	l := serve(t, Config{MaxFrameSize: 300}, rec.emit)
	c := rawConn(t, l)
	big := append(adt("BIG"), bytes.Repeat([]byte("OBX|1|TX|||lorem ipsum\r"), 50)...)
	if _, err := c.Write(AppendFrame(nil, big)); err != nil {
		t.Fatal(err)
	}
	rest := expectClosed(t, c, 5*time.Second)
	raw, err := NewFramer(bytes.NewReader(rest), 0).Next()
	if err != nil {
		t.Fatalf("no ACK before the close: %v", err)
	}
	ack, err := hl7v2.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, ack, map[string]string{"MSA-1": "AR", "MSA-2": "BIG", "ERR-3": "207"})
	if !strings.Contains(ack.Get("ERR-8"), "maximum size") {
		t.Errorf("ERR-8 = %q", ack.Get("ERR-8"))
	}
	if n := len(rec.all()); n != 0 {
		t.Errorf("emitted %d envelopes for a rejected frame", n)
	}
}

func TestReadTimeout(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	l := serve(t, Config{ReadTimeout: 200 * time.Millisecond}, rec.emit)
	c := rawConn(t, l)
	frame := AppendFrame(nil, adt("SLOW"))
	if _, err := c.Write(frame[:20]); err != nil { // start, never finish
		t.Fatal(err)
	}
	began := time.Now()
	if rest := expectClosed(t, c, 5*time.Second); len(rest) != 0 {
		t.Errorf("got %q before the close", rest)
	}
	if d := time.Since(began); d < 150*time.Millisecond {
		t.Errorf("closed after %v, before the read timeout", d)
	}
	if n := len(rec.all()); n != 0 {
		t.Errorf("emitted %d envelopes for an incomplete frame", n)
	}
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	l := serve(t, Config{IdleTimeout: 200 * time.Millisecond, ReadTimeout: 10 * time.Second}, (&recorder{}).emit)
	c := rawConn(t, l)
	began := time.Now()
	expectClosed(t, c, 5*time.Second)
	if d := time.Since(began); d < 150*time.Millisecond {
		t.Errorf("closed after %v, before the idle timeout", d)
	}
	// Activity resets the idle timer: a client sending more often stays.
	c2 := dial(t, l)
	for i := range 4 {
		expect(t, send(t, c2, adt(fmt.Sprint("K", i))), map[string]string{"MSA-1": "AA"})
		time.Sleep(100 * time.Millisecond) // paces the sender; not synchronization
	}
}

func TestManyConnections(t *testing.T) {
	t.Parallel()
	var emitted atomic.Int64
	l := serve(t, Config{}, func(_ context.Context, e event.Envelope) error {
		emitted.Add(1)
		return nil
	})
	const conns, msgs = 20, 10
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			c, err := Dial(t.Context(), l.Addr().String(), nil)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			for j := range msgs {
				control := fmt.Sprintf("C%d-%d", i, j)
				raw, err := c.Send(t.Context(), adt(control))
				if err != nil {
					t.Error(err)
					return
				}
				ack, err := hl7v2.Parse(raw)
				if err != nil || ack.Get("MSA-2") != control || ack.Get("MSA-1") != "AA" {
					t.Errorf("ACK for %s: %q, %v", control, raw, err)
				}
			}
		})
	}
	wg.Wait()
	if n := emitted.Load(); n != conns*msgs {
		t.Errorf("emitted %d, want %d", n, conns*msgs)
	}
}

func TestMaxConnections(t *testing.T) {
	t.Parallel()
	l := serve(t, Config{MaxConnections: 1}, (&recorder{}).emit)
	first := dial(t, l)
	expect(t, send(t, first, adt("1")), map[string]string{"MSA-1": "AA"}) // first is registered
	second := rawConn(t, l)
	expectClosed(t, second, 5*time.Second)
	expect(t, send(t, first, adt("2")), map[string]string{"MSA-1": "AA"})
}

func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	got := make(chan event.Envelope)
	release := make(chan struct{})
	l, stop := start(t, Config{ShutdownTimeout: 5 * time.Second}, func(ctx context.Context, e event.Envelope) error {
		got <- e
		select {
		case <-release:
			return ctx.Err() // the emit context must still be live
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	idle := rawConn(t, l)
	busy := dial(t, l)
	acked := make(chan *hl7v2.Message, 1)
	go func() {
		raw, err := busy.Send(t.Context(), adt("INFLIGHT"))
		if err != nil {
			t.Error(err)
			acked <- nil
			return
		}
		ack, _ := hl7v2.Parse(raw)
		acked <- ack
	}()
	<-got // in flight
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// Idle connections are closed at once, while the message is in flight.
	expectClosed(t, idle, 5*time.Second)
	select {
	case err := <-stopped:
		t.Fatalf("Run returned (%v) before the message in flight was answered", err)
	default:
	}
	close(release)
	ack := <-acked
	if ack == nil {
		t.Fatal("no ACK")
	}
	expect(t, ack, map[string]string{"MSA-1": "AA", "MSA-2": "INFLIGHT"})
	if err := <-stopped; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if _, err := net.Dial("tcp", l.Addr().String()); err == nil {
		t.Error("still accepting after shutdown")
	}
}

func TestShutdownDeadline(t *testing.T) {
	t.Parallel()
	got := make(chan struct{})
	l, stop := start(t, Config{ShutdownTimeout: 200 * time.Millisecond}, func(ctx context.Context, e event.Envelope) error {
		close(got)
		<-ctx.Done() // an emit that never finishes by itself
		return ctx.Err()
	})
	c := rawConn(t, l)
	if _, err := c.Write(AppendFrame(nil, adt("STUCK"))); err != nil {
		t.Fatal(err)
	}
	<-got
	if err := stop(); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	// The stuck message was never acknowledged positively.
	rest := expectClosed(t, c, 5*time.Second)
	if raw, err := NewFramer(bytes.NewReader(rest), 0).Next(); err == nil {
		if ack, _ := hl7v2.Parse(raw); ack.Get("MSA-1") == "AA" {
			t.Error("AA for a message whose emit was canceled")
		}
	}
}

func TestEnhancedMode(t *testing.T) {
	t.Parallel()
	rec := &recorder{fail: func(e event.Envelope) error {
		if strings.HasPrefix(e.Attrs["msh-10"], "FAIL") {
			return errors.New("kafka down")
		}
		return nil
	}}
	l := serve(t, Config{}, rec.emit)
	c := rawConn(t, l)
	f := NewFramer(c, 0)
	tests := []struct {
		control, accept string
		want            string // MSA-1, or "" for no acknowledgment
	}{
		{"AL-OK", "AL", "CA"},
		{"FAIL-AL", "AL", "CE"},
		{"NE-OK", "NE", ""},
		{"FAIL-NE", "NE", ""},
		{"ER-OK", "ER", ""},
		{"FAIL-ER", "ER", "CE"},
		{"SU-OK", "SU", "CA"},
		{"FAIL-SU", "SU", ""},
		{"XX-OK", "XX", "CA"},
	}
	for _, tt := range tests {
		if _, err := c.Write(AppendFrame(nil, withMSH15(adt(tt.control), tt.accept))); err != nil {
			t.Fatal(err)
		}
		// A marker message in original mode: its AA proves whether an
		// acknowledgment came before it.
		if _, err := c.Write(AppendFrame(nil, adt("MARK-"+tt.control))); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		raw, err := f.Next()
		if err != nil {
			t.Fatal(err)
		}
		ack, _ := hl7v2.Parse(raw)
		if tt.want != "" {
			if ack.Get("MSA-1") != tt.want || ack.Get("MSA-2") != tt.control {
				t.Errorf("%s: got %s for %s, want %s", tt.control, ack.Get("MSA-1"), ack.Get("MSA-2"), tt.want)
			}
			if raw, err = f.Next(); err != nil {
				t.Fatal(err)
			}
			ack, _ = hl7v2.Parse(raw)
		}
		if ack.Get("MSA-2") != "MARK-"+tt.control || ack.Get("MSA-1") != "AA" {
			t.Errorf("%s: expected the marker's AA, got %s for %s", tt.control, ack.Get("MSA-1"), ack.Get("MSA-2"))
		}
	}
}

// With MSH-15 and MSH-16 both valued, the commit acknowledgment says the
// message is stored and the application acknowledgment, as MSH-16 asks,
// carries Check's verdict.
func TestEnhancedModeApplicationAcks(t *testing.T) {
	t.Parallel()
	rec := &recorder{fail: func(e event.Envelope) error {
		if strings.HasPrefix(e.Attrs["msh-10"], "FAIL") {
			return errors.New("kafka down")
		}
		return nil
	}}
	checkFn := func(m *hl7v2.Message) error {
		if strings.HasPrefix(m.ControlID(), "BAD") {
			return &hl7v2.Error{Location: hl7v2.Location{Segment: "PID", Field: 7}, Code: hl7v2.CodeDataType}
		}
		return nil
	}
	l := serve(t, Config{Check: checkFn}, rec.emit)
	c := rawConn(t, l)
	f := NewFramer(c, 0)
	tests := []struct {
		control, accept, app string
		want                 []string // MSA-1 of each acknowledgment, in order
	}{
		{"OK-AL", "AL", "AL", []string{"CA", "AA"}},
		{"BAD-AL", "AL", "AL", []string{"CA", "AE"}},
		{"OK-ER", "AL", "ER", []string{"CA"}},
		{"BAD-ER", "AL", "ER", []string{"CA", "AE"}},
		{"OK-SU", "AL", "SU", []string{"CA", "AA"}},
		{"BAD-SU", "AL", "SU", []string{"CA"}},
		{"BAD-NE", "AL", "NE", []string{"CA"}},
		{"OK-NEAL", "NE", "AL", []string{"AA"}},
		{"FAIL-AL", "AL", "AL", []string{"CE"}}, // not stored: no application verdict
	}
	for _, tt := range tests {
		msg := bytes.Replace(adt(tt.control), []byte("|P|2.5.1"), []byte("|P|2.5.1|||"+tt.accept+"|"+tt.app), 1)
		if _, err := c.Write(AppendFrame(nil, msg)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(AppendFrame(nil, adt("MARK-"+tt.control))); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var got []string
		for {
			raw, err := f.Next()
			if err != nil {
				t.Fatal(err)
			}
			ack, _ := hl7v2.Parse(raw)
			if ack.Get("MSA-2") == "MARK-"+tt.control {
				break
			}
			if ack.Get("MSA-2") != tt.control {
				t.Errorf("%s: acknowledgment for %q", tt.control, ack.Get("MSA-2"))
			}
			if ack.Get("MSA-1") == "AE" && ack.Get("ERR-2") != "PID^1^7" && ack.Get("ERR-2.1") != "PID" {
				t.Errorf("%s: AE without the location: ERR-2 %q", tt.control, ack.Get("ERR-2"))
			}
			got = append(got, ack.Get("MSA-1"))
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s (MSH-15 %s, MSH-16 %s): got %v, want %v", tt.control, tt.accept, tt.app, got, tt.want)
		}
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	l := serve(t, Config{TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}, (&recorder{}).emit)
	c, err := Dial(t.Context(), l.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	expect(t, send(t, c, adt("TLS")), map[string]string{"MSA-1": "AA", "MSA-2": "TLS"})
	// Plain MLLP to a TLS listener gets nothing and is closed.
	plain := rawConn(t, l)
	_, _ = plain.Write(AppendFrame(nil, adt("PLAIN")))
	if rest := expectClosed(t, plain, 5*time.Second); bytes.Contains(rest, []byte("MSA")) {
		t.Error("plain connection got an ACK")
	}
}

// selfSigned returns a certificate for localhost and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func TestMetricsAndLogsHoldNoPatientData(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&logs, &logMu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := &recorder{fail: func(e event.Envelope) error {
		if e.Attrs["msh-10"] == "FAIL" {
			return errors.New("kafka down")
		}
		return nil
	}}
	l := serve(t, Config{Registerer: reg, Logger: logger, Source: "feed-a", Check: func(m *hl7v2.Message) error {
		if m.ControlID() == "CHK" {
			return errors.New("patient DOE^JANE unknown")
		}
		return nil
	}}, rec.emit)
	c := dial(t, l)
	send(t, c, adt("OK"))
	send(t, c, adt("FAIL"))
	send(t, c, adt("CHK"))
	send(t, c, []byte("garbage DOE^JANE"))
	_ = c.Close()

	// A second listener of another source shares the registry.
	l2 := serve(t, Config{Registerer: reg, Source: "feed-b"}, rec.emit)
	send(t, dial(t, l2), adt("B"))

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]float64{}
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, lp := range m.GetLabel() {
				key += "," + lp.GetName() + "=" + lp.GetValue()
				if strings.Contains(lp.GetValue(), "DOE") {
					t.Errorf("label %s=%q holds patient data", lp.GetName(), lp.GetValue())
				}
			}
			switch {
			case m.GetCounter() != nil:
				values[key] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				values[key] = m.GetGauge().GetValue()
			}
		}
	}
	for key, want := range map[string]float64{
		"tributary_mllp_frames_total,source=feed-a":            4,
		"tributary_mllp_acks_total,code=AA,source=feed-a":      1,
		"tributary_mllp_acks_total,code=AE,source=feed-a":      2,
		"tributary_mllp_acks_total,code=AR,source=feed-a":      1,
		"tributary_mllp_errors_total,kind=emit,source=feed-a":  1,
		"tributary_mllp_errors_total,kind=check,source=feed-a": 1,
		"tributary_mllp_errors_total,kind=parse,source=feed-a": 1,
		"tributary_mllp_frames_total,source=feed-b":            1,
	} {
		if values[key] != want {
			t.Errorf("%s = %v, want %v", key, values[key], want)
		}
	}
	logMu.Lock()
	defer logMu.Unlock()
	if bytes.Contains(logs.Bytes(), []byte("DOE")) || bytes.Contains(logs.Bytes(), []byte("JANE")) {
		t.Errorf("logs hold patient data:\n%s", logs.String())
	}
	if !bytes.Contains(logs.Bytes(), []byte("emit failed")) {
		t.Errorf("no log of the emit failure:\n%s", logs.String())
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

func TestListenAndRunErrors(t *testing.T) {
	t.Parallel()
	if _, err := Listen(Config{Addr: "127.0.0.1:0", MaxFrameSize: -1}); err == nil {
		t.Error("Listen accepted a negative MaxFrameSize")
	}
	if _, err := Listen(Config{Addr: "256.0.0.1:0"}); err == nil {
		t.Error("Listen accepted a bad address")
	}
	l, err := Listen(Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Run(t.Context(), nil); err == nil {
		t.Error("Run with a nil emit succeeded")
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 2)
	for range 2 {
		go func() { done <- l.Run(ctx, (&recorder{}).emit) }()
	}
	// One of the two fails at once; the other runs until canceled.
	first := <-done
	cancel()
	second := <-done
	if first == nil || second != nil {
		t.Errorf("Run twice: %v, then %v; want an error, then nil", first, second)
	}
	l2, err := Listen(Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := l2.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestClientErrors(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	l := serve(t, Config{}, func(ctx context.Context, e event.Envelope) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	})
	defer close(release)
	c := dial(t, l)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Send(ctx, adt("X")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send = %v, want the context's deadline", err)
	}
	if _, err := c.Send(t.Context(), adt("Y")); err == nil {
		t.Error("Send after a failed Send succeeded")
	}
	if _, err := Dial(t.Context(), "127.0.0.1:1", nil); err == nil {
		t.Error("Dial to a closed port succeeded")
	}
}
