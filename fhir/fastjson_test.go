package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	crpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/bundle_and_contained_resource_go_proto"
	obspb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/observation_go_proto"
	parpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/parameters_go_proto"
	ppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/patient_go_proto"
)

// compareFast marshals r with both encoders. It fails t when the fast
// encoder succeeds with different bytes, and reports whether it fell back.
func compareFast(t testing.TB, name string, r Resource) (fellBack bool) {
	t.Helper()
	got, err := marshalFast(r)
	want, refErr := marshalJSONFormat(proto.Clone(r))
	if err != nil {
		if !errors.Is(err, errFallback) {
			t.Errorf("%s: fast: %v", name, err)
		}
		// Marshal must then give exactly jsonformat's answer.
		b, mErr := Marshal(r)
		if (mErr == nil) != (refErr == nil) || !bytes.Equal(b, want) {
			t.Errorf("%s: Marshal after fallback = %q, %v; jsonformat = %q, %v", name, b, mErr, want, refErr)
		}
		return true
	}
	if refErr != nil {
		t.Errorf("%s: fast succeeded but jsonformat failed: %v\nfast: %s", name, refErr, got)
		return false
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Errorf("%s: outputs differ at byte %d\nfast:       %s\njsonformat: %s", name, i, excerpt(got, i), excerpt(want, i))
	}
	return false
}

func excerpt(b []byte, i int) string {
	lo, hi := max(0, i-120), min(len(b), i+120)
	return fmt.Sprintf("…%s…", b[lo:hi])
}

var (
	unmarshallers = sync.OnceValue(func() []*jsonformat.Unmarshaller {
		var us []*jsonformat.Unmarshaller
		for _, tz := range []string{"UTC", "America/New_York"} {
			u, err := jsonformat.NewUnmarshaller(tz, fhirversion.R4)
			if err != nil {
				panic(err)
			}
			us = append(us, u)
		}
		u, err := jsonformat.NewUnmarshallerWithoutValidation("Asia/Kolkata", fhirversion.R4)
		if err != nil {
			panic(err)
		}
		return append(us, u)
	})
)

// resourcesOf returns the resource in one FHIR JSON document and, for a
// Bundle, each entry's resource on its own.
func resourcesOf(doc json.RawMessage) []json.RawMessage {
	var head struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if json.Unmarshal(doc, &head) != nil || head.ResourceType == "" {
		return nil
	}
	out := []json.RawMessage{doc}
	for _, e := range head.Entry {
		if len(e.Resource) > 0 {
			out = append(out, resourcesOf(e.Resource)...)
		}
	}
	return out
}

// exampleFiles lists every FHIR JSON example we have: the shared corpus and
// specs, the fromv2 goldens, and google/fhir's own Synthea bundle.
func exampleFiles(t *testing.T) []string {
	var files []string
	for _, root := range []string{"../../shared/corpus", "../../shared/specs/fhir-r4"} {
		if _, err := os.Stat(root); err != nil {
			t.Logf("skipping %s: %v", root, err)
			continue
		}
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
				files = append(files, p)
			}
			return nil
		})
	}
	golden, _ := filepath.Glob("fromv2/testdata/*.fhir.json")
	files = append(files, golden...)
	modcache := os.Getenv("GOMODCACHE")
	if modcache == "" {
		modcache = filepath.Join(build.Default.GOPATH, "pkg", "mod")
	}
	synthea := filepath.Join(modcache, "github.com/google/fhir/go@v0.7.4/jsonformat/test/testdata/synthea.bundle.json")
	if _, err := os.Stat(synthea); err == nil {
		files = append(files, synthea)
	}
	return files
}

