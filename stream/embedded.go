package stream

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"
)

// EmbeddedConfig configures the embedded broker.
type EmbeddedConfig struct {
	// Addr is the listen address. Default 127.0.0.1:9092; port 0 picks one.
	Addr string
	// DataDir keeps topics, records, transactions and group offsets across
	// restarts. Empty keeps everything in memory.
	DataDir string
	// SyncWrites fsyncs every batch before it is acknowledged, so an
	// acknowledged message survives a power loss, not just a process crash.
	SyncWrites bool
	// Partitions is the default partition count for auto-created topics.
	Partitions int32
	Logger     *slog.Logger
}

// An Embedded is a one-broker Kafka cluster in this process (franz-go's
// kfake), speaking the real Kafka protocol over TCP, so any Kafka client
// can connect to it.
type Embedded struct {
	c *kfake.Cluster
}

// StartEmbedded starts the embedded broker.
func StartEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:9092"
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("stream: embedded broker address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("stream: embedded broker port %q: %w", portStr, err)
	}
	opts := []kfake.Opt{
		kfake.Ports(port),
		// kfake always asks for 127.0.0.1; honour the configured host.
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, net.JoinHostPort(host, portStr))
		}),
		kfake.ClusterID("tributary-embedded"),
		// Compaction and retention run on this ticker (default 1 h).
		kfake.BrokerConfigs(map[string]string{"log.cleaner.backoff.ms": "60000"}),
	}
	if cfg.Partitions > 0 {
		opts = append(opts, kfake.DefaultNumPartitions(int(cfg.Partitions)))
	}
	if cfg.DataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.DataDir))
	}
	if cfg.SyncWrites {
		opts = append(opts, kfake.SyncWrites())
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("stream: embedded broker on %s: %w", addr, err)
	}
	return &Embedded{c: c}, nil
}

// Addrs returns the broker addresses clients should use.
func (e *Embedded) Addrs() []string { return e.c.ListenAddrs() }

// Close stops the broker, flushing what it keeps to DataDir.
func (e *Embedded) Close() { e.c.Close() }
