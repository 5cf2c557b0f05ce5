package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/fhir/search"
	"github.com/tributary-health/tributary/store"
)

// maxFormBytes bounds the body of POST _search.
const maxFormBytes = 1 << 20

// statusClientClosed is logged and counted when the client left before
// the answer (nginx's code): not a server error.
const statusClientClosed = 499

// baseURL returns the FHIR base for links: Config.BaseURL, or the one the
// request was sent to.
func (s *server) baseURL(r *http.Request) string {
	if s.base != "" {
		return s.base
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/fhir"
}

func (s *server) read(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		if !fhir.ValidID(id) {
			writeOutcome(w, r, http.StatusNotFound, codeNotFound, typ+" not found: the id is not a valid FHIR id.")
			return
		}
		res, err := s.store.Read(r.Context(), typ, id)
		var suffix string
		if err == nil && typ == "Patient" {
			res, suffix, err = s.withLinks(r.Context(), res)
		}
		s.writeResource(w, r, typ, res, suffix, err)
	}
}

func (s *server) vread(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		vid, err := strconv.ParseInt(chi.URLParam(r, "vid"), 10, 64)
		if !fhir.ValidID(id) || err != nil || vid < 1 {
			writeOutcome(w, r, http.StatusNotFound, codeNotFound, typ+" version not found: the id or version id is not valid.")
			return
		}
		res, err := s.store.VRead(r.Context(), typ, id, vid)
		s.writeResource(w, r, typ, res, "", err)
	}
}

// writeResource answers a read or vread: the resource with its ETag and
// Last-Modified, 304 when the client's copy is current, 410 when deleted.
// etagSuffix distinguishes what was added to the stored version at read
// time (see withLinks).
func (s *server) writeResource(w http.ResponseWriter, r *http.Request, typ string, res store.Resource, etagSuffix string, err error) {
	switch {
	case errors.Is(err, store.ErrDeleted):
		writeOutcome(w, r, http.StatusGone, codeDeleted, fmt.Sprintf("%s is deleted (version %d).", typ, res.VersionID))
		return
	case errors.Is(err, store.ErrNotFound):
		writeOutcome(w, r, http.StatusNotFound, codeNotFound, typ+" not found.")
		return
	case err != nil:
		s.internalError(w, r, err)
		return
	}
	v := strconv.FormatInt(res.VersionID, 10)
	if etagSuffix != "" {
		v += "." + etagSuffix
	}
	etag := `W/"` + v + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", res.LastUpdated.UTC().Format(http.TimeFormat))
	if notModified(r, etag, res.LastUpdated) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeFHIR(w, r, http.StatusOK, res.JSON)
}

// notModified evaluates If-None-Match (weak comparison, as RFC 9110 asks
// for GET) or, without it, If-Modified-Since.
func notModified(r *http.Request, etag string, lastUpdated time.Time) bool {
	if inm := r.Header.Values("If-None-Match"); len(inm) > 0 {
		for _, v := range inm {
			for _, t := range strings.Split(v, ",") {
				t = strings.TrimSpace(t)
				if t == "*" || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(etag, "W/") {
					return true
				}
			}
		}
		return false
	}
	if t, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil {
		return !lastUpdated.Truncate(time.Second).After(t)
	}
	return false
}

// internalError answers 500 without details and logs the error, which
// names operations and types, never data (store's contract).
func (s *server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		w.WriteHeader(statusClientClosed)
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelError, "api: internal error", slog.String("error", err.Error()))
	writeOutcome(w, r, http.StatusInternalServerError, codeException, "Internal error.")
}

func (s *server) search(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		values := r.URL.Query()
		if r.Method == http.MethodPost {
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
				writeOutcome(w, r, http.StatusUnsupportedMediaType, codeNotSupported,
					"POST _search takes application/x-www-form-urlencoded parameters.")
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if err := r.ParseForm(); err != nil {
				var tooLarge *http.MaxBytesError
				if errors.As(err, &tooLarge) {
					writeOutcome(w, r, http.StatusRequestEntityTooLarge, codeTooLong, "The search parameters are too long.")
					return
				}
				writeOutcome(w, r, http.StatusBadRequest, codeInvalid, "The form body cannot be parsed.")
				return
			}
			values = r.Form // the body's parameters and the URL's
		}
		// Format parameters are the API's, not the search's.
		delete(values, "_format")
		delete(values, "_pretty")
		q, err := search.Parse(typ, values, handling(r.Header.Values("Prefer")))
		if err != nil {
			writeSearchError(w, r, typ, err)
			return
		}
		page, err := s.store.Search(r.Context(), q)
		if errors.Is(err, store.ErrInvalidCursor) {
			writeOutcome(w, r, http.StatusBadRequest, codeInvalid,
				fmt.Sprintf("Search parameter %q is not a cursor of this server; follow the Bundle's next link.", search.ParamCursor))
			return
		}
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		base := s.baseURL(r)
		b := bundle{ResourceType: "Bundle", Type: "searchset", Link: []bundleLink{{"self", link(base, q)}}}
		if page.Total >= 0 {
			b.Total = &page.Total
		}
		if page.Next != "" {
			next := q
			next.Cursor = page.Next
			b.Link = append(b.Link, bundleLink{"next", link(base, next)})
		}
		for _, res := range page.Resources {
			b.Entry = append(b.Entry, bundleEntry{
				FullURL:  base + "/" + res.Type + "/" + res.ID,
				Resource: res.JSON,
				Search:   entrySearch{Mode: "match"},
			})
		}
		body, err := marshal(b)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		writeFHIR(w, r, http.StatusOK, body)
	}
}

