package fromv2

import (
	"sort"
	"strconv"
	"strings"
	"time"

	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	ppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/patient_go_proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
)

// An Entry is one resource of a [Result].
type Entry struct {
	Resource fhir.Resource
	// Patient is the id of the Patient the resource belongs to (its own
	// id for a Patient); empty for resources shared across patients
	// (Practitioner, Organization, Location, Device).
	Patient string
}

// A segmentMapper implements one of the IG's segment maps (PV1[Encounter])
// for the segment c.seg. It adds what it builds to c; a map whose
// condition does not hold for this segment adds nothing.
type segmentMapper struct {
	fn func(c *conv, seg *hl7v2.Segment) error
	// fields are the fields of the segment the map carries into FHIR;
	// valued fields outside every applied map's list are preserved
	// verbatim and counted (see [Result.Unmapped]).
	fields []int
}

// segmentMaps holds the Go implementation of each IG segment map, keyed
// by the name the IG's message sheets use. A map the sheets name that is
// missing here leaves its segment's data to preservation.
var segmentMaps = map[string]segmentMapper{}

// extraMaps are maps Tributary applies beyond the IG's message sheets,
// per message structure: the IG has no sheet for ADT_A39 (A40 merge).
var extraMaps = map[string]map[string][]string{
	"ADT_A39": {"MRG": {"MRG[Patient]"}},
}

// conv is the state of one message's conversion.
type conv struct {
	m         *Mapper
	msg       *hl7v2.Message
	msh       *hl7v2.Segment
	loc       *time.Location
	event     string // "ADT^A01"
	structure string // "ADT_A01"
	sender    string // system for ids scoped to the sender (MessageHeader, orders without an assigning authority)

	entries []Entry
	index   map[string]int // "Type/id" → entries index

	patient   *ppb.Patient
	patientID string
	encounter fhir.Resource // *Encounter, once PV1 is seen
	// last is the most recent resource that an NTE segment annotates.
	last fhir.Resource

	order orderState // the current order group (ORC/OBR/OBX/SPM/RXA)

	// primary is the resource a segment map made (or merged the segment
	// into); the segment's unmapped data are preserved there.
	primary  fhir.Resource
	unmapped []string
	// orphans are segments no map handled: Z-segments, segments the IG does
	// not map in this structure; they are kept on the MessageHeader.
	orphans []*hl7v2.Segment
}

// add appends r unless a resource of the same type and id is there
// already (the same Practitioner named in two fields), and returns the
// resource that is in the result.
func (c *conv) add(r fhir.Resource, patientScoped bool) fhir.Resource {
	key := fhir.TypeOf(r) + "/" + resourceID(r)
	if i, ok := c.index[key]; ok {
		return c.entries[i].Resource
	}
	e := Entry{Resource: r}
	if patientScoped {
		e.Patient = c.patientID
	}
	c.index[key] = len(c.entries)
	c.entries = append(c.entries, e)
	return r
}

// Convert maps msg. Its errors are [*hl7v2.Error] values naming the field
// and the table 0357 code.
func (m *Mapper) Convert(msg *hl7v2.Message) (Result, error) {
	msh := msg.Segment("MSH")
	if msh == nil {
		return Result{}, &hl7v2.Error{Location: hl7v2.Location{Segment: "MSH"}, Code: hl7v2.CodeSegmentSequence, Message: "MSH segment missing"}
	}
	typ := msh.Field(9)
	code, ev := value(typ.Comp(1).Value()), value(typ.Comp(2).Value())
	if code == "" {
		return Result{}, &hl7v2.Error{Location: hl7v2.Location{Segment: "MSH", Field: 9, Component: 1}, Code: hl7v2.CodeRequiredFieldMissing, Message: "message type missing"}
	}
	st, ok := eventStructures[code+"^"+ev]
	if !ok {
		// A message type the IG has no sheet for is still converted, by
		// the segment maps any sheet gives its segments; what none maps is
		// kept verbatim. Engines lose data exactly here; Tributary does not.
		st.sheet = genericSheet
	}
	c := &conv{
		m: m, msg: msg, msh: msh, loc: m.location(msh),
		event: code + "^" + ev, structure: st.structure,
		index: map[string]int{},
	}
	c.sender = senderSystem(m, msh)
	var res Result
	if s := value(msh.Get(7)); s != "" {
		ts, err := hl7v2.ParseTime(s, c.loc)
		if err != nil {
			return Result{}, fieldError("MSH", 7, hl7v2.CodeDataType, "message date/time is not a valid timestamp")
		}
		res.SourceTime = ts.Time
	}
	if msg.Segment("PID") == nil && st.structure != "ORM_O01" && st.structure != "OML_O21" && st.sheet != genericSheet {
		return Result{}, &hl7v2.Error{Location: hl7v2.Location{Segment: "PID"}, Code: hl7v2.CodeSegmentSequence, Message: "PID segment missing"}
	}
	sheet := m.structures[st.sheet]
	counts := map[string]int{}
	for _, seg := range msg.Segments("") {
		counts[seg.ID]++
		if seg.ID == "MSH" {
			continue
		}
		maps := append(append([]string(nil), sheet[seg.ID]...), extraMaps[st.structure][seg.ID]...)
		c.primary = nil
		handled := false
		var fields map[int]bool
		for _, name := range maps {
			sm, ok := segmentMaps[name]
			if !ok {
				continue
			}
			handled = true
			if err := sm.fn(c, seg); err != nil {
				return Result{}, err
			}
			if fields == nil {
				fields = map[int]bool{}
			}
			for _, f := range sm.fields {
				fields[f] = true
			}
		}
		if !handled {
			if !ignoredSegments[seg.ID] {
				c.orphans = append(c.orphans, seg)
				c.unmapped = append(c.unmapped, seg.ID)
			}
			continue
		}
		c.preserveUnmapped(seg, counts[seg.ID], fields)
	}
	if c.patient == nil && msg.Segment("PID") != nil {
		return Result{}, &hl7v2.Error{Location: hl7v2.Location{Segment: "PID"}, Code: hl7v2.CodeSegmentSequence, Message: "PID segment not in the place the message structure allows"}
	}
	if err := c.header(); err != nil {
		return Result{}, err
	}
	res.Entries = c.entries
	res.PatientID = c.patientID
	res.Unmapped = c.unmapped
	return res, nil
}

