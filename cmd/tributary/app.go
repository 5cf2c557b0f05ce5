package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tributary-health/tributary/adapters/mllp"
	"github.com/tributary-health/tributary/api"
	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir/fromv2"
	"github.com/tributary-health/tributary/fhir/labels"
	"github.com/tributary-health/tributary/identity"
	"github.com/tributary-health/tributary/pipeline"
	"github.com/tributary-health/tributary/store"
	"github.com/tributary-health/tributary/stream"
)

// stages says which parts of the pipeline a process runs.
type stages struct {
	embedded    bool // start the embedded broker
	ingest      bool // MLLP listener
	normalize   bool
	materialize bool
	serve       bool // FHIR API
}

// An app is one running Tributary process: the stages it was asked for,
// wired together. Stop it with [app.shutdown].
type app struct {
	opts *options
	st   stages
	log  *slog.Logger
	reg  *prometheus.Registry

	mapper   *fromv2.Mapper
	broker   *stream.Embedded
	scfg     stream.Config
	store    *store.Store
	producer *stream.Producer // raw envelopes (ingest) and dead letters (materialize)
	norm     *pipeline.Normalizer
	mat      *pipeline.Materializer
	listener *mllp.Listener
	httpSrv  *http.Server
	httpLn   net.Listener

	// Each running stage, in the order to stop them.
	running  []*runningStage
	stopOnce sync.Once
	failed   chan error // the first stage that stopped on its own
}

type runningStage struct {
	name   string
	cancel context.CancelFunc
	done   chan error
}

// start brings up the stages in dependency order: broker, topics, store,
// producers, normalizer and materializer, API, and intake last, so that a
// sender is only acknowledged once everything downstream is there.
func start(ctx context.Context, o *options, st stages, log *slog.Logger) (a *app, err error) {
	a = &app{opts: o, st: st, log: log, reg: prometheus.NewRegistry(), failed: make(chan error, 8)}
	a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	defer func() {
		if err != nil {
			a.shutdown(context.Background())
		}
	}()

	needKafka := st.ingest || st.normalize || st.materialize
	if st.embedded && len(o.brokers) == 0 {
		dir := o.dataDir
		if dir != "" {
			dir = filepath.Join(dir, "kafka")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return a, fmt.Errorf("data directory: %w", err)
			}
		}
		a.broker, err = stream.StartEmbedded(stream.EmbeddedConfig{Addr: o.brokerAddr, DataDir: dir, SyncWrites: o.syncWrites, Logger: log})
		if err != nil {
			return a, fmt.Errorf("%w (is another Tributary running? use --broker-addr or --brokers)", err)
		}
		o.brokers = a.broker.Addrs()
		log.Info("embedded Kafka broker started", "addr", o.brokers[0], "data_dir", dir)
	}
	if needKafka {
		if len(o.brokers) == 0 {
			return a, usageError{errors.New("--brokers is required")}
		}
		if a.scfg, err = o.streamConfig(log); err != nil {
			return a, err
		}
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = stream.EnsureTopics(tctx, a.scfg, stream.TopicSpec{Partitions: int32(o.partitions), ReplicationFactor: int16(o.replicationFactor)})
		cancel()
		if err != nil {
			return a, fmt.Errorf("kafka at %v: %w", []string(o.brokers), err)
		}
	}
	if st.materialize || st.serve || (st.normalize && o.identity) {
		if a.store, err = store.Open(ctx, store.Config{URL: o.databaseURL, Logger: log}); err != nil {
			return a, err
		}
	}
	if st.ingest || st.materialize {
		if a.producer, err = stream.NewProducer(a.scfg, event.FamilyRaw); err != nil {
			return a, err
		}
	}
	var h pipeline.HL7v2
	if st.ingest || st.normalize {
		mcfg, err := o.mapperConfig()
		if err != nil {
			return a, err
		}
		if a.mapper, err = fromv2.New(mcfg); err != nil {
			return a, err
		}
		h = pipeline.HL7v2{Mapper: a.mapper}
	}
	if st.materialize {
		a.mat, err = pipeline.NewMaterializer(pipeline.MaterializerConfig{
			Stream: a.scfg, Store: a.store, DeadLetters: a.producer, Group: o.materializeGrp, Topic: o.materializeTopic,
			Instance: o.instanceID, Logger: log, Registerer: a.reg,
		})
		if err != nil {
			return a, err
		}
		a.launch("materializer", a.mat.Run)
	}
	if st.normalize {
		ncfg, err := a.normalizerConfig(h)
		if err != nil {
			return a, err
		}
		if a.norm, err = pipeline.NewNormalizer(ncfg); err != nil {
			return a, err
		}
		a.launch("normalizer", a.norm.Run)
	}
	if st.serve {
		if err := a.startHTTP(); err != nil {
			return a, err
		}
	} else if o.adminAddr != "" {
		if err := a.startAdmin(); err != nil {
			return a, err
		}
	}
	if st.ingest {
		if err := a.startMLLP(h); err != nil {
			return a, err
		}
	}
	return a, nil
}

