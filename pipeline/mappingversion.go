package pipeline

import (
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
)

// SystemMappingVersion is the code system of the meta.tag that names the
// mapping a resource was converted with: code "<format>/<version>", such
// as "hl7v2/1" or "cdc/1-3f2a9c01". A replay after a mapping fix
// rewrites resources with the new tag (see [Replay]).
const SystemMappingVersion = "https://tributary.health/fhir/CodeSystem/mapping-version"

// A Versioned converter names the version of its mapping. [Converter]s
// may implement it; the [Normalizer] then tags every resource it upserts
// with [SystemMappingVersion]. [HL7v2], [X12] and [CDC] do.
type Versioned interface {
	// MappingVersion returns the mapping's version; "" for none.
	MappingVersion() string
}

// mappingTag returns the tag code for resources of format f converted by
// c, or "" when c names no version.
func mappingTag(f event.Format, c Converter) string {
	v, ok := c.(Versioned)
	if !ok {
		return ""
	}
	version := v.MappingVersion()
	if version == "" {
		return ""
	}
	return f.String() + "/" + version
}

// setMappingTag makes code the one meta.tag of r with system
// [SystemMappingVersion], replacing any other such tag and keeping tags
// of other systems.
func setMappingTag(r fhir.Resource, code string) {
	m := r.ProtoReflect()
	fd := m.Descriptor().Fields().ByName("meta")
	if fd == nil || fd.Message() == nil {
		return
	}
	meta, ok := m.Mutable(fd).Message().Interface().(*dtpb.Meta)
	if !ok {
		return
	}
	tags := meta.Tag[:0]
	for _, t := range meta.Tag {
		if t.GetSystem().GetValue() != SystemMappingVersion {
			tags = append(tags, t)
		}
	}
	meta.Tag = append(tags, &dtpb.Coding{
		System: &dtpb.Uri{Value: SystemMappingVersion},
		Code:   &dtpb.Code{Value: code},
	})
}
