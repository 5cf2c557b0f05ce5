package hl7v2

import (
	"strings"
	"unicode/utf8"
)

// markupSeq reports whether seq, the text between two escape characters,
// is an escape sequence that text keeps as markup: highlighting (H, N),
// formatting (.br .sp .in .ti .sk .fi .nf .ce), a locally defined escape
// (Z...) or a character set switch (Cxxyy, Mxxyy, Mxxyyzz).
func markupSeq(seq string) bool {
	if seq == "" {
		return false
	}
	switch seq[0] {
	case 'H', 'N':
		return len(seq) == 1
	case 'Z':
		for i := 1; i < len(seq); i++ {
			if !alnum(seq[i]) {
				return false
			}
		}
		return true
	case 'C':
		return len(seq) == 5 && allHex(seq[1:])
	case 'M':
		return (len(seq) == 5 || len(seq) == 7) && allHex(seq[1:])
	case '.':
		if len(seq) < 3 {
			return false
		}
		arg := seq[3:]
		switch seq[1:3] {
		case "br", "fi", "nf", "ce":
			return arg == ""
		case "sp", "sk":
			return formatArg(arg, false)
		case "in", "ti":
			return formatArg(arg, true)
		}
	}
	return false
}

// formatArg reports whether arg is the optional number of a formatting
// command: an optional space, an optional sign, digits.
func formatArg(arg string, signed bool) bool {
	arg = strings.TrimPrefix(arg, " ")
	if arg != "" && (arg[0] == '+' || signed && arg[0] == '-') {
		arg = arg[1:]
		if arg == "" {
			return false
		}
	}
	for i := 0; i < len(arg); i++ {
		if arg[i] < '0' || arg[i] > '9' {
			return false
		}
	}
	return len(arg) <= 4
}

func alnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if unhex(s[i]) < 0 {
			return false
		}
	}
	return true
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

// hexSeq reports whether seq is \Xhh...\ with an even, non-zero number of
// hex digits.
func hexSeq(seq string) bool {
	return len(seq) >= 3 && seq[0] == 'X' && len(seq)%2 == 1 && allHex(seq[1:])
}

// delimiterEscape returns the character an escape sequence of one letter
// stands for.
func delimiterEscape(seq string, d Delimiters) (byte, bool) {
	if len(seq) != 1 {
		return 0, false
	}
	switch seq[0] {
	case 'F':
		return d.Field, true
	case 'S':
		return d.Component, true
	case 'T':
		return d.Subcomponent, true
	case 'R':
		return d.Repetition, true
	case 'E':
		return d.Escape, true
	case 'P':
		return d.Truncation, d.Truncation != 0
	}
	return 0, false
}

// markupAt returns the length of the markup sequence (backslash, content,
// backslash) at the start of t, or 0. Content holding a delimiter of d
// cannot be written as markup, so it is not markup for d.
func markupAt(t string, d Delimiters) int {
	j := strings.IndexByte(t[1:], '\\')
	if j < 0 {
		return 0
	}
	seq := t[1 : 1+j]
	if !markupSeq(seq) {
		return 0
	}
	for i := 0; i < len(seq); i++ {
		if isDelimiter(seq[i], d) {
			return 0
		}
	}
	return j + 2
}

func isDelimiter(c byte, d Delimiters) bool {
	return c == d.Field || c == d.Component || c == d.Repetition || c == d.Escape ||
		c == d.Subcomponent || (d.Truncation != 0 && c == d.Truncation)
}

const hexDigits = "0123456789ABCDEF"

// appendEscaped appends text t as raw value bytes for delimiters d and
// character set cs: delimiters as \F\ \S\ \T\ \R\ \E\ \P\; markup kept
// (with d's escape character); CR, LF and other C0 controls but TAB, and
// bytes that are not valid UTF-8, as \Xhh\; other characters in cs, or
// '?' where cs cannot represent them.
func appendEscaped(dst []byte, t string, d Delimiters, cs *charset) []byte {
	for i := 0; i < len(t); {
		c := t[i]
		if c == '\\' {
			if n := markupAt(t[i:], d); n > 0 {
				dst = append(dst, d.Escape)
				dst = append(dst, t[i+1:i+n-1]...)
				dst = append(dst, d.Escape)
				i += n
				continue
			}
		}
		if isDelimiter(c, d) {
			var e byte
			switch c {
			case d.Field:
				e = 'F'
			case d.Component:
				e = 'S'
			case d.Subcomponent:
				e = 'T'
			case d.Repetition:
				e = 'R'
			case d.Escape:
				e = 'E'
			default:
				e = 'P'
			}
			dst = append(dst, d.Escape, e, d.Escape)
			i++
			continue
		}
		if c < 0x80 {
			if c < ' ' && c != '\t' {
				dst = append(dst, d.Escape, 'X', hexDigits[c>>4], hexDigits[c&15], d.Escape)
			} else {
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(t[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			if cs.utf8 {
				dst = append(dst, d.Escape, 'X', hexDigits[c>>4], hexDigits[c&15], d.Escape)
			} else {
				dst = append(dst, '?')
			}
		case cs.utf8:
			dst = append(dst, t[i:i+size]...)
		default:
			if b, ok := cs.encodeRune(r); ok {
				dst = append(dst, b)
			} else {
				dst = append(dst, '?')
			}
		}
		i += size
	}
	return dst
}

// PlainText renders the markup that text values keep (see the package
// documentation): \.br\, \.ce\ and \.sp n\ become line breaks, \.sk n\
// spaces, and highlighting, indentation, fill mode, locally defined and
// character set escapes are dropped. Use it for formatted text (FT, TX)
// bound for a reader; other backslashes are left alone.
func PlainText(text string) string {
	if strings.IndexByte(text, '\\') < 0 {
		return text
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		if text[i] != '\\' {
			j := strings.IndexByte(text[i:], '\\')
			if j < 0 {
				j = len(text) - i
			}
			b.WriteString(text[i : i+j])
			i += j
			continue
		}
		j := strings.IndexByte(text[i+1:], '\\')
		if j < 0 || !markupSeq(text[i+1:i+1+j]) {
			b.WriteByte('\\')
			i++
			continue
		}
		seq := text[i+1 : i+1+j]
		i += j + 2
		if seq[0] != '.' {
			continue
		}
		n := formatCount(seq[3:])
		switch seq[1:3] {
		case "br", "ce":
			b.WriteByte('\n')
		case "sp":
			b.WriteString(strings.Repeat("\n", n))
		case "sk":
			b.WriteString(strings.Repeat(" ", n))
		}
	}
	return b.String()
}

// formatCount reads the number of a formatting command, 1 if absent.
func formatCount(arg string) int {
	arg = strings.TrimLeft(arg, " +")
	if arg == "" {
		return 1
	}
	n := 0
	for i := 0; i < len(arg); i++ {
		n = n*10 + int(arg[i]-'0')
	}
	return n
}
