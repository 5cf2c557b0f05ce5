package copybook

import (
	"fmt"
	"math"
	"strconv"
)

// maxRecordSize bounds the computed size of a record (with every table
// at its maximum), so that nested OCCURS cannot overflow an int; real
// records are at most 32 KiB (QSAM) or a few MiB (VSAM, Db2 unloads).
const maxRecordSize = 1 << 28

// Parse parses copybook source text in fixed or free reference format
// (detected, see [FormatAuto]) and computes its layout. Errors are
// [*ParseError]s.
func Parse(src []byte) (*Copybook, error) {
	return ParseFormat(src, FormatAuto)
}

// ParseFormat is [Parse] with the reference format given.
func ParseFormat(src []byte, f Format) (*Copybook, error) {
	toks, err := tokenize(src, f)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, cb: &Copybook{}}
	if err := p.entries(); err != nil {
		return nil, err
	}
	if len(p.cb.Records) == 0 {
		return nil, parseErr(1, 1, ErrEmpty)
	}
	for _, r := range p.cb.Records {
		if err := resolve(r); err != nil {
			return nil, err
		}
		inherit(r, Display, SignClause{})
		if err := check(r); err != nil {
			return nil, err
		}
		if _, err := layout(r, 0); err != nil {
			return nil, err
		}
	}
	for _, r := range p.cb.Renames {
		if err := resolveRenames(r); err != nil {
			return nil, err
		}
	}
	return p.cb, nil
}

type parser struct {
	toks  []token
	pos   int
	cb    *Copybook
	stack []*Item // open groups, outermost first
	last  *Item   // the last data item, owner of level-88 entries
	root  *Item   // implicit record for copybooks without a level 01
	seq   int
}

func (p *parser) peek() *token {
	if p.pos < len(p.toks) {
		return &p.toks[p.pos]
	}
	return nil
}

func (p *parser) next() *token {
	t := p.peek()
	if t != nil {
		p.pos++
	}
	return t
}

// endPos is where a missing token is reported: after the last one.
func (p *parser) endPos() (int, int) {
	if len(p.toks) == 0 {
		return 1, 1
	}
	t := p.toks[len(p.toks)-1]
	return t.line, t.col + len(t.text)
}

func (p *parser) errAt(t *token, err error, msg string) error {
	if t == nil {
		l, c := p.endPos()
		return parseErrf(l, c, err, msg)
	}
	return parseErrf(t.line, t.col, err, msg)
}

// word reads the next token, which must be a word.
func (p *parser) word(what string) (*token, error) {
	t := p.next()
	if t == nil || t.kind != tokWord {
		return nil, p.errAt(t, ErrSyntax, "expected "+what)
	}
	return t, nil
}

// optional skips the next token when it is one of words.
func (p *parser) optional(words ...string) bool {
	t := p.peek()
	if t == nil || t.kind != tokWord {
		return false
	}
	for _, w := range words {
		if t.text == w {
			p.pos++
			return true
		}
	}
	return false
}

