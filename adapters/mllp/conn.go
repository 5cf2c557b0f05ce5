package mllp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tributary-health/tributary/adapters"
	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/event"
)

// A conn is one accepted connection, served by one goroutine: frames are
// read, emitted and answered strictly in order.
type conn struct {
	l      *Listener
	nc     net.Conn
	remote string
	link   *link // passthrough: this connection's own link to the legacy engine

	mu       sync.Mutex
	inFrame  bool // a frame started and is not answered yet
	closing  bool
	deadline time.Time // of shutdown, once closing
}

// idle prepares for the next frame: the idle deadline applies until a
// start block arrives. It reports false when the listener is shutting
// down, which ends the connection.
func (c *conn) idle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	c.inFrame = false
	var d time.Time
	if c.l.cfg.IdleTimeout > 0 {
		d = time.Now().Add(c.l.cfg.IdleTimeout)
	}
	_ = c.nc.SetReadDeadline(d)
	return true
}

// frameStarted runs when a start block arrives: the frame must complete
// within ReadTimeout (and before the shutdown deadline, if closing).
func (c *conn) frameStarted() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFrame = true
	d := time.Now().Add(c.l.cfg.ReadTimeout)
	if c.closing && c.deadline.Before(d) {
		d = c.deadline
	}
	_ = c.nc.SetReadDeadline(d)
}

// shutdown asks the connection to end after the message in flight, if
// any; an idle connection is woken at once.
func (c *conn) shutdown(deadline time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closing, c.deadline = true, deadline
	if c.inFrame {
		_ = c.nc.SetReadDeadline(deadline)
	} else {
		_ = c.nc.SetReadDeadline(time.Now())
	}
}

