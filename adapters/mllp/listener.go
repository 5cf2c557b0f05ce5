package mllp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-health/tributary/adapters"
	"github.com/tributary-health/tributary/adapters/hl7v2"
)

// Defaults of [Config].
const (
	DefaultAddr            = ":2575" // the IANA port of HL7 over MLLP
	DefaultReadTimeout     = 30 * time.Second
	DefaultIdleTimeout     = 10 * time.Minute
	DefaultShutdownTimeout = 10 * time.Second
	DefaultMaxConnections  = 256
	DefaultSource          = "mllp"
)

// Config configures a [Listener]. The zero value of each field means its
// documented default.
type Config struct {
	// Addr is the TCP address to listen on; default [DefaultAddr]. Use
	// "127.0.0.1:0" for a free port and read it from [Listener.Addr].
	Addr string
	// MaxFrameSize is the largest message accepted, in bytes; default
	// [DefaultMaxFrameSize]. A larger one is answered AR and its
	// connection closed.
	MaxFrameSize int
	// ReadTimeout bounds a frame once its start block arrived, the TLS
	// handshake, and writing an ACK; default [DefaultReadTimeout]. A frame
	// that does not complete in time closes the connection, unanswered.
	ReadTimeout time.Duration
	// IdleTimeout closes a connection on which no frame starts for that
	// long; default [DefaultIdleTimeout]; negative means never.
	IdleTimeout time.Duration
	// ShutdownTimeout bounds graceful shutdown: how long messages in flight
	// may take to be emitted and acknowledged; default
	// [DefaultShutdownTimeout].
	ShutdownTimeout time.Duration
	// TLS, when set, makes the listener accept TLS only.
	TLS *tls.Config
	// MaxConnections caps concurrent connections; one more is closed as
	// soon as it is accepted. Default [DefaultMaxConnections]; negative
	// means no limit.
	MaxConnections int
	// Logger receives connection and message events, never message
	// content; nil discards them.
	Logger *slog.Logger
	// Now returns the time of receipt (Envelope.ID, Envelope.Received and
	// the ACK's MSH-7); default time.Now. Timeouts use the real clock.
	Now func() time.Time
	// Source names the listener in envelopes and metrics; default
	// [DefaultSource].
	Source string
	// Check, when set, validates each message that parsed, after it was
	// emitted; its error decides the ACK (see the package documentation).
	// It must be safe for concurrent use and must not keep the message.
	Check func(*hl7v2.Message) error
	// Registerer, when set, receives the listener's metrics, labelled
	// source=<Source>.
	Registerer prometheus.Registerer
	// Forward, when set, relays every stored message to a legacy engine
	// (see [Forward] and the package documentation).
	Forward *Forward
}

// withDefaults returns cfg with defaults filled in, or an error for values
// that cannot work.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.MaxFrameSize == 0 {
		cfg.MaxFrameSize = DefaultMaxFrameSize
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.MaxConnections == 0 {
		cfg.MaxConnections = DefaultMaxConnections
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Source == "" {
		cfg.Source = DefaultSource
	}
	var errs []error
	if cfg.MaxFrameSize < 0 {
		errs = append(errs, errors.New("mllp: config: MaxFrameSize is negative"))
	}
	if cfg.ReadTimeout < 0 {
		errs = append(errs, errors.New("mllp: config: ReadTimeout is negative"))
	}
	if cfg.ShutdownTimeout < 0 {
		errs = append(errs, errors.New("mllp: config: ShutdownTimeout is negative"))
	}
	if cfg.Forward != nil {
		fwd, err := cfg.Forward.withDefaults()
		errs = append(errs, err)
		cfg.Forward = &fwd // a copy: the caller's value stays as it was
	}
	return cfg, errors.Join(errs...)
}

// A Listener receives HL7 v2 messages over MLLP and hands each to the
// pipeline before acknowledging it. It implements [adapters.Source].
type Listener struct {
	cfg     Config
	ln      net.Listener
	log     *slog.Logger
	metrics *metrics
	fwd     *forwarder // nil without Config.Forward

	started  atomic.Bool
	stopping atomic.Bool
	mu       sync.Mutex
	conns    map[*conn]struct{}
	wg       sync.WaitGroup
}

var _ adapters.Source = (*Listener)(nil)

