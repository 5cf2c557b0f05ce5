package copybook

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Trim says which padding a text value loses. Padding is spaces and NULs
// (low-values), in the record's encoding.
type Trim uint8

// The trimming policies.
const (
	TrimRight Trim = iota // trailing padding (the default)
	TrimBoth              // leading and trailing padding (Cobrix's default)
	TrimNone              // nothing
)

// BinaryMode says how a BINARY (COMP, COMP-4) value larger than its
// PICTURE is read. COMP-5 is never truncated.
type BinaryMode uint8

// The binary modes.
const (
	// BinaryTruncate keeps the low-order PICTURE digits, as a program
	// compiled with IBM's default TRUNC(STD) sees the field: PIC 9(4)
	// COMP holding 12345 reads 2345.
	BinaryTruncate BinaryMode = iota
	// BinaryFull reads the whole binary value, as TRUNC(BIN) and
	// COMP-5 do (and as Cobrix does).
	BinaryFull
)

// InvalidPolicy says what a value that does not decode (a packed
// decimal with a bad nibble, letters in a zoned decimal, an OCCURS
// DEPENDING ON count out of range) becomes.
type InvalidPolicy uint8

// The policies.
const (
	InvalidError InvalidPolicy = iota // the record fails with a located *DecodeError (the default)
	InvalidNull                       // the value is null and decoding goes on (Cobrix's behaviour); a bad count is clamped
)

// FloatFormat is the representation of COMP-1 and COMP-2 items.
type FloatFormat uint8

// The floating-point formats.
const (
	FloatIBM  FloatFormat = iota // IBM System/360 hexadecimal floating point (the mainframe's; the default)
	FloatIEEE                    // IEEE 754 binary32/binary64, big-endian (BFP, and files written off the mainframe)
)

// Config configures a [Decoder]. The zero value decodes the first record
// of the copybook from CP037 with every table at its maximum size.
type Config struct {
	// Record is the level-01 (or 77) record to decode; empty means the
	// first one.
	Record string
	// Encoding of DISPLAY data; the zero value is CP037.
	Encoding Encoding
	Trim     Trim
	Binary   BinaryMode
	Invalid  InvalidPolicy
	Float    FloatFormat
	// PaddedNumbers accepts spaces and NULs before and after the digits
	// of a DISPLAY number, as text-oriented writers leave them ("33 "
	// in PIC 9(3) reads 33). By default only an all-blank item is
	// accepted (as null); other blanks are invalid.
	PaddedNumbers bool
	// VariableOccurs makes an OCCURS DEPENDING ON table take only the
	// bytes of its actual elements, so that the items after it move, as
	// COBOL lays the record out in storage. When false, every table
	// takes its maximum size (as most unload tools write records, and
	// as Cobrix reads them by default).
	VariableOccurs bool
	// SegmentField names the item holding a multi-segment record's
	// segment id (Cobrix's segment_field). It must be at a fixed
	// position: before any OCCURS DEPENDING ON table.
	SegmentField string
	// Segments maps a segment id to the REDEFINES alternative (a group
	// or elementary item that redefines, or is redefined) that holds
	// the segment's data (Cobrix's redefine_segment_id_map). An
	// alternative named here is decoded only in records of its
	// segment ids; the others are decoded in every record. Ids are
	// compared with the segment field's decoded value, trimmed (a
	// number as its exact decimal text). Names match case insensitively
	// and with '_' for '-'.
	Segments map[string]string
}

// A Decoder decodes records laid out by one record of a copybook. It is
// immutable and safe for concurrent use.
type Decoder struct {
	cfg      Config
	cp       *codePage
	root     *node
	record   *Item
	counters int
	seg      *node
	segOff   int
	pool     sync.Pool
}

type nodeKind uint8

const (
	kGroup nodeKind = iota
	kText
	kZoned
	kEdited
	kBinary
	kPacked
	kFloat
	kDouble
)

// A node is an item compiled for decoding.
type node struct {
	item      *Item
	kind      nodeKind
	name      string
	key       []byte // `"NAME":`, ready for JSON output
	children  []*node
	rel       int // offset from the start of the parent element
	size      int // bytes of one element, at the maximum
	occurs    int
	occursMin int
	depends   int // counter slot of the OCCURS DEPENDING ON object, or -1
	counter   int // counter slot this item's value goes to, or -1
	redefines bool
	hidden    bool     // FILLER: never output
	needed    bool     // hidden or skipped, but holds a counter or changes sizes
	segIDs    []string // non-nil: output only in records of these segment ids

	signed, signLead, signSep bool
	truncate                  bool
	digits, scale             int
	pic                       *Picture
}

