package mllp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-health/tributary/adapters/hl7v2"
)

// A ForwardMode says who answers the upstream sender when messages are
// also relayed to a legacy interface engine (see [Forward]).
type ForwardMode string

// The forwarding modes.
const (
	// ForwardTee answers the sender as if there were no legacy engine
	// (after Kafka has the message) and relays a copy asynchronously.
	ForwardTee ForwardMode = "tee"
	// ForwardPassthrough relays each message synchronously after Kafka
	// has it and answers the sender with the legacy engine's ACK, so the
	// legacy engine stays in charge of acknowledgments.
	ForwardPassthrough ForwardMode = "passthrough"
)

// ParseForwardMode accepts "tee" and "passthrough" (also "legacy-ack").
func ParseForwardMode(s string) (ForwardMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "tee":
		return ForwardTee, nil
	case "passthrough", "legacy-ack":
		return ForwardPassthrough, nil
	}
	return "", fmt.Errorf("mllp: forward mode: want tee or passthrough, got %q", s)
}

// Defaults of [Forward].
const (
	DefaultForwardConnectTimeout = 10 * time.Second
	DefaultForwardAckTimeout     = 30 * time.Second
	DefaultForwardMinBackoff     = 200 * time.Millisecond
	DefaultForwardMaxBackoff     = 30 * time.Second
	DefaultForwardQueueSize      = 10000
)

// Forward configures relaying every stored message to a legacy engine's
// MLLP endpoint, so Tributary can run beside an existing interface engine
// and take feeds over one at a time (see the package documentation). The
// zero value of each field but Addr means its documented default.
type Forward struct {
	// Addr is the legacy engine's MLLP address, host:port. Required.
	Addr string
	// Mode is [ForwardTee] (default) or [ForwardPassthrough].
	Mode ForwardMode
	// TLS, when set, makes the connections to Addr use TLS.
	TLS *tls.Config
	// ConnectTimeout bounds dialing Addr, TLS handshake included; default
	// [DefaultForwardConnectTimeout].
	ConnectTimeout time.Duration
	// AckTimeout bounds writing a message and receiving its ACK; default
	// [DefaultForwardAckTimeout]. A connection that times out is closed,
	// since a late ACK would be taken for the next message's.
	AckTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between attempts to reach
	// an engine that failed: the wait doubles from MinBackoff up to
	// MaxBackoff and resets after a success; defaults
	// [DefaultForwardMinBackoff] and [DefaultForwardMaxBackoff].
	MinBackoff, MaxBackoff time.Duration
	// QueueSize (tee) is how many messages may wait to be forwarded;
	// default [DefaultForwardQueueSize]. When it is full, newly stored
	// messages are not forwarded (counted as dropped and logged); the
	// sender and Kafka are never held up.
	QueueSize int
	// Unreachable (passthrough) is MSA-1 of the answer when the legacy
	// engine cannot be reached or answers with an invalid ACK: AE
	// (default; the sender resends) or AR (the sender stops).
	Unreachable hl7v2.AckCode
}

