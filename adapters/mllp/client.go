package mllp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// A Client sends messages over one MLLP connection and reads their
// acknowledgments, one at a time. It is what tests, the demo mode and
// benchmarks use to talk to a [Listener]; it is safe for concurrent use
// (sends are serialized).
type Client struct {
	mu     sync.Mutex
	conn   net.Conn
	framer *Framer
	broken error
}

// Dial connects to an MLLP listener at addr, over TLS when tlsConfig is
// set.
func Dial(ctx context.Context, addr string, tlsConfig *tls.Config) (*Client, error) {
	var (
		conn net.Conn
		err  error
	)
	if tlsConfig != nil {
		d := tls.Dialer{Config: tlsConfig}
		conn, err = d.DialContext(ctx, "tcp", addr)
	} else {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("mllp: dial: %w", err)
	}
	return &Client{conn: conn, framer: NewFramer(conn, DefaultMaxFrameSize)}, nil
}

// Send frames and writes msg, then reads one frame and returns it: the
// acknowledgment. It gives up when ctx is done. After an error the
// connection's state is unknown (an acknowledgment may still be on its
// way), so every later Send fails: close the client and dial again.
func (c *Client) Send(ctx context.Context, msg []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return nil, fmt.Errorf("mllp: send: connection unusable after an earlier error: %w", c.broken)
	}
	dl, _ := ctx.Deadline()
	if err := c.conn.SetDeadline(dl); err != nil {
		return nil, c.fail(ctx, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Now()) })
	defer stop()
	if _, err := c.conn.Write(AppendFrame(make([]byte, 0, len(msg)+3), msg)); err != nil {
		return nil, c.fail(ctx, err)
	}
	ack, err := c.framer.Next()
	if err != nil {
		return nil, c.fail(ctx, err)
	}
	return ack, nil
}

func (c *Client) fail(ctx context.Context, err error) error {
	ctxErr := ctx.Err()
	var ne net.Error
	if dl, ok := ctx.Deadline(); ctxErr == nil && ok && !time.Now().Before(dl) && errors.As(err, &ne) && ne.Timeout() {
		ctxErr = context.DeadlineExceeded // the connection's deadline fired before ctx's timer
	}
	if ctxErr != nil {
		err = errors.Join(ctxErr, err)
	}
	c.broken = err
	return fmt.Errorf("mllp: send: %w", err)
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// LocalAddr returns the client's end of the connection.
func (c *Client) LocalAddr() net.Addr { return c.conn.LocalAddr() }
