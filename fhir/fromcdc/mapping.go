package fromcdc

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A Mapping is a loaded, checked mapping file: for each source table the
// resources its rows become. It is immutable and safe for concurrent use.
type Mapping struct {
	tables  map[string]*table // by upper-case table name
	version string
}

// Version names this mapping for the meta.tag the pipeline records on
// every resource: the file's declared format version and the first 8 hex
// digits of the SHA-256 of its bytes ("1-3f2a9c01"), so any edit of the
// file, which may change the output, shows as a new version.
func (m *Mapping) Version() string { return m.version }

// Tables returns the table names the mapping covers, sorted.
func (m *Mapping) Tables() []string {
	out := make([]string, 0, len(m.tables))
	for _, t := range m.tables {
		out = append(out, t.name)
	}
	sort.Strings(out)
	return out
}

// A MappingError is a problem with a mapping file. Loc is where, as a
// path into the file (tables.MEMBER.resources[0].fields[3]).
type MappingError struct {
	Loc string
	Err error
}

func (e *MappingError) Error() string {
	if e.Loc == "" {
		return "fromcdc: mapping: " + e.Err.Error()
	}
	return "fromcdc: mapping: " + e.Loc + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *MappingError) Unwrap() error { return e.Err }

func mapErr(loc, format string, args ...any) error {
	return &MappingError{Loc: loc, Err: fmt.Errorf(format, args...)}
}

// The file format, as decoded. Nested parts stay raw so that each is
// decoded where its location is known.
type (
	fileDoc struct {
		Version int                        `json:"version"`
		Params  map[string]string          `json:"params"`
		Tables  map[string]json.RawMessage `json:"tables"`
	}
	tableDoc struct {
		Zone      string            `json:"zone"`
		Resources []json.RawMessage `json:"resources"`
	}
	resourceDoc struct {
		Type       string            `json:"type"`
		ID         json.RawMessage   `json:"id"`
		Identifier bool              `json:"identifier"`
		Patient    json.RawMessage   `json:"patient"`
		When       json.RawMessage   `json:"when"`
		Element    string            `json:"element"`
		Key        string            `json:"key"`
		Keep       []string          `json:"keep"`
		Fields     []json.RawMessage `json:"fields"`
	}
	// exprDoc is a value expression; fieldDoc adds path, type and when.
	exprDoc struct {
		Column     string            `json:"column"`
		Const      json.RawMessage   `json:"const"`
		Param      string            `json:"param"`
		Concat     []json.RawMessage `json:"concat"`
		Sep        string            `json:"sep"`
		Transforms []json.RawMessage `json:"transforms"`
	}
	fieldDoc struct {
		exprDoc
		Path      string          `json:"path"`
		When      json.RawMessage `json:"when"`
		Reference json.RawMessage `json:"reference"`
	}
	refDoc struct {
		Type string          `json:"type"`
		ID   json.RawMessage `json:"id"`
	}
	idDoc struct {
		From      string          `json:"from"`
		System    json.RawMessage `json:"system"`
		Value     json.RawMessage `json:"value"`
		Payer     json.RawMessage `json:"payer"`
		Member    json.RawMessage `json:"member"`
		Plan      json.RawMessage `json:"plan"`
		Submitter json.RawMessage `json:"submitter"`
	}
	condDoc struct {
		Column  string   `json:"column"`
		Equals  *string  `json:"equals"`
		In      []string `json:"in"`
		NotIn   []string `json:"notIn"`
		Present *bool    `json:"present"`
	}
)

