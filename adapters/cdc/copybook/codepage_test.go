package copybook

import (
	"testing"
	"unicode/utf8"
)

// TestCodePages checks the tables built from golang.org/x/text against
// bytes every EBCDIC code page agrees on, and the differences that make
// them distinct.
func TestCodePages(t *testing.T) {
	t.Parallel()
	rune1 := func(cp *codePage, b byte) rune {
		r, _ := utf8.DecodeRune(cp.utf8[b][:cp.n[b]])
		return r
	}
	for _, e := range []Encoding{CP037, CP1047, CP1140} {
		cp := codePages[e]
		for i := byte(0); i < 10; i++ {
			if r := rune1(cp, 0xF0+i); r != rune('0'+i) {
				t.Errorf("%v: %#x is %q", e, 0xF0+i, r)
			}
		}
		for b, want := range map[byte]rune{0x40: ' ', 0xC1: 'A', 0xC9: 'I', 0xD1: 'J', 0xE2: 'S', 0xE9: 'Z', 0x81: 'a', 0xA9: 'z', 0x4B: '.', 0x60: '-', 0x4E: '+', 0x00: 0} {
			if r := rune1(cp, b); r != want {
				t.Errorf("%v: %#x is %q, want %q", e, b, r, want)
			}
		}
	}
	diff := 0
	for b := 0; b < 256; b++ {
		if rune1(codePages[CP037], byte(b)) != rune1(codePages[CP1140], byte(b)) {
			diff++
		}
	}
	if diff != 1 || rune1(codePages[CP1140], 0x9F) != '€' || rune1(codePages[CP037], 0x9F) != '¤' {
		t.Errorf("CP037 and CP1140 differ in %d bytes, want only 0x9F", diff)
	}
	if rune1(codePages[CP037], 0x5F) != '¬' || rune1(codePages[CP1047], 0x5F) != '^' || rune1(codePages[CP037], 0xBA) != '[' || rune1(codePages[CP1047], 0xAD) != '[' {
		t.Error("CP037/CP1047 differences not found")
	}
	if rune1(codePages[ASCII], 'a') != 'a' || rune1(codePages[ASCII], 0x80) != utf8.RuneError {
		t.Error("ASCII table")
	}
}
