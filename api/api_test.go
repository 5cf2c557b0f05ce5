package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-health/tributary/api"
	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/store"
	"github.com/tributary-health/tributary/store/storetest"
)

const (
	mrnSys   = "urn:oid:2.16.840.1.113883.19.5"
	payerSys = "urn:tributary:payer:60054:member"
	fhirJSON = "application/fhir+json; charset=utf-8"
)

// env is an API server over HTTP on a store of its own.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	store  *store.Store
	reg    *prometheus.Registry
	logs   *syncBuffer
	offset int64
}

func newEnv(t *testing.T, mutate func(*api.Config)) *env {
	t.Helper()
	e := &env{t: t, store: storetest.Open(t), reg: prometheus.NewRegistry(), logs: &syncBuffer{}}
	cfg := api.Config{
		Store:      e.store,
		Gatherer:   e.reg,
		Registerer: e.reg,
		Logger:     slog.New(slog.NewJSONHandler(e.logs, nil)),
		Version:    "1.2.3",
	}
	if mutate != nil {
		mutate(&cfg)
	}
	h, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

// put stores a synthetic Patient with an MRN (and a member id when member
// is not empty) and returns its id.
func (e *env) put(mrn, member, family string) string {
	e.t.Helper()
	id := fhir.ID("Patient", mrnSys, mrn)
	ids := fmt.Sprintf(`{"system":%q,"value":%q}`, mrnSys, mrn)
	if member != "" {
		ids += fmt.Sprintf(`,{"system":%q,"value":%q}`, payerSys, member)
	}
	res := fmt.Sprintf(`{"resourceType":"Patient","id":%q,"identifier":[%s],"name":[{"family":%q,"given":["Sam"]}],"gender":"unknown","birthDate":"1970-01-01"}`,
		id, ids, family)
	e.apply(store.Change{Op: event.OpUpsert, Type: "Patient", ID: id, Resource: []byte(res)})
	return id
}

func (e *env) del(id string) {
	e.t.Helper()
	e.apply(store.Change{Op: event.OpDelete, Type: "Patient", ID: id})
}

func (e *env) apply(c store.Change) {
	e.t.Helper()
	c.Topic, c.Offset = "tributary.fhir.v1", e.offset
	e.offset++
	if _, err := e.store.Apply(e.t.Context(), "materializer", []store.Change{c}); err != nil {
		e.t.Fatal(err)
	}
}

type response struct {
	*http.Response
	body []byte
}

// do sends a request; headers alternate names and values.
func (e *env) do(method, path string, body io.Reader, headers ...string) response {
	e.t.Helper()
	target := path
	if !strings.HasPrefix(path, "http") {
		target = e.srv.URL + path
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, target, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{resp, b}
}

func (e *env) get(path string, headers ...string) response {
	e.t.Helper()
	return e.do(http.MethodGet, path, nil, headers...)
}

var unmarshaller = sync.OnceValues(func() (*jsonformat.Unmarshaller, error) {
	return jsonformat.NewUnmarshaller("UTC", fhirversion.R4)
})

// fhirBody checks that r is FHIR JSON of resourceType, valid R4 by
// google/fhir's validating unmarshaller, and decodes it into v.
func fhirBody(t *testing.T, r response, resourceType string, v any) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != fhirJSON {
		t.Errorf("Content-Type = %q, want %q", ct, fhirJSON)
	}
	u, err := unmarshaller()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Unmarshal(r.body); err != nil {
		t.Errorf("not valid FHIR R4: %v\n%s", err, r.body)
	}
	var head struct{ ResourceType string }
	if err := json.Unmarshal(r.body, &head); err != nil || head.ResourceType != resourceType {
		t.Fatalf("body is not a %s: %s", resourceType, r.body)
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			t.Fatal(err)
		}
	}
}

type outcome struct {
	Issue []struct{ Severity, Code, Diagnostics string }
}

func checkOutcome(t *testing.T, r response, status int, code string) outcome {
	t.Helper()
	if r.StatusCode != status {
		t.Errorf("status %d, want %d: %s", r.StatusCode, status, r.body)
	}
	var o outcome
	fhirBody(t, r, "OperationOutcome", &o)
	if len(o.Issue) != 1 || o.Issue[0].Severity != "error" || o.Issue[0].Code != code {
		t.Errorf("issues %+v, want one error %q", o.Issue, code)
	}
	return o
}