func (p *parser) entries() error {
	for p.peek() != nil {
		t := p.next()
		if t.kind == tokPeriod {
			continue // a stray period
		}
		if t.kind != tokWord {
			return p.errAt(t, ErrSyntax, "expected a level number")
		}
		switch t.text {
		case "EJECT", "SKIP1", "SKIP2", "SKIP3":
			continue
		case "COPY", "REPLACE", "BASIS", "INSERT", "DELETE":
			return p.errAt(t, ErrUnsupported, "compiler-directing statement; expand the copybook first")
		}
		level, ok := levelNumber(t.text)
		if !ok {
			return p.errAt(t, ErrLevel, "expected a level number")
		}
		var err error
		switch {
		case level == 88:
			err = p.condition(t)
		case level == 66:
			err = p.renames(t)
		case level == 77 || level >= 1 && level <= 49:
			err = p.item(t, level)
		default:
			err = p.errAt(t, ErrLevel, "level numbers are 01-49, 66, 77 and 88")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func levelNumber(s string) (int, bool) {
	if len(s) == 0 || len(s) > 2 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// clauseWords start a clause; a data name cannot be one of them.
var clauseWords = map[string]bool{
	"REDEFINES": true, "PIC": true, "PICTURE": true, "USAGE": true, "SIGN": true,
	"LEADING": true, "TRAILING": true, "OCCURS": true, "SYNC": true, "SYNCHRONIZED": true,
	"JUST": true, "JUSTIFIED": true, "BLANK": true, "VALUE": true, "VALUES": true,
	"EXTERNAL": true, "GLOBAL": true, "RENAMES": true, "IS": true, "ARE": true,
	"GROUP-USAGE": true, "ASCENDING": true, "DESCENDING": true, "INDEXED": true,
	"DEPENDING": true, "TIMES": true, "KEY": true, "TO": true, "BY": true,
	"DISPLAY": true, "COMP": true, "COMPUTATIONAL": true, "BINARY": true, "PACKED-DECIMAL": true,
	"COMP-0": true, "COMP-1": true, "COMP-2": true, "COMP-3": true, "COMP-4": true, "COMP-5": true,
	"COMPUTATIONAL-0": true, "COMPUTATIONAL-1": true, "COMPUTATIONAL-2": true, "COMPUTATIONAL-3": true,
	"COMPUTATIONAL-4": true, "COMPUTATIONAL-5": true, "INDEX": true, "POINTER": true, "NATIONAL": true,
	"DISPLAY-1": true, "FUNCTION-POINTER": true, "PROCEDURE-POINTER": true, "COMP-6": true,
	"COMPUTATIONAL-6": true, "COMP-9": true, "OBJECT": true, "FLOAT-SHORT": true, "FLOAT-LONG": true,
}

var usageWords = map[string]Usage{
	"DISPLAY": Display,
	"COMP":    Binary, "COMPUTATIONAL": Binary, "COMP-0": Binary, "COMPUTATIONAL-0": Binary,
	"COMP-4": Binary, "COMPUTATIONAL-4": Binary, "BINARY": Binary,
	"COMP-5": NativeBinary, "COMPUTATIONAL-5": NativeBinary,
	"COMP-3": PackedDecimal, "COMPUTATIONAL-3": PackedDecimal, "PACKED-DECIMAL": PackedDecimal,
	"COMP-1": Float, "COMPUTATIONAL-1": Float,
	"COMP-2": Double, "COMPUTATIONAL-2": Double,
}

func isName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c == '_':
			letter = true
		case c >= '0' && c <= '9':
		case c == '-' && i > 0 && i < len(s)-1:
		default:
			return false
		}
	}
	return letter
}

// item parses a level 01-49 or 77 entry and places it in the tree.
func (p *parser) item(lt *token, level int) error {
	it := &Item{Level: level, Line: lt.line, Col: lt.col, Name: "FILLER"}
	if t := p.peek(); t != nil && t.kind == tokWord && !clauseWords[t.text] {
		if !isName(t.text) {
			return p.errAt(t, ErrSyntax, "invalid data name")
		}
		it.Name = t.text
		p.pos++
	}
	for {
		t := p.next()
		if t == nil || t.kind == tokPeriod {
			break // a missing final period is tolerated
		}
		if t.kind != tokWord {
			return p.errAt(t, ErrSyntax, "unexpected literal")
		}
		if u, ok := usageWords[t.text]; ok {
			it.Usage = u
			continue
		}
		switch t.text {
		case "IS":
		case "REDEFINES":
			n, err := p.word("the name of the redefined item")
			if err != nil {
				return err
			}
			if it.redefinesName != "" {
				return p.errAt(t, ErrSyntax, "second REDEFINES clause")
			}
			it.redefinesName = n.text
		case "PIC", "PICTURE":
			p.optional("IS")
			s, err := p.word("a PICTURE string")
			if err != nil {
				return err
			}
			if it.Picture != nil {
				return p.errAt(t, ErrSyntax, "second PICTURE clause")
			}
			pic, err := parsePicture(s.text, s.line, s.col)
			if err != nil {
				return err
			}
			it.Picture = pic
		case "USAGE":
			p.optional("IS")
			u, err := p.word("a usage")
			if err != nil {
				return err
			}
			v, ok := usageWords[u.text]
			if !ok {
				return p.errAt(u, ErrUnsupported, "usage (supported: DISPLAY, COMP, COMP-1 to COMP-5, BINARY, PACKED-DECIMAL)")
			}
			it.Usage = v
		case "INDEX", "POINTER", "NATIONAL", "DISPLAY-1", "FUNCTION-POINTER", "PROCEDURE-POINTER",
			"COMP-6", "COMPUTATIONAL-6", "COMP-9", "OBJECT", "FLOAT-SHORT", "FLOAT-LONG", "GROUP-USAGE":
			return p.errAt(t, ErrUnsupported, "usage (supported: DISPLAY, COMP, COMP-1 to COMP-5, BINARY, PACKED-DECIMAL)")
		case "SIGN", "LEADING", "TRAILING":
			if t.text == "SIGN" {
				p.optional("IS")
				t = p.next()
				if t == nil || t.kind != tokWord || t.text != "LEADING" && t.text != "TRAILING" {
					return p.errAt(t, ErrSyntax, "expected LEADING or TRAILING")
				}
			}
			it.Sign = SignClause{Leading: t.text == "LEADING", Written: true}
			if p.optional("SEPARATE") {
				it.Sign.Separate = true
				p.optional("CHARACTER")
			}
		case "OCCURS":
			if err := p.occurs(it); err != nil {
				return err
			}
		case "SYNC", "SYNCHRONIZED":
			it.Sync = true
			p.optional("LEFT", "RIGHT")
		case "JUST", "JUSTIFIED":
			p.optional("RIGHT")
		case "BLANK":
			p.optional("WHEN")
			if !p.optional("ZERO", "ZEROS", "ZEROES") {
				return p.errAt(p.peek(), ErrSyntax, "expected ZERO")
			}
		case "VALUE", "VALUES":
			if err := p.skipValues(); err != nil {
				return err
			}
		case "EXTERNAL", "GLOBAL":
		default:
			return p.errAt(t, ErrSyntax, "unknown clause")
		}
	}
	return p.place(it)
}

func (p *parser) occurs(it *Item) error {
	if it.Occurs > 0 {
		return p.errAt(p.peek(), ErrSyntax, "second OCCURS clause")
	}
	n, err := p.integer()
	if err != nil {
		return err
	}
	it.Occurs, it.OccursMin = n, n
	if p.optional("TO") {
		m, err := p.integer()
		if err != nil {
			return err
		}
		if m < n {
			return p.errAt(&p.toks[p.pos-1], ErrSyntax, "OCCURS maximum below its minimum")
		}
		it.Occurs = m
	}
	if it.Occurs == 0 {
		return p.errAt(&p.toks[p.pos-1], ErrSyntax, "OCCURS maximum is zero")
	}
	p.optional("TIMES")
	if p.optional("DEPENDING") {
		p.optional("ON")
		q, err := p.qualified()
		if err != nil {
			return err
		}
		it.dependingName = q
		if it.OccursMin == it.Occurs {
			// OCCURS n DEPENDING ON (no TO): an IBM extension meaning 0 TO n.
			it.OccursMin = 0
		}
	}
	for {
		switch {
		case p.optional("ASCENDING", "DESCENDING"):
			p.optional("KEY")
			p.optional("IS")
			p.names()
		case p.optional("INDEXED"):
			p.optional("BY")
			p.names()
		default:
			return nil
		}
	}
}

// names skips data names up to the next clause or period.
func (p *parser) names() {
	for {
		t := p.peek()
		if t == nil || t.kind != tokWord || clauseWords[t.text] {
			return
		}
		p.pos++
	}
}

func (p *parser) integer() (int, error) {
	t, err := p.word("an integer")
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(t.text)
	if err != nil || n < 0 || n > maxRecordSize {
		return 0, p.errAt(t, ErrSyntax, "expected an integer")
	}
	return n, nil
}

// A qualifiedName is "NAME [OF|IN PARENT]...".
type qualifiedName struct {
	names     []string // the name, then its qualifiers outward
	line, col int
}

func (p *parser) qualified() (qualifiedName, error) {
	t, err := p.word("a data name")
	if err != nil {
		return qualifiedName{}, err
	}
	q := qualifiedName{names: []string{t.text}, line: t.line, col: t.col}
	for p.optional("OF", "IN") {
		t, err := p.word("a data name")
		if err != nil {
			return qualifiedName{}, err
		}
		q.names = append(q.names, t.text)
	}
	return q, nil
}

// skipValues skips a VALUE clause: literals, figurative constants,
// numbers, ALL and THRU ranges, up to the next clause or period.
func (p *parser) skipValues() error {
	p.optional("IS", "ARE")
	n := 0
	for {
		t := p.peek()
		if t == nil || t.kind == tokPeriod {
			break
		}
		if t.kind == tokWord && clauseWords[t.text] && t.text != "IS" {
			break
		}
		p.pos++
		n++
	}
	if n == 0 {
		return p.errAt(p.peek(), ErrSyntax, "VALUE without a value")
	}
	return nil
}

// place puts a new item under the nearest open item of a lower level.
func (p *parser) place(it *Item) error {
	p.last = it
	p.seq++
	it.seq = p.seq
	if it.Level == 1 || it.Level == 77 {
		p.stack = p.stack[:0]
		p.root = nil
		p.cb.Records = append(p.cb.Records, it)
		if it.Level == 1 {
			p.stack = append(p.stack, it)
		}
		return nil
	}
	for len(p.stack) > 0 && p.stack[len(p.stack)-1].Level >= it.Level {
		p.stack = p.stack[:len(p.stack)-1]
	}
	if len(p.stack) == 0 {
		// A copybook without a level-01 record (a fragment starting at,
		// say, level 05): its items go under an implicit record.
		if p.root == nil {
			p.root = &Item{Level: 1, Name: "RECORD", Line: it.Line, Col: it.Col}
			p.cb.Records = append(p.cb.Records, p.root)
		}
		p.stack = append(p.stack[:0], p.root)
	}
	parent := p.stack[len(p.stack)-1]
	if parent.Picture != nil {
		return parseErrf(it.Line, it.Col, ErrStructure, "item under an elementary item (it has a PICTURE)")
	}
	it.Parent = parent
	parent.Children = append(parent.Children, it)
	p.stack = append(p.stack, it)
	return nil
}

// condition parses a level-88 entry into the preceding item.
func (p *parser) condition(lt *token) error {
	n, err := p.word("a condition name")
	if err != nil {
		return err
	}
	if p.last == nil {
		return p.errAt(lt, ErrStructure, "level 88 without a data item")
	}
	c := Condition{Name: n.text, Line: lt.line}
	if !p.optional("VALUE", "VALUES") {
		return p.errAt(p.peek(), ErrSyntax, "expected VALUE")
	}
	p.optional("IS", "ARE")
	for {
		t := p.next()
		if t == nil || t.kind == tokPeriod {
			break
		}
		switch {
		case t.kind == tokWord && (t.text == "THRU" || t.text == "THROUGH"):
			v, err := p.conditionValue()
			if err != nil {
				return err
			}
			if len(c.Values) == 0 {
				return p.errAt(t, ErrSyntax, "THRU without a first value")
			}
			c.Values[len(c.Values)-1].Thru = v
		case t.kind == tokWord && t.text == "ALL":
		default:
			c.Values = append(c.Values, ConditionValue{From: t.text})
		}
	}
	if len(c.Values) == 0 {
		return p.errAt(lt, ErrSyntax, "condition without a value")
	}
	p.last.Conditions = append(p.last.Conditions, c)
	return nil
}

func (p *parser) conditionValue() (string, error) {
	t := p.next()
	if t == nil || t.kind == tokPeriod {
		return "", p.errAt(t, ErrSyntax, "expected a value")
	}
	return t.text, nil
}

// renames parses a level-66 entry.
func (p *parser) renames(lt *token) error {
	n, err := p.word("a data name")
	if err != nil {
		return err
	}
	if !p.optional("RENAMES") {
		return p.errAt(p.peek(), ErrSyntax, "expected RENAMES")
	}
	it := &Item{Level: 66, Name: n.text, Line: lt.line, Col: lt.col}
	if len(p.cb.Records) == 0 {
		return p.errAt(lt, ErrStructure, "level 66 without a record")
	}
	it.Parent = p.cb.Records[len(p.cb.Records)-1]
	if it.renames[0], err = p.qualified(); err != nil {
		return err
	}
	if p.optional("THRU", "THROUGH") {
		if it.renames[1], err = p.qualified(); err != nil {
			return err
		}
	}
	if t := p.next(); t != nil && t.kind != tokPeriod {
		return p.errAt(t, ErrSyntax, "expected a period")
	}
	p.cb.Renames = append(p.cb.Renames, it)
	return nil
}

// find resolves a qualified name within record r.
func find(r *Item, q qualifiedName) (*Item, error) {
	var found *Item
	n := 0
	var walk func(*Item)
	walk = func(it *Item) {
		if it.Name == q.names[0] && qualifies(it, q.names[1:]) {
			found = it
			n++
		}
		for _, c := range it.Children {
			walk(c)
		}
	}
	walk(r)
	switch n {
	case 0:
		return nil, parseErrf(q.line, q.col, ErrReference, "no such data name in the record")
	case 1:
		return found, nil
	default:
		return nil, parseErrf(q.line, q.col, ErrReference, "ambiguous data name; qualify it with OF")
	}
}

func qualifies(it *Item, quals []string) bool {
	a := it.Parent
	for _, q := range quals {
		for a != nil && a.Name != q {
			a = a.Parent
		}
		if a == nil {
			return false
		}
		a = a.Parent
	}
	return true
}

// resolve links REDEFINES and OCCURS DEPENDING ON names in record r.
func resolve(r *Item) error {
	var err error
	var walk func(*Item)
	walk = func(it *Item) {
		if err != nil {
			return
		}
		if it.redefinesName != "" {
			err = resolveRedefines(it)
		}
		if err == nil && it.dependingName.names != nil {
			var d *Item
			d, err = find(r, it.dependingName)
			if err == nil {
				switch {
				case d.Picture == nil || d.Picture.Category != Numeric || d.Picture.Scale != 0:
					err = parseErrf(it.dependingName.line, it.dependingName.col, ErrStructure, "OCCURS DEPENDING ON object must be an integer item")
				case within(d, it) || d.seq > it.seq:
					// The count must be known before the table is read.
					err = parseErrf(it.dependingName.line, it.dependingName.col, ErrStructure, "OCCURS DEPENDING ON object must come before the table")
				default:
					it.DependingOn = d
					d.counter = true
				}
			}
		}
		for _, c := range it.Children {
			walk(c)
		}
	}
	walk(r)
	return err
}

// within reports whether it is a or a descendant of a.
func within(it, a *Item) bool {
	for ; it != nil; it = it.Parent {
		if it == a {
			return true
		}
	}
	return false
}

func resolveRedefines(it *Item) error {
	if it.Parent == nil {
		return parseErrf(it.Line, it.Col, ErrStructure, "REDEFINES on a record; records redefine each other implicitly")
	}
	sib := it.Parent.Children
	i := 0
	for sib[i] != it {
		i++
	}
	for j := i - 1; j >= 0; j-- {
		s := sib[j]
		if s.Name == it.redefinesName {
			base := s
			if base.Redefines != nil {
				base = base.Redefines
			}
			// Everything between the base and this item must redefine
			// the base too: REDEFINES names the storage just before.
			for k := j + 1; k < i; k++ {
				if sib[k].Redefines != base {
					return parseErrf(it.Line, it.Col, ErrStructure, "REDEFINES must follow the redefined item or its other redefinitions")
				}
			}
			it.Redefines = base
			return nil
		}
	}
	return parseErrf(it.Line, it.Col, ErrReference, "REDEFINES names no preceding item at the same level")
}

func resolveRenames(it *Item) error {
	r := it.Parent
	from, err := find(r, it.renames[0])
	if err != nil {
		return err
	}
	it.RenamesFrom = from
	if it.renames[1].names != nil {
		thru, err := find(r, it.renames[1])
		if err != nil {
			return err
		}
		it.RenamesThru = thru
	}
	it.Parent = nil
	return nil
}

// inherit pushes group USAGE and SIGN clauses down to the elementary
// items that did not write their own.
func inherit(it *Item, u Usage, s SignClause) {
	if it.Usage == Display && u != Display {
		it.Usage = u
	}
	if !it.Sign.Written && s.Written && (it.Picture == nil || isNumeric(it.Picture)) {
		it.Sign = s // a group's SIGN clause is for its numeric items
	}
	for _, c := range it.Children {
		inherit(c, it.Usage, it.Sign)
	}
}

// check validates the clauses of the items of a record.
func check(it *Item) error {
	if len(it.Children) > 0 {
		if it.Picture != nil {
			return parseErrf(it.Line, it.Col, ErrStructure, "group item with a PICTURE")
		}
		if it.Level == 77 {
			return parseErrf(it.Line, it.Col, ErrStructure, "level 77 item with subordinate items")
		}
		for _, c := range it.Children {
			if err := check(c); err != nil {
				return err
			}
		}
		return nil
	}
	pic := it.Picture
	switch it.Usage {
	case Float, Double:
		if pic != nil {
			return parseErrf(it.Line, it.Col, ErrStructure, "COMP-1 and COMP-2 items take no PICTURE")
		}
		return nil
	}
	if pic == nil {
		return parseErrf(it.Line, it.Col, ErrStructure, "elementary item without a PICTURE")
	}
	if it.Usage != Display && pic.Category != Numeric {
		return parseErrf(it.Line, it.Col, ErrStructure, fmt.Sprintf("%s item needs a numeric PICTURE", it.Usage))
	}
	if it.Usage == Display && pic.Category != Numeric && pic.Category != NumericEdited && it.Sign.Written && it.Sign.Separate {
		return parseErrf(it.Line, it.Col, ErrStructure, "SIGN SEPARATE on a non-numeric item")
	}
	if pic.Category == NumericEdited && pic.EditSign != 0 && it.Sign.Written {
		return parseErrf(it.Line, it.Col, ErrStructure, "SIGN clause with an editing sign")
	}
	return nil
}

// binarySize is the storage of a BINARY/COMP-5 item of n digits: IBM's
// halfword, fullword and doubleword, and beyond 18 digits (which IBM
// does not allow) the bytes of a two's complement integer of n digits,
// as Cobrix computes it.
func binarySize(n int) int {
	switch {
	case n <= 4:
		return 2
	case n <= 9:
		return 4
	case n <= 18:
		return 8
	}
	return int(math.Ceil((math.Log2(10)*float64(n) + 1) / 8))
}

// elementSize is the size in bytes of one element of elementary item it.
func elementSize(it *Item) int {
	switch it.Usage {
	case Float:
		return 4
	case Double:
		return 8
	case Binary, NativeBinary:
		return binarySize(it.Picture.Digits)
	case PackedDecimal:
		return it.Picture.Digits/2 + 1
	}
	n := it.Picture.Len
	if it.Sign.Separate && isNumeric(it.Picture) {
		n++
	}
	return n
}

func isNumeric(p *Picture) bool {
	return p != nil && (p.Category == Numeric || p.Category == NumericEdited)
}

// layout sets Offset and Size of it and its descendants for it placed at
// off, and returns the bytes the item occupies (all table elements).
func layout(it *Item, off int) (int, error) {
	it.Offset = off
	if len(it.Children) == 0 {
		it.Size = elementSize(it)
	} else {
		cur, end := off, off
		for _, c := range it.Children {
			start := cur
			if c.Redefines != nil {
				start = c.Redefines.Offset
			}
			n, err := layout(c, start)
			if err != nil {
				return 0, err
			}
			// The next item follows everything so far, including a
			// redefinition longer than what it redefines.
			end = max(end, start+n)
			cur = end
		}
		it.Size = end - off
	}
	total := it.Size
	if it.Occurs > 0 {
		if it.Size > 0 && it.Occurs > maxRecordSize/it.Size {
			return 0, parseErrf(it.Line, it.Col, ErrStructure, "record too large")
		}
		total = it.Size * it.Occurs
	}
	if off+total > maxRecordSize {
		return 0, parseErrf(it.Line, it.Col, ErrStructure, "record too large")
	}
	return total, nil
}
