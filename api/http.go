package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
)

// contentTypeFHIR is the media type of every FHIR response.
const contentTypeFHIR = "application/fhir+json"

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_api_requests_total",
			Help: "HTTP requests to the API, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tributary_api_request_duration_seconds",
			Help:    "Time to answer an HTTP request to the API, by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.requests, err = register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.duration, err = register(reg, m.duration); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector registered before it
// under the same name: a second New on one registry (a restarted server,
// tests) shares the first one's.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	if err != nil {
		return c, fmt.Errorf("api: register metrics: %w", err)
	}
	return c, nil
}

// methodLabel bounds the method label to the methods HTTP defines.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// observe counts, times and logs each request by its route pattern.
func (s *server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		d := time.Since(start)
		route := chi.RouteContext(r.Context()).RoutePattern()
		if route == "" || strings.HasSuffix(route, "*") {
			route = "unmatched" // a mount point or nothing: never the path
		}
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		method := methodLabel(r.Method)
		s.metrics.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
		s.metrics.duration.WithLabelValues(route, method).Observe(d.Seconds())
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "api: request",
			slog.String("method", method), slog.String("route", route),
			slog.Int("status", status), slog.Duration("duration", d))
	})
}

// recoverPanic turns a handler's panic into a 500 OperationOutcome. The
// log has the stack, not the panic value, which may hold data.
func (s *server) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.LogAttrs(r.Context(), slog.LevelError, "api: handler panic",
				slog.String("type", fmt.Sprintf("%T", v)), slog.String("stack", string(debug.Stack())))
			writeOutcome(w, r, http.StatusInternalServerError, codeException, "Internal error.")
		}()
		next.ServeHTTP(w, r)
	})
}

// negotiate answers 406 when neither _format nor Accept allows FHIR JSON,
// the one format served. _format wins over Accept, as FHIR says.
func negotiate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := r.URL.Query().Get("_format"); f != "" {
			if !jsonFormat(f) {
				writeOutcome(w, r, http.StatusNotAcceptable, codeNotSupported, "Only JSON is served: use _format=json.")
				return
			}
		} else if !acceptsJSON(r.Header.Values("Accept")) {
			writeOutcome(w, r, http.StatusNotAcceptable, codeNotSupported, "Only application/fhir+json is served.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// jsonFormat reports whether a _format value means FHIR JSON. An
// unencoded '+' in a query string arrives as a space.
func jsonFormat(f string) bool {
	switch strings.ReplaceAll(strings.TrimSpace(strings.ToLower(f)), " ", "+") {
	case "json", "application/json", "application/fhir+json", "application/json+fhir", "text/json":
		return true
	}
	mt, params, err := mime.ParseMediaType(strings.ReplaceAll(f, " ", "+"))
	return err == nil && fhirJSONMediaType(mt, params)
}

// acceptsJSON reports whether Accept header values allow FHIR JSON: no
// header, or one range that matches it with a non-zero quality.
func acceptsJSON(values []string) bool {
	if len(values) == 0 {
		return true
	}
	for _, v := range values {
		for _, r := range strings.Split(v, ",") {
			if strings.TrimSpace(r) == "" {
				continue
			}
			mt, params, err := mime.ParseMediaType(r)
			if err != nil {
				continue
			}
			if q, err := strconv.ParseFloat(params["q"], 64); err == nil && q <= 0 {
				continue
			}
			if mt == "*/*" || mt == "application/*" || fhirJSONMediaType(mt, params) {
				return true
			}
		}
	}
	return false
}

// fhirJSONMediaType reports whether a media type is JSON of FHIR R4; a
// fhirVersion parameter must say 4.0.
func fhirJSONMediaType(mt string, params map[string]string) bool {
	switch mt {
	case "application/fhir+json", "application/json", "application/json+fhir", "text/json":
		v, ok := params["fhirversion"]
		return !ok || v == "4.0" || v == "4.0.1"
	}
	return false
}

// Issue type codes of OperationOutcome (http://hl7.org/fhir/issue-type).
const (
	codeInvalid      = "invalid"
	codeNotFound     = "not-found"
	codeDeleted      = "deleted"
	codeNotSupported = "not-supported"
	codeException    = "exception"
	codeTooLong      = "too-long"
)

type operationOutcome struct {
	ResourceType string  `json:"resourceType"`
	Issue        []issue `json:"issue"`
}

type issue struct {
	Severity    string `json:"severity"`
	Code        string `json:"code"`
	Diagnostics string `json:"diagnostics,omitempty"`
}

// writeOutcome answers status with an OperationOutcome of one error
// issue. diagnostics must hold no patient data.
func writeOutcome(w http.ResponseWriter, r *http.Request, status int, code, diagnostics string) {
	b, _ := json.Marshal(operationOutcome{ // cannot fail: strings only
		ResourceType: "OperationOutcome",
		Issue:        []issue{{Severity: "error", Code: code, Diagnostics: diagnostics}},
	})
	writeFHIR(w, r, status, b)
}

// writeFHIR writes a FHIR JSON body, indented when _pretty=true.
func writeFHIR(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	if r.URL.Query().Get("_pretty") == "true" {
		var buf bytes.Buffer
		if json.Indent(&buf, body, "", "  ") == nil {
			body = buf.Bytes()
		}
	}
	w.Header().Set("Content-Type", contentTypeFHIR+"; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client may be gone; nothing to do
}