type patientJSON struct {
	ID   string
	Meta struct{ VersionID, LastUpdated string }
	Name []struct{ Family string }
}

type bundleJSON struct {
	Type  string
	Total *int
	Link  []struct{ Relation, URL string }
	Entry []struct {
		FullURL  string
		Resource patientJSON
		Search   struct{ Mode string }
	}
}

func (b bundleJSON) link(rel string) string {
	for _, l := range b.Link {
		if l.Relation == rel {
			return l.URL
		}
	}
	return ""
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.get("/fhir/metadata")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d", r.StatusCode)
	}
	var cs struct {
		Status, Kind, FHIRVersion, Date string
		Format                          []string
		Software                        struct{ Name, Version string }
		Implementation                  struct{ URL string }
		Rest                            []struct {
			Mode     string
			Resource []struct {
				Type        string
				Interaction []struct{ Code string }
				SearchParam []struct{ Name, Definition, Type string }
			}
		}
	}
	fhirBody(t, r, "CapabilityStatement", &cs)
	if cs.Status != "active" || cs.Kind != "instance" || cs.FHIRVersion != "4.0.1" || !slices.Contains(cs.Format, "json") ||
		cs.Software.Name != "Tributary" || cs.Software.Version != "1.2.3" || cs.Implementation.URL != e.srv.URL+"/fhir" || cs.Date == "" {
		t.Errorf("CapabilityStatement header: %+v", cs)
	}
	type param struct{ Name, Definition, Type string }
	type resource struct {
		Type         string
		Interactions []string
		Params       []param
	}
	var got []resource
	for _, rest := range cs.Rest {
		if rest.Mode != "server" {
			t.Errorf("rest.mode %q", rest.Mode)
		}
		for _, res := range rest.Resource {
			r := resource{Type: res.Type}
			for _, i := range res.Interaction {
				r.Interactions = append(r.Interactions, i.Code)
			}
			for _, p := range res.SearchParam {
				r.Params = append(r.Params, param(p))
			}
			got = append(got, r)
		}
	}
	want := []resource{{
		Type:         "Patient",
		Interactions: []string{"read", "vread", "search-type"},
		Params: []param{
			{"_id", "http://hl7.org/fhir/SearchParameter/Resource-id", "token"},
			{"identifier", "http://hl7.org/fhir/SearchParameter/Patient-identifier", "token"},
		},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("served resources (-want +got):\n%s", diff)
	}
}

func TestReadAndVRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	id := e.put("M1", "", "Alpha")

	r := e.get("/fhir/Patient/" + id)
	var p patientJSON
	fhirBody(t, r, "Patient", &p)
	if r.StatusCode != http.StatusOK || p.ID != id || p.Meta.VersionID != "1" || p.Name[0].Family != "Alpha" {
		t.Fatalf("read: %d %+v", r.StatusCode, p)
	}
	etag, lastModified := r.Header.Get("ETag"), r.Header.Get("Last-Modified")
	if etag != `W/"1"` {
		t.Errorf("ETag %q, want W/\"1\"", etag)
	}
	lm, err := http.ParseTime(lastModified)
	updated, _ := time.Parse(time.RFC3339Nano, p.Meta.LastUpdated)
	if err != nil || !lm.Equal(updated.Truncate(time.Second)) {
		t.Errorf("Last-Modified %q, meta.lastUpdated %q", lastModified, p.Meta.LastUpdated)
	}

	conditional := []struct {
		name    string
		headers []string
		status  int
	}{
		{"weak etag matches", []string{"If-None-Match", `W/"1"`}, http.StatusNotModified},
		{"strong form matches weakly", []string{"If-None-Match", `"1"`}, http.StatusNotModified},
		{"one of a list", []string{"If-None-Match", `W/"7", W/"1"`}, http.StatusNotModified},
		{"any", []string{"If-None-Match", `*`}, http.StatusNotModified},
		{"other version", []string{"If-None-Match", `W/"2"`}, http.StatusOK},
		{"not modified since", []string{"If-Modified-Since", lastModified}, http.StatusNotModified},
		{"modified since", []string{"If-Modified-Since", lm.Add(-time.Hour).Format(http.TimeFormat)}, http.StatusOK},
		{"If-None-Match wins", []string{"If-None-Match", `W/"2"`, "If-Modified-Since", lastModified}, http.StatusOK},
	}
	for _, c := range conditional {
		r := e.get("/fhir/Patient/"+id, c.headers...)
		if r.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d", c.name, r.StatusCode, c.status)
		}
		if r.StatusCode == http.StatusNotModified && (len(r.body) != 0 || r.Header.Get("ETag") != `W/"1"`) {
			t.Errorf("%s: 304 with body %q, ETag %q", c.name, r.body, r.Header.Get("ETag"))
		}
	}

	e.put("M1", "", "Beta")
	r = e.get("/fhir/Patient/" + id)
	fhirBody(t, r, "Patient", &p)
	if r.Header.Get("ETag") != `W/"2"` || p.Name[0].Family != "Beta" || p.Meta.VersionID != "2" {
		t.Errorf("after update: ETag %q, %+v", r.Header.Get("ETag"), p)
	}
	for v, family := range map[string]string{"1": "Alpha", "2": "Beta"} {
		r := e.get("/fhir/Patient/" + id + "/_history/" + v)
		var p patientJSON
		fhirBody(t, r, "Patient", &p)
		if r.StatusCode != http.StatusOK || r.Header.Get("ETag") != `W/"`+v+`"` || p.Meta.VersionID != v || p.Name[0].Family != family {
			t.Errorf("vread %s: %d, ETag %q, %+v", v, r.StatusCode, r.Header.Get("ETag"), p)
		}
	}
	if r := e.get("/fhir/Patient/"+id+"/_history/1", "If-None-Match", `W/"1"`); r.StatusCode != http.StatusNotModified {
		t.Errorf("conditional vread: %d", r.StatusCode)
	}

	e.del(id)
	o := checkOutcome(t, e.get("/fhir/Patient/"+id), http.StatusGone, "deleted")
	if !strings.Contains(o.Issue[0].Diagnostics, "version 3") {
		t.Errorf("410 diagnostics %q", o.Issue[0].Diagnostics)
	}
	checkOutcome(t, e.get("/fhir/Patient/"+id+"/_history/3"), http.StatusGone, "deleted")
	if r := e.get("/fhir/Patient/" + id + "/_history/2"); r.StatusCode != http.StatusOK {
		t.Errorf("vread before the delete: %d", r.StatusCode)
	}
	for _, path := range []string{
		"/fhir/Patient/" + fhir.ID("Patient", mrnSys, "NONE"),
		"/fhir/Patient/bad$id",
		"/fhir/Patient/" + id + "/_history/4",
		"/fhir/Patient/" + id + "/_history/0",
		"/fhir/Patient/" + id + "/_history/x",
	} {
		checkOutcome(t, e.get(path), http.StatusNotFound, "not-found")
	}

	// HEAD is GET without a body.
	id2 := e.put("M2", "", "Gamma")
	if r := e.do(http.MethodHead, "/fhir/Patient/"+id2, nil); r.StatusCode != http.StatusOK || len(r.body) != 0 || r.Header.Get("ETag") != `W/"1"` {
		t.Errorf("HEAD: %d, body %d bytes, ETag %q", r.StatusCode, len(r.body), r.Header.Get("ETag"))
	}
	// _format=json and _pretty.
	r = e.get("/fhir/Patient/"+id2+"?_format=application/fhir%2Bjson&_pretty=true", "Accept", "application/fhir+xml")
	fhirBody(t, r, "Patient", nil)
	if r.StatusCode != http.StatusOK || !bytes.Contains(r.body, []byte("\n  \"id\"")) {
		t.Errorf("_format=json&_pretty=true: %d %s", r.StatusCode, r.body)
	}
}

func TestSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	p1 := e.put("M1", "W1", "A")
	p2 := e.put("M2", "W2", "B")
	p3 := e.put("M3", "", "C")
	gone := e.put("M4", "W4", "D")
	e.del(gone)
	other := fhir.ID("Patient", "urn:x", "M1")
	e.apply(store.Change{Op: event.OpUpsert, Type: "Patient", ID: other,
		Resource: []byte(`{"resourceType":"Patient","identifier":[{"system":"urn:x","value":"M1"},{"value":"LOCAL"}]}`)})

	tests := []struct {
		name, query string
		want        []string
	}{
		{"system|value", "identifier=" + url.QueryEscape(mrnSys+"|M1"), []string{p1}},
		{"bare value, any system", "identifier=M1", []string{p1, other}},
		{"|value, no system", "identifier=%7CLOCAL", []string{other}},
		{"|value with a system", "identifier=%7CM1", nil},
		{"system|, any value", "identifier=" + url.QueryEscape(payerSys+"|"), []string{p1, p2}},
		{"OR", "identifier=" + url.QueryEscape(mrnSys+"|M2,"+mrnSys+"|M3"), []string{p2, p3}},
		{"AND", "identifier=" + url.QueryEscape(payerSys+"|") + "&identifier=M2", []string{p2}},
		{"_id", "_id=" + p3 + "," + gone, []string{p3}},
		{"deleted not found", "identifier=M4", nil},
		{"all", "", []string{p1, p2, p3, other}},
		{"lenient ignores unknown", "identifier=M2&name=B&_sort=name", []string{p2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			headers := []string{}
			if strings.HasPrefix(tt.name, "lenient") {
				headers = []string{"Prefer", "return=representation, handling=lenient"}
			}
			check := func(method string, r response) {
				t.Helper()
				if r.StatusCode != http.StatusOK {
					t.Fatalf("%s: status %d: %s", method, r.StatusCode, r.body)
				}
				var b bundleJSON
				fhirBody(t, r, "Bundle", &b)
				var got []string
				for _, en := range b.Entry {
					got = append(got, en.Resource.ID)
					if en.FullURL != e.srv.URL+"/fhir/Patient/"+en.Resource.ID || en.Search.Mode != "match" {
						t.Errorf("%s: entry fullUrl %q, mode %q", method, en.FullURL, en.Search.Mode)
					}
				}
				slices.Sort(got)
				want := slices.Clone(tt.want)
				slices.Sort(want)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: ids (-want +got):\n%s", method, diff)
				}
				if b.Type != "searchset" || b.Total == nil || *b.Total != len(tt.want) || b.link("next") != "" {
					t.Errorf("%s: type %q, total %v, next %q", method, b.Type, b.Total, b.link("next"))
				}
				self := b.link("self")
				if !strings.HasPrefix(self, e.srv.URL+"/fhir/Patient?") || strings.Contains(self, "_sort") || strings.Contains(self, "name=") {
					t.Errorf("%s: self link %q", method, self)
				}
				// The self link repeats the search.
				var again bundleJSON
				fhirBody(t, e.get(self), "Bundle", &again)
				if again.Total == nil || *again.Total != *b.Total || len(again.Entry) != len(b.Entry) {
					t.Errorf("%s: self link %q finds %v, want %d", method, self, again.Total, *b.Total)
				}
			}
			check("GET", e.get("/fhir/Patient?"+tt.query, headers...))
			check("POST", e.do(http.MethodPost, "/fhir/Patient/_search", strings.NewReader(tt.query),
				append(headers, "Content-Type", "application/x-www-form-urlencoded")...))
		})
	}

	t.Run("total none and count 0", func(t *testing.T) {
		t.Parallel()
		var b bundleJSON
		fhirBody(t, e.get("/fhir/Patient?_total=none"), "Bundle", &b)
		if b.Total != nil || len(b.Entry) != 4 {
			t.Errorf("_total=none: total %v, %d entries", b.Total, len(b.Entry))
		}
		b = bundleJSON{}
		fhirBody(t, e.get("/fhir/Patient?_count=0"), "Bundle", &b)
		if b.Total == nil || *b.Total != 4 || len(b.Entry) != 0 {
			t.Errorf("_count=0: total %v, %d entries", b.Total, len(b.Entry))
		}
	})
	t.Run("POST parameters in URL and body", func(t *testing.T) {
		t.Parallel()
		var b bundleJSON
		r := e.do(http.MethodPost, "/fhir/Patient/_search?identifier="+url.QueryEscape(payerSys+"|"), strings.NewReader("identifier=M1"),
			"Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		fhirBody(t, r, "Bundle", &b)
		if len(b.Entry) != 1 || b.Entry[0].Resource.ID != p1 {
			t.Errorf("entries %+v", b.Entry)
		}
	})
}