func (c *conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

func (c *conn) log(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	c.l.log.LogAttrs(ctx, level, msg, append(attrs, slog.String("remote", c.remote))...)
}

// serve reads frames until the connection ends.
func (c *conn) serve(ctx context.Context, emit adapters.Emit) {
	defer c.l.remove(c)
	defer c.nc.Close()
	defer func() {
		if c.link != nil {
			c.link.close()
		}
	}()
	cfg := &c.l.cfg
	c.log(ctx, slog.LevelDebug, "mllp connection opened")
	if tc, ok := c.nc.(*tls.Conn); ok {
		_ = tc.SetDeadline(time.Now().Add(cfg.ReadTimeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			c.l.metrics.error(kindTLS)
			c.log(ctx, slog.LevelWarn, "mllp TLS handshake failed", slog.String("error", err.Error()))
			return
		}
		_ = tc.SetDeadline(time.Time{})
	}
	f := NewFramer(c.nc, cfg.MaxFrameSize)
	f.onStart = c.frameStarted
	var skipped int64
	for c.idle() {
		payload, err := f.Next()
		if n := f.Skipped(); n > skipped {
			c.l.metrics.skip(n - skipped)
			// Debug: some senders put a newline between frames.
			c.log(ctx, slog.LevelDebug, "mllp bytes outside frames skipped", slog.Int64("bytes", n-skipped))
			skipped = n
		}
		if err != nil {
			c.readFailed(ctx, payload, err)
			return
		}
		if !c.handle(ctx, emit, payload) {
			return
		}
	}
	c.log(ctx, slog.LevelDebug, "mllp connection closed for shutdown")
}

// readFailed handles the end of reading: the stream ended, a timeout, a
// frame too large (answered), or another error.
func (c *conn) readFailed(ctx context.Context, head []byte, err error) {
	switch {
	case errors.Is(err, io.EOF):
		c.log(ctx, slog.LevelDebug, "mllp connection closed by peer")
	case errors.Is(err, ErrFrameTooLarge):
		c.l.metrics.frame()
		c.l.metrics.error(kindFrameTooLarge)
		c.log(ctx, slog.LevelWarn, "mllp frame too large; rejected, connection closed", slog.Int("max_bytes", c.l.cfg.MaxFrameSize))
		hdr, _ := hl7v2.ParseHeader(head)
		c.answer(ctx, hdr, hl7v2.AckReject, c.l.cfg.Now(), &hl7v2.Error{
			Code:    hl7v2.CodeApplicationInternal,
			Message: "message exceeds the maximum size of " + strconv.Itoa(c.l.cfg.MaxFrameSize) + " bytes; not stored",
		})
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.mu.Lock()
		inFrame, closing := c.inFrame, c.closing
		c.mu.Unlock()
		switch {
		case inFrame:
			c.l.metrics.error(kindReadTimeout)
			c.log(ctx, slog.LevelWarn, "mllp frame incomplete within the read timeout; connection closed")
		case closing:
			c.log(ctx, slog.LevelDebug, "mllp connection closed for shutdown")
		default:
			c.l.metrics.error(kindIdleTimeout)
			c.log(ctx, slog.LevelInfo, "mllp connection idle; closed")
		}
	case errors.Is(err, io.ErrUnexpectedEOF):
		c.l.metrics.error(kindRead)
		c.log(ctx, slog.LevelWarn, "mllp connection closed inside a frame")
	default:
		if !c.isClosing() {
			c.l.metrics.error(kindRead)
			c.log(ctx, slog.LevelWarn, "mllp read failed", slog.String("error", err.Error()))
		}
	}
}

// handle emits one message and answers it. It reports whether the
// connection can go on.
func (c *conn) handle(ctx context.Context, emit adapters.Emit, payload []byte) bool {
	cfg := &c.l.cfg
	c.l.metrics.frame()
	now := cfg.Now()
	m, perr := hl7v2.Parse(payload)
	hdr := m
	if perr != nil {
		hdr, _ = hl7v2.ParseHeader(payload) // nil if there is no MSH at all
	}
	env := envelope(hdr, payload, now, cfg.Source, c.remote)
	attrs := []slog.Attr{slog.String("envelope_id", env.ID), slog.String("kind", env.Kind), slog.Int("bytes", len(payload))}

	start := time.Now()
	eerr := emit(ctx, env)
	c.l.metrics.emitted(time.Since(start).Seconds())

	var (
		code hl7v2.AckCode
		errs []error
	)
	switch {
	case eerr != nil:
		c.l.metrics.error(kindEmit)
		c.log(ctx, slog.LevelError, "mllp emit failed; message not stored", append(attrs, slog.String("error", eerr.Error()))...)
		code = hl7v2.AckError
		errs = []error{&hl7v2.Error{Code: hl7v2.CodeApplicationInternal, Message: "message not stored; resend it"}}
	case perr != nil:
		c.l.metrics.error(kindParse)
		c.log(ctx, slog.LevelWarn, "mllp message does not parse; rejecting", append(attrs, slog.String("error", perr.Error()))...)
		code, errs = hl7v2.AckReject, []error{perr}
	case cfg.Check != nil:
		if cerr := check(cfg.Check, m); cerr != nil {
			c.l.metrics.error(kindCheck)
			code = hl7v2.AckError
			e, coded := hl7v2.AsError(cerr)
			if coded && e.Code >= hl7v2.CodeUnsupportedMessageType && e.Code <= hl7v2.CodeUnsupportedVersionID {
				code = hl7v2.AckReject
			}
			reason := slog.String("error", fmt.Sprintf("%T", cerr)) // a plain error may hold anything
			if coded {
				reason = slog.String("error", e.Error())
			}
			c.log(ctx, slog.LevelWarn, "mllp check failed", append(attrs, reason, slog.String("ack", string(code)))...)
			errs = []error{cerr}
			break
		}
		code = hl7v2.AckAccept
	default:
		code = hl7v2.AckAccept
	}
	if code == hl7v2.AckAccept {
		c.log(ctx, slog.LevelDebug, "mllp message stored", attrs...)
	}
	// Only a stored message is forwarded: one that is not will be resent.
	if fwd := c.l.fwd; fwd != nil && eerr == nil {
		it := item{id: env.ID, control: hdr.ControlID(), accept: hdr.AcceptAckType(), payload: payload}
		if fwd.cfg.Mode == ForwardPassthrough {
			return c.relay(ctx, it, hdr, code, now)
		}
		fwd.enqueue(ctx, it)
	}
	return c.acknowledge(ctx, hdr, code, eerr == nil, now, errs...)
}

// acknowledge answers a received message. In enhanced mode with both
// MSH-15 and MSH-16 valued, the commit acknowledgment says only that the
// message is stored (CA, or CE when Kafka did not take it), and the
// application acknowledgment (AA, AE, AR, as MSH-16 asks) follows on the
// same connection with the verdict of Check. Otherwise one acknowledgment
// carries both (see answer).
func (c *conn) acknowledge(ctx context.Context, hdr *hl7v2.Message, code hl7v2.AckCode, stored bool, now time.Time, errs ...error) bool {
	app := hdr.ApplicationAckType()
	if hdr.AcceptAckType() == "" || app == "" || !stored {
		return c.answer(ctx, hdr, code, now, errs...)
	}
	if !c.answer(ctx, hdr, hl7v2.AckAccept, now) {
		return false
	}
	switch app {
	case hl7v2.AckNever:
		return true
	case hl7v2.AckOnError:
		if code == hl7v2.AckAccept {
			return true
		}
	case hl7v2.AckOnSuccess:
		if code != hl7v2.AckAccept {
			return true
		}
	}
	return c.write(ctx, hl7v2.NewACK(hdr, code, now, errs...), code)
}

// relay forwards a stored message to the legacy engine and answers the
// sender with the engine's ACK, unmodified, or with Forward.Unreachable
// when the engine cannot be reached or answers with an invalid ACK. own
// is what Tributary would have answered; it only feeds a metric. It
// reports whether the connection can go on.
func (c *conn) relay(ctx context.Context, it item, hdr *hl7v2.Message, own hl7v2.AckCode, now time.Time) bool {
	fwd := c.l.fwd
	if c.link == nil {
		c.link = &link{f: fwd}
	}
	out, err := c.link.exchange(ctx, it)
	if err != nil {
		fwd.m.result(resultFailed)
		c.log(ctx, slog.LevelWarn, "mllp legacy engine unreachable; message stored, answering "+string(fwd.cfg.Unreachable),
			slog.String("envelope_id", it.id), slog.String("error", err.Error()))
		return c.answer(ctx, hdr, fwd.cfg.Unreachable, now, &hl7v2.Error{
			Code: hl7v2.CodeApplicationInternal, Message: "message stored but not delivered to the downstream system",
		})
	}
	fwd.record(ctx, it, out)
	if out.result == resultInvalidAck {
		return c.answer(ctx, hdr, fwd.cfg.Unreachable, now, &hl7v2.Error{
			Code: hl7v2.CodeApplicationInternal, Message: "message stored, but the downstream system's acknowledgment is invalid",
		})
	}
	if out.result != resultNoAck && (own == hl7v2.AckAccept) != out.accepted() {
		fwd.m.disagreement()
	}
	if out.ack == nil {
		return true // the engine sent nothing (as MSH-15 allows); neither do we
	}
	c.l.metrics.ack(string(out.code))
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.l.cfg.ReadTimeout))
	if _, err := c.nc.Write(AppendFrame(make([]byte, 0, len(out.ack)+3), out.ack)); err != nil {
		c.l.metrics.error(kindWrite)
		c.log(ctx, slog.LevelWarn, "mllp ACK write failed", slog.String("ack", string(out.code)), slog.String("error", err.Error()))
		return false
	}
	return true
}