// normalizerConfig is the configuration of the normalizer stage, shared
// by `normalize`, `run` and `replay`: the converters of every format,
// sensitivity labels, and the identity index when it is on (a.store must
// then be open).
func (a *app) normalizerConfig(h pipeline.HL7v2) (pipeline.NormalizerConfig, error) {
	o := a.opts
	cdcConv, err := o.cdcConverter()
	if err != nil {
		return pipeline.NormalizerConfig{}, err
	}
	x12Conv, err := o.x12Converter()
	if err != nil {
		return pipeline.NormalizerConfig{}, err
	}
	labeler := labels.Default()
	a.reg.MustRegister(labeler)
	cfg := pipeline.NormalizerConfig{
		Stream:     a.scfg,
		Converters: map[event.Format]pipeline.Converter{event.FormatHL7v2: h, event.FormatCDC: cdcConv, event.FormatX12: x12Conv},
		Group:      o.normalizeGroup,
		Instance:   o.instanceID,
		Logger:     a.log,
		Registerer: a.reg,
		Labeler:    labeler,
	}
	if o.identity {
		cfg.Identity = pipeline.StoreIdentity{Store: a.store, Matcher: identity.NewMatcher(o.identityConfig)}
	}
	return cfg, nil
}

// launch runs fn as a stage until its context is cancelled by shutdown.
func (a *app) launch(name string, fn func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	rs := &runningStage{name: name, cancel: cancel, done: make(chan error, 1)}
	a.running = append(a.running, rs)
	go func() {
		err := fn(ctx)
		if ctx.Err() == nil {
			// The stage stopped by itself: that ends the process.
			if err == nil {
				err = errors.New("stopped unexpectedly")
			}
			a.failed <- fmt.Errorf("%s: %w", name, err)
		}
		rs.done <- err
	}()
}

func (a *app) startHTTP() error {
	handler, err := api.New(api.Config{
		Store:      a.store,
		Ready:      a.ready,
		Gatherer:   a.reg,
		Registerer: a.reg,
		Logger:     a.log,
		BaseURL:    a.opts.baseURL,
		Version:    version,
	})
	if err != nil {
		return err
	}
	if a.st.ingest {
		if handler, err = a.withX12(handler); err != nil {
			return err
		}
	}
	return a.listenHTTP(a.opts.httpAddr, handler, "FHIR API listening")
}

func (a *app) listenHTTP(addr string, handler http.Handler, msg string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	a.httpLn = ln
	a.httpSrv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	a.launch("http", func(ctx context.Context) error {
		errc := make(chan error, 1)
		go func() { errc <- a.httpSrv.Serve(ln) }()
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return a.httpSrv.Shutdown(sctx)
		}
	})
	a.log.Info(msg, "addr", "http://"+ln.Addr().String())
	return nil
}

func (a *app) startAdmin() error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := a.ready(ctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{}))
	return a.listenHTTP(a.opts.adminAddr, mux, "admin endpoints listening")
}

func (a *app) startMLLP(h pipeline.HL7v2) error {
	var tlsCfg *tls.Config
	if a.opts.mllpTLSCert != "" || a.opts.mllpTLSKey != "" {
		cert, err := tls.LoadX509KeyPair(a.opts.mllpTLSCert, a.opts.mllpTLSKey)
		if err != nil {
			return fmt.Errorf("mllp tls: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	fwd, err := a.opts.forward.forward()
	if err != nil {
		return err
	}
	l, err := mllp.Listen(mllp.Config{
		Addr:           a.opts.mllpAddr,
		MaxFrameSize:   a.opts.mllpMaxFrame,
		ReadTimeout:    a.opts.mllpReadTimeout,
		IdleTimeout:    a.opts.mllpIdleTimeout,
		MaxConnections: a.opts.mllpMaxConns,
		TLS:            tlsCfg,
		Check:          h.Check,
		Logger:         a.log,
		Registerer:     a.reg,
		Forward:        fwd,
	})
	if err != nil {
		return err
	}
	a.listener = l
	a.launch("mllp", func(ctx context.Context) error { return l.Run(ctx, a.producer.Emit) })
	a.log.Info("MLLP listening", "addr", l.Addr().String(), "tls", tlsCfg != nil)
	if fwd != nil {
		a.log.Info("MLLP forwarding to a legacy engine", "forward_to", fwd.Addr, "forward_mode", string(fwd.Mode), "tls", fwd.TLS != nil)
	}
	return nil
}

// ready reports whether the services this process depends on answer.
func (a *app) ready(ctx context.Context) error {
	var errs []error
	if a.producer != nil {
		errs = append(errs, a.producer.Ping(ctx))
	}
	if a.store != nil {
		errs = append(errs, a.store.Ping(ctx))
	}
	return errors.Join(errs...)
}

// wait blocks until ctx is done or a stage fails on its own.
func (a *app) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-a.failed:
		return err
	}
}

// shutdown stops intake first, then lets each later stage finish what it
// holds (the transaction or batch in flight) before stopping it, then
// closes clients, the store and the broker.
func (a *app) shutdown(ctx context.Context) {
	a.stopOnce.Do(func() { a.stop(ctx) })
}

func (a *app) stop(ctx context.Context) {
	order := []string{"mllp", "normalizer", "materializer", "http"}
	for _, name := range order {
		for _, rs := range a.running {
			if rs.name != name {
				continue
			}
			rs.cancel()
			select {
			case err := <-rs.done:
				if err != nil {
					a.log.Warn("stage stopped with an error", "stage", name, "err", err)
				}
			case <-time.After(30 * time.Second):
				a.log.Error("stage did not stop in time", "stage", name)
			}
		}
	}
	var wg sync.WaitGroup
	if a.norm != nil {
		wg.Go(a.norm.Close)
	}
	if a.mat != nil {
		wg.Go(a.mat.Close)
	}
	wg.Wait()
	if a.producer != nil {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		a.producer.Close(cctx)
		cancel()
	}
	if a.store != nil {
		a.store.Close()
	}
	if a.broker != nil {
		a.broker.Close()
	}
}

// httpURL is the base URL of the running API.
func (a *app) httpURL() string {
	if a.httpLn == nil {
		return ""
	}
	return "http://" + a.httpLn.Addr().String()
}
