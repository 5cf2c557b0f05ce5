package fhir

import (
	"encoding/base64"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"

	apb "github.com/google/fhir/go/proto/google/fhir/proto/annotations_go_proto"
	crpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/bundle_and_contained_resource_go_proto"
)

// This file re-implements the compact output of jsonformat's
// Marshaller.MarshalResource (google/fhir/go v0.7.4, R4). jsonformat builds
// a map per element and lets encoding/json sort and print it: ~170 µs per
// Patient. Here a plan per message type (every JSON key it can print,
// already ranked in encoding/json's order, and an encoder per field kind)
// is built once; a resource is then walked and appended to one []byte.
//
// The walk reads the generated Go structs directly, at field offsets the
// plan takes from reflect and checks against the proto descriptors.
// protoreflect's Has/Get on generated messages go through reflect.NewAt
// for every field (a sync.Map lookup each), which alone cost more than
// half of our budget.
//
// The output must stay byte-identical to jsonformat's: fastjson_test.go
// checks every example resource we have, random resources and fuzzed
// input. Whatever is not reproduced exactly returns errFallback, and
// Marshal then uses jsonformat itself.

// errFallback reports that the fast encoder does not reproduce jsonformat
// for this input (an unusual shape, or input jsonformat rejects).
var errFallback = errors.New("fhir: fast marshal: unsupported input")

// URLs of the google/fhir internal extensions that jsonformat consumes
// rather than prints (jsonpbhelper.PrimitiveHasNoValueURL and
// Base64BinarySeparatorStrideURL).
const (
	primitiveHasNoValueURL = "https://g.co/fhir/StructureDefinition/primitiveHasNoValue"
	base64StrideURL        = "https://g.co/fhir/StructureDefinition/base64Binary-separatorStride"
)

// marshalFast returns the jsonformat-identical JSON of r, or errFallback.
func marshalFast(r Resource) ([]byte, error) {
	p := planFor(r.ProtoReflect().Descriptor())
	// jsonformat prints "resourceType" for anything given to
	// MarshalResource; only resources are handled here, so that a datatype
	// at the top (say a Reference, which jsonformat then does not
	// denormalize) is left to jsonformat.
	if !p.resource || reflect.TypeOf(r) != p.goType {
		return nil, errFallback
	}
	e := encoders.Get().(*encoder)
	defer e.release()
	if err := e.message(p, dataPointer(r), true); err != nil {
		return nil, err
	}
	return slices.Clone(e.buf), nil
}

// dataPointer returns the pointer held by interface value v.
func dataPointer(v any) unsafe.Pointer {
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&v))[1]
}

// encoders recycles the output buffer and entry stack between calls, so a
// marshal allocates little more than its result.
var encoders = sync.Pool{New: func() any { return &encoder{buf: make([]byte, 0, 4096)} }}

type encoder struct {
	buf  []byte
	ents []entry // keys of the objects being written, used as a stack
}

func (e *encoder) release() {
	if cap(e.buf) > 1<<20 { // do not pin a huge buffer after one giant Bundle
		return
	}
	e.buf = e.buf[:0]
	e.ents = e.ents[:0]
	encoders.Put(e)
}

// An entry is one key of the JSON object being written. p points to the
// message (singular kinds) or to the slice (list kinds).
type entry struct {
	rank int32
	part uint8
	fp   *fieldPlan
	p    unsafe.Pointer
}

const (
	partValue = iota // "name": value
	partExt          // "_name": {extension, id} of a primitive
	partType         // "resourceType": "..."
)

// msgPlan is how one message type is written.
type msgPlan struct {
	bad      bool // not reproduced: e.g. two fields share a key
	resource bool
	goType   reflect.Type // *T
	fields   []*fieldPlan // fields outside oneofs
	oneofs   []*oneofPlan
	rtRank   int32
	rtJSON   []byte // "resourceType":"Patient"
}

// oneofPlan finds the set option of a oneof: the field is an interface
// whose type word identifies the option's wrapper struct, whose only field
// points to the option's value.
type oneofPlan struct {
	off     uintptr
	members map[unsafe.Pointer]*fieldPlan // by interface type word
}

func (o *oneofPlan) which(p unsafe.Pointer) (*fieldPlan, unsafe.Pointer, bool) {
	if p == nil {
		return nil, nil, false
	}
	w := (*[2]unsafe.Pointer)(unsafe.Add(p, o.off))
	if w[0] == nil {
		return nil, nil, false
	}
	fp := o.members[w[0]]
	if fp == nil || w[1] == nil {
		return nil, nil, true // unknown wrapper: caller falls back
	}
	return fp, *(*unsafe.Pointer)(w[1]), true
}

type fieldKind uint8

const (
	fkBad         fieldKind = iota // setting this field makes us fall back
	fkPrim                         // singular FHIR primitive
	fkPrimList                     // repeated FHIR primitive
	fkMsg                          // singular complex element
	fkMsgList                      // repeated complex element
	fkChoice                       // choice type: printed as its set option
	fkRefFragment                  // Reference.fragment: printed as "reference":"#id"
	fkRefID                        // Reference.<type>_id: printed as "reference":"Type/id"
)

type valueKind uint8

const (
	vkMsg       valueKind = iota // plain object
	vkContained                  // ContainedResource: the set resource, with resourceType
	vkAny                        // Any in "contained": unpacked ContainedResource
	vkResource                   // option of ContainedResource; plan looked up when met
	vkBad                        // jsonformat would fail or do something we do not copy
)