func (f Forward) withDefaults() (Forward, error) {
	if f.Mode == "" {
		f.Mode = ForwardTee
	}
	if f.ConnectTimeout == 0 {
		f.ConnectTimeout = DefaultForwardConnectTimeout
	}
	if f.AckTimeout == 0 {
		f.AckTimeout = DefaultForwardAckTimeout
	}
	if f.MinBackoff == 0 {
		f.MinBackoff = DefaultForwardMinBackoff
	}
	if f.MaxBackoff == 0 {
		f.MaxBackoff = DefaultForwardMaxBackoff
	}
	if f.QueueSize == 0 {
		f.QueueSize = DefaultForwardQueueSize
	}
	if f.Unreachable == "" {
		f.Unreachable = hl7v2.AckError
	}
	var errs []error
	if f.Addr == "" {
		errs = append(errs, errors.New("mllp: config: Forward.Addr is empty"))
	} else if _, _, err := net.SplitHostPort(f.Addr); err != nil {
		errs = append(errs, fmt.Errorf("mllp: config: Forward.Addr: %w", err))
	}
	if f.Mode != ForwardTee && f.Mode != ForwardPassthrough {
		errs = append(errs, fmt.Errorf("mllp: config: Forward.Mode %q is neither tee nor passthrough", f.Mode))
	}
	if f.ConnectTimeout < 0 || f.AckTimeout < 0 || f.MinBackoff < 0 || f.MaxBackoff < f.MinBackoff {
		errs = append(errs, errors.New("mllp: config: Forward timeouts must be positive and MaxBackoff >= MinBackoff"))
	}
	if f.QueueSize < 0 {
		errs = append(errs, errors.New("mllp: config: Forward.QueueSize is negative"))
	}
	if f.Unreachable != hl7v2.AckError && f.Unreachable != hl7v2.AckReject {
		errs = append(errs, fmt.Errorf("mllp: config: Forward.Unreachable %q is neither AE nor AR", f.Unreachable))
	}
	return f, errors.Join(errs...)
}

// Results of one forwarded message, the values of the "result" label of
// tributary_mllp_forward_total.
const (
	resultAccepted   = "accepted"    // AA or CA
	resultError      = "error"       // AE or CE
	resultRejected   = "rejected"    // AR or CR
	resultInvalidAck = "invalid_ack" // an answer that is not an ACK of this message
	resultNoAck      = "no_ack"      // sent; MSH-15 asked for no ACK, or none came for ER/SU
	resultFailed     = "failed"      // passthrough: the engine could not be reached in time
	resultDropped    = "dropped"     // tee: the queue was full, or shutdown came first
)

// Kinds of failed attempts, the "kind" label of
// tributary_mllp_forward_errors_total.
const (
	fwdConnect    = "connect"
	fwdBackoff    = "backoff" // not dialed: waiting after a failure
	fwdWrite      = "write"
	fwdRead       = "read"
	fwdAckTimeout = "ack_timeout"
)

// An outcome is what became of one forwarded message.
type outcome struct {
	result string
	code   hl7v2.AckCode // MSA-1 of the legacy ACK, if one came
	ack    []byte        // the legacy ACK as received, if one came
}

// accepted reports whether the legacy engine accepted the message.
func (o outcome) accepted() bool { return o.result == resultAccepted }

// An item is a stored message waiting to be forwarded.
type item struct {
	id      string        // envelope id, for logs
	control string        // MSH-10; the ACK's MSA-2 must echo it
	accept  hl7v2.AckType // MSH-15
	payload []byte
}

// A forwarder relays messages to the legacy engine. Its dial backoff is
// shared by all connections, so an engine that is down is not hammered
// (and, in passthrough, senders get their AE at once instead of after a
// connect timeout each).
type forwarder struct {
	cfg Forward
	log *slog.Logger
	m   *forwardMetrics

	mu       sync.Mutex
	failures int       // consecutive failed dials
	retryAt  time.Time // no dial before then

	queue chan item     // tee
	done  chan struct{} // closed when the tee worker ends
}

func newForwarder(cfg Forward, log *slog.Logger, reg prometheus.Registerer, source string) (*forwarder, error) {
	m, err := newForwardMetrics(reg, source)
	if err != nil {
		return nil, fmt.Errorf("mllp: metrics: %w", err)
	}
	f := &forwarder{cfg: cfg, log: log.With(slog.String("forward_to", cfg.Addr), slog.String("forward_mode", string(cfg.Mode))), m: m}
	if cfg.Mode == ForwardTee {
		f.queue = make(chan item, cfg.QueueSize)
		f.done = make(chan struct{})
	}
	return f, nil
}

// failed records a failed dial: no dial is allowed for a backoff that
// doubles with each consecutive failure.
func (f *forwarder) failed() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures++
	f.retryAt = time.Now().Add(f.backoff(f.failures))
}