// Load reads a mapping file (JSON; see docs/cdc-mapping.md) and checks
// it: every rule, transform, path and id convention. Errors are
// [*MappingError]s located by their path in the file.
func Load(r io.Reader) (*Mapping, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxMappingSize+1))
	if err != nil {
		return nil, fmt.Errorf("fromcdc: mapping: %w", err)
	}
	if len(b) > maxMappingSize {
		return nil, mapErr("", "larger than %d bytes", maxMappingSize)
	}
	var doc fileDoc
	if err := strict(b, &doc, ""); err != nil {
		return nil, err
	}
	if doc.Version != 1 {
		return nil, mapErr("version", "want 1")
	}
	if len(doc.Tables) == 0 {
		return nil, mapErr("tables", "no tables")
	}
	c := &compiler{params: doc.Params}
	sum := sha256.Sum256(b)
	m := &Mapping{tables: map[string]*table{}, version: strconv.Itoa(doc.Version) + "-" + hex.EncodeToString(sum[:4])}
	names := make([]string, 0, len(doc.Tables))
	for n := range doc.Tables {
		names = append(names, n)
	}
	sort.Strings(names) // errors in a stable order
	for _, n := range names {
		loc := "tables." + n
		if strings.TrimSpace(n) == "" {
			return nil, mapErr(loc, "empty table name")
		}
		key := strings.ToUpper(n)
		if _, dup := m.tables[key]; dup {
			return nil, mapErr(loc, "table named twice (names are case-insensitive)")
		}
		t, err := c.table(n, doc.Tables[n], loc)
		if err != nil {
			return nil, err
		}
		m.tables[key] = t
	}
	return m, nil
}

// maxMappingSize bounds what Load reads; a real mapping is a few KiB.
const maxMappingSize = 4 << 20

// strict decodes one JSON object into v, refusing unknown members and
// trailing data.
func strict(b []byte, v any, loc string) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return &MappingError{Loc: loc, Err: jsonErr(err)}
	}
	if d.More() {
		return mapErr(loc, "trailing data after the JSON value")
	}
	return nil
}

// jsonErr rewords encoding/json errors: they may quote the input, which
// here is configuration, but keep them short and without Go type names.
func jsonErr(err error) error {
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &ute):
		if ute.Field != "" {
			return fmt.Errorf("%s: want %s", ute.Field, jsonKind(ute.Type.Kind().String()))
		}
		return fmt.Errorf("want %s", jsonKind(ute.Type.Kind().String()))
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d", se.Offset)
	case errors.Is(err, io.EOF):
		return errors.New("empty")
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}

func jsonKind(k string) string {
	switch k {
	case "struct", "map":
		return "an object"
	case "slice":
		return "an array"
	case "string":
		return "a string"
	case "bool", "ptr":
		return "a boolean"
	}
	return "a number"
}

type compiler struct {
	params map[string]string
}

func (c *compiler) table(name string, raw json.RawMessage, loc string) (*table, error) {
	var td tableDoc
	if err := strict(raw, &td, loc); err != nil {
		return nil, err
	}
	t := &table{name: name}
	if td.Zone != "" {
		l, err := time.LoadLocation(td.Zone)
		if err != nil {
			return nil, mapErr(loc+".zone", "unknown time zone %q", td.Zone)
		}
		t.zone = l
	}
	if len(td.Resources) == 0 {
		return nil, mapErr(loc+".resources", "no resources")
	}
	for i, r := range td.Resources {
		rl := fmt.Sprintf("%s.resources[%d]", loc, i)
		res, err := c.resource(r, rl, name)
		if err != nil {
			return nil, err
		}
		t.resources = append(t.resources, res)
	}
	return t, nil
}

