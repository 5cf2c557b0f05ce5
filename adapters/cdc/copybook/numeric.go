package copybook

import (
	"encoding/binary"
	"math"
	"math/big"
	"strconv"
)

// allPad reports whether b is all spaces or all NULs: an item that was
// never given a value (spaces or low-values), read as null.
func allPad(b []byte, space byte) bool {
	if len(b) == 0 {
		return false
	}
	c0 := b[0]
	if c0 != space && c0 != 0 {
		return false
	}
	for _, c := range b {
		if c != c0 {
			return false
		}
	}
	return true
}

// asciiOverpunch maps an ASCII sign-overpunched digit to its value and
// sign: '{' 'A'-'I' positive, '}' 'J'-'R' negative (the EBCDIC
// convention carried over by translation), and 'p'-'y' negative (Micro
// Focus). ok is false for other bytes.
func asciiOverpunch(c byte) (digit byte, neg, ok bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', false, true
	case c == '{':
		return 0, false, true
	case c >= 'A' && c <= 'I':
		return c - 'A' + 1, false, true
	case c == '}':
		return 0, true, true
	case c >= 'J' && c <= 'R':
		return c - 'J' + 1, true, true
	case c >= 'p' && c <= 'y':
		return c - 'p', true, true
	}
	return 0, false, false
}

// overpunch reads a digit that may carry a sign: in EBCDIC the zone
// nibble (A, C, E, F positive; B, D negative), in ASCII see
// asciiOverpunch.
func overpunch(c byte, ebcdic bool) (digit byte, neg, ok bool) {
	if !ebcdic {
		return asciiOverpunch(c)
	}
	hi, lo := c>>4, c&0xF
	if lo > 9 || hi < 0xA {
		return 0, false, false
	}
	return lo, hi == 0xB || hi == 0xD, true
}

// plainDigit reads an unsigned digit: zone F in EBCDIC, '0'-'9' in ASCII.
func plainDigit(c byte, ebcdic bool) (byte, bool) {
	if ebcdic {
		if c >= 0xF0 && c <= 0xF9 {
			return c - 0xF0, true
		}
		return 0, false
	}
	if c >= '0' && c <= '9' {
		return c - '0', true
	}
	return 0, false
}

// zoned decodes a DISPLAY numeric item: one digit a byte, the sign
// overpunched on the first (SIGN LEADING) or last byte, or in its own
// byte with SEPARATE. The sign position of an unsigned item may carry a
// sign too: it is kept rather than dropped.
func (st *state) zoned(n *node, b []byte) (neg bool, digits []byte, null bool, err error) {
	cp := st.d.cp
	if allPad(b, cp.space) {
		return false, nil, true, nil
	}
	if st.d.cfg.PaddedNumbers {
		i, j := 0, len(b)
		for i < j && cp.isPad(b[i]) {
			i++
		}
		for j > i && cp.isPad(b[j-1]) {
			j--
		}
		b = b[i:j]
		if len(b) == 0 {
			return false, nil, true, nil
		}
	}
	signAt := len(b) - 1
	if n.signSep {
		var s byte
		if n.signLead {
			s, b = b[0], b[1:]
		} else {
			s, b = b[len(b)-1], b[:len(b)-1]
		}
		switch s {
		case cp.plus:
		case cp.minus:
			neg = true
		default:
			return false, nil, false, ErrZoned
		}
		signAt = -1
	} else if n.signLead {
		signAt = 0
	}
	d := st.dig[:0]
	for i, c := range b {
		v, ok := plainDigit(c, cp.ebcdic)
		if !ok && i == signAt {
			var m bool
			v, m, ok = overpunch(c, cp.ebcdic)
			neg = m
		}
		if !ok {
			return false, nil, false, ErrZoned
		}
		d = append(d, '0'+v)
	}
	return neg, d, false, nil
}

// edited decodes a numeric-edited DISPLAY item (9 Z + - . V, and S
// overpunched as Cobrix allows): blanks from zero suppression, one sign
// character and one decimal point are read from the text; the scale is
// the PICTURE's.
func (st *state) edited(n *node, b []byte) (neg bool, digits []byte, scale int, null bool, err error) {
	cp := st.d.cp
	if allPad(b, cp.space) {
		return false, nil, 0, true, nil
	}
	p := n.pic
	d := st.dig[:0]
	frac, signs := -1, 0
	for i, c := range b {
		switch {
		case c == cp.space || c == 0:
		case c == cp.plus:
			signs++
		case c == cp.minus:
			signs++
			neg = true
		case c == cp.point:
			if frac >= 0 {
				return false, nil, 0, false, ErrEditedNum
			}
			frac = 0
		default:
			v, ok := plainDigit(c, cp.ebcdic)
			if !ok && p.EditSign == 0 && n.signed && (i == len(b)-1 && !n.signLead || i == 0 && n.signLead) {
				var m bool
				v, m, ok = overpunch(c, cp.ebcdic)
				neg = neg || m
			}
			if !ok {
				return false, nil, 0, false, ErrEditedNum
			}
			d = append(d, '0'+v)
			if frac >= 0 {
				frac++
			}
		}
	}
	if len(d) == 0 || signs > 1 {
		return false, nil, 0, false, ErrEditedNum
	}
	scale = p.Scale
	if p.EditPoint {
		if frac < 0 {
			frac = 0
		}
		if frac > scale {
			return false, nil, 0, false, ErrEditedNum
		}
		for ; frac < scale; frac++ {
			d = append(d, '0')
		}
	}
	return neg, d, scale, false, nil
}