// backoff returns the wait after n consecutive failures: exponential from
// MinBackoff, capped at MaxBackoff, with jitter so that many connections
// do not retry in step.
func (f *forwarder) backoff(n int) time.Duration {
	d := f.cfg.MinBackoff
	for i := 1; i < n && d < f.cfg.MaxBackoff; i++ {
		d *= 2 // no overflow: d stays below 2*MaxBackoff
	}
	d = min(d, f.cfg.MaxBackoff)
	return d/2 + rand.N(d/2+1)
}

func (f *forwarder) succeeded() {
	f.mu.Lock()
	f.failures, f.retryAt = 0, time.Time{}
	f.mu.Unlock()
}

// wait returns how long until a dial is allowed.
func (f *forwarder) wait() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return time.Until(f.retryAt)
}

// Errors of an attempt that the caller handles apart.
var (
	errBackoff    = errors.New("mllp: forward: waiting before reconnecting to an engine that failed")
	errAckTimeout = errors.New("mllp: forward: no ACK in time")
)

// A link is one connection to the legacy engine, dialed when needed and
// redialed after a failure. It is not safe for concurrent use: each
// upstream connection (passthrough) or the tee worker has its own.
type link struct {
	f      *forwarder
	nc     net.Conn
	framer *Framer
	used   bool // an exchange succeeded on nc
	// strays are the control ids of NE messages sent on nc: an engine
	// that acknowledges them anyway is not out of step.
	strays []string
}

func (l *link) close() {
	if l.nc != nil {
		_ = l.nc.Close()
		l.nc, l.framer, l.used, l.strays = nil, nil, false, nil
	}
}

func (l *link) dial(ctx context.Context) error {
	if l.f.wait() > 0 {
		l.f.m.error(fwdBackoff)
		return errBackoff
	}
	ctx, cancel := context.WithTimeout(ctx, l.f.cfg.ConnectTimeout)
	defer cancel()
	var (
		nc  net.Conn
		err error
	)
	if l.f.cfg.TLS != nil {
		d := tls.Dialer{Config: l.f.cfg.TLS}
		nc, err = d.DialContext(ctx, "tcp", l.f.cfg.Addr)
	} else {
		var d net.Dialer
		nc, err = d.DialContext(ctx, "tcp", l.f.cfg.Addr)
	}
	if err != nil {
		l.f.m.error(fwdConnect)
		l.f.failed()
		return fmt.Errorf("mllp: forward: connect: %w", err)
	}
	l.f.succeeded()
	l.nc, l.framer = nc, NewFramer(nc, DefaultMaxFrameSize)
	return nil
}

// send forwards it and reads the legacy engine's answer. It returns an
// error when the message may not have reached the engine (retry it);
// otherwise the outcome, whatever the engine said.
func (l *link) send(ctx context.Context, it item) (outcome, error) {
	if l.nc == nil {
		if err := l.dial(ctx); err != nil {
			return outcome{}, err
		}
	}
	start := time.Now()
	deadline := start.Add(l.f.cfg.AckTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = l.nc.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = l.nc.SetDeadline(time.Now()) })
	defer stop()
	if _, err := l.nc.Write(AppendFrame(make([]byte, 0, len(it.payload)+3), it.payload)); err != nil {
		l.f.m.error(fwdWrite)
		l.close()
		return outcome{}, fmt.Errorf("mllp: forward: write: %w", err)
	}
	if it.accept == hl7v2.AckNever {
		// The engine should not answer; reading would stall the link.
		l.used = true
		if len(l.strays) < 16 {
			l.strays = append(l.strays, it.control)
		}
		return outcome{result: resultNoAck}, nil
	}
	raw, err := l.next()
	l.f.m.observe(time.Since(start).Seconds())
	if err != nil {
		timeout := isTimeoutErr(err)
		l.close() // a late ACK would be read as the next message's
		switch {
		case timeout && it.accept == hl7v2.AckOnError:
			// Silence is an answer here: ER is silent on success...
			return outcome{result: resultNoAck, code: hl7v2.CommitAccept}, nil
		case timeout && it.accept == hl7v2.AckOnSuccess:
			// ...and SU on failure.
			return outcome{result: resultNoAck, code: hl7v2.CommitError}, nil
		case timeout:
			l.f.m.error(fwdAckTimeout)
			return outcome{}, fmt.Errorf("%w (%v)", errAckTimeout, l.f.cfg.AckTimeout)
		}
		l.f.m.error(fwdRead)
		return outcome{}, fmt.Errorf("mllp: forward: read ACK: %w", err)
	}
	l.used = true
	return classify(raw, it.control, l), nil
}