// Following next links visits every match once, with the search kept.
func TestPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	want := map[string]bool{}
	var changes []store.Change
	for i := range 45 {
		mrn := fmt.Sprint("P", i)
		id := fhir.ID("Patient", mrnSys, mrn)
		changes = append(changes, store.Change{Topic: "t", Offset: int64(i), Op: event.OpUpsert, Type: "Patient", ID: id,
			Resource: fmt.Appendf(nil, `{"resourceType":"Patient","identifier":[{"system":%q,"value":%q}]}`, mrnSys, mrn)})
		want[id] = true
	}
	if _, err := e.store.Apply(t.Context(), "g", changes); err != nil {
		t.Fatal(err)
	}
	// Outside the search: another system's identifier.
	e.apply(store.Change{Op: event.OpUpsert, Type: "Patient", ID: "other",
		Resource: []byte(`{"resourceType":"Patient","identifier":[{"system":"urn:x","value":"P1"}]}`)})
	seen := map[string]bool{}
	next := "/fhir/Patient?_count=10&identifier=" + url.QueryEscape(mrnSys+"|")
	pages := 0
	for next != "" {
		r := e.get(next)
		var b bundleJSON
		fhirBody(t, r, "Bundle", &b)
		pages++
		if r.StatusCode != http.StatusOK || b.Total == nil || *b.Total != 45 {
			t.Fatalf("page %d: status %d, total %v", pages, r.StatusCode, b.Total)
		}
		for _, en := range b.Entry {
			if seen[en.Resource.ID] {
				t.Errorf("page %d repeats %s", pages, en.Resource.ID)
			}
			seen[en.Resource.ID] = true
		}
		if n := b.link("next"); n != "" {
			if !strings.Contains(n, "identifier=") || !strings.Contains(n, "_count=10") || !strings.HasPrefix(n, e.srv.URL+"/fhir/Patient?") {
				t.Errorf("next link %q lost the search", n)
			}
		}
		next = b.link("next")
	}
	if pages != 5 {
		t.Errorf("%d pages, want 5", pages)
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	id := e.put("M1", "", "A")
	tests := []struct {
		name, method, path string
		headers            []string
		body               string
		status             int
		code               string
		mention            string
	}{
		{name: "unknown parameter", path: "/fhir/Patient?foo=SECRET", status: 400, code: "not-supported", mention: `"foo"`},
		{name: "unsupported modifier", path: "/fhir/Patient?identifier:text=SECRET", status: 400, code: "not-supported", mention: `"identifier:text"`},
		{name: "strict is the default", path: "/fhir/Patient?_sort=name", headers: []string{"Prefer", "handling=strict"}, status: 400, code: "not-supported", mention: `"_sort"`},
		{name: "bad count", path: "/fhir/Patient?_count=SECRET", status: 400, code: "invalid", mention: `"_count"`},
		{name: "bad token", path: "/fhir/Patient?identifier=%7C", status: 400, code: "invalid", mention: `"identifier"`},
		{name: "bad cursor", path: "/fhir/Patient?_cursor=SECRET", status: 400, code: "invalid", mention: `"_cursor"`},
		{name: "unknown id", path: "/fhir/Patient/" + fhir.ID("Patient", mrnSys, "SECRET"), status: 404, code: "not-found"},
		{name: "unsupported type", path: "/fhir/Observation/1", status: 404, code: "not-supported", mention: `"Observation"`},
		{name: "unsupported type search", path: "/fhir/Observation?code=1", status: 404, code: "not-supported", mention: "Patient"},
		{name: "unknown route", path: "/nope", status: 404, code: "not-found"},
		{name: "unknown FHIR route", path: "/fhir/Patient/" + id + "/_history", status: 404, code: "not-found"},
		{name: "delete", method: "DELETE", path: "/fhir/Patient/" + id, status: 405, code: "not-supported", mention: "GET, HEAD"},
		{name: "put on type", method: "PUT", path: "/fhir/Patient", status: 405, code: "not-supported"},
		{name: "GET _search", path: "/fhir/Patient/_search", status: 404, code: "not-found"},
		{name: "XML by Accept", path: "/fhir/Patient/" + id, headers: []string{"Accept", "application/fhir+xml"}, status: 406, code: "not-supported"},
		{name: "JSON refused by q=0", path: "/fhir/metadata", headers: []string{"Accept", "application/fhir+json;q=0, text/html"}, status: 406, code: "not-supported"},
		{name: "other FHIR version", path: "/fhir/metadata", headers: []string{"Accept", "application/fhir+json; fhirVersion=3.0"}, status: 406, code: "not-supported"},
		{name: "XML by _format", path: "/fhir/metadata?_format=xml", status: 406, code: "not-supported"},
		{name: "_format wins over Accept", path: "/fhir/metadata?_format=xml", headers: []string{"Accept", "application/json"}, status: 406, code: "not-supported"},
		{name: "POST _search as JSON", method: "POST", path: "/fhir/Patient/_search", headers: []string{"Content-Type", "application/json"}, body: `{}`, status: 415, code: "not-supported"},
		{name: "POST _search too long", method: "POST", path: "/fhir/Patient/_search", headers: []string{"Content-Type", "application/x-www-form-urlencoded"},
			body: "identifier=" + strings.Repeat("a", 2<<20), status: 413, code: "too-long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			r := e.do(method, tt.path, strings.NewReader(tt.body), tt.headers...)
			o := checkOutcome(t, r, tt.status, tt.code)
			if len(o.Issue) > 0 && !strings.Contains(o.Issue[0].Diagnostics, tt.mention) {
				t.Errorf("diagnostics %q do not mention %s", o.Issue[0].Diagnostics, tt.mention)
			}
			if bytes.Contains(r.body, []byte("SECRET")) {
				t.Errorf("the answer repeats a value: %s", r.body)
			}
			if tt.status == 405 && r.Header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
	// The same searches succeed when asked for leniently, or in JSON.
	for _, c := range []struct {
		path    string
		headers []string
	}{
		{"/fhir/Patient?foo=SECRET&identifier:text=x", []string{"Prefer", "handling=lenient"}},
		{"/fhir/Patient/" + id, []string{"Accept", "application/json"}},
		{"/fhir/Patient/" + id, []string{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}},
		{"/fhir/Patient/" + id + "?_format=json", []string{"Accept", "application/fhir+xml"}},
		{"/fhir/metadata", []string{"Accept", "application/fhir+json; fhirVersion=4.0"}},
	} {
		if r := e.get(c.path, c.headers...); r.StatusCode != http.StatusOK {
			t.Errorf("%s %v: status %d: %s", c.path, c.headers, r.StatusCode, r.body)
		}
	}
}

// panicStore is the real store whose Read panics.
type panicStore struct{ *store.Store }

func (panicStore) Read(context.Context, string, string) (store.Resource, error) {
	panic("SECRET in a panic")
}

func TestInternalErrors(t *testing.T) {
	t.Parallel()
	closed := storetest.Open(t)
	closed.Close()
	e := newEnv(t, func(c *api.Config) { c.Store = closed })
	for _, path := range []string{"/fhir/Patient/p1", "/fhir/Patient/p1/_history/1", "/fhir/Patient?identifier=x"} {
		r := e.get(path)
		o := checkOutcome(t, r, http.StatusInternalServerError, "exception")
		if len(o.Issue) > 0 && o.Issue[0].Diagnostics != "Internal error." {
			t.Errorf("%s: 500 shows %q", path, o.Issue[0].Diagnostics)
		}
	}
	if !strings.Contains(e.logs.String(), "api: internal error") {
		t.Errorf("internal errors not logged:\n%s", e.logs)
	}

	p := newEnv(t, func(c *api.Config) { c.Store = panicStore{c.Store.(*store.Store)} })
	checkOutcome(t, p.get("/fhir/Patient/p1"), http.StatusInternalServerError, "exception")
	if logs := p.logs.String(); !strings.Contains(logs, "api: handler panic") || strings.Contains(logs, "SECRET") {
		t.Errorf("panic log:\n%s", logs)
	}
}

func TestGzip(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.put("M1", "", "A")
	// A header set by hand turns off the transport's own decompression.
	r := e.get("/fhir/Patient?identifier=M1", "Accept-Encoding", "gzip")
	if r.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(r.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("Content-Encoding %q, Vary %q", r.Header.Get("Content-Encoding"), r.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	r.body = plain
	var b bundleJSON
	fhirBody(t, r, "Bundle", &b)
	if len(b.Entry) != 1 {
		t.Errorf("%d entries", len(b.Entry))
	}
	if r := e.get("/fhir/metadata", "Accept-Encoding", "identity"); r.Header.Get("Content-Encoding") != "" {
		t.Errorf("compressed without being asked: %q", r.Header.Get("Content-Encoding"))
	}
}

func TestHealthReadinessMetricsAndLogs(t *testing.T) {
	t.Parallel()
	var ready error
	var mu sync.Mutex
	e := newEnv(t, func(c *api.Config) {
		c.Ready = func(ctx context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			return ready
		}
	})
	if r := e.get("/healthz"); r.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %d", r.StatusCode)
	}
	if r := e.get("/readyz"); r.StatusCode != http.StatusOK {
		t.Errorf("/readyz: %d", r.StatusCode)
	}
	mu.Lock()
	ready = errors.New("broker unreachable")
	mu.Unlock()
	if r := e.get("/readyz"); r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "broker unreachable") {
		t.Errorf("/readyz when not ready: %d %s", r.StatusCode, r.body)
	}

	id := e.put("MRN-SECRET", "", "A")
	e.get("/fhir/Patient/" + id)
	e.get("/fhir/Patient?identifier=MRN-SECRET")
	e.get("/fhir/Patient/" + fhir.ID("Patient", mrnSys, "NONE"))
	e.get("/fhir/nothing/here/" + id)
	r := e.get("/metrics")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d", r.StatusCode)
	}
	metrics := string(r.body)
	for _, want := range []string{
		`tributary_api_requests_total{code="200",method="GET",route="/fhir/Patient/{id}"} 1`,
		`tributary_api_requests_total{code="404",method="GET",route="/fhir/Patient/{id}"} 1`,
		`tributary_api_requests_total{code="200",method="GET",route="/fhir/Patient"} 1`,
		`tributary_api_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`tributary_api_request_duration_seconds_count{method="GET",route="/fhir/Patient/{id}"} 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	logs := e.logs.String()
	for _, leak := range []string{"MRN-SECRET", id, "identifier="} {
		if strings.Contains(metrics, leak) || strings.Contains(logs, leak) {
			t.Errorf("metrics or logs hold %q", leak)
		}
	}
	if !strings.Contains(logs, `"route":"/fhir/Patient/{id}"`) || !strings.Contains(logs, `"status":404`) {
		t.Errorf("access log lacks route or status:\n%s", logs)
	}
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *api.Config) { c.BaseURL = "https://fhir.example.org/r4/" })
	id := e.put("M1", "", "A")
	var b bundleJSON
	fhirBody(t, e.get("/fhir/Patient?_id="+id), "Bundle", &b)
	if len(b.Entry) != 1 || b.Entry[0].FullURL != "https://fhir.example.org/r4/Patient/"+id ||
		!strings.HasPrefix(b.link("self"), "https://fhir.example.org/r4/Patient?") {
		t.Errorf("links not under BaseURL: %+v", b)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t)
	for _, cfg := range []api.Config{
		{},
		{Store: s, BaseURL: "fhir.example.org"},
		{Store: s, BaseURL: "ftp://fhir.example.org/fhir"},
		{Store: s, BaseURL: "https://fhir.example.org/fhir?x=1"},
	} {
		if _, err := api.New(cfg); err == nil || !strings.HasPrefix(err.Error(), "api: ") {
			t.Errorf("New(%+v) = %v, want an api: error", cfg, err)
		}
	}
	// Two servers on one registry share the request metrics.
	reg := prometheus.NewRegistry()
	for range 2 {
		if _, err := api.New(api.Config{Store: s, Registerer: reg}); err != nil {
			t.Errorf("New on a used registry: %v", err)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