func (c *compiler) resource(raw json.RawMessage, loc, tableName string) (*resource, error) {
	var rd resourceDoc
	if err := strict(raw, &rd, loc); err != nil {
		return nil, err
	}
	md := resourceDescs()[rd.Type]
	if md == nil {
		return nil, mapErr(loc+".type", "unknown resource type %q", rd.Type)
	}
	r := &resource{typ: rd.Type, table: tableName}
	if rd.ID == nil {
		return nil, mapErr(loc+".id", "missing: every resource needs an id rule")
	}
	var err error
	if r.id, err = c.idRule(rd.ID, loc+".id", rd.Type); err != nil {
		return nil, err
	}
	if rd.Identifier {
		if r.id.from == fromCoverage {
			return nil, mapErr(loc+".identifier", "a coverage id is not one identifier")
		}
		if f, sub := member(md, "identifier"); f == nil || !f.IsList() || sub.Name() != "Identifier" {
			return nil, mapErr(loc+".identifier", "%s has no identifier list", rd.Type)
		}
		r.identifier = true
	}
	if rd.Patient != nil {
		if rd.Type == "Patient" {
			return nil, mapErr(loc+".patient", "a Patient owns itself")
		}
		if r.patient, err = c.idRule(rd.Patient, loc+".patient", "Patient"); err != nil {
			return nil, err
		}
	}
	if rd.When != nil {
		if r.when, err = c.cond(rd.When, loc+".when"); err != nil {
			return nil, err
		}
	}
	for _, k := range rd.Keep {
		if f, _ := member(md, k); f == nil {
			return nil, mapErr(loc+".keep", "%s has no element %s", rd.Type, k)
		}
	}
	r.keep = rd.Keep
	if rd.Element != "" {
		f, sub := member(md, rd.Element)
		if f == nil || !f.IsList() || isPrimitive(sub) {
			return nil, mapErr(loc+".element", "%s has no repeating element %s with members", rd.Type, rd.Element)
		}
		md = sub
		if rd.Key == "" {
			return nil, mapErr(loc+".key", "a child element needs a key: the element member that tells its rows apart (e.g. sequence)")
		}
		if r.identifier || len(rd.Keep) > 0 {
			return nil, mapErr(loc, "identifier and keep apply to whole resources, not to a child element")
		}
		r.element, r.key = rd.Element, rd.Key
	} else if rd.Key != "" {
		return nil, mapErr(loc+".key", "key applies only with element")
	}
	if len(rd.Fields) == 0 && r.element != "" {
		return nil, mapErr(loc+".fields", "a child element needs fields")
	}
	for i, f := range rd.Fields {
		fl := fmt.Sprintf("%s.fields[%d]", loc, i)
		prefix := r.typ
		if r.element != "" {
			prefix += "." + r.element
		}
		fr, err := c.field(f, fl, prefix)
		if err != nil {
			return nil, err
		}
		if err := checkField(fr, md, prefix); err != nil {
			return nil, &MappingError{Loc: fl + ".path", Err: err}
		}
		r.fields = append(r.fields, fr)
	}
	if r.element != "" {
		found := false
		for _, f := range r.fields {
			if len(f.path) == 1 && f.path[0].name == r.key && f.path[0].index < 0 {
				found = true
			}
		}
		if !found {
			return nil, mapErr(loc+".key", "no field sets the key %q (a top-level path of the element)", r.key)
		}
	}
	return r, nil
}

// field compiles a field rule; prefix is what its path is relative to
// (Patient, or ExplanationOfBenefit.item for a child element).
func (c *compiler) field(raw json.RawMessage, loc, prefix string) (*field, error) {
	var fd fieldDoc
	if err := strict(raw, &fd, loc); err != nil {
		return nil, err
	}
	f := &field{}
	var err error
	if f.path, err = parsePath(fd.Path); err != nil {
		return nil, &MappingError{Loc: loc + ".path", Err: err}
	}
	f.pathText = prefix + "." + fd.Path
	if fd.When != nil {
		if f.when, err = c.cond(fd.When, loc+".when"); err != nil {
			return nil, err
		}
	}
	if fd.Reference != nil {
		if fd.Column != "" || fd.Const != nil || fd.Param != "" || fd.Concat != nil || fd.Transforms != nil {
			return nil, mapErr(loc, "a reference takes no column, const, param, concat or transforms")
		}
		var rd refDoc
		if err := strict(fd.Reference, &rd, loc+".reference"); err != nil {
			return nil, err
		}
		if resourceDescs()[rd.Type] == nil {
			return nil, mapErr(loc+".reference.type", "unknown resource type %q", rd.Type)
		}
		if rd.ID == nil {
			return nil, mapErr(loc+".reference.id", "missing")
		}
		id, err := c.idRule(rd.ID, loc+".reference.id", rd.Type)
		if err != nil {
			return nil, err
		}
		f.ref = &refRule{typ: rd.Type, id: id}
		f.columns = id.columns()
		return f, nil
	}
	if f.expr, err = c.exprFrom(fd.exprDoc, loc); err != nil {
		return nil, err
	}
	f.columns = f.expr.columns()
	return f, nil
}

