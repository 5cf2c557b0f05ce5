package fromcdc

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"
	"google.golang.org/protobuf/proto"

	"github.com/tributary-health/tributary/adapters/cdc"
	"github.com/tributary-health/tributary/fhir"
)

// Config configures a [Mapper].
type Config struct {
	// Systems maps payer ids to the identifier systems of their member
	// ids (see [fhir.Systems.PayerMember]); the member and coverage id
	// conventions use it, so ids agree with the HL7 v2 and X12 feeds.
	Systems fhir.Systems
	// Location is the zone of source times that carry none (unzoned
	// Debezium timestamps, CCYYMMDDHHMISS text); a table's "zone" in the
	// mapping overrides it. Nil means UTC.
	Location *time.Location
	// Mapping is the loaded mapping file. Required.
	Mapping *Mapping
}

// A Mapper converts change events of mapped tables to FHIR R4 resources.
// It holds no state between events and is safe for concurrent use.
type Mapper struct {
	cfg Config
}

// New returns a Mapper for cfg.
func New(cfg Config) (*Mapper, error) {
	if cfg.Mapping == nil {
		return nil, errors.New("fromcdc: config: no mapping")
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	return &Mapper{cfg: cfg}, nil
}

// MappingVersion returns the version of the mapping file the Mapper
// converts with ([Mapping.Version]).
func (m *Mapper) MappingVersion() string { return m.cfg.Mapping.Version() }

// A Result is what one change event becomes, with what the pipeline
// needs to order it against other events of the same row.
type Result struct {
	// Entries in order: deletes of resources the row no longer yields,
	// then the row's resources in mapping order.
	Entries []Entry
	// Table is the mapping's name of the event's table; "" when nothing
	// was mapped (a tombstone, a transaction boundary).
	Table string
	// Op is the event's operation.
	Op cdc.Op
	// Position orders the event among the changes of its row (see
	// [cdc.Position.Compare]); zero when the connector writes none.
	Position cdc.Position
	// SourceTime is when the database made the change (source.ts_ms);
	// zero when the event does not say.
	SourceTime time.Time
	// Snapshot reports whether a snapshot read the row (op r).
	Snapshot bool
}

// An Entry is one resource (or one element of one) that a change event
// creates, updates or deletes.
type Entry struct {
	// Type and ID name the resource; ID derives from business
	// identifiers ([fhir.ID]), from the after image for upserts and the
	// before image (or the record key) for deletes.
	Type, ID string
	// Resource is the whole resource to upsert, validated. Nil for a
	// delete and for a Patch.
	Resource fhir.Resource
	// Patient is the id of the Patient the resource belongs to (its own
	// id for a Patient); "" for shared resources (Practitioner,
	// Organization) and when the mapping names no patient.
	Patient string
	// Delete: the resource Type/ID is deleted; with Patch, only the
	// element Patch names is removed from it.
	Delete bool
	// Keep names elements that another table's rows own (Claim.item
	// from CLAIM_LINE): an upsert keeps them from the stored version
	// instead of clearing them. See [Entry.Apply].
	Keep []string
	// Patch is set when a child table's row is one element of the
	// resource (an ExplanationOfBenefit.item) rather than a resource.
	Patch *Patch
}

// A Patch is one element that a child table's row contributes to a
// resource made from another table: Element[Key = KeyValue].
type Patch struct {
	Element string // the repeating element, e.g. "item"
	Key     string // its member that identifies the row, e.g. "sequence"
	// KeyValue is the key's JSON value, e.g. 3 or "A1".
	KeyValue json.RawMessage
	// Value is the element's FHIR JSON; nil on delete.
	Value json.RawMessage
}

// Errors of [Mapper.Convert].
var (
	// ErrNoMapping: the event's table is not in the mapping.
	ErrNoMapping = errors.New("fromcdc: table not in the mapping")
	// ErrTruncate: the source emptied a table. The rows' ids are not
	// in the event, so there is nothing to delete by id, and emptying
	// derived resources wholesale is an operator's decision, not a
	// mapper's; the event is refused for the dead-letter topic.
	ErrTruncate = errors.New("fromcdc: truncate is not mapped (needs an operator)")
	// ErrNotBoolean: a boolean field's value is not true or false.
	ErrNotBoolean = errors.New("not true or false (use a map transform)")
	// ErrNotInteger: an integer field's value has a fraction or is not
	// a number.
	ErrNotInteger = errors.New("not an integer")
)

// A ConvertError is a row that could not be mapped. It names the table,
// the columns and the FHIR element, never a value:
// "fromcdc: MEMBER.BIRTH_DT → Patient.birthDate: not a date in the expected format".
type ConvertError struct {
	Table   string
	Columns []string // the columns the element's value comes from
	Element string   // Patient.birthDate; the resource type alone when unknown
	Err     error
}

func (e *ConvertError) Error() string {
	var b strings.Builder
	b.WriteString("fromcdc: ")
	b.WriteString(e.Table)
	if len(e.Columns) > 0 {
		b.WriteString(".")
		b.WriteString(strings.Join(e.Columns, "+"))
	}
	if e.Element != "" {
		b.WriteString(" → ")
		b.WriteString(e.Element)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns Err.
func (e *ConvertError) Unwrap() error { return e.Err }

// Permanent reports true: the same row fails the same way on retry, so
// it belongs on the dead-letter topic.
func (e *ConvertError) Permanent() bool { return true }

// Convert maps one parsed change event.
//
//   - c, r (snapshot), u: the after image's resources, to upsert. An
//     update whose before image yields ids the after image no longer
//     yields (a changed member id, a provider that became an
//     organization) also deletes those.
//   - d: deletes of every resource the mapping could make from the
//     before image (the record key fills columns the image lacks).
//   - t: [ErrTruncate].
//   - tombstones, transaction boundaries, schema changes, messages:
//     an empty Result, nil error: nothing to map.
//
// A table not in the mapping is [ErrNoMapping]. Other errors are
// [*ConvertError]s. Every upserted resource has passed the validating
// FHIR unmarshaller.
func (m *Mapper) Convert(ev *cdc.Event) (Result, error) {
	if ev == nil {
		return Result{}, errors.New("fromcdc: nil event")
	}
	res := Result{Op: ev.Op, Position: ev.Position, Snapshot: ev.Op == cdc.OpRead}
	if ev.Source.TsMs != 0 {
		res.SourceTime = time.UnixMilli(ev.Source.TsMs).UTC()
	}
	if ev.Kind != cdc.KindChange || ev.Op == cdc.OpMessage {
		return res, nil
	}
	tbl := m.cfg.Mapping.lookup(ev.Source)
	if tbl == nil {
		return res, fmt.Errorf("%w: %s", ErrNoMapping, ev.Table())
	}
	res.Table = tbl.name
	loc := m.cfg.Location
	if tbl.zone != nil {
		loc = tbl.zone
	}
	c := &conv{m: m, tbl: tbl, loc: loc}
	switch ev.Op {
	case cdc.OpTruncate:
		return res, &ConvertError{Table: tbl.name, Err: ErrTruncate}
	case cdc.OpDelete:
		before := makeRow(ev.Before, ev.Key)
		for _, r := range tbl.resources {
			// A before image with only the key cannot say which
			// conditional resource the row made: delete each candidate
			// (deleting one that does not exist changes nothing).
			if r.when != nil && r.when.decidable(before) && !r.when.holds(before) {
				continue
			}
			e, err := c.deletion(r, before)
			if err != nil {
				return res, err
			}
			res.Entries = append(res.Entries, e)
		}
		return res, nil
	}
	after := makeRow(ev.After, ev.Key)
	var ups []Entry
	for _, r := range tbl.resources {
		if r.when != nil && !r.when.holds(after) {
			continue
		}
		e, err := c.upsert(r, after)
		if err != nil {
			return res, err
		}
		ups = append(ups, e)
	}
	if ev.Op == cdc.OpUpdate && ev.Before != nil {
		before := makeRow(ev.Before, ev.Key)
		for _, r := range tbl.resources {
			if r.when != nil && !r.when.holds(before) {
				continue
			}
			d, err := c.deletion(r, before)
			if err != nil {
				continue // a partial before image: nothing known to retract
			}
			if !slices.ContainsFunc(ups, func(u Entry) bool { return sameTarget(u, d) }) {
				res.Entries = append(res.Entries, d)
			}
		}
	}
	res.Entries = append(res.Entries, ups...)
	return res, nil
}

func sameTarget(a, b Entry) bool {
	if a.Type != b.Type || a.ID != b.ID || (a.Patch == nil) != (b.Patch == nil) {
		return false
	}
	return a.Patch == nil || a.Patch.Element == b.Patch.Element && string(a.Patch.KeyValue) == string(b.Patch.KeyValue)
}

// lookup finds the table of an event: by db.schema.table, schema.table,
// db.table or table, case-insensitive, the most specific first.
func (m *Mapping) lookup(s cdc.Source) *table {
	var cands []string
	if s.DB != "" && s.Schema != "" {
		cands = append(cands, s.DB+"."+s.Schema+"."+s.Table)
	}
	if s.Schema != "" {
		cands = append(cands, s.Schema+"."+s.Table)
	}
	if s.DB != "" {
		cands = append(cands, s.DB+"."+s.Table)
	}
	cands = append(cands, s.Table)
	for _, c := range cands {
		if t, ok := m.tables[strings.ToUpper(c)]; ok {
			return t
		}
	}
	return nil
}

// makeRow indexes a row image by normalized column name; the record
// key's columns fill in what the image lacks. The items of a struct
// column (a copybook group) are columns too, by their own name and as
// GROUP.ITEM; arrays (OCCURS tables) and maps are not values a field can
// take and are left out. A null column is kept (as having no value), so
// that a condition can tell it from a column the image does not carry.
func makeRow(img, key cdc.Row) row {
	r := row{cols: make(map[string]value, len(img)+len(key))}
	for _, src := range []cdc.Row{img, key} {
		r.add(src, "")
	}
	return r
}

func (r row) add(src cdc.Row, prefix string) {
	for _, c := range src {
		n := normName(c.Name)
		switch c.Value.Kind {
		case cdc.KindArray, cdc.KindMap:
			continue
		case cdc.KindStruct:
			r.add(c.Value.Fields, prefix+n+".") // each item also by its own name
			continue
		}
		for _, name := range []string{prefix + n, n} {
			if _, ok := r.cols[name]; !ok {
				r.cols[name] = value{text: c.Value.Text, kind: c.Value.Kind, t: c.Value.Time(), zoned: c.Value.Zoned}
			}
		}
	}
}

// conv is one event's conversion.
type conv struct {
	m   *Mapper
	tbl *table
	loc *time.Location
}

func (c *conv) fail(cols []string, element string, err error) error {
	return &ConvertError{Table: c.tbl.name, Columns: cols, Element: element, Err: err}
}

// identity computes a resource's id from a row.
func (c *conv) identity(r *resource, rw row) (identity, error) {
	id, err := r.id.eval(rw, c.loc, c.m.cfg.Systems)
	if err != nil {
		return identity{}, c.fail(r.id.columns(), r.typ+".id", err)
	}
	return id, nil
}

func (c *conv) patientOf(r *resource, rw row, self string) (string, error) {
	if r.typ == "Patient" {
		return self, nil
	}
	if r.patient == nil {
		return "", nil
	}
	p, err := r.patient.eval(rw, c.loc, c.m.cfg.Systems)
	if err != nil {
		return "", c.fail(r.patient.columns(), r.typ+" patient", err)
	}
	return p.id, nil
}

func (c *conv) deletion(r *resource, rw row) (Entry, error) {
	id, err := c.identity(r, rw)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{Type: r.typ, ID: id.id, Delete: true}
	// The owner keys the tombstone like the upserts; a before image
	// without the patient's columns leaves it empty.
	e.Patient, _ = c.patientOf(r, rw, id.id)
	if r.element != "" {
		kv, err := c.keyValue(r, rw)
		if err != nil {
			return Entry{}, err
		}
		e.Patch = &Patch{Element: r.element, Key: r.key, KeyValue: kv}
	}
	return e, nil
}

func (c *conv) keyValue(r *resource, rw row) (json.RawMessage, error) {
	for _, f := range r.fields {
		if len(f.path) == 1 && f.path[0].name == r.key && f.path[0].index < 0 {
			b, ok, err := c.leaf(f, rw)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, c.fail(f.columns, f.pathText, ErrMissingIdentifier)
			}
			return b, nil
		}
	}
	return nil, c.fail(nil, r.typ+"."+r.element, ErrMissingIdentifier)
}

func (c *conv) upsert(r *resource, rw row) (Entry, error) {
	id, err := c.identity(r, rw)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{Type: r.typ, ID: id.id, Keep: r.keep}
	if e.Patient, err = c.patientOf(r, rw, id.id); err != nil {
		return Entry{}, err
	}
	root := &node{}
	if r.identifier {
		root.set([]pathSeg{{"identifier", 0}, {"system", -1}}, quote(id.system), true)
		root.set([]pathSeg{{"identifier", 0}, {"value", -1}}, quote(id.value), true)
	}
	for _, f := range r.fields {
		if f.when != nil && !f.when.holds(rw) {
			if f.expr == nil || !f.expr.isConst {
				root.miss(f.path)
			}
			continue
		}
		b, ok, err := c.leaf(f, rw)
		if err != nil {
			return Entry{}, err
		}
		strong := f.ref != nil || !f.expr.isConst
		if !ok {
			if strong {
				root.miss(f.path)
			}
			continue
		}
		root.set(f.path, b, strong)
	}
	if r.element != "" {
		kv, err := c.keyValue(r, rw)
		if err != nil {
			return Entry{}, err
		}
		elem := root.appendJSON(nil, true)
		if err := c.checkElement(r, id.id, elem); err != nil {
			return Entry{}, err
		}
		e.Patch = &Patch{Element: r.element, Key: r.key, KeyValue: kv, Value: elem}
		return e, nil
	}
	doc := make([]byte, 0, 512)
	doc = append(doc, `{"resourceType":`...)
	doc = append(doc, quote(r.typ)...)
	doc = append(doc, `,"id":`...)
	doc = append(doc, quote(id.id)...)
	body := root.appendJSON(nil, true)
	if len(body) > 2 {
		doc = append(doc, ',')
		doc = append(doc, body[1:]...)
	} else {
		doc = append(doc, '}')
	}
	res, err := unmarshal(doc, true)
	if err != nil {
		return Entry{}, c.invalid(r, err)
	}
	e.Resource = res
	return e, nil
}

// checkElement parses a child element inside its resource without the
// required-element checks: the resource is whole only once the pipeline
// merged it (see [Entry.Apply], which validates that).
func (c *conv) checkElement(r *resource, id string, elem []byte) error {
	doc := fmt.Appendf(nil, `{"resourceType":%q,"id":%q,%q:[`, r.typ, id, r.element)
	doc = append(doc, elem...)
	doc = append(doc, "]}"...)
	if _, err := unmarshal(doc, false); err != nil {
		return c.invalid(r, err)
	}
	return nil
}

var errAt = regexp.MustCompile(`error at "([^"]*)": (.*)`)
var indexRE = regexp.MustCompile(`\[[0-9]+\]`)

// invalid locates an unmarshaller error at the field that made the
// element: jsonformat names element paths ("Patient.birthDate"), whose
// indexes may differ from the rule's once empty elements were dropped.
func (c *conv) invalid(r *resource, err error) error {
	line, _, _ := strings.Cut(err.Error(), "\n")
	m := errAt.FindStringSubmatch(line)
	if m == nil {
		return c.fail(nil, r.typ, fmt.Errorf("invalid FHIR: %w", err))
	}
	at := indexRE.ReplaceAllString(m[1], "")
	var under []*field // fields inside the element the error names
	for _, f := range r.fields {
		p := indexRE.ReplaceAllString(f.pathText, "")
		if p == at || strings.HasPrefix(at, p+".") {
			return c.fail(f.columns, f.pathText, fmt.Errorf("invalid FHIR: %s", m[2]))
		}
		if strings.HasPrefix(p, at+".") {
			under = append(under, f)
		}
	}
	if len(under) == 1 {
		// An unknown member is reported at its parent; the one field
		// there is the culprit.
		return c.fail(under[0].columns, under[0].pathText, fmt.Errorf("invalid FHIR: %s", m[2]))
	}
	return c.fail(nil, m[1], fmt.Errorf("invalid FHIR: %s", m[2]))
}

// leaf computes a field's JSON value; ok false when it has none.
func (c *conv) leaf(f *field, rw row) ([]byte, bool, error) {
	if f.ref != nil {
		id, err := f.ref.id.eval(rw, c.loc, c.m.cfg.Systems)
		if errors.Is(err, ErrMissingIdentifier) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, c.fail(f.columns, f.pathText, err)
		}
		b := append([]byte(`{"reference":`), quote(f.ref.typ+"/"+id.id)...)
		return append(b, '}'), true, nil
	}
	v, ok, err := f.expr.eval(rw, c.loc)
	if err != nil {
		return nil, false, c.fail(f.columns, f.pathText, err)
	}
	if !ok {
		return nil, false, nil
	}
	switch f.out {
	case outDecimal, outInteger:
		d, ok := canonDecimal(strings.TrimSpace(v.text))
		if !ok {
			return nil, false, c.fail(f.columns, f.pathText, ErrNotNumber)
		}
		if f.out == outInteger && strings.Contains(d, ".") {
			return nil, false, c.fail(f.columns, f.pathText, ErrNotInteger)
		}
		return []byte(d), true, nil
	case outBoolean:
		switch strings.ToLower(strings.TrimSpace(v.text)) {
		case "true":
			return []byte("true"), true, nil
		case "false":
			return []byte("false"), true, nil
		}
		return nil, false, c.fail(f.columns, f.pathText, ErrNotBoolean)
	}
	return quote(v.text), true, nil
}

func quote(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

// A node is a JSON element being built from field rules. An element
// whose every value came from constants while some column rule inside
// it found nothing is left out with its constants: an identifier whose
// value column is null does not survive as a bare system.
type node struct {
	members map[string]*node
	elems   map[int]*node
	isArray bool
	leaf    []byte
	strong  bool // holds a value from a column
	missed  bool // a column rule inside found nothing
}

func (n *node) walk(p []pathSeg, mark func(*node)) *node {
	cur := n
	for _, seg := range p {
		if cur.members == nil {
			cur.members = map[string]*node{}
		}
		ch := cur.members[seg.name]
		if ch == nil {
			ch = &node{}
			cur.members[seg.name] = ch
		}
		mark(ch)
		if seg.index >= 0 {
			ch.isArray = true
			if ch.elems == nil {
				ch.elems = map[int]*node{}
			}
			el := ch.elems[seg.index]
			if el == nil {
				el = &node{}
				ch.elems[seg.index] = el
			}
			mark(el)
			ch = el
		}
		cur = ch
	}
	return cur
}

// set puts a leaf; a later rule for the same path replaces it.
func (n *node) set(p []pathSeg, b []byte, strong bool) {
	leaf := n.walk(p, func(x *node) {
		if strong {
			x.strong = true
		}
	})
	leaf.leaf = b
}

func (n *node) miss(p []pathSeg) {
	n.walk(p, func(x *node) { x.missed = true })
}

// appendJSON writes the node; members sorted, arrays compacted (an
// element left out does not leave a hole). Nothing is written for an
// empty or dropped node (dst returned unchanged), but the root is always
// an object.
func (n *node) appendJSON(dst []byte, root bool) []byte {
	if n.leaf != nil {
		return append(dst, n.leaf...)
	}
	if !root && !n.strong && n.missed {
		return dst
	}
	start := len(dst)
	if n.isArray {
		keys := make([]int, 0, len(n.elems))
		for k := range n.elems {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '[')
		wrote := false
		for _, k := range keys {
			mark := len(dst)
			if wrote {
				dst = append(dst, ',')
			}
			after := n.elems[k].appendJSON(dst, false)
			if len(after) == len(dst) {
				dst = dst[:mark]
				continue
			}
			dst, wrote = after, true
		}
		if !wrote {
			return dst[:start]
		}
		return append(dst, ']')
	}
	keys := make([]string, 0, len(n.members))
	for k := range n.members {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	wrote := false
	for _, k := range keys {
		mark := len(dst)
		if wrote {
			dst = append(dst, ',')
		}
		dst = append(dst, quote(k)...)
		dst = append(dst, ':')
		valStart := len(dst)
		after := n.members[k].appendJSON(dst, false)
		if len(after) == valStart {
			dst = dst[:mark]
			continue
		}
		dst, wrote = after, true
	}
	if !wrote && !root {
		return dst[:start]
	}
	return append(dst, '}')
}

// The unmarshallers are built once: building walks every R4 descriptor.
var (
	validating = sync.OnceValues(func() (*jsonformat.Unmarshaller, error) {
		return jsonformat.NewUnmarshaller("UTC", fhirversion.R4)
	})
	lenient = sync.OnceValues(func() (*jsonformat.Unmarshaller, error) {
		return jsonformat.NewUnmarshallerWithoutValidation("UTC", fhirversion.R4)
	})
)

// unmarshal parses FHIR JSON into its resource, with or without the
// required-element and reference-type checks.
func unmarshal(b []byte, validate bool) (fhir.Resource, error) {
	get := lenient
	if validate {
		get = validating
	}
	u, err := get()
	if err != nil {
		return nil, err
	}
	cr, err := u.Unmarshal(b)
	if err != nil {
		return nil, err
	}
	return unwrapContained(cr)
}

// unwrapContained returns the resource inside the ContainedResource the
// unmarshaller returns.
func unwrapContained(m proto.Message) (fhir.Resource, error) {
	pm := m.ProtoReflect()
	od := pm.Descriptor().Oneofs()
	if od.Len() == 1 {
		if f := pm.WhichOneof(od.Get(0)); f != nil {
			return pm.Get(f).Message().Interface(), nil
		}
	}
	return nil, errors.New("fromcdc: unmarshaller returned no resource")
}