// Listen validates cfg, registers the metrics and binds cfg.Addr. Serve
// with [Listener.Run]; a listener that is never run must be closed with
// [Listener.Close].
func Listen(cfg Config) (*Listener, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer, cfg.Source)
	if err != nil {
		return nil, fmt.Errorf("mllp: metrics: %w", err)
	}
	log := cfg.Logger.With(slog.String("source", cfg.Source))
	var fwd *forwarder
	if cfg.Forward != nil {
		if fwd, err = newForwarder(*cfg.Forward, log, cfg.Registerer, cfg.Source); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("mllp: listen: %w", err)
	}
	if cfg.TLS != nil {
		ln = tls.NewListener(ln, cfg.TLS)
	}
	return &Listener{
		cfg:     cfg,
		ln:      ln,
		log:     log,
		metrics: m,
		fwd:     fwd,
		conns:   make(map[*conn]struct{}),
	}, nil
}

// Addr returns the address the listener is bound to.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Close releases the socket of a listener that is not running; Run closes
// it itself.
func (l *Listener) Close() error {
	l.stopping.Store(true)
	return l.ln.Close()
}

// Run serves connections until ctx is done, emitting each message before
// acknowledging it, then shuts down gracefully: it stops accepting, lets
// each message in flight be emitted and acknowledged (for up to
// ShutdownTimeout, after which emits are canceled and connections
// closed), closes idle connections, and returns nil. It returns an error
// if it is called twice or the listener fails.
func (l *Listener) Run(ctx context.Context, emit adapters.Emit) error {
	if emit == nil {
		return errors.New("mllp: run: nil emit")
	}
	if !l.started.CompareAndSwap(false, true) {
		return errors.New("mllp: run: already running")
	}
	// Emits outlive ctx: a message in flight at shutdown is still stored
	// and answered, until the shutdown deadline cancels this context.
	emitCtx, cancelEmits := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelEmits()
	// The tee worker likewise drains its queue after ctx is done, until
	// the shutdown deadline.
	teeCtx, cancelTee := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelTee()
	tee := l.fwd != nil && l.fwd.queue != nil
	if tee {
		go l.fwd.runTee(teeCtx)
	}

	acceptDone := make(chan error, 1)
	go func() { acceptDone <- l.accept(emitCtx, emit) }()
	var err error
	select {
	case <-ctx.Done():
		l.stopping.Store(true)
		_ = l.ln.Close()
		err = <-acceptDone
	case err = <-acceptDone:
		l.stopping.Store(true)
		_ = l.ln.Close()
	}

	deadline := time.Now().Add(l.cfg.ShutdownTimeout)
	l.mu.Lock()
	l.log.LogAttrs(ctx, slog.LevelInfo, "mllp listener stopping", slog.Int("connections", len(l.conns)))
	for c := range l.conns {
		c.shutdown(deadline)
	}
	l.mu.Unlock()

	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		l.log.LogAttrs(ctx, slog.LevelWarn, "mllp shutdown deadline passed; closing connections")
		cancelEmits()
		l.mu.Lock()
		for c := range l.conns {
			_ = c.nc.Close()
		}
		l.mu.Unlock()
		<-done
	}
	if tee {
		// No connection is left to enqueue: let the worker forward what
		// is queued, until the deadline.
		close(l.fwd.queue)
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-l.fwd.done:
		case <-t.C:
			cancelTee()
			<-l.fwd.done
		}
		t.Stop()
	}
	return err
}

// accept accepts connections until the listener is closed.
func (l *Listener) accept(ctx context.Context, emit adapters.Emit) error {
	var backoff time.Duration
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			if l.stopping.Load() && errors.Is(err, net.ErrClosed) {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("mllp: accept: %w", err)
			}
			// Anything else (too many open files, an aborted handshake)
			// passes; back off so as not to spin.
			l.metrics.error(kindAccept)
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			l.log.LogAttrs(ctx, slog.LevelError, "mllp accept failed; retrying",
				slog.String("error", err.Error()), slog.Duration("backoff", backoff))
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		c := &conn{l: l, nc: nc, remote: nc.RemoteAddr().String()}
		l.mu.Lock()
		if l.cfg.MaxConnections > 0 && len(l.conns) >= l.cfg.MaxConnections {
			l.mu.Unlock()
			l.metrics.error(kindConnectionLimit)
			l.log.LogAttrs(ctx, slog.LevelWarn, "mllp connection limit reached; closing new connection",
				slog.String("remote", c.remote), slog.Int("limit", l.cfg.MaxConnections))
			_ = nc.Close()
			continue
		}
		l.conns[c] = struct{}{}
		l.wg.Add(1)
		l.mu.Unlock()
		l.metrics.conn(1)
		go c.serve(ctx, emit)
	}
}

// remove forgets a closed connection.
func (l *Listener) remove(c *conn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
	l.metrics.conn(-1)
	l.wg.Done()
}
