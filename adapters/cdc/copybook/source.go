package copybook

import (
	"bytes"
	"strings"
)

// Format is the reference format of copybook source text.
type Format uint8

// The source formats.
const (
	// FormatAuto picks FormatFree when some line has text in columns 1-6
	// that cannot be a sequence number area followed by an indicator,
	// and FormatFixed otherwise.
	FormatAuto Format = iota
	// FormatFixed is the fixed reference format: columns 1-6 are the
	// sequence number area, column 7 the indicator ('*' and '/' comment
	// lines, '-' continuation, 'D' debugging lines, ignored), columns
	// 8-72 the program text; columns 73-80 are ignored. A line whose
	// column 7 holds anything else is read from column 7, which
	// tolerates copybooks written one column to the left; a line that
	// starts with '*' in column 1 is a comment too.
	FormatFixed
	// FormatFree is free format: text anywhere on the line, "*>" starts
	// a comment, and a line whose first non-blank character is '*' is a
	// comment.
	FormatFree
)

type tokKind uint8

const (
	tokWord    tokKind = iota // a COBOL word, number or PICTURE string, upper-cased
	tokLiteral                // a quoted literal, quotes removed (prefix such as X kept in prefix)
	tokPeriod                 // the separator period that ends an entry
)

type token struct {
	kind      tokKind
	text      string
	line, col int
}

// lexer turns source text into tokens. It holds no state between calls
// of tokenize beyond what one copybook needs.
type lexer struct {
	toks []token
	// The index in toks of a literal that continues on the next line
	// (fixed format), or -1.
	open      int
	openQuote byte
}

// tokenize splits src into tokens, following the reference format f.
func tokenize(src []byte, f Format) ([]token, error) {
	lines := splitLines(src)
	if f == FormatAuto {
		f = detectFormat(lines)
	}
	lx := &lexer{open: -1}
	for i, ln := range lines {
		lineNo := i + 1
		var area string
		startCol := 1
		continuation := false
		if f == FormatFixed {
			if len(ln) < 7 {
				// Only a sequence number area: a blank line.
				if lx.open >= 0 {
					return nil, lx.unterminated()
				}
				continue
			}
			if ln[0] == '*' {
				// A comment written from column 1, as many copybooks
				// have them; a sequence number area does not start so.
				continue
			}
			ind := ln[6]
			end := min(len(ln), 72)
			switch {
			case ind == '*' || ind == '/':
				continue
			case (ind == 'D' || ind == 'd') && (len(ln) == 7 || ln[7] == ' '):
				continue
			case ind == '-':
				continuation = true
				area, startCol = ln[7:end], 8
			case ind == ' ' || ind == '\t':
				area, startCol = ln[7:end], 8
			default:
				area, startCol = ln[6:end], 7
			}
		} else {
			t := strings.TrimLeft(ln, " \t")
			if strings.HasPrefix(t, "*") {
				continue
			}
			area = ln
		}
		if err := lx.line(area, lineNo, startCol, continuation); err != nil {
			return nil, err
		}
	}
	if lx.open >= 0 {
		return nil, lx.unterminated()
	}
	return lx.toks, nil
}

// splitLines splits on LF, dropping CR, a UTF-8 byte-order mark and a
// DOS end-of-file mark (^Z) at the end.
func splitLines(src []byte) []string {
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	src = bytes.TrimRight(src, "\x1a\r\n \t")
	s := strings.Split(string(src), "\n")
	for i, l := range s {
		s[i] = strings.TrimSuffix(l, "\r")
	}
	return s
}

// detectFormat guesses the reference format: free when some line has
// text in columns 1-6 followed by something that cannot be an indicator.
func detectFormat(lines []string) Format {
	for _, ln := range lines {
		if strings.Contains(ln, "*>") {
			return FormatFree
		}
		t := strings.TrimLeft(ln, " \t")
		if t == "" || t[0] == '*' {
			continue
		}
		lead := len(ln) - len(t)
		if lead >= 6 {
			continue
		}
		// Text starts inside columns 1-6: fixed format only if it is a
		// sequence number area followed by a blank or an indicator.
		if len(ln) < 7 {
			return FormatFree
		}
		switch ln[6] {
		case ' ', '\t', '*', '/', '-', 'D', 'd':
			if isSeqArea(ln[:6]) {
				continue
			}
		}
		return FormatFree
	}
	return FormatFixed
}

// isSeqArea reports whether s looks like a sequence number area: digits,
// letters and blanks without a level-number-then-name shape.
func isSeqArea(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' || c == '(' || c == ')' || c == '\'' || c == '"' {
			return false
		}
	}
	// "01 A  " would be a free-format entry; a sequence area has no
	// interior blank between two words.
	f := strings.Fields(s)
	return len(f) <= 1
}