// fieldPlan is how one field (or one option of a choice field) is written.
type fieldPlan struct {
	kind          fieldKind
	vk            valueKind
	off           uintptr // in the parent struct; unused for oneof options
	key, extKey   []byte  // `"name":` and `"_name":`
	name          string
	rank, extRank int32
	msg           *msgPlan
	md            protoreflect.MessageDescriptor // vkResource
	prim          *primPlan
	choice        *oneofPlan // fkChoice: the oneof in the choice message
	refType       string     // fkRefID: "Patient/"
	refValue      uintptr    // fkRefFragment, fkRefID: offset of value
	refHistory    uintptr    // fkRefID: offset of history (*Id)
	idValue       uintptr    // fkRefID: offset of Id.value
}

type primKind uint8

const (
	pkBad primKind = iota
	pkString
	pkBool
	pkInt
	pkUint
	pkDecimal
	pkBase64
	pkDate
	pkDateTime
	pkTime
	pkInstant
	pkCode // enum-valued code
)

// primPlan is how one primitive type is written: its value, and its
// "_name" part (extensions and element id).
type primPlan struct {
	kind     primKind
	value    uintptr // value, or value_us for time-like types
	hasID    bool
	id       uintptr // *String
	idValue  uintptr // String.value
	hasExt   bool
	ext      *fieldPlan // the extension field, a list of Extension
	url      uintptr    // Extension.url (*Uri)
	urlValue uintptr    // Uri.value
	codes    [][]byte   // pkCode: quoted code by enum number; nil = unknown
	tz, prec uintptr    // time-like: timezone, precision
	layouts  map[int32]layout
}

// layout is a time layout per precision; utc is used when the timezone is
// exactly "Z", as jsonformat does.
type layout struct{ local, utc string }

var (
	plans   sync.Map   // protoreflect.MessageDescriptor -> *msgPlan
	plansMu sync.Mutex // serializes building; readers only Load
)

// planFor returns the plan of d, building it (and every plan it reaches,
// except resources inside ContainedResource) on first use. Plans are
// immutable once published.
func planFor(d protoreflect.MessageDescriptor) *msgPlan {
	if p, ok := plans.Load(d); ok {
		return p.(*msgPlan)
	}
	plansMu.Lock()
	defer plansMu.Unlock()
	if p, ok := plans.Load(d); ok {
		return p.(*msgPlan)
	}
	b := &planBuilder{local: map[protoreflect.MessageDescriptor]*msgPlan{}}
	p := b.message(d)
	for d, p := range b.local {
		plans.Store(d, p)
	}
	return p
}

type planBuilder struct {
	local map[protoreflect.MessageDescriptor]*msgPlan
}

// goStruct maps the fields of the generated struct of d: offsets and Go
// types by proto field name, and oneof interface fields by oneof name.
type goStruct struct {
	mt     protoreflect.MessageType
	ptr    reflect.Type
	fields map[string]reflect.StructField
	oneofs map[string]reflect.StructField
}

func structOf(d protoreflect.MessageDescriptor) (*goStruct, bool) {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(d.FullName())
	if err != nil {
		return nil, false
	}
	t := reflect.TypeOf(mt.Zero().Interface())
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	gs := &goStruct{mt: mt, ptr: t, fields: map[string]reflect.StructField{}, oneofs: map[string]reflect.StructField{}}
	st := t.Elem()
	for i := range st.NumField() {
		sf := st.Field(i)
		if strings.HasPrefix(sf.Name, "xxx_hidden_") {
			// protoc-gen-go's opaque API: presence is kept in bitmaps and
			// fields may be decoded lazily, so pointers do not tell.
			return nil, false
		}
		if o := sf.Tag.Get("protobuf_oneof"); o != "" {
			gs.oneofs[o] = sf
			continue
		}
		for _, part := range strings.Split(sf.Tag.Get("protobuf"), ",") {
			if name, ok := strings.CutPrefix(part, "name="); ok {
				gs.fields[name] = sf
			}
		}
	}
	return gs, true
}

// goPtrType is the Go type of a pointer to message d, or nil.
func goPtrType(d protoreflect.MessageDescriptor) reflect.Type {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(d.FullName())
	if err != nil {
		return nil
	}
	return reflect.TypeOf(mt.Zero().Interface())
}

