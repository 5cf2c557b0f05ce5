package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/tributary-health/tributary/adapters"
	x12in "github.com/tributary-health/tributary/adapters/x12"
	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/stream"
)

// x12Intake builds the X12 intake from the --x12-* flags.
func (o *options) x12Intake(source string, log *slog.Logger) (*x12in.Intake, error) {
	window := o.x12DupWindow
	if window == 0 {
		window = -1 // the flag's 0 turns the check off; the Config's 0 is its default
	}
	in, err := x12in.New(x12in.Config{
		Source:             source,
		MaxInterchangeSize: o.x12MaxInterchange,
		DuplicateWindow:    window,
		DuplicateLimit:     o.x12DupLimit,
		// Past the producer's own delivery timeout, which fails what it
		// can, the record is stuck at a silent broker.
		EmitTimeout: o.deliveryTimeout + 5*time.Second,
		Logger:      log,
	})
	if err != nil {
		return nil, usageError{err}
	}
	return in, nil
}

// withX12 serves POST /x12 beside the API handler: `tributary run`
// takes X12 uploads on its HTTP address.
func (a *app) withX12(api http.Handler) (http.Handler, error) {
	in, err := a.opts.x12Intake(x12in.DefaultSource, a.log)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /x12", x12in.NewHandler(in, a.producer.Emit, x12in.HandlerConfig{MaxBodySize: int64(a.opts.x12MaxBody)}))
	mux.Handle("/", api)
	return mux, nil
}

// cmdIngestX12 is `tributary ingest x12`: files named on the command
// line (exiting once Kafka has them), or a drop directory and/or an HTTP
// listener (until interrupted).
func cmdIngestX12(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var (
		o        options
		source   string
		watch    string
		httpAddr string
		ackDir   string
		poll     time.Duration
	)
	fs := newFlagSet("ingest x12", "ingest x12 [flags] FILE... | ingest x12 --watch DIR [--http-addr ADDR] [flags]", `Stores X12 interchanges on the raw topic, one record per interchange (the
bytes between its ISA and the next ISA, unmodified), and answers each with
its TA1 and 999 once Kafka has it. An interchange with errors is stored all
the same, and its acknowledgments say what is wrong; an input that cannot
be split into interchanges (no ISA, unreadable delimiters, an interchange
over --x12-max-interchange-size) is refused whole and nothing of it is
stored.

With FILE arguments, it reads each file, writes its acknowledgments to
--ack-dir (FILE.ta1, FILE.999) if given, reports every error as
FILE: interchange N (offset X): LOCATION: text, and exits 1 if anything was
reported.

With --watch DIR, it takes each file dropped in DIR (atomically, so several
instances may share DIR), then moves it to DIR/archive, or to DIR/error when
anything in it is rejected, with NAME.ta1 and NAME.999 beside it (NAME.err
when it could not be split). Write files under a dot name and rename them
into DIR when complete. With --http-addr it also serves POST /x12, answering
with the acknowledgments (400 for input that cannot be split, 503 when Kafka
did not take it). Runs until interrupted.`, stderr)
	o.logFlags(fs)
	o.kafkaFlags(fs, "127.0.0.1:9092")
	o.x12Flags(fs)
	fs.StringVar(&source, "source", x12in.DefaultSource, "name of this intake in the envelopes' source header")
	fs.StringVar(&watch, "watch", "", "drop directory to watch")
	fs.DurationVar(&poll, "poll", 2*time.Second, "how often the drop directory is listed")
	fs.StringVar(&httpAddr, "http-addr", "", "listen address of POST /x12 (off when empty)")
	fs.StringVar(&ackDir, "ack-dir", "", "with FILE arguments: directory to write each file's acknowledgments to")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	files := fs.Args()
	switch {
	case len(files) == 0 && watch == "" && httpAddr == "":
		return usageError{errors.New("want FILE arguments, --watch DIR or --http-addr ADDR")}
	case len(files) > 0 && (watch != "" || httpAddr != ""):
		return usageError{errors.New("FILE arguments do not go with --watch or --http-addr")}
	case len(o.brokers) == 0:
		return usageError{errors.New("--brokers is required")}
	}
	log, err := o.logger(stderr)
	if err != nil {
		return err
	}
	in, err := o.x12Intake(source, log)
	if err != nil {
		return err
	}
	scfg, err := o.streamConfig(log)
	if err != nil {
		return err
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = stream.EnsureTopics(tctx, scfg, stream.TopicSpec{Partitions: int32(o.partitions), ReplicationFactor: int16(o.replicationFactor)})
	cancel()
	if err != nil {
		return fmt.Errorf("kafka at %v: %w", []string(o.brokers), err)
	}
	p, err := stream.NewProducer(scfg, event.FamilyRaw)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		p.Close(cctx)
		cancel()
	}()
	if len(files) > 0 {
		return ingestX12Files(ctx, in, p.Emit, files, ackDir, stdout, stderr, scfg.Topics.Raw(event.FormatX12))
	}
	return serveX12(ctx, in, p.Emit, watch, poll, httpAddr, int64(o.x12MaxBody), stderr, log)
}