// line tokenizes one line's program text; col is the column of area[0].
func (lx *lexer) line(area string, lineNo, col int, continuation bool) error {
	i := 0
	if lx.open >= 0 {
		if !continuation {
			return lx.unterminated()
		}
		// The continued literal resumes after the first quote.
		for i < len(area) && (area[i] == ' ' || area[i] == '\t') {
			i++
		}
		if i == len(area) || area[i] != lx.openQuote {
			return parseErr(lineNo, col+i, ErrContinuation)
		}
		i++
		if j := lx.closeLiteral(area, i); j >= 0 {
			i = j
		} else {
			return nil
		}
	} else if continuation {
		// A continued word: glue the first word of this line to the last
		// token of the previous one.
		for i < len(area) && (area[i] == ' ' || area[i] == '\t') {
			i++
		}
		if n := len(lx.toks); n > 0 && lx.toks[n-1].kind == tokWord && i < len(area) {
			j := i
			for j < len(area) && !isSpace(area[j]) && area[j] != '\'' && area[j] != '"' {
				j++
			}
			w := area[i:j]
			period := false
			if strings.HasSuffix(w, ".") && (j == len(area) || isSpace(area[j])) {
				w, period = w[:len(w)-1], true
			}
			lx.toks[n-1].text += strings.ToUpper(w)
			if period {
				lx.toks = append(lx.toks, token{kind: tokPeriod, text: ".", line: lineNo, col: col + j - 1})
			}
			i = j
		}
	}
	for i < len(area) {
		c := area[i]
		switch {
		case isSpace(c) || c == ',' || c == ';':
			i++
		case c == '*' && i+1 < len(area) && area[i+1] == '>':
			return nil // floating comment
		case c == '\'' || c == '"':
			i = lx.literal(area, i, i+1, lineNo, col)
			if i < 0 {
				return nil // continues on the next line
			}
		case isLitPrefix(c) && i+1 < len(area) && (area[i+1] == '\'' || area[i+1] == '"'):
			i = lx.literal(area, i, i+2, lineNo, col)
			if i < 0 {
				return nil
			}
		case c == '.' && (i+1 == len(area) || isSpace(area[i+1])):
			lx.toks = append(lx.toks, token{kind: tokPeriod, text: ".", line: lineNo, col: col + i})
			i++
		default:
			j := i
			for j < len(area) && !isSpace(area[j]) && area[j] != '\'' && area[j] != '"' {
				if (area[j] == ',' || area[j] == ';') && (j+1 == len(area) || isSpace(area[j+1])) {
					break
				}
				j++
			}
			w := area[i:j]
			period := false
			if len(w) > 1 && w[len(w)-1] == '.' && (j == len(area) || isSpace(area[j])) {
				w, period = w[:len(w)-1], true
			}
			lx.toks = append(lx.toks, token{kind: tokWord, text: strings.ToUpper(w), line: lineNo, col: col + i})
			if period {
				lx.toks = append(lx.toks, token{kind: tokPeriod, text: ".", line: lineNo, col: col + j - 1})
			}
			i = j
		}
	}
	return nil
}

// literal reads a literal whose opening quote is at area[body-1] and
// whose token starts at area[start]. It returns the index after the
// closing quote, or -1 when the literal continues on the next line.
func (lx *lexer) literal(area string, start, body, lineNo, col int) int {
	q := area[body-1]
	lx.toks = append(lx.toks, token{kind: tokLiteral, line: lineNo, col: col + start})
	lx.open = len(lx.toks) - 1
	lx.openQuote = q
	// In free format there are no continuation lines, so a literal left
	// open here is reported unterminated by the next line or the end.
	return lx.closeLiteral(area, body)
}

func (lx *lexer) unterminated() error {
	t := lx.toks[lx.open]
	return parseErr(t.line, t.col, ErrLiteral)
}

// closeLiteral appends area[i:] to the open literal up to its closing
// quote (a doubled quote stands for one). It returns the index after
// the closing quote, or -1 if the line ends first; then the literal
// stays open.
func (lx *lexer) closeLiteral(area string, i int) int {
	var b strings.Builder
	t := &lx.toks[lx.open]
	b.WriteString(t.text)
	for i < len(area) {
		c := area[i]
		if c == lx.openQuote {
			if i+1 < len(area) && area[i+1] == lx.openQuote {
				b.WriteByte(c)
				i += 2
				continue
			}
			t.text = b.String()
			lx.open = -1
			return i + 1
		}
		b.WriteByte(c)
		i++
	}
	t.text = b.String()
	return -1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func isLitPrefix(c byte) bool {
	switch c {
	case 'X', 'x', 'N', 'n', 'G', 'g', 'Z', 'z', 'B', 'b':
		return true
	}
	return false
}