func (b *planBuilder) message(d protoreflect.MessageDescriptor) *msgPlan {
	if p, ok := plans.Load(d); ok {
		return p.(*msgPlan)
	}
	if p, ok := b.local[d]; ok {
		return p
	}
	p := &msgPlan{resource: isResource(d)}
	b.local[d] = p // before recursing: element types are recursive
	gs, ok := structOf(d)
	if !ok {
		p.bad = true
		return p
	}
	p.goType = gs.ptr
	fields := d.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
			continue
		}
		if fd.Message() == nil || fd.IsMap() {
			// jsonformat rejects these when set; scalars cannot be tested
			// for presence like pointers, so the whole type falls back.
			p.bad = true
			return p
		}
		sf, ok := gs.fields[string(fd.Name())]
		fp := b.field(fd, fd.JSONName(), true)
		if !ok || !goTypeMatches(fd, sf.Type) {
			p.bad = true
			return p
		}
		fp.off = sf.Offset
		p.fields = append(p.fields, fp)
	}
	for i := range d.Oneofs().Len() {
		od := d.Oneofs().Get(i)
		if od.IsSynthetic() {
			continue
		}
		ref := isReference(d) && od.Name() == "reference"
		op := b.oneof(gs, od, func(fd protoreflect.FieldDescriptor) *fieldPlan {
			switch {
			case d.Name() == "ContainedResource" && fd.Message() != nil:
				// Resolved when met: a Bundle should not build all 149 plans.
				return &fieldPlan{kind: fkMsg, vk: vkResource, md: fd.Message(), name: fd.JSONName()}
			case ref:
				return b.refOption(d, fd)
			}
			return b.field(fd, fd.JSONName(), true)
		})
		if op == nil || (ref && d.Fields().ByName("uri").ContainingOneof() != od) {
			p.bad = true
			return p
		}
		p.oneofs = append(p.oneofs, op)
	}

	// Rank every key this message can print, in encoding/json's order
	// (byte-wise sort of the keys of jsonformat's map).
	type keyed struct {
		name  string
		ptr   *int32
		alias bool // shares its key on purpose (Reference forms)
	}
	var keys []keyed
	add := func(fp *fieldPlan) {
		alias := fp.kind == fkRefFragment || fp.kind == fkRefID
		switch fp.kind {
		case fkPrim, fkPrimList:
			keys = append(keys, keyed{fp.name, &fp.rank, alias}, keyed{"_" + fp.name, &fp.extRank, alias})
		case fkMsg, fkMsgList, fkRefFragment, fkRefID:
			keys = append(keys, keyed{fp.name, &fp.rank, alias})
		case fkChoice:
			for _, o := range fp.choice.members {
				if o.kind == fkPrim || o.kind == fkMsg {
					keys = append(keys, keyed{o.name, &o.rank, false})
					if o.kind == fkPrim {
						keys = append(keys, keyed{"_" + o.name, &o.extRank, false})
					}
				}
			}
		}
	}
	for _, fp := range p.fields {
		add(fp)
	}
	for _, op := range p.oneofs {
		for _, fp := range op.members {
			add(fp)
		}
	}
	if p.resource { // only resources print it (see marshalFast and contained)
		keys = append(keys, keyed{"resourceType", &p.rtRank, false})
	}
	slices.SortStableFunc(keys, func(a, b keyed) int { return strings.Compare(a.name, b.name) })
	rank := int32(-1)
	for i, k := range keys {
		if i == 0 || keys[i-1].name != k.name {
			rank++
		} else if !k.alias && !keys[i-1].alias {
			p.bad = true // jsonformat's map would keep only one of them
		}
		*k.ptr = rank
	}
	p.rtJSON = append(appendString(nil, "resourceType"), ':')
	p.rtJSON = appendString(p.rtJSON, string(d.Name()))
	return p
}

// oneof plans oneof od of the struct gs, with plan(fd) for each option.
func (b *planBuilder) oneof(gs *goStruct, od protoreflect.OneofDescriptor, plan func(protoreflect.FieldDescriptor) *fieldPlan) *oneofPlan {
	sf, ok := gs.oneofs[string(od.Name())]
	if !ok || sf.Type.Kind() != reflect.Interface {
		return nil
	}
	op := &oneofPlan{off: sf.Offset, members: map[unsafe.Pointer]*fieldPlan{}}
	for i := range od.Fields().Len() {
		fd := od.Fields().Get(i)
		if fd.Message() == nil {
			return nil
		}
		// Set the option on a scratch message to learn its wrapper's type
		// word, and check that the wrapper holds just the option pointer.
		m := gs.mt.New()
		m.Set(fd, m.NewField(fd))
		w := reflect.ValueOf(m.Interface()).Elem().FieldByIndex(sf.Index).Elem().Type()
		if w.Kind() != reflect.Pointer || w.Elem().Kind() != reflect.Struct || w.Elem().NumField() != 1 ||
			w.Elem().Field(0).Type != goPtrType(fd.Message()) {
			return nil
		}
		tab := (*[2]unsafe.Pointer)(unsafe.Add(dataPointer(m.Interface()), sf.Offset))[0]
		op.members[tab] = plan(fd)
	}
	return op
}

// goTypeMatches checks the Go field type of a message field.
func goTypeMatches(fd protoreflect.FieldDescriptor, t reflect.Type) bool {
	pt := goPtrType(fd.Message())
	if fd.IsList() {
		return t == reflect.SliceOf(pt)
	}
	return t == pt
}

