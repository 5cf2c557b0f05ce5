package search

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Every definition must agree with the specification's SearchParameter,
// copied into testdata, so that the CapabilityStatement built from them
// tells the truth.
func TestDefinitionsMatchSpecification(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/SearchParameter-*.json")
	if err != nil {
		t.Fatal(err)
	}
	specs := map[string]struct {
		URL, Code, Type, Expression string
		Base                        []string
	}{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var sp struct {
			URL, Code, Type, Expression string
			Base                        []string
		}
		if err := json.Unmarshal(b, &sp); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		specs[sp.URL] = sp
	}
	for _, p := range definitions {
		sp, ok := specs[p.URL]
		if !ok {
			t.Errorf("%s %s: no testdata/SearchParameter-*.json with url %s", p.Base, p.Name, p.URL)
			continue
		}
		if sp.Code != p.Name || sp.Type != string(p.Type) || !strings.Contains(sp.Expression, p.Expression) {
			t.Errorf("%s %s: definition (%s, %s, %s) disagrees with the specification (%s, %s, %s)",
				p.Base, p.Name, p.Name, p.Type, p.Expression, sp.Code, sp.Type, sp.Expression)
		}
		found := false
		for _, b := range sp.Base {
			found = found || b == p.Base
		}
		if !found {
			t.Errorf("%s %s: base not in the specification's %v", p.Base, p.Name, sp.Base)
		}
		if p.Name != ParamID && (len(p.Path) == 0 || p.Expression != p.Base+"."+strings.Join(p.Path, ".")) {
			t.Errorf("%s %s: path %v does not implement %s", p.Base, p.Name, p.Path, p.Expression)
		}
	}
}