// TestFastMarshalCorpus is the differential test: every example resource,
// parsed by jsonformat (in three time zones), must print identically.
func TestFastMarshalCorpus(t *testing.T) {
	t.Parallel()
	files := exampleFiles(t)
	if len(files) == 0 {
		t.Skip("no FHIR examples found")
	}
	var compared, rejected, fellBack, docs, docsCompared int
	types := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		dec := json.NewDecoder(bytes.NewReader(b)) // goldens hold several documents
		for n := 0; ; n++ {
			var doc json.RawMessage
			if err := dec.Decode(&doc); err == io.EOF {
				break
			} else if err != nil {
				t.Logf("%s: doc %d: %v", f, n, err)
				break
			}
			for i, raw := range resourcesOf(doc) {
				docs++
				parsed := false
				for j, u := range unmarshallers() {
					cr, err := u.UnmarshalR4(raw)
					if err != nil {
						rejected++
						continue
					}
					r := containedResource(cr)
					if r == nil {
						continue
					}
					name := fmt.Sprintf("%s#%d/%d/u%d", filepath.Base(f), n, i, j)
					if compareFast(t, name, r) {
						fellBack++
						t.Errorf("%s: fast encoder fell back on a corpus resource", name)
					}
					compared++
					types[TypeOf(r)]++
					parsed = true
				}
				if parsed {
					docsCompared++
				}
			}
		}
	}
	names := make([]string, 0, len(types))
	for n := range types {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("%d files, %d resource documents (%d parsed by jsonformat); %d parsed resources of %d types compared byte for byte (%d fallbacks); %d parses rejected",
		len(files), docs, docsCompared, compared, len(types), fellBack, rejected)
	t.Logf("types: %s", strings.Join(names, " "))
	if compared == 0 {
		t.Error("nothing compared")
	}
}

func containedResource(cr *crpb.ContainedResource) Resource {
	m := cr.ProtoReflect()
	fd := m.WhichOneof(m.Descriptor().Oneofs().ByName("oneof_resource"))
	if fd == nil {
		return nil
	}
	return m.Get(fd).Message().Interface()
}

