package hl7v2

import (
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// A charset is an MSH-18 character set that [Parse] can read. Only
// character sets in which every byte below 0x80 is ASCII and no multi-byte
// sequence contains such a byte are supported, because delimiters are
// found before text is decoded.
type charset struct {
	utf8   bool             // the UTF-8 family: ASCII and UTF-8
	strict bool             // UTF-8 declared: invalid bytes are errors
	cm     *charmap.Charmap // a single-byte set, when !utf8
}

var (
	csASCII = &charset{utf8: true}
	csUTF8  = &charset{utf8: true, strict: true}
)

// charsets maps MSH-18 names (HL7 table 0211) to character sets.
var charsets = map[string]*charset{
	"":              csASCII,
	"ASCII":         csASCII,
	"ISO IR6":       csASCII,
	"UNICODE UTF-8": csUTF8,
	"UNICODE":       csUTF8, // ISO 10646 without a form: only UTF-8 is byte-compatible
	"UTF-8":         csUTF8, // not in table 0211, but sent
	"8859/1":        {cm: charmap.ISO8859_1},
	"8859/2":        {cm: charmap.ISO8859_2},
	"8859/3":        {cm: charmap.ISO8859_3},
	"8859/4":        {cm: charmap.ISO8859_4},
	"8859/5":        {cm: charmap.ISO8859_5},
	"8859/6":        {cm: charmap.ISO8859_6},
	"8859/7":        {cm: charmap.ISO8859_7},
	"8859/8":        {cm: charmap.ISO8859_8},
	"8859/9":        {cm: charmap.ISO8859_9},
	"8859/15":       {cm: charmap.ISO8859_15},
}

// lookupCharset returns the character set named by an MSH-18 value.
func lookupCharset(name string) (*charset, bool) {
	cs, ok := charsets[strings.ToUpper(strings.TrimSpace(name))]
	return cs, ok
}

// decodeByte returns the rune of a byte >= 0x80 in a single-byte set, or
// false if the set leaves it undefined. ISO 8859 reserves 0x80-0x9F for the
// C1 controls, which x/text leaves undefined.
func (cs *charset) decodeByte(b byte) (rune, bool) {
	r := cs.cm.DecodeByte(b)
	if r == '\uFFFD' {
		if b >= 0x80 && b < 0xA0 {
			return rune(b), true
		}
		return 0, false
	}
	return r, true
}

// encodeRune returns the byte of r >= 0x80 in a single-byte set.
func (cs *charset) encodeRune(r rune) (byte, bool) {
	if b, ok := cs.cm.EncodeRune(r); ok {
		return b, true
	}
	if r >= 0x80 && r < 0xA0 {
		return byte(r), true
	}
	return 0, false
}

// guessByte reads a byte of undeclared 8-bit text as windows-1252, the
// usual culprit; its five undefined bytes become the C1 controls.
func guessByte(b byte) rune {
	r := charmap.Windows1252.DecodeByte(b)
	if r == '\uFFFD' {
		return rune(b)
	}
	return r
}