// ignoredSegments carry nothing a FHIR resource needs beyond what the
// MessageHeader and Provenance already hold.
var ignoredSegments = map[string]bool{"MSH": true, "SFT": true}

// extSegment carries a v2 segment verbatim where FHIR has no home for
// some of its data, so nothing the sender sent is lost.
const extSegment = "https://tributary.health/fhir/StructureDefinition/hl7v2-segment"

// preserveUnmapped keeps seg verbatim on the resource it produced when it
// has valued fields no applied map carries, and counts those fields.
func (c *conv) preserveUnmapped(seg *hl7v2.Segment, n int, mapped map[int]bool) {
	var missed []int
	for i := 1; i <= len(seg.Fields); i++ {
		if mapped[i] || seg.Field(i).Empty() {
			continue
		}
		missed = append(missed, i)
	}
	if len(missed) == 0 {
		return
	}
	for _, f := range missed {
		c.unmapped = append(c.unmapped, seg.ID+"-"+strconv.Itoa(f))
	}
	target := c.primary
	if target == nil {
		// The maps applied but produced nothing of their own (a PV2 merged
		// into the Encounter): keep the segment on the MessageHeader.
		c.orphans = append(c.orphans, seg)
		return
	}
	appendExtension(target, stringExtension(extSegment, c.encodeSegment(seg)))
	_ = n
}

// encodeSegment writes seg with the message's delimiters.
func (c *conv) encodeSegment(seg *hl7v2.Segment) string {
	m, err := hl7v2.NewMessage(c.msg.Delimiters)
	if err != nil {
		return seg.ID
	}
	if seg.ID == "MSH" {
		return strings.TrimRight(string(hl7v2.Encode(m)), "\r")
	}
	m.Append(seg)
	out := strings.Split(strings.TrimRight(string(hl7v2.Encode(m)), "\r"), "\r")
	return out[len(out)-1]
}

// appendExtension adds e to the resource's extension list.
func appendExtension(r fhir.Resource, e *dtpb.Extension) {
	pr := r.ProtoReflect()
	fd := pr.Descriptor().Fields().ByName("extension")
	if fd == nil {
		return
	}
	pr.Mutable(fd).List().Append(protoreflect.ValueOfMessage(e.ProtoReflect()))
}

// resourceID reads the id of any resource: through the generated getter
// (every resource has one), else by reflection.
func resourceID(r fhir.Resource) string {
	if g, ok := r.(interface{ GetId() *dtpb.Id }); ok {
		return g.GetId().GetValue()
	}
	pr := r.ProtoReflect()
	fd := pr.Descriptor().Fields().ByName("id")
	if fd == nil || !pr.Has(fd) {
		return ""
	}
	return pr.Get(fd).Message().Interface().(*dtpb.Id).GetValue()
}

// ref is a literal reference to the resource type/id.
func ref(typ, id string) *dtpb.Reference {
	return &dtpb.Reference{Reference: &dtpb.Reference_Uri{Uri: &dtpb.String{Value: typ + "/" + id}}}
}

// refTo references r.
func refTo(r fhir.Resource) *dtpb.Reference { return ref(typeOf(r), resourceID(r)) }

// typeOf is fhir.TypeOf for the resources the mapper makes, without
// reflection on the hot path.
func typeOf(r fhir.Resource) string {
	return string(r.ProtoReflect().Descriptor().Name())
}

// derivedID is the id of a resource without a business identifier of its
// own, from the facts that make it itself (the patient, a code, a date):
// the same facts in a later message land on the same resource.
func derivedID(typ string, parts ...string) string {
	return fhir.ID(typ, "urn:tributary:v2:derived", strings.Join(parts, "|"))
}

// senderSystem is the identifier system for things the sender numbers
// without naming an assigning authority (message control ids).
func senderSystem(m *Mapper, msh *hl7v2.Segment) string {
	f := msh.Field(4).Rep(1)
	s := m.cfg.Systems.AssigningAuthority(value(f.Comp(1).Value()), value(f.Comp(2).Value()), value(f.Comp(3).Value()))
	if s == "" {
		a := msh.Field(3).Rep(1)
		s = m.cfg.Systems.AssigningAuthority(value(a.Comp(1).Value()), value(a.Comp(2).Value()), value(a.Comp(3).Value()))
	}
	if s == "" {
		s = "urn:tributary:v2:unknown-sender"
	}
	return s
}

// sortedKeys is for deterministic iteration in reports.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