// TestFastMarshalEdgeCases covers shapes the parser never produces from
// JSON but our mappers may build: typed reference ids, internal
// extensions, time zones, escaping.
func TestFastMarshalEdgeCases(t *testing.T) {
	t.Parallel()
	str := func(s string) *dtpb.String { return &dtpb.String{Value: s} }
	hnv := &dtpb.Extension{
		Url:   &dtpb.Uri{Value: primitiveHasNoValueURL},
		Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_Boolean{Boolean: &dtpb.Boolean{Value: true}}},
	}
	ext := &dtpb.Extension{
		Url:   &dtpb.Uri{Value: "http://example.org/x"},
		Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_StringValue{StringValue: str("<b>&\u2028\x01\xff")}},
	}
	ref := func(r *dtpb.Reference) *ppb.Patient {
		return &ppb.Patient{GeneralPractitioner: []*dtpb.Reference{r}}
	}
	tests := []struct {
		name     string
		r        Resource
		fallback bool
	}{
		{"empty", &ppb.Patient{}, false},
		{"nil", (*ppb.Patient)(nil), false},
		{"parameters resource", &parpb.Parameters{Parameter: []*parpb.Parameters_Parameter{{Name: str("p"), Resource: containedAny(t, &ppb.Patient{})}}}, true},
		{"nil list elements", &ppb.Patient{Name: []*dtpb.HumanName{nil, {Given: []*dtpb.String{nil}}}}, false},
		{"escaping", &ppb.Patient{Id: &dtpb.Id{Value: `a"b\c</script>&é𝄞` + "\t\n\r\b\f\x00\x1f\u2029\xc3"}}, false},
		{"ref patient id", ref(&dtpb.Reference{Reference: &dtpb.Reference_PatientId{PatientId: &dtpb.ReferenceId{Value: "p1"}}}), false},
		{"ref history", ref(&dtpb.Reference{Reference: &dtpb.Reference_PractitionerId{PractitionerId: &dtpb.ReferenceId{Value: "p1", History: &dtpb.Id{Value: "7"}}}}), false},
		{"ref resource id", ref(&dtpb.Reference{Reference: &dtpb.Reference_ResourceId{ResourceId: &dtpb.ReferenceId{Value: "x"}}}), false},
		{"ref fragment", ref(&dtpb.Reference{Reference: &dtpb.Reference_Fragment{Fragment: str("c1")}, Display: str("d")}), false},
		{"ref uri with extension", ref(&dtpb.Reference{Reference: &dtpb.Reference_Uri{Uri: &dtpb.String{Value: "urn:uuid:1", Extension: []*dtpb.Extension{ext}}}}), false},
		{"ref nil fragment", ref(&dtpb.Reference{Reference: &dtpb.Reference_Fragment{}}), true},
		{"no value", &ppb.Patient{BirthDate: &dtpb.Date{Extension: []*dtpb.Extension{hnv, ext}}}, false},
		{"no value only", &ppb.Patient{BirthDate: &dtpb.Date{Extension: []*dtpb.Extension{hnv}}}, false},
		{"element id", &ppb.Patient{Active: &dtpb.Boolean{Id: str("a1")}}, false},
		{"gender unset with ext", &ppb.Patient{Gender: &ppb.Patient_GenderCode{Extension: []*dtpb.Extension{ext}}}, false},
		{"gender", &ppb.Patient{Gender: &ppb.Patient_GenderCode{Value: cpb.AdministrativeGenderCode_UNKNOWN}}, false},
		{"gender unknown number", &ppb.Patient{Gender: &ppb.Patient_GenderCode{Value: 99}}, true},
		{"repeated with nulls", &ppb.Patient{Name: []*dtpb.HumanName{{Given: []*dtpb.String{str("A"), {Extension: []*dtpb.Extension{hnv}}, {Value: "C", Id: str("i")}}}}}, false},
		{"deceased", &ppb.Patient{Deceased: &ppb.Patient_DeceasedX{Choice: &ppb.Patient_DeceasedX_Boolean{Boolean: &dtpb.Boolean{Value: false}}}}, false},
		{"deceased unset choice", &ppb.Patient{Deceased: &ppb.Patient_DeceasedX{}}, true},
		{"multiple birth", &ppb.Patient{MultipleBirth: &ppb.Patient_MultipleBirthX{Choice: &ppb.Patient_MultipleBirthX_Integer{Integer: &dtpb.Integer{Value: -3, Extension: []*dtpb.Extension{ext}}}}}, false},
		{"base64", &ppb.Patient{Photo: []*dtpb.Attachment{{Data: &dtpb.Base64Binary{Value: []byte("\x00\xffhello")}, Size: &dtpb.UnsignedInt{Value: 4294967295}}}}, false},
		{"base64 stride", &ppb.Patient{Photo: []*dtpb.Attachment{{Data: &dtpb.Base64Binary{Value: []byte("hello world"), Extension: []*dtpb.Extension{stride()}}}}}, true},
		{"narrative", &ppb.Patient{Text: &dtpb.Narrative{Div: &dtpb.Xhtml{Value: `<div xmlns="http://www.w3.org/1999/xhtml">a &amp; <b>b</b></div>`}}}, false},
		{"contained", &ppb.Patient{Contained: []*anypb.Any{containedAny(t, &ppb.Patient{Id: &dtpb.Id{Value: "c1"}})}}, false},
		{"contained wrong type", &ppb.Patient{Contained: []*anypb.Any{mustAny(t, &dtpb.String{Value: "x"})}}, true},
		{"decimal", &obspb.Observation{Value: &obspb.Observation_ValueX{Choice: &obspb.Observation_ValueX_Quantity{Quantity: &dtpb.Quantity{Value: &dtpb.Decimal{Value: "-1.50e+3"}, Comparator: &dtpb.Quantity_ComparatorCode{Value: cpb.QuantityComparatorCode_LESS_THAN_OR_EQUAL_TO}}}}}, false},
		{"decimal not a number", &obspb.Observation{Value: &obspb.Observation_ValueX{Choice: &obspb.Observation_ValueX_Quantity{Quantity: &dtpb.Quantity{Value: &dtpb.Decimal{Value: " 1"}}}}}, true},
		{"time", &obspb.Observation{Value: &obspb.Observation_ValueX{Choice: &obspb.Observation_ValueX_Time{Time: &dtpb.Time{ValueUs: 45296789012, Precision: dtpb.Time_MICROSECOND}}}}, false},
		{"string value", &obspb.Observation{Value: &obspb.Observation_ValueX{Choice: &obspb.Observation_ValueX_StringValue{StringValue: str("x")}}}, false},
	}
	for _, tz := range []string{"Z", "UTC", "", "+01:00", "-05:30", "+14:00", "Europe/Berlin", "America/New_York", "Local", "bogus"} {
		for _, p := range []dtpb.DateTime_Precision{dtpb.DateTime_YEAR, dtpb.DateTime_MONTH, dtpb.DateTime_DAY, dtpb.DateTime_SECOND, dtpb.DateTime_MILLISECOND, dtpb.DateTime_MICROSECOND} {
			dt := &dtpb.DateTime{ValueUs: 1700000000123456, Timezone: tz, Precision: p}
			tests = append(tests, struct {
				name     string
				r        Resource
				fallback bool
			}{fmt.Sprintf("dateTime %q %v", tz, p), obsEffective(dt), tz == "bogus"})
		}
		for _, p := range []dtpb.Instant_Precision{dtpb.Instant_SECOND, dtpb.Instant_MILLISECOND, dtpb.Instant_MICROSECOND, dtpb.Instant_PRECISION_UNSPECIFIED} {
			in := &dtpb.Instant{ValueUs: -123456789, Timezone: tz, Precision: p}
			tests = append(tests, struct {
				name     string
				r        Resource
				fallback bool
			}{fmt.Sprintf("instant %q %v", tz, p), &obspb.Observation{Issued: in}, tz == "bogus" || p == dtpb.Instant_PRECISION_UNSPECIFIED})
		}
	}
	for _, tt := range tests {
		fellBack := compareFast(t, tt.name, tt.r)
		if fellBack != tt.fallback {
			t.Errorf("%s: fell back = %v, want %v", tt.name, fellBack, tt.fallback)
		}
	}
}