// span is the bytes the node takes at its maximum.
func (n *node) span() int {
	if n.occurs > 0 {
		return n.size * n.occurs
	}
	return n.size
}

// NewDecoder compiles record cfg.Record of cb for decoding. It fails if
// the record, the segment field or a segment alternative is not found.
func NewDecoder(cb *Copybook, cfg Config) (*Decoder, error) {
	if cb == nil || len(cb.Records) == 0 {
		return nil, fmt.Errorf("copybook: no records")
	}
	if int(cfg.Encoding) >= len(codePages) {
		return nil, fmt.Errorf("copybook: unknown encoding %d", cfg.Encoding)
	}
	if cfg.Trim > TrimNone || cfg.Binary > BinaryFull || cfg.Invalid > InvalidNull || cfg.Float > FloatIEEE {
		return nil, fmt.Errorf("copybook: invalid Config: unknown Trim, Binary, Invalid or Float value")
	}
	rec := cb.Records[0]
	if cfg.Record != "" {
		rec = nil
		for _, r := range cb.Records {
			if nameMatch(r.Name, cfg.Record) {
				rec = r
				break
			}
		}
		if rec == nil {
			return nil, fmt.Errorf("copybook: no record %q", cfg.Record)
		}
	}
	d := &Decoder{cfg: cfg, cp: codePages[cfg.Encoding], record: rec}
	slots := map[*Item]int{}
	rec.walk(func(it *Item) {
		if it.counter {
			slots[it] = len(slots)
		}
	})
	d.counters = len(slots)
	d.root = d.compile(rec, nil, slots)
	if cfg.SegmentField != "" {
		it := findName(rec, cfg.SegmentField, func(it *Item) bool { return !it.IsGroup() })
		if it == nil {
			return nil, fmt.Errorf("copybook: segment field %q is not an elementary item of record %s", cfg.SegmentField, rec.Name)
		}
		for a := it; a != nil; a = a.Parent {
			if a.Occurs > 0 {
				return nil, fmt.Errorf("copybook: segment field %q is in a table", cfg.SegmentField)
			}
		}
		if cfg.VariableOccurs {
			var odo bool
			rec.walk(func(x *Item) {
				if x.DependingOn != nil && x.Offset < it.Offset {
					odo = true
				}
			})
			if odo {
				return nil, fmt.Errorf("copybook: segment field %q: %w", cfg.SegmentField, ErrSegmentPos)
			}
		}
		d.seg = d.find(d.root, it)
		d.segOff = it.Offset
	}
	for id, name := range cfg.Segments {
		it := findName(rec, name, func(it *Item) bool { return it.Redefines != nil || isRedefined(it) })
		if it == nil {
			return nil, fmt.Errorf("copybook: segment alternative %q is not an item of record %s that redefines or is redefined", name, rec.Name)
		}
		n := d.find(d.root, it)
		n.segIDs = append(n.segIDs, strings.TrimSpace(id))
	}
	d.pool.New = func() any {
		return &state{d: d, counters: make([]int, d.counters)}
	}
	return d, nil
}

// nameMatch reports whether an item name matches a configured name: case
// insensitive, and with '_' for '-' (as Cobrix and Spark spell names)
// unless the item's name has '_' itself.
func nameMatch(item, name string) bool {
	name = strings.ToUpper(strings.TrimSpace(name))
	return item == name || item == strings.ReplaceAll(name, "_", "-")
}

// findName finds the first item in source order called name for which
// ok holds, or nil.
func findName(rec *Item, name string, ok func(*Item) bool) *Item {
	var found *Item
	rec.walk(func(it *Item) {
		if found == nil && nameMatch(it.Name, name) && ok(it) {
			found = it
		}
	})
	return found
}

func isRedefined(it *Item) bool {
	if it.Parent == nil {
		return false
	}
	for _, s := range it.Parent.Children {
		if s.Redefines == it {
			return true
		}
	}
	return false
}

func (it *Item) walk(fn func(*Item)) {
	fn(it)
	for _, c := range it.Children {
		c.walk(fn)
	}
}