// ingestX12Files is the one-shot mode.
func ingestX12Files(ctx context.Context, in *x12in.Intake, emit adapters.Emit, files []string, ackDir string, stdout, stderr io.Writer, topic string) error {
	var stored, read, reported int
	report := func(e *x12in.InputError) {
		reported++
		fmt.Fprintln(stderr, e)
	}
	for _, path := range files {
		res, err := ingestX12File(ctx, in, emit, path)
		var ee *x12in.EmitError
		switch {
		case errors.As(err, &ee):
			return fmt.Errorf("%s: %w", path, err)
		case err != nil:
			report(&x12in.InputError{File: path, Err: err})
			continue
		}
		read++
		stored += len(res.Interchanges)
		for _, e := range res.InputErrors(path) {
			report(e)
		}
		if ackDir != "" {
			base := filepath.Join(ackDir, filepath.Base(path))
			for suffix, b := range map[string][]byte{x12in.SuffixTA1: res.TA1(), x12in.Suffix999: res.FA()} {
				if len(b) == 0 {
					continue
				}
				if err := os.WriteFile(base+suffix, b, 0o640); err != nil {
					return fmt.Errorf("--ack-dir: %w", err)
				}
			}
		}
	}
	fmt.Fprintf(stdout, "%d interchanges from %d files stored on %s; %d reported\n", stored, read, topic, reported)
	if reported > 0 {
		return fmt.Errorf("%d problems reported", reported)
	}
	return nil
}

func ingestX12File(ctx context.Context, in *x12in.Intake, emit adapters.Emit, path string) (*x12in.Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, errors.New("not a regular file (for a directory, use --watch)")
	}
	return in.Ingest(ctx, emit, f, info.Size(), x12in.Origin{File: path})
}

// serveX12 runs the drop directory and the HTTP listener until ctx is
// done or one fails.
func serveX12(ctx context.Context, in *x12in.Intake, emit adapters.Emit, watch string, poll time.Duration, httpAddr string, maxBody int64, stderr io.Writer, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	running := 0
	if watch != "" {
		w, err := x12in.NewWatcher(in, x12in.WatchConfig{Dir: watch, Poll: poll, Report: func(e *x12in.InputError) { fmt.Fprintln(stderr, e) }})
		if err != nil {
			return usageError{err}
		}
		running++
		go func() { errc <- w.Run(ctx, emit) }()
		log.Info("watching for X12 files", "dir", watch)
	}
	if httpAddr != "" {
		ln, err := net.Listen("tcp", httpAddr)
		if err != nil {
			return fmt.Errorf("http: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("POST /x12", x12in.NewHandler(in, emit, x12in.HandlerConfig{MaxBodySize: maxBody}))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		running++
		go func() {
			err := srv.Serve(ln)
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			errc <- err
		}()
		go func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		log.Info("X12 intake listening", "addr", "http://"+ln.Addr().String()+"/x12")
	}
	var first error
	for range running {
		err := <-errc
		if first == nil && err != nil && ctx.Err() == nil {
			first = err
		}
		cancel() // one stopped: stop the other
	}
	return first
}