func obsEffective(dt *dtpb.DateTime) *obspb.Observation {
	return &obspb.Observation{Effective: &obspb.Observation_EffectiveX{Choice: &obspb.Observation_EffectiveX_DateTime{DateTime: dt}}}
}

func stride() *dtpb.Extension {
	sub := func(url string, v *dtpb.Extension_ValueX) *dtpb.Extension {
		return &dtpb.Extension{Url: &dtpb.Uri{Value: url}, Value: v}
	}
	return &dtpb.Extension{
		Url: &dtpb.Uri{Value: base64StrideURL},
		Extension: []*dtpb.Extension{
			sub("separator", &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_StringValue{StringValue: &dtpb.String{Value: " "}}}),
			sub("stride", &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_PositiveInt{PositiveInt: &dtpb.PositiveInt{Value: 4}}}),
		},
	}
}

func containedAny(t *testing.T, p *ppb.Patient) *anypb.Any {
	return mustAny(t, &crpb.ContainedResource{OneofResource: &crpb.ContainedResource_Patient{Patient: p}})
}

func mustAny(t *testing.T, m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestFastMarshalPlans checks that every R4 resource type gets a usable
// plan (no two fields printing the same key).
func TestFastMarshalPlans(t *testing.T) {
	t.Parallel()
	od := (&crpb.ContainedResource{}).ProtoReflect().Descriptor().Oneofs().ByName("oneof_resource")
	seen := map[*msgPlan]bool{}
	var walk func(p *msgPlan, path string)
	walk = func(p *msgPlan, path string) {
		if seen[p] {
			return
		}
		seen[p] = true
		// Parameters.parameter.resource is an Any that jsonformat cannot
		// print (it only unpacks Any in "contained"): falling back is right.
		if p.bad && p.goType != reflect.TypeOf(&anypb.Any{}) {
			t.Errorf("%s: plan unusable", path)
		}
		var fps []*fieldPlan
		fps = append(fps, p.fields...)
		for _, op := range p.oneofs {
			for _, fp := range op.members {
				fps = append(fps, fp)
			}
		}
		for _, fp := range fps {
			if fp.msg != nil {
				walk(fp.msg, path+"."+fp.name)
			}
			if fp.choice != nil {
				for _, o := range fp.choice.members {
					if o.msg != nil {
						walk(o.msg, path+"."+o.name)
					}
				}
			}
		}
	}
	for i := range od.Fields().Len() {
		fd := od.Fields().Get(i)
		walk(planFor(fd.Message()), string(fd.Message().Name()))
	}
	if len(seen) < 149 {
		t.Errorf("only %d plans", len(seen))
	}
}

// TestFastMarshalRandom builds random R4 resources (every type, random
// values, internal extensions, odd time zones) and compares both encoders.
func TestFastMarshalRandom(t *testing.T) {
	t.Parallel()
	n := 1500
	if testing.Short() {
		n = 200
	}
	fellBack, size := 0, 0
	types := map[string]bool{}
	for seed := range n {
		r := randomResource(rand.New(rand.NewPCG(uint64(seed), 42)))
		if compareFast(t, fmt.Sprintf("seed %d (%s)", seed, TypeOf(r)), r) {
			fellBack++
		} else {
			b, _ := marshalFast(r)
			size += len(b)
			types[TypeOf(r)] = true
		}
		if t.Failed() {
			break
		}
	}
	t.Logf("%d random resources, %d fell back to jsonformat; %d of %d types, %d bytes compared on the fast path",
		n, fellBack, len(types), len(resourceTypes()), size)
	if fellBack > n/2 {
		t.Errorf("fast path used for only %d of %d", n-fellBack, n)
	}
}

// FuzzMarshal: any JSON jsonformat accepts must print identically.
func FuzzMarshal(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Patient","id":"a","birthDate":"1970","_birthDate":{"id":"x"}}`,
		`{"resourceType":"Patient","name":[{"given":["A",null],"_given":[null,{"extension":[{"url":"u","valueString":"<&>"}]}]}]}`,
		`{"resourceType":"Observation","status":"final","code":{"text":"t"},"valueQuantity":{"value":1.50,"comparator":"<="},"effectiveDateTime":"2020-01-02T03:04:05.123+05:30","subject":{"reference":"Patient/1/_history/2"}}`,
		`{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"p"}],"generalPractitioner":[{"reference":"#p"}],"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}}`,
		`{"resourceType":"Binary","contentType":"text/plain","data":"aGVs bG8g d29y bGQ="}`,
		`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Encounter","status":"finished","class":{"code":"IMP"}}}]}`,
	} {
		f.Add([]byte(s))
	}
	if files, _ := filepath.Glob("fromv2/testdata/ADT_A01*.fhir.json"); len(files) > 0 {
		b, _ := os.ReadFile(files[0])
		dec := json.NewDecoder(bytes.NewReader(b))
		for {
			var doc json.RawMessage
			if dec.Decode(&doc) != nil {
				break
			}
			f.Add([]byte(doc))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, u := range unmarshallers() {
			cr, err := u.UnmarshalR4(b)
			if err != nil {
				continue
			}
			if r := containedResource(cr); r != nil {
				compareFast(t, "fuzz", r)
			}
		}
	})
}