func (c *compiler) expr(raw json.RawMessage, loc string) (*expr, error) {
	var ed exprDoc
	if err := strict(raw, &ed, loc); err != nil {
		return nil, err
	}
	return c.exprFrom(ed, loc)
}

func (c *compiler) exprFrom(ed exprDoc, loc string) (*expr, error) {
	e := &expr{}
	n := 0
	if ed.Column != "" {
		n++
		e.column = normName(ed.Column)
		e.columnText = ed.Column
	}
	if ed.Const != nil {
		n++
		var s string
		var num json.Number
		var b bool
		switch {
		case json.Unmarshal(ed.Const, &s) == nil:
			e.constVal = s
		case json.Unmarshal(ed.Const, &num) == nil:
			e.constVal = string(num)
		case json.Unmarshal(ed.Const, &b) == nil:
			e.constVal = strconv.FormatBool(b)
		default:
			return nil, mapErr(loc+".const", "want a string, number or boolean")
		}
		e.isConst = true
	}
	if ed.Param != "" {
		n++
		v, ok := c.params[ed.Param]
		if !ok {
			return nil, mapErr(loc+".param", "no parameter %q in params", ed.Param)
		}
		e.constVal, e.isConst = v, true
	}
	if ed.Concat != nil {
		n++
		if len(ed.Concat) == 0 {
			return nil, mapErr(loc+".concat", "empty")
		}
		for i, p := range ed.Concat {
			pe, err := c.expr(p, fmt.Sprintf("%s.concat[%d]", loc, i))
			if err != nil {
				return nil, err
			}
			e.concat = append(e.concat, pe)
		}
		e.sep = ed.Sep
	} else if ed.Sep != "" {
		return nil, mapErr(loc+".sep", "sep applies only with concat")
	}
	if n != 1 {
		return nil, mapErr(loc, "want exactly one of column, const, param, concat or reference")
	}
	for i, t := range ed.Transforms {
		tr, err := parseTransform(t, fmt.Sprintf("%s.transforms[%d]", loc, i))
		if err != nil {
			return nil, err
		}
		e.transforms = append(e.transforms, tr)
	}
	return e, nil
}

// The id conventions (DESIGN.md, "Identifiers and resource ids").
const (
	fromIdentifier = "identifier"  // fhir.ID(type, system, value)
	fromMember     = "member"      // fhir.ID(type, Systems.PayerMember(payer), member)
	fromCoverage   = "coverage"    // Systems.CoverageID(payer, member, plan)
	fromNPI        = "npi"         // fhir.ID(type, SystemNPI, value)
	fromPayer      = "payer"       // fhir.PayerOrganizationID(value)
	fromClaim      = "claim"       // fhir.ID(type, ClaimControl(submitter), value)
	fromPayerClaim = "payer-claim" // fhir.ID(type, urn:tributary:payer:<payer>:claim, value)
)

