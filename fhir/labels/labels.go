package labels

import (
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/tributary-health/tributary/fhir"
)

// Code systems of the labels.
const (
	SystemActCode         = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	SystemConfidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
)

// A Label is one meta.security coding.
type Label struct {
	System, Code, Display string
}

// Restricted is the confidentiality label added with any sensitivity label.
var Restricted = Label{SystemConfidentiality, "R", "restricted"}

// sensitivity holds the ActCode sensitivity codes a code list may name,
// with their displays from CodeSystem-v3-ActCode (FHIR R4 4.0.1).
var sensitivity = map[string]string{
	"SUD":  "substance use disorder information sensitivity",
	"HIV":  "HIV/AIDS information sensitivity",
	"PSY":  "psychiatry disorder information sensitivity",
	"SEX":  "sexuality and reproductive health information sensitivity",
	"STD":  "sexually transmitted disease information sensitivity",
	"GDIS": "genetic disease information sensitivity",
	"ETH":  "substance abuse information sensitivity",
}

// confidentialityRank orders the v3 Confidentiality levels.
var confidentialityRank = map[string]int{"U": 0, "L": 1, "M": 2, "N": 3, "R": 4, "V": 5}

// systemAliases maps OID forms of the listed code systems to their URIs.
var systemAliases = map[string]string{
	"urn:oid:2.16.840.1.113883.6.90":  "http://hl7.org/fhir/sid/icd-10-cm",
	"urn:oid:2.16.840.1.113883.6.103": "http://hl7.org/fhir/sid/icd-9-cm",
	"urn:oid:2.16.840.1.113883.6.88":  "http://www.nlm.nih.gov/research/umls/rxnorm",
}

//go:embed codelists/*.csv
var codelists embed.FS

// rule is one row of a code list.
type rule struct {
	label  string
	prefix bool
	lo, hi string // normalized; equal for a single code
}

func (r rule) matches(code string) bool {
	if !r.prefix {
		return code == r.lo
	}
	if len(code) < len(r.lo) {
		return false
	}
	p := code[:len(r.lo)]
	return r.lo <= p && p <= r.hi
}

// A Labeler labels resources from its code lists. It is immutable after
// construction and safe for concurrent use. It is a
// [prometheus.Collector] of tributary_labels_applied_total, the labels
// [Labeler.Apply] added, by label code.
type Labeler struct {
	rules   map[string][]rule // by system
	applied *prometheus.CounterVec
}

// Default returns a Labeler with the embedded code lists
// (fhir/labels/codelists). It panics only if those are malformed, which
// the package tests rule out.
func Default() *Labeler {
	sub, err := fs.Sub(codelists, "codelists")
	if err == nil {
		var l *Labeler
		if l, err = New(sub); err == nil {
			return l
		}
	}
	panic(err)
}