// FuzzMarshalRandom: random resources from a fuzzed seed.
func FuzzMarshalRandom(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Fuzz(func(t *testing.T, a, b uint64) {
		compareFast(t, "random", randomResource(rand.New(rand.NewPCG(a, b))))
	})
}

var resourceTypes = sync.OnceValue(func() []protoreflect.FieldDescriptor {
	od := (&crpb.ContainedResource{}).ProtoReflect().Descriptor().Oneofs().ByName("oneof_resource")
	var fds []protoreflect.FieldDescriptor
	for i := range od.Fields().Len() {
		fds = append(fds, od.Fields().Get(i))
	}
	return fds
})

func randomResource(r *rand.Rand) Resource {
	common := []string{"patient", "encounter", "observation", "bundle", "binary", "condition", "practitioner"}
	var fd protoreflect.FieldDescriptor
	if r.IntN(2) == 0 {
		name := common[r.IntN(len(common))]
		fd = (&crpb.ContainedResource{}).ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(name))
	} else {
		fds := resourceTypes()
		fd = fds[r.IntN(len(fds))]
	}
	m := (&crpb.ContainedResource{}).ProtoReflect().NewField(fd).Message()
	g := generator{r: r}
	g.fill(m, 0)
	return m.Interface()
}

type generator struct{ r *rand.Rand }