// next reads the next frame that is not an ACK of an NE message.
func (l *link) next() ([]byte, error) {
	for {
		raw, err := l.framer.Next()
		if err != nil || len(l.strays) == 0 {
			return raw, err
		}
		ack, perr := hl7v2.Parse(raw)
		if perr != nil {
			return raw, nil
		}
		i := slices.Index(l.strays, strings.TrimSpace(ack.Get("MSA-2")))
		if i < 0 {
			return raw, nil
		}
		l.strays = slices.Delete(l.strays, 0, i+1) // ACKs come in order: earlier strays are not coming
	}
}

// classify checks the legacy ACK: it must parse, carry an MSA whose MSA-2
// echoes the message's MSH-10, and an MSA-1 of table 0008.
func classify(raw []byte, control string, l *link) outcome {
	out := outcome{result: resultInvalidAck, ack: raw}
	ack, err := hl7v2.Parse(raw)
	if err != nil || ack.Segment("MSA") == nil {
		return out
	}
	if strings.TrimSpace(ack.Get("MSA-2")) != control {
		// Out of step with the engine (a late ACK, or one for another
		// message): start over on a new connection.
		l.close()
		return out
	}
	out.code = hl7v2.AckCode(strings.ToUpper(strings.TrimSpace(ack.Get("MSA-1"))))
	switch out.code {
	case hl7v2.AckAccept, hl7v2.CommitAccept:
		out.result = resultAccepted
	case hl7v2.AckError, hl7v2.CommitError:
		out.result = resultError
	case hl7v2.AckReject, hl7v2.CommitReject:
		out.result = resultRejected
	}
	return out
}

func isTimeoutErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// exchange sends it once, and once more at once if a connection that had
// worked turns out to be broken (the engine closed it while idle).
func (l *link) exchange(ctx context.Context, it item) (outcome, error) {
	reused := l.nc != nil && l.used
	out, err := l.send(ctx, it)
	if err != nil && reused && ctx.Err() == nil && !errors.Is(err, errAckTimeout) {
		out, err = l.send(ctx, it)
	}
	return out, err
}

// record counts and logs an outcome; never the content of message or ACK.
func (f *forwarder) record(ctx context.Context, it item, out outcome) {
	f.m.result(out.result)
	if out.result == resultAccepted || out.result == resultNoAck {
		return
	}
	f.log.LogAttrs(ctx, slog.LevelWarn, "mllp legacy engine did not accept a forwarded message",
		slog.String("envelope_id", it.id), slog.String("result", out.result), slog.String("ack", string(out.code)))
}

// enqueue hands a stored message to the tee worker without waiting.
func (f *forwarder) enqueue(ctx context.Context, it item) {
	select {
	case f.queue <- it:
		f.m.queued(1)
	default:
		f.m.result(resultDropped)
		f.log.LogAttrs(ctx, slog.LevelError, "mllp forward queue full; message stored but not forwarded",
			slog.String("envelope_id", it.id), slog.Int("queue_size", f.cfg.QueueSize))
	}
}