// field plans fd, printed under name. top is false for choice options,
// which jsonformat does not zoom into again.
func (b *planBuilder) field(fd protoreflect.FieldDescriptor, name string, top bool) *fieldPlan {
	fp := &fieldPlan{name: name}
	fp.key = append(appendString(nil, name), ':')
	fp.extKey = append(appendString(nil, "_"+name), ':')
	md := fd.Message()
	if fd.IsMap() || md == nil {
		return fp // fkBad: jsonformat rejects scalar fields in elements
	}
	switch {
	case fd.IsList() && isPrimitive(md):
		fp.kind = fkPrimList
		fp.prim = b.primitive(md)
	case fd.IsList():
		fp.kind = fkMsgList
		b.value(fp, fd, md)
	case top && isChoice(md):
		gs, ok := structOf(md)
		if !ok || md.Oneofs().Len() != 1 {
			return fp
		}
		od := md.Oneofs().Get(0)
		fp.choice = b.oneof(gs, od, func(o protoreflect.FieldDescriptor) *fieldPlan {
			// jsonformat: SnakeToLowerCamel(field + "_" + CamelToSnake(option json name)).
			n := snakeToLowerCamel(string(fd.Name()) + "_" + camelToSnake(o.JSONName()))
			return b.field(o, n, false)
		})
		if fp.choice != nil {
			fp.kind = fkChoice
		}
	case isPrimitive(md):
		fp.kind = fkPrim
		fp.prim = b.primitive(md)
	default:
		fp.kind = fkMsg
		b.value(fp, fd, md)
	}
	return fp
}

// value decides how a complex element is printed, in the order of
// jsonformat's marshalNonPrimitiveFieldValue.
func (b *planBuilder) value(fp *fieldPlan, fd protoreflect.FieldDescriptor, md protoreflect.MessageDescriptor) {
	switch {
	case md.Name() == "ContainedResource":
		fp.vk = vkContained
		if md.FullName() == "google.fhir.r4.core.ContainedResource" {
			fp.msg = b.message(md)
		} else {
			fp.vk = vkBad
		}
	case md.FullName() == "google.protobuf.Any" && fd.JSONName() == "contained":
		fp.vk = vkAny
		fp.msg = b.message((&crpb.ContainedResource{}).ProtoReflect().Descriptor())
	case proto.HasExtension(md.Options(), apb.E_FhirReferenceType) && !isReference(md):
		fp.vk = vkBad
	default:
		fp.vk = vkMsg
		fp.msg = b.message(md)
	}
}

// refOption plans option fd of Reference's oneof as what jsonformat's
// DenormalizeReference turns it into: a "reference" URI.
func (b *planBuilder) refOption(d protoreflect.MessageDescriptor, fd protoreflect.FieldDescriptor) *fieldPlan {
	uri := d.Fields().ByName("uri")
	if uri == nil || fd == uri {
		return b.field(fd, fd.JSONName(), true) // the URI itself, a primitive
	}
	fp := &fieldPlan{name: uri.JSONName(), key: append(appendString(nil, uri.JSONName()), ':')}
	fgs, ok := structOf(fd.Message())
	if !ok {
		return fp
	}
	switch {
	case fd.Name() == "fragment":
		if v, ok := fgs.fields["value"]; ok && v.Type.Kind() == reflect.String {
			fp.kind, fp.refValue = fkRefFragment, v.Offset
		}
	case strings.HasSuffix(string(fd.Name()), "_id"):
		t, _ := proto.GetExtension(fd.Options(), apb.E_ReferencedFhirType).(string)
		v, okv := fgs.fields["value"]
		h, okh := fgs.fields["history"]
		hd := fd.Message().Fields().ByName("history")
		if t == "" || !okv || v.Type.Kind() != reflect.String || !okh || hd == nil || hd.Message() == nil || h.Type != goPtrType(hd.Message()) {
			return fp // fkBad: jsonformat would print "<type>Id"
		}
		hgs, ok := structOf(hd.Message())
		if !ok {
			return fp
		}
		if hv, ok := hgs.fields["value"]; ok && hv.Type.Kind() == reflect.String {
			fp.kind, fp.refType = fkRefID, t+"/"
			fp.refValue, fp.refHistory, fp.idValue = v.Offset, h.Offset, hv.Offset
		}
	}
	return fp
}