func (c *compiler) idRule(raw json.RawMessage, loc, typ string) (*idRule, error) {
	var d idDoc
	if err := strict(raw, &d, loc); err != nil {
		return nil, err
	}
	r := &idRule{from: d.From, typ: typ}
	type part struct {
		name string
		raw  json.RawMessage
		dst  **expr
	}
	var need []part
	switch d.From {
	case fromIdentifier:
		need = []part{{"system", d.System, &r.system}, {"value", d.Value, &r.value}}
	case fromMember:
		if d.System != nil {
			// A configured system instead of the payer's.
			need = []part{{"system", d.System, &r.system}, {"member", d.Member, &r.value}}
		} else {
			need = []part{{"payer", d.Payer, &r.payer}, {"member", d.Member, &r.value}}
		}
	case fromCoverage:
		if typ != "Coverage" {
			return nil, mapErr(loc+".from", "coverage ids are for Coverage")
		}
		need = []part{{"payer", d.Payer, &r.payer}, {"member", d.Member, &r.value}, {"plan", d.Plan, &r.plan}}
	case fromNPI:
		need = []part{{"value", d.Value, &r.value}}
	case fromPayer:
		if typ != "Organization" {
			return nil, mapErr(loc+".from", "payer ids are for Organization")
		}
		need = []part{{"value", d.Value, &r.value}}
	case fromClaim:
		need = []part{{"submitter", d.Submitter, &r.payer}, {"value", d.Value, &r.value}}
	case fromPayerClaim:
		need = []part{{"payer", d.Payer, &r.payer}, {"value", d.Value, &r.value}}
	default:
		return nil, mapErr(loc+".from", "unknown id convention %q (want identifier, member, coverage, npi, payer, claim or payer-claim)", d.From)
	}
	given := map[string]bool{}
	for _, p := range need {
		given[p.name] = true
		if p.raw == nil {
			if p.name == "plan" {
				continue // a Coverage may have no plan key
			}
			return nil, mapErr(loc+"."+p.name, "missing")
		}
		e, err := c.expr(p.raw, loc+"."+p.name)
		if err != nil {
			return nil, err
		}
		*p.dst = e
	}
	for name, raw := range map[string]json.RawMessage{"system": d.System, "value": d.Value, "payer": d.Payer, "member": d.Member, "plan": d.Plan, "submitter": d.Submitter} {
		if raw != nil && !given[name] {
			return nil, mapErr(loc+"."+name, "not part of the %s convention", d.From)
		}
	}
	return r, nil
}

func (c *compiler) cond(raw json.RawMessage, loc string) (*cond, error) {
	var d condDoc
	if err := strict(raw, &d, loc); err != nil {
		return nil, err
	}
	if d.Column == "" {
		return nil, mapErr(loc+".column", "missing")
	}
	k := &cond{column: normName(d.Column), columnText: d.Column}
	n := 0
	if d.Equals != nil {
		n++
		k.in = []string{*d.Equals}
	}
	if d.In != nil {
		n++
		k.in = d.In
	}
	if d.NotIn != nil {
		n++
		k.in, k.negate = d.NotIn, true
	}
	if d.Present != nil {
		n++
		k.present = d.Present
	}
	if n != 1 {
		return nil, mapErr(loc, "want exactly one of equals, in, notIn or present")
	}
	return k, nil
}

// normName is how column names compare: upper case, '-' as '_', so a
// copybook's MEMBER-ID and a table's member_id are one column.
func normName(s string) string {
	return strings.ReplaceAll(strings.ToUpper(strings.TrimSpace(s)), "-", "_")
}

// A pathSeg is one step of an element path: a member name and, for a
// repeating element, an index (-1 when none).
type pathSeg struct {
	name  string
	index int
}

var segRE = regexp.MustCompile(`^(_?[a-zA-Z][A-Za-z0-9]*)(?:\[([0-9]{1,2})\])?$`)

// parsePath parses a FHIR element path relative to the resource:
// "name[0].given[1]", "birthDate", "type.coding[0].code".
func parsePath(p string) ([]pathSeg, error) {
	if p == "" {
		return nil, errors.New("missing")
	}
	var out []pathSeg
	for s := range strings.SplitSeq(p, ".") {
		m := segRE.FindStringSubmatch(s)
		if m == nil {
			return nil, errors.New("not an element path (want name, name[0], a.b[1].c)")
		}
		seg := pathSeg{name: m[1], index: -1}
		if m[2] != "" {
			seg.index, _ = strconv.Atoi(m[2])
		}
		out = append(out, seg)
	}
	if slices.Contains([]string{"resourceType", "id", "meta"}, out[0].name) {
		return nil, fmt.Errorf("%s is set by the mapper", out[0].name)
	}
	return out, nil
}