var (
	randStrings = []string{"", "a", "Doe", "<b>&amp;</b>", `"q"\`, "\n\t\r", "\x01\x7f", "\u2028\u2029", "é𝄞", "\xff\xfe", "a/b", "#x", "Patient/1"}
	randZones   = []string{"Z", "UTC", "", "+01:00", "-05:30", "+14:00", "-00:00", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Local"}
	randDecs    = []string{"0", "-0", "1.50", "-1.5e3", "1E-7", "12345678901234567890.000001", "3"}
	randURLs    = []string{"http://example.org/ext", "http://hl7.org/fhir/StructureDefinition/data-absent-reason", primitiveHasNoValueURL, "u"}
)

func (g generator) str() string {
	var sb strings.Builder
	for range g.r.IntN(3) + 1 {
		sb.WriteString(randStrings[g.r.IntN(len(randStrings))])
	}
	return sb.String()
}

func (g generator) fill(m protoreflect.Message, depth int) {
	d := m.Descriptor()
	if isPrimitive(d) {
		g.primitive(m, depth)
		return
	}
	if d.FullName() == "google.fhir.r4.core.Extension" {
		g.extension(m, depth)
		return
	}
	p := 0.5 / float64(depth+1)
	for i := range d.Oneofs().Len() {
		od := d.Oneofs().Get(i)
		if isChoice(d) || g.r.Float64() < p*2 {
			g.setField(m, od.Fields().Get(g.r.IntN(od.Fields().Len())), depth)
		}
	}
	for i := range d.Fields().Len() {
		fd := d.Fields().Get(i)
		if fd.ContainingOneof() != nil || g.r.Float64() >= p || depth > 5 {
			continue
		}
		g.setField(m, fd, depth)
	}
}

func (g generator) setField(m protoreflect.Message, fd protoreflect.FieldDescriptor, depth int) {
	if fd.Message() == nil {
		return
	}
	if fd.Message().FullName() == "google.protobuf.Any" {
		if depth > 2 {
			return
		}
		cr := &crpb.ContainedResource{}
		crm := cr.ProtoReflect()
		rfd := resourceTypes()[g.r.IntN(len(resourceTypes()))]
		rm := crm.Mutable(rfd).Message()
		g.fill(rm, depth+2)
		a, err := anypb.New(cr)
		if err != nil {
			return // invalid UTF-8 does not survive proto encoding
		}
		if fd.IsList() {
			m.Mutable(fd).List().Append(protoreflect.ValueOfMessage(a.ProtoReflect()))
		} else {
			m.Set(fd, protoreflect.ValueOfMessage(a.ProtoReflect()))
		}
		return
	}
	if fd.Message().Name() == "ContainedResource" && depth > 2 {
		return
	}
	if fd.IsList() {
		l := m.Mutable(fd).List()
		for range g.r.IntN(3) + 1 {
			e := l.NewElement()
			g.fill(e.Message(), depth+1)
			l.Append(e)
		}
		return
	}
	g.fill(m.Mutable(fd).Message(), depth+1)
}

func (g generator) extension(m protoreflect.Message, depth int) {
	f := m.Descriptor().Fields()
	url := randURLs[g.r.IntN(len(randURLs))]
	if g.r.IntN(10) > 0 {
		m.Mutable(f.ByName("url")).Message().Set(f.ByName("url").Message().Fields().ByName("value"), protoreflect.ValueOfString(url))
	}
	if depth < 5 && g.r.IntN(2) == 0 {
		g.setField(m, f.ByName("value"), depth)
	} else if depth < 5 {
		g.setField(m, f.ByName("extension"), depth+1)
	}
}

func (g generator) primitive(m protoreflect.Message, depth int) {
	f := m.Descriptor().Fields()
	for i := range f.Len() {
		fd := f.Get(i)
		switch fd.Name() {
		case "id":
			if g.r.IntN(5) == 0 {
				g.fill(m.Mutable(fd).Message(), depth+1)
			}
		case "extension":
			if g.r.IntN(5) == 0 && depth < 6 {
				g.setField(m, fd, depth)
			}
		case "timezone":
			m.Set(fd, protoreflect.ValueOfString(randZones[g.r.IntN(len(randZones))]))
		case "precision":
			vals := fd.Enum().Values()
			m.Set(fd, protoreflect.ValueOfEnum(vals.Get(1+g.r.IntN(vals.Len()-1)).Number()))
		case "value_us":
			m.Set(fd, protoreflect.ValueOfInt64(g.r.Int64N(4e15)-2e15))
		case "value":
			switch fd.Kind() {
			case protoreflect.StringKind:
				if m.Descriptor().Name() == "Decimal" {
					m.Set(fd, protoreflect.ValueOfString(randDecs[g.r.IntN(len(randDecs))]))
				} else {
					m.Set(fd, protoreflect.ValueOfString(g.str()))
				}
			case protoreflect.BytesKind:
				b := make([]byte, g.r.IntN(12))
				for i := range b {
					b[i] = byte(g.r.Uint32())
				}
				m.Set(fd, protoreflect.ValueOfBytes(b))
			case protoreflect.BoolKind:
				m.Set(fd, protoreflect.ValueOfBool(g.r.IntN(2) == 0))
			case protoreflect.Int32Kind:
				m.Set(fd, protoreflect.ValueOfInt32(int32(g.r.Uint32())))
			case protoreflect.Uint32Kind:
				m.Set(fd, protoreflect.ValueOfUint32(g.r.Uint32()))
			case protoreflect.EnumKind:
				vals := fd.Enum().Values()
				m.Set(fd, protoreflect.ValueOfEnum(vals.Get(g.r.IntN(vals.Len())).Number()))
			}
		}
	}
}

// TestMarshalDoesNotModify: jsonformat rewrites references in place;
// Marshal must not, on either path.
func TestMarshalDoesNotModify(t *testing.T) {
	t.Parallel()
	for _, p := range []*ppb.Patient{
		{ManagingOrganization: &dtpb.Reference{Reference: &dtpb.Reference_OrganizationId{OrganizationId: &dtpb.ReferenceId{Value: "o"}}}},
		{ManagingOrganization: &dtpb.Reference{Reference: &dtpb.Reference_OrganizationId{OrganizationId: &dtpb.ReferenceId{Value: "o"}}},
			Deceased: &ppb.Patient_DeceasedX{}}, // forces the jsonformat path
	} {
		before := proto.Clone(p)
		if _, err := Marshal(p); err != nil && p.Deceased == nil {
			t.Fatal(err)
		}
		if !proto.Equal(before, p) {
			t.Errorf("Marshal modified its argument")
		}
	}
	if _, err := Marshal(nil); err == nil {
		t.Error("Marshal(nil) succeeded")
	}
}

func TestIsJSONNumber(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"0", "-0", "1.5", "1e5", "1E+5", "-0.0e-0", "123"} {
		if !isJSONNumber(s) || !json.Valid([]byte(s)) {
			t.Errorf("isJSONNumber(%q) = false", s)
		}
	}
	for _, s := range []string{"", "-", "01", "1.", ".5", "1e", "+1", " 1", "1 ", "NaN", "0x1", "1.5.5"} {
		if isJSONNumber(s) {
			t.Errorf("isJSONNumber(%q) = true", s)
		}
	}
}