func (b *planBuilder) primitive(md protoreflect.MessageDescriptor) *primPlan {
	pp := &primPlan{}
	gs, ok := structOf(md)
	if !ok {
		return pp
	}
	fields := md.Fields()
	if id := fields.ByName("id"); id != nil && id.Message() != nil && !id.IsList() {
		sf, ok1 := gs.fields["id"]
		igs, ok2 := structOf(id.Message())
		if ok1 && ok2 && sf.Type == igs.ptr {
			if v, ok := igs.fields["value"]; ok && v.Type.Kind() == reflect.String {
				pp.hasID, pp.id, pp.idValue = true, sf.Offset, v.Offset
			}
		}
	}
	if !pp.hasID {
		return pp // jsonformat fails on primitives without id
	}
	if ext := fields.ByName("extension"); ext != nil {
		sf, ok := gs.fields["extension"]
		url := ext.Message().Fields().ByName("url")
		if !ok || !ext.IsList() || !goTypeMatches(ext, sf.Type) || url == nil || url.Message() == nil {
			return pp
		}
		egs, ok1 := structOf(ext.Message())
		ugs, ok2 := structOf(url.Message())
		if !ok1 || !ok2 {
			return pp
		}
		uf, ok1 := egs.fields["url"]
		uv, ok2 := ugs.fields["value"]
		if !ok1 || !ok2 || uf.Type != ugs.ptr || uv.Type.Kind() != reflect.String {
			return pp
		}
		pp.hasExt, pp.url, pp.urlValue = true, uf.Offset, uv.Offset
		pp.ext = b.field(ext, "extension", true)
		pp.ext.off = sf.Offset
	}
	value, okv := gs.fields["value"]
	kind := func(k reflect.Kind) bool { return okv && value.Type.Kind() == k }
	pp.value = value.Offset
	switch md.Name() {
	case "Base64Binary":
		if okv && value.Type == reflect.TypeOf([]byte(nil)) {
			pp.kind = pkBase64
		}
	case "Canonical", "Code", "Markdown", "Oid", "String", "Uri", "Url", "Uuid", "Xhtml", "ReferenceId", "Id":
		if kind(reflect.String) {
			pp.kind = pkString
		}
	case "Boolean":
		if kind(reflect.Bool) {
			pp.kind = pkBool
		}
	case "Integer":
		if kind(reflect.Int32) {
			pp.kind = pkInt
		}
	case "PositiveInt", "UnsignedInt":
		if kind(reflect.Uint32) {
			pp.kind = pkUint
		}
	case "Decimal":
		if kind(reflect.String) {
			pp.kind = pkDecimal
		}
	case "Date":
		b.timeLike(pp, md, gs, pkDate, map[string]layout{
			"DAY": {"2006-01-02", "2006-01-02"}, "MONTH": {"2006-01", "2006-01"}, "YEAR": {"2006", "2006"},
		})
	case "DateTime":
		b.timeLike(pp, md, gs, pkDateTime, map[string]layout{
			"SECOND":      {"2006-01-02T15:04:05-07:00", "2006-01-02T15:04:05Z"},
			"MILLISECOND": {"2006-01-02T15:04:05.000-07:00", "2006-01-02T15:04:05.000Z"},
			"MICROSECOND": {"2006-01-02T15:04:05.000000-07:00", "2006-01-02T15:04:05.000000Z"},
			"DAY":         {"2006-01-02", "2006-01-02"}, "MONTH": {"2006-01", "2006-01"}, "YEAR": {"2006", "2006"},
		})
	case "Time":
		b.timeLike(pp, md, gs, pkTime, map[string]layout{
			"SECOND": {"15:04:05", "15:04:05"}, "MILLISECOND": {"15:04:05.000", "15:04:05.000"},
			"MICROSECOND": {"15:04:05.000000", "15:04:05.000000"},
		})
	case "Instant":
		b.timeLike(pp, md, gs, pkInstant, map[string]layout{
			"SECOND":      {"2006-01-02T15:04:05-07:00", "2006-01-02T15:04:05Z"},
			"MILLISECOND": {"2006-01-02T15:04:05.000-07:00", "2006-01-02T15:04:05.000Z"},
			"MICROSECOND": {"2006-01-02T15:04:05.000000-07:00", "2006-01-02T15:04:05.000000Z"},
		})
	default:
		vf := fields.ByName("value")
		if !proto.HasExtension(md.Options(), apb.E_FhirValuesetUrl) || vf == nil || vf.IsList() {
			break
		}
		switch {
		case vf.Kind() == protoreflect.StringKind && kind(reflect.String):
			pp.kind = pkString
		case vf.Kind() == protoreflect.EnumKind && kind(reflect.Int32):
			pp.kind = pkCode
			vals := vf.Enum().Values()
			for i := range vals.Len() {
				ev := vals.Get(i)
				n := int(ev.Number())
				if n < 0 || n > 4096 {
					pp.kind = pkBad
					break
				}
				if n >= len(pp.codes) {
					pp.codes = append(pp.codes, make([][]byte, n+1-len(pp.codes))...)
				}
				// Observe fhir_original_code, else lower-case the value
				// name with '-' for '_' (jsonformat's rule).
				code, _ := proto.GetExtension(ev.Options(), apb.E_FhirOriginalCode).(string)
				if code == "" {
					code = strings.ReplaceAll(strings.ToLower(string(ev.Name())), "_", "-")
				}
				if pp.codes[n] == nil {
					pp.codes[n] = appendString(nil, code)
				}
			}
		}
	}
	return pp
}

func (b *planBuilder) timeLike(pp *primPlan, md protoreflect.MessageDescriptor, gs *goStruct, k primKind, names map[string]layout) {
	prec := md.Fields().ByName("precision")
	us, ok1 := gs.fields["value_us"]
	pf, ok2 := gs.fields["precision"]
	tz, ok3 := gs.fields["timezone"]
	if !ok1 || us.Type.Kind() != reflect.Int64 || !ok2 || pf.Type.Kind() != reflect.Int32 || prec == nil || prec.Enum() == nil {
		return
	}
	if k != pkTime && (!ok3 || tz.Type.Kind() != reflect.String) {
		return
	}
	pp.layouts = map[int32]layout{}
	for n, l := range names {
		ev := prec.Enum().Values().ByName(protoreflect.Name(n))
		if ev == nil {
			return // jsonformat's checkEnumValueNames fails
		}
		pp.layouts[int32(ev.Number())] = l
	}
	pp.kind, pp.value, pp.prec, pp.tz = k, us.Offset, pf.Offset, tz.Offset
}

func ptrAt(p unsafe.Pointer, off uintptr) unsafe.Pointer {
	if p == nil {
		return nil
	}
	return *(*unsafe.Pointer)(unsafe.Add(p, off))
}

func sliceAt(p unsafe.Pointer, off uintptr) []unsafe.Pointer {
	if p == nil {
		return nil
	}
	return *(*[]unsafe.Pointer)(unsafe.Add(p, off))
}

func stringAt(p unsafe.Pointer, off uintptr) string {
	if p == nil {
		return ""
	}
	return *(*string)(unsafe.Add(p, off))
}

