package fromcdc

import (
	"fmt"
	"strings"
	"sync"

	bcrpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/bundle_and_contained_resource_go_proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The R4 structure comes from google/fhir's generated protos, whose
// fields carry the FHIR JSON names: a mapping's element paths are checked
// against it when the mapping loads, and the JSON type of each value
// (string, decimal, integer, boolean) follows from its element's type.

// resourceDescs maps each R4 resource type to its message descriptor:
// the options of ContainedResource's oneof.
var resourceDescs = sync.OnceValue(func() map[string]protoreflect.MessageDescriptor {
	out := map[string]protoreflect.MessageDescriptor{}
	fields := (&bcrpb.ContainedResource{}).ProtoReflect().Descriptor().Fields()
	for i := range fields.Len() {
		if md := fields.Get(i).Message(); md != nil {
			out[string(md.Name())] = md
		}
	}
	return out
})

// primitives are the FHIR primitive types, by their google/fhir message
// names (a Date holds value_us, timezone and precision, not a value).
var primitives = map[protoreflect.Name]bool{
	"String": true, "Boolean": true, "Integer": true, "Integer64": true, "PositiveInt": true, "UnsignedInt": true,
	"Decimal": true, "Date": true, "DateTime": true, "Instant": true, "Time": true, "Uri": true, "Url": true,
	"Canonical": true, "Oid": true, "Uuid": true, "Id": true, "Code": true, "Markdown": true,
	"Base64Binary": true, "Xhtml": true,
}

// isPrimitive reports whether md is a FHIR primitive: one of the
// datatypes above, or a code bound to a value set (a message holding a
// scalar value, an enum such as Patient.GenderCode or a string such as
// Money.CurrencyCode, and only id and extensions besides).
func isPrimitive(md protoreflect.MessageDescriptor) bool {
	if primitives[md.Name()] && md.ParentFile().Package() == "google.fhir.r4.core" {
		return true
	}
	fs := md.Fields()
	v := fs.ByName("value")
	if v == nil || v.Kind() == protoreflect.MessageKind {
		return false
	}
	for i := range fs.Len() {
		switch fs.Get(i).Name() {
		case "value", "id", "extension":
		default:
			return false
		}
	}
	return true
}

// outOf is the JSON type of a primitive's values.
func outOf(md protoreflect.MessageDescriptor) outKind {
	switch md.Name() {
	case "Decimal":
		return outDecimal
	case "Integer", "PositiveInt", "UnsignedInt", "Integer64":
		return outInteger
	case "Boolean":
		return outBoolean
	}
	return outString
}

// member finds the element called name in md: a field by its JSON name,
// or a choice element's option (valueQuantity: the value[x] field's
// Quantity option).
func member(md protoreflect.MessageDescriptor, name string) (protoreflect.FieldDescriptor, protoreflect.MessageDescriptor) {
	fs := md.Fields()
	for i := range fs.Len() {
		f := fs.Get(i)
		if f.JSONName() == name && f.Message() != nil {
			if isChoice(f.Message()) {
				return nil, nil // a choice is named with its type: valueString
			}
			return f, f.Message()
		}
	}
	for i := range fs.Len() {
		f := fs.Get(i)
		rest, ok := strings.CutPrefix(name, f.JSONName())
		if !ok || rest == "" || f.Message() == nil || !isChoice(f.Message()) {
			continue
		}
		opts := f.Message().Fields()
		for j := range opts.Len() {
			o := opts.Get(j)
			jn := o.JSONName()
			if jn != "" && strings.ToUpper(jn[:1])+jn[1:] == rest && o.Message() != nil {
				return f, o.Message()
			}
		}
	}
	return nil, nil
}

// isChoice reports whether md is google/fhir's message for a choice
// element (value[x]): one oneof holding all its fields.
func isChoice(md protoreflect.MessageDescriptor) bool {
	return md.Oneofs().Len() == 1 && md.Oneofs().Get(0).Fields().Len() == md.Fields().Len() && md.Fields().Len() > 0
}

// resolve walks an element path from md and returns the descriptor of
// the element it ends at. base names md in errors (Patient,
// ExplanationOfBenefit.item).
func resolve(md protoreflect.MessageDescriptor, p []pathSeg, base string) (protoreflect.MessageDescriptor, error) {
	at := base
	for _, seg := range p {
		if isPrimitive(md) {
			return nil, fmt.Errorf("%s is a primitive value: it has no element %s", at, seg.name)
		}
		f, sub := member(md, seg.name)
		if f == nil {
			return nil, fmt.Errorf("%s has no element %s", at, seg.name)
		}
		at += "." + seg.name
		switch {
		case f.IsList() && seg.index < 0:
			return nil, fmt.Errorf("%s repeats: give an index, %s[0]", at, seg.name)
		case !f.IsList() && seg.index >= 0:
			return nil, fmt.Errorf("%s does not repeat: no index", at)
		}
		if seg.index >= 0 {
			at += fmt.Sprintf("[%d]", seg.index)
		}
		md = sub
	}
	return md, nil
}

// checkField checks a field's path against the structure and settles
// the JSON type of its value.
func checkField(f *field, md protoreflect.MessageDescriptor, base string) error {
	leaf, err := resolve(md, f.path, base)
	if err != nil {
		return err
	}
	if f.ref != nil {
		if leaf.Name() != "Reference" {
			return fmt.Errorf("%s is not a Reference", f.pathText)
		}
		return nil
	}
	if !isPrimitive(leaf) {
		return fmt.Errorf("%s is of type %s, not a primitive value: map its elements", f.pathText, leaf.Name())
	}
	f.out = outOf(leaf)
	return nil
}
