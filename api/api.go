package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tributary-health/tributary/fhir/search"
	"github.com/tributary-health/tributary/store"
)

// Store is what the API reads. [*store.Store] satisfies it; its errors
// must wrap [store.ErrNotFound], [store.ErrDeleted] and
// [store.ErrInvalidCursor] where those apply.
type Store interface {
	Read(ctx context.Context, typ, id string) (store.Resource, error)
	VRead(ctx context.Context, typ, id string, version int64) (store.Resource, error)
	Search(ctx context.Context, q search.Query) (store.Page, error)
	// LinkedPatients returns the person of a Patient and the other
	// Patients the identity index linked to it (see package identity).
	LinkedPatients(ctx context.Context, patientID string) (personID string, others []string, err error)
}

// Config configures [New]. Zero values of optional fields mean their
// documented defaults.
type Config struct {
	// Store serves reads and searches. Required.
	Store Store
	// Ready reports whether the process can serve: the caller checks its
	// broker and database. /readyz answers 503 with the error's text
	// when it fails, so the error must not hold secrets. Nil means always
	// ready.
	Ready func(context.Context) error
	// Gatherer is served at /metrics; nil serves no /metrics.
	Gatherer prometheus.Gatherer
	// Registerer receives the request metrics; nil registers none.
	Registerer prometheus.Registerer
	// Logger receives one access log line per request; nil discards.
	Logger *slog.Logger
	// BaseURL is the public URL of the FHIR base, e.g.
	// https://fhir.example.org/fhir, used in fullUrl and links. Empty
	// derives it from each request (scheme, Host, /fhir); set it behind a
	// proxy.
	BaseURL string
	// Version is the software version in the CapabilityStatement; empty
	// means "dev".
	Version string
}

// readyTimeout bounds a readiness check, so that a hung dependency fails
// the probe instead of hanging it.
const readyTimeout = 5 * time.Second

type server struct {
	store   Store
	ready   func(context.Context) error
	log     *slog.Logger
	base    string   // from Config.BaseURL, without a trailing slash; "" = per request
	types   []string // resource types served
	version string
	started time.Time // the CapabilityStatement's date
	root    *chi.Mux
	metrics *metrics
}

// New returns the HTTP handler of the API: /fhir/..., /healthz, /readyz and
// /metrics. It is safe for concurrent use. New fails when cfg is invalid or
// the request metrics cannot be registered.
func New(cfg Config) (http.Handler, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("api: Config.Store is nil"))
	}
	base := strings.TrimSuffix(cfg.BaseURL, "/")
	if base != "" {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, errors.New("api: Config.BaseURL is not an absolute http(s) URL without query"))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	s := &server{
		store:   cfg.Store,
		ready:   cfg.Ready,
		log:     cfg.Logger,
		base:    base,
		types:   search.ResourceTypes(),
		version: cfg.Version,
		started: time.Now().UTC().Truncate(time.Second),
		root:    chi.NewRouter(),
		metrics: m,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.version == "" {
		s.version = "dev"
	}

	r := s.root
	r.Use(s.observe, s.recoverPanic, middleware.GetHead)
	r.NotFound(s.notFound)
	r.MethodNotAllowed(s.methodNotAllowed)
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { writeText(w, http.StatusOK, "ok") })
	r.Get("/readyz", s.readyz)
	if cfg.Gatherer != nil {
		r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{}))
	}
	r.Route("/fhir", func(r chi.Router) {
		r.Use(negotiate, middleware.Compress(5, contentTypeFHIR))
		r.Get("/metadata", s.metadata)
		for _, typ := range s.types {
			r.Get("/"+typ, s.search(typ))
			r.Post("/"+typ+"/_search", s.search(typ))
			r.Get("/"+typ+"/{id}", s.read(typ))
			r.Get("/"+typ+"/{id}/_history/{vid}", s.vread(typ))
		}
	})
	return r, nil
}

func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			writeText(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
	}
	writeText(w, http.StatusOK, "ok")
}

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintln(w, text)
}

// notFound answers every unknown route with an OperationOutcome, saying
// when the cause is an unsupported resource type.
func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/fhir/"); ok {
		typ, _, _ := strings.Cut(rest, "/")
		if typ != "" && typ != "metadata" && !slices.Contains(s.types, typ) {
			writeOutcome(w, r, http.StatusNotFound, codeNotSupported,
				fmt.Sprintf("Resource type %q is not supported; this server serves %s.", typ, strings.Join(s.types, ", ")))
			return
		}
	}
	writeOutcome(w, r, http.StatusNotFound, codeNotFound, "No route for this request; see /fhir/metadata for what this server serves.")
}

// methodNotAllowed answers 405 with the methods the path allows.
func (s *server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := m
		if m == http.MethodHead {
			probe = http.MethodGet // GetHead serves HEAD wherever GET is
		}
		if s.root.Match(chi.NewRouteContext(), probe, r.URL.Path) {
			allow = append(allow, m)
		}
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeOutcome(w, r, http.StatusMethodNotAllowed, codeNotSupported,
		fmt.Sprintf("Method %s is not supported here; allowed: %s.", methodLabel(r.Method), strings.Join(allow, ", ")))
}