// valueAt reads a scalar of type T (bool, int32, uint32, int64, []byte).
func valueAt[T any](p unsafe.Pointer, off uintptr) T {
	if p == nil {
		var zero T
		return zero
	}
	return *(*T)(unsafe.Add(p, off))
}

// message writes the message at p (nil: an empty one) as a JSON object;
// resource adds "resourceType".
func (e *encoder) message(pl *msgPlan, p unsafe.Pointer, resource bool) error {
	if pl.bad || (resource && !pl.resource) {
		return errFallback
	}
	start := len(e.ents)
	if p != nil {
		for _, fp := range pl.fields {
			var v unsafe.Pointer
			switch fp.kind {
			case fkPrimList, fkMsgList:
				if len(sliceAt(p, fp.off)) == 0 {
					continue
				}
				v = unsafe.Add(p, fp.off)
			default:
				if v = ptrAt(p, fp.off); v == nil {
					continue
				}
			}
			if err := e.push(fp, v); err != nil {
				e.ents = e.ents[:start]
				return err
			}
		}
		for _, op := range pl.oneofs {
			fp, v, set := op.which(p)
			if !set {
				continue
			}
			if fp == nil {
				e.ents = e.ents[:start]
				return errFallback
			}
			if err := e.push(fp, v); err != nil {
				e.ents = e.ents[:start]
				return err
			}
		}
	}
	if resource {
		e.ents = append(e.ents, entry{rank: pl.rtRank, part: partType})
	}
	ents := e.ents[start:]
	for i := 1; i < len(ents); i++ { // insertion sort: few keys, mostly in order
		for j := i; j > 0 && ents[j].rank < ents[j-1].rank; j-- {
			ents[j], ents[j-1] = ents[j-1], ents[j]
		}
	}
	e.buf = append(e.buf, '{')
	for i := start; i < len(e.ents); i++ {
		if i > start {
			e.buf = append(e.buf, ',')
		}
		ent := e.ents[i] // a copy: nested messages grow e.ents
		if ent.part == partType {
			e.buf = append(e.buf, pl.rtJSON...)
			continue
		}
		if err := e.entry(&ent); err != nil {
			e.ents = e.ents[:start]
			return err
		}
	}
	e.buf = append(e.buf, '}')
	e.ents = e.ents[:start]
	return nil
}

// push records the keys printed by set field fp, whose value is at v (the
// message, or for lists the slice).
func (e *encoder) push(fp *fieldPlan, v unsafe.Pointer) error {
	switch fp.kind {
	case fkPrim:
		hasVal, hasExt, err := fp.prim.parts(v)
		if err != nil {
			return err
		}
		if hasVal {
			e.ents = append(e.ents, entry{rank: fp.rank, part: partValue, fp: fp, p: v})
		}
		if hasExt {
			e.ents = append(e.ents, entry{rank: fp.extRank, part: partExt, fp: fp, p: v})
		}
	case fkPrimList:
		anyVal, anyExt := false, false
		for _, m := range *(*[]unsafe.Pointer)(v) {
			hasVal, hasExt, err := fp.prim.parts(m)
			if err != nil {
				return err
			}
			anyVal, anyExt = anyVal || hasVal, anyExt || hasExt
		}
		if anyVal {
			e.ents = append(e.ents, entry{rank: fp.rank, part: partValue, fp: fp, p: v})
		}
		if anyExt {
			e.ents = append(e.ents, entry{rank: fp.extRank, part: partExt, fp: fp, p: v})
		}
	case fkMsg, fkMsgList:
		if fp.vk == vkBad {
			return errFallback
		}
		e.ents = append(e.ents, entry{rank: fp.rank, part: partValue, fp: fp, p: v})
	case fkRefFragment, fkRefID:
		if v == nil { // a nil option: jsonformat does not denormalize it
			return errFallback
		}
		e.ents = append(e.ents, entry{rank: fp.rank, part: partValue, fp: fp, p: v})
	case fkChoice:
		opt, ov, set := fp.choice.which(v)
		if !set || opt == nil {
			return errFallback // jsonformat: "no oneof set in choice type"
		}
		return e.push(opt, ov)
	default:
		return errFallback
	}
	return nil
}

func (e *encoder) entry(ent *entry) error {
	fp := ent.fp
	if ent.part == partExt {
		e.buf = append(e.buf, fp.extKey...)
	} else {
		e.buf = append(e.buf, fp.key...)
	}
	switch fp.kind {
	case fkPrim:
		if ent.part == partExt {
			return e.primExt(fp.prim, ent.p)
		}
		return e.primValue(fp.prim, ent.p)
	case fkPrimList:
		e.buf = append(e.buf, '[')
		for i, m := range *(*[]unsafe.Pointer)(ent.p) {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			hasVal, hasExt, _ := fp.prim.parts(m)
			var err error
			switch {
			case ent.part == partExt && hasExt:
				err = e.primExt(fp.prim, m)
			case ent.part == partValue && hasVal:
				err = e.primValue(fp.prim, m)
			default:
				e.buf = append(e.buf, "null"...)
			}
			if err != nil {
				return err
			}
		}
		e.buf = append(e.buf, ']')
	case fkMsg:
		return e.value(fp, ent.p)
	case fkMsgList:
		e.buf = append(e.buf, '[')
		for i, m := range *(*[]unsafe.Pointer)(ent.p) {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.value(fp, m); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, ']')
	case fkRefFragment:
		e.buf = append(e.buf, '"', '#')
		e.buf = appendStringBody(e.buf, stringAt(ent.p, fp.refValue))
		e.buf = append(e.buf, '"')
	case fkRefID:
		e.buf = append(e.buf, '"')
		e.buf = append(e.buf, fp.refType...)
		e.buf = appendStringBody(e.buf, stringAt(ent.p, fp.refValue))
		if h := stringAt(ptrAt(ent.p, fp.refHistory), fp.idValue); h != "" {
			e.buf = append(e.buf, "/_history/"...)
			e.buf = appendStringBody(e.buf, h)
		}
		e.buf = append(e.buf, '"')
	default:
		return errFallback
	}
	return nil
}