// packed decodes a COMP-3 item: two digits a byte, the last nibble the
// sign (A, C, E, F positive; B, D negative, as IBM hardware accepts
// them). An even digit count leaves a pad nibble first; it is read as a
// digit, so a non-zero pad is not lost. All spaces or all NULs is null.
func (st *state) packed(b []byte) (neg bool, digits []byte, null bool, err error) {
	if allPad(b, st.d.cp.space) {
		return false, nil, true, nil
	}
	d := st.dig[:0]
	last := len(b) - 1
	for i, c := range b {
		hi, lo := c>>4, c&0xF
		if hi > 9 {
			return false, nil, false, ErrPacked
		}
		d = append(d, '0'+hi)
		if i < last {
			if lo > 9 {
				return false, nil, false, ErrPacked
			}
			d = append(d, '0'+lo)
			continue
		}
		switch lo {
		case 0xA, 0xC, 0xE, 0xF:
		case 0xB, 0xD:
			neg = true
		default:
			return false, nil, false, ErrPacked
		}
	}
	return neg, d, false, nil
}

var pow10 = func() [19]uint64 {
	var p [19]uint64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// binary decodes a big-endian two's complement (signed PICTURE) or
// unsigned integer, truncated to the PICTURE digits for BINARY items in
// BinaryTruncate mode.
func (st *state) binary(n *node, b []byte) (neg bool, digits []byte) {
	if len(b) > 8 {
		return st.bigBinary(n, b)
	}
	var u uint64
	for _, c := range b {
		u = u<<8 | uint64(c)
	}
	if n.signed && b[0]&0x80 != 0 {
		shift := 64 - 8*uint(len(b))
		v := int64(u<<shift) >> shift
		neg, u = true, uint64(^v)+1
	}
	if n.truncate && n.digits < len(pow10) {
		u %= pow10[n.digits]
	}
	return neg, strconv.AppendUint(st.dig[:0], u, 10)
}

func (st *state) bigBinary(n *node, b []byte) (neg bool, digits []byte) {
	v := new(big.Int).SetBytes(b)
	if n.signed && b[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
		neg = true
		v.Neg(v)
	}
	if n.truncate {
		v.Mod(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n.digits)), nil))
	}
	return neg, v.Append(st.dig[:0], 10)
}

// appendDecimal appends the exact decimal digits×10^-scale: no leading
// zeros, the scale's decimal places kept (PIC 9V99 zero is "0.00"), and
// zero never negative.
func appendDecimal(dst []byte, neg bool, digits []byte, scale int) []byte {
	i := 0
	for i < len(digits)-1 && digits[i] == '0' {
		i++
	}
	digits = digits[i:]
	zero := len(digits) == 1 && digits[0] == '0'
	if neg && !zero {
		dst = append(dst, '-')
	}
	if scale <= 0 {
		dst = append(dst, digits...)
		if !zero {
			for ; scale < 0; scale++ {
				dst = append(dst, '0')
			}
		}
		return dst
	}
	intLen := len(digits) - scale
	if intLen <= 0 {
		dst = append(dst, '0', '.')
		for ; intLen < 0; intLen++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[:intLen]...)
	dst = append(dst, '.')
	return append(dst, digits[intLen:]...)
}

// ibmFloat converts IBM System/360 hexadecimal floating point (sign bit,
// 7-bit excess-64 base-16 exponent, 24- or 56-bit fraction) to float64.
// COMP-1 converts exactly; COMP-2 rounds its 56-bit fraction to 53 bits
// once. Every IBM value is within float64's range.
func ibmFloat(b []byte) float64 {
	var u uint64
	for _, c := range b {
		u = u<<8 | uint64(c)
	}
	bits := 8 * uint(len(b))
	neg := u>>(bits-1)&1 == 1
	exp := int(u >> (bits - 8) & 0x7F)
	frac := u & (1<<(bits-8) - 1)
	v := math.Ldexp(float64(frac), 4*(exp-64)-int(bits-8))
	if neg && v != 0 {
		v = -v
	}
	return v
}

// appendFloat appends a COMP-1 (4 bytes) or COMP-2 (8 bytes) value as
// the shortest decimal that reads back as it: of the float32 for COMP-1
// when it is one exactly, of the float64 otherwise; plain notation
// between 1e-6 and 1e21, as JavaScript writes numbers, exponent notation
// outside. IEEE NaN and infinities have no JSON form: ok is false.
func appendFloat(dst, b []byte, f FloatFormat) (_ []byte, ok bool) {
	var v float64
	switch {
	case f == FloatIBM:
		v = ibmFloat(b)
	case len(b) == 4:
		v = float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
	default:
		v = math.Float64frombits(binary.BigEndian.Uint64(b))
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return dst, false
	}
	if v == 0 {
		return append(dst, '0'), true // and never -0
	}
	bitSize := 64
	if len(b) == 4 && float64(float32(v)) == v {
		bitSize = 32
	}
	if a := math.Abs(v); a < 1e-6 || a >= 1e21 {
		return strconv.AppendFloat(dst, v, 'e', -1, bitSize), true
	}
	return strconv.AppendFloat(dst, v, 'f', -1, bitSize), true
}
