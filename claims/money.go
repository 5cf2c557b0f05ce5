package claims

import (
	"math"
	"strconv"
)

// Money is an exact monetary amount in cents (US dollars, as HIPAA X12
// amounts are). It is never a float: 0.1 + 0.2 must be 0.30 on a
// remittance. Its text form is the decimal with two places ("12.50",
// "-0.05"), which is what FHIR Money.value and X12 both accept.
type Money int64

// ParseMoney reads an X12 decimal amount (data type R): an optional minus
// sign, digits and an optional decimal point, such as "1234.5", "-12",
// ".75" or "100.00". Digits after the second decimal place must be zero
// ("1.2500" is 1.25); otherwise it returns [ErrPrecision], since cents
// cannot hold the value. Anything else, including an empty string, a plus
// sign, an exponent or an amount beyond int64 cents, is [ErrAmount].
func ParseMoney(s string) (Money, error) {
	return parseMoney([]byte(s))
}

func parseMoney(b []byte) (Money, error) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg = true
		b = b[1:]
	}
	var cents uint64
	digits, frac := 0, -1 // frac: digits seen after the point, -1 before it
	for _, c := range b {
		switch {
		case c == '.' && frac < 0:
			frac = 0
			continue
		case c < '0' || c > '9':
			return 0, ErrAmount
		}
		digits++
		if frac >= 0 {
			frac++
			if frac > 2 {
				if c != '0' {
					return 0, ErrPrecision
				}
				continue
			}
		}
		if cents > (math.MaxInt64-uint64(c-'0'))/10 {
			return 0, ErrAmount
		}
		cents = cents*10 + uint64(c-'0')
	}
	if digits == 0 {
		return 0, ErrAmount
	}
	for f := max(frac, 0); f < 2; f++ {
		if cents > math.MaxInt64/10 {
			return 0, ErrAmount
		}
		cents *= 10
	}
	if neg {
		return Money(-int64(cents)), nil
	}
	return Money(cents), nil
}

// Cents returns the amount in cents.
func (m Money) Cents() int64 { return int64(m) }

// String returns the amount as a decimal with two places: "12.50",
// "-0.05", "0.00".
func (m Money) String() string { return string(m.AppendText(nil)) }

// AppendText appends the text form of m to b.
func (m Money) AppendText(b []byte) []byte {
	u := uint64(m)
	if m < 0 {
		b = append(b, '-')
		u = -u // also right for math.MinInt64
	}
	b = strconv.AppendUint(b, u/100, 10)
	c := u % 100
	return append(b, '.', byte('0'+c/10), byte('0'+c%10))
}

// MarshalText returns the text form, so JSON carries a string that keeps
// the exact value.
func (m Money) MarshalText() ([]byte, error) { return m.AppendText(nil), nil }

// UnmarshalText parses the text form (any X12 decimal amount).
func (m *Money) UnmarshalText(b []byte) error {
	v, err := parseMoney(b)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// A Decimal is an exact decimal number for quantities (service units,
// days, percentages): Units × 10^-Scale, so "1.50" is {150, 2}. It keeps
// the scale it was written with, as FHIR decimals keep their precision.
// The zero value is 0.
type Decimal struct {
	Units int64
	Scale uint8 // digits after the decimal point, at most 18
}

// ParseDecimal reads an X12 decimal number (data type R or N without an
// implied point): an optional minus sign, digits and an optional decimal
// point. It returns [ErrDecimal] for anything else and for numbers with
// more than 18 significant digits.
func ParseDecimal(s string) (Decimal, error) {
	return parseDecimal([]byte(s))
}

func parseDecimal(b []byte) (Decimal, error) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg = true
		b = b[1:]
	}
	var d Decimal
	var u uint64
	digits, point := 0, false
	for _, c := range b {
		switch {
		case c == '.' && !point:
			point = true
			continue
		case c < '0' || c > '9':
			return Decimal{}, ErrDecimal
		}
		digits++
		if u > (math.MaxInt64-uint64(c-'0'))/10 || d.Scale >= 18 && point {
			return Decimal{}, ErrDecimal
		}
		u = u*10 + uint64(c-'0')
		if point {
			d.Scale++
		}
	}
	if digits == 0 {
		return Decimal{}, ErrDecimal
	}
	d.Units = int64(u)
	if neg {
		d.Units = -d.Units
	}
	return d, nil
}

// String returns the number with its scale: "1.50", "-0.5", "3".
func (d Decimal) String() string { return string(d.AppendText(nil)) }

// AppendText appends the text form of d to b.
func (d Decimal) AppendText(b []byte) []byte {
	u := uint64(d.Units)
	if d.Units < 0 {
		b = append(b, '-')
		u = -u
	}
	s := strconv.FormatUint(u, 10)
	n := int(d.Scale)
	if n == 0 {
		return append(b, s...)
	}
	for len(s) <= n {
		s = "0" + s
	}
	b = append(b, s[:len(s)-n]...)
	b = append(b, '.')
	return append(b, s[len(s)-n:]...)
}

// MarshalText returns the text form.
func (d Decimal) MarshalText() ([]byte, error) { return d.AppendText(nil), nil }

// UnmarshalText parses the text form.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := parseDecimal(b)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Int returns the value as an integer when it has no fraction ("2.00" is
// 2), and false otherwise.
func (d Decimal) Int() (int64, bool) {
	v := d.Units
	for range d.Scale {
		if v%10 != 0 {
			return 0, false
		}
		v /= 10
	}
	return v, true
}

// Equal reports whether d and e are the same number, whatever their
// scales ("1.0" equals "1.00").
func (d Decimal) Equal(e Decimal) bool {
	a, b := d, e
	for a.Scale > b.Scale && a.Units%10 == 0 {
		a.Units /= 10
		a.Scale--
	}
	for b.Scale > a.Scale && b.Units%10 == 0 {
		b.Units /= 10
		b.Scale--
	}
	return a == b
}