// value writes one complex element.
func (e *encoder) value(fp *fieldPlan, p unsafe.Pointer) error {
	switch fp.vk {
	case vkMsg:
		return e.message(fp.msg, p, false)
	case vkContained:
		return e.contained(fp.msg, p)
	case vkAny:
		if p == nil {
			return errFallback
		}
		cr := &crpb.ContainedResource{}
		if err := (*anypb.Any)(p).UnmarshalTo(cr); err != nil {
			return errFallback // jsonformat fails too
		}
		return e.contained(fp.msg, unsafe.Pointer(cr))
	case vkResource:
		return e.message(planFor(fp.md), p, true)
	}
	return errFallback
}

// contained writes the resource set in the ContainedResource at p.
func (e *encoder) contained(pl *msgPlan, p unsafe.Pointer) error {
	if pl.bad || len(pl.oneofs) != 1 {
		return errFallback
	}
	fp, v, set := pl.oneofs[0].which(p)
	if !set || fp == nil {
		return errFallback // jsonformat: "no field is set in the oneof"
	}
	return e.value(fp, v)
}

// parts reports whether the primitive at p prints a value and a "_name"
// part, as jsonformat does: the primitiveHasNoValue extension suppresses
// the value and is itself never printed; an unset enum code prints no
// value.
func (pp *primPlan) parts(p unsafe.Pointer) (hasVal, hasExt bool, err error) {
	if pp.kind == pkBad {
		return false, false, errFallback
	}
	noValue := false
	if pp.hasExt {
		for _, x := range sliceAt(p, pp.ext.off) {
			switch pp.extensionURL(x) {
			case primitiveHasNoValueURL:
				noValue = true
			case base64StrideURL:
				if pp.kind == pkBase64 {
					return false, false, errFallback // re-spacing of base64: rare, left to jsonformat
				}
				hasExt = true
			default:
				hasExt = true
			}
		}
	}
	if ptrAt(p, pp.id) != nil {
		hasExt = true
	}
	hasVal = !noValue
	if hasVal && pp.kind == pkCode && valueAt[int32](p, pp.value) == 0 {
		hasVal = false
	}
	return hasVal, hasExt, nil
}

// extensionURL is jsonpbhelper.ExtensionURL, with a non-URL for an unset
// url (which never matches the internal URLs).
func (pp *primPlan) extensionURL(x unsafe.Pointer) string {
	u := ptrAt(x, pp.url)
	if u == nil {
		return "\x00unset"
	}
	return stringAt(u, pp.urlValue)
}

func (e *encoder) primValue(pp *primPlan, p unsafe.Pointer) error {
	switch pp.kind {
	case pkString:
		e.buf = appendString(e.buf, stringAt(p, pp.value))
	case pkBool:
		e.buf = strconv.AppendBool(e.buf, valueAt[bool](p, pp.value))
	case pkInt:
		e.buf = strconv.AppendInt(e.buf, int64(valueAt[int32](p, pp.value)), 10)
	case pkUint:
		e.buf = strconv.AppendUint(e.buf, uint64(valueAt[uint32](p, pp.value)), 10)
	case pkDecimal:
		// jsonformat prints the string raw and encoding/json then checks
		// and compacts it; a strict JSON number is printed unchanged.
		s := stringAt(p, pp.value)
		if !isJSONNumber(s) {
			return errFallback
		}
		e.buf = append(e.buf, s...)
	case pkBase64:
		e.buf = append(e.buf, '"')
		e.buf = base64.StdEncoding.AppendEncode(e.buf, valueAt[[]byte](p, pp.value))
		e.buf = append(e.buf, '"')
	case pkCode:
		n := int(valueAt[int32](p, pp.value))
		if n < 0 || n >= len(pp.codes) || pp.codes[n] == nil {
			return errFallback // unknown enum value: jsonformat panics
		}
		e.buf = append(e.buf, pp.codes[n]...)
	case pkDate, pkDateTime, pkInstant, pkTime:
		return e.timeValue(pp, p)
	default:
		return errFallback
	}
	return nil
}

func (e *encoder) timeValue(pp *primPlan, p unsafe.Pointer) error {
	l, ok := pp.layouts[valueAt[int32](p, pp.prec)]
	if !ok {
		return errFallback // jsonformat: invalid precision
	}
	us := valueAt[int64](p, pp.value)
	tz := "Z"
	if pp.kind != pkTime {
		tz = stringAt(p, pp.tz)
	}
	loc, err := location(tz)
	if err != nil {
		return errFallback
	}
	t := time.Unix(us/1e6, (us%1e6)*1000).In(loc)
	layout := l.local
	if tz == "Z" {
		layout = l.utc
	}
	e.buf = append(e.buf, '"')
	e.buf = t.AppendFormat(e.buf, layout)
	e.buf = append(e.buf, '"')
	return nil
}