// runTee forwards queued messages in order over one connection until the
// queue is closed and drained, or ctx is done. A message is retried, with
// backoff, until the engine answers it; nothing behind it overtakes it.
func (f *forwarder) runTee(ctx context.Context) {
	defer close(f.done)
	l := &link{f: f}
	defer l.close()
	for it := range f.queue {
		f.m.queued(-1)
		for attempt := 1; ; attempt++ {
			out, err := l.exchange(ctx, it)
			if err == nil {
				f.record(ctx, it, out)
				break
			}
			if ctx.Err() != nil {
				f.dropRest(ctx, it)
				return
			}
			wait := max(f.wait(), f.backoff(attempt))
			if !errors.Is(err, errBackoff) {
				f.log.LogAttrs(ctx, slog.LevelWarn, "mllp forward failed; will retry",
					slog.String("envelope_id", it.id), slog.Int("attempt", attempt),
					slog.String("error", err.Error()), slog.Duration("backoff", wait))
			}
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				f.dropRest(ctx, it)
				return
			}
		}
	}
}

// dropRest counts the message in hand and everything still queued as not
// forwarded, logging the first and last envelope ids so the range can be
// replayed from the raw topic. The queue is closed by then (see
// [Listener.Run]).
func (f *forwarder) dropRest(ctx context.Context, first item) {
	n, last := 1, first.id
	for it := range f.queue {
		f.m.queued(-1)
		n++
		last = it.id
	}
	f.m.resultN(resultDropped, n)
	f.log.LogAttrs(ctx, slog.LevelError, "mllp shutdown before queued messages were forwarded",
		slog.Int("messages", n), slog.String("first_envelope_id", first.id), slog.String("last_envelope_id", last))
}

// forwardMetrics are the forwarder's collectors; a nil one records
// nothing.
type forwardMetrics struct {
	results  *prometheus.CounterVec
	errors   *prometheus.CounterVec
	queue    prometheus.Gauge
	duration prometheus.Histogram
	disagree prometheus.Counter
}

func newForwardMetrics(reg prometheus.Registerer, source string) (*forwardMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	reg = prometheus.WrapRegistererWith(prometheus.Labels{"source": source}, reg)
	m := &forwardMetrics{
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_mllp_forward_total",
			Help: "Messages forwarded to the legacy engine, by result: accepted, error, rejected, invalid_ack, no_ack, failed, dropped.",
		}, []string{"result"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_mllp_forward_errors_total",
			Help: "Failed attempts to reach the legacy engine, by kind: connect, backoff, write, read, ack_timeout.",
		}, []string{"kind"}),
		queue: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tributary_mllp_forward_queue_length",
			Help: "Stored messages waiting to be forwarded (tee mode).",
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tributary_mllp_forward_ack_duration_seconds",
			Help:    "Time from writing a message to the legacy engine to reading its ACK.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		disagree: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_mllp_forward_disagreements_total",
			Help: "Passthrough: messages the legacy engine accepted and Tributary would not have, or the reverse.",
		}),
	}
	var err error
	if m.results, err = register(reg, m.results); err != nil {
		return nil, err
	}
	if m.errors, err = register(reg, m.errors); err != nil {
		return nil, err
	}
	if m.queue, err = register(reg, m.queue); err != nil {
		return nil, err
	}
	if m.duration, err = register(reg, m.duration); err != nil {
		return nil, err
	}
	if m.disagree, err = register(reg, m.disagree); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *forwardMetrics) result(r string) { m.resultN(r, 1) }

func (m *forwardMetrics) resultN(r string, n int) {
	if m != nil {
		m.results.WithLabelValues(r).Add(float64(n))
	}
}

func (m *forwardMetrics) error(kind string) {
	if m != nil {
		m.errors.WithLabelValues(kind).Inc()
	}
}

func (m *forwardMetrics) queued(delta float64) {
	if m != nil {
		m.queue.Add(delta)
	}
}

func (m *forwardMetrics) observe(seconds float64) {
	if m != nil {
		m.duration.Observe(seconds)
	}
}

func (m *forwardMetrics) disagreement() {
	if m != nil {
		m.disagree.Inc()
	}
}
