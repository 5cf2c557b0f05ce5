package mllp

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Error kinds, the values of the "kind" label of
// tributary_mllp_errors_total. Labels never hold message content.
const (
	kindParse           = "parse"            // a frame that did not parse (answered AR)
	kindCheck           = "check"            // Config.Check rejected a message
	kindEmit            = "emit"             // emit failed (answered AE)
	kindFrameTooLarge   = "frame_too_large"  // connection closed
	kindReadTimeout     = "read_timeout"     // a frame did not complete in time
	kindIdleTimeout     = "idle_timeout"     // no frame started in time
	kindRead            = "read"             // other read errors
	kindWrite           = "write"            // an ACK could not be written
	kindTLS             = "tls_handshake"    // TLS handshake failed
	kindConnectionLimit = "connection_limit" // a connection over MaxConnections was closed
	kindAccept          = "accept"           // Accept failed (retried)
)

// metrics are the listener's Prometheus collectors; a nil *metrics
// records nothing.
type metrics struct {
	frames      prometheus.Counter
	acks        *prometheus.CounterVec
	errors      *prometheus.CounterVec
	skipped     prometheus.Counter
	connections prometheus.Gauge
	emit        prometheus.Histogram
}

// newMetrics registers the collectors with reg, labelled with the source
// name so several listeners can share a registry. Collectors already
// registered by a listener of the same source are reused.
func newMetrics(reg prometheus.Registerer, source string) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	reg = prometheus.WrapRegistererWith(prometheus.Labels{"source": source}, reg)
	m := &metrics{
		frames: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_mllp_frames_total",
			Help: "MLLP frames received, whether or not they parsed.",
		}),
		acks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_mllp_acks_total",
			Help: "Acknowledgments sent (or attempted, see errors kind=write), by MSA-1 code.",
		}, []string{"code"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_mllp_errors_total",
			Help: "Problems with frames and connections, by kind.",
		}, []string{"kind"}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tributary_mllp_skipped_bytes_total",
			Help: "Bytes received outside MLLP frames, or in frames that were dropped.",
		}),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tributary_mllp_connections",
			Help: "Open connections.",
		}),
		emit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tributary_mllp_emit_duration_seconds",
			Help:    "Time to hand a message to the pipeline (until Kafka acknowledged it).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
	}
	var err error
	if m.frames, err = register(reg, m.frames); err != nil {
		return nil, err
	}
	if m.acks, err = register(reg, m.acks); err != nil {
		return nil, err
	}
	if m.errors, err = register(reg, m.errors); err != nil {
		return nil, err
	}
	if m.skipped, err = register(reg, m.skipped); err != nil {
		return nil, err
	}
	if m.connections, err = register(reg, m.connections); err != nil {
		return nil, err
	}
	if m.emit, err = register(reg, m.emit); err != nil {
		return nil, err
	}
	return m, nil
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

func (m *metrics) frame() {
	if m != nil {
		m.frames.Inc()
	}
}

func (m *metrics) ack(code string) {
	if m != nil {
		m.acks.WithLabelValues(code).Inc()
	}
}

func (m *metrics) error(kind string) {
	if m != nil {
		m.errors.WithLabelValues(kind).Inc()
	}
}

func (m *metrics) skip(n int64) {
	if m != nil && n > 0 {
		m.skipped.Add(float64(n))
	}
}

func (m *metrics) conn(delta float64) {
	if m != nil {
		m.connections.Add(delta)
	}
}

func (m *metrics) emitted(seconds float64) {
	if m != nil {
		m.emit.Observe(seconds)
	}
}