// primExt writes the "_name" object of a primitive: its extensions (less
// the internal one jsonformat consumes) and its element id.
func (e *encoder) primExt(pp *primPlan, p unsafe.Pointer) error {
	e.buf = append(e.buf, '{')
	n := 0
	if pp.hasExt {
		for _, x := range sliceAt(p, pp.ext.off) {
			if pp.extensionURL(x) == primitiveHasNoValueURL {
				continue
			}
			if n == 0 {
				e.buf = append(e.buf, pp.ext.key...)
				e.buf = append(e.buf, '[')
			} else {
				e.buf = append(e.buf, ',')
			}
			n++
			if err := e.value(pp.ext, x); err != nil {
				return err
			}
		}
	}
	if n > 0 {
		e.buf = append(e.buf, ']')
	}
	if id := ptrAt(p, pp.id); id != nil {
		if n > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = append(e.buf, `"id":`...)
		e.buf = appendString(e.buf, stringAt(id, pp.idValue))
	}
	e.buf = append(e.buf, '}')
	return nil
}

var (
	locations   sync.Map // string -> *time.Location
	nLocations  atomic.Int32
	maxLocCache = int32(256) // zone strings come from data; bound the cache
)

func location(tz string) (*time.Location, error) {
	if tz == "Z" {
		return time.UTC, nil
	}
	if l, ok := locations.Load(tz); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(tz)
	if err != nil {
		off, err := offsetToSeconds(tz)
		if err != nil {
			return nil, err
		}
		l = time.FixedZone(tz, off)
	}
	if nLocations.Add(1) <= maxLocCache {
		locations.Store(tz, l)
	}
	return l, nil
}

// offsetToSeconds is jsonpbhelper's parser of "+hh:mm" zone offsets.
func offsetToSeconds(offset string) (int, error) {
	if offset == "" || offset == "Z" {
		return 0, nil
	}
	sign := offset[0]
	if sign != '+' && sign != '-' {
		return 0, errFallback
	}
	arr := strings.Split(offset[1:], ":")
	if len(arr) != 2 {
		return 0, errFallback
	}
	hour, err := strconv.Atoi(arr[0])
	if err != nil {
		return 0, errFallback
	}
	minute, err := strconv.Atoi(arr[1])
	if err != nil {
		return 0, errFallback
	}
	if sign == '-' {
		return -hour*3600 - minute*60, nil
	}
	return hour*3600 + minute*60, nil
}

// isJSONNumber reports whether s is exactly one JSON number token.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	return i == len(s)
}

func isPrimitive(d protoreflect.MessageDescriptor) bool {
	k, _ := proto.GetExtension(d.Options(), apb.E_StructureDefinitionKind).(apb.StructureDefinitionKindValue)
	return k == apb.StructureDefinitionKindValue_KIND_PRIMITIVE_TYPE
}

func isResource(d protoreflect.MessageDescriptor) bool {
	k, _ := proto.GetExtension(d.Options(), apb.E_StructureDefinitionKind).(apb.StructureDefinitionKindValue)
	return k == apb.StructureDefinitionKindValue_KIND_RESOURCE
}

func isChoice(d protoreflect.MessageDescriptor) bool {
	b, _ := proto.GetExtension(d.Options(), apb.E_IsChoiceType).(bool)
	return b
}

// isReference reports whether d is the R4 Reference that jsonformat
// denormalizes (its DenormalizeReference knows only this Go type).
func isReference(d protoreflect.MessageDescriptor) bool {
	return d.FullName() == "google.fhir.r4.core.Reference" && proto.HasExtension(d.Options(), apb.E_FhirReferenceType)
}

// camelToSnake and snakeToLowerCamel are jsonpbhelper's, used to name
// choice keys ("deceased" + "boolean" -> "deceasedBoolean").
func camelToSnake(s string) string {
	out := make([]rune, 0, len(s))
	for _, c := range s {
		if !unicode.IsLower(c) {
			if len(out) > 0 {
				out = append(out, '_')
			}
		}
		out = append(out, unicode.ToLower(c))
	}
	return string(out)
}

func snakeToLowerCamel(s string) string {
	if s == "" {
		return s
	}
	out := make([]rune, 0, len(s))
	upper := true
	for _, c := range s {
		switch {
		case c == '_':
			upper = true
		case upper:
			upper = false
			out = append(out, unicode.ToUpper(c))
		default:
			out = append(out, unicode.ToLower(c))
		}
	}
	camel := string(out)
	return strings.ToLower(camel[:1]) + camel[1:]
}

// appendString appends s as a JSON string the way encoding/json does with
// SetEscapeHTML(false), which jsonformat uses: < > & are kept, invalid
// UTF-8 becomes \ufffd, U+2028 and U+2029 are escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendStringBody(dst, s)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// plainASCII marks the bytes printed as themselves.
var plainASCII = func() (t [256]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

func appendStringBody(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		for i < len(s) && plainASCII[s[i]] { // fast path: most text needs no escape
			i++
		}
		if i == len(s) {
			break
		}
		if b := s[i]; b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}