func (d *Decoder) find(n *node, it *Item) *node {
	if n.item == it {
		return n
	}
	for _, c := range n.children {
		if f := d.find(c, it); f != nil {
			return f
		}
	}
	return nil
}

func (d *Decoder) compile(it *Item, parent *Item, slots map[*Item]int) *node {
	n := &node{
		item:      it,
		name:      it.Name,
		size:      it.Size,
		occurs:    it.Occurs,
		occursMin: it.OccursMin,
		depends:   -1,
		counter:   -1,
		redefines: it.Redefines != nil,
		hidden:    it.IsFiller(),
		pic:       it.Picture,
	}
	n.key = append(appendString(nil, it.Name), ':')
	if parent != nil {
		n.rel = it.Offset - parent.Offset
	}
	if it.DependingOn != nil {
		n.depends = slots[it.DependingOn]
	}
	if s, ok := slots[it]; ok {
		n.counter = s
		n.needed = true
	}
	if len(it.Children) > 0 {
		n.kind = kGroup
		for _, c := range it.Children {
			cn := d.compile(c, it, slots)
			n.children = append(n.children, cn)
			if cn.needed {
				n.needed = true
			}
		}
		if d.cfg.VariableOccurs && it.DependingOn != nil {
			n.needed = true
		}
		return n
	}
	if d.cfg.VariableOccurs && it.DependingOn != nil {
		n.needed = true
	}
	switch it.Usage {
	case Float:
		n.kind = kFloat
		return n
	case Double:
		n.kind = kDouble
		return n
	}
	p := it.Picture
	n.digits, n.scale, n.signed = p.Digits, p.Scale, p.Signed
	n.signLead, n.signSep = it.Sign.Leading, it.Sign.Separate
	if it.Sign.Written {
		n.signed = true
	}
	switch it.Usage {
	case Binary:
		n.kind = kBinary
		n.truncate = d.cfg.Binary == BinaryTruncate
	case NativeBinary:
		n.kind = kBinary
	case PackedDecimal:
		n.kind = kPacked
	default:
		switch p.Category {
		case Numeric:
			n.kind = kZoned
		case NumericEdited:
			n.kind = kEdited
		default:
			n.kind = kText
		}
	}
	return n
}

// Size returns the size in bytes of the record with every table at its
// maximum: the record length of fixed-length files.
func (d *Decoder) Size() int { return d.root.span() }

// Record returns the copybook record the decoder decodes.
func (d *Decoder) Record() *Item { return d.record }

// Length returns the length of the record at the start of data: its
// Size, or with [Config.VariableOccurs] the length its OCCURS DEPENDING
// ON counts give. It reads no further than the counters.
func (d *Decoder) Length(data []byte) (int, error) {
	if !d.cfg.VariableOccurs {
		return d.Size(), nil
	}
	st := d.get(data, nil)
	defer d.put(st)
	end, err := st.field(d.root, 0, false)
	if err != nil {
		return 0, err
	}
	return end, nil
}

// Segment returns the segment id of a record: the trimmed text, or the
// exact decimal, of [Config.SegmentField]; "" if there is none.
func (d *Decoder) Segment(rec []byte) (string, error) {
	if d.seg == nil {
		return "", nil
	}
	st := d.get(rec, nil)
	defer d.put(st)
	if err := st.segment(); err != nil {
		return "", err
	}
	return string(st.segID), nil
}

// AppendJSON appends the record's JSON object to dst: the record's items
// as members in copybook order, without the level-01 name and without
// FILLER; tables as arrays of their actual elements; text as strings;
// numbers as JSON numbers written from their exact decimal value; items
// beyond the end of a short record as null. Errors are [*DecodeError]s
// with Record 0; dst is returned unchanged with an error.
func (d *Decoder) AppendJSON(dst, rec []byte) ([]byte, error) {
	st := d.get(rec, nil)
	defer d.put(st)
	st.js.buf = dst
	st.out = &st.js
	err := st.run()
	out := st.js.buf
	st.js.buf = nil
	if err != nil {
		return dst, err
	}
	return out, nil
}

// Decode decodes a record into a [Value] of [KindGroup], with the same
// content as [Decoder.AppendJSON].
func (d *Decoder) Decode(rec []byte) (Value, error) {
	t := &treeSink{}
	st := d.get(rec, t)
	defer d.put(st)
	if err := st.run(); err != nil {
		return Value{}, err
	}
	return t.stack[0], nil
}

