package search

import (
	"slices"
)

// A Type is the type of a search parameter, as SearchParameter.type names
// it. Only [TypeToken] is supported so far.
type Type string

// TypeToken matches a code, optionally within a system: identifiers, codes,
// codings and booleans.
const TypeToken Type = "token"

// BaseResource is the [Param.Base] of parameters that apply to every
// resource type.
const BaseResource = "Resource"

// ParamID is the name of the _id parameter. It matches the resource id
// itself, so it has no [Param.Path] and no index entries.
const ParamID = "_id"

// A Param is one supported search parameter of one base resource type.
// Params are values; their Path must not be modified.
type Param struct {
	// Name is the code used in query strings, e.g. "identifier".
	Name string
	// Type is the parameter type; it fixes the value syntax.
	Type Type
	// Base is the resource type the parameter applies to, or
	// [BaseResource] for every type.
	Base string
	// URL is the canonical URL of the SearchParameter definition.
	URL string
	// Expression is the FHIRPath expression of the definition. It
	// documents what Path implements.
	Expression string
	// Path is the element path from the resource root that [Extract]
	// follows, through arrays at any step. Empty for [ParamID].
	Path []string
}

// definitions is the table of supported parameters. Each entry is checked
// against the copy of its SearchParameter in testdata.
var definitions = []Param{
	{
		Name:       ParamID,
		Type:       TypeToken,
		Base:       BaseResource,
		URL:        "http://hl7.org/fhir/SearchParameter/Resource-id",
		Expression: "Resource.id",
	},
	{
		Name:       "identifier",
		Type:       TypeToken,
		Base:       "Patient",
		URL:        "http://hl7.org/fhir/SearchParameter/Patient-identifier",
		Expression: "Patient.identifier",
		Path:       []string{"identifier"},
	},
}

// Params returns the parameters supported for resourceType: first those of
// every resource (such as _id), then the type's own, in a stable order.
func Params(resourceType string) []Param {
	var ps []Param
	for _, base := range []string{BaseResource, resourceType} {
		for _, p := range definitions {
			if p.Base == base {
				ps = append(ps, p)
			}
		}
	}
	return ps
}

// Lookup returns the parameter called name for resourceType.
func Lookup(resourceType, name string) (Param, bool) {
	for _, p := range definitions {
		if p.Name == name && (p.Base == resourceType || p.Base == BaseResource) {
			return p, true
		}
	}
	return Param{}, false
}

// ResourceTypes returns, sorted, the resource types that have parameters
// of their own: the types that can be searched by more than their id.
func ResourceTypes() []string {
	var ts []string
	for _, p := range definitions {
		if p.Base != BaseResource && !slices.Contains(ts, p.Base) {
			ts = append(ts, p.Base)
		}
	}
	slices.Sort(ts)
	return ts
}
