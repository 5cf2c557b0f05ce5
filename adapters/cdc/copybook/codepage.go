package copybook

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Encoding is the character encoding of DISPLAY data (text and zoned
// decimal digits). Binary, packed and floating-point items do not depend
// on it.
type Encoding uint8

// The encodings. The zero value is CP037.
const (
	CP037  Encoding = iota // EBCDIC US/Canada (IBM-037)
	CP1047                 // EBCDIC Latin-1/Open Systems (IBM-1047), z/OS Unix default
	CP1140                 // IBM-037 with the euro sign at 0x9F
	ASCII                  // 7-bit ASCII; bytes 0x80-0xFF decode as U+FFFD
)

var encodingNames = [...]string{"cp037", "cp1047", "cp1140", "ascii"}

// String returns the encoding's name as [ParseEncoding] accepts it.
func (e Encoding) String() string {
	if int(e) < len(encodingNames) {
		return encodingNames[e]
	}
	return fmt.Sprintf("Encoding(%d)", e)
}

// ParseEncoding parses an encoding name: cp037 (also 037, ibm037,
// ibm-037, ebcdic), cp1047, cp1140 and ascii; case insensitive.
func ParseEncoding(s string) (Encoding, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(t, "ibm-"), "ibm"), "cp")
	switch t {
	case "037", "37", "ebcdic":
		return CP037, nil
	case "1047":
		return CP1047, nil
	case "1140":
		return CP1140, nil
	case "ascii", "us-ascii":
		return ASCII, nil
	}
	return 0, fmt.Errorf("copybook: unknown encoding %q (want cp037, cp1047, cp1140 or ascii)", s)
}

// A codePage maps the bytes of one encoding to UTF-8 and knows the
// bytes that DISPLAY numbers are written with.
type codePage struct {
	ebcdic      bool
	utf8        [256][4]byte
	n           [256]uint8
	space       byte
	plus, minus byte
	point       byte
}

// codePages are built once from golang.org/x/text's charmap tables
// (immutable afterwards); the tests check them against known bytes.
var codePages = [...]*codePage{
	CP037:  ebcdicPage(charmap.CodePage037),
	CP1047: ebcdicPage(charmap.CodePage1047),
	CP1140: ebcdicPage(charmap.CodePage1140),
	ASCII:  asciiPage(),
}

func ebcdicPage(m *charmap.Charmap) *codePage {
	cp := &codePage{ebcdic: true, space: 0x40, plus: 0x4E, minus: 0x60, point: 0x4B}
	for b := 0; b < 256; b++ {
		cp.set(byte(b), m.DecodeByte(byte(b)))
	}
	return cp
}

func asciiPage() *codePage {
	cp := &codePage{space: ' ', plus: '+', minus: '-', point: '.'}
	for b := 0; b < 256; b++ {
		r := rune(b)
		if b >= 0x80 {
			r = utf8.RuneError
		}
		cp.set(byte(b), r)
	}
	return cp
}

func (cp *codePage) set(b byte, r rune) {
	cp.n[b] = uint8(utf8.EncodeRune(cp.utf8[b][:], r))
}

// isPad reports whether b is padding: a space or a NUL (low-values).
func (cp *codePage) isPad(b byte) bool { return b == cp.space || b == 0 }
