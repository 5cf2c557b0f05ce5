package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/adapters/mllp"
)

// forwardOptions are the flags of MLLP forwarding to a legacy engine.
type forwardOptions struct {
	addr           string
	mode           string
	useTLS         bool
	tlsCA          string
	tlsCert        string
	tlsKey         string
	tlsServerName  string
	connectTimeout time.Duration
	ackTimeout     time.Duration
	queueSize      int
	unreachable    string
}

func (o *forwardOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.addr, "forward-addr", "", "relay every stored MLLP message to this legacy engine's MLLP address, host:port (off when empty)")
	fs.StringVar(&o.mode, "forward-mode", "tee", "tee: Tributary answers senders, copies go to the legacy engine asynchronously; passthrough: senders get the legacy engine's ACK (after Kafka has the message)")
	fs.BoolVar(&o.useTLS, "forward-tls", false, "connect to --forward-addr with TLS (implied by the other --forward-tls-* flags)")
	fs.StringVar(&o.tlsCA, "forward-tls-ca", "", "PEM file of the CA certificates that sign the legacy engine's certificate (default: the system's)")
	fs.StringVar(&o.tlsCert, "forward-tls-cert", "", "PEM client certificate for mutual TLS with the legacy engine, with --forward-tls-key")
	fs.StringVar(&o.tlsKey, "forward-tls-key", "", "PEM private key for --forward-tls-cert")
	fs.StringVar(&o.tlsServerName, "forward-tls-server-name", "", "name to verify the legacy engine's certificate against (default: the host of --forward-addr)")
	fs.DurationVar(&o.connectTimeout, "forward-connect-timeout", mllp.DefaultForwardConnectTimeout, "time allowed to connect to the legacy engine, TLS handshake included")
	fs.DurationVar(&o.ackTimeout, "forward-ack-timeout", mllp.DefaultForwardAckTimeout, "time allowed for the legacy engine's ACK to a forwarded message")
	fs.IntVar(&o.queueSize, "forward-queue-size", mllp.DefaultForwardQueueSize, "tee: messages that may wait to be forwarded; beyond it copies are dropped (counted), never the message")
	fs.StringVar(&o.unreachable, "forward-unreachable-ack", "AE", "passthrough: MSA-1 answered when the legacy engine cannot be reached or answers with an invalid ACK: AE (the sender resends) or AR")
}

// forward returns the listener's forwarding configuration, or nil when
// --forward-addr is empty.
func (o *forwardOptions) forward() (*mllp.Forward, error) {
	if o.addr == "" {
		return nil, nil
	}
	mode, err := mllp.ParseForwardMode(o.mode)
	if err != nil {
		return nil, usageError{fmt.Errorf("--forward-mode: %w", err)}
	}
	code := hl7v2.AckCode(strings.ToUpper(strings.TrimSpace(o.unreachable)))
	if code != hl7v2.AckError && code != hl7v2.AckReject {
		return nil, usageError{fmt.Errorf("--forward-unreachable-ack: want AE or AR, got %q", o.unreachable)}
	}
	f := &mllp.Forward{
		Addr:           o.addr,
		Mode:           mode,
		ConnectTimeout: o.connectTimeout,
		AckTimeout:     o.ackTimeout,
		QueueSize:      o.queueSize,
		Unreachable:    code,
	}
	if o.useTLS || o.tlsCA != "" || o.tlsCert != "" || o.tlsKey != "" || o.tlsServerName != "" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.tlsServerName}
		if o.tlsCA != "" {
			pem, err := os.ReadFile(o.tlsCA)
			if err != nil {
				return nil, fmt.Errorf("--forward-tls-ca: %w", err)
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("--forward-tls-ca: no PEM certificate in %s", o.tlsCA)
			}
		}
		if o.tlsCert != "" || o.tlsKey != "" {
			if o.tlsCert == "" || o.tlsKey == "" {
				return nil, usageError{errors.New("--forward-tls-cert and --forward-tls-key go together")}
			}
			cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
			if err != nil {
				return nil, fmt.Errorf("--forward-tls-cert: %w", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		f.TLS = cfg
	}
	return f, nil
}