// New returns a Labeler with the code lists in the *.csv files at the top
// of fsys (format: see codelists/icd10cm.csv). It returns an error naming
// the file and line of the first malformed row.
func New(fsys fs.FS) (*Labeler, error) {
	names, err := fs.Glob(fsys, "*.csv")
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("labels: no code lists")
	}
	l := &Labeler{
		rules: make(map[string][]rule),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tributary_labels_applied_total",
			Help: "Security labels added to resources' meta.security, by label code (e.g. SUD, HIV, R).",
		}, []string{"label"}),
	}
	for _, name := range names {
		if err := l.load(fsys, name); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (l *Labeler) load(fsys fs.FS, name string) error {
	f, err := fsys.Open(name)
	if err != nil {
		return fmt.Errorf("labels: %w", err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.Comment = '#'
	cr.FieldsPerRecord = 6
	header := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("labels: %s: %w", path.Base(name), err)
		}
		if header {
			header = false
			continue
		}
		line, _ := cr.FieldPos(0)
		label, system, match, codes := rec[0], rec[1], rec[2], rec[3]
		if _, ok := sensitivity[label]; !ok {
			return fmt.Errorf("labels: %s:%d: unknown label", path.Base(name), line)
		}
		if system == "" || rec[5] == "" {
			return fmt.Errorf("labels: %s:%d: system and source are required", path.Base(name), line)
		}
		lo, hi, isRange := strings.Cut(codes, "-")
		lo, hi = normalize(lo), normalize(hi)
		if !isRange {
			hi = lo
		}
		r := rule{label: label, prefix: match == "prefix", lo: lo, hi: hi}
		switch {
		case match != "prefix" && match != "exact":
			return fmt.Errorf("labels: %s:%d: match must be prefix or exact", path.Base(name), line)
		case lo == "" || len(lo) != len(hi) || lo > hi:
			return fmt.Errorf("labels: %s:%d: bad code range", path.Base(name), line)
		case isRange && !r.prefix:
			return fmt.Errorf("labels: %s:%d: a range needs match prefix", path.Base(name), line)
		}
		l.rules[system] = append(l.rules[system], r)
	}
}

// normalize makes codes comparable: no dots or spaces, upper case, so
// that F11.20 and F1120 are the same ICD code.
func normalize(code string) string {
	return strings.Map(func(r rune) rune {
		if r == '.' || r == ' ' {
			return -1
		}
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

// Label returns the labels r should carry: its sensitivity labels in code
// order, then [Restricted]; nil when no code of r is sensitive. Codings in
// r's meta are not read. Label does not modify r. A nil r has no labels.
func (l *Labeler) Label(r fhir.Resource) []Label {
	if r == nil || !r.ProtoReflect().IsValid() {
		return nil
	}
	found := map[string]bool{}
	walk(r.ProtoReflect(), func(c *dtpb.Coding) {
		system, code := c.GetSystem().GetValue(), normalize(c.GetCode().GetValue())
		if alias, ok := systemAliases[system]; ok {
			system = alias
		}
		if code == "" {
			return
		}
		for _, ru := range l.rules[system] {
			if ru.matches(code) {
				found[ru.label] = true
			}
		}
	})
	if len(found) == 0 {
		return nil
	}
	codes := make([]string, 0, len(found))
	for c := range found {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	out := make([]Label, 0, len(codes)+1)
	for _, c := range codes {
		out = append(out, Label{SystemActCode, c, sensitivity[c]})
	}
	return append(out, Restricted)
}

var (
	codingName = (&dtpb.Coding{}).ProtoReflect().Descriptor().FullName()
	metaName   = (&dtpb.Meta{}).ProtoReflect().Descriptor().FullName()
	anyName    = (&anypb.Any{}).ProtoReflect().Descriptor().FullName()
)

// walk calls fn for every Coding in m, skipping Meta elements and
// descending into contained resources (google.protobuf.Any in the R4
// protos; one whose type is not linked in is skipped).
func walk(m protoreflect.Message, fn func(*dtpb.Coding)) {
	switch m.Descriptor().FullName() {
	case codingName:
		if c, ok := m.Interface().(*dtpb.Coding); ok {
			fn(c)
		}
		return
	case metaName:
		return
	case anyName:
		if a, ok := m.Interface().(*anypb.Any); ok {
			if inner, err := a.UnmarshalNew(); err == nil {
				walk(inner.ProtoReflect(), fn)
			}
		}
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
			return true
		}
		switch {
		case fd.IsList():
			list := v.List()
			for i := range list.Len() {
				walk(list.Get(i).Message(), fn)
			}
		case fd.IsMap():
			// FHIR protos have no maps.
		default:
			walk(v.Message(), fn)
		}
		return true
	})
}

// Apply adds the labels of [Labeler.Label] to r's meta.security and
// reports whether it changed r. It is idempotent: a label already present
// (same system and code) is not added again, and an existing v3
// Confidentiality code below R is raised to R rather than joined by a
// second one (a higher one, V, is kept). Apply modifies r; the caller must
// not use r concurrently.
func (l *Labeler) Apply(r fhir.Resource) bool {
	labels := l.Label(r)
	if len(labels) == 0 {
		return false
	}
	m := r.ProtoReflect()
	fd := m.Descriptor().Fields().ByName("meta")
	if fd == nil || fd.Message() == nil || fd.Message().FullName() != metaName {
		return false
	}
	meta, ok := m.Mutable(fd).Message().Interface().(*dtpb.Meta)
	if !ok {
		return false
	}
	changed := false
	for _, lb := range labels {
		if lb.System == SystemConfidentiality {
			if setConfidentiality(meta, lb) {
				changed = true
				l.applied.WithLabelValues(lb.Code).Inc()
			}
			continue
		}
		if slices.ContainsFunc(meta.Security, func(c *dtpb.Coding) bool {
			return c.GetSystem().GetValue() == lb.System && c.GetCode().GetValue() == lb.Code
		}) {
			continue
		}
		meta.Security = append(meta.Security, coding(lb))
		changed = true
		l.applied.WithLabelValues(lb.Code).Inc()
	}
	return changed
}

// setConfidentiality makes meta's confidentiality at least lb's.
func setConfidentiality(meta *dtpb.Meta, lb Label) bool {
	for _, c := range meta.Security {
		if c.GetSystem().GetValue() != SystemConfidentiality {
			continue
		}
		have, ok := confidentialityRank[c.GetCode().GetValue()]
		if ok && have >= confidentialityRank[lb.Code] {
			return false
		}
		c.Code = &dtpb.Code{Value: lb.Code}
		c.Display = &dtpb.String{Value: lb.Display}
		return true
	}
	meta.Security = append(meta.Security, coding(lb))
	return true
}

func coding(lb Label) *dtpb.Coding {
	return &dtpb.Coding{
		System:  &dtpb.Uri{Value: lb.System},
		Code:    &dtpb.Code{Value: lb.Code},
		Display: &dtpb.String{Value: lb.Display},
	}
}

// Describe implements [prometheus.Collector].
func (l *Labeler) Describe(ch chan<- *prometheus.Desc) { l.applied.Describe(ch) }

// Collect implements [prometheus.Collector].
func (l *Labeler) Collect(ch chan<- prometheus.Metric) { l.applied.Collect(ch) }