func link(base string, q search.Query) string {
	return base + "/" + q.Type + "?" + q.Values().Encode()
}

// handling reads the handling preference of Prefer headers (FHIR search:
// strict unless the client asks for lenient).
func handling(prefer []string) search.Handling {
	h := search.Strict
	for _, v := range prefer {
		for _, p := range strings.Split(v, ",") {
			switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(p), " ", "")) {
			case "handling=lenient":
				h = search.Lenient
			case "handling=strict":
				h = search.Strict
			}
		}
	}
	return h
}

func writeSearchError(w http.ResponseWriter, r *http.Request, typ string, err error) {
	var perr *search.Error
	if !errors.As(err, &perr) {
		writeOutcome(w, r, http.StatusBadRequest, codeInvalid, "The search cannot be parsed.")
		return
	}
	if errors.Is(err, search.ErrUnsupported) {
		var names []string
		for _, p := range search.Params(typ) {
			names = append(names, p.Name)
		}
		names = append(names, search.ParamCount, search.ParamTotal)
		writeOutcome(w, r, http.StatusBadRequest, codeNotSupported, fmt.Sprintf(
			"Search parameter %q is not supported for %s; supported: %s. Send Prefer: handling=lenient to have unsupported parameters ignored.",
			perr.Param, typ, strings.Join(names, ", ")))
		return
	}
	writeOutcome(w, r, http.StatusBadRequest, codeInvalid, fmt.Sprintf("Search parameter %q: %v.", perr.Param, perr.Err))
}

type bundle struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type"`
	Total        *int          `json:"total,omitempty"`
	Link         []bundleLink  `json:"link"`
	Entry        []bundleEntry `json:"entry,omitempty"`
}

type bundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

type bundleEntry struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
	Search   entrySearch     `json:"search"`
}

type entrySearch struct {
	Mode string `json:"mode"`
}

// marshal encodes v without escaping <, > and &: resources keep their
// text as stored.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("api: encode: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func (s *server) metadata(w http.ResponseWriter, r *http.Request) {
	body, err := marshal(s.capabilityStatement(s.baseURL(r)))
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeFHIR(w, r, http.StatusOK, body)
}

type capabilityStatement struct {
	ResourceType   string         `json:"resourceType"`
	Status         string         `json:"status"`
	Date           string         `json:"date"`
	Kind           string         `json:"kind"`
	Software       software       `json:"software"`
	Implementation implementation `json:"implementation"`
	FHIRVersion    string         `json:"fhirVersion"`
	Format         []string       `json:"format"`
	Rest           []rest         `json:"rest"`
}

type software struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type implementation struct {
	Description string `json:"description"`
	URL         string `json:"url"`
}

type rest struct {
	Mode     string       `json:"mode"`
	Resource []csResource `json:"resource"`
}

type csResource struct {
	Type            string        `json:"type"`
	Profile         string        `json:"profile"`
	Interaction     []interaction `json:"interaction"`
	Versioning      string        `json:"versioning"`
	ReadHistory     bool          `json:"readHistory"`
	UpdateCreate    bool          `json:"updateCreate"`
	ConditionalRead string        `json:"conditionalRead"`
	SearchParam     []searchParam `json:"searchParam"`
}

type interaction struct {
	Code string `json:"code"`
}

type searchParam struct {
	Name       string `json:"name"`
	Definition string `json:"definition"`
	Type       string `json:"type"`
}

// capabilityStatement lists what the handlers serve, built from the same
// resource types and search definitions the routes and the search parser
// use.
func (s *server) capabilityStatement(base string) capabilityStatement {
	cs := capabilityStatement{
		ResourceType:   "CapabilityStatement",
		Status:         "active",
		Date:           s.started.Format(time.RFC3339),
		Kind:           "instance",
		Software:       software{Name: "Tributary", Version: s.version},
		Implementation: implementation{Description: "Tributary FHIR R4 server", URL: base},
		FHIRVersion:    "4.0.1",
		Format:         []string{contentTypeFHIR, "json"},
		Rest:           []rest{{Mode: "server"}},
	}
	for _, typ := range s.types {
		res := csResource{
			Type:            typ,
			Profile:         "http://hl7.org/fhir/StructureDefinition/" + url.PathEscape(typ),
			Interaction:     []interaction{{"read"}, {"vread"}, {"search-type"}},
			Versioning:      "versioned",
			ReadHistory:     true,           // vread serves past versions
			ConditionalRead: "full-support", // If-None-Match and If-Modified-Since
		}
		for _, p := range search.Params(typ) {
			res.SearchParam = append(res.SearchParam, searchParam{Name: p.Name, Definition: p.URL, Type: string(p.Type)})
		}
		cs.Rest[0].Resource = append(cs.Rest[0].Resource, res)
	}
	return cs
}

var _ Store = (*store.Store)(nil)
