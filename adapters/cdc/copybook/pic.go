package copybook

import (
	"fmt"
	"strings"
)

// maxPicLen bounds a PICTURE's size so that a hostile copybook cannot ask
// for gigabyte fields; no COBOL compiler allows more than this.
const maxPicLen = 1 << 20

// maxDigits is the most digit positions a numeric item may have. IBM
// Enterprise COBOL allows 31 (ARITH(EXTEND)); Cobrix's tests go to 38.
const maxDigits = 38

// parsePicture parses a PICTURE character string (upper-cased) written
// at line:col.
func parsePicture(s string, line, col int) (*Picture, error) {
	p := &Picture{Text: s}
	type sym struct {
		c   byte
		n   int
		col int
	}
	var syms []sym
	for i := 0; i < len(s); {
		c := s[i]
		at := col + i
		i++
		n := 1
		if c == 'C' && i < len(s) && s[i] == 'R' || c == 'D' && i < len(s) && s[i] == 'B' {
			return nil, parseErrf(line, at, ErrUnsupported, "editing symbol CR/DB in PICTURE")
		}
		if i < len(s) && s[i] == '(' {
			j := strings.IndexByte(s[i:], ')')
			if j < 0 {
				return nil, parseErrf(line, col+i, ErrPicture, "unclosed repetition count")
			}
			num := s[i+1 : i+j]
			n = 0
			if num == "" {
				return nil, parseErrf(line, col+i, ErrPicture, "empty repetition count")
			}
			for k := 0; k < len(num); k++ {
				if num[k] < '0' || num[k] > '9' {
					return nil, parseErrf(line, col+i, ErrPicture, "repetition count is not a number")
				}
				n = n*10 + int(num[k]-'0')
				if n > maxPicLen {
					return nil, parseErrf(line, col+i, ErrPicture, "repetition count too large")
				}
			}
			if n == 0 {
				return nil, parseErrf(line, col+i, ErrPicture, "repetition count is zero")
			}
			i += j + 1
		}
		switch c {
		case 'X', 'A', '9', 'S', 'V', 'P', 'Z', '+', '-', '.':
		case 'B', '0', '/', ',', '*', '$':
			return nil, parseErrf(line, at, ErrUnsupported, fmt.Sprintf("editing symbol %q in PICTURE (supported: 9 Z + - . V)", c))
		case 'N', 'G', 'U':
			return nil, parseErrf(line, at, ErrUnsupported, fmt.Sprintf("PICTURE symbol %q (national and DBCS data)", c))
		case 'E':
			return nil, parseErrf(line, at, ErrUnsupported, "external floating-point PICTURE")
		default:
			return nil, parseErrf(line, at, ErrPicture, fmt.Sprintf("symbol %q", c))
		}
		if n > 1 && (c == 'S' || c == 'V' || c == '.') {
			return nil, parseErrf(line, at, ErrPicture, fmt.Sprintf("%q repeated", c))
		}
		if len(syms) > 0 && syms[len(syms)-1].c == c {
			syms[len(syms)-1].n += n
			if syms[len(syms)-1].n > maxPicLen {
				return nil, parseErrf(line, at, ErrPicture, "PICTURE too long")
			}
		} else {
			syms = append(syms, sym{c, n, at})
		}
	}
	if len(syms) == 0 {
		return nil, parseErrf(line, col, ErrPicture, "empty PICTURE")
	}
	var cnt [256]int
	for _, y := range syms {
		cnt[y.c] += y.n
	}
	switch {
	case cnt['X'] > 0 || cnt['A'] > 0:
		for _, y := range syms {
			if y.c != 'X' && y.c != 'A' && y.c != '9' {
				return nil, parseErrf(line, y.col, ErrPicture, fmt.Sprintf("%q in an alphanumeric PICTURE", y.c))
			}
		}
		p.Category = Alphanumeric
		if cnt['X'] == 0 && cnt['9'] == 0 {
			p.Category = Alphabetic
		}
		p.Len = cnt['X'] + cnt['A'] + cnt['9']
		return p, checkLen(p, line, col)
	}
	// Numeric or numeric-edited.
	seenS, seenPoint, seenDigit := false, false, false
	pLeft, pRight := 0, 0
	after := 0 // digit positions after the decimal point
	signs := 0
	for k, y := range syms {
		switch y.c {
		case 'S':
			if k != 0 || seenS {
				return nil, parseErrf(line, y.col, ErrPicture, "S must come first")
			}
			seenS = true
			p.Signed = true
		case 'V', '.':
			if seenPoint {
				return nil, parseErrf(line, y.col, ErrPicture, "more than one decimal point")
			}
			seenPoint = true
			if y.c == '.' {
				p.EditPoint = true
			}
		case 'P':
			if seenDigit {
				pRight += y.n
			} else {
				pLeft += y.n
			}
		case '9', 'Z':
			if pRight > 0 {
				return nil, parseErrf(line, y.col, ErrPicture, "P must be at either end of the digits")
			}
			seenDigit = true
			p.Digits += y.n
			if seenPoint {
				after += y.n
			}
		case '+', '-':
			if p.EditSign != 0 && p.EditSign != y.c {
				return nil, parseErrf(line, y.col, ErrPicture, "both + and - in PICTURE")
			}
			if seenS {
				return nil, parseErrf(line, y.col, ErrPicture, "S and an editing sign")
			}
			p.EditSign = y.c
			p.Signed = true
			if k == 0 {
				p.EditLead = true
			} else if k != len(syms)-1 {
				return nil, parseErrf(line, y.col, ErrPicture, "editing sign must be leading or trailing")
			}
			signs += y.n
			if y.n > 1 {
				// A floating sign string: all but one are digit positions.
				p.Digits += y.n - 1
				if seenPoint {
					after += y.n - 1
				}
			}
		}
	}
	if p.Digits == 0 {
		return nil, parseErrf(line, col, ErrPicture, "no digit positions")
	}
	if pLeft > 0 && pRight > 0 {
		return nil, parseErrf(line, col, ErrPicture, "P at both ends")
	}
	if (pLeft > 0 || pRight > 0) && p.EditPoint {
		return nil, parseErrf(line, col, ErrPicture, "P with an explicit decimal point")
	}
	if p.Digits > maxDigits {
		return nil, parseErrf(line, col, ErrPicture, fmt.Sprintf("more than %d digits", maxDigits))
	}
	switch {
	case pLeft > 0:
		// The decimal point is left of the P positions: every digit is
		// a fraction digit. PIC PPP9(5) is 0.000ddddd.
		p.Scale = p.Digits + pLeft
	case pRight > 0:
		if after > 0 {
			return nil, parseErrf(line, col, ErrPicture, "P after the decimal point digits")
		}
		p.Scale = -pRight
	default:
		p.Scale = after
	}
	p.Category = Numeric
	p.Len = cnt['9']
	if cnt['Z'] > 0 || signs > 0 || p.EditPoint {
		p.Category = NumericEdited
		p.Len = cnt['9'] + cnt['Z'] + signs
		if p.EditPoint {
			p.Len++
		}
	}
	return p, checkLen(p, line, col)
}

func checkLen(p *Picture, line, col int) error {
	if p.Len > maxPicLen {
		return parseErrf(line, col, ErrPicture, "PICTURE too long")
	}
	return nil
}