func (d *Decoder) get(rec []byte, out sink) *state {
	st := d.pool.Get().(*state)
	st.rec, st.out = rec, out
	st.subs = st.subs[:0]
	st.segID, st.hasSeg = st.segID[:0], false
	clear(st.counters)
	return st
}

func (d *Decoder) put(st *state) {
	st.rec, st.out = nil, nil
	d.pool.Put(st)
}

// state is the scratch space of one decoding call.
type state struct {
	d        *Decoder
	rec      []byte
	out      sink
	js       jsonSink // the sink of AppendJSON, kept here to spare an allocation
	counters []int
	subs     []int // 1-based subscripts of the enclosing table elements
	segID    []byte
	hasSeg   bool
	txt      []byte
	dig      [128]byte
	num      [160]byte
}

func (st *state) run() error {
	if err := st.segment(); err != nil {
		return err
	}
	root := st.d.root
	st.out.beginObject(root, false)
	if root.kind == kGroup && root.occurs == 0 {
		if _, err := st.children(root, 0, true); err != nil {
			return err
		}
	} else if _, err := st.field(root, 0, true); err != nil {
		return err
	}
	st.out.endObject()
	return nil
}

func (st *state) segment() error {
	n := st.d.seg
	if n == nil {
		return nil
	}
	b := st.slice(st.d.segOff, n.size)
	var kind Kind
	var text []byte
	err := ErrShort
	if len(b) == n.size {
		kind, text, err = st.scalarText(n, b)
	}
	if err != nil {
		if st.d.cfg.Invalid == InvalidNull {
			return nil // no segment id: no mapped alternative is output
		}
		return st.fail(n, st.d.segOff, err)
	}
	if kind == KindString {
		text = trimPad(text)
	}
	st.segID, st.hasSeg = append(st.segID[:0], text...), true
	return nil
}

func trimPad(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && (b[i] == ' ' || b[i] == 0) {
		i++
	}
	for j > i && (b[j-1] == ' ' || b[j-1] == 0) {
		j--
	}
	return b[i:j]
}

func (st *state) slice(off, n int) []byte {
	if off >= len(st.rec) {
		return nil
	}
	return st.rec[off:min(off+n, len(st.rec))]
}

func (st *state) selected(n *node) bool {
	if n.segIDs == nil {
		return true
	}
	if !st.hasSeg {
		return false
	}
	for _, id := range n.segIDs {
		if id == string(st.segID) {
			return true
		}
	}
	return false
}

// field decodes n, all its elements when it is a table, placed at start;
// it returns where n ends.
func (st *state) field(n *node, start int, emit bool) (int, error) {
	if n.occurs == 0 {
		return st.element(n, start, emit, false)
	}
	variable := st.d.cfg.VariableOccurs
	count := n.occurs
	if n.depends >= 0 {
		count = st.counters[n.depends]
		if count < n.occursMin || count > n.occurs {
			if st.d.cfg.Invalid == InvalidError {
				return 0, st.fail(n, start, ErrOccurs)
			}
			count = min(max(count, n.occursMin), n.occurs)
		}
	}
	if emit {
		st.out.beginArray(n)
	}
	pos := start
	st.subs = append(st.subs, 0)
	for i := 0; i < count; i++ {
		st.subs[len(st.subs)-1] = i + 1
		if !variable {
			pos = start + i*n.size
		}
		end, err := st.element(n, pos, emit, true)
		if err != nil {
			return 0, err
		}
		pos = end
	}
	st.subs = st.subs[:len(st.subs)-1]
	if emit {
		st.out.endArray()
	}
	if !variable {
		return start + n.span(), nil
	}
	return pos, nil
}

// element decodes one element of n at start.
func (st *state) element(n *node, start int, emit, elem bool) (int, error) {
	if n.kind != kGroup {
		end := start + n.size
		if !emit && n.counter < 0 {
			return end, nil
		}
		return end, st.scalar(n, start, emit, elem)
	}
	if emit {
		st.out.beginObject(n, elem)
	}
	end, err := st.children(n, start, emit)
	if err != nil {
		return 0, err
	}
	if emit {
		st.out.endObject()
	}
	return end, nil
}

