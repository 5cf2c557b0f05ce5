package fromcdc

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/tributary-health/tributary/adapters/cdc"
	"github.com/tributary-health/tributary/fhir"
)

// The compiled form of a mapping file.
type (
	table struct {
		name      string
		zone      *time.Location
		resources []*resource
	}
	resource struct {
		typ, table string
		id         *idRule
		identifier bool    // the defining identifier goes to identifier[0]
		patient    *idRule // the owning Patient of a non-Patient resource
		when       *cond
		element    string // a child table's rows are elements (item) of the resource
		key        string // the element member that tells rows apart (sequence)
		keep       []string
		fields     []*field
	}
	field struct {
		path     []pathSeg
		pathText string // Patient.name[0].family, for errors
		when     *cond
		expr     *expr
		ref      *refRule
		out      outKind
		columns  []string // the columns the value comes from, for errors
	}
	refRule struct {
		typ string
		id  *idRule
	}
	expr struct {
		column, columnText string
		isConst            bool
		constVal           string
		concat             []*expr
		sep                string
		transforms         []transform
	}
	idRule struct {
		from, typ                  string
		system, payer, value, plan *expr
	}
	cond struct {
		column, columnText string
		in                 []string
		negate             bool
		present            *bool
	}
)

// outKind is the JSON type a field's value is written as.
type outKind uint8

const (
	outString outKind = iota
	outDecimal
	outInteger
	outBoolean
)

func (e *expr) columns() []string {
	if e == nil {
		return nil
	}
	if e.column != "" {
		return []string{e.columnText}
	}
	var out []string
	for _, c := range e.concat {
		out = append(out, c.columns()...)
	}
	return out
}

func (r *idRule) columns() []string {
	var out []string
	for _, e := range []*expr{r.system, r.payer, r.value, r.plan} {
		out = append(out, e.columns()...)
	}
	return out
}

// row is a row image prepared for lookups by normalized column name,
// with the record key's columns behind it (a delete's before image may
// hold only the key).
type row struct {
	cols map[string]value
}

func (r row) get(name string) (value, bool) {
	v, ok := r.cols[name]
	return v, ok
}

// eval computes an expression on a row; ok false when it has no value
// (a null or missing column, an empty text, a value a transform dropped).
func (e *expr) eval(r row, loc *time.Location) (value, bool, error) {
	var v value
	switch {
	case e.isConst:
		v = value{text: e.constVal, kind: cdc.KindString}
		if v.text == "" {
			return value{}, false, nil
		}
	case e.column != "":
		cv, ok := r.get(e.column)
		if !ok || cv.kind == cdc.KindNull || cv.text == "" {
			return value{}, false, nil
		}
		v = cv
	default:
		var parts []string
		for _, p := range e.concat {
			pv, ok, err := p.eval(r, loc)
			if err != nil {
				return value{}, false, err
			}
			if ok {
				parts = append(parts, pv.text)
			}
		}
		if len(parts) == 0 {
			return value{}, false, nil
		}
		v = value{text: strings.Join(parts, e.sep), kind: cdc.KindString}
	}
	for _, t := range e.transforms {
		var ok bool
		var err error
		if v, ok, err = t.apply(v, loc); err != nil || !ok {
			return value{}, false, err
		}
	}
	return v, true, nil
}

// ErrMissingIdentifier: a value a resource id derives from is empty, so
// no deterministic id can be made.
var ErrMissingIdentifier = errors.New("identifier needed for a resource id is missing")

// payerClaimSystem is the identifier system of a payer's claim control
// numbers, as fhir/fromx12 uses for ExplanationOfBenefit ids.
func payerClaimSystem(payerID string) string {
	return "urn:tributary:payer:" + url.PathEscape(payerID) + ":claim"
}

// identity is what an id rule yields: the resource id and, but for a
// Coverage, the one identifier it derives from.
type identity struct {
	id            string
	system, value string
}

// eval computes the id of the rule's resource type from a row.
func (r *idRule) eval(rw row, loc *time.Location, sys fhir.Systems) (identity, error) {
	get := func(e *expr, optional bool) (string, error) {
		if e == nil {
			return "", nil
		}
		v, ok, err := e.eval(rw, loc)
		if err != nil {
			return "", err
		}
		if !ok && !optional {
			return "", ErrMissingIdentifier
		}
		return v.text, nil
	}
	var first, second, plan string
	var err error
	if r.system != nil {
		first, err = get(r.system, false)
	} else {
		first, err = get(r.payer, false)
	}
	if err != nil {
		return identity{}, err
	}
	if second, err = get(r.value, false); err != nil {
		return identity{}, err
	}
	if plan, err = get(r.plan, true); err != nil {
		return identity{}, err
	}
	var system string
	switch r.from {
	case fromIdentifier:
		system = first
	case fromMember:
		system = first
		if r.system == nil {
			system = sys.PayerMember(first)
		}
	case fromCoverage:
		return identity{id: sys.CoverageID(first, second, plan)}, nil
	case fromNPI:
		system = fhir.SystemNPI
	case fromPayer:
		return identity{id: fhir.PayerOrganizationID(second), system: fhir.SystemPayer, value: second}, nil
	case fromClaim:
		system = fhir.ClaimControl(first)
	case fromPayerClaim:
		system = payerClaimSystem(first)
	}
	return identity{id: fhir.ID(r.typ, system, second), system: system, value: second}, nil
}

// decidable reports whether the row carries the condition's column
// (null counts: it is known to be empty).
func (c *cond) decidable(r row) bool {
	_, ok := r.cols[c.column]
	return ok
}

// holds evaluates a condition on a row. Values compare after trimming.
func (c *cond) holds(r row) bool {
	v, ok := r.get(c.column)
	text := strings.TrimSpace(v.text)
	present := ok && text != ""
	if c.present != nil {
		return present == *c.present
	}
	in := false
	for _, s := range c.in {
		if present && text == s {
			in = true
			break
		}
	}
	return in != c.negate
}