// check runs Config.Check, turning a panic into an error.
func check(fn func(*hl7v2.Message) error, m *hl7v2.Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("mllp: check panicked")
		}
	}()
	return fn(m)
}

// answer sends the acknowledgment of hdr (which may be nil), applying the
// enhanced mode rules of MSH-15; it reports whether the connection can go
// on.
func (c *conn) answer(ctx context.Context, hdr *hl7v2.Message, code hl7v2.AckCode, now time.Time, errs ...error) bool {
	if accept := hdr.AcceptAckType(); accept != "" {
		code = code.Commit()
		switch accept {
		case hl7v2.AckNever:
			return true
		case hl7v2.AckOnError:
			if code == hl7v2.CommitAccept {
				return true
			}
		case hl7v2.AckOnSuccess:
			if code != hl7v2.CommitAccept {
				return true
			}
		}
	}
	return c.write(ctx, hl7v2.NewACK(hdr, code, now, errs...), code)
}

// write sends one acknowledgment; it reports whether the connection can
// go on.
func (c *conn) write(ctx context.Context, ackMsg *hl7v2.Message, code hl7v2.AckCode) bool {
	ack := hl7v2.Encode(ackMsg)
	c.l.metrics.ack(string(code)) // before the write, so it is counted when the sender sees it
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.l.cfg.ReadTimeout))
	if _, err := c.nc.Write(AppendFrame(make([]byte, 0, len(ack)+3), ack)); err != nil {
		c.l.metrics.error(kindWrite)
		c.log(ctx, slog.LevelWarn, "mllp ACK write failed", slog.String("ack", string(code)), slog.String("error", err.Error()))
		return false
	}
	return true
}

// envelope builds the envelope of a received frame. hdr is the parsed
// message or what of its MSH could be recovered, or nil.
func envelope(hdr *hl7v2.Message, payload []byte, now time.Time, source, remote string) event.Envelope {
	t := hdr.Type()
	return event.Envelope{
		ID:       event.NewID(now),
		Format:   event.FormatHL7v2,
		Kind:     t.String(),
		Received: now.UTC(),
		Source:   source,
		Key:      partitionKey(hdr),
		Attrs: map[string]string{
			"msh-9":  strings.TrimRight(t.Code+"^"+t.Trigger+"^"+t.Structure, "^"),
			"msh-10": hdr.ControlID(),
			"msh-12": hdr.Version(),
			"remote": remote,
		},
		Payload: payload,
	}
}

// partitionKey names the sending system: MSH-4 (namespace id, else
// universal id), else MSH-3, else "". Never a patient identifier.
func partitionKey(hdr *hl7v2.Message) string {
	if k := hdr.SendingFacility().String(); k != "" {
		return k
	}
	return hdr.SendingApplication().String()
}