// children decodes the items of group n whose element starts at start.
func (st *state) children(n *node, start int, emit bool) (int, error) {
	variable := st.d.cfg.VariableOccurs
	cur, end, base := start, start, start
	for _, c := range n.children {
		s := cur
		if c.redefines {
			s = base
		} else {
			base = cur
		}
		if !variable {
			s = start + c.rel
		}
		show := emit && !c.hidden && st.selected(c)
		var e int
		if show || c.needed {
			var err error
			if e, err = st.field(c, s, show); err != nil {
				return 0, err
			}
		} else {
			e = s + c.span()
		}
		end = max(end, e)
		cur = end
	}
	if !variable {
		return start + n.size, nil
	}
	return end, nil
}

// scalar decodes elementary item n at off, stores a counter, and
// outputs the value when emit is set.
func (st *state) scalar(n *node, off int, emit, elem bool) error {
	b := st.slice(off, n.size)
	if b == nil {
		// The record ends before the item: variable-length records
		// omit trailing items.
		if n.counter >= 0 {
			st.counters[n.counter] = 0
		}
		if emit {
			st.out.value(n, elem, KindNull, nil)
		}
		return nil
	}
	var kind Kind
	var text []byte
	var err error
	if len(b) < n.size && n.kind != kText {
		err = ErrShort
	} else {
		kind, text, err = st.scalarText(n, b)
	}
	if err != nil {
		if st.d.cfg.Invalid == InvalidError {
			return st.fail(n, off, err)
		}
		kind, text = KindNull, nil
	}
	if n.counter >= 0 {
		v := -1
		if kind == KindNumber {
			v = counterValue(text)
		} else if kind == KindNull {
			v = 0
		}
		st.counters[n.counter] = v
	}
	if emit {
		st.out.value(n, elem, kind, text)
	}
	return nil
}

// counterValue converts a decimal integer to an int, or -1 when it is
// negative or too large to count table elements.
func counterValue(text []byte) int {
	v := 0
	for _, c := range text {
		if c < '0' || c > '9' || v > maxRecordSize {
			return -1
		}
		v = v*10 + int(c-'0')
	}
	return v
}

// scalarText decodes the bytes b of elementary item n into text: a
// string, an exact decimal, a float's shortest decimal, or null.
func (st *state) scalarText(n *node, b []byte) (Kind, []byte, error) {
	switch n.kind {
	case kText:
		return KindString, st.text(b), nil
	case kFloat, kDouble:
		t, ok := appendFloat(st.num[:0], b, st.d.cfg.Float)
		if !ok {
			return 0, nil, ErrFloat
		}
		return KindFloat, t, nil
	}
	var neg, null bool
	var digits []byte
	var err error
	scale := n.scale
	switch n.kind {
	case kZoned:
		neg, digits, null, err = st.zoned(n, b)
	case kEdited:
		neg, digits, scale, null, err = st.edited(n, b)
	case kPacked:
		neg, digits, null, err = st.packed(b)
	case kBinary:
		neg, digits = st.binary(n, b)
	}
	if err != nil {
		return 0, nil, err
	}
	if null {
		return KindNull, nil, nil
	}
	return KindNumber, appendDecimal(st.num[:0], neg, digits, scale), nil
}

func (st *state) text(b []byte) []byte {
	cp := st.d.cp
	lo, hi := 0, len(b)
	if st.d.cfg.Trim != TrimNone {
		for hi > lo && cp.isPad(b[hi-1]) {
			hi--
		}
	}
	if st.d.cfg.Trim == TrimBoth {
		for lo < hi && cp.isPad(b[lo]) {
			lo++
		}
	}
	t := st.txt[:0]
	for _, c := range b[lo:hi] {
		if cp.n[c] == 1 { // most bytes: spare the copy call
			t = append(t, cp.utf8[c][0])
		} else {
			t = append(t, cp.utf8[c][:cp.n[c]]...)
		}
	}
	st.txt = t
	return t
}

func (st *state) fail(n *node, off int, err error) error {
	name := n.name
	if len(st.subs) > 0 {
		var b strings.Builder
		b.WriteString(name)
		b.WriteByte('(')
		for i, s := range st.subs {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(s))
		}
		b.WriteByte(')')
		name = b.String()
	}
	return &DecodeError{Offset: int64(off), Field: name, Err: err}
}
