package copybook

import "strings"

// A Copybook is a parsed COBOL copybook: the data description entries in
// source order, arranged as a tree under their level-01 (and level-77)
// records. It is immutable once [Parse] returns it and safe for concurrent
// use.
type Copybook struct {
	// Records are the level-01 and level-77 items, in source order.
	Records []*Item
	// Renames are the level-66 entries, in source order. They are
	// metadata: the decoder does not output them.
	Renames []*Item
}

// Record returns the level-01 or level-77 item called name (case
// insensitive), or nil.
func (c *Copybook) Record(name string) *Item {
	for _, r := range c.Records {
		if strings.EqualFold(r.Name, name) {
			return r
		}
	}
	return nil
}

// Walk calls fn for every item of every record, depth first in source
// order, and stops early when fn returns false.
func (c *Copybook) Walk(fn func(*Item) bool) {
	var walk func(*Item) bool
	walk = func(it *Item) bool {
		if !fn(it) {
			return false
		}
		for _, ch := range it.Children {
			if !walk(ch) {
				return false
			}
		}
		return true
	}
	for _, r := range c.Records {
		if !walk(r) {
			return
		}
	}
}

// An Item is one data description entry: a group (it has Children) or an
// elementary item (it has a Picture, or is COMP-1/COMP-2). Level-88
// condition names are not items; they are kept in Conditions of the item
// they follow. Level-66 RENAMES entries are items with Level 66 and
// RenamesFrom/RenamesThru set.
type Item struct {
	Level    int
	Name     string // as written, upper-cased; "FILLER" for FILLER and unnamed items
	Line     int    // source position of the level number
	Col      int
	Parent   *Item
	Children []*Item

	Picture *Picture // nil for groups and COMP-1/COMP-2
	Usage   Usage    // inherited from the enclosing groups when not written
	Sign    SignClause

	// OCCURS: Occurs > 0 makes the item a table of Occurs (the maximum)
	// elements; OccursMin is the lower bound of OCCURS m TO n.
	Occurs      int
	OccursMin   int
	DependingOn *Item // the OCCURS DEPENDING ON object, or nil

	Redefines *Item // the item this one REDEFINES, or nil

	// Level 66 only.
	RenamesFrom, RenamesThru *Item

	Sync       bool        // SYNCHRONIZED: kept, but no slack bytes are inserted (see the package doc)
	Conditions []Condition // level-88 entries under this item

	// Layout, computed by Parse for the maximum size of every table:
	// Offset is the position in the record of the first byte (of the
	// first element, for a table); Size is the size of one element in
	// bytes; a table occupies Size*Occurs bytes.
	Offset int
	Size   int

	dependingName qualifiedName // resolved after parsing
	redefinesName string
	renames       [2]qualifiedName
	counter       bool // some OCCURS DEPENDING ON names this item
	seq           int  // position in the source, for order checks
}

// IsFiller reports whether the item is FILLER (or has no name).
func (it *Item) IsFiller() bool { return it.Name == "FILLER" }

// IsGroup reports whether the item is a group item.
func (it *Item) IsGroup() bool { return len(it.Children) > 0 }

// Path returns the names from the record down to the item, joined by
// dots, e.g. "RECORD.COMPANY.SHORT-NAME".
func (it *Item) Path() string {
	if it.Parent == nil {
		return it.Name
	}
	return it.Parent.Path() + "." + it.Name
}

// A Condition is a level-88 condition name with its values. Values are
// the literals as written (quotes removed); THRU ranges keep both ends.
type Condition struct {
	Name   string
	Line   int
	Values []ConditionValue
}

// A ConditionValue is one value, or range of values, of a [Condition].
type ConditionValue struct {
	From string
	Thru string // empty unless a THRU range
}

// Usage is the USAGE of an elementary item: how its value is stored.
type Usage uint8

// The usages.
const (
	Display       Usage = iota // character digits: zoned decimal, or text
	Binary                     // COMP, COMP-4, BINARY (and COMP-0): big-endian, truncated to the PICTURE digits by default
	NativeBinary               // COMP-5: big-endian, the full range of the storage
	PackedDecimal              // COMP-3, PACKED-DECIMAL
	Float                      // COMP-1: IBM hexadecimal floating point, 4 bytes
	Double                     // COMP-2: IBM hexadecimal floating point, 8 bytes
)

var usageNames = [...]string{"DISPLAY", "BINARY", "COMP-5", "PACKED-DECIMAL", "COMP-1", "COMP-2"}

// String returns the usage as COBOL spells it.
func (u Usage) String() string {
	if int(u) < len(usageNames) {
		return usageNames[u]
	}
	return "USAGE(?)"
}

// A SignClause is the SIGN clause of a signed DISPLAY numeric item.
type SignClause struct {
	Leading  bool // SIGN LEADING; the default is TRAILING
	Separate bool // SIGN ... SEPARATE [CHARACTER]: the sign takes its own byte, '+' or '-'
	Written  bool // a SIGN clause was written (or inherited)
}

// Category is the category of a PICTURE.
type Category uint8

// The categories.
const (
	Alphanumeric  Category = iota // X, or a mix of X, A and 9
	Alphabetic                    // A only
	Numeric                       // 9 with S, V and P
	NumericEdited                 // 9 and Z with + - and an explicit decimal point '.'
)

var categoryNames = [...]string{"alphanumeric", "alphabetic", "numeric", "numeric-edited"}

// String returns the category's name.
func (c Category) String() string {
	if int(c) < len(categoryNames) {
		return categoryNames[c]
	}
	return "category(?)"
}

// A Picture is a parsed PICTURE character string.
type Picture struct {
	Text     string // as written, upper-cased
	Category Category
	// Len is the number of character positions: the size in bytes of a
	// DISPLAY item, not counting a separate sign.
	Len int
	// Digits is the number of digit positions (9, and Z when edited);
	// P positions are not digits.
	Digits int
	// Scale is the number of decimal places of the value: digits after V
	// or '.', plus P positions left of the digits. Negative when P
	// positions follow the digits: PIC 9(3)PP has Scale -2.
	Scale  int
	Signed bool // S, or an editing sign + or -
	// Edited pictures only: where the sign and the decimal point are.
	EditSign  byte // '+' or '-', or 0
	EditLead  bool // the editing sign is leading (else trailing)
	EditPoint bool // an explicit '.' decimal point
}