func TestParamsAndLookup(t *testing.T) {
	t.Parallel()
	names := func(ps []Param) []string {
		var s []string
		for _, p := range ps {
			s = append(s, p.Name)
		}
		return s
	}
	if diff := cmp.Diff([]string{"_id", "identifier"}, names(Params("Patient"))); diff != "" {
		t.Errorf("Params(Patient) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"_id"}, names(Params("Observation"))); diff != "" {
		t.Errorf("Params(Observation) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Patient"}, ResourceTypes()); diff != "" {
		t.Errorf("ResourceTypes (-want +got):\n%s", diff)
	}
	if _, ok := Lookup("Observation", "identifier"); ok {
		t.Error("Lookup(Observation, identifier) found Patient's parameter")
	}
	if p, ok := Lookup("Observation", "_id"); !ok || p.Base != BaseResource {
		t.Errorf("Lookup(Observation, _id) = %+v, %v", p, ok)
	}
}

func TestExtract(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, typ, json string
		want            []TokenEntry
	}{
		{
			name: "identifiers, deduplicated and sorted, without value skipped",
			typ:  "Patient",
			json: `{"resourceType":"Patient","id":"p1","identifier":[
				{"system":"urn:oid:1.2.3","value":"M2"},
				{"system":"urn:oid:1.2.3","value":"M1"},
				{"value":"LOCAL"},
				{"system":"urn:oid:1.2.3","value":"M1"},
				{"system":"urn:oid:9"},
				{"system":"urn:oid:1.2.3","value":""}]}`,
			want: []TokenEntry{
				{"identifier", Token{"", "LOCAL"}},
				{"identifier", Token{"urn:oid:1.2.3", "M1"}},
				{"identifier", Token{"urn:oid:1.2.3", "M2"}},
			},
		},
		{name: "no identifiers", typ: "Patient", json: `{"resourceType":"Patient","id":"p1"}`},
		{name: "identifier of the wrong shape", typ: "Patient", json: `{"resourceType":"Patient","identifier":"x"}`,
			want: []TokenEntry{{"identifier", Token{"", "x"}}}},
		{name: "identifier not an object", typ: "Patient", json: `{"resourceType":"Patient","identifier":[7]}`},
		{name: "type without parameters", typ: "Observation", json: `{"resourceType":"Observation","identifier":[{"value":"x"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var m map[string]any
			if err := json.Unmarshal([]byte(tt.json), &m); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, Extract(tt.typ, m).Tokens); diff != "" {
				t.Errorf("Extract (-want +got):\n%s", diff)
			}
		})
	}
}

// The element shapes a token parameter may point at.
func TestTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json string
		want []Token
	}{
		{`{"coding":[{"system":"http://loinc.org","code":"1-8"},{"code":"x"}],"text":"t"}`, []Token{{"http://loinc.org", "1-8"}, {"", "x"}}},
		{`{"system":"http://snomed.info/sct","code":"123"}`, []Token{{"http://snomed.info/sct", "123"}}},
		{`{"system":"s","value":"v"}`, []Token{{"s", "v"}}},
		{`"female"`, []Token{{"", "female"}}},
		{`true`, []Token{{"", "true"}}},
		{`false`, []Token{{"", "false"}}},
		{`""`, nil},
		{`12`, nil},
		{`null`, nil},
		{`{"text":"only text"}`, nil},
	}
	for _, tt := range tests {
		var v any
		if err := json.Unmarshal([]byte(tt.json), &v); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, tokens(v)); diff != "" {
			t.Errorf("tokens(%s) (-want +got):\n%s", tt.json, diff)
		}
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	ident, _ := Lookup("Patient", "identifier")
	id, _ := Lookup("Patient", "_id")
	tests := []struct {
		name  string
		query string
		h     Handling
		want  Query
	}{
		{name: "empty", query: "", want: Query{Type: "Patient", Count: DefaultCount}},
		{name: "code in any system", query: "identifier=M1", want: Query{Type: "Patient", Count: 20, Clauses: []Clause{
			{ident, []TokenMatch{{Code: "M1", AnySystem: true}}}}}},
		{name: "system and code", query: "identifier=urn:oid:1.2.3|M1", want: Query{Type: "Patient", Count: 20, Clauses: []Clause{
			{ident, []TokenMatch{{System: "urn:oid:1.2.3", Code: "M1"}}}}}},
		{name: "code without system", query: "identifier=|M1", want: Query{Type: "Patient", Count: 20, Clauses: []Clause{
			{ident, []TokenMatch{{Code: "M1"}}}}}},
		{name: "any code in system", query: "identifier=urn:oid:1.2.3|", want: Query{Type: "Patient", Count: 20, Clauses: []Clause{
			{ident, []TokenMatch{{System: "urn:oid:1.2.3"}}}}}},
		{name: "comma is OR, repetition is AND, empty values ignored", query: "identifier=a,s|b,&identifier=c&identifier=&_id=",
			want: Query{Type: "Patient", Count: 20, Clauses: []Clause{
				{ident, []TokenMatch{{Code: "a", AnySystem: true}, {System: "s", Code: "b"}}},
				{ident, []TokenMatch{{Code: "c", AnySystem: true}}},
			}}},
		{name: "escapes", query: `identifier=` + url.QueryEscape(`s\|x|a\,b\\,c\$d\q`), want: Query{Type: "Patient", Count: 20, Clauses: []Clause{
			{ident, []TokenMatch{{System: "s|x", Code: `a,b\`}, {Code: `c$d\q`, AnySystem: true}}}}}},
		{name: "code containing a bar", query: "identifier=s|a|b", want: Query{Type: "Patient", Count: 20, Clauses: []Clause{
			{ident, []TokenMatch{{System: "s", Code: "a|b"}}}}}},
		{name: "ids", query: "_id=p1,p2", want: Query{Type: "Patient", Count: 20, Clauses: []Clause{
			{id, []TokenMatch{{Code: "p1", AnySystem: true}, {Code: "p2", AnySystem: true}}}}}},
		{name: "result parameters", query: "_count=5&_total=none&_cursor=abc", want: Query{Type: "Patient", Count: 5, Total: TotalNone, Cursor: "abc"}},
		{name: "count capped", query: "_count=5000&_total=estimate", want: Query{Type: "Patient", Count: MaxCount}},
		{name: "count zero", query: "_count=0&_total=accurate", want: Query{Type: "Patient"}},
		{name: "lenient ignores unknown and unsupported", query: "foo=1&_sort=name&identifier:text=x&identifier=a", h: Lenient,
			want: Query{Type: "Patient", Count: 20, Clauses: []Clause{{ident, []TokenMatch{{Code: "a", AnySystem: true}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse("Patient", v, tt.h)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
			again, err := Parse("Patient", got.Values(), Strict)
			if err != nil {
				t.Fatalf("Parse(Values()): %v", err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("Parse(Values()) differs (-first +second):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query, typ string
		h          Handling
		param      string
		want       error
	}{
		{query: "foo=1", param: "foo", want: ErrUnsupported},
		{query: "_sort=name", param: "_sort", want: ErrUnsupported},
		{query: "identifier:text=SECRET", param: "identifier:text", want: ErrUnsupported},
		{query: "_count:x=1", param: "_count:x", want: ErrUnsupported, h: Lenient},
		{query: "identifier=x", typ: "Observation", param: "identifier", want: ErrUnsupported},
		{query: "identifier=|", param: "identifier", want: ErrInvalid, h: Lenient},
		{query: "_id=s|SECRET", param: "_id", want: ErrInvalid},
		{query: "_count=-1", param: "_count", want: ErrInvalid},
		{query: "_count=SECRET", param: "_count", want: ErrInvalid},
		{query: "_count=1&_count=2", param: "_count", want: ErrInvalid},
		{query: "_total=SECRET", param: "_total", want: ErrInvalid},
		{query: "identifier=" + strings.Repeat("a,", MaxValues) + "a", param: "identifier", want: ErrInvalid},
	}
	for _, tt := range tests {
		v, err := url.ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		typ := tt.typ
		if typ == "" {
			typ = "Patient"
		}
		_, err = Parse(typ, v, tt.h)
		var perr *Error
		if !errors.As(err, &perr) || perr.Param != tt.param || !errors.Is(err, tt.want) {
			t.Errorf("Parse(%q) = %v, want an *Error for %q wrapping %v", tt.query, err, tt.param, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("Parse(%q) error %q shows the value", tt.query, err)
		}
		if !strings.Contains(err.Error(), `"`+tt.param+`"`) {
			t.Errorf("Parse(%q) error %q does not name the parameter", tt.query, err)
		}
	}
}

// FuzzParse checks that Parse never panics and that every query it accepts
// survives a round trip through its canonical form.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"identifier=a,s|b&identifier=|c", `identifier=s\|x|a\,b`, "_id=x&_count=3&_total=none&_cursor=q", "identifier=s|", "a=b"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, query string, lenient bool) {
		v, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		h := Strict
		if lenient {
			h = Lenient
		}
		q, err := Parse("Patient", v, h)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		again, err := Parse("Patient", q.Values(), Strict)
		if err != nil {
			t.Fatalf("Parse(Values()): %v", err)
		}
		if diff := cmp.Diff(q, again); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}
